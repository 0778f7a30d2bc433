#!/bin/sh
# modes: all
# Test-bed self-test, not in the default run (tests/vm/testbed-selftest.sh
# boots it and asserts the verdict): a WARN in the guest must stop it
# (panic_on_warn=1) and fail the boot with the WARNING quoted.
. /opt/cpuidvirt/lib.sh
t_check "testbed_warn.ko is installed" modinfo testbed_warn
modprobe testbed_warn
# Reached only if the WARN did not panic the guest.
t_fail "the guest still runs after a WARN (panic_on_warn=1 did not fire)"
