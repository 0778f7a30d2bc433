#!/bin/bash
# capture-qemu.sh MODEL...
#
# Records `cpuid -1 -r` (Debian's cpuid tool, the real one) as seen inside a
# QEMU TCG guest of each CPU model, into tests/data/dumps/qemu-MODEL.txt.
# Uses the test bed's QEMU and guest kernel (tests/vm/build-qemu.sh,
# tests/vm/fetch-kernel.sh) and a throw-away initramfs of busybox + cpuid.
#   e.g. tests/data/dumps/capture-qemu.sh Skylake-Client Haswell Nehalem EPYC
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
out=$top/tests/data/dumps
work=$top/.cache/capture-dumps
[ $# -gt 0 ] || { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

qemu=$("$top/tests/vm/build-qemu.sh")
kroot=$("$top/tests/vm/fetch-kernel.sh" 6.12)
vmlinuz=$(find "$kroot/boot" -name "vmlinuz-*" | head -n1)
for t in busybox cpuid cpio; do
	command -v $t >/dev/null || { echo "capture-qemu: $t is missing (scripts/install-deps.sh)" >&2; exit 1; }
done

rm -rf "$work/root" && mkdir -p "$work/root"/{bin,dev,proc,lib64,lib/x86_64-linux-gnu}
cd "$work/root"
cp "$(command -v busybox)" bin/busybox
cp "$(command -v cpuid)" bin/cpuid
# cpuid is dynamic: bring its libraries along.
ldd bin/cpuid | grep -o '/[^ ]*' | while read -r lib; do
	mkdir -p ".$(dirname "$lib")" && cp -L "$lib" ".$lib"
done
# The library's own reader, to compare with cpuid inside the guest.
lib=$top/tools/cpuidctl/lib
cc -static -O2 -std=gnu11 -isystem "$top/uapi" -I"$lib" -o bin/read-host \
	"$out/read-host.c" "$lib/dump.c" "$lib/features.c" "$lib/suggest.c" "$lib/diag.c"
cat >init <<'EOI'
#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
/bin/busybox mount -t proc proc /proc
{ echo "@@DUMP-BEGIN@@"; /bin/cpuid -1 -r; echo "@@DUMP-END@@";
  echo "@@LIB-BEGIN@@"; /bin/read-host; echo "@@LIB-END@@"; } >/dev/ttyS1
/bin/busybox poweroff -f
EOI
chmod +x init
find . | cpio -o -H newc --quiet | gzip -1 >"$work/initrd.gz"

for model in "$@"; do
	raw=$work/$model.raw
	rm -f "$raw"
	timeout 120 "$qemu" -L /usr/share/seabios -L /usr/share/qemu -nodefaults \
		-display none -no-reboot -machine pc -accel tcg -cpu "$model" \
		-smp 1 -m 256 -kernel "$vmlinuz" -initrd "$work/initrd.gz" \
		-append "console=ttyS0 quiet panic=-1" \
		-serial null -serial "file:$raw" </dev/null >"$work/$model.log" 2>&1 || true
	if ! grep -q '@@DUMP-END@@' "$raw" 2>/dev/null; then
		echo "capture-qemu: no dump from -cpu $model (see $work/$model.log)" >&2
		exit 1
	fi
	tr -d '\r' <"$raw" | sed -n '/@@DUMP-BEGIN@@/,/@@DUMP-END@@/p' |
		sed '1d;$d' >"$out/qemu-$model.txt"
	tr -d '\r' <"$raw" | sed -n '/@@LIB-BEGIN@@/,/@@LIB-END@@/p' |
		sed '1d;$d' >"$work/lib-$model.txt"
	# The library also reads 0x1e.1 and 0x24's subleaves, which bookworm's
	# cpuid does not (README.md); anything else must be the same.
	if [ -z "$(grep -vxFf "$work/lib-$model.txt" "$out/qemu-$model.txt")" ] &&
	   [ -z "$(grep -vxFf "$out/qemu-$model.txt" "$work/lib-$model.txt" |
		grep -vE '^   0x000000(1e|24) 0x([0-9a-f][1-9a-f]|[1-9a-f]0):')" ]; then
		same="cpuid_dump_read_host() reads the same"
	else
		same="cpuid_dump_read_host() DIFFERS: diff $out/qemu-$model.txt $work/lib-$model.txt"
		rc=1
	fi
	echo "capture-qemu: $out/qemu-$model.txt ($(grep -c 0x "$out/qemu-$model.txt") entries); $same"
done
exit "${rc:-0}"
