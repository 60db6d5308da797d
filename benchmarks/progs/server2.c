// SPDX-License-Identifier: GPL-2.0
/*
 * server2 / server2_std: the thesis's benchmark server (appendix C), on
 * migratable sockets or (the _std build) ordinary ones.
 *
 *   server2 REPS NODE[,NODE...]
 *
 * Accepts one client on port 1000, echoes every message; after every
 * REPS transmissions (END messages) moves to the next node in the list.
 * Exits 0 when the client closes.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_common.h"
#include "bench_net.h"
#include "mosctl.h"

int main(int argc, char **argv)
{
	int nodes[64], nnodes, reps, s, step = 0, ends = 0;
	char buf[MSG_MAX];

	if (argc != 3 || (reps = atoi(argv[1])) < 1 ||
	    (nnodes = parse_nodes(argv[2], nodes, 64)) < 1) {
		fprintf(stderr, "usage: server2 REPS NODE[,NODE...]\n");
		return 2;
	}
	if (mosctl_init()) {
		perror("server2: mosctl_init");
		return 1;
	}
	printf("server2: listening\n");
	fflush(stdout);
	s = net_accept_one(BENCH_PORT);
	if (s < 0) {
		printf("server2: FAIL accept (%s): %s\n", net_kind, strerror(errno));
		return 1;
	}
	if (bench_goto(nodes[0])) {
		printf("server2: FAIL goto %d: %s\n", nodes[0], strerror(errno));
		return 1;
	}
	for (;;) {
		struct bench_hdr *h = (struct bench_hdr *)buf;
		size_t got = 0, want = sizeof(*h);

		while (got < want) {
			ssize_t n = net_recv(s, buf + got, want - got);

			if (n == 0 && got == 0)
				return 0;	/* the client is done */
			if (n <= 0) {
				printf("server2: FAIL recv: %s\n", strerror(errno));
				return 1;
			}
			got += n;
			if (got == sizeof(*h)) {
				if (h->msglen < (int64_t)sizeof(*h) || h->msglen > MSG_MAX) {
					printf("server2: FAIL bad message length\n");
					return 1;
				}
				want = h->msglen;
			}
		}
		h->curnode = mosctl_get_cur_node();
		if (net_send(s, buf, got) != (ssize_t)got) {
			printf("server2: FAIL send: %s\n", strerror(errno));
			return 1;
		}
		if (h->msgtype == MSGTYPE_END && ++ends % reps == 0 && step + 1 < nnodes) {
			step++;
			if (bench_goto(nodes[step])) {
				printf("server2: FAIL goto %d: %s\n", nodes[step], strerror(errno));
				return 1;
			}
		}
	}
}
