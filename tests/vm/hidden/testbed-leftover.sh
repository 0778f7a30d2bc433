#!/bin/sh
# modes: all
# Test-bed self-test, not in the default run (tests/vm/testbed-selftest.sh):
# a scenario that leaves a process behind, holding its output open, must
# not hang the boot; testbed-reaped (next by name) checks it was killed.
. /opt/cpuidvirt/lib.sh
sleep 100000 &
echo $! >/tmp/testbed-leftover.pid
t_check "the background sleep runs" kill -0 $!
