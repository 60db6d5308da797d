// SPDX-License-Identifier: GPL-2.0
/*
 * server1 (thesis section 5.2): echoes every line a client sends.
 *
 *   server1 PORT
 *
 * Accepts one client on a migratable socket and sends back whatever it
 * reads until the client closes; exits 0 then.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ms_calls.h"

int main(int argc, char **argv)
{
	char buf[4096];
	long n, total = 0;

	if (argc != 2 || atoi(argv[1]) <= 0) {
		fprintf(stderr, "usage: server1 PORT\n");
		return 2;
	}
	if (ms_listen(1, atoi(argv[1]), NULL) || (printf("server1: listening\n"), fflush(stdout),
						 ms_accept(1, 2, NULL))) {
		printf("server1: FAIL %s\n", strerror(errno));
		return 1;
	}
	while ((n = ms_recv(2, buf, sizeof(buf), 0)) > 0) {
		if (ms_send(2, buf, n, 0) != n) {
			printf("server1: FAIL send: %s\n", strerror(errno));
			return 1;
		}
		total += n;
	}
	if (n < 0) {
		printf("server1: FAIL recv: %s\n", strerror(errno));
		return 1;
	}
	ms_close(2);
	ms_close(1);
	printf("server1: echoed %ld bytes\n", total);
	return 0;
}
