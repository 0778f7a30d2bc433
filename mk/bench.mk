# Benchmarks (issue 6): make bench [KERNELS="6.1 6.12"] [BENCH_ARGS=...]
# Boots the test-bed guest once per kernel and prints the table that
# docs/bench.md records (build/bench/table.md). Never fails on a number;
# fails on a wrong CPUID answer or a thread not armed when ATTACH returns.
# BENCH_ARGS is passed to tests/bench/run-bench.sh, e.g.
#   make bench KERNELS=6.12 BENCH_ARGS="--profiles 1000 --batches 100"

BENCH_ARGS ?=

.PHONY: bench bench-bins

# Host build only (the CPUID and getppid rows also run on the host:
# build/bench/bin/cvbench lat cpuid).
bench-bins:
	@mkdir -p $(BUILD)/bench/bin
	$(CC) -O2 -g -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -isystem $(TOP)/uapi \
		-static -pthread -o $(BUILD)/bench/bin/cvbench $(TOP)/tests/bench/cvbench.c
	$(CC) -O2 -o $(BUILD)/bench/bin/bench-true $(TOP)/tests/bench/bench-true.c

bench:
	@$(TOP)/tests/bench/run-bench.sh --kernels "$(KERNELS)" $(BENCH_ARGS)
