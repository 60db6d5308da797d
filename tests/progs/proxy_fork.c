// SPDX-License-Identifier: GPL-2.0
/*
 * proxy_fork: two processes share a remote's link to its deputy, and one
 * gives up a request; the other must get the answers to its own.
 *
 *   proxy_fork NODE
 *
 * At home: a FIFO and a regular file, opened; a helper that stays home
 * and writes 5 bytes into the FIFO 3 s later.  Then the process moves to
 * NODE (both files are proxies there) and forks: the child reads the FIFO
 * (the deputy waits in that read for the helper) and is killed while it
 * waits.  The parent then writes 2 bytes to the file, and reads them
 * back: the deputy answers the dead child's read first, and that answer
 * is not the parent's.  Prints "ok ..." or "FAIL ..." (exit 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mosctl.h"
#include "prog_util.h"

int main(int argc, char **argv)
{
	char fifo[64], file[64], got[8] = { 0 };
	int rd, fd, rc = 1;
	pid_t helper, child;
	long node;
	ssize_t n;

	if (argc != 2 || parse_num(argv[1], 1, MOSCTL_NODE_MAX, &node)) {
		fprintf(stderr, "usage: proxy_fork NODE\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(fifo, sizeof(fifo), "/tmp/proxy_fork.%d.fifo", getpid());
	snprintf(file, sizeof(file), "/tmp/proxy_fork.%d.dat", getpid());
	if (mkfifo(fifo, 0600) || (rd = open(fifo, O_RDWR)) < 0 ||
	    (fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0) {
		printf("FAIL setting up: %s\n", strerror(errno));
		return 1;
	}
	helper = fork();
	if (helper == 0) {
		int w;

		sleep(3);
		w = open(fifo, O_WRONLY);
		_exit(w >= 0 && write(w, "hello", 5) == 5 ? 0 : 1);
	}
	if (helper < 0 || mosctl_goto((int)node)) {
		printf("FAIL fork or goto %s: %s\n", argv[1], strerror(errno));
		goto out;
	}
	child = fork();
	if (child == 0) {
		char b[100];

		/* Blocks: the deputy reads the FIFO until the helper writes. */
		_exit(read(rd, b, sizeof(b)) < 0);
	}
	if (child < 0) {
		printf("FAIL fork on node %s: %s\n", argv[1], strerror(errno));
		goto out;
	}
	sleep(1);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	n = write(fd, "xy", 2);
	if (n != 2) {
		printf("FAIL write of 2 bytes returned %zd (%s): another request's answer\n",
		       n, n < 0 ? strerror(errno) : "");
		goto out;
	}
	n = pread(fd, got, sizeof(got), 0);
	if (n != 2 || memcmp(got, "xy", 2)) {
		printf("FAIL pread returned %zd '%.*s' (%s), want 2 'xy'\n", n,
		       n > 0 ? (int)n : 0, got, n < 0 ? strerror(errno) : "");
		goto out;
	}
	printf("ok on node %s: the killed child's read answered apart; write 2, pread 'xy'\n",
	       argv[1]);
	rc = 0;
out:
	mosctl_goto_home();
	waitpid(helper, NULL, 0);
	unlink(fifo);
	unlink(file);
	return rc;
}
