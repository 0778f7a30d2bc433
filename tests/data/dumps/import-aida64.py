#!/usr/bin/env python3
# import-aida64.py SRC OUT
# import-aida64.py synthetic/NAME.table synthetic/NAME.txt
#
# Turns an AIDA64 "CPUID Registers" dump (InstLatx64's *_CPUID.txt:
# "CPUID 0000000D: 000602E7-00002B00-00002B00-00000000 [SL 00]") into what
# Debian bookworm's `cpuid -1 -r` prints on that CPU: the first logical
# CPU's answers become a table, and cpuid-oracle.sh runs the real cpuid
# binary against it. 0x1e.1 and 0x24.1..EAX, which that version does not
# read but cpuid 20250316 and cpuidctl do, are added after.
#
# AIDA64 does not record everything cpuid asks for. Such answers are made
# up by the rules below and listed on stderr (README.md keeps the lists):
#  - 0xb/0x1f past the last level: EAX=EBX=0, ECX=the subleaf, EDX=x2APIC
#    ID (Intel SDM vol. 2A, CPUID leaf 0BH/1FH);
#  - a leaf above the maximum of its range (0x20000000, 0x80860000,
#    0xc0000000): Intel returns the highest basic leaf (SDM, "If a value
#    entered for CPUID.EAX is higher than the maximum input value..."),
#    AMD zeros (APM vol. 3, CPUID);
#  - anything else: all zeros (AIDA64 leaves out null subleaves, AMD's
#    reserved leaf 4, and terminators such as 4's "no more caches").
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LINE = re.compile(r'^CPUID ([0-9A-F]{8}): ([0-9A-F]{8})-([0-9A-F]{8})-([0-9A-F]{8})-([0-9A-F]{8})(?: \[SL ([0-9A-F]{2})\])?')


RAW = re.compile(r'^ +0x([0-9a-f]{8}) 0x([0-9a-f]{2}): eax=0x([0-9a-f]{8}) ebx=0x([0-9a-f]{8}) ecx=0x([0-9a-f]{8}) edx=0x([0-9a-f]{8})$')


def parse(path):
    if path.endswith('.table'):
        # already `cpuid -r` text (the synthetic CPUs of synthetic/)
        table = {}
        for line in open(path):
            m = RAW.match(line)
            if m:
                table[(int(m[1], 16), int(m[2], 16))] = tuple(int(m[i], 16) for i in range(3, 7))
        return table
    table = {}
    blocks = 0
    with open(path, encoding='latin-1') as f:
        for line in f:
            if 'CPUID Registers / Logical CPU' in line:
                blocks += 1
                if blocks > 1:
                    break
                continue
            m = LINE.match(line)
            if not m:
                continue
            leaf = int(m[1], 16)
            sub = int(m[6], 16) if m[6] else 0
            regs = tuple(int(m[i], 16) for i in range(2, 6))
            if (leaf, sub) not in table:
                table[(leaf, sub)] = regs
    if (0, 0) not in table:
        sys.exit('%s: no CPUID 00000000 line' % path)
    return table


def text(table):
    out = ['CPU:']
    for (leaf, sub) in sorted(table):
        a, b, c, d = table[(leaf, sub)]
        out.append('   0x%08x 0x%02x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x'
                   % (leaf, sub, a, b, c, d))
    return '\n'.join(out) + '\n'


def made_up(table, leaf, sub):
    v = table[(0, 0)]
    intel = (v[1], v[3], v[2]) == (0x756e6547, 0x49656e69, 0x6c65746e)
    if leaf in (0xb, 0x1f) and sub > 0:
        return (0, 0, sub & 0xff, table.get((leaf, 0), (0, 0, 0, 0))[3])
    if leaf in (0x20000000, 0x80860000, 0xc0000000) and intel:
        return table.get((v[0], 0), (0, 0, 0, 0))
    return (0, 0, 0, 0)


def main():
    src, out = sys.argv[1], sys.argv[2]
    table = parse(src)
    added = []
    tmp = out + '.table'
    for _ in range(20):
        with open(tmp, 'w') as f:
            f.write(text(table))
        p = subprocess.run([os.path.join(HERE, 'cpuid-oracle.sh'), tmp],
                           capture_output=True, text=True)
        if p.returncode not in (0, 3):
            sys.exit('cpuid-oracle.sh failed: ' + p.stderr)
        misses = [tuple(int(x, 16) for x in l.split()[2:4])
                  for l in p.stderr.splitlines() if l.startswith('# miss ')]
        new = [m for m in misses if m not in table]
        if not new:
            break
        for leaf, sub in new:
            table[(leaf, sub)] = made_up(table, leaf, sub)
            added.append((leaf, sub))
    os.unlink(tmp)
    printed = {}
    for l in p.stdout.splitlines()[1:]:
        m = RAW.match(l)
        printed[(int(m[1], 16), int(m[2], 16))] = tuple(int(m[i], 16) for i in range(3, 7))
    # Two leaves bookworm's cpuid reads only at subleaf 0 are walked as
    # cpuid 20250316 walks them: 0x1e.1, 0x24.1..EAX (cpuidctl does too).
    newer = []
    if (0x1e, 0) in printed:
        newer.append((0x1e, 1))
    if (0x24, 0) in printed:
        newer += [(0x24, s) for s in range(1, min(table[(0x24, 0)][0], 255) + 1)]
    for key in newer:
        if key not in table:
            table[key] = made_up(table, *key)
            added.append(key)
        printed[key] = table[key]
    with open(out, 'w') as f:
        f.write(text(printed))
    shown = ['%#x.%u' % (l, s) for (l, s) in added if (l, s) in printed]
    hidden = ['%#x.%u' % (l, s) for (l, s) in added if (l, s) not in printed]
    print('%s: made up (printed): %s' % (os.path.basename(out), ' '.join(shown) or '-'),
          file=sys.stderr)
    print('%s: made up (asked, not printed): %s' % (os.path.basename(out), ' '.join(hidden) or '-'),
          file=sys.stderr)


main()
