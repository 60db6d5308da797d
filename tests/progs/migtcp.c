// SPDX-License-Identifier: GPL-2.0
/*
 * migtcp: talk on an ordinary TCP socket opened at home while hopping.
 *
 *   migtcp [-a ADDR] [-p PORT] [-b BYTES] [-c CHUNK] [-h HOPS] [-G PATH]
 *
 * Connects to an echo server (tests/progs/echod.c) at ADDR:PORT (default
 * 127.0.0.1:7007), then sends BYTES (default 10 MiB) of a pseudo-random
 * stream in CHUNK-byte pieces (default 65536), reading each piece's echo
 * back before sending the next and checking it byte for byte.  Spread
 * evenly over the stream it migrates through HOPS (e.g. 2,3,2,0; 0 = home)
 * and checks /proc/self/where after each.  Finally it half-closes and
 * expects end-of-file from the server.
 *
 * Output: "migtcp: connected ...", "hop N -> node X: ok where W at byte B",
 * "migtcp: ok BYTES bytes echoed" (or FAIL lines), flushed.  Exit 0 if
 * all is well, 1 otherwise, 2 on bad arguments.  -G writes the gotos
 * elsewhere (testing without hpc: -G /dev/null).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mosctl.h"

#include "prog_util.h"

#define MAX_HOPS 1024

static int hops[MAX_HOPS], nhops;
static const char *goto_path = "/proc/self/goto";

static void usage(void)
{
	fprintf(stderr, "usage: migtcp [-a ADDR] [-p PORT] [-b BYTES] [-c CHUNK] [-h N,N,...]\n");
	exit(2);
}

static long parse_long(const char *s, long min, long max)
{
	long v;

	if (parse_num(s, min, max, &v))
		usage();
	return v;
}

static void parse_hops(char *s)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (nhops == MAX_HOPS)
			usage();
		hops[nhops++] = !strcmp(tok, "home") ? 0 : (int)parse_long(tok, 0, 65535);
	}
}

static void fill(unsigned char *p, size_t len, uint64_t *s)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint64_t x = *s;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		*s = x;
		p[i] = (unsigned char)(x >> 24);
	}
}

static ssize_t read_full(int fd, unsigned char *p, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += n;
	}
	return got;
}

/*
 * The socket calls a migrated process makes on a socket from home: the
 * names stay those of the connection at home, options set are read back.
 */
static int check_socket_calls(int s, const struct sockaddr_in *peer0,
			      const struct sockaddr_in *self0, int hop)
{
	struct sockaddr_in peer, self;
	socklen_t len = sizeof(peer);
	int on = hop & 1, got = -1, bad = 0;
	socklen_t glen = sizeof(got);

	if (getpeername(s, (struct sockaddr *)&peer, &len) || len != sizeof(peer) ||
	    memcmp(&peer, peer0, sizeof(peer))) {
		printf("migtcp: FAIL getpeername after hop %d: %s\n", hop, strerror(errno));
		bad = 1;
	}
	len = sizeof(self);
	if (getsockname(s, (struct sockaddr *)&self, &len) || memcmp(&self, self0, sizeof(self))) {
		printf("migtcp: FAIL getsockname after hop %d: %s\n", hop, strerror(errno));
		bad = 1;
	}
	{
		/* Readiness: nothing to read until the echo of one byte is back. */
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		fd_set rd;
		struct timeval tv = { .tv_sec = 10 };
		char c = 'x';

		if (poll(&pfd, 1, 0) != 0) {
			printf("migtcp: FAIL poll says readable with nothing sent, after hop %d\n", hop);
			bad = 1;
		}
		FD_ZERO(&rd);
		FD_SET(s, &rd);
		if (send(s, &c, 1, 0) != 1 || select(s + 1, &rd, NULL, NULL, &tv) != 1 ||
		    !FD_ISSET(s, &rd) || poll(&pfd, 1, 10000) != 1 || !(pfd.revents & POLLIN) ||
		    recv(s, &c, 1, 0) != 1 || c != 'x') {
			printf("migtcp: FAIL select/poll/recv of an echoed byte after hop %d: %s\n",
			       hop, strerror(errno));
			bad = 1;
		}
	}
	if (setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) ||
	    getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &got, &glen) || !!got != on) {
		printf("migtcp: FAIL TCP_NODELAY %d after hop %d: got %d (%s)\n", on, hop, got,
		       strerror(errno));
		bad = 1;
	}
	return bad;
}

