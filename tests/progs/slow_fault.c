// SPDX-License-Identifier: GPL-2.0
/*
 * slow_fault: a migsock send from a buffer whose page faults take long.
 *
 *   slow_fault PORT SECS
 *
 * Listens on PORT (thesis API, descriptor 0) and accepts one connection
 * (descriptor 1), whose peer is expected to send to it meanwhile.  Then
 * sends 64 KiB from a fresh anonymous mapping registered with
 * userfaultfd: the first fault is served only after SECS seconds, so the
 * send is stuck copying from user memory that long.  Segments for this
 * socket (the peer's data) keep arriving at the node; other connections
 * of the node must go on.  Prints "listening", "sending", then "ok sent N
 * after T s" (or "FAIL ..."); then holds the connection until SIGTERM.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ms_calls.h"
#include "prog_util.h"

#define LEN (64 * 1024)

static int uffd;
static long delay_s;
static char page[4096];

/* Serves every fault; the first only after the delay. */
static void *serve_faults(void *arg)
{
	int first = 1;

	(void)arg;
	memset(page, 'z', sizeof(page));
	for (;;) {
		struct pollfd p = { .fd = uffd, .events = POLLIN };
		struct uffd_msg m;
		struct uffdio_copy c;

		if (poll(&p, 1, -1) < 0 || read(uffd, &m, sizeof(m)) != sizeof(m))
			continue;
		if (m.event != UFFD_EVENT_PAGEFAULT)
			continue;
		if (first) {
			sleep(delay_s);
			first = 0;
		}
		c.dst = m.arg.pagefault.address & ~4095ULL;
		c.src = (unsigned long)page;
		c.len = sizeof(page);
		c.mode = 0;
		c.copy = 0;
		ioctl(uffd, UFFDIO_COPY, &c);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct timespec t0, t1;
	long port, n;
	pthread_t th;
	char *region;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3 || parse_num(argv[1], 1, 65535, &port) ||
	    parse_num(argv[2], 1, 600, &delay_s)) {
		fprintf(stderr, "usage: slow_fault PORT SECS\n");
		return 2;
	}
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		printf("FAIL userfaultfd: %s\n", strerror(errno));
		return 1;
	}
	region = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (unsigned long)region;
	reg.range.len = LEN;
	if (region == MAP_FAILED || ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		printf("FAIL registering the buffer: %s\n", strerror(errno));
		return 1;
	}
	if (pthread_create(&th, NULL, serve_faults, NULL)) {
		printf("FAIL thread\n");
		return 1;
	}
	if (ms_listen(0, (unsigned short)port, NULL)) {
		printf("FAIL listen: %s\n", strerror(errno));
		return 1;
	}
	printf("listening\n");
	if (ms_accept(0, 1, NULL)) {
		printf("FAIL accept: %s\n", strerror(errno));
		return 1;
	}
	printf("sending\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = ms_send(1, region, LEN, 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (n != LEN) {
		printf("FAIL send returned %ld: %s\n", n, strerror(errno));
		return 1;
	}
	printf("ok sent %ld after %ld s\n", n, (long)(t1.tv_sec - t0.tv_sec));
	for (;;)
		pause();
	return 0;
}
