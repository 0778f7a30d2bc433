#!/bin/sh
# modes: absent working lie-drop lie-store amd-native amd-native-lie-drop amd-native-lie-store
# kernels: 6.1 6.12
# flavours: generic rt cloud
# The OCI hook with a real runtime: Debian's crun runs bundles whose
# config.json carries hooks.createRuntime/poststop = cpuidctl oci-hook.
# Annotated containers see the profile (cpuidq and glibc's ld.so), others
# the host; the profile is gone once the container is deleted; without the
# module, or on a CPU whose faulting is absent or lying, an annotated
# container does not start unless io.cpuidvirt.allow-unmasked=true.
. /opt/cpuidvirt/lib.sh

CTL=cpuidctl
W=/tmp/oci
CG=/sys/fs/cgroup
LDSO=/lib64/ld-linux-x86-64.so.2
# No systemd in the guest; the initramfs root cannot be pivot_root'ed.
CRUN="crun --cgroup-manager=cgroupfs"
RUNARGS="--no-pivot"

rm -rf $W
mkdir -p $W/profiles $W/rootfs
printf 'mask avx2\n' >$W/profiles/noavx2.profile
printf '# broken on purpose\nmask no-such-feature\n' >$W/profiles/broken.profile

# The container's root: the guest's own /usr and /opt, bind-mounted read-only.
for d in usr opt proc dev tmp sys; do mkdir -p $W/rootfs/$d; done
for d in bin sbin lib lib64; do ln -s usr/$d $W/rootfs/$d; done

