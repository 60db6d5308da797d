// SPDX-License-Identifier: GPL-2.0
/*
 * ms_stream: a checked byte stream over a migratable socket.
 *
 *   ms_stream server PORT BYTES     accept one, read BYTES, answer "K"
 *   ms_stream client ADDR PORT BYTES [CHUNK]
 *                                   send BYTES, wait for "K"
 *   ms_stream hold ADDR PORT        connect, print "connected", sleep
 *
 * The bytes follow a pattern the reader checks at every offset.  Prints
 * "ok ..." and exits 0, or "FAIL ..." and exits 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ms_calls.h"

static char pat(long i)
{
	return (char)((i * 31 + (i >> 12)) & 0xff);
}

static int do_connect(const char *addr, int port)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (ms_connect(1, inet_addr(addr), 0, port, NULL) == 0)
			return 0;
		if (errno != ECONNREFUSED)
			break;
		usleep(100000);
	}
	printf("FAIL connect: %s\n", strerror(errno));
	return -1;
}

static int server(int port, long bytes)
{
	char buf[16384];
	long got = 0, i;

	if (ms_listen(1, port, NULL)) {
		printf("FAIL listen: %s\n", strerror(errno));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	if (ms_accept(1, 2, NULL)) {
		printf("FAIL accept: %s\n", strerror(errno));
		return 1;
	}
	while (got < bytes) {
		long n = ms_recv(2, buf, sizeof(buf), 0);

		if (n <= 0) {
			printf("FAIL recv at %ld: %ld %s\n", got, n, strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++)
			if (buf[i] != pat(got + i)) {
				printf("FAIL byte %ld differs\n", got + i);
				return 1;
			}
		got += n;
	}
	if (ms_send(2, "K", 1, 0) != 1) {
		printf("FAIL send K: %s\n", strerror(errno));
		return 1;
	}
	/* The client closes first; then end of stream. */
	if (ms_recv(2, buf, 1, 0) != 0) {
		printf("FAIL no end of stream\n");
		return 1;
	}
	ms_close(2);
	ms_close(1);
	printf("ok received %ld\n", got);
	return 0;
}

static int client(const char *addr, int port, long bytes, long chunk)
{
	static char buf[65536];
	long sent = 0, i;
	char k;

	if (chunk < 1 || chunk > (long)sizeof(buf))
		chunk = sizeof(buf);
	if (do_connect(addr, port))
		return 1;
	while (sent < bytes) {
		long n = bytes - sent < chunk ? bytes - sent : chunk, w;

		for (i = 0; i < n; i++)
			buf[i] = pat(sent + i);
		w = ms_send(1, buf, n, 0);
		if (w <= 0) {
			printf("FAIL send at %ld: %s\n", sent, strerror(errno));
			return 1;
		}
		sent += w;
	}
	if (ms_recv(1, &k, 1, 0) != 1 || k != 'K') {
		printf("FAIL no K: %s\n", strerror(errno));
		return 1;
	}
	ms_close(1);
	printf("ok sent %ld\n", sent);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "server"))
		return server(atoi(argv[2]), atol(argv[3]));
	if ((argc == 5 || argc == 6) && !strcmp(argv[1], "client"))
		return client(argv[2], atoi(argv[3]), atol(argv[4]), argc == 6 ? atol(argv[5]) : 0);
	if (argc == 4 && !strcmp(argv[1], "hold")) {
		if (do_connect(argv[2], atoi(argv[3])))
			return 1;
		printf("connected\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	fprintf(stderr, "usage: ms_stream server PORT BYTES | client ADDR PORT BYTES [CHUNK] | hold ADDR PORT\n");
	return 2;
}
