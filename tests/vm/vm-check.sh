#!/bin/bash
# vm-check.sh [--kernels "6.1 6.12"] [--modes "absent working lie-drop lie-store"]
#             [--jobs N]
# Boot every kernel under every CPU behaviour, with all scenarios, N guests
# at a time (default VM_JOBS or 2: a TCG guest leaves much of its second
# vCPU idle). Results: build/results/vm-KERNEL-MODE.tap. Exit 1 if any
# boot had a failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kernels="6.1 6.12"
modes="absent working lie-drop lie-store"
jobs=${VM_JOBS:-2}
while [ $# -gt 0 ]; do
	case "$1" in
	--kernels) kernels=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	*) echo "vm-check: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
out=$top/.cache/boot/vm-check
rm -rf "$out"
mkdir -p "$out"

one()	# KERNEL MODE
{
	local t0 st tap
	t0=$(date +%s)
	if "$top/tests/vm/run-guest.sh" --kernel "$1" --mode "$2" --quiet >"$out/$1-$2.out" 2>&1; then
		st=ok
	else
		st=FAILED
	fi
	tap=$top/build/results/vm-$1-$2.tap
	printf 'vm %-5s %-9s %-6s %4ss  %s passed, %s failed\n' "$1" "$2" "$st" \
		"$(($(date +%s) - t0))" "$(grep -c '^ok ' "$tap" 2>/dev/null)" \
		"$(grep -c '^not ok ' "$tap" 2>/dev/null)" >>"$out/$1-$2.out"
	[ $st = ok ]
}

for k in $kernels; do
	for m in $modes; do
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
			wait -n
		done
		one "$k" "$m" &
	done
done
wait
rc=0
for k in $kernels; do
	for m in $modes; do
		cat "$out/$k-$m.out"
		grep -q "^vm .* ok " "$out/$k-$m.out" || rc=1
	done
done
exit $rc
