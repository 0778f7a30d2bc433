#!/bin/bash
# Compile the guest test programs into .cache/guest-bin/ (-> /opt/cpuidvirt/bin):
#   tests/guest/NAME.c -> NAME (dynamic), NAME.static (-static), and
#   NAME.m32 (-m32 -static) when the file has a line "/* build: m32 */";
#   tests/vm/substrate.c -> substrate. No working gcc -m32 (gcc-multilib)
#   is a failure: the 32-bit checks need NAME.m32.
# With --tap FILE, one result line per program goes to FILE; --out DIR
# builds into DIR instead.
# Exits 1 if any program failed to build (the others are still built).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/.cache/guest-bin
tap=/dev/null
while [ $# -gt 0 ]; do
	case "$1" in
	--tap) tap=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	*) echo "build-guest-bins: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
CC=${CC:-gcc}
CFLAGS="-O2 -g -Wall -Wextra -I$top/uapi"
# Private staging dir: other engineers may build at the same time.
mkdir -p "$(dirname "$out")"
new=$(mktemp -d "$out.new.XXXXXX")

have_m32=0
if echo 'int main(void){return 0;}' | $CC -m32 -static -x c -o /dev/null - 2>/dev/null; then
	have_m32=1
fi

# Compiled programs are kept in .cache/guest-bin-obj/<hash>/, hash of the
# source, the headers it may include, the flags and the compiler, so a
# warm run only copies.
objcache=$top/.cache/guest-bin-obj
hdrsum=$(cat "$top"/tests/guest/*.h "$top"/uapi/linux/*.h 2>/dev/null | sha256sum | cut -c1-16)
ccver=$($CC --version | head -n1)

want_m32() { grep -q '^/\* build: m32 \*/' "$1" && echo 1 || echo 0; }

fail=0
build()	# NAME SRC
{
	local name=$1 src=$2 err sum cdir
	if [ "$(want_m32 "$src")" = 1 ] && [ $have_m32 = 0 ]; then
		# The 64-bit programs are still built, for the other checks.
		echo "not ok - guest-bins: $name.m32 builds (gcc -m32 does not work: install gcc-multilib)" >>"$tap"
		fail=1
	fi
	sum=$( { cat "$src"; echo "$hdrsum $CFLAGS $ccver $have_m32"; } | sha256sum | cut -c1-16)
	cdir=$objcache/$name-$sum
	if [ -f "$cdir/.ok" ]; then
		cp -a "$cdir/." "$new/"
		rm -f "$new/.ok"
		echo "ok - guest-bins: $name builds" >>"$tap"
		return 0
	fi
	if err=$($CC $CFLAGS -o "$new/$name" "$src" 2>&1) &&
		err=$err$($CC $CFLAGS -static -o "$new/$name.static" "$src" 2>&1) &&
		{ ! grep -q '^/\* build: m32 \*/' "$src" || [ $have_m32 = 0 ] ||
			err=$err$($CC $CFLAGS -m32 -static -o "$new/$name.m32" "$src" 2>&1); }; then
		echo "ok - guest-bins: $name builds" >>"$tap"
		[ -z "$err" ] || printf '%s\n' "$err" >&2
		local tmp
		tmp=$(mktemp -d "$objcache.XXXXXX" 2>/dev/null) || { mkdir -p "$objcache" && tmp=$(mktemp -d "$objcache.XXXXXX"); }
		cp -a "$new/$name" "$new/$name".* "$tmp/" 2>/dev/null
		touch "$tmp/.ok"
		mkdir -p "$objcache"
		rm -rf "$cdir" && mv "$tmp" "$cdir" 2>/dev/null || rm -rf "$tmp"
	else
		echo "not ok - guest-bins: $name builds" >>"$tap"
		echo "build-guest-bins: $src failed:" >&2
		printf '%s\n' "$err" | sed 's/^/    /' >&2
		fail=1
	fi
}

for src in "$top"/tests/guest/*.c; do
	[ -e "$src" ] || continue
	build "$(basename "$src" .c)" "$src"
done
build substrate "$top/tests/vm/substrate.c"
if grep -lq '^/\* build: m32 \*/' "$top"/tests/guest/*.c 2>/dev/null && [ $have_m32 = 0 ]; then
	echo "build-guest-bins: no working gcc -m32 (gcc-multilib), NAME.m32 programs not built" >&2
fi
chmod 755 "$new"
rm -rf "$out.old.$$"
[ -e "$out" ] && mv "$out" "$out.old.$$"
mv "$new" "$out"
rm -rf "$out.old.$$"
exit $fail
