#!/bin/bash
# fetch-criu.sh
# Download Debian's criu and the libraries of its ldd closure into the
# machine-wide cache (tests/vm/fetch-debs.sh) under criu/KEY/root and print
# that root; tests/vm/mkinitramfs.sh --criu copies usr/sbin/criu from it with
# its closure (libraries from the root, else from the host).
# Every library of the closure that is not in a package listed here must be
# on the host (libc6, libbsd0, libgnutls30 and theirs, libjansson4, libmnl0,
# libxtables12 on this image); mkinitramfs fails if one is missing.
# criu 3.17.1 (bookworm): its NEEDED libraries that a base image lacks.
exec "$(dirname "$0")/fetch-debs.sh" criu usr/sbin/criu \
	criu libnet1 libnftables1 libnftnl11 libnl-3-200 libprotobuf-c1
