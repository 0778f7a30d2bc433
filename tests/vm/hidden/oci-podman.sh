#!/bin/sh
# modes: working
# kernels: 6.1 6.12
# The OCI hook through podman (issue 10, item 6), in the boot
# run-guest.sh --podman --hidden oci-podman (make check: 6.1- and
# 6.12-working-podman,
# tests/vm/matrix.sh --podman). Debian's podman 4.3 and conmon, rootful,
# vfs storage, --network none, cgroupfs (tests/vm/podman/*.conf); the
# hooks.d files as `make install` writes them; an image imported from a
# tarball of guest files (busybox, the static CPUID probe, glibc's ld.so).
# An annotated container sees the profile (probe and ld.so), others the
# host; podman rm detaches it; a missing module and a bad profile make
# podman run fail, with the hook's message in podman's error under runc
# and only its exit code under crun (which drops a hook's stderr), and in
# syslog under both.
. /opt/cpuidvirt/lib.sh

CTL=cpuidctl
W=/tmp/podman
IMG=localhost/cvprobe
LDSO=/lib64/ld-linux-x86-64.so.2
HOOKS=/usr/share/containers/oci/hooks.d
PROFILES=/etc/cpuidvirt/profiles
ANN=io.cpuidvirt.profile
# The probe prints leaves 1 and 7 tagged, then glibc's view of leaf 7 ebx
# and whether ld.so finds x86-64-v3.
SHOW="for l in 1 7; do printf 'leaf %s.0 ' \$l; cpuidq \$l 0; done; \
$LDSO --list-diagnostics | grep -F 'x86.cpu_features.features[0x1].cpuid[0x1]='; \
$LDSO --help | grep -F x86-64-v3"

if ! command -v podman >/dev/null; then
	t_fail "podman is in the guest" "boot with run-guest.sh --podman"
	t_done
fi
t_ok "podman is in the guest"
for h in cpuidvirt-create-runtime.json cpuidvirt-poststop.json; do
	t_match "make install's $h names the guest's cpuidctl" '"path": "/usr/sbin/cpuidctl"' \
		"$(cat $HOOKS/$h 2>&1)"
done

rm -rf $W
mkdir -p $W/root/bin $W/root/lib64 $PROFILES
for d in proc dev sys tmp etc; do mkdir -p $W/root/$d; done
cp /usr/bin/busybox $W/root/bin/
for a in sh sleep grep printf; do ln -s busybox $W/root/bin/$a; done
cp $BIN/cpuidq.static $W/root/bin/cpuidq
cp $LDSO $W/root/lib64/
tar -C $W/root -cf $W/cvprobe.tar .
printf '# broken on purpose\nmask no-such-feature\n' >$PROFILES/broken.profile

