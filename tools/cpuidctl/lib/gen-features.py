#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Generate features.def, the cpuidctl feature table.

Sources (provenance, written into the output header):
  - arch/x86/include/asm/cpufeatures.h of every installed Debian kernel
    header package (/usr/src/linux-headers-*-common), newest first: the
    feature names, /proc/cpuinfo names and the word -> CPUID leaf/register
    mapping of the words that mirror a CPUID register;
  - kernel/scattered.tbl: cpuid_bits[] of arch/x86/kernel/cpu/scattered.c,
    the features of Linux-defined words that still come from a CPUID bit;
  - kernel/cpuid-deps.tbl: cpuid_deps[] of arch/x86/kernel/cpu/cpuid-deps.c;
  - kernel/extra.tbl: this project's additions (documented there).

Usage: gen-features.py [HEADER...] > features.def
"""
import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# word -> (leaf, subleaf, reg) for words that are a CPUID register verbatim.
# Checked against the "CPUID level ..., word N" comments below.
WORDS = {
    0: (0x00000001, 0, 'EDX'),
    1: (0x80000001, 0, 'EDX'),
    2: (0x80860001, 0, 'EDX'),
    4: (0x00000001, 0, 'ECX'),
    5: (0xC0000001, 0, 'EDX'),
    6: (0x80000001, 0, 'ECX'),
    9: (0x00000007, 0, 'EBX'),
    10: (0x0000000D, 1, 'EAX'),
    12: (0x00000007, 1, 'EAX'),
    13: (0x80000008, 0, 'EBX'),
    14: (0x00000006, 0, 'EAX'),
    15: (0x8000000A, 0, 'EDX'),
    16: (0x00000007, 0, 'ECX'),
    17: (0x80000007, 0, 'EBX'),
    18: (0x00000007, 0, 'EDX'),
    19: (0x8000001F, 0, 'EAX'),
    20: (0x80000021, 0, 'EAX'),
}

# Instruction-set extensions: what baselines and allow-lists act on.
# Everything else (platform, virtualization, power, security and OS-state
# bits) is left alone by them; see docs/profile-language.md.
ISA = set('''
CX8 CMOV MMX FXSR XMM XMM2
XMM3 PCLMULQDQ SSSE3 FMA CX16 XMM4_1 XMM4_2 MOVBE POPCNT AES XSAVE OSXSAVE
AVX F16C RDRAND
MMXEXT RDTSCP 3DNOWEXT 3DNOW
LAHF_LM ABM SSE4A MISALIGNSSE 3DNOWPREFETCH XOP FMA4 TBM MWAITX
FSGSBASE BMI1 HLE AVX2 BMI2 ERMS RTM MPX AVX512F AVX512DQ RDSEED ADX
AVX512IFMA CLFLUSHOPT CLWB AVX512PF AVX512ER AVX512CD SHA_NI AVX512BW AVX512VL
XSAVEOPT XSAVEC XGETBV1 XSAVES
AVX_VNNI AVX512_BF16 CMPCCXADD FZRM FSRS FSRC LKGS AMX_FP16 AVX_IFMA LAM
AVX_VNNI_INT8 AVX_NE_CONVERT PREFETCHITI
CLZERO RDPRU WBNOINVD
AVX512VBMI UMIP PKU OSPKE WAITPKG AVX512_VBMI2 GFNI VAES VPCLMULQDQ
AVX512_VNNI AVX512_BITALG AVX512_VPOPCNTDQ RDPID CLDEMOTE MOVDIRI MOVDIR64B
ENQCMD
AVX512_4VNNIW AVX512_4FMAPS FSRM AVX512_VP2INTERSECT SERIALIZE TSXLDTRK
AMX_BF16 AVX512_FP16 AMX_TILE AMX_INT8
'''.split())
# Protections and ring-0-only instructions are platform features, not
# extensions a user program dispatches on.
for k in ('UMIP', 'XSAVES', 'LKGS', 'LAM', 'WBNOINVD'):
    ISA.discard(k)

# psABI x86-64 levels (cumulative), as kernel define names.
LEVELS = {
    1: 'FPU CMOV CX8 FXSR MMX SYSCALL XMM XMM2'.split(),
    2: 'CX16 LAHF_LM POPCNT XMM3 XMM4_1 XMM4_2 SSSE3'.split(),
    3: 'AVX AVX2 BMI1 BMI2 F16C FMA ABM MOVBE XSAVE OSXSAVE'.split(),
    4: 'AVX512F AVX512BW AVX512CD AVX512DQ AVX512VL'.split(),
}

OS_BITS = {'OSXSAVE', 'OSPKE'}

# 1.EDX bits AMD repeats in 0x80000001.EDX (AMD APM vol. 3, CPUID
# Fn8000_0001_EDX); the kernel keeps only one copy, a profile must hide both.
AMD_MIRROR = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 23, 24]

DEFRE = re.compile(r'^#define\s+X86_FEATURE_(\w+)\s+\(\s*(\d+)\s*\*\s*32\s*\+\s*(\d+)\s*\)\s*(?:/\*\s*(.*?)\s*\*/)?')
WORDRE = re.compile(r'CPUID level (0x[0-9a-fA-F]+)(?::(\d+))?(?: \((E[ABCD]X)\))?, word (\d+)')


def parse_header(path):
    feats = {}
    for line in open(path, encoding='utf-8', errors='replace'):
        m = WORDRE.search(line)
        if m:
            leaf, sub, reg, word = int(m.group(1), 16), int(m.group(2) or 0), m.group(3) or 'EDX', int(m.group(4))
            if word in WORDS and WORDS[word] != (leaf, sub, reg):
                sys.exit('%s: word %d is %s, expected %s' % (path, word, (leaf, sub, reg), WORDS[word]))
        m = DEFRE.match(line)
        if not m:
            continue
        kname, word, bit, comment = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4) or ''
        q = re.match(r'"([^"]*)"\s*(.*)', comment)
        if q:
            name, desc = q.group(1), q.group(2)
            hidden = name == ''
        else:
            # 6.1: no quotes = shown under the lower-case define name;
            # 6.12: no quotes = hidden. Decided per file below.
            name, desc, hidden = None, comment, None
        feats[kname] = dict(kname=kname, word=word, bit=bit, name=name, desc=desc, hidden=hidden)
    # 6.12 style if any entry has a quoted non-empty name besides the
    # traditional renames; 6.1 style marks hidden ones with "".
    new_style = any(f['name'] == 'fpu' for f in feats.values())
    for f in feats.values():
        if f['name'] is None:
            f['name'] = f['kname'].lower()
            f['hidden'] = new_style
        elif f['name'] == '':
            f['name'] = f['kname'].lower()
    return feats


def read_tbl(name):
    rows = []
    for line in open(os.path.join(HERE, 'kernel', name)):
        line = line.split('#', 1)[0].split()
        if line:
            rows.append(line)
    return rows


def cstr(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def main():
    headers = sys.argv[1:] or sorted(
        glob.glob('/usr/src/linux-headers-*-common/arch/x86/include/asm/cpufeatures.h'),
        key=lambda p: [int(x) if x.isdigit() else x for x in re.split(r'(\d+)', p)], reverse=True)
    if not headers:
        sys.exit('gen-features.py: no cpufeatures.h found; install linux-headers-amd64')
    merged = {}
    provenance = []
    for h in headers:   # newest first: newer names win
        ver = re.search(r'linux-headers-([^/]+?)-common', h)
        provenance.append(ver.group(1) if ver else h)
        for k, f in parse_header(h).items():
            merged.setdefault(k, f)

    scattered = {}
    for kname, reg, bit, leaf, sub in read_tbl('scattered.tbl'):
        scattered.setdefault(kname, []).append((int(leaf, 16), int(sub), reg, int(bit)))

    rows = []   # (id, name, kname, leaf, sub, reg, bit, flags, desc)
    for kname, f in merged.items():
        locs = []
        if f['word'] in WORDS:
            leaf, sub, reg = WORDS[f['word']]
            locs.append((leaf, sub, reg, f['bit']))
        elif kname in scattered:
            locs = scattered[kname]
        for i, (leaf, sub, reg, bit) in enumerate(locs):
            flags = []
            if kname in ISA:
                flags.append('FEAT_ISA')
            if f['hidden']:
                flags.append('FEAT_HIDDEN')
            if kname in OS_BITS:
                flags.append('FEAT_OS')
            ident = kname
            if i:   # second location of the same feature (MBA): an alias
                ident = '%s_%d' % (kname, i)
                flags = ['FEAT_ALIAS'] + flags
            rows.append([ident, f['name'], kname, leaf, sub, reg, bit, flags, f['desc']])

    for r in read_tbl('extra.tbl'):
        if r[0] == 'legacy':
            name, leaf, sub, reg, bit = r[1], int(r[2], 16), int(r[3]), r[4], int(r[5])
            rows.append([name.upper(), name, name.upper(), leaf, sub, reg, bit, ['FEAT_LEGACY'], ''])

    for bit in AMD_MIRROR:
        prim = [r for r in rows if (r[3], r[4], r[5], r[6]) == (1, 0, 'EDX', bit)][0]
        flags = ['FEAT_ALIAS'] + [x for x in prim[7] if x != 'FEAT_HIDDEN'] + ['FEAT_HIDDEN']
        rows.append(['AMD_' + prim[0], prim[1], prim[2], 0x80000001, 0, 'EDX', bit, flags,
                     'AMD copy of 1.EDX bit %d' % bit])

    rows.sort(key=lambda r: (r[3], r[4], 'ABCD'.index(r[5][1]), r[6], r[0]))

    # Sanity: unique positions, unique (non-alias) names.
    seen_pos, seen_name = {}, {}
    for r in rows:
        pos = (r[3], r[4], r[5], r[6])
        if pos in seen_pos:
            sys.exit('duplicate position %s: %s and %s' % (pos, seen_pos[pos], r[0]))
        seen_pos[pos] = r[0]
        if 'FEAT_ALIAS' in r[7]:
            continue
        if r[1] in seen_name:
            sys.exit('duplicate name %s: %s and %s' % (r[1], seen_name[r[1]], r[0]))
        seen_name[r[1]] = r[0]

    bykname = {}
    for r in rows:
        if 'FEAT_ALIAS' not in r[7]:
            bykname.setdefault(r[2], []).append(r[0])

    deps = []
    for feat, dep in read_tbl('cpuid-deps.tbl'):
        deps.append((feat, dep, 'cpuid-deps.c'))
    for r in read_tbl('extra.tbl'):
        if r[0] == 'dep':
            deps.append((r[1], r[2], 'extra.tbl'))
    for r in rows:
        if 'FEAT_ALIAS' in r[7]:
            deps.append((r[0], r[2], 'mirror'))
    out_deps = set()
    for feat, dep, src in deps:
        if src == 'mirror':
            fids, dids = [feat], bykname.get(dep, [])
        else:
            fids, dids = bykname.get(feat, []), bykname.get(dep, [])
        for a in fids:
            for b in dids:
                if a != b:
                    out_deps.add((a, b))

    o = sys.stdout
    o.write('/* SPDX-License-Identifier: GPL-2.0 */\n')
    o.write('/*\n * GENERATED by gen-features.py - do not edit.\n *\n')
    o.write(' * Names and positions: arch/x86/include/asm/cpufeatures.h of Linux %s\n' % ', '.join(provenance))
    o.write(' * (first one wins), scattered.c cpuid_bits[] (kernel/scattered.tbl);\n')
    o.write(' * dependencies: cpuid-deps.c (kernel/cpuid-deps.tbl) and kernel/extra.tbl.\n')
    o.write(' *\n * FEATURE(id, name, kname, leaf, subleaf, reg, bit, flags, desc)\n')
    o.write(' * DEP(id, requires_id)\n * LEVEL(level, id)\n */\n')
    o.write('#ifdef FEATURE\n')
    for r in rows:
        o.write('FEATURE(%s, %s, %s, 0x%08x, %d, CPUID_%s, %d, %s, %s)\n' % (
            r[0], cstr(r[1]), cstr(r[2]), r[3], r[4], r[5], r[6],
            ' | '.join(r[7]) or '0', cstr(r[8])))
    o.write('#endif\n#ifdef DEP\n')
    for a, b in sorted(out_deps):
        o.write('DEP(%s, %s)\n' % (a, b))
    o.write('#endif\n#ifdef LEVEL\n')
    for lvl in sorted(LEVELS):
        for k in LEVELS[lvl]:
            o.write('LEVEL(%d, %s)\n' % (lvl, bykname[k][0]))
    o.write('#endif\n')


main()