# bundle NAME ANNOTATIONS CMD: a bundle whose process runs sh -c CMD; the
# hook applies at $STAGE (default createRuntime).
# ANNOTATIONS are JSON members ('"k": "v", ...'). crun gives hooks no
# stderr unless run.oci.hooks.stderr names a file: $W/NAME.hookerr.
bundle()
{
	mkdir -p $W/$1
	ln -sfn ../rootfs $W/$1/rootfs
	cat >$W/$1/config.json <<EOF
{
	"ociVersion": "1.0.2",
	"process": {
		"terminal": false,
		"user": { "uid": 0, "gid": 0 },
		"args": [ "/bin/sh", "-c", "$3" ],
		"env": [ "PATH=/usr/sbin:/usr/bin:/sbin:/bin" ],
		"cwd": "/"
	},
	"root": { "path": "rootfs", "readonly": true },
	"hostname": "oci-$1",
	"mounts": [
		{ "destination": "/proc", "type": "proc", "source": "proc" },
		{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
		  "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
		{ "destination": "/tmp", "type": "tmpfs", "source": "tmpfs" },
		{ "destination": "/usr", "type": "bind", "source": "/usr",
		  "options": [ "rbind", "ro" ] },
		{ "destination": "/opt", "type": "bind", "source": "/opt",
		  "options": [ "rbind", "ro" ] }
	],
	"annotations": { $2${2:+,} "run.oci.hooks.stderr": "$W/$1.hookerr" },
	"hooks": {
		"${STAGE:-createRuntime}": [ { "path": "/usr/sbin/cpuidctl",
			"args": [ "cpuidctl", "oci-hook", "--profile-dir", "$W/profiles", "${STAGE:-createRuntime}" ] } ],
		"poststop": [ { "path": "/usr/sbin/cpuidctl",
			"args": [ "cpuidctl", "oci-hook", "poststop" ] } ]
	},
	"linux": {
		"cgroupsPath": "/cvoci/$1",
		"namespaces": [ { "type": "pid" }, { "type": "mount" },
				{ "type": "ipc" }, { "type": "uts" } ]
	}
}
EOF
}

# The hook also reports to syslog: a busybox syslogd writes it to a file,
# emptied before each run so that a check sees only that run's messages.
syslogd -n -O $W/syslog &
SYSLOGD=$!
trap 'kill $SYSLOGD 2>/dev/null' EXIT
i=0
while [ ! -S /dev/log ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

# run NAME: crun run, output and status in R_OUT/R_RC (no result line).
run()
{
	: >$W/syslog
	R_OUT=$($CRUN run $RUNARGS --bundle $W/$1 "$1" 2>&1 </dev/null)
	R_RC=$?
}

# said NAME DESC REGEX: the hook's message for container NAME is on its
# stderr (run.oci.hooks.stderr) and in syslog.
said()
{
	t_match "$2 (hook stderr)" "$3" "$(cat $W/$1.hookerr 2>&1)"
	_i=0
	while [ $_i -lt 30 ] && ! grep -Eq -- "$3" $W/syslog; do
		sleep 0.1
		_i=$((_i + 1))
	done
	t_match "$2 (syslog)" "cpuidctl\[[0-9]+\]: .*($3)" "$(cat $W/syslog)"
}

# refused DESC: the last run failed cleanly: non-zero (crun says 255),
# not killed by a signal (129..192).
refused()
{
	if [ "$R_RC" != 0 ] && { [ "$R_RC" -le 128 ] || [ "$R_RC" -gt 192 ]; }; then
		t_ok "$1"
	else
		t_fail "$1" "exit status: $R_RC" "$R_OUT"
	fi
}

reg()	# reg LEAF SUBLEAF REG OUTPUT: one register from cpuidq output
{
	printf '%s\n' "$4" | grep "^leaf $1.$2 " | sed -n "s/.*$3=\([0-9a-f]*\).*/\1/p"
}

bit()
{
	echo $(( (0x$1 >> $2) & 1 ))
}

# The container (and the host reference) print leaves 1 and 7 tagged.
SHOW="for l in 1 7; do printf 'leaf %s.0 ' \$l; $BIN/cpuidq \$l 0; done"
host=$(sh -c "$SHOW")
host_ebx7=$(reg 7 0 ebx "$host")
host_ecx1=$(reg 1 0 ecx "$host")
t_eq "precondition: the guest CPU has avx2 (7.0 ebx bit 5)" 1 "$(bit "$host_ebx7" 5)"

no_profiles()	# DESC: cpuidctl profile list prints nothing
{
	_t_run $CTL profile list
	if [ "$T_RC" = 0 ] && [ -z "$T_OUT" ]; then t_ok "$1"; else
		t_fail "$1" "exit status: $T_RC" "$T_OUT"; fi
}

# --- crun works at all: an unannotated container sees the host -----------
bundle plain '' "$SHOW"
run plain
if [ "$R_RC" != 0 ]; then
	t_fail "crun runs an unannotated container" "exit status: $R_RC" "$R_OUT"
	t_done
fi
t_ok "crun runs an unannotated container"
t_eq "unannotated container sees the host's leaf 7" "$host_ebx7" "$(reg 7 0 ebx "$R_OUT")"
t_eq "unannotated container sees the host's leaf 1" "$host_ecx1" "$(reg 1 0 ecx "$R_OUT")"
t_eq "no state file for an unannotated container" "" "$(ls /run/cpuidvirt 2>/dev/null)"

# --- module not loaded: fail closed, or run unmasked if allowed ------------
rmmod cpuidvirt 2>/dev/null
if grep -q '^cpuidvirt ' /proc/modules; then
	t_fail "cpuidvirt can be unloaded for the no-module case" "$(cpuidctl profile list 2>&1)"
else
	bundle nomod '"io.cpuidvirt.profile": "x86-64-v2"' "$SHOW"
	run nomod
	refused "no module: crun refuses the annotated container"
	said nomod "no module: the message says the module is not loaded" \
		"cpuidvirt module is not loaded"
	said nomod "no module: the message says the container must not start" \
		"container nomod: profile x86-64-v2 not applied"
	t_eq "no module: the container's program never ran" "" "$(reg 7 0 ebx "$R_OUT")"
	$CRUN delete -f nomod >/dev/null 2>&1

	bundle nomodok '"io.cpuidvirt.profile": "x86-64-v2", "io.cpuidvirt.allow-unmasked": "true"' "$SHOW"
	run nomodok
	t_eq "no module + allow-unmasked: the container runs" 0 "$R_RC"
	said nomodok "no module + allow-unmasked: warns that it runs unmasked" "container nomodok runs UNMASKED"
	t_eq "no module + allow-unmasked: sees the host" "$host_ebx7" "$(reg 7 0 ebx "$R_OUT")"
fi

$CTL load >$W/load.out 2>&1
load_rc=$?

if [ "$CPU_MODE" != working ] && [ "$CPU_MODE" != amd-native ]; then
	# --- no usable faulting: the container must not start ---------------
	t_eq "$CPU_MODE: cpuidctl load reports unusable faulting (exit 4)" 4 "$load_rc"
	bundle nofault '"io.cpuidvirt.profile": "x86-64-v2"' "$SHOW"
	run nofault
	refused "$CPU_MODE: crun refuses the annotated container"
	case $CPU_MODE in
	absent) want='absent|not loaded' ;;
	*) want='lying' ;;
	esac
	said nofault "$CPU_MODE: the message names the cause" "CPUID faulting is ($want)|module is not loaded"
	t_eq "$CPU_MODE: the container's program never ran" "" "$(reg 7 0 ebx "$R_OUT")"
	$CRUN delete -f nofault >/dev/null 2>&1

	bundle nofaultok '"io.cpuidvirt.profile": "x86-64-v2", "io.cpuidvirt.allow-unmasked": "true"' "$SHOW"
	run nofaultok
	t_eq "$CPU_MODE + allow-unmasked: the container runs" 0 "$R_RC"
	t_eq "$CPU_MODE + allow-unmasked: sees the host" "$host_ebx7" "$(reg 7 0 ebx "$R_OUT")"
	said nofaultok "$CPU_MODE + allow-unmasked: warns that it runs unmasked" "container nofaultok runs UNMASKED"
	t_eq "$CPU_MODE: no state files left" "" "$(ls /run/cpuidvirt 2>/dev/null)"
	t_done
