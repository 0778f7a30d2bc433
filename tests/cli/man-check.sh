#!/bin/bash
# man-check.sh CPUIDCTL MANDIR [TAP]: checks the manual pages in MANDIR
# (cpuidctl.8 as docs/man/gen-man.py made it, cpuidvirt.profile.5):
#  - each renders without a warning (man --warnings -l: nothing on stderr);
#  - cpuidctl.8 has an entry for every command of 'cpuidctl --help';
#  - cpuidvirt.profile.5 describes every directive of
#    docs/profile-language.md and of 'cpuidctl help profile', and names
#    every built-in profile of the tool.
# Writes TAP lines to TAP (default stdout); exit 1 if any check failed.
set -u
ctl=$1
mandir=$2
tap=${3:-/dev/stdout}
top=$(cd "$(dirname "$0")/../.." && pwd)
failed=0

ok() { echo "ok - man: $1" >>"$tap"; }
fail()
{
	failed=1
	echo "not ok - man: $1" >>"$tap"
	shift
	printf '%s\n' "$@" | sed 's/^/    # /' >>"$tap"
}

# The roff spelling of a word: minus signs escaped.
roff() { printf '%s' "$1" | sed 's/-/\\-/g'; }

for page in cpuidctl.8 cpuidvirt.profile.5; do
	f=$mandir/$page
	if [ ! -s "$f" ]; then
		fail "$page exists" "no $f"
		continue
	fi
	# Fixed width and locale: the same warnings on every machine.
	err=$(LC_ALL=C.UTF-8 MANWIDTH=80 MANPAGER=cat PAGER=cat \
		man --warnings -l "$f" 2>&1 >/dev/null)
	if [ -z "$err" ]; then
		ok "$page renders without warnings"
	else
		fail "$page renders without warnings" "$err"
	fi
done

page=$mandir/cpuidctl.8
missing=
for c in $("$ctl" --help | awk '/^Available subcommands:/ { s = 1; next } s && /^  [a-z]/ { print $1; next } s { exit }'); do
	# A .TP entry: the line after .TP starts with the bold command name.
	W="\\fB$(roff "$c")\\fP" awk 'p && (index($0, ENVIRON["W"] " ") == 1 || $0 == ENVIRON["W"]) { f = 1 }
		{ p = ($0 == ".TP") } END { exit !f }' "$page" || missing="$missing $c"
done
if [ -z "$missing" ]; then
	ok "cpuidctl.8 has an entry for every command of --help"
else
	fail "cpuidctl.8 has an entry for every command of --help" "missing:$missing"
fi

page=$mandir/cpuidvirt.profile.5
directives=$( {
	# First column of the directive table of docs/profile-language.md.
	sed -n '/^## Syntax/,/^## /p' "$top/docs/profile-language.md" |
		sed -n 's/^| \(`[^|]*\) |.*/\1/p' | grep -oE '`[a-z][a-z-]*( |`)' | tr -d '` '
	# The directive lines of 'cpuidctl help profile'.
	"$ctl" help profile | sed -n '/^PROFILE LANGUAGE$/,$p' |
		sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p'
} | sort -u)
missing=
for d in $directives; do
	grep -qF -- "\\fB$(roff "$d")\\fP" "$page" || missing="$missing $d"
done
if [ -n "$directives" ] && [ -z "$missing" ]; then
	ok "cpuidvirt.profile.5 describes every directive ($(echo $directives))"
else
	fail "cpuidvirt.profile.5 describes every directive" "missing:${missing:- (no directives found)}"
fi
missing=
for b in $("$ctl" __complete profiles); do
	sed -n '/^\.SH BUILT-IN PROFILES/,/^\.SH /p' "$page" | grep -qF -- "$(roff "$b")" || missing="$missing $b"
done
if [ -z "$missing" ]; then
	ok "cpuidvirt.profile.5 names every built-in profile"
else
	fail "cpuidvirt.profile.5 names every built-in profile" "missing:$missing"
fi
exit $failed
