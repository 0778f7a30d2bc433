# shellcheck shell=sh
# Sourced by run-guest.sh and stale-int3.sh: splat_re, an ERE for the
# first line of a kernel report in a console log: WARN(), BUG (also
# KASAN, KFENCE, atomic sleep, scheduling while atomic), oops, panic,
# lockdep, UBSAN, RCU stalls, hangs. (Plain "WARNING:" is not enough: boot
# messages such as RETBleed's use it.) The guest's init.sh has its own,
# for dmesg inside the guest.
splat_re='cut here \]|WARNING: CPU: [0-9]+ PID:|WARNING: (possible|suspicious|bad unlock|lock held|held lock|inconsistent|[Nn]ested lock)|\] BUG: |kernel BUG at|Oops: |Kernel panic|general protection fault|inconsistent lock state|sleeping function called from invalid context|scheduling while atomic|INFO: task .* blocked for more than|soft lockup|hard LOCKUP|UBSAN:|KASAN:|KFENCE:|detected stalls on CPUs'
