// SPDX-License-Identifier: GPL-2.0
/*
 * client2 / client2_std: the thesis's benchmark client (appendix C), on
 * migratable sockets or (the _std build) ordinary ones.
 *
 *   client2 ADDR FILE REPS NODE[,NODE...]
 *
 * Connects to server2 at ADDR, then for each node in the list moves
 * there and sends FILE REPS times in 1 KiB blocks, each echoed and
 * checked.  Prints one line per transmission:
 *   xfer NODE BYTES USEC
 * and exits 0 if every byte came back as sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "bench_common.h"
#include "bench_net.h"
#include "mosctl.h"

static int send_all(int s, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = net_send(s, p, len);

		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* One message: the header, then the rest of its length. */
static ssize_t recv_msg(int s, char *buf)
{
	struct bench_hdr *h = (struct bench_hdr *)buf;
	size_t got = 0, want = sizeof(*h);

	while (got < want) {
		ssize_t n = net_recv(s, buf + got, want - got);

		if (n <= 0)
			return -1;
		got += n;
		if (got == sizeof(*h)) {
			if (h->msglen < (int64_t)sizeof(*h) || h->msglen > MSG_MAX)
				return -1;
			want = h->msglen;
		}
	}
	return got;
}

static long usec_since(const struct timeval *t0)
{
	struct timeval t1;

	gettimeofday(&t1, NULL);
	return (t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_usec - t0->tv_usec);
}

static int transmit(int s, const char *data, long len)
{
	char out[MSG_MAX], in[MSG_MAX];
	long ofs;
	size_t n;

	for (ofs = 0; ofs < len; ofs += BLOCK_SIZE) {
		long blk = len - ofs < BLOCK_SIZE ? len - ofs : BLOCK_SIZE;

		n = build_msg(MSGTYPE_DATA, mosctl_get_cur_node(), data + ofs, blk, out);
		if (send_all(s, out, n) || recv_msg(s, in) != (ssize_t)n ||
		    ((struct bench_hdr *)in)->msgtype != MSGTYPE_DATA ||
		    memcmp(in + sizeof(struct bench_hdr), data + ofs, blk)) {
			printf("client2: FAIL echo of block at %ld: %s\n", ofs, strerror(errno));
			return -1;
		}
	}
	n = build_msg(MSGTYPE_END, mosctl_get_cur_node(), NULL, 0, out);
	if (send_all(s, out, n) || recv_msg(s, in) < 0 ||
	    ((struct bench_hdr *)in)->msgtype != MSGTYPE_END) {
		printf("client2: FAIL end of transmission: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int nodes[64], nnodes, reps, i, r, s;
	struct in_addr ia;
	char *data;
	FILE *f;
	long len;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &ia) != 1 ||
	    (reps = atoi(argv[3])) < 1 || (nnodes = parse_nodes(argv[4], nodes, 64)) < 1) {
		fprintf(stderr, "usage: client2 ADDR FILE REPS NODE[,NODE...]\n");
		return 2;
	}
	f = fopen(argv[2], "r");
	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) <= 0) {
		perror("client2: file");
		return 1;
	}
	rewind(f);
	data = malloc(len);
	if (!data || fread(data, 1, len, f) != (size_t)len) {
		perror("client2: read");
		return 1;
	}
	fclose(f);
	if (mosctl_init()) {
		perror("client2: mosctl_init");
		return 1;
	}
	s = net_connect(argv[1], BENCH_PORT);
	if (s < 0) {
		printf("client2: FAIL connect (%s): %s\n", net_kind, strerror(errno));
		return 1;
	}
	for (i = 0; i < nnodes; i++) {
		if (bench_goto(nodes[i])) {
			printf("client2: FAIL goto %d: %s\n", nodes[i], strerror(errno));
			return 1;
		}
		for (r = 0; r < reps; r++) {
			struct timeval t0;

			gettimeofday(&t0, NULL);
			if (transmit(s, data, len))
				return 1;
			printf("xfer %d %ld %ld\n", mosctl_get_cur_node(), len, usec_since(&t0));
			fflush(stdout);
		}
	}
	net_close(s);
	return 0;
}
