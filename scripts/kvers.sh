#!/bin/sh
# kvers.sh [--all | KERNEL]
# Print the guest kernels' ABI names (uname -r), resolved from apt's
# metadata, so nothing hard-codes an ABI number. Without an argument, the
# two generic kernels, one "KERNEL KVER" line each:
#	6.1 6.1.0-NN-amd64		(bookworm's linux-image-amd64)
#	6.12 6.12.NN+deb12-amd64	(bookworm-backports' linux-image-amd64)
# --all adds the flavours the test bed boots:
#	6.1-rt, 6.12-rt		Debian's PREEMPT_RT kernels (linux-image-rt-amd64)
#	6.1-cloud, 6.12-cloud	Debian's cloud kernels (linux-image-cloud-amd64)
#	6.12-debug		built from linux-source-6.12 with lockdep, KASAN, ...
#				(tests/vm/build-debug-kernel.sh)
# With a KERNEL argument, print only its KVER.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
generic="6.1 6.12"
all="6.1 6.12 6.1-rt 6.12-rt 6.1-cloud 6.12-cloud 6.12-debug"
case "${1:-}" in
"" | --all) ;;
6.12-debug) exec bash "$top/tests/vm/build-debug-kernel.sh" --print-kver ;;
*)
	case " $all " in *" $1 "*) ;; *)
		echo "kvers: unknown kernel '$1' (want one of: $all)" >&2
		exit 2 ;;
	esac ;;
esac

# resolve KERNEL: the ABI name apt's linux-headers-FLAVOUR-amd64 points to.
resolve()
{
	case "$1" in
	*-*) fl=${1#*-}- ;;
	*) fl= ;;
	esac
	case "$1" in
	6.1 | 6.1-*) apt-cache depends "linux-headers-${fl}amd64" 2>/dev/null |
		sed -n 's/.*Depends: linux-headers-\(6\.1\.[^ ]*\)$/\1/p' | head -n1 ;;
	6.12 | 6.12-*) apt-cache -t bookworm-backports depends "linux-headers-${fl}amd64" 2>/dev/null |
		sed -n 's/.*Depends: linux-headers-\(6\.12[^ ]*\)$/\1/p' | head -n1 ;;
	esac
}

# apt-cache is slow (seconds): the answers are kept in the machine-wide
# cache until apt's package cache changes.
mc=$(bash -c '. "$1/tests/vm/cache.sh" && echo "$MCACHE"' sh "$top")
stamp=$(bash -c '. "$1/tests/vm/cache.sh" && apt_stamp' sh "$top")
cache=$mc/kvers
if [ ! -f "$cache" ] || [ "$(sed -n 1p "$cache")" != "$stamp" ]; then
	tmp=$cache.$$
	echo "$stamp" >"$tmp"
	for k in 6.1 6.12 6.1-rt 6.12-rt 6.1-cloud 6.12-cloud; do
		v=$(resolve "$k")
		if [ -z "$v" ]; then
			rm -f "$tmp"
			echo "kvers: cannot resolve the $k kernel ABI name from apt (run scripts/apt-sources.sh)" >&2
			exit 1
		fi
		echo "$k $v" >>"$tmp"
	done
	mv "$tmp" "$cache"
fi
case "${1:-}" in
"") for k in $generic; do awk -v k="$k" '$1 == k' "$cache"; done ;;
--all)
	sed 1d "$cache"
	echo "6.12-debug $(bash "$top/tests/vm/build-debug-kernel.sh" --print-kver)" ;;
*) awk -v k="$1" '$1 == k { print $2 }' "$cache" ;;
esac
