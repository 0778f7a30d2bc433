#!/bin/sh
# Print the guest kernels' ABI names, one "SERIES KVER" line each:
#	6.1 6.1.0-NN-amd64		(bookworm's linux-image-amd64)
#	6.12 6.12.NN+deb12-amd64	(bookworm-backports' linux-image-amd64)
# Resolved from apt's metadata, so nothing hard-codes an ABI number.
# With an argument (6.1 or 6.12) print only that KVER.
set -eu
# apt-cache is slow (seconds); cache the answer until apt's cache changes.
cache=$(cd "$(dirname "$0")/.." && pwd)/.cache/kvers
stamp=$(stat -c %Y /var/cache/apt/pkgcache.bin 2>/dev/null || echo none)
if [ -f "$cache" ] && [ "$(sed -n 1p "$cache")" = "$stamp" ]; then
	k61=$(sed -n 2p "$cache")
	k612=$(sed -n 3p "$cache")
else
	k61=$(apt-cache depends linux-headers-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-headers-\(6\.1\.[^ ]*\)$/\1/p' | head -n1)
	k612=$(apt-cache -t bookworm-backports depends linux-headers-amd64 2>/dev/null |
		sed -n 's/.*Depends: linux-headers-\(6\.12[^ ]*\)$/\1/p' | head -n1)
	if [ -z "$k61" ] || [ -z "$k612" ]; then
		echo "kvers: cannot resolve the 6.1/6.12 kernel ABI names from apt (run scripts/apt-sources.sh)" >&2
		exit 1
	fi
	mkdir -p "$(dirname "$cache")"
	printf '%s\n%s\n%s\n' "$stamp" "$k61" "$k612" >"$cache.$$" && mv "$cache.$$" "$cache"
fi
case "${1:-}" in
"") printf '6.1 %s\n6.12 %s\n' "$k61" "$k612" ;;
6.1) echo "$k61" ;;
6.12) echo "$k612" ;;
*) echo "kvers: unknown kernel series '$1' (want 6.1 or 6.12)" >&2; exit 2 ;;
esac