syslogd -n -O $W/syslog &
SYSLOGD=$!
trap 'kill $SYSLOGD 2>/dev/null' EXIT
i=0
while [ ! -S /dev/log ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

t_check "cpuidctl load" $CTL load
t_check "podman import of the probe tarball" podman import -q $W/cvprobe.tar $IMG
t_match "podman images lists it" "^$IMG " "$(podman images --format '{{.Repository}} {{.Tag}}' 2>&1)"

# prun [PODMAN RUN OPTIONS] -- CMD: podman run --rm with the image, output
# and status in R_OUT/R_RC (no result line).
prun()
{
	_o=
	while [ "$1" != -- ]; do _o="$_o $1"; shift; done
	shift
	: >$W/syslog
	R_OUT=$(podman run --rm --network none $_o $IMG sh -c "$*" 2>&1 </dev/null)
	R_RC=$?
}

reg()	# reg LEAF REG OUTPUT: one register of the probe's leaf LEAF.0 line
{
	printf '%s\n' "$3" | grep "^leaf $1.0 " | sed -n "s/.*$2=\([0-9a-f]*\).*/\1/p"
}

bit()
{
	echo $(( (0x$1 >> $2) & 1 ))
}

diag()	# ld.so's leaf 7 ebx, in hex like the probe's
{
	_v=$(printf '%s\n' "$1" | sed -n 's/^x86.cpu_features.features\[0x1\].cpuid\[0x1\]=//p')
	[ -z "$_v" ] || printf '%08x\n' "$_v"
}

no_profiles()	# DESC: no profile attached, no hook state left
{
	_t_run $CTL profile list
	if [ "$T_RC" = 0 ] && [ -z "$T_OUT" ] && [ -z "$(ls /run/cpuidvirt 2>/dev/null)" ]; then
		t_ok "$1"
	else
		t_fail "$1" "profile list (exit $T_RC): $T_OUT" "state files: $(ls /run/cpuidvirt 2>&1)"
	fi
}

# refused DESC CODE: the last podman run failed (podman's 126: the OCI
# runtime failed) and the container's program never ran.
refused()
{
	t_eq "$1: podman run exits 126" 126 "$R_RC" || _t_diag "$R_OUT"
	t_eq "$1: the container's program never ran" "" "$(reg 7 ebx "$R_OUT")"
}

# logged DESC REGEX: the hook's message is in syslog.
logged()
{
	_i=0
	while [ $_i -lt 30 ] && ! grep -Eq -- "$2" $W/syslog; do
		sleep 0.1
		_i=$((_i + 1))
	done
	t_match "$1 (syslog)" "cpuidctl\[[0-9]+\]: .*($2)" "$(cat $W/syslog)"
}

host=$(sh -c "PATH=$BIN:\$PATH; $SHOW")
host7=$(reg 7 ebx "$host")
host1=$(reg 1 ecx "$host")
t_eq "precondition: the guest CPU has avx2 (7.0 ebx bit 5)" 1 "$(bit "${host7:-0}" 5)"
t_match "precondition: the guest's ld.so supports x86-64-v3" 'x86-64-v3 \(supported' "$host"

# --- without the annotation: the host's CPU ---------------------------------
prun -- "$SHOW"
t_eq "unannotated: podman run exits 0" 0 "$R_RC" || _t_diag "$R_OUT"
t_eq "unannotated: the probe sees the host's leaf 7 ebx" "$host7" "$(reg 7 ebx "$R_OUT")"
t_eq "unannotated: the probe sees the host's leaf 1 ecx" "$host1" "$(reg 1 ecx "$R_OUT")"
t_eq "unannotated: ld.so sees the host's leaf 7 ebx" "$host7" "$(diag "$R_OUT")"
t_match "unannotated: ld.so supports x86-64-v3" 'x86-64-v3 \(supported' "$R_OUT"
t_eq "unannotated: the hook never ran (no state, nothing in syslog)" "" \
	"$(ls /run/cpuidvirt 2>/dev/null; grep cpuidctl $W/syslog)"

# --- with the annotation, under each runtime --------------------------------
for rt in crun runc; do
	prun --runtime $rt --annotation $ANN=x86-64-v2 -- "$SHOW"
	t_eq "$rt x86-64-v2: podman run exits 0" 0 "$R_RC" || _t_diag "$R_OUT"
	in7=$(reg 7 ebx "$R_OUT")
	in1=$(reg 1 ecx "$R_OUT")
	# An empty parse must not pass as "hidden".
	t_match "$rt x86-64-v2: the probe printed leaf 7 ebx and leaf 1 ecx" \
		'^[0-9a-f]{8} [0-9a-f]{8}$' "$in7 $in1"
	t_eq "$rt x86-64-v2: avx2 hidden from the probe" 0 "$(bit "${in7:-20}" 5)"
	t_eq "$rt x86-64-v2: avx hidden from the probe" 0 "$(bit "${in1:-10000000}" 28)"
	t_eq "$rt x86-64-v2: ld.so --list-diagnostics has the masked leaf 7 ebx" "${in7:-none}" "$(diag "$R_OUT")"
	t_match "$rt x86-64-v2: ld.so does not support x86-64-v3" '^ *x86-64-v3$' "$R_OUT"
	logged "$rt x86-64-v2: the hook attached the profile" \
		"profile x86-64-v2 attached to cgroup /sys/fs/cgroup/[^ ]*libpod-[0-9a-f]{64}"
	no_profiles "$rt x86-64-v2: profile detached once podman run --rm is done"
done

# --- lifecycle: attached while the container exists, podman rm detaches -----
podman run -d --name life --network none --annotation $ANN=x86-64-v2 $IMG sleep 1000 >$W/life.id 2>&1
t_eq "run -d: podman starts the container" 0 "$?" || _t_diag "$(cat $W/life.id)"
id=$(tail -n 1 $W/life.id)
_t_run $CTL profile list
t_match "run -d: cpuidctl profile list shows the container's cgroup" \
	"^/sys/fs/cgroup/[^ ]*libpod-$id x86-64-v2 " "$T_OUT"
t_match "run -d: the hook's state file names the container" "^cgroup_id [0-9]+$" \
	"$(cat /run/cpuidvirt/$id 2>&1)"
_t_run podman exec life sh -c "cpuidq 7 0"
t_eq "podman exec: the probe sees avx2 hidden" 0 "$(bit "$(echo "$T_OUT" | sed -n 's/.*ebx=\([0-9a-f]*\).*/\1/p')" 5)"
t_check "podman rm -f removes the running container" podman rm -f -t 0 life
no_profiles "podman rm: no profile attached, no state file"
_t_run $CTL status
t_exit "podman rm: cpuidctl status lists no libpod cgroup" 1 grep -q libpod <<EOF
$T_OUT
EOF

podman create --name made --network none --annotation $ANN=x86-64-v2 $IMG sleep 1000 >/dev/null 2>&1
t_check "podman init (createRuntime runs, nothing started)" podman init made
t_match "podman init: the profile is attached" "libpod-[0-9a-f]{64} x86-64-v2 " "$($CTL profile list 2>&1)"
t_check "podman rm of the initialised container" podman rm made
no_profiles "podman rm after init: no profile attached, no state file"

# --- a missing module: podman run fails; the message reaches the user -------
rmmod cpuidvirt
t_exit "the module can be unloaded for the no-module case" 1 grep -q '^cpuidvirt ' /proc/modules
prun --runtime runc --annotation $ANN=x86-64-v2 -- "$SHOW"
refused "runc, no module"
t_match "runc, no module: podman's error has the hook's message" \
	"stderr: cpuidctl oci-hook: the cpuidvirt module is not loaded \(no /dev/cpuidvirt\); run 'cpuidctl load'" "$R_OUT"
# podman reads "no such file or directory" in a runtime's error as its own
# command missing (exit 127, "OCI runtime attempted to invoke a command
# that was not found"): the hook's message must not say it.
t_exit "runc, no module: podman does not blame a missing command" 1 grep -qi 'not found' <<EOF
$R_OUT
EOF
logged "runc, no module: the message says the container must not start" \
	"profile x86-64-v2 not applied: the container must not start"
prun --runtime crun --annotation $ANN=x86-64-v2 -- "$SHOW"
refused "crun, no module"
t_match "crun, no module: podman's error has the hook's exit code 3" \
	'error executing hook `/usr/sbin/cpuidctl` \(exit code: 3\)' "$R_OUT"
logged "crun, no module: the message says the module is not loaded" \
	"the cpuidvirt module is not loaded"
prun --runtime crun --annotation $ANN=x86-64-v2 --annotation io.cpuidvirt.allow-unmasked=true -- "$SHOW"
t_eq "no module + allow-unmasked: the container runs" 0 "$R_RC" || _t_diag "$R_OUT"
t_eq "no module + allow-unmasked: it sees the host" "$host7" "$(reg 7 ebx "$R_OUT")"
t_check "cpuidctl load again" $CTL load

# --- a bad profile: never bypassed ------------------------------------------
prun --runtime runc --annotation $ANN=broken --annotation io.cpuidvirt.allow-unmasked=true -- "$SHOW"
refused "runc, invalid profile"
t_match "runc, invalid profile: podman's error has the hook's file:line message" \
	"stderr: cpuidctl oci-hook: annotation $ANN=\"broken\": $PROFILES/broken.profile:2: unknown feature 'no-such-feature'" "$R_OUT"
prun --runtime runc --annotation $ANN=no-such-profile -- "$SHOW"
refused "runc, unknown profile"
t_match "runc, unknown profile: podman's error says so" "stderr: cpuidctl oci-hook: .*no such profile" "$R_OUT"
prun --runtime crun --annotation $ANN=broken -- "$SHOW"
refused "crun, invalid profile"
t_match "crun, invalid profile: podman's error has the hook's exit code 5" \
	'error executing hook `/usr/sbin/cpuidctl` \(exit code: 5\)' "$R_OUT"
logged "crun, invalid profile: the message has file:line" "broken.profile:2: unknown feature"

podman rm -a -f -t 0 >/dev/null 2>&1
no_profiles "at the end no profile is attached and no state file is left"
t_done
