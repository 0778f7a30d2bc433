#!/bin/bash
# The guest boots of `make check`: the one definition that check.sh,
# vm-check.sh, mk/testbed.mk and the expected results (tests/summary.sh)
# all derive from.
#
#   matrix.sh                 boot ids, one per line: KERNEL-MODE, where
#                             KERNEL may carry a flavour (6.12-rt-working);
#                             every kernel of $KERNELS x every mode of $MODES,
#                             except that flavoured kernels (rt, cloud,
#                             debug) boot only under the modes of
#                             FLAVOUR_MODES (working): the CPU behaviours
#                             are the generic kernels' business, the
#                             flavours are about the module on that kernel;
#                             then the AMD boots: every generic kernel of
#                             $KERNELS x every mode of $AMD_MODES, on the
#                             AMD CPU model, id KERNEL-MODE-epyc
#   matrix.sh --kernels       the default KERNELS
#   matrix.sh --modes         the default MODES
#   matrix.sh --amd-modes     the default AMD_MODES
#   matrix.sh --split ID      "KERNEL MODE" of a boot id, or for an AMD
#                             boot "KERNEL MODE CPU TAG"
#   matrix.sh --migrations    the two-guest runs of tests/vm/migrate.sh,
#                             one id per line: KERNEL-mig-TAG, for each
#                             kernel of $KERNELS in MIG_KERNELS when $MODES
#                             has working: feature (Skylake-Client-v4 ->
#                             SandyBridge under their lcd profile),
#                             feature-control (the same without the
#                             profile), xsave and xsave-control (the same
#                             to max, whose XSAVE area is larger); run ID
#                             writes
#                             build/results/vm-KERNEL-working-mig-TAG-A.tap
#                             and -B.tap
#   matrix.sh --mig-args ID   migrate.sh's arguments for migration run ID
#   matrix.sh --podman        the podman boots, one id per line:
#                             KERNEL-working-podman for each kernel of
#                             $KERNELS in PODMAN_KERNELS when $MODES has
#                             working; `vm-check.sh` boots ID with
#                             `run-guest.sh --podman --hidden oci-podman`
#                             (podman with the hook, issue 10 item 6) and
#                             it writes build/results/vm-ID.tap
#   matrix.sh --podman-args ID  run-guest.sh's arguments for podman boot ID
#
# Boot ID is `run-guest.sh --kernel KERNEL --mode MODE` (AMD: plus `--cpu
# CPU --tag TAG`) and writes build/results/vm-ID.tap. KERNELS or MODES
# unset means the default; set but empty, or an unknown mode, is an error
# (exit 1): a matrix that boots nothing must not pass. AMD_MODES unset
# means the default, empty means no AMD boot; "all" means every AMD mode.
set -uo pipefail
# 6.12-debug first: its boot is the longest, so it starts in the first slot.
# Not 6.12-cloud: under the test bed's QEMU 7.2 TCG it crashes at random
# early in boot (double fault or #DB in kmem_cache_alloc, in every CPU
# mode and model tried, before any module loads); KERNELS=6.12-cloud
# boots it on purpose.
DEFAULT_KERNELS="6.12-debug 6.1 6.12 6.1-rt 6.12-rt 6.1-cloud"
MODE_LIST="absent working lie-drop lie-store"
FLAVOUR_MODES="working"
# The migration pairs: 8 short boots (about 30-60 s each) per kernel.
MIG_KERNELS="6.12"
MIG_TAGS="feature feature-control xsave xsave-control"
# The podman boots: one short boot (80-170 s) per kernel.
PODMAN_KERNELS="6.1 6.12"
# The AMD boots (issue 11): an AMD CPU model under the Intel-style modes
# (as KVM emulates them on any host) and AMD's own CpuidUserDis.
AMD_CPU=EPYC-Milan AMD_TAG=epyc
AMD_MODE_LIST="absent working lie-drop lie-store amd-native amd-native-lie-drop amd-native-lie-store"
# All of them by default (issue 11: both mechanisms and every lying
# variant, on both generic kernels).
AMD_DEFAULT_MODES=$AMD_MODE_LIST

die() { echo "matrix: $*" >&2; exit 1; }