fi

t_eq "cpuidctl load succeeds" 0 "$load_rc"

# --- annotated with a built-in: cpuidq and ld.so see x86-64-v2 ------------
bundle v2 '"io.cpuidvirt.profile": "x86-64-v2"' \
	"$SHOW; $LDSO --list-diagnostics | grep -F 'x86.cpu_features.features[0x1].cpuid[0x1]='; $LDSO --help | grep -F 'x86-64-v3'"
run v2
t_eq "x86-64-v2 container runs" 0 "$R_RC"
in_ebx7=$(reg 7 0 ebx "$R_OUT")
in_ecx1=$(reg 1 0 ecx "$R_OUT")
# An empty parse must not pass as "hidden": the defaults have the bit set.
t_match "x86-64-v2 container: cpuidq printed leaf 7 ebx and leaf 1 ecx" \
	'^[0-9a-f]{8} [0-9a-f]{8}$' "$in_ebx7 $in_ecx1"
t_eq "x86-64-v2 container: avx2 hidden from cpuidq" 0 "$(bit "${in_ebx7:-20}" 5)"
t_eq "x86-64-v2 container: avx hidden from cpuidq" 0 "$(bit "${in_ecx1:-10000000}" 28)"
diag=$(printf '%s\n' "$R_OUT" | sed -n 's/^x86.cpu_features.features\[0x1\].cpuid\[0x1\]=//p')
t_eq "x86-64-v2 container: ld.so --list-diagnostics has the masked leaf 7 ebx" \
	"$((0x${in_ebx7:-1}))" "$((${diag:-0}))"
t_match "x86-64-v2 container: ld.so does not support x86-64-v3" '^ *x86-64-v3$' "$R_OUT"
t_match "host: ld.so supports x86-64-v3" 'x86-64-v3 \(supported' "$($LDSO --help)"
no_profiles "x86-64-v2: no profile left after the container stopped"
t_eq "x86-64-v2: no state file left" "" "$(ls /run/cpuidvirt 2>/dev/null)"

# --- a profile file from --profile-dir: only avx2 masked -------------------
bundle noavx2 '"io.cpuidvirt.profile": "noavx2"' "$SHOW"
run noavx2
t_eq "noavx2 container runs" 0 "$R_RC"
t_eq "noavx2 container: avx2 hidden" 0 "$(bit "$(reg 7 0 ebx "$R_OUT")" 5)"
t_eq "noavx2 container: avx still visible" "$(bit "$host_ecx1" 28)" "$(bit "$(reg 1 0 ecx "$R_OUT")" 28)"
no_profiles "noavx2: no profile left after the container stopped"

