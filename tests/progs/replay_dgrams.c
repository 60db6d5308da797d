// SPDX-License-Identifier: GPL-2.0
/*
 * replay_dgrams: capture datagrams this node sends to migsock's port on
 * ADDR, then send them again, for the replay test.
 *
 *   replay_dgrams ADDR COUNT
 *
 * Captures up to COUNT outgoing MTCP datagrams to ADDR:19791 (packet
 * socket: needs CAP_NET_RAW; at most 20 s), then sends each payload again
 * to ADDR:19791 from an ordinary UDP socket.  Prints "replayed N datagrams
 * (captured in T s)"; exits 1 if none was captured.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "prog_util.h"

#define MTCP_PORT	19791
#define MAX_DGRAMS	1000

struct dgram {
	uint16_t len;
	uint8_t data[2048];
};

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct dgram d[MAX_DGRAMS];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(MTCP_PORT) };
	struct pollfd pf;
	uint8_t pkt[4096];
	double t0 = now();
	long count;
	int p, u, n = 0, i;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 ||
	    parse_num(argv[2], 1, MAX_DGRAMS, &count)) {
		fprintf(stderr, "usage: replay_dgrams ADDR COUNT (1-%d)\n", MAX_DGRAMS);
		return 2;
	}
	/* Outgoing packets reach only the taps of every protocol. */
	p = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_ALL));
	if (p < 0) {
		fprintf(stderr, "replay_dgrams: packet socket: %s\n", strerror(errno));
		return 1;
	}
	pf.fd = p;
	pf.events = POLLIN;
	while (n < count && now() - t0 < 20 && poll(&pf, 1, 1000) >= 0) {
		struct sockaddr_ll from;
		socklen_t fl = sizeof(from);
		ssize_t len;
		size_t ihl;

		if (!(pf.revents & POLLIN))
			continue;
		len = recvfrom(p, pkt, sizeof(pkt), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (len < 28 || from.sll_pkttype != PACKET_OUTGOING ||
		    from.sll_protocol != htons(ETH_P_IP))
			continue;
		ihl = (pkt[0] & 15) * 4;
		if ((pkt[0] >> 4) != 4 || pkt[9] != IPPROTO_UDP || len < (ssize_t)ihl + 8 ||
		    memcmp(pkt + 16, &to.sin_addr, 4) || ((pkt[ihl + 2] << 8) | pkt[ihl + 3]) != MTCP_PORT)
			continue;
		if (len - ihl - 8 > sizeof(d[n].data))
			continue;
		d[n].len = len - ihl - 8;
		memcpy(d[n].data, pkt + ihl + 8, d[n].len);
		n++;
	}
	close(p);
	if (!n) {
		fprintf(stderr, "replay_dgrams: nothing captured\n");
		return 1;
	}
	u = socket(AF_INET, SOCK_DGRAM, 0);
	for (i = 0; i < n; i++) {
		if (sendto(u, d[i].data, d[i].len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			fprintf(stderr, "replay_dgrams: send: %s\n", strerror(errno));
			return 1;
		}
		usleep(500);
	}
	printf("replayed %d datagrams (captured in %.1f s)\n", n, now() - t0);
	return 0;
}
