// SPDX-License-Identifier: GPL-2.0
/*
 * udpsend: send one datagram to migsock's receive daemon, to test how it
 * treats good and bad input.
 *
 *   udpsend ADDR PORT good|badsum|garbage|short
 *
 * good:    a 24-byte MTCP header (SYN, home nodes 2 -> 1) with its checksum
 * badsum:  the same with the checksum off by one
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

#include "prog_util.h"

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	uint8_t seg[24] = { 0 };
	size_t len = sizeof(seg);
	int s;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) {
		fprintf(stderr, "usage: udpsend ADDR PORT good|badsum|garbage|short\n");
		return 2;
	}
	a.sin_port = htons(atoi(argv[2]));
	put16(seg + 0, 1000);		/* source port */
	put16(seg + 2, 1000);		/* destination port */
	put16(seg + 4, 2);		/* source home node */
	put16(seg + 6, 1);		/* destination home node */
	seg[11] = 1;			/* sequence number 1 */
	seg[16] = 6 << 4;		/* data offset: 6 words */
	seg[17] = 0x02;			/* SYN */
	put16(seg + 18, 8192);		/* window */
	put16(seg + 20, mtcp_checksum(seg, len));
	if (!strcmp(argv[3], "badsum")) {
		put16(seg + 20, mtcp_checksum(seg, len) + 1);
	} else if (!strcmp(argv[3], "garbage")) {
		memcpy(seg, "hello", 5);
		len = 5;
	} else if (!strcmp(argv[3], "short")) {
		len = 20;
	} else if (strcmp(argv[3], "good")) {
		fprintf(stderr, "udpsend: unknown kind %s\n", argv[3]);
		return 2;
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || sendto(s, seg, len, 0, (struct sockaddr *)&a, sizeof(a)) != (ssize_t)len) {
		perror("udpsend");
		return 1;
	}
	return 0;
}