# --- the prestart stage, for runtimes without createRuntime --------------
STAGE=prestart bundle pre '"io.cpuidvirt.profile": "x86-64-v2"' "$SHOW"
run pre
t_eq "prestart hook: container runs" 0 "$R_RC"
t_eq "prestart hook: avx2 hidden" 0 "$(bit "$(reg 7 0 ebx "$R_OUT")" 5)"
no_profiles "prestart hook: no profile left after the container stopped"

# --- lifecycle: create, idempotent hook, start, delete ---------------------
bundle life '"io.cpuidvirt.profile": "x86-64-v2"' "$SHOW"
$CRUN create $RUNARGS --bundle $W/life life >$W/life.out 2>&1 </dev/null
t_eq "create: crun create succeeds" 0 "$?"
_t_run $CTL profile list
t_match "create: the profile is attached to the container's cgroup" "^$CG/cvoci/life x86-64-v2 " "$T_OUT"
t_eq "create: the state file names the cgroup as list prints it" "$CG/cvoci/life" \
	"$(sed -n 's/^cgroup //p' /run/cpuidvirt/life 2>&1)"
t_match "create: the hook remembered the cgroup id" "^cgroup_id [0-9]+$" "$(cat /run/cpuidvirt/life 2>&1)"
cid=$(sed -n 's/^cgroup_id //p' /run/cpuidvirt/life 2>/dev/null)
t_eq "create: remembered id is the cgroup's inode" "$(stat -c %i $CG/cvoci/life 2>&1)" "$cid"
$CRUN state life >$W/life.state 2>&1
t_exit "createRuntime again (same state) exits 0" 0 sh -c "$CTL oci-hook --profile-dir $W/profiles createRuntime <$W/life.state"
t_eq "createRuntime again: still exactly one profile" 1 "$($CTL profile list | grep -c .)"
t_check "start: crun start succeeds" $CRUN start life
i=0
while [ $i -lt 50 ] && ! $CRUN state life 2>/dev/null | grep -q '"stopped"'; do
	sleep 0.2
	i=$((i + 1))
done
t_eq "start: the container saw the profile" 0 "$(bit "$(reg 7 0 ebx "$(cat $W/life.out)")" 5)"
t_check "delete: crun delete succeeds (runs poststop)" $CRUN delete life
no_profiles "delete: the profile is gone"
t_eq "delete: the state file is gone" "" "$(ls /run/cpuidvirt 2>/dev/null)"
t_exit "poststop again exits 0" 0 sh -c "echo '{\"ociVersion\":\"1.0.2\",\"id\":\"life\",\"status\":\"stopped\",\"bundle\":\"$W/life\"}' | $CTL oci-hook poststop"

# --- bad profiles: never bypassed ------------------------------------------
bundle broken '"io.cpuidvirt.profile": "broken", "io.cpuidvirt.allow-unmasked": "true"' "$SHOW"
run broken
refused "invalid profile: crun refuses the container (even with allow-unmasked)"
said broken "invalid profile: the message has file:line" "broken.profile:2: "
t_eq "invalid profile: the program never ran" "" "$(reg 7 0 ebx "$R_OUT")"
$CRUN delete -f broken >/dev/null 2>&1

bundle unknown '"io.cpuidvirt.profile": "no-such-profile"' "$SHOW"
run unknown
refused "unknown profile: crun refuses the container"
said unknown "unknown profile: the message says so" "no such profile"
$CRUN delete -f unknown >/dev/null 2>&1

bundle escape '"io.cpuidvirt.profile": "../../etc/passwd"' "$SHOW"
run escape
refused "profile name with a path: refused"
said escape "profile name with a path: the message says why" "not a profile name"
$CRUN delete -f escape >/dev/null 2>&1

no_profiles "at the end no profile is attached"
t_eq "at the end no state file is left" "" "$(ls /run/cpuidvirt 2>/dev/null)"
t_done
