// SPDX-License-Identifier: GPL-2.0
/*
 * bench-true: the smallest dynamically linked program. Its start-up is
 * ld.so + glibc's CPU feature detection (init_cpu_features, the CPUIDs the
 * start-up row counts) + exit. Used when coreutils' true is not available.
 */
int main(void)
{
	return 0;
}
