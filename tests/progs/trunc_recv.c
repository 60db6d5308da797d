// SPDX-License-Identifier: GPL-2.0
/*
 * trunc_recv: recv(MSG_TRUNC) through a socket proxy.
 *
 *   trunc_recv NODE
 *
 * Opens a UDP socket at home on loopback, moves to NODE (its socket is a
 * proxy there), sends itself a 1000-byte datagram through it and reads it
 * with recv(MSG_TRUNC) into 100 bytes of a larger buffer.  Checks the
 * result is 1000, the 100 bytes are the datagram's and not one byte past
 * them changed.  Prints "ok ..." or "FAIL ..." (exit 1); then goes home.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "prog_util.h"

static int go(const char *node)
{
	int fd = open("/proc/self/goto", O_WRONLY);
	int ok = fd >= 0 && write(fd, node, strlen(node)) == (ssize_t)strlen(node);

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	unsigned char out[1000], in[1000];
	int s, i, rc = 0;
	ssize_t n;

	if (argc != 2) {
		fprintf(stderr, "usage: trunc_recv NODE\n");
		return 2;
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(s, (struct sockaddr *)&a, &al)) {
		printf("FAIL socket: %s\n", strerror(errno));
		return 1;
	}
	if (go(argv[1])) {
		printf("FAIL goto %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (i = 0; i < (int)sizeof(out); i++)
		out[i] = (unsigned char)(i * 7 + 1);
	memset(in, 0xa5, sizeof(in));
	if (sendto(s, out, sizeof(out), 0, (struct sockaddr *)&a, sizeof(a)) != sizeof(out)) {
		printf("FAIL sendto: %s\n", strerror(errno));
		rc = 1;
	} else if ((n = recv(s, in, 100, MSG_TRUNC)) != sizeof(out)) {
		printf("FAIL recv(MSG_TRUNC) returned %zd (%s), want %zu\n", n,
		       n < 0 ? strerror(errno) : "", sizeof(out));
		rc = 1;
	} else if (memcmp(in, out, 100)) {
		printf("FAIL the 100 bytes are not the datagram's\n");
		rc = 1;
	} else {
		for (i = 100; i < (int)sizeof(in); i++)
			if (in[i] != 0xa5)
				break;
		if (i < (int)sizeof(in)) {
			printf("FAIL byte %d past the buffer changed\n", i);
			rc = 1;
		} else {
			printf("ok recv(MSG_TRUNC) on node %s: 1000, 100 bytes of the datagram\n",
			       argv[1]);
		}
	}
	if (go("0"))
		printf("FAIL going home: %s\n", strerror(errno));
	return rc;
}
