// SPDX-License-Identifier: GPL-2.0
/*
 * cmdd: the command channel of a cluster node.
 *
 * Listens on TCP (on the node's control interface, which only the host's
 * harness reaches) and runs one shell command per connection:
 *
 *   request:  "<length>\n" followed by <length> bytes of command
 *   reply:    frames of 'D' <u32 length, big-endian> <output bytes>
 *             (stdout and stderr together), then one 'X' <u32 status>
 *             where status is the exit code, or 128 + signal.
 *
 * A command that leaves background jobs behind must redirect their output:
 * the reply ends when the command itself exits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "prog_util.h"

#define MAX_CMD (64 * 1024)

/* An 'X' frame carries the status in its length field and no data. */
static int send_frame(int fd, char type, const void *data, uint32_t len)
{
	unsigned char hdr[5];
	uint32_t be = htonl(len);

	hdr[0] = type;
	memcpy(hdr + 1, &be, 4);
	if (write_all(fd, hdr, 5))
		return -1;
	return data && len ? write_all(fd, data, len) : 0;
}

static int read_request(int fd, char *cmd, size_t max)
{
	char line[32];
	size_t n = 0, len;
	char *end;

	while (n < sizeof(line) - 1) {
		if (read(fd, line + n, 1) != 1)
			return -1;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	len = strtoul(line, &end, 10);
	if (*end || len == 0 || len >= max)
		return -1;
	for (n = 0; n < len;) {
		ssize_t r = read(fd, cmd + n, len - n);

		if (r <= 0)
			return -1;
		n += r;
	}
	cmd[len] = '\0';
	return 0;
}

/* Forward what is in the pipe; return 0 at EOF. */
static int pump(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n > 0 && send_frame(to, 'D', buf, n) == 0)
		return 1;
	return 0;
}

static void serve(int conn)
{
	static char cmd[MAX_CMD];
	int out[2], status = 0, code;
	struct pollfd pfd;
	pid_t pid;

	if (read_request(conn, cmd, sizeof(cmd)) || pipe(out))
		return;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		close(out[0]);
		close(out[1]);
		close(conn);
		setsid();
		signal(SIGPIPE, SIG_DFL);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	pfd.fd = out[0];
	pfd.events = POLLIN;
	for (;;) {
		/* Until the command exits, forward its output. */
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (poll(&pfd, 1, 100) > 0 && !pump(out[0], conn)) {
			waitpid(pid, &status, 0);
			break;
		}
	}
	/* Drain what it wrote last, without waiting for its background jobs. */
	while (poll(&pfd, 1, 20) > 0 && pump(out[0], conn))
		;
	close(out[0]);
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	send_frame(conn, 'X', NULL, code);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, ls;

	sa.sin_port = htons(argc > 1 ? atoi(argv[1]) : 7000);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);	/* connection handlers reap themselves */
	ls = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) || listen(ls, 16)) {
		perror("cmdd");
		return 1;
	}
	for (;;) {
		int conn = accept(ls, NULL, NULL);

		if (conn < 0)
			continue;
		/* One child per connection, so commands on a node can overlap. */
		if (fork() == 0) {
			signal(SIGCHLD, SIG_DFL);
			close(ls);
			serve(conn);
			_exit(0);
		}
		close(conn);
	}
}
