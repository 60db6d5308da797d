// SPDX-License-Identifier: GPL-2.0
/*
 * ms_limits: many migratable connections held at their limits, then
 * released, every byte checked.
 *
 *   ms_limits server PORT CONNS BYTES MAXWAIT
 *       accept CONNS connections, read nothing until SIGUSR1 (their
 *       receive windows shut, the peers' send queues full; at most MAXWAIT
 *       seconds), then read BYTES from each and check them; print
 *       "ok read N"
 *   ms_limits client ADDR PORT CONNS BYTES
 *       open CONNS connections (descriptors 1..CONNS), send BYTES on each,
 *       round robin without blocking; print "full" once every queue was
 *       full at least once, then "ok sent N" when all is delivered
 *   ms_limits hog ADDR PORT MAX
 *       open connections (descriptors 1, 2, ...) until one fails or MAX
 *       are open; print "held N: ok" or "held N: errno E (text)", then
 *       hold them until SIGTERM (for the bounds of a user and a process)
 *
 * Descriptor i's stream is pattern(i, offset), so a byte that went to the
 * wrong connection is found too.  Exits 0 or 1 ("FAIL ...").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ms_calls.h"
#include "prog_util.h"

#define MAXC 1024

static unsigned char pat(long conn, long off)
{
	return (unsigned char)((off * 7 + conn * 13 + (off >> 10)) & 0xff);
}

static long done[MAXC + 1];

static int server(long port, long conns, long bytes, long maxwait)
{
	static unsigned char buf[16384];
	struct ms_opts o = { .rcvtimeo = 0 };
	long i, total = 0;
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGALRM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("pid %d\n", getpid());

	if (ms_listen(0, port, &o))
		return printf("FAIL listen: %s\n", strerror(errno)), 1;
	printf("listening\n");
	for (i = 1; i <= conns; i++)
		if (ms_accept(0, i, NULL))
			return printf("FAIL accept %ld: %s\n", i, strerror(errno)), 1;
	printf("accepted %ld\n", conns);
	/* Nothing read until told (SIGUSR1): the windows stay shut. */
	alarm(maxwait);
	sigwait(&set, &sig);
	alarm(0);
	if (sig != SIGUSR1)
		return printf("FAIL not told to read within %ld s\n", maxwait), 1;
	printf("reading\n");
	for (i = 1; i <= conns; i++) {
		while (done[i] < bytes) {
			long want = bytes - done[i] < (long)sizeof(buf) ? bytes - done[i] :
									(long)sizeof(buf);
			long n = ms_recv(i, buf, want, 0), k;

			if (n <= 0)
				return printf("FAIL recv conn %ld at %ld: %s\n", i, done[i],
					      n ? strerror(errno) : "end of stream"), 1;
			for (k = 0; k < n; k++)
				if (buf[k] != pat(i, done[i] + k))
					return printf("FAIL conn %ld byte %ld\n", i, done[i] + k), 1;
			done[i] += n;
			total += n;
		}
		ms_close(i);
	}
	ms_close(0);
	printf("ok read %ld\n", total);
	return 0;
}

static int client(const char *addr, long port, long conns, long bytes)
{
	static unsigned char buf[16384];
	struct ms_opts o = { 0 };
	long i, total = 0, left = conns, full = 0, k;
	static char seen_full[MAXC + 1];
	time_t end = time(NULL) + 900;

	for (i = 1; i <= conns; i++) {
		int tries;

		for (tries = 0; tries < 100; tries++) {
			if (!ms_connect(i, inet_addr(addr), 0, port, &o))
				break;
			if (errno != ECONNREFUSED)
				return printf("FAIL connect %ld: %s\n", i, strerror(errno)), 1;
			usleep(100000);
		}
		if (tries == 100)
			return printf("FAIL connect %ld: refused\n", i), 1;
	}
	printf("connected %ld\n", conns);
	while (left && time(NULL) < end) {
		int progress = 0;

		for (i = 1; i <= conns; i++) {
			long n, want;

			if (done[i] >= bytes)
				continue;
			want = bytes - done[i] < (long)sizeof(buf) ? bytes - done[i] : (long)sizeof(buf);
			for (k = 0; k < want; k++)
				buf[k] = pat(i, done[i] + k);
			n = ms_send(i, buf, want, MSG_DONTWAIT);
			if (n < 0 && errno == EAGAIN) {
				if (!seen_full[i]) {
					seen_full[i] = 1;
					if (++full == conns)
						printf("full\n");
				}
				continue;
			}
			if (n <= 0)
				return printf("FAIL send conn %ld: %s\n", i, strerror(errno)), 1;
			done[i] += n;
			total += n;
			progress = 1;
			if (done[i] == bytes)
				left--;
		}
		if (!progress)
			usleep(20000);
	}
	if (left)
		return printf("FAIL %ld connections not done\n", left), 1;
	/* Orderly close: queued data still goes out. */
	for (i = 1; i <= conns; i++)
		ms_close(i);
	printf("ok sent %ld\n", total);
	return 0;
}

static int hog(const char *addr, long port, long max)
{
	struct ms_opts o = { 0 };
	long held = 0;
	int err = 0;

	printf("pid %d uid %d\n", getpid(), (int)getuid());
	while (held < max) {
		if (ms_connect(held + 1, inet_addr(addr), 0, port, &o)) {
			err = errno;
			break;
		}
		held++;
	}
	if (err)
		printf("held %ld: errno %d (%s)\n", held, err, strerror(err));
	else
		printf("held %ld: ok\n", held);
	/* Until SIGTERM, which ends the process and so every connection. */
	for (;;)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	long port, conns, bytes, maxwait;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 6 && !strcmp(argv[1], "server") &&
	    !parse_num(argv[2], 1, 65535, &port) && !parse_num(argv[3], 1, MAXC, &conns) &&
	    !parse_num(argv[4], 1, 1L << 30, &bytes) && !parse_num(argv[5], 1, 3600, &maxwait))
		return server(port, conns, bytes, maxwait);
	if (argc == 6 && !strcmp(argv[1], "client") &&
	    !parse_num(argv[3], 1, 65535, &port) && !parse_num(argv[4], 1, MAXC, &conns) &&
	    !parse_num(argv[5], 1, 1L << 30, &bytes))
		return client(argv[2], port, conns, bytes);
	if (argc == 5 && !strcmp(argv[1], "hog") &&
	    !parse_num(argv[3], 1, 65535, &port) && !parse_num(argv[4], 1, 65535, &conns))
		return hog(argv[2], port, conns);
	fprintf(stderr, "usage: ms_limits server PORT CONNS BYTES MAXWAIT\n"
		"       ms_limits client ADDR PORT CONNS BYTES\n"
		"       ms_limits hog ADDR PORT MAX\n");
	return 2;
}
