#!/bin/sh
# modes: all
# Test-bed self-test of the QEMU patch, not part of the default run (MSR
# writes from user space taint the kernel): reserved bits of
# MSR_MISC_FEATURES_ENABLES #GP on working/lie-store CPUs and are swallowed
# by absent (upstream) and lie-drop CPUs.
#   tests/vm/run-guest.sh --kernel 6.12 --mode MODE --hidden testbed-msr-reserved
. /opt/cpuidvirt/lib.sh
"$BIN/substrate" --reserved "$CPU_MODE"
