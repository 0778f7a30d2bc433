#!/bin/bash
# completion-check.bash CPUIDCTL COMPLETION [TAP]: tests the bash completion
# of cpuidctl. Sources COMPLETION, sets COMP_WORDS/COMP_CWORD as bash does,
# calls _cpuidctl and compares COMPREPLY. Commands, subcommands and options
# are compared with the built tool's own --help texts, so a command or an
# option added without its completion fails here. Writes TAP lines to TAP
# (default stdout); exit 1 if any check failed.
# set -u also holds the completion to it: a user shell may run with nounset.
set -u
ctl=$(realpath "$1")
comp=$2
tap=${3:-/dev/stdout}
failed=0

# shellcheck source=/dev/null
. "$comp" || { echo "not ok - completion: $comp sources" >>"$tap"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/cwd" "$tmp/cg/web" "$tmp/cg/db/child" "$tmp/cg/a b"
cd "$tmp/cwd" || exit 1
# Deterministic cgroup tree: the mount is asked of this function.
_cpuidctl_cgroup_root() { printf '%s\n' "$tmp/cg"; }

# complete WORD... : COMPREPLY for the command line "cpuidctl WORD...",
# the cursor on the last word; one word per line, sorted.
complete_words()
{
	COMP_WORDS=("$ctl" "$@")
	COMP_CWORD=$#
	COMP_LINE="cpuidctl $*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_cpuidctl
	printf '%s\n' "${COMPREPLY[@]}" | sort
}

check()	# DESC EXPECTED ACTUAL
{
	if [ "$2" = "$3" ]; then
		echo "ok - completion: $1" >>"$tap"
	else
		failed=1
		{
			echo "not ok - completion: $1"
			echo "    # '<' expected (from --help), '>' offered by the completion:"
			diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | sed -n 's/^[<>]/    # &/p'
			echo "    # fix tools/cpuidctl/completion/cpuidctl.bash, or the --help text"
		} >>"$tap"
	fi
}

lines() { printf '%s\n' "$@" | sort; }

# Options documented in a help text: on its Usage line and in its Options block.
documented_opts()	# HELP-TEXT
{
	printf '%s\n' "$1" | awk '
		/^Usage:/ { u = 1; print; next }
		u && /^  / { print; next }
		{ u = 0 }
		/^Options:/ { o = 1; next }
		o && /^  -/ { print $1; next }
		o && /^[^ ]/ { o = 0 }' |
		grep -oE -- '--[a-z][a-z-]*' | sort -u
}

# Commands: exactly those of 'cpuidctl --help'.
cmds=$("$ctl" --help | awk '/^Available subcommands:/ { s = 1; next } s && /^  [a-z]/ { print $1; next } s { exit }' | sort)
check "commands are those of --help" "$cmds" "$(complete_words '')"
check "a prefix completes one command" "profile" "$(complete_words pro)"
check "top-level options" "$(lines --help --version)" "$(complete_words --)"

# Options of every command (but profile): those its --help documents.
for c in $cmds; do
	[ "$c" = profile ] && continue
	want=$(documented_opts "$("$ctl" help "$c")")
	[ "$c" = run ] && want=$(lines $want --)
	got=$(complete_words "$c" - | grep -vx -- --help)
	check "options of '$c' are those of its --help" "$want" "$got"
done

# profile: subcommands and their options from the "  profile SUB ..." lines.
phelp=$("$ctl" help profile)
subs=$(printf '%s\n' "$phelp" | sed -n 's/^  profile \([a-z]*\).*/\1/p' | sort -u)
check "profile subcommands are those of 'help profile'" "$subs" "$(complete_words profile '')"
for s in $subs; do
	want=$(printf '%s\n' "$phelp" | grep -E "^  profile $s( |$)" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
	[ "$s" = validate ] && want=$(printf '%s\n' "$phelp" | grep -E "^  profile check( |$)" | grep -oE -- '--[a-z][a-z-]*' | sort -u)
	got=$(complete_words profile "$s" - | grep -vx -- --help)
	check "options of 'profile $s' are those of 'help profile'" "$want" "$got"
done
check "help takes commands" "$cmds" "$(complete_words help '')"
check "help profile takes subcommands" "$subs" "$(complete_words help profile '')"

# Feature names come from the tool.
check "explain completes feature names" "$(lines sse4_1 sse4_2)" "$(complete_words explain sse4_)"
check "explain: every feature the tool knows" "$("$ctl" __complete features | sort)" "$(complete_words explain '')"
check "explain takes one feature" "" "$(complete_words explain avx2 av)"
check "explain --profile takes a profile" "$(lines x86-64-v1 x86-64-v2 x86-64-v2-aes x86-64-v3 x86-64-v4 | grep -F "$("$ctl" __complete profiles)")" \
	"$(complete_words explain avx2 --profile x86-64-v)"

# Profiles: built-ins, files, VIRT_CPUID_MASK lists.
builtins=$("$ctl" __complete profiles | sort)
check "run --profile: the built-ins" "$(printf '%s\n' "$builtins" | grep '^x86-64-v')" "$(complete_words run --profile x86-64-v)"
touch web.profile
check "run --profile: profile files" "web.profile" "$(complete_words run --profile we)"
check "run --profile=VALUE (bash splits at '=')" "$(printf '%s\n' "$builtins" | grep '^x86-64-v')" \
	"$(complete_words run --profile = x86-64-v)"
check "run --profile= with nothing yet: the built-ins and files" \
	"$( (printf '%s\n' "$builtins"; ls) | sort)" "$(complete_words run --profile =)"
check "an option without a value (set -u: unknown keys are empty)" "web.profile" "$(complete_words profile apply --no-replace we)"
check "explain --profile=P FEATURE: a feature" "$(lines sse4_1 sse4_2)" "$(complete_words explain --profile = x86-64-v2 sse4_)"
check "a feature list completes its last item" "$(lines avx512f,hle)" "$(complete_words run --profile avx512f,hl)"
check "a feature list: every feature after a comma" "$("$ctl" __complete features | sed 's/^/avx2,/' | sort)" \
	"$(complete_words profile show avx2,)"
check "profile apply: PROFILE first" "web.profile" "$(complete_words profile apply we)"

# CGROUP: directories under the cgroup2 mount, names with blanks intact.
check "profile apply: then CGROUP" "$(lines 'a b/' db/ web/)" "$(complete_words profile apply x86-64-v2 '')"
check "CGROUP: subdirectories" "db/child/" "$(complete_words profile apply x86-64-v2 db/c)"
check "CGROUP: a name with a blank" "a b/" "$(complete_words profile remove a)"
check "profile apply: nothing after CGROUP" "" "$(complete_words profile apply x86-64-v2 web '')"
check "run --cgroup-parent: CGROUP" "web/" "$(complete_words run --cgroup-parent w)"
check "profile remove --id: no guess" "" "$(complete_words profile remove --id '')"

# run: options until the command, then the command and its arguments.
check "run: options first" "$(lines --cgroup-parent --profile --)" "$(complete_words run '')"
check "run: after --, a command" "true" "$(complete_words run --profile x86-64-v2 -- tru | grep -x true | uniq)"
check "run: options of CMD are not ours" "" "$(complete_words run --profile x86-64-v2 -- ls --pro)"
check "oci-hook stages" "$(lines createRuntime poststop prestart)" "$(complete_words oci-hook '')"

exit $failed
