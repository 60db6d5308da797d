// SPDX-License-Identifier: GPL-2.0
/*
 * forge_link: what a user without the cluster key can try on a node's
 * migration daemon (hpc's TCP port 19790), for the security tests.
 *
 *   forge_link ADDR image|hello FROM TO
 *
 * image: connect and send at once a process image header (BEGIN, uid 0,
 *        all capabilities, the executable /bin/sh), as a node of the
 *        link protocol before the handshake did.
 * hello: the handshake as node FROM to node TO: a well-formed hello, then
 *        a guessed proof, then the same image.
 *
 * Prints "refused: ..." and exits 0 if the daemon hung up without taking
 * the image; prints "ANSWERED ..." and exits 1 if it acknowledged a
 * process (the attack got through); exits 2 on bad arguments.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "prog_util.h"

#define HPC_PORT	19790
#define MSG_MAGIC	0x48504d47
#define MSG_VERSION	5
enum { MSG_BEGIN = 1, MSG_ACK = 7, MSG_HELLO = 13, MSG_HELLO_REPLY, MSG_PROOF };

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static int send_msg(int s, uint8_t type, const void *body, size_t len)
{
	uint8_t hdr[12] = { 0 };

	put32(hdr, MSG_MAGIC);
	hdr[4] = MSG_VERSION;
	hdr[5] = type;
	put32(hdr + 8, (uint32_t)len);
	if (write_all(s, hdr, sizeof(hdr)) || write_all(s, body, len))
		return -1;
	return 0;
}

/* Reads what the daemon sends until it hangs up (at most 10 s). */
static int until_hangup(int s, uint8_t *first, size_t *got)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	uint8_t buf[512];

	*got = 0;
	while (poll(&p, 1, 10000) == 1) {
		ssize_t n = read(s, buf, sizeof(buf));

		if (n <= 0)
			return 0;
		if (*got < 64)
			memcpy(first + *got, buf, (size_t)n < 64 - *got ? (size_t)n : 64 - *got);
		*got += n;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(HPC_PORT) };
	static uint8_t image[4096];
	uint8_t first[64], hello[24] = { 0 }, proof[16];
	long from, to;
	size_t got;
	int s, i;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &a.sin_addr) != 1 ||
	    (strcmp(argv[2], "image") && strcmp(argv[2], "hello")) ||
	    parse_num(argv[3], 1, 65535, &from) || parse_num(argv[4], 1, 65535, &to)) {
		fprintf(stderr, "usage: forge_link ADDR image|hello FROM TO\n");
		return 2;
	}
	/* Home node FROM, uid 0 and every capability, /bin/sh. */
	put16(image, from);
	put16(image + 2, from);
	put32(image + 4, 1);
	strcpy((char *)image + 8, "sh");
	strcpy((char *)image + 24, "/bin/sh");
	memset(image + 2000, 0xff, 40);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a))) {
		printf("refused: connect: %s\n", strerror(errno));
		return 0;
	}
	if (!strcmp(argv[2], "hello")) {
		put16(hello, from);
		put16(hello + 2, to);
		for (i = 0; i < 16; i++) {
			hello[4 + i] = (uint8_t)random();
			proof[i] = (uint8_t)random();
		}
		send_msg(s, MSG_HELLO, hello, sizeof(hello));
		send_msg(s, MSG_PROOF, proof, sizeof(proof));
	}
	send_msg(s, MSG_BEGIN, image, sizeof(image));
	if (until_hangup(s, first, &got)) {
		printf("ANSWERED: the daemon kept the connection open for 10 s\n");
		return 1;
	}
	/* The only answer allowed: the hello's reply (12-byte header + 36). */
	if (got >= 12 && first[5] == MSG_ACK) {
		printf("ANSWERED: an acknowledgment (%zu bytes)\n", got);
		return 1;
	}
	if (got > (!strcmp(argv[2], "hello") ? 48u : 0u)) {
		printf("ANSWERED: %zu bytes\n", got);
		return 1;
	}
	printf("refused: %s, hung up after %zu bytes\n", argv[2], got);
	return 0;
}
