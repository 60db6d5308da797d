// SPDX-License-Identifier: GPL-2.0
/*
 * wire_peek: what of a process's memory can be read off the wire while it
 * moves, for the test that sealed links keep images secret.
 *
 *   wire_peek hold MARKER NODE
 *   wire_peek sniff MARKER SECONDS
 *
 * hold:  fills 1 MiB of its memory with MARKER over and over, moves to
 *        NODE and home again, and prints "moved" (or "goto N: ERRNO").
 * sniff: reads every frame on every interface (root: a packet socket)
 *        for SECONDS and prints "frames F bytes B marked M": M frames
 *        hold MARKER.  A marker of at most 64 bytes, repeated, cannot
 *        fall between two frames everywhere.
 *
 * Exit 0 when it ran to the end, 2 on bad arguments, 1 if a call fails.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "prog_util.h"

#define HOLD_BYTES	(1 << 20)

static int go(long node)
{
	char buf[16];
	int fd = open("/proc/self/goto", O_WRONLY);
	int n = snprintf(buf, sizeof(buf), "%ld", node);

	if (fd < 0 || write(fd, buf, n) != n) {
		printf("goto %ld: %s\n", node, strerrorname_np(errno));
		return -1;
	}
	close(fd);
	return 0;
}

static int hold(const char *marker, long node)
{
	size_t mlen = strlen(marker), i;
	volatile char *mem = malloc(HOLD_BYTES);

	if (!mem)
		return 1;
	for (i = 0; i < HOLD_BYTES; i++)
		mem[i] = marker[i % mlen];
	if (go(node) || go(0))
		return 1;
	printf("moved\n");
	return mem[0] == marker[0] ? 0 : 1;
}

static int sniff(const char *marker, long secs)
{
	size_t mlen = strlen(marker);
	long frames = 0, bytes = 0, marked = 0;
	time_t end = time(NULL) + secs;
	static char frame[65536];
	int s = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	if (s < 0) {
		perror("wire_peek: packet socket");
		return 1;
	}
	/* Ready: the caller starts the move once it reads this line. */
	printf("sniffing\n");
	fflush(stdout);
	while (time(NULL) < end) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 200) != 1)
			continue;
		n = recv(s, frame, sizeof(frame), MSG_DONTWAIT);
		if (n <= 0)
			continue;
		frames++;
		bytes += n;
		if (memmem(frame, n, marker, mlen))
			marked++;
	}
	printf("frames %ld bytes %ld marked %ld\n", frames, bytes, marked);
	return 0;
}

int main(int argc, char **argv)
{
	long n;

	if (argc != 4 || strlen(argv[2]) < 8 || strlen(argv[2]) > 64)
		goto usage;
	if (!strcmp(argv[1], "hold") && !parse_num(argv[3], 0, 65535, &n))
		return hold(argv[2], n);
	if (!strcmp(argv[1], "sniff") && !parse_num(argv[3], 1, 600, &n))
		return sniff(argv[2], n);
usage:
	fprintf(stderr, "usage: wire_peek hold MARKER NODE | sniff MARKER SECONDS\n");
	return 2;
}
