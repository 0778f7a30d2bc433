# SPDX-License-Identifier: GPL-2.0
# bash completion for cpuidctl(8). Installed by 'make install' as
# $(PREFIX)/share/bash-completion/completions/cpuidctl. Feature and
# built-in profile names come from the tool ('cpuidctl __complete ...');
# commands and options are listed here and checked against each command's
# --help by tests/cli/completion-check.bash.

# The first cgroup2 mount (cpuidctl takes CGROUP relative to it).
_cpuidctl_cgroup_root()
{
	local dir type rest
	while read -r _ dir type rest; do
		[[ $type == cgroup2 ]] && { printf '%s\n' "$dir"; return; }
	done </proc/self/mounts
	printf '%s\n' /sys/fs/cgroup
}

# Add the words of "$1" (one per line) that start with $cur.
_cpuidctl_add()
{
	local IFS=$'\n'
	COMPREPLY+=($(compgen -W "$1" -- "$cur"))
}

_cpuidctl_files()
{
	local IFS=$'\n'
	compopt -o filenames 2>/dev/null
	COMPREPLY+=($(compgen -f -- "$cur"))
}

# CGROUP: an absolute path, or a directory relative to the cgroup2 mount.
_cpuidctl_cgroups()
{
	local IFS=$'\n' root d
	compopt -o filenames -o nospace 2>/dev/null
	if [[ $cur == /* ]]; then
		COMPREPLY+=($(compgen -d -S / -- "$cur"))
		return
	fi
	root=$(_cpuidctl_cgroup_root)
	for d in $(cd "$root" 2>/dev/null && compgen -d -- "$cur"); do
		COMPREPLY+=("$d/")
	done
}

# PROFILE: a built-in, a file, or a VIRT_CPUID_MASK list ("avx2,hle,...").
_cpuidctl_profiles()
{
	local IFS=$'\n' head f
	if [[ $cur == *,* ]]; then
		head=${cur%,*},
		for f in $(compgen -W "$("$1" __complete features 2>/dev/null)" -- "${cur##*,}"); do
			COMPREPLY+=("$head$f")
		done
		compopt -o nospace 2>/dev/null
		return
	fi
	_cpuidctl_add "$("$1" __complete profiles 2>/dev/null)"
	_cpuidctl_files
}

_cpuidctl_features()
{
	_cpuidctl_add "$("$1" __complete features 2>/dev/null)"
}

# The value of option $2 of command $3 (profile subcommands as "profile-SUB").
_cpuidctl_option_value()
{
	local ctl=$1 opt=$2
	case $opt in
	--profile)
		[[ $3 == oci-hook ]] && return 1
		_cpuidctl_profiles "$ctl" ;;
	--against|--path) _cpuidctl_files ;;
	--cgroup-parent) _cpuidctl_cgroups ;;
	--profile-dir|--state-dir)
		compopt -o filenames 2>/dev/null
		local IFS=$'\n'
		COMPREPLY+=($(compgen -d -- "$cur")) ;;
	--cpu)
		local c cpus=
		for c in /sys/devices/system/cpu/cpu[0-9]*; do
			[[ -e $c ]] && cpus+="${c##*/cpu}"$'\n'
		done
		_cpuidctl_add "$cpus" ;;
	--id) ;;
	*) return 1 ;;
	esac
	return 0
}

