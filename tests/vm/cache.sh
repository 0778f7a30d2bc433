# shellcheck shell=bash
# Sourced by the test bed's scripts: where the machine-wide cache is.
#
# Products that depend only on their inputs (the patched QEMU, extracted
# guest kernels and headers, the debug kernel, checkpatch, apt look-ups)
# live in ${CPUIDVIRT_CACHE:-/var/cache/cpuidvirt}, so that a fresh clone on
# the same machine (CI) finds them. Each is keyed by its inputs, built into
# a temporary directory and renamed into place under a flock, so concurrent
# users never see a half-built product. Products of the work tree (module
# builds, test programs, boot directories, results) stay in .cache/ and
# build/.
#
# If the machine-wide directory cannot be created or written (no root),
# $XDG_CACHE_HOME/cpuidvirt (~/.cache/cpuidvirt) is used instead.

mcache_dir()
{
	local d=${CPUIDVIRT_CACHE:-/var/cache/cpuidvirt}
	if ! { mkdir -p "$d" 2>/dev/null && [ -w "$d" ]; }; then
		[ -n "${CPUIDVIRT_CACHE:-}" ] && {
			echo "cache: CPUIDVIRT_CACHE=$d is not writable" >&2
			return 1
		}
		d=${XDG_CACHE_HOME:-$HOME/.cache}/cpuidvirt
		mkdir -p "$d" || return 1
	fi
	echo "$d"
}

MCACHE=$(mcache_dir) || exit 1

# apt_stamp: changes whenever apt's package lists do (apt-get update), so
# answers derived from apt can be cached until then. (This image disables
# pkgcache.bin, so its mtime cannot serve.)
apt_stamp()
{
	local f
	for f in /var/lib/apt/lists /var/cache/apt/pkgcache.bin; do
		[ ! -e "$f" ] || printf '%s ' "$(stat -c %Y "$f")"
	done
}
