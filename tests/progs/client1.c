// SPDX-License-Identifier: GPL-2.0
/*
 * client1 (thesis section 5.2): sends a text file line by line to
 * server1 and checks every echoed line.
 *
 *   client1 ADDR PORT FILE
 *
 * Prints "client1: ok N lines" and exits 0 if every line came back as sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ms_calls.h"

int main(int argc, char **argv)
{
	char line[4096], back[4096];
	long lines = 0;
	FILE *f;
	int i, ok = 0;

	if (argc != 4 || !(f = fopen(argv[3], "r"))) {
		fprintf(stderr, "usage: client1 ADDR PORT FILE\n");
		return 2;
	}
	for (i = 0; i < 100; i++) {
		if (ms_connect(1, inet_addr(argv[1]), 0, atoi(argv[2]), NULL) == 0) {
			ok = 1;
			break;
		}
		if (errno != ECONNREFUSED)
			break;
		usleep(100000);
	}
	if (!ok) {
		printf("client1: FAIL connect: %s\n", strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		long len = strlen(line), got = 0;

		if (ms_send(1, line, len, 0) != len) {
			printf("client1: FAIL send: %s\n", strerror(errno));
			return 1;
		}
		while (got < len) {
			long n = ms_recv(1, back + got, len - got, 0);

			if (n <= 0) {
				printf("client1: FAIL recv: %s\n", strerror(errno));
				return 1;
			}
			got += n;
		}
		if (memcmp(line, back, len)) {
			printf("client1: FAIL line %ld differs\n", lines + 1);
			return 1;
		}
		lines++;
	}
	ms_close(1);
	printf("client1: ok %ld lines\n", lines);
	return 0;
}
