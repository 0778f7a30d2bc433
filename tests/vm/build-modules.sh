#!/bin/bash
# build-modules.sh [--tap FILE] [--quiet] [--cached] [--ko-out FILE] KERNEL...
# (KERNEL: 6.1 6.12 6.1-rt 6.12-rt 6.1-cloud 6.12-cloud 6.12-debug, see
# scripts/kvers.sh --all; --ko-out copies the fresh .ko, for one KERNEL)
# Build cpuidvirt.ko for each guest kernel from a copy of Kbuild, module/
# and uapi/ in .cache/build/module-KVER/, with W=1, against the installed
# headers (/lib/modules/KVER/build) or else those tests/vm/fetch-kernel.sh
# extracts (the debug kernel's own tree). Result lines per kernel: it
# builds, and it builds without compiler warnings. Exits 1 if a build failed.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tap=/dev/null quiet=0 cached=0 koout=
while [ $# -gt 0 ]; do
	case "$1" in
	--cached) cached=1; shift ;;
	--ko-out) koout=$2; shift 2 ;;
	--tap) tap=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || set -- 6.1 6.12
fail=0
for series in "$@"; do
	kver=$("$top/scripts/kvers.sh" "$series") || {
		echo "not ok - module-build: $series: no kernel ABI name (scripts/kvers.sh failed)" | tee -a "$tap"
		fail=1
		continue
	}
	name="module-build: $series ($kver)"
	dir=$top/.cache/build/module-$kver
	kdir=/lib/modules/$kver/build
	if [ ! -d "$kdir" ]; then
		kroot=$("$top/tests/vm/fetch-kernel.sh" "$series") && kdir=$kroot/lib/modules/$kver/build
	fi
	if [ ! -d "$kdir" ]; then
		echo "not ok - $name: no headers in $kdir (tests/vm/fetch-kernel.sh $series failed)" | tee -a "$tap"
		fail=1
		continue
	fi
	if [ ! -f "$top/Kbuild" ] || [ ! -d "$top/module" ]; then
		echo "not ok - $name: no Kbuild or module/ in the tree" | tee -a "$tap"
		fail=1
		continue
	fi
	# One build per kernel at a time (several engineers share .cache).
	mkdir -p "$top/.cache/build"
	exec 9>"$top/.cache/build/module-$kver.lock"
	flock 9
	# --cached: skip when the sources are those of the last good build.
	sum=$( { echo "$kver"; cd "$top" && find Kbuild module uapi -type f ! -name '.*' |
		LC_ALL=C sort | xargs sha256sum; } | sha256sum | cut -c1-16)
	if [ $cached = 1 ] && [ -f "$dir/cpuidvirt.ko" ] &&
		[ "$(cat "$dir/.srcsum" 2>/dev/null)" = "$sum" ]; then
		[ -z "$koout" ] || cp "$dir/cpuidvirt.ko" "$koout"
		continue
	fi
	# A fresh copy each time: Kbuild writes objects next to the sources.
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -a "$top/Kbuild" "$top/module" "$top/uapi" "$dir/"
	blog=$dir/build.log
	make -C "$kdir" M="$dir" W=1 CPUIDVIRT_TEST_HOOKS=1 modules >"$blog" 2>&1
	rc=$?
	[ $quiet = 1 ] || cat "$blog" >&2
	if [ $rc -ne 0 ] || [ ! -f "$dir/cpuidvirt.ko" ]; then
		{
			echo "not ok - $name: builds"
			grep -E 'error|Error' "$blog" | head -n 20 | sed 's/^/    # /'
			echo "    # log: $blog"
		} | tee -a "$tap"
		fail=1
		continue
	fi
	echo "ok - $name: builds" | tee -a "$tap"
	echo "$sum" >"$dir/.srcsum"
	[ -z "$koout" ] || cp "$dir/cpuidvirt.ko" "$koout"
	exec 9>&-
	warn=$(grep -E 'warning:' "$blog")
	if [ -z "$warn" ]; then
		echo "ok - $name: no compiler warnings with W=1" | tee -a "$tap"
	else
		{
			echo "not ok - $name: no compiler warnings with W=1"
			echo "$warn" | head -n 20 | sed 's/^/    # /'
		} | tee -a "$tap"
	fi
done
exit $fail
