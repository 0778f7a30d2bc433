#!/bin/sh
# summary.sh [DIR]: judge the results of make check (DIR: build/results)
# and print
#	N passed, N failed
# as the last line. Counted as failed, besides every "not ok" line:
#  - each result NAME listed in DIR/expected.list (written by
#    tests/vm/check.sh) whose DIR/NAME.tap is missing or holds no result
#    line: a phase or a boot that did not run;
#  - a missing or empty DIR/expected.list;
#  - each "# skip - ..." line (a scenario skipped without declaring it in
#    its "# expected-skip:" header). Declared skips arrive as
#    "# skip (expected) - ..." and are listed, not counted.
# Boots that tests/vm/run-guest.sh ran twice because the kernel died
# before the guest's init ("# retried - ...") are listed, not counted: the
# second boot's lines are the result.
# Exit 1 if anything failed or nothing passed.
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/build/results}
passed=0
failed=0
if [ -s "$dir/expected.list" ]; then
	while read -r name; do
		[ -n "$name" ] || continue
		f=$dir/$name.tap
		if [ ! -f "$f" ]; then
			echo "$name.tap: missing (expected by $dir/expected.list)"
			failed=$((failed + 1))
		elif ! grep -Eq '^(not )?ok\b' "$f"; then
			echo "$name.tap: no result line"
			failed=$((failed + 1))
		fi
	done <"$dir/expected.list"
else
	echo "expected.list: missing or empty in $dir, cannot tell which results are missing"
	failed=$((failed + 1))
fi
for f in "$dir"/*.tap; do
	[ -f "$f" ] || continue
	p=$(grep -c '^ok\b' "$f")
	n=$(grep -c '^not ok\b' "$f")
	s=$(grep -c '^# skip - ' "$f")
	passed=$((passed + p))
	failed=$((failed + n + s))
	if [ "$n" -gt 0 ]; then
		echo "$(basename "$f"): $n failed:"
		# With the diagnostics under each (a boot's kernel report: its
		# RIP and call trace), up to 60 lines: CI keeps only the end of
		# its output, and a guest's console log stays on the CI machine.
		awk '/^not ok/ { print "  " $0; ctx = 60; next }
			ctx > 0 && /^    # / { print "  " $0; ctx--; next }
			{ ctx = 0 }' "$f"
	fi
	if [ "$s" -gt 0 ]; then
		echo "$(basename "$f"): $s skipped, not declared by '# expected-skip:' (counted as failed):"
		grep '^# skip - ' "$f" | sed 's/^/  /'
	fi
	if grep -q '^# retried - ' "$f"; then
		echo "$(basename "$f"): booted twice:"
		grep '^# retried - ' "$f" | sed 's/^/  /'
	fi
	if grep -q '^# skip (expected) - ' "$f"; then
		echo "$(basename "$f"): skipped as declared:"
		grep '^# skip (expected) - ' "$f" | sed 's/^/  /'
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
