#!/bin/sh
# Add the Debian sources cpuidvirt needs on top of the stock bookworm ones:
# bookworm-backports (the 6.12 guest kernel, newer meson) and deb-src for
# bookworm (QEMU's source package, which the test bed patches).
set -eu
f=/etc/apt/sources.list.d/cpuidvirt.sources
want='Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
if [ ! -f "$f" ] || [ "$(cat "$f")" != "$want" ]; then
	printf '%s\n' "$want" >"$f"
	apt-get update -qq
fi
