#!/bin/sh
# modes: all
# Test-bed self-test of the debug kernel, not part of the default run: an
# atomic-sleep, a lockdep and a KASAN report must each fail the boot, even
# though this scenario itself reports only "ok". Run:
#   tests/vm/run-guest.sh --kernel 6.12-debug --mode working --hidden testbed-splat
# and expect "not ok - boot-...: ... kernel log: ..." with all three
# reports in the console log (KASAN last: with panic_on_warn it panics).
# One kind alone (the module is built for --hidden, --cmd runs instead):
#   run-guest.sh --kernel 6.12-debug --mode working --hidden testbed-splat \
#	--cmd 'modprobe testbed_splat what=lockdep'
. /opt/cpuidvirt/lib.sh
for w in sleep lockdep kasan; do
	t_ok "about to load testbed_splat.ko what=$w"
	modprobe testbed_splat what=$w
	t_ok "still running after what=$w"
done
