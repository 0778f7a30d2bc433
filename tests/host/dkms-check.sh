#!/bin/bash
# Host-side DKMS test: real `dkms add/build/install` of cpuidvirt through
# `make dkms-install`, for both guest kernels (6.1 and 6.12, ABI names from
# scripts/kvers.sh), dkms build/install for the flavoured kernels of
# KERNELS (rt, cloud, debug: tests/vm/matrix.sh), then an upgrade and
# `make dkms-uninstall`.
#
# dkms runs against private trees under build/dkms/ (--dkmstree,
# --sourcetree, --installtree, and a private MOK key), so the test neither
# needs nor touches /usr/src, /var/lib/dkms or /lib/modules. The modules it
# built are kept for the guests as build/dkms/ko/<KVER>/cpuidvirt.ko.
#
# Results: build/results/dkms.tap ("ok - dkms: ..." / "not ok - dkms: ...").
# Exit status: 0 iff every check passed.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$TOP/build/dkms
RESULTS=$TOP/build/results
TAP=$RESULTS/dkms.tap
LOG=$T/log
mkdir -p "$RESULTS" "$TOP/build"
# One run at a time: make check and a developer may start it together.
exec 9>"$TOP/build/dkms.lock"
flock 9
: >"$TAP"
failed=0

ok() { echo "ok - dkms: $1" | tee -a "$TAP"; }
nok()
{
	echo "not ok - dkms: $1" | tee -a "$TAP"
	shift
	[ $# -eq 0 ] || printf '    # %s\n' "$@" | tee -a "$TAP"
	failed=1
}
# check DESC CMD...: ok iff CMD exits 0; its output is kept in $LOG.
check()
{
	local d=$1
	shift
	if "$@" >"$LOG.last" 2>&1; then
		ok "$d"
	else
		nok "$d" "command: $*" "exit status: $?" "$(tail -n 15 "$LOG.last")"
	fi
	cat "$LOG.last" >>"$LOG"
}
eq()
{
	if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "expected: '$2'" "actual:   '$3'"; fi
}

# The flavoured kernels make check boots (rt, cloud, debug; KERNELS as in
# tests/vm/matrix.sh): dkms builds against their extracted headers.
FLAVOURS=
for k in ${KERNELS-$("$TOP/tests/vm/matrix.sh" --kernels)}; do
	case $k in *-*) FLAVOURS="$FLAVOURS $k" ;; esac
done
kvers=$(sh "$TOP/scripts/kvers.sh") || { nok "resolve kernel ABI names" "scripts/kvers.sh failed"; exit 1; }
k61=$(echo "$kvers" | awk '$1 == "6.1" { print $2 }')
k612=$(echo "$kvers" | awk '$1 == "6.12" { print $2 }')
KERNELS="$k61 $k612"
for k in $KERNELS; do
	[ -d "/lib/modules/$k/build" ] ||
		{ nok "headers for $k" "/lib/modules/$k/build is missing: run scripts/install-deps.sh"; exit 1; }
done
command -v dkms >/dev/null || { nok "dkms installed" "no dkms: run scripts/install-deps.sh"; exit 1; }

rm -rf "$T"
mkdir -p "$T/src" "$T/tree" "$T/ko"
: >"$LOG"
# dkms installs only into an existing kernel's module directory.
for k in $KERNELS; do mkdir -p "$T/install/$k"; done
FLAGS="--dkmstree $T/tree --sourcetree $T/src --installtree $T/install --no-depmod"
export mok_signing_key=$T/mok.key mok_certificate=$T/mok.pub
MK=(make -s -C "$TOP" DKMS_SOURCE_TREE="$T/src" DKMS_FLAGS="$FLAGS")
dk() { dkms "$1" $FLAGS "${@:2}"; }

VERSION=$(make -s --no-print-directory -C "$TOP" dkms-version 2>/dev/null)
[ -n "$VERSION" ] || { nok "module version" "CPUIDVIRT_VERSION is empty"; exit 1; }