_cpuidctl()
{
	local cur prev ctl=${COMP_WORDS[0]} cmd='' sub='' i w nargs=0 dashdash=0
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	COMPREPLY=()

	local -A takes_arg=([--profile]=1 [--against]=1 [--path]=1 [--cgroup-parent]=1
			    [--profile-dir]=1 [--state-dir]=1 [--cpu]=1 [--id]=1)
	local cmds=$'status\nload\nselftest\nrefresh\ndump\nprofile\nrun\nexplain\noci-hook\nhelp\nversion'
	local subs=$'show\ndiff\nlcd\napply\nremove\nlist\ncheck\nvalidate'

	# The command, the profile subcommand, and how many operands precede $cur.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ -z $cmd ]]; then
			[[ $w == -* ]] || cmd=$w
		elif [[ $cmd == profile && -z $sub ]]; then
			[[ $w == -* ]] || sub=$w
		elif ((dashdash)); then
			nargs=$((nargs + 1))
		elif [[ $w == -- ]]; then
			dashdash=1
		elif [[ $w == -* ]]; then
			# --opt VALUE, or --opt=VALUE (bash splits it at '=').
			if [[ -n ${takes_arg[$w]-} ]]; then
				[[ ${COMP_WORDS[i+1]-} == = ]] && i=$((i + 1))
				i=$((i + 1))
			fi
		else
			nargs=$((nargs + 1))
		fi
	done

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			_cpuidctl_add $'--help\n--version'
		else
			_cpuidctl_add "$cmds"
		fi
		return 0
	fi
	[[ $cmd == profile && -n $sub ]] && cmd=profile-$sub

	# run: after '--' (or once CMD started), complete the command.
	if [[ $cmd == run ]] && ((dashdash || nargs)); then
		local IFS=$'\n'
		if ((nargs == 0)); then
			COMPREPLY=($(compgen -c -- "$cur"))
		else
			compopt -o default 2>/dev/null
		fi
		return 0
	fi

	if [[ $cur == = && -n ${takes_arg[$prev]-} ]]; then
		cur=
		_cpuidctl_option_value "$ctl" "$prev" "$cmd"
		return 0
	fi
	if [[ $prev == = ]] && ((COMP_CWORD >= 2)); then
		prev=${COMP_WORDS[COMP_CWORD-2]}
	fi
	if [[ $prev == -* && -n ${takes_arg[$prev]-} ]]; then
		_cpuidctl_option_value "$ctl" "$prev" "$cmd"
		return 0
	fi

	local opts=
	case $cmd in
	status|profile-list) opts=--json ;;
	load) opts=$'--path\n--no-selftest' ;;
	dump) opts=$'--cpu\n--all' ;;
	profile-show) opts=$'--against\n--diff\n--json' ;;
	profile-diff) opts=--against ;;
	profile-lcd) opts=--allow-mixed-vendor ;;
	profile-apply) opts=$'--no-replace\n--force' ;;
	profile-remove) opts=--id ;;
	profile-check|profile-validate) opts=$'--against\n--no-host' ;;
	run) opts=$'--profile\n--cgroup-parent\n--' ;;
	explain) opts=$'--profile\n--against\n--json' ;;
	oci-hook) opts=$'--profile-dir\n--state-dir' ;;
	esac
	if [[ $cur == -* ]]; then
		_cpuidctl_add "$opts"$'\n--help'
		return 0
	fi

	case $cmd in
	profile) _cpuidctl_add "$subs" ;;
	help)
		if ((nargs == 0)); then
			_cpuidctl_add "$cmds"
		elif ((nargs == 1)) && [[ ${COMP_WORDS[2]} == profile ]]; then
			_cpuidctl_add "$subs"
		fi ;;
	explain) ((nargs == 0)) && _cpuidctl_features "$ctl" ;;
	oci-hook) ((nargs == 0)) && _cpuidctl_add $'createRuntime\nprestart\npoststop' ;;
	profile-show|profile-check|profile-validate) _cpuidctl_profiles "$ctl" ;;
	profile-diff) ((nargs < 2)) && _cpuidctl_profiles "$ctl" ;;
	profile-lcd) _cpuidctl_files ;;
	profile-apply)
		if ((nargs == 0)); then
			_cpuidctl_profiles "$ctl"
		elif ((nargs == 1)); then
			_cpuidctl_cgroups
		fi ;;
	profile-remove) ((nargs == 0)) && [[ $prev != --id ]] && _cpuidctl_cgroups ;;
	run) _cpuidctl_add "$opts" ;;
	esac
	return 0
}

complete -F _cpuidctl cpuidctl
