# make demo: from a fresh Debian 12 machine to a side-by-side view of what
# programs see inside and outside a cgroup with the x86-64-v2 profile.
# Included by the top-level Makefile. Every step says what it does; the
# guest part is tests/vm/demo/demo.sh.

DEMO_KERNEL ?= 6.12

.PHONY: demo demo-build demo-migrate

demo-build:
	@echo "== 1/4 installing missing Debian packages (scripts/install-deps.sh)"
	@if [ "$$(id -u)" = 0 ]; then sh $(TOP)/scripts/install-deps.sh; \
	 else sudo sh $(TOP)/scripts/install-deps.sh; fi
	@echo "== 2/4 building QEMU with CPUID faulting and fetching the $(DEMO_KERNEL) guest kernel"
	@$(MAKE) --no-print-directory qemu kernels guest-bins KERNELS=$(DEMO_KERNEL)
	@echo "== 3/4 building the cpuidvirt module and cpuidctl"
	@$(MAKE) --no-print-directory modules KERNELS=$(DEMO_KERNEL)
	@$(MAKE) --no-print-directory -C $(TOP)/tools/cpuidctl

# The guest runs only the demo (tests/vm/hidden/cpuidctl-demo.sh ->
# tests/vm/demo/demo.sh); its console, minus the boot noise, is the demo.
DEMO_LOG := $(BUILD)/logs/$(DEMO_KERNEL)-working-demo.log

demo: demo-build
	@echo "== 4/4 booting the guest (kernel $(DEMO_KERNEL), emulated CPU with working CPUID faulting)"
	@$(VM)/run-guest.sh --kernel $(DEMO_KERNEL) --mode working --tag demo \
		--hidden cpuidctl-demo --no-substrate --quiet; rc=$$?; \
	sed -n '/^# --- cpuidctl-demo/,/^CPUIDVIRT-DONE/p' $(DEMO_LOG) | \
		grep -v -E '^(# --- |CPUIDVIRT-DONE|\[ *[0-9]+\.[0-9]+\] )'; \
	[ $$rc = 0 ] && echo "== demo finished; full console log: $(DEMO_LOG)" || \
		{ echo "== demo FAILED; console log: $(DEMO_LOG)"; exit 1; }

# make demo-migrate: a process moved with CRIU from a Skylake-Client-v4
# guest to a SandyBridge guest, under the lcd profile of the two (it ticks
# on) and without it (it dies of SIGILL); tests/vm/demo/demo-migrate.sh,
# docs/migration.md.
demo-migrate: demo-build
	@echo "== 4/4 two guest boots per run (kernel $(DEMO_KERNEL)), criu fetched on first use"
	@$(VM)/demo/demo-migrate.sh --kernel $(DEMO_KERNEL)
