# format.awk: turn the @env/@bench lines of one or more guest logs (one
# file per kernel) into the Markdown table of docs/bench.md.
#
#	awk -f format.awk [-v accel=tcg] [-v qemu_cpu=MODEL] 6.1.log 6.12.log
#
# Lines it does not know are ignored, so the whole guest console can be
# fed to it. A row that was not measured prints "n/a" (with the reason
# when the guest gave one); nothing here fails on a number.

function fmt(ns) {
	if (ns == "" || ns == "?")
		return "n/a"
	ns = ns + 0
	if (ns >= 1000000000)
		return sprintf("%.2f s", ns / 1000000000)
	if (ns >= 1000000)
		return sprintf("%.2f ms", ns / 1000000)
	if (ns >= 1000)
		return sprintf("%.2f µs", ns / 1000)
	return sprintf("%.0f ns", ns)
}

function ratio(a, b) {
	if (a == "" || b == "" || b + 0 == 0)
		return "n/a"
	return sprintf("%.2f×", a / b)
}

function pctover(a, b) {
	if (a == "" || b == "" || b + 0 == 0)
		return "n/a"
	return sprintf("%+.1f %%", (a / b - 1) * 100)
}

FNR == 1 {
	k = ++nk
	kname[k] = FILENAME
	sub(/.*\//, "", kname[k])
	sub(/\.log$/, "", kname[k])
}

# key=value pairs of this line into kv[]; values may be "quoted words".
function parse(line,    rest, key, val) {
	delete kv
	rest = line
	sub(/^@[a-z]+ */, "", rest)
	while (match(rest, /^[A-Za-z0-9_]+=/)) {
		key = substr(rest, 1, RLENGTH - 1)
		rest = substr(rest, RLENGTH + 1)
		if (substr(rest, 1, 1) == "\"") {
			rest = substr(rest, 2)
			val = substr(rest, 1, index(rest, "\"") - 1)
			rest = substr(rest, index(rest, "\"") + 1)
		} else {
			match(rest, /^[^ ]*/)
			val = substr(rest, 1, RLENGTH)
			rest = substr(rest, RLENGTH + 1)
		}
		kv[key] = val
		sub(/^ +/, "", rest)
	}
}

{ sub(/\r$/, "") }

/^@host / {
	parse($0)
	for (f in kv)
		host[k, f] = kv[f]
	next
}

/^@env / {
	parse($0)
	for (f in kv)
		env[k, f] = kv[f]
	next
}

/^@bench / {
	parse($0)
	r = kv["row"]
	for (f in kv)
		b[k, r, f] = kv[f]
	next
}

function cell(k, r,    s) {
	# QUERY once per thread right after ATTACH returned: all armed, or
	# the row failed its check (run-bench.sh then fails too).
	if (r == "attach_threads" && ((k, r, "armed") in b))
		return fmt(b[k, r, "attach_ns"]) (b[k, r, "armed"] == b[k, r, "threads"] ? " (all armed on return)" : " (only " b[k, r, "armed"] " of " b[k, r, "threads"] " armed on return: FAILED)")
	if ((k, r, "skip") in b)
		return "n/a (" b[k, r, "skip"] ")"
	if (!((k, r, "median_ns") in b))
		return "n/a"
	return fmt(b[k, r, "median_ns"]) " / " fmt(b[k, r, "p99_ns"])
}

function med(k, r) {
	return ((k, r, "median_ns") in b) ? b[k, r, "median_ns"] : ""
}

function fld(k, r, key) {
	return ((k, r, key) in b) ? b[k, r, key] : "?"
}

# real / emulated counted around a row's own batches.
function perop(k, r) {
	if (fld(k, r, "real") == "?" || fld(k, r, "emulated") + 0 == 0)
		return "n/a"
	return sprintf("%.4f", fld(k, r, "real") / fld(k, r, "emulated"))
}

function row(label, r,    k, line) {
	line = "| " label
	for (k = 1; k <= nk; k++)
		line = line " | " cell(k, r)
	print line " |"
}

function header(first,    k, line, sep) {
	line = "| " first
	sep = "|---"
	for (k = 1; k <= nk; k++) {
		line = line " | " kname[k]
		sep = sep "|---"
	}
	print line " |"
	print sep "|"
}

# Traps counted around the unmasked task's own batches: must be 0.
function traps(what, r,    k) {
	printf "| traps of the unmasked task, %s (emulated+stale+foreign, = 0)", what
	for (k = 1; k <= nk; k++) {
		if (fld(k, r, "emulated") == "?")
			printf " | n/a"
		else
			printf " | %d (armed=%s)", fld(k, r, "emulated") + fld(k, r, "stale") + fld(k, r, "foreign"), fld(k, r, "armed")
	}
	print " |"
}

# A count measured in the first log that has it, for row labels.
function count(r, key, dflt,    k) {
	for (k = 1; k <= nk; k++)
		if ((k, r, key) in b)
			return b[k, r, key]
	return dflt
}

END {
	if (nk == 0) {
		print "format.awk: no input" > "/dev/stderr"
		exit 1
	}
	print "Environment:"
	print ""
	for (k = 1; k <= nk; k++)
		printf "- %s: kernel %s, guest CPU \"%s\" (%s vCPUs), accelerator %s%s, CPUID faulting mode %s\n",
		    kname[k], env[k, "kernel"], env[k, "cpu"], env[k, "cpus"],
		    accel != "" ? accel : "?",
		    qemu_cpu != "" ? ", QEMU -cpu " qemu_cpu : "",
		    env[k, "mode"]
	for (k = 1; k <= nk; k++)
		if ((k, "load_start") in host)
			printf "- %s run: %s, %s s, host load average %s at start / %s at end on %s host CPUs\n",
			    kname[k], host[k, "date"], host[k, "seconds"],
			    host[k, "load_start"], host[k, "load_end"], host[k, "host_cpus"]
	print ""
	print "TCG timings are not hardware timings: every instruction is emulated,"
	print "so absolute numbers are far slower than on real CPUs. The ratios between"
	print "rows measured in the same boot are what matters."
	print ""
	print "Median / p99 per operation, over batches (CPUID rows: batches of 16 ×"
	print "leaves 0, 1, 7, 0xD, 1024 × for the native and unmasked rows; start-up:"
	print "one fork+exec+exit per sample). Rows of"
	print "one group (1 profile; start-up; 10,000 profiles) ran interleaved, batch"
	print "by batch, so their ratios are not skewed by drift of the shared host."
	print ""
	np = count("cpuidvirt_10k", "profiles", "10,000")
	if (np == 10000)
		np = "10,000"
	nt = count("attach_threads", "threads", "1,000")
	if (nt == 1000)
		nt = "1,000"
	header("Row")
	row("1. CPUID, native (no module, unmasked)", "native")
	row("1. CPUID, emulated by cpuidvirt (1 profile, depth 1)", "cpuidvirt")
	row("1. CPUID, SIGSEGV-handler emulation (libvirtcpuid way)", "signal")
	row("1. Kernel trap-and-emulate floor (UMIP `sgdt`)", "floor_sgdt")
	row("1. getppid() syscall (no module)", "getppid")
	row("2. exec+exit dynamic `true`, no profile", "startup_native")
	row("2. exec+exit dynamic `true`, with profile", "startup_profile")
	row("3. CPUID emulated, " np " profiles attached", "cpuidvirt_10k")
	row("3. floor (UMIP `sgdt`) again, with " np " profiles", "floor_sgdt_10k")
	row("3. CPUID emulated, task at cgroup depth 32", "cpuidvirt_depth32")
	row("3. ATTACH of an empty cgroup (while making the " np ")", "attach_empty")
	row("3. ATTACH to a cgroup with " nt " threads, until all are masked", "attach_threads")
	row("4. CPUID of an unmasked task, 1 profile elsewhere", "unmasked_1")
	row("4. CPUID of an unmasked task, " np " profiles elsewhere", "unmasked_10k")
	row("5. CPUID emulated, path before issue 13 (no native-answer cache, ancestor walk per CPUID)", "cpuidvirt_old")
	row("5. CPUID emulated at depth 32, path before issue 13", "cpuidvirt_depth32_old")
	row("5. CPUID emulated, 1 thread (CPU 0)", "conc_1")
	row("5. CPUID emulated, 2 threads at once (CPUs 0-1), per thread", "conc_2")
	row("5. CPUID emulated, 4 threads at once (CPUs 0-3), per thread", "conc_4")
	row("5. pipe ping-pong (2 context switches), module not loaded", "ctxsw_nomod")
	row("5. pipe ping-pong, module loaded, no profile on either task", "ctxsw_loaded")
	row("5. getppid(), module loaded (reference for the line above)", "getppid_loaded")
	row("6. context switch (pipe ping-pong on one CPU), no module", "ctxsw_nomodule")
	row("6. context switch, module loaded, no profile", "ctxsw_noprofile")
	row("6. context switch, 1 profile elsewhere (both unmasked)", "ctxsw_profile")
	row("6. context switch, both in the profile (masked)", "ctxsw_masked")
	row("6. context switch, masked ↔ unmasked (the bit flips)", "ctxsw_mixed")
	print ""
	header("Ratio (target)")
	printf "| signal / cpuidvirt (≥ 5×)"
	for (k = 1; k <= nk; k++) printf " | %s", ratio(med(k, "signal"), med(k, "cpuidvirt"))
	print " |"
	printf "| cpuidvirt / floor (≤ 1.5×)"
	for (k = 1; k <= nk; k++) printf " | %s", ratio(med(k, "cpuidvirt"), med(k, "floor_sgdt"))
	print " |"
	printf "| cpuidvirt / native"
	for (k = 1; k <= nk; k++) printf " | %s", ratio(med(k, "cpuidvirt"), med(k, "native"))
	print " |"
	printf "| start-up overhead, measured (≤ 10 %%)"
	for (k = 1; k <= nk; k++) printf " | %s", pctover(med(k, "startup_profile"), med(k, "startup_native"))
	print " |"
	# TCG exec times swing by tens of percent with host load; the
	# overhead the profile can add is the CPUIDs it traps times the extra
	# cost of one trapped CPUID, which the latency rows measure well.
	printf "| start-up overhead from counters: CPUIDs × (cpuidvirt − native) / exec"
	for (k = 1; k <= nk; k++) {
		n = fld(k, "startup_profile", "cpuid_per_exec")
		if (n == "?" || med(k, "cpuidvirt") == "" || med(k, "native") == "" || med(k, "startup_native") == "")
			printf " | n/a"
		else
			printf " | %s × %s = %s, %+.2f %%", n, fmt(med(k, "cpuidvirt") - med(k, "native")), fmt(n * (med(k, "cpuidvirt") - med(k, "native"))), 100 * n * (med(k, "cpuidvirt") - med(k, "native")) / med(k, "startup_native")
	}
	print " |"
	printf "| CPUIDs per exec of `true` (module counter), with / without profile"
	for (k = 1; k <= nk; k++) printf " | %s / %s", fld(k, "startup_profile", "cpuid_per_exec"), fld(k, "startup_native", "cpuid_per_exec")
	print " |"
	printf "| %s vs 1 profiles (≈ 1×)", np
	for (k = 1; k <= nk; k++) printf " | %s", ratio(med(k, "cpuidvirt_10k"), med(k, "cpuidvirt"))
	print " |"
	printf "| %s vs 1 profiles, each over its own floor run", np
	for (k = 1; k <= nk; k++) {
		a = ratio(med(k, "cpuidvirt_10k"), med(k, "floor_sgdt_10k"))
		c = ratio(med(k, "cpuidvirt"), med(k, "floor_sgdt"))
		if (a == "n/a" || c == "n/a")
			printf " | n/a"
		else
			printf " | %.2f×", (med(k, "cpuidvirt_10k") / med(k, "floor_sgdt_10k")) / (med(k, "cpuidvirt") / med(k, "floor_sgdt"))
	}
	print " |"
	printf "| depth 32 vs depth 1"
	for (k = 1; k <= nk; k++) printf " | %s", ratio(med(k, "cpuidvirt_depth32"), med(k, "cpuidvirt"))
	print " |"
	printf "| unmasked (1 profile) / native (≈ 1×)"
	for (k = 1; k <= nk; k++) printf " | %s", ratio(med(k, "unmasked_1"), med(k, "native"))
	print " |"
	printf "| unmasked (%s profiles) / native (≈ 1×)", np
	for (k = 1; k <= nk; k++) printf " | %s", ratio(med(k, "unmasked_10k"), med(k, "native"))
	print " |"
	printf "| emulated CPUID, this path / path before issue 13"
	for (k = 1; k <= nk; k++) printf " | %s", ratio(med(k, "cpuidvirt"), med(k, "cpuidvirt_old"))
	print " |"
	printf "| real CPUIDs per emulated CPUID, this path (≤ 0.01) / before"
	for (k = 1; k <= nk; k++) printf " | %s / %s", perop(k, "cpuidvirt"), perop(k, "cpuidvirt_old")
	print " |"
	printf "| depth 32 vs depth 1, before issue 13 (this path: above)"
	for (k = 1; k <= nk; k++) printf " | %s", ratio(med(k, "cpuidvirt_depth32_old"), med(k, "cpuidvirt_old"))
	print " |"
	printf "| 2 threads / 1, 4 threads / 1 (≈ 1×)"
	for (k = 1; k <= nk; k++) printf " | %s, %s", ratio(med(k, "conc_2"), med(k, "conc_1")), ratio(med(k, "conc_4"), med(k, "conc_1"))
	print " |"
	printf "| real CPUIDs per emulated CPUID with 1 / 2 / 4 threads"
	for (k = 1; k <= nk; k++) printf " | %s / %s / %s", perop(k, "conc_1"), perop(k, "conc_2"), perop(k, "conc_4")
	print " |"
	printf "| context switch, module loaded / not loaded (raw; each over its getppid)"
	for (k = 1; k <= nk; k++) {
		if (med(k, "ctxsw_loaded") == "" || med(k, "ctxsw_nomod") == "" || med(k, "getppid_loaded") == "" || med(k, "getppid") == "")
			printf " | n/a"
		else
			printf " | %s (%.2f×)", ratio(med(k, "ctxsw_loaded"), med(k, "ctxsw_nomod")), (med(k, "ctxsw_loaded") / med(k, "getppid_loaded")) / (med(k, "ctxsw_nomod") / med(k, "getppid"))
	}
	print " |"
	traps("1 profile", "unmasked_1")
	traps(np " profiles", "unmasked_10k")
	printf "| %s threads: ATTACH returned / one QUERY of every thread after it / CPUIDs trapped after", nt
	for (k = 1; k <= nk; k++) {
		if (fld(k, "attach_threads", "attach_ns") == "?")
			printf " | n/a"
		else
			printf " | %s / %s / %s of %s", fmt(fld(k, "attach_threads", "attach_ns")), fmt(fld(k, "attach_threads", "query_ns")), fld(k, "attach_threads", "trapped"), fld(k, "attach_threads", "threads")
	}
	print " |"
	printf "| answers checked before, during, after timing (cpuidvirt, signal)"
	for (k = 1; k <= nk; k++) printf " | %s (%s checks), %s (%s checks)", fld(k, "cpuidvirt", "answers"), fld(k, "cpuidvirt", "checks"), fld(k, "signal", "answers"), fld(k, "signal", "checks")
	print " |"
}
