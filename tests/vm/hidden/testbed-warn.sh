#!/bin/sh
# modes: all
# Test-bed self-test, not part of the default run: a WARN in the guest must
# fail the boot even though this scenario itself reports only "ok". Run:
#   tests/vm/run-guest.sh --kernel 6.12 --mode working --hidden testbed-warn
# and expect "not ok - boot-...: ... kernel log: ... WARNING ...".
. /opt/cpuidvirt/lib.sh
t_ok "about to load testbed_warn.ko (WARN on load)"
modprobe testbed_warn
t_ok "still running after the WARN (panic_on_warn did not fire)"
