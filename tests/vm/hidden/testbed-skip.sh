#!/bin/sh
# modes: all
# expected-skip: absent/* declared for absent CPUs only
# expected-skip: amd-native/*/EPYC-Milan declared for amd-native on EPYC-Milan
# Test-bed self-test, not in the default run (tests/vm/testbed-selftest.sh):
# this skip is declared for absent CPUs and amd-native on the AMD model, so
# it passes there and must fail the boot on any other CPU behaviour (the
# working Skylake boot of the self-test).
. /opt/cpuidvirt/lib.sh
t_skip_all "test-bed self-test skip"
