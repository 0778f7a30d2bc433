#!/bin/sh
# Count the result lines of every build/results/*.tap and print
#	N passed, N failed
# as the last line. Exit 1 if anything failed or nothing ran at all
# (skips are "# skip" comments and count as neither).
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/build/results}
passed=0
failed=0
for f in "$dir"/*.tap; do
	[ -f "$f" ] || continue
	p=$(grep -c '^ok\b' "$f")
	n=$(grep -c '^not ok\b' "$f")
	passed=$((passed + p))
	failed=$((failed + n))
	if [ "$n" -gt 0 ]; then
		echo "$(basename "$f"): $n failed:"
		grep '^not ok\b' "$f" | sed 's/^/  /'
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
