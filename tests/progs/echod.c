// SPDX-License-Identifier: GPL-2.0
/*
 * echod: a small TCP echo server for the migration tests.
 *
 *   echod [-p PORT] [-t SECONDS] [-n CONNECTIONS]
 *
 * Listens on every address, port PORT (default 7007), and echoes each
 * connection back until the client closes it, one child process per
 * connection.  Prints "echod: listening on PORT" once ready.  Ends after
 * SECONDS (default 600; children too) or once CONNECTIONS connections
 * (default: no limit) have been accepted and served.  Exit 0, 1 on error,
 * 2 on bad arguments.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prog_util.h"

static void usage(void)
{
	fprintf(stderr, "usage: echod [-p PORT] [-t SECONDS] [-n CONNECTIONS]\n");
	exit(2);
}

static int parse_int(const char *s, int min, int max)
{
	long v;

	if (parse_num(s, min, max, &v))
		usage();
	return (int)v;
}

static int serve(int c)
{
	static char buf[65536];
	ssize_t n;

	for (;;) {
		n = read(c, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("echod: read");
			return 1;
		}
		if (n == 0)
			return 0;
		if (write_all(c, buf, n)) {
			perror("echod: write");
			return 1;
		}
	}
}

int main(int argc, char **argv)
{
	int port = 7007, secs = 600, maxconn = 0, served = 0, opt, s, c, one = 1;
	struct sockaddr_in a;

	while ((opt = getopt(argc, argv, "p:t:n:")) != -1) {
		switch (opt) {
		case 'p':
			port = parse_int(optarg, 1, 65535);
			break;
		case 't':
			secs = parse_int(optarg, 1, 86400);
			break;
		case 'n':
			maxconn = parse_int(optarg, 1, 1000000);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	signal(SIGPIPE, SIG_IGN);
	alarm(secs);		/* default action: the server ends */
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0) {
		perror("echod: socket");
		return 1;
	}
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(port);
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16)) {
		perror("echod: bind/listen");
		return 1;
	}
	printf("echod: listening on %d\n", port);
	fflush(stdout);

	while (!maxconn || served < maxconn) {
		pid_t pid;

		c = accept(s, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("echod: accept");
			return 1;
		}
		served++;
		pid = fork();
		if (pid == 0) {
			close(s);
			alarm(secs);
			exit(serve(c));
		}
		if (pid < 0)
			perror("echod: fork");
		close(c);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
	close(s);
	while (wait(NULL) > 0)
		;
	return 0;
}
