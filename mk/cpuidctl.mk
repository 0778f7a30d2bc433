# cpuidctl library unit tests (Check). Included by the top-level Makefile;
# also usable alone: make -f mk/cpuidctl.mk unit-check
#
#   make unit-check       build and run; TAP in build/results/unit.tap; then
#                         doc-check (mk/doc.mk: man pages, bash completion;
#                         build/results/doc.tap)
#   make unit-valgrind    the same binary under valgrind (leaks are errors)
#   make unit-asan        rebuilt with -fsanitize=address,undefined and run
#   make features-check   features.def matches gen-features.py's output
#
# The parser fuzz tests (tests/unit/test_fuzz.c) run a fixed set of seeds
# plus one random seed per run, all printed; a failure names its seed, and
# UNIT_FUZZ_SEED=N make unit-check replays that seed alone.

TOP ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
BUILD ?= $(TOP)/build

# The pure parts of the commands are tested here too: oci_state.c (the OCI
# hook's parsing), attach_errno.c (what an ATTACH errno means),
# supervise.c (run's signal forwarding), modsupport.c (can the kernel load
# modules at all), cgpath.c (which directory a CGROUP argument names).
UNIT_LIB_SRCS := $(wildcard $(TOP)/tools/cpuidctl/lib/*.c) $(TOP)/tools/cpuidctl/oci_state.c \
		 $(TOP)/tools/cpuidctl/attach_errno.c $(TOP)/tools/cpuidctl/supervise.c \
		 $(TOP)/tools/cpuidctl/modsupport.c $(TOP)/tools/cpuidctl/cgpath.c
UNIT_TEST_SRCS := $(wildcard $(TOP)/tests/unit/*.c)
UNIT_HDRS := $(wildcard $(TOP)/tools/cpuidctl/lib/*.h $(TOP)/tools/cpuidctl/lib/*.def \
	     $(TOP)/tools/cpuidctl/oci_hook.h $(TOP)/tools/cpuidctl/attach.h \
	     $(TOP)/tools/cpuidctl/supervise.h $(TOP)/tools/cpuidctl/modsupport.h \
	     $(TOP)/tools/cpuidctl/cgpath.h \
	     $(TOP)/tests/unit/*.h $(TOP)/uapi/linux/*.h)
UNIT_CFLAGS := -std=gnu11 -O1 -g -Wall -Wextra -Werror -Wmissing-prototypes \
	-isystem $(TOP)/uapi -I$(TOP)/tools/cpuidctl/lib -I$(TOP)/tools/cpuidctl \
	-I$(TOP)/tests/unit \
	-DTEST_DATA_DIR='"$(TOP)/tests/data"' \
	-DCPUIDCTL_BIN='"$(TOP)/tools/cpuidctl/cpuidctl"' $(shell pkg-config --cflags check json-c)
UNIT_LIBS := $(shell pkg-config --libs check json-c)
UNIT_BIN := $(BUILD)/unit/unit-tests
UNIT_ASAN_BIN := $(BUILD)/unit/unit-tests-asan

.PHONY: unit-check unit-valgrind unit-asan features-check

$(UNIT_BIN): $(UNIT_LIB_SRCS) $(UNIT_TEST_SRCS) $(UNIT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $(UNIT_LIB_SRCS) $(UNIT_TEST_SRCS) $(UNIT_LIBS)

$(UNIT_ASAN_BIN): $(UNIT_LIB_SRCS) $(UNIT_TEST_SRCS) $(UNIT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -fsanitize=address,undefined -fno-omit-frame-pointer \
		-o $@ $(UNIT_LIB_SRCS) $(UNIT_TEST_SRCS) $(UNIT_LIBS)

# A build failure still leaves a TAP line, so the summary counts it. The
# tests run the cpuidctl binary too (tests/unit/cli.c): it is built first.
unit-check:
	@mkdir -p $(BUILD)/results
	@rm -f $(BUILD)/results/unit.tap
	@if ! $(MAKE) --no-print-directory -C $(TOP)/tools/cpuidctl || \
	    ! $(MAKE) --no-print-directory -f $(TOP)/mk/cpuidctl.mk \
		TOP=$(TOP) BUILD=$(BUILD) $(UNIT_BIN); then \
		echo "not ok 1 - unit tests: build failed" > $(BUILD)/results/unit.tap; \
		exit 1; \
	fi
	@rc=0; UNIT_TAP=$(BUILD)/results/unit.tap $(UNIT_BIN) || rc=1; \
	$(MAKE) --no-print-directory -f $(TOP)/mk/doc.mk TOP=$(TOP) BUILD=$(BUILD) doc-check || rc=1; \
	exit $$rc

# The committed feature table must be what the generator makes from the
# installed kernel headers (the provenance line, which names the header
# versions, aside). Not part of unit-check: newer Debian headers may add
# bits, which calls for a regeneration, not a failed test run.
features-check:
	@mkdir -p $(BUILD)/unit
	@python3 $(TOP)/tools/cpuidctl/lib/gen-features.py | grep -v 'cpufeatures.h of Linux' >$(BUILD)/unit/features.def.new
	@grep -v 'cpufeatures.h of Linux' $(TOP)/tools/cpuidctl/lib/features.def >$(BUILD)/unit/features.def.old
	@if cmp -s $(BUILD)/unit/features.def.old $(BUILD)/unit/features.def.new; then \
		echo "features-check: features.def is up to date"; \
	else \
		echo "features-check: features.def differs from gen-features.py output; regenerate: tools/cpuidctl/lib/gen-features.py > tools/cpuidctl/lib/features.def" >&2; \
		exit 1; \
	fi

unit-valgrind: $(UNIT_BIN)
	$(MAKE) --no-print-directory -C $(TOP)/tools/cpuidctl
	CK_FORK=no CK_EXCLUDE_TAGS=native-cpuid valgrind --error-exitcode=1 --leak-check=full \
		--errors-for-leak-kinds=definite $(UNIT_BIN)

unit-asan: $(UNIT_ASAN_BIN)
	$(MAKE) --no-print-directory -C $(TOP)/tools/cpuidctl
	CK_FORK=no $(UNIT_ASAN_BIN)
