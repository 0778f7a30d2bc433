#!/bin/sh
# modes: all
# Test-bed self-test, not part of the default run: a scenario that leaves a
# process running (holding its output open) must not hang the boot.
. /opt/cpuidvirt/lib.sh
sleep 100000 &
t_ok "left a sleep running in the background"
