#!/bin/sh
# stale-int3.sh LOG: exit 0 if the first kernel report in the console log
# LOG is "Oops: int3" for an int3 that memory does not hold: the byte just
# before RIP in the report's Code line (RIP is the byte in <>, one past
# the int3) is not cc. Hardware never runs an int3 it was not given (the
# kernel's int3 protocol for patching text claims every transient one);
# QEMU 7.2's multi-threaded TCG does, when a vCPU runs a stale translation
# of a site another vCPU has just patched (docs/testbed.md,
# "Cross-modifying code under multi-threaded TCG"). Prints the evidence.
# Exit 1 otherwise, 2 on bad usage.
[ $# = 1 ] && [ -r "$1" ] || { echo "usage: stale-int3.sh CONSOLE_LOG" >&2; exit 2; }
. "$(dirname "$0")/kernel-report-re.sh"
# The first report, and the first Code: line after it.
report=$(grep -E -A12 -m1 "$splat_re" "$1")
case "${report%%
*}" in
*"Oops: int3"*) ;;
*) exit 1 ;;
esac
code=$(printf '%s\n' "$report" | grep -m1 ' Code: ')
before=$(printf '%s\n' "$code" | sed -n 's/.* \([0-9a-f][0-9a-f]\) <[0-9a-f][0-9a-f]>.*/\1/p')
[ -n "$before" ] || exit 1
[ "$before" != cc ] || exit 1
echo "Oops: int3 with '$before', not cc, before RIP in memory"
