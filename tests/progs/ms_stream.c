// SPDX-License-Identifier: GPL-2.0
/*
 * ms_stream: a checked byte stream over a migratable socket.
 *
 *   ms_stream server PORT BYTES     accept one, read BYTES, answer "K"
 *   ms_stream client ADDR PORT BYTES [CHUNK]
 *                                   send BYTES, wait for "K"
 *   ms_stream hold ADDR PORT        connect, print "connected", sleep
 *   ms_stream sink PORT COUNT [NODE]
 *                                   (first migrate to NODE, then) listen,
 *                                   and for COUNT connections in turn: read
 *                                   and check up to end of stream, answer
 *                                   the byte count (8 bytes), close
 *   ms_stream source ADDR PORT [BYTES [MIB]]
 *                                   (first fill MIB MiB of memory, so that
 *                                   a move takes a while, then) connect,
 *                                   send until BYTES (-1: no limit) or
 *                                   SIGUSR1, shut the sending half, check
 *                                   the count
 *
 * The processes may be migrated from outside at any time (migrate(1)).
 * The bytes follow a pattern the reader checks at every offset.  Prints
 * "ok ..." and exits 0, or "FAIL ..." and exits 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ms_calls.h"
#include "mosctl.h"
#include "prog_util.h"

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

static volatile sig_atomic_t stop;

static void on_usr1(int sig)
{
	(void)sig;
	stop = 1;
}

static int sink(int port, int count, int node)
{
	static char buf[65536];
	int c;

	printf("pid %d\n", getpid());
	fflush(stdout);
	if (node > 0 && mosctl_goto(node)) {
		printf("FAIL goto %d: %s\n", node, strerror(errno));
		return 1;
	}
	if (ms_listen(1, port, NULL)) {
		printf("FAIL listen: %s\n", strerror(errno));
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	for (c = 0; c < count; c++) {
		uint64_t got = 0, i;

		if (ms_accept(1, 2, NULL)) {
			printf("FAIL accept: %s\n", strerror(errno));
			return 1;
		}
		for (;;) {
			long n = ms_recv(2, buf, sizeof(buf), 0);

			if (n == 0)
				break;
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				printf("FAIL recv at %llu: %s\n",
				       (unsigned long long)got, strerror(errno));
				return 1;
			}
			for (i = 0; i < (uint64_t)n; i++)
				if (buf[i] != pat(got + i)) {
					printf("FAIL byte %llu differs\n",
					       (unsigned long long)(got + i));
					return 1;
				}
			got += n;
		}
		if (ms_send(2, &got, sizeof(got), 0) != sizeof(got)) {
			printf("FAIL send count: %s\n", strerror(errno));
			return 1;
		}
		ms_close(2);
		printf("ok received %llu\n", (unsigned long long)got);
		fflush(stdout);
	}
	ms_close(1);
	return 0;
}

static int source(const char *addr, int port, long long bytes)
{
	static char buf[16384];
	uint64_t sent = 0, back = 0;
	long i, n, got = 0;

	signal(SIGUSR1, on_usr1);
	printf("pid %d\n", getpid());
	fflush(stdout);
	if (do_connect(addr, port))
		return 1;
	printf("connected\n");
	fflush(stdout);
	while (!stop && (bytes < 0 || sent < (uint64_t)bytes)) {
		n = sizeof(buf);
		if (bytes >= 0 && (uint64_t)bytes - sent < (uint64_t)n)
			n = bytes - sent;
		for (i = 0; i < n; i++)
			buf[i] = pat(sent + i);
		n = ms_send(1, buf, n, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			printf("FAIL send at %llu: %s\n",
			       (unsigned long long)sent, strerror(errno));
			return 1;
		}
		sent += n;
	}
	if (ms_shutdown(1, SHUT_WR)) {
		printf("FAIL shutdown: %s\n", strerror(errno));
		return 1;
	}
	while (got < (long)sizeof(back)) {
		n = ms_recv(1, (char *)&back + got, sizeof(back) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			printf("FAIL no count: %s\n", n ? strerror(errno) : "end of stream");
			return 1;
		}
		got += n;
	}
	if (back != sent) {
		printf("FAIL sent %llu, the sink counted %llu\n",
		       (unsigned long long)sent, (unsigned long long)back);
		return 1;
	}
	ms_close(1);
	printf("ok sent %llu\n", (unsigned long long)sent);
	return 0;
}

int main(int argc, char **argv)
{
	long port, count, node = 0, bytes = -1, mib = 0;

	if ((argc == 4 || argc == 5) && !strcmp(argv[1], "sink") &&
	    !parse_num(argv[2], 1, 65535, &port) &&
	    !parse_num(argv[3], 1, 1000000, &count) &&
	    (argc == 4 || !parse_num(argv[4], 1, 65535, &node)))
		return sink(port, count, node);
	if (argc >= 4 && argc <= 6 && !strcmp(argv[1], "source") &&
	    !parse_num(argv[3], 1, 65535, &port) &&
	    (argc == 4 || !parse_num(argv[4], -1, 0x7fffffffffffffffL, &bytes)) &&
	    (argc < 6 || !parse_num(argv[5], 0, 4096, &mib))) {
		if (mib) {
			char *ballast = malloc(mib << 20);

			if (!ballast)
				return printf("FAIL malloc %ld MiB\n", mib), 1;
			for (long i = 0; i < mib << 20; i += 4096)
				ballast[i] = (char)((i >> 12) | 1);	/* not zero: sent */
		}
		return source(argv[2], port, bytes);
	}
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
	fprintf(stderr, "usage: ms_stream server PORT BYTES | client ADDR PORT BYTES [CHUNK] | hold ADDR PORT\n"
		"       ms_stream sink PORT COUNT [NODE] | source ADDR PORT [BYTES]\n");
	return 2;
}