# 1. Install for both kernels, as a user would (plus the private trees).
check "make dkms-install builds and installs for $k61 and $k612" \
	"${MK[@]}" dkms-install DKMS_KERNELS="$KERNELS"

src=$T/src/cpuidvirt-$VERSION
files=$(cd "$src" 2>/dev/null && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')
# module/gen-capnames.sh generates the flag names at build time (views).
extra=$(echo "$files" | tr ' ' '\n' | grep -Ev '^(Kbuild|dkms\.conf|module/[^/]+\.[ch]|module/gen-capnames\.sh|uapi/linux/cpuidvirt\.h)$' | tr '\n' ' ' | sed 's/ *$//')
eq "source tree has only Kbuild, dkms.conf, module/ (sources, gen-capnames.sh), uapi/" "" "$extra"
eq "source tree has Kbuild and dkms.conf" "yes" \
	"$([ -f "$src/Kbuild" ] && [ -f "$src/dkms.conf" ] && echo yes)"
eq "installed dkms.conf carries the version" "PACKAGE_VERSION=\"$VERSION\"" \
	"$(grep '^PACKAGE_VERSION=' "$src/dkms.conf" 2>/dev/null)"

# 1b. The flavoured kernels, as a user of such a kernel would (dkms build
# and install); their headers are not installed, so --kernelsourcedir, and
# sign-file from those headers or else the host's (it is generic).
for f in $FLAVOURS; do
	kv=$(sh "$TOP/scripts/kvers.sh" "$f") || { nok "kernel ABI name of $f" "scripts/kvers.sh $f failed"; continue; }
	kd=/lib/modules/$kv/build
	[ -d "$kd" ] || kd=$("$TOP/tests/vm/fetch-kernel.sh" "$f")/lib/modules/$kv/build
	sf=$kd/scripts/sign-file
	[ -x "$sf" ] || sf=$(ls /usr/lib/linux-kbuild-*/scripts/sign-file 2>/dev/null | head -n1)
	mkdir -p "$T/install/$kv"
	check "dkms build and install for $f ($kv)" env sign_file="$sf" bash -c \
		'dkms build $1 -m cpuidvirt -v $2 -k $3 --kernelsourcedir $4 &&
		dkms install $1 -m cpuidvirt -v $2 -k $3 --kernelsourcedir $4' \
		sh "$FLAGS" "$VERSION" "$kv" "$kd"
	KERNELS="$KERNELS $kv"
done

status=$(dk status -m cpuidvirt 2>/dev/null)
for k in $KERNELS; do
	case $status in
	*"cpuidvirt/$VERSION, $k, x86_64: installed"*) ok "dkms status: installed for $k" ;;
	*) nok "dkms status: installed for $k" "$status" ;;
	esac
	ko=$(ls "$T/install/$k/updates/dkms/"cpuidvirt.ko* 2>/dev/null | head -n1)
	if [ -z "$ko" ]; then
		nok "module installed in $k's updates/dkms" "$(ls -lR "$T/install/$k" 2>&1)"
		continue
	fi
	ok "module installed in $k's updates/dkms"
	# vermagic starts with the kernel release the module can load into.
	vm=$(modinfo -F vermagic "$ko" 2>&1)
	eq "vermagic of the $k module" "$k" "${vm%% *}"
	eq "name of the $k module" "cpuidvirt" "$(modinfo -F name "$ko" 2>&1)"
	# Debian's dkms signs with its MOK key: what Secure Boot needs (docs/install.md).
	eq "the $k module is signed with the DKMS MOK key" "DKMS module signing key" \
		"$(modinfo -F signer "$ko" 2>&1)"
	# Kept for the guest scenario that loads the DKMS build.
	mkdir -p "$T/ko/$k"
	case $ko in
	*.xz) xz -dc "$ko" >"$T/ko/$k/cpuidvirt.ko" ;;
	*.zst) zstd -qdc "$ko" >"$T/ko/$k/cpuidvirt.ko" ;;
	*) cp "$ko" "$T/ko/$k/cpuidvirt.ko" ;;
	esac
	[ -s "$T/ko/$k/cpuidvirt.ko" ] || nok "copy of the $k module for the guest" "$ko"
