// SPDX-License-Identifier: GPL-2.0
/*
 * udpsend: send datagrams to migsock's receive daemon, to test how it
 * treats good and bad input.
 *
 *   udpsend [-k KEYFILE -s SRC -d DST] ADDR PORT KIND
 *
 * With -k the datagram carries the trailer of the cluster key in KEYFILE
 * (64 hex digits), as node SRC would send it to node DST; without, no
 * trailer (what anyone without the key can send).  KIND:
 *
 * good:    a 24-byte MTCP header (SYN, home nodes 2 -> 1) with its checksum
 * badsum:  the same with the checksum off by one
 * badtag:  good, with one bit of the tag flipped (needs -k)
 * replay:  good, sent twice with the same counter (needs -k)
 * garbage: five bytes of text; short: a header cut to 20 bytes
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "blake2s.h"
#include "prog_util.h"

static void usage(void)
{
	fprintf(stderr, "usage: udpsend [-k KEYFILE -s SRC -d DST] ADDR PORT "
		"good|badsum|badtag|replay|garbage|short\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	uint8_t seg[24 + MTCP_TRAILER_LEN] = { 0 };
	const char *keyfile = NULL, *kind;
	long src = 0, dst = 0, port;
	size_t len = 24;
	uint8_t key[32];
	int s, c, times = 1;

	while ((c = getopt(argc, argv, "k:s:d:")) != -1) {
		switch (c) {
		case 'k':
			keyfile = optarg;
			break;
		case 's':
			if (parse_num(optarg, 1, 65535, &src))
				usage();
			break;
		case 'd':
			if (parse_num(optarg, 1, 65535, &dst))
				usage();
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 3 || inet_pton(AF_INET, argv[optind], &a.sin_addr) != 1 ||
	    parse_num(argv[optind + 1], 1, 65535, &port) || (keyfile && (!src || !dst)))
		usage();
	kind = argv[optind + 2];
	if (keyfile && read_cluster_key(keyfile, key)) {
		fprintf(stderr, "udpsend: %s: not a key file\n", keyfile);
		return 1;
	}
	a.sin_port = htons(port);
	put16(seg + 0, 1000);		/* source port */
	put16(seg + 2, 1000);		/* destination port */
	put16(seg + 4, 2);		/* source home node */
	put16(seg + 6, 1);		/* destination home node */
	seg[11] = 1;			/* sequence number 1 */
	seg[16] = 6 << 4;		/* data offset: 6 words */
	seg[17] = 0x02;			/* SYN */
	put16(seg + 18, 8192);		/* window */
	put16(seg + 20, mtcp_checksum(seg, len));
	if (!strcmp(kind, "badsum")) {
		put16(seg + 20, mtcp_checksum(seg, len) + 1);
	} else if (!strcmp(kind, "garbage")) {
		memcpy(seg, "hello", 5);
		len = 5;
	} else if (!strcmp(kind, "short")) {
		len = 20;
	} else if (!strcmp(kind, "replay") && keyfile) {
		times = 2;
	} else if (strcmp(kind, "good") && !(!strcmp(kind, "badtag") && keyfile)) {
		fprintf(stderr, "udpsend: unknown kind %s (or it needs -k)\n", kind);
		return 2;
	}
	if (keyfile) {
		seal_datagram(key, src, dst, trailer_epoch(), 1, seg, len);
		if (!strcmp(kind, "badtag"))
			seg[len + MTCP_TRAILER_LEN - 1] ^= 1;
		len += MTCP_TRAILER_LEN;
	}
	memset(key, 0, sizeof(key));
	s = socket(AF_INET, SOCK_DGRAM, 0);
	while (times--) {
		if (s < 0 || sendto(s, seg, len, 0, (struct sockaddr *)&a, sizeof(a)) != (ssize_t)len) {
			perror("udpsend");
			return 1;
		}
	}
	return 0;
}
