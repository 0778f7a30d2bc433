#!/usr/bin/python3
"""qmp-watch.py SOCKET OUT DEADLINE [SYSTEM_MAP]

Runs beside one QEMU boot of run-guest.sh, on its QMP socket, until QEMU
exits:

- A guest that suspended itself to RAM (ACPI S3) is woken after 1 s
  (system_wakeup). The guest cannot wake itself reliably: an RTC alarm
  that fires before the guest is all the way in S3 (a slow suspend under
  TCG) is lost, and the guest then sleeps until the wall-clock timeout,
  with no kernel report, its console suspended.
- A guest woken that way must be back in its kernel (vCPU 0 with paging
  on) within RESUME_LIMIT seconds. Under QEMU 7.2's multi-threaded TCG
  the firmware's S3 resume (SeaBIOS) now and then runs away instead,
  both vCPUs with paging off, forever (docs/testbed.md, "Suspend to
  RAM"): the watcher then records the vCPUs and quits QEMU, and
  run-guest.sh boots once more. CPUIDVIRT_TEST_RESUME_STUCK=1 (test bed
  self-test) takes that path at the first wake, without looking.
- At DEADLINE (seconds since the epoch: shortly before run-guest.sh's
  wall-clock timeout kills QEMU) it records the state of the hung guest:
  QEMU's run state and each vCPU's RIP, named from SYSTEM_MAP when that
  has the kernel's symbols (Debian's is a stub) and the guest's init
  printed where its kernel text lies ("cpuidvirt-guest: _text ADDR",
  KASLR's slide) in the console log named by the CONSOLE_LOG environment
  variable. Then, if the guest is running, it sends the guest an NMI:
  booted with unknown_nmi_panic, the kernel panics with the backtrace of
  what the interrupted CPU was doing (run-guest.sh then finds a report).

OUT gets one line per event, read by run-guest.sh:
  woke N          the guest was woken from S3 (N-th time)
  resume-stuck S  not back in the kernel S seconds after a wake (QEMU quit)
  state STATUS    QEMU's run state (at resume-stuck or DEADLINE)
  cpu N RIP SYM   a vCPU's instruction pointer (EIP outside long mode)
  cpu N paging off (CR0=X)  that vCPU is not running the kernel
  nmi             the NMI was sent
"""
import bisect
import json
import os
import re
import socket
import sys
import time

RESUME_LIMIT = 30


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.reply()                    # the greeting
        self.cmd("qmp_capabilities")

    def line(self):
        while b"\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.buf += data
        one, self.buf = self.buf.split(b"\n", 1)
        return json.loads(one)

    def reply(self):
        while True:
            msg = self.line()
            if "event" not in msg:      # events come in between: skip them
                return msg

    def cmd(self, name, **args):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        self.sock.sendall(json.dumps(req).encode() + b"\n")
        msg = self.reply()
        if "error" in msg:
            raise RuntimeError("%s: %s" % (name, msg["error"].get("desc")))
        return msg.get("return")


def connect(path, until):
    while True:
        try:
            return Qmp(path)
        except (OSError, EOFError):
            if time.time() > until:
                return None
            time.sleep(0.2)


def symbolizer(system_map, ktext):
    """RIP -> 'symbol+0xoff', or '' without a map or a slide."""
    if not system_map or not ktext or not os.path.exists(system_map):
        return lambda rip: ""
    addrs, names, text = [], [], None
    with open(system_map) as f:
        for ln in f:
            p = ln.split()
            if len(p) < 3 or p[1] not in "tTwW":
                continue
            a = int(p[0], 16)
            if p[2] == "_text":
                text = a
            addrs.append(a)
            names.append(p[2])
    if text is None:
        return lambda rip: ""
    order = sorted(range(len(addrs)), key=addrs.__getitem__)
    addrs = [addrs[i] for i in order]
    names = [names[i] for i in order]
    slide = int(ktext, 16) - text

    def name(rip):
        a = rip - slide
        i = bisect.bisect_right(addrs, a) - 1
        if i < 0 or a - addrs[i] > 0x100000:
            return "(not kernel text)"
        return "%s+0x%x" % (names[i], a - addrs[i])
    return name


def hmp(q, line):
    return q.cmd("human-monitor-command", **{"command-line": line})


def in_kernel(q):
    """vCPU 0 (the monitor's CPU) runs with paging on."""
    m = re.search(r"CR0=([0-9a-f]+)", hmp(q, "info registers"))
    return bool(m) and int(m.group(1), 16) & 0x80000000 != 0


def dump_cpus(q, log, name):
    regs = hmp(q, "info registers -a")
    cpu = 0
    for ln in regs.splitlines():
        m = re.match(r"CPU#(\d+)", ln)
        if m:
            cpu = int(m.group(1))
        m = re.search(r"[RE]IP=([0-9a-f]+)", ln)
        if m:
            rip = int(m.group(1), 16)
            log.write("cpu %d %016x %s\n" % (cpu, rip, name(rip)))
        m = re.search(r"CR0=([0-9a-f]+)", ln)
        if m and not int(m.group(1), 16) & 0x80000000:
            log.write("cpu %d paging off (CR0=%s)\n" % (cpu, m.group(1)))


def record_state(q, log, name):
    """QEMU's run state and the vCPUs; returns the run state."""
    status = q.cmd("query-status")["status"]
    log.write("state %s\n" % status)
    dump_cpus(q, log, name)
    return status


def resume_stuck(q, log):
    log.write("resume-stuck %d\n" % RESUME_LIMIT)
    record_state(q, log, lambda rip: "")
    q.cmd("quit")


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    path, out, deadline = sys.argv[1], sys.argv[2], float(sys.argv[3])
    system_map = sys.argv[4] if len(sys.argv) > 4 else ""
    q = connect(path, time.time() + 60)
    if q is None:
        sys.exit("qmp-watch: no QMP socket at %s" % path)
    woke, since, woken_at = 0, None, None
    pretend_stuck = os.environ.get("CPUIDVIRT_TEST_RESUME_STUCK") == "1"
    with open(out, "a", buffering=1) as log:
        try:
            while time.time() < deadline:
                status = q.cmd("query-status")["status"]
                if status == "suspended":
                    since = since or time.time()
                    if time.time() - since >= 1:
                        try:
                            q.cmd("system_wakeup")
                        except RuntimeError:
                            continue    # it woke in between
                        woke += 1
                        log.write("woke %d\n" % woke)
                        since = None
                        woken_at = time.time()
                        if pretend_stuck:
                            return resume_stuck(q, log)
                elif woken_at is not None:
                    since = None
                    if in_kernel(q):
                        woken_at = None
                    elif time.time() - woken_at > RESUME_LIMIT:
                        return resume_stuck(q, log)
                else:
                    since = None
                time.sleep(0.25)
            ktext = ""
            console = os.environ.get("CONSOLE_LOG", "")
            if console and os.path.exists(console):
                with open(console, errors="replace") as f:
                    m = re.search(r"cpuidvirt-guest: _text ([0-9a-f]+)",
                                  f.read())
                    ktext = m.group(1) if m else ""
            if record_state(q, log, symbolizer(system_map, ktext)) == "running":
                q.cmd("inject-nmi")
                log.write("nmi\n")
                while True:             # until QEMU exits (-no-reboot)
                    q.line()
        except (EOFError, OSError):
            pass                        # QEMU exited: the boot is over


if __name__ == "__main__":
    main()