done

# 2. dkms.conf refuses what it does not support, before looking for headers.
rc=0; out=$(dk build -m cpuidvirt -v "$VERSION" -k 6.0.19-1-amd64 2>&1) || rc=$?
eq "dkms build for a 6.0 kernel is excluded (exit 77)" 77 "$rc"
rc=0; out=$(dk build -m cpuidvirt -v "$VERSION" -k 5.10.0-30-amd64 2>&1) || rc=$?
eq "dkms build for a 5.10 kernel is excluded (exit 77)" 77 "$rc"
case $out in
*BUILD_EXCLUSIVE*) ok "exclusion message names BUILD_EXCLUSIVE" ;;
*) nok "exclusion message names BUILD_EXCLUSIVE" "$out" ;;
esac
rc=0; out=$(dk build -m cpuidvirt -v "$VERSION" -k "$k612" -a aarch64 2>&1) || rc=$?
eq "dkms build for aarch64 is excluded (exit 77)" 77 "$rc"

# 3. Upgrade: a newer version replaces the old one (the path a reinstall of
# the same version takes too: every registered version is removed first).
NEW=$VERSION.99
check "make dkms-install of version $NEW (upgrade)" \
	"${MK[@]}" dkms-install DKMS_KERNELS="$k612" CPUIDVIRT_VERSION="$NEW"
status=$(dk status -m cpuidvirt 2>/dev/null)
eq "after the upgrade only $NEW is registered" "cpuidvirt/$NEW, $k612, x86_64: installed" "$status"

# 4. Removal leaves nothing behind.
check "make dkms-uninstall" "${MK[@]}" dkms-uninstall
eq "dkms status is empty after uninstall" "" "$(dk status -m cpuidvirt 2>/dev/null)"
eq "no module left in the install tree" "" "$(find "$T/install" -name 'cpuidvirt.ko*' 2>/dev/null)"
eq "no source tree left" "" "$(ls "$T/src" 2>/dev/null)"

# 5. make install / uninstall into a staging root: cpuidctl, the hooks.d
# files (valid JSON naming the installed cpuidctl), the profile directory,
# the man pages and the bash completion.
D=$T/destdir
check "make install DESTDIR=... PREFIX=/usr" make -s -C "$TOP" install DESTDIR="$D" PREFIX=/usr
eq "cpuidctl installed" "yes" "$([ -x "$D/usr/bin/cpuidctl" ] && echo yes)"
eq "profile directory created" "yes" "$([ -d "$D/etc/cpuidvirt/profiles" ] && echo yes)"
eq "man pages installed" "yes yes" \
	"$([ -s "$D/usr/share/man/man8/cpuidctl.8" ] && echo yes) $([ -s "$D/usr/share/man/man5/cpuidvirt.profile.5" ] && echo yes)"
eq "bash completion installed" "yes" \
	"$(cmp -s "$TOP/tools/cpuidctl/completion/cpuidctl.bash" "$D/usr/share/bash-completion/completions/cpuidctl" && echo yes)"
for h in create-runtime:createRuntime poststop:poststop; do
	f=$D/usr/share/containers/oci/hooks.d/cpuidvirt-${h%%:*}.json
	got=$(python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
print(j["version"], j["hook"]["path"], " ".join(j["hook"]["args"]), ",".join(j["stages"]),
      ",".join("%s=%s" % kv for kv in j["when"]["annotations"].items()))' "$f" 2>&1)
	eq "hooks.d ${h%%:*}: valid, runs /usr/bin/cpuidctl at ${h#*:}" \
		"1.0.0 /usr/bin/cpuidctl cpuidctl oci-hook ${h#*:} ${h#*:} ^io\\.cpuidvirt\\.profile$=.*" "$got"
done
check "make uninstall DESTDIR=..." make -s -C "$TOP" uninstall DESTDIR="$D" PREFIX=/usr
eq "uninstall leaves no files" "" "$(find "$D" -type f)"

echo "dkms: log in $LOG; modules for the guests in $T/ko/"
exit $failed
