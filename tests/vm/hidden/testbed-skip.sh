#!/bin/sh
# modes: all
# expected-skip: absent/* declared for absent CPUs only
# Test-bed self-test, not in the default run (tests/vm/testbed-selftest.sh):
# this skip is declared for absent CPUs, so it passes there and must fail
# the boot on any other CPU behaviour.
. /opt/cpuidvirt/lib.sh
t_skip_all "test-bed self-test skip"