static int do_goto(int node)
{
	if (strcmp(goto_path, "/proc/self/goto"))
		return mosctl_write_int(goto_path, node);
	return mosctl_goto(node);
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	long bytes = 10L << 20, chunk = 65536, sent = 0, next_hop_at;
	int port = 7007, opt, s, hop = 0, home, failed = 0;
	unsigned char *out, *in;
	uint64_t seed = 0xec40ec40;
	struct sockaddr_in a, peer0, self0;
	ssize_t n;

	while ((opt = getopt(argc, argv, "a:p:b:c:h:G:")) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = (int)parse_long(optarg, 1, 65535);
			break;
		case 'b':
			bytes = parse_long(optarg, 1, 1L << 34);
			break;
		case 'c':
			chunk = parse_long(optarg, 1, 1 << 24);
			break;
		case 'h':
			parse_hops(optarg);
			break;
		case 'G':
			goto_path = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		usage();

	signal(SIGPIPE, SIG_IGN);
	home = mosctl_this_node();
	out = malloc(chunk);
	in = malloc(chunk);
	if (!out || !in)
		return 1;
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof(a))) {
		printf("migtcp: FAIL connect %s:%d: %s\n", addr, port, strerror(errno));
		return 1;
	}
	{
		socklen_t l = sizeof(peer0);

		getpeername(s, (struct sockaddr *)&peer0, &l);
		l = sizeof(self0);
		getsockname(s, (struct sockaddr *)&self0, &l);
	}
	printf("migtcp: connected to %s:%d, home %d, %ld bytes, %d hops\n",
	       addr, port, home, bytes, nhops);
	fflush(stdout);

	next_hop_at = nhops ? bytes / (nhops + 1) : bytes + 1;
	while (sent < bytes) {
		long len = bytes - sent < chunk ? bytes - sent : chunk;

		if (hop < nhops && sent >= next_hop_at) {
			int node = hops[hop], want = mosctl_expected_where(node, home), w;

			hop++;
			next_hop_at = bytes / (nhops + 1) * (hop + 1);
			if (do_goto(node)) {
				printf("hop %d -> node %d: FAIL goto: %s\n", hop, node,
				       mosctl_strerror(errno));
				failed = 1;
			} else {
				w = mosctl_where(0);
				printf("hop %d -> node %d: %s where %d at byte %ld\n", hop, node,
				       w == want ? "ok" : "FAIL", w, sent);
				failed |= w != want;
				failed |= check_socket_calls(s, &peer0, &self0, hop);
			}
			fflush(stdout);
		}
		fill(out, len, &seed);
		/* Every other chunk through send(), the rest through write(). */
		if (hop & 1 ? send(s, out, len, 0) != len : write_all(s, out, len)) {
			printf("migtcp: FAIL write at byte %ld: %s\n", sent, strerror(errno));
			return 1;
		}
		n = read_full(s, in, len);
		if (n != len || memcmp(in, out, len)) {
			printf("migtcp: FAIL echo at byte %ld: got %zd of %ld bytes%s%s\n", sent, n,
			       len, n < 0 ? ": " : "", n < 0 ? strerror(errno) : ", contents differ");
			return 1;
		}
		sent += len;
	}
	if (shutdown(s, SHUT_WR)) {
		printf("migtcp: FAIL shutdown: %s\n", strerror(errno));
		return 1;
	}
	n = read(s, in, 1);
	if (n != 0) {
		printf("migtcp: FAIL no end of file after shutdown (read %zd)\n", n);
		return 1;
	}
	close(s);
	printf("migtcp: %s %ld bytes echoed, %d hops, at node %d\n", failed ? "FAIL" : "ok", sent,
	       hop, mosctl_get_cur_node());
	fflush(stdout);
	return failed;
}
