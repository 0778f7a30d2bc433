#!/bin/bash
# vm-check.sh [--boots "6.1-absent 6.12-working 6.12-mig-feature ..."] [--jobs N]
# Run the guest boots of tests/vm/matrix.sh (default: the matrix of
# $KERNELS x $MODES, then its podman boots and migration runs), N at a time (default VM_JOBS
# or 2: a TCG guest leaves much of its second vCPU idle). Boot ID writes
# build/results/vm-ID.tap; migration run KERNEL-mig-TAG (tests/vm/migrate.sh,
# two boots in turn) writes vm-KERNEL-working-mig-TAG-A.tap and -B.tap.
# Exit 1 if any boot had a failure, or if there is no boot at all.
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
	boots="$boots $("$top/tests/vm/matrix.sh" --podman) $("$top/tests/vm/matrix.sh" --migrations)"
fi
[ -n "${boots//[[:space:]]/}" ] || { echo "vm-check: no boots" >&2; exit 1; }
out=$top/.cache/boot/vm-check
rm -rf "$out"
mkdir -p "$out"

one()	# BOOT-ID
{
	local t0 st tap km k m cpu tag
	t0=$(date +%s)
	case "$1" in
	*-mig-*) mig "$1"; return ;;
	*-podman) podman "$1"; return ;;
	esac
	# "KERNEL MODE" or, for an AMD boot, "KERNEL MODE CPU TAG"
	if km=$("$top/tests/vm/matrix.sh" --split "$1") && read -r k m cpu tag <<<"$km" &&
		"$top/tests/vm/run-guest.sh" --kernel "$k" --mode "$m" ${cpu:+--cpu "$cpu" --tag "$tag"} \
			--quiet >"$out/$1.out" 2>&1; then
		st=ok
	else
		st=FAILED
	fi
	tap=$top/build/results/vm-$1.tap
	printf 'vm %-30s %-6s %4ss  %s passed, %s failed\n' "$1" "$st" \
		"$(($(date +%s) - t0))" "$(grep -c '^ok ' "$tap" 2>/dev/null)" \
		"$(grep -c '^not ok ' "$tap" 2>/dev/null)" >>"$out/$1.out"
	[ $st = ok ]
}

podman()	# KERNEL-working-podman: podman with the hook
{
	local t0 st args tap=$top/build/results/vm-$1.tap
	t0=$(date +%s)
	# shellcheck disable=SC2086 # $args is words
	if args=$("$top/tests/vm/matrix.sh" --podman-args "$1") &&
		"$top/tests/vm/run-guest.sh" $args --quiet >"$out/$1.out" 2>&1; then
		st=ok
	else
		st=FAILED
	fi
	printf 'vm %-30s %-6s %4ss  %s passed, %s failed\n' "$1" "$st" \
		"$(($(date +%s) - t0))" "$(grep -c '^ok ' "$tap" 2>/dev/null)" \
		"$(grep -c '^not ok ' "$tap" 2>/dev/null)" >>"$out/$1.out"
	[ $st = ok ]
}

mig()	# KERNEL-mig-TAG: boot A, then boot B
{
	local t0 st args k=${1%%-mig-*} t=${1#*-mig-} s p=0 f=0
	t0=$(date +%s)
	# shellcheck disable=SC2086 # $args is words
	if args=$("$top/tests/vm/matrix.sh" --mig-args "$1") &&
		"$top/tests/vm/migrate.sh" $args --quiet >"$out/$1.out" 2>&1; then
		st=ok
	else
		st=FAILED
	fi
	for s in A B; do
		tap=$top/build/results/vm-$k-working-mig-$t-$s.tap
		p=$((p + $(cat "$tap" 2>/dev/null | grep -c '^ok ')))
		f=$((f + $(cat "$tap" 2>/dev/null | grep -c '^not ok ')))
	done
	printf 'vm %-16s %-6s %4ss  %s passed, %s failed\n' "$1" "$st" \
		"$(($(date +%s) - t0))" "$p" "$f" >>"$out/$1.out"
	[ $st = ok ]
}

# Longest first, so that N slots end together: the debug kernel's boot,
# then boots running every scenario, then migration and podman runs (two
# boots or a large initramfs), then the short ones (absent, lying:
# 1-3 scenarios). The summary below keeps the given order.
weight()	# BOOT-ID: 0 (longest) to 3
{
	case "$1" in
	*-debug-*) echo 0 ;;
	*-lie-*|*-absent*) echo 3 ;;
	*-mig-*|*-podman) echo 2 ;;
	*) echo 1 ;;
	esac
}
order=$(for b in $boots; do echo "$(weight "$b") $b"; done | sort -s -n -k1,1 | cut -d' ' -f2)

for b in $order; do
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