case "${1:-}" in
--kernels) echo "$DEFAULT_KERNELS"; exit 0 ;;
--modes) echo "$MODE_LIST"; exit 0 ;;
--amd-modes) echo "$AMD_DEFAULT_MODES"; exit 0 ;;
--split)
	[ $# = 2 ] || die "--split needs one boot id"
	id=$2 list=$MODE_LIST cpu=
	case "$id" in
	?*-"$AMD_TAG") id=${id%-"$AMD_TAG"} list=$AMD_MODE_LIST cpu=" $AMD_CPU $AMD_TAG" ;;
	esac
	# Longest first: 6.12-amd-native-lie-drop is not kernel 6.12-amd-native.
	for m in $(printf '%s\n' $list | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2); do
		case "$id" in
		[0-9]*-"$m") echo "${id%-"$m"} $m$cpu"; exit 0 ;;
		esac
	done
	die "'$2' is not a boot id KERNEL-MODE or KERNEL-MODE-$AMD_TAG (modes: $MODE_LIST; AMD modes: $AMD_MODE_LIST)" ;;
--mig-args)
	[ $# = 2 ] || die "--mig-args needs one migration id"
	k=${2%%-mig-*} t=${2#*-mig-}
	case " $MIG_TAGS " in
	*" $t "*) ;;
	*) die "'$2' is not a migration id KERNEL-mig-TAG (tags: $MIG_TAGS)" ;;
	esac
	case "$t" in
	feature) echo "--kernel $k --variant profile --tag $t" ;;
	feature-control) echo "--kernel $k --variant none --tag $t" ;;
	xsave) echo "--kernel $k --to max,vendor=GenuineIntel --variant profile --restore-default --tag $t" ;;
	xsave-control) echo "--kernel $k --to max,vendor=GenuineIntel --variant none --control xsave --tag $t" ;;
	esac
	exit 0 ;;
--podman-args)
	[ $# = 2 ] || die "--podman-args needs one podman boot id"
	case "$2" in
	[0-9]*-working-podman) ;;
	*) die "'$2' is not a podman boot id KERNEL-working-podman" ;;
	esac
	# Every podman run under TCG takes 5-10 s: more than the default 120 s.
	echo "--kernel ${2%-working-podman} --mode working --podman --scenario none --hidden oci-podman --scenario-timeout 480 --tag podman"
	exit 0 ;;
""|--migrations|--podman) ;;
*) die "unknown argument '$1'" ;;
esac

kernels=${KERNELS-$DEFAULT_KERNELS}
modes=${MODES-$MODE_LIST}
[ -n "${kernels// /}" ] || die "KERNELS is empty: no guest would boot"
[ -n "${modes// /}" ] || die "MODES is empty: no guest would boot"
for m in $modes; do
	case " $MODE_LIST " in *" $m "*) ;; *) die "unknown mode '$m' (modes: $MODE_LIST)" ;; esac
done
amd_modes=${AMD_MODES-$AMD_DEFAULT_MODES}
[ "$amd_modes" != all ] || amd_modes=$AMD_MODE_LIST
for m in $amd_modes; do
	case " $AMD_MODE_LIST " in *" $m "*) ;; *) die "unknown AMD mode '$m' (AMD modes: $AMD_MODE_LIST)" ;; esac
done
if [ "${1:-}" = --podman ]; then
	case " $modes " in *" working "*) ;; *) exit 0 ;; esac
	for k in $kernels; do
		case " $PODMAN_KERNELS " in *" $k "*) echo "$k-working-podman" ;; esac
	done
	exit 0
fi
if [ "${1:-}" = --migrations ]; then
	case " $modes " in *" working "*) ;; *) exit 0 ;; esac
	for k in $kernels; do
		case " $MIG_KERNELS " in *" $k "*) ;; *) continue ;; esac
		for t in $MIG_TAGS; do
			echo "$k-mig-$t"
		done
	done
	exit 0
fi
n=0
for k in $kernels; do
	case "$k" in
	[0-9]*.[0-9]*) ;;
	*) die "'$k' is not a kernel (SERIES or SERIES-FLAVOUR, e.g. 6.12)" ;;
	esac
	for m in $modes; do
		case "$k" in
		*-*) case " $FLAVOUR_MODES " in *" $m "*) ;; *) continue ;; esac ;;
		esac
		echo "$k-$m"
		n=$((n + 1))
	done
done
# The AMD boots last: the generic kernels only.
for k in $kernels; do
	case "$k" in *-*) continue ;; esac
	for m in $amd_modes; do
		echo "$k-$m-$AMD_TAG"
	done
done
[ $n -gt 0 ] || die "KERNELS='$kernels' x MODES='$modes' has no boot (flavoured kernels boot only under: $FLAVOUR_MODES)"
