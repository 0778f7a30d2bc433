#!/bin/bash
# vm-check.sh [--kernels "6.1 6.12"] [--modes "absent working lie-drop lie-store"]
# Boot every kernel under every CPU behaviour (one guest each, in turn),
# with all scenarios. Results: build/results/vm-KERNEL-MODE.tap.
# Exit 1 if any boot had a failure.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
kernels="6.1 6.12"
modes="absent working lie-drop lie-store"
while [ $# -gt 0 ]; do
	case "$1" in
	--kernels) kernels=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	*) echo "vm-check: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
rc=0
for k in $kernels; do
	for m in $modes; do
		t0=$(date +%s)
		if "$top/tests/vm/run-guest.sh" --kernel "$k" --mode "$m" --quiet; then
			st=ok
		else
			st=FAILED
			rc=1
		fi
		tap=$top/build/results/vm-$k-$m.tap
		printf 'vm %-5s %-9s %-6s %3ss  %s passed, %s failed\n' "$k" "$m" "$st" \
			"$(($(date +%s) - t0))" "$(grep -c '^ok ' "$tap" 2>/dev/null)" \
			"$(grep -c '^not ok ' "$tap" 2>/dev/null)"
	done
done
exit $rc
