#!/bin/sh
# modes: all
# Test-bed self-test, after testbed-leftover (tests/vm/testbed-selftest.sh):
# the process it left behind was killed when that scenario ended.
. /opt/cpuidvirt/lib.sh
pid=$(cat /tmp/testbed-leftover.pid 2>/dev/null)
t_match "testbed-leftover ran and left its pid" '^[0-9]+$' "$pid" || exit 0
# Gone, or a zombie not yet reaped by init: either way it no longer runs.
st=$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
case "$st" in
"" | Z) t_ok "its background sleep was killed with it (state: ${st:-gone})" ;;
*) t_fail "its background sleep was killed with it" "pid $pid is still in state $st" ;;
esac
