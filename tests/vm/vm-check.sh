#!/bin/bash
# vm-check.sh [--boots "6.1-absent 6.12-working ..."] [--jobs N]
# Run the guest boots of tests/vm/matrix.sh (default: the matrix of
# $KERNELS x $MODES), N guests at a time (default VM_JOBS or 2: a TCG guest
# leaves much of its second vCPU idle). Boot ID writes
# build/results/vm-ID.tap. Exit 1 if any boot had a failure, or if there is
# no boot at all.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
boots= jobs=${VM_JOBS:-2}
while [ $# -gt 0 ]; do
	case "$1" in
	--boots) boots=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	*) echo "vm-check: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
if [ -z "$boots" ]; then
	boots=$("$top/tests/vm/matrix.sh") || exit 1
fi
[ -n "${boots//[[:space:]]/}" ] || { echo "vm-check: no boots" >&2; exit 1; }
out=$top/.cache/boot/vm-check
rm -rf "$out"
mkdir -p "$out"

one()	# BOOT-ID
{
	local t0 st tap km
	t0=$(date +%s)
	if km=$("$top/tests/vm/matrix.sh" --split "$1") &&
		"$top/tests/vm/run-guest.sh" --kernel "${km% *}" --mode "${km#* }" --quiet \
			>"$out/$1.out" 2>&1; then
		st=ok
	else
		st=FAILED
	fi
	tap=$top/build/results/vm-$1.tap
	printf 'vm %-16s %-6s %4ss  %s passed, %s failed\n' "$1" "$st" \
		"$(($(date +%s) - t0))" "$(grep -c '^ok ' "$tap" 2>/dev/null)" \
		"$(grep -c '^not ok ' "$tap" 2>/dev/null)" >>"$out/$1.out"
	[ $st = ok ]
}

for b in $boots; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	one "$b" &
done
wait
rc=0
for b in $boots; do
	cat "$out/$b.out"
	grep -q "^vm .* ok " "$out/$b.out" || rc=1
done
exit $rc
