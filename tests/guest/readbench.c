// SPDX-License-Identifier: GPL-2.0
/*
 * readbench FILE N
 *
 * Read FILE whole (open, read to EOF in 4 KiB reads, close) N times and
 * print "ns_per_read=T bytes=B" (B: the size of the last read). For the
 * cost of reading /proc/cpuinfo inside and outside a profile. Exit 0, 1
 * if FILE cannot be read, 2 on bad usage.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	char buf[4096];
	long long t0, bytes = 0;
	long n, i;
	ssize_t r;
	int fd;

	if (argc != 3 || (n = strtol(argv[2], NULL, 0)) <= 0) {
		fprintf(stderr, "usage: readbench FILE N\n");
		return 2;
	}
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		fd = open(argv[1], O_RDONLY);
		if (fd < 0) {
			perror(argv[1]);
			return 1;
		}
		bytes = 0;
		while ((r = read(fd, buf, sizeof(buf))) > 0)
			bytes += r;
		close(fd);
		if (r < 0) {
			perror(argv[1]);
			return 1;
		}
	}
	printf("ns_per_read=%lld bytes=%lld\n", (now_ns() - t0) / n, bytes);
	return 0;
}
