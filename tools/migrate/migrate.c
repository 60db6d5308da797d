// SPDX-License-Identifier: GPL-2.0
/*
 * migrate: send a process to another node (openMosix's migrate(1)).
 *
 *   migrate [-n] [-t SECONDS] PID NODE|home
 *
 * Writes NODE to /proc/PID/goto, then (unless -n) waits until the kernel
 * has no goto pending for PID and /proc/PID/where shows the target.
 * Exit: 0 moved; 1 refused or did not happen (reason on stderr); 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mosctl.h"
#include "prog_util.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: migrate [-n] [-t SECONDS] PID NODE|home\n"
		"  NODE  node number (1-%d); 0, 'home' or the home node's number: go home\n"
		"  -n    do not wait for the move to finish\n"
		"  -t    how long to wait (default 60 s)\n", MOSCTL_NODE_MAX);
	exit(2);
}

int main(int argc, char **argv)
{
	long pid, node, secs = 60;
	int nowait = 0, opt, home, want;

	while ((opt = getopt(argc, argv, "nt:")) != -1) {
		switch (opt) {
		case 'n':
			nowait = 1;
			break;
		case 't':
			if (parse_num(optarg, 0, 86400, &secs))
				usage();
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	if (parse_num(argv[optind], 1, 0x7fffffff, &pid)) {
		fprintf(stderr, "migrate: '%s' is not a process id\n", argv[optind]);
		usage();
	}
	if (!strcmp(argv[optind + 1], "home"))
		node = MOSCTL_NODE_HOME;
	else if (parse_num(argv[optind + 1], 0, MOSCTL_NODE_MAX, &node)) {
		fprintf(stderr, "migrate: '%s' is not a node number (0-%d or 'home')\n",
			argv[optind + 1], MOSCTL_NODE_MAX);
		usage();
	}

	/* Before the move: afterwards a guest's pid is gone from here. */
	if (mosctl_home_of(pid, &home, NULL) < 0)
		home = -1;

	if (mosctl_migrate(pid, node)) {
		int err = errno;

		fprintf(stderr, "migrate: %ld to node %ld: %s (%s)\n", pid, node,
			mosctl_strerror(err), strerror(err));
		return 1;
	}
	if (nowait)
		return 0;

	want = home > 0 ? mosctl_expected_where(node, home) : (int)node;
	if (mosctl_wait_where(pid, want, secs * 1000) == 0)
		return 0;
	if (errno == ESRCH) {
		/* A guest that moved on (or a process that ended) leaves no trace here. */
		fprintf(stderr, "migrate: %ld has left this node\n", pid);
		return 0;
	}
	if (errno == ETIMEDOUT) {
		int where = mosctl_where(pid);

		fprintf(stderr, "migrate: %ld did not reach node %ld in %ld s (where: %d)\n",
			pid, node, secs, where);
		return 1;
	}
	fprintf(stderr, "migrate: %ld: %s\n", pid, strerror(errno));
	return 1;
}
