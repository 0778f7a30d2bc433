#!/bin/sh
# cpuid-oracle.sh TABLE [CPUID-BINARY]
#
# What Debian's `cpuid -1 -r` prints on the CPU recorded in TABLE (a
# `cpuid -r` dump): the real binary (default /usr/bin/cpuid, bookworm's
# 20230120) runs with its CPUID instruction answered from TABLE by
# cpuid-oracle.c. Queries TABLE cannot answer go to stderr as "# miss".
# Exit status: 0, 3 if there were misses, else an error.
set -eu
top=$(cd "$(dirname "$0")/../../.." && pwd)
bin=${2:-/usr/bin/cpuid}
lib=$top/tools/cpuidctl/lib
oracle=$top/build/oracle/cpuid-oracle
mkdir -p "$(dirname "$oracle")"
if [ ! -x "$oracle" ] || [ -n "$(find "$top/tests/data/dumps/cpuid-oracle.c" "$lib" -newer "$oracle" 2>/dev/null | head -n1)" ]; then
	cc -O1 -g -std=gnu11 -Wall -Wextra -isystem "$top/uapi" -I"$lib" -o "$oracle" \
		"$top/tests/data/dumps/cpuid-oracle.c" "$lib/dump.c" "$lib/features.c" "$lib/diag.c"
fi
command -v objdump >/dev/null || { echo "cpuid-oracle.sh: objdump (binutils) is missing" >&2; exit 1; }
addrs=$(objdump -d --no-show-raw-insn "$bin" | awk '$2 == "cpuid" { sub(":", "", $1); print $1 }')
[ -n "$addrs" ] || { echo "cpuid-oracle.sh: no CPUID instruction in $bin" >&2; exit 1; }
# shellcheck disable=SC2086
exec "$oracle" "$1" "$bin" $addrs
