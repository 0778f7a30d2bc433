#!/bin/bash
# fetch-podman.sh
# Download Debian's podman (4.3), conmon, their configuration
# (containers-common: containers.conf, seccomp.json; containers-image:
# policy.json, registries.conf) and the libraries of their ldd closure that
# a base image lacks into the machine-wide cache (tests/vm/fetch-debs.sh)
# under podman/KEY/root, and print that root. tests/vm/mkinitramfs.sh
# --podman copies usr/bin/podman and usr/bin/conmon from it with their
# closure; the OCI runtime is the initramfs's crun. Every other library of
# the closure must be on the host (libglib2.0-0 through libglib2.0-dev,
# libseccomp2 through crun, the rest are in every Debian base system);
# mkinitramfs fails if one is missing.
exec "$(dirname "$0")/fetch-debs.sh" podman usr/bin/podman \
	podman conmon golang-github-containers-common golang-github-containers-image \
	libgpgme11 libassuan0 libsubid4 libdevmapper1.02.1 runc
