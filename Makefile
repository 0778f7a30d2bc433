# cpuidvirt top-level Makefile.
#
#   make                  build cpuidctl (tools/cpuidctl/cpuidctl)
#   make demo             set everything up, boot a guest, show a profile at work
#   make demo-migrate     move a process with CRIU between two emulated CPUs,
#                         with the lcd profile (survives) and without (SIGILL)
#   make check            everything: unit tests, module builds, VM scenarios
#                         (ends with one line "N passed, N failed")
#   make bench            benchmarks in guests (tables; fails on wrong answers, never on a number)
#   make dkms-install     install the module with DKMS (docs/install.md)
#   make install          install cpuidctl, its man pages and bash completion,
#                         and the OCI hook configuration
#   make vm-run KERNEL=6.12 MODE=working [SCENARIO=pattern]
#                         one guest boot, results printed
#   make help             all targets
#
# Component rules live in mk/*.mk (testbed.mk: QEMU, kernels, VM boots;
# cpuidctl.mk: the control tool and its unit tests; ...).

SHELL := /bin/bash
TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
CACHE := $(TOP)/.cache
BUILD := $(TOP)/build

.PHONY: all check help
all:
	$(MAKE) -C $(TOP)/tools/cpuidctl

-include $(sort $(wildcard $(TOP)/mk/*.mk))
