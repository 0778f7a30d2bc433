#!/bin/bash
# capture.sh [KERNEL...]   (default: 6.1 6.12)
#
# Records what the cpuidvirt module really presents, the data that
# tests/unit/test_module_data.c checks profile_emulate() against. Boots one
# test-bed guest per kernel (tests/vm/run-guest.sh --mode working --accel tcg,
# so -cpu Skylake-Client-v4 whatever the host), loads the module and writes
# `cpuidctl dump --cpu 0` outside any profile and inside cgroups with the
# profiles x86-64-v2, custom.profile and clamps.profile into
# KERNEL-Skylake-Client-v4-outside.txt / -inside-NAME.txt beside this script.
#   e.g. tests/data/module/capture.sh 6.12; then make unit-check
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
[ "${1:-}" = -h ] || [ "${1:-}" = --help ] && { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }
kernels=("$@")
[ ${#kernels[@]} -gt 0 ] || kernels=(6.1 6.12)
cpu=Skylake-Client-v4	# run-guest.sh's TCG CPU
names=(outside inside-x86-64-v2 inside-custom inside-clamps)

# The guest side. Kernel messages off the console so that they cannot
# split a dump line; each dump line is tagged so that the host can pick it
# out of the console log. It reaches the guest base64-encoded, as one
# run-guest.sh --cmd, with the two profile files.
guest=$(cat <<EOS
set -e
dmesg -n 1
CG=/sys/fs/cgroup
echo $(base64 -w0 "$here/custom.profile") | base64 -d >/tmp/custom.profile
echo $(base64 -w0 "$here/clamps.profile") | base64 -d >/tmp/clamps.profile
EOS
cat <<'EOS'
# The module as the scenarios load it: installed, else the test bed's .ko.
if [ -n "$(find /lib/modules/"$(uname -r)" -name 'cpuidvirt.ko*' | head -n1)" ]; then
	cpuidctl load
else
	cpuidctl load --path "$(find /opt/cpuidvirt -name cpuidvirt.ko | head -n1)"
fi
cpuidctl dump --cpu 0 >/tmp/cap.outside
for p in x86-64-v2 custom clamps; do
	spec=$p
	[ $p = x86-64-v2 ] || spec=/tmp/$p.profile
	mkdir $CG/cap-$p
	cpuidctl profile apply $spec cap-$p
	sh -c 'echo $$ >"$0/cgroup.procs" && exec cpuidctl dump --cpu 0' \
		$CG/cap-$p >/tmp/cap.inside-$p
done
for f in outside inside-x86-64-v2 inside-custom inside-clamps; do
	sed "s/^/CAPTURE $f /" /tmp/cap.$f
done
echo CAPTURE-DONE
EOS
)
cmd="echo $(printf '%s\n' "$guest" | base64 -w0) | base64 -d >/tmp/capture.sh && sh /tmp/capture.sh"

rc=0
for k in "${kernels[@]}"; do
	log=$top/build/logs/$k-working-capture.log
	echo "capture: booting $k (tcg, $cpu) ..." >&2
	if ! "$top/tests/vm/run-guest.sh" --kernel "$k" --mode working --accel tcg \
		--tag capture --quiet --cmd "$cmd"; then
		echo "capture: the $k guest failed; console log: $log" >&2
		rc=1
		continue
	fi
	grep -q '^CAPTURE-DONE' "$log" || { echo "capture: no CAPTURE-DONE in $log" >&2; rc=1; continue; }
	for n in "${names[@]}"; do
		out=$here/$k-$cpu-$n.txt
		sed -n "s/^CAPTURE $n //p" "$log" >"$out.new"
		# A dump: the "CPU:" header and well-formed entries, nothing else.
		if [ "$(head -n1 "$out.new")" != "CPU:" ] ||
			grep -v -x -E 'CPU:|   0x[0-9a-f]{8} 0x[0-9a-f]{2}: eax=0x[0-9a-f]{8} ebx=0x[0-9a-f]{8} ecx=0x[0-9a-f]{8} edx=0x[0-9a-f]{8}' "$out.new" | grep -q .; then
			echo "capture: $out.new is not a clean dump (see $log)" >&2
			rc=1
			continue
		fi
		mv "$out.new" "$out"
		echo "capture: $out ($(grep -c ': eax=' "$out") entries)"
	done
done
exit $rc
