# Test bed: patched QEMU, guest kernels, initramfs, VM scenario runs.
# Included by the top-level Makefile; everything heavy is in tests/vm/*.sh
# so that the same steps can be run by hand.

VM := $(TOP)/tests/vm
# Defaults from tests/vm/matrix.sh, the one definition of make check's boots.
KERNELS ?= $(shell $(VM)/matrix.sh --kernels)
MODES ?= $(shell $(VM)/matrix.sh --modes)
KERNEL ?= 6.12
MODE ?= working
SCENARIO ?=

.PHONY: deps qemu kernels guest-bins modules kvm-probe vm-check vm-run

deps:
	@sh $(TOP)/scripts/install-deps.sh

qemu:
	@$(VM)/build-qemu.sh

kernels:
	@for k in $(KERNELS); do $(VM)/fetch-kernel.sh $$k || exit 1; done

guest-bins:
	@$(VM)/build-guest-bins.sh

# The module, built for every guest kernel; one result line per kernel.
modules:
	@$(VM)/build-modules.sh --quiet $(KERNELS)

kvm-probe: qemu kernels
	@$(VM)/kvm-probe.sh

# Every kernel x every CPU behaviour (tests/vm/matrix.sh): 8 boots.
vm-check: qemu kernels guest-bins
	@KERNELS="$(KERNELS)" MODES="$(MODES)" $(VM)/vm-check.sh

# One boot: make vm-run KERNEL=6.1 MODE=lie-drop [SCENARIO=module-*]
vm-run:
	@$(VM)/run-guest.sh --kernel $(KERNEL) --mode $(MODE) \
		$(if $(SCENARIO),--scenario '$(SCENARIO)')

# Phases are timed; the summary decides the exit status, so a failing
# phase does not hide the results of the others. KERNELS= or MODES=
# (empty) is an error, not an empty run.
check:
	@KERNELS="$(KERNELS)" MODES="$(MODES)" $(VM)/check.sh

help:
	@sed -n 's/^#   //p' $(TOP)/Makefile
	@echo "  make qemu | kernels | guest-bins | modules | kvm-probe | vm-check"
	@echo "  make unit-check (mk/cpuidctl.mk) | deps"
	@echo "  make man | doc-check (mk/doc.mk: man pages, bash completion)"
