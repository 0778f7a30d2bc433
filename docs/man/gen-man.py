#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""gen-man.py CPUIDCTL TEMPLATE > cpuidctl.8

Writes cpuidctl(8) from TEMPLATE (docs/man/cpuidctl.8.in) and the help
texts of the built cpuidctl itself, so that the manual and --help cannot
drift: @COMMANDS@ becomes one entry per command of 'cpuidctl --help'
(its 'cpuidctl help COMMAND' text: the Usage line is the synopsis),
@EXIT_STATUS@ the exit codes of 'cpuidctl --help', @VERSION@ the version
of 'cpuidctl version'. The profile language is left to cpuidvirt.profile(5).

Help text conventions it relies on (tools/cpuidctl/*.c):
  - the first line is "Usage: cpuidctl COMMAND ARGS";
  - unindented lines are prose, blank lines separate paragraphs;
  - an indented block is a list: a line at the block's indentation starts
    an item (its tag ends at a run of two blanks, the rest and any deeper
    lines are its text), "- " starts a bullet; a block whose first line
    ends in ':' ("CPU:") is an example and kept as it is.
"""
import re
import subprocess
import sys


def run(ctl, *args):
    return subprocess.run([ctl, *args], check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True).stdout


def esc(s):
    """Text for roff: backslashes, minus signs, leading control chars."""
    s = s.replace('\\', '\\e').replace('-', '\\-')
    if s.startswith(('.', "'")):
        s = '\\&' + s
    return s


def synopsis(s):
    """'run --profile PROFILE [--] CMD' -> bold literals, italic metavariables."""
    out = []
    for tok in re.split(r'(\s+|[\[\]{}|]|\.\.\.)', s):
        if not tok:
            continue
        if tok.isspace() or tok in '[]{}|' or tok == '...':
            out.append(esc(tok))
        elif tok.startswith('-') or re.fullmatch(r'[a-z][a-z0-9-]*', tok):
            out.append('\\fB' + esc(tok) + '\\fP')
        else:
            out.append('\\fI' + esc(tok) + '\\fP')
    return ''.join(out)


def indent_of(line):
    return len(line) - len(line.lstrip(' '))


def example_block(lines):
    base = min(indent_of(l) for l in lines if l.strip())
    return ['.RS', '.nf'] + [esc(l[base:]) for l in lines] + ['.fi', '.RE']


def list_block(lines):
    """An indented block of help text as .TP items (or bullets)."""
    base = indent_of(lines[0])
    if lines[0].endswith(':'):
        return example_block(lines)
    out = ['.RS']
    tagged = False
    for line in lines:
        text = line.strip()
        if indent_of(line) > base and out[-1] != '.RS':
            out.append(esc(text))
            continue
        if text.startswith('- '):
            out += ['.IP \\(bu 2', esc(text[2:])]
            continue
        m = re.match(r'(\S.*?)(\s{2,})(\S.*)$', text)
        tag, rest = (m.group(1), m.group(3)) if m else (text, None)
        # Consecutive tag lines without text ("profile remove CGROUP",
        # "profile remove --id ID") share one item.
        out.append('.TQ' if tagged else '.TP')
        out.append(synopsis(tag) if tag.startswith('profile ') else '\\fB' + esc(tag) + '\\fP')
        tagged = rest is None
        if rest:
            out.append(esc(rest))
    out.append('.RE')
    return out


def body(lines):
    """Help text after the Usage line, as the text of a .TP entry."""
    out, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        if out:
            out.append('.IP')
        if lines[i].startswith(' '):
            j = i
            while j < len(lines) and lines[j].startswith(' '):
                j += 1
            out += list_block(lines[i:j])
        else:
            j = i
            while j < len(lines) and lines[j].strip() and not lines[j].startswith(' '):
                out.append(esc(lines[j]))
                j += 1
        i = j
    return out


def command_entry(ctl, name):
    text = run(ctl, 'help', name)
    # 'help profile' appends the language: cpuidvirt.profile(5) has it.
    for stop in ('The profile language:', 'PROFILE LANGUAGE'):
        if '\n' + stop + '\n' in text:
            text = text[:text.index('\n' + stop + '\n') + 1]
    lines = text.rstrip('\n').split('\n')
    m = re.match(r'Usage: cpuidctl (\S+)\s*(.*)$', lines[0])
    if not m or m.group(1) != name:
        sys.exit(f"gen-man: 'cpuidctl help {name}' does not start with 'Usage: cpuidctl {name}'")
    return ['.TP', '\\fB' + esc(name) + '\\fP ' + synopsis(m.group(2))] + body(lines[1:])


def main():
    ctl, template = sys.argv[1], sys.argv[2]
    top = run(ctl, '--help').split('\n')
    cmds = []
    exits = []
    section = None
    for line in top:
        if line.endswith(':') and not line.startswith(' '):
            section = line
            continue
        if not line.strip():
            continue
        if section == 'Available subcommands:' and line.startswith('  '):
            cmds.append(line.split()[0])
        elif section == 'Exit status:':
            exits.append(line)
    if not cmds or not exits:
        sys.exit("gen-man: 'cpuidctl --help' lists no commands or no exit status")
    commands = []
    for c in cmds:
        commands += command_entry(ctl, c)
    version = run(ctl, 'version').split('\n')[0].split()[1]
    out = open(template).read()
    out = out.replace('@VERSION@', version)
    out = out.replace('@COMMANDS@\n', '\n'.join(commands) + '\n')
    out = out.replace('@EXIT_STATUS@\n', '\n'.join(list_block(exits)[1:-1]) + '\n')
    sys.stdout.write(out)


main()
