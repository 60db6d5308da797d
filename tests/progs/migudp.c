// SPDX-License-Identifier: GPL-2.0
/*
 * migudp: an unconnected UDP socket opened at home keeps working while the
 * process hops: sendto() with an address and recvfrom() returning the
 * sender go through the deputy.  The socket sends to itself on loopback
 * at home, so the sender seen must be its own address.
 *
 *   migudp -h N,N,...   exits 0 if every datagram came back as sent
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mosctl.h"

int main(int argc, char **argv)
{
	struct sockaddr_in self = { .sin_family = AF_INET }, from;
	int s, i, n = 0, hops[32], failed = 0;
	socklen_t len = sizeof(self);
	char *tok, buf[64], got[64];

	if (argc != 3 || strcmp(argv[1], "-h")) {
		fprintf(stderr, "usage: migudp -h N,N,...\n");
		return 2;
	}
	for (tok = strtok(argv[2], ","); tok && n < 32; tok = strtok(NULL, ","))
		hops[n++] = atoi(tok);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0 || bind(s, (struct sockaddr *)&self, sizeof(self)) ||
	    getsockname(s, (struct sockaddr *)&self, &len)) {
		perror("migudp: socket");
		return 1;
	}
	for (i = 0; i <= n; i++) {
		ssize_t r;

		if (i > 0 && mosctl_goto(hops[i - 1])) {
			printf("migudp: FAIL goto %d: %s\n", hops[i - 1], strerror(errno));
			return 1;
		}
		snprintf(buf, sizeof(buf), "datagram %d at node %d", i, mosctl_get_cur_node());
		len = sizeof(from);
		memset(&from, 0, sizeof(from));
		if (sendto(s, buf, strlen(buf), 0, (struct sockaddr *)&self, sizeof(self)) !=
		    (ssize_t)strlen(buf) ||
		    (r = recvfrom(s, got, sizeof(got), 0, (struct sockaddr *)&from, &len)) !=
		    (ssize_t)strlen(buf) || memcmp(got, buf, r) || len != sizeof(from) ||
		    from.sin_port != self.sin_port || from.sin_addr.s_addr != self.sin_addr.s_addr) {
			printf("migudp: FAIL %s: %s\n", buf, strerror(errno));
			failed = 1;
		} else {
			printf("migudp: ok %s\n", buf);
		}
	}
	return failed;
}
