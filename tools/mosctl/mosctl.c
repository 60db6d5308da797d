// SPDX-License-Identifier: GPL-2.0
/*
 * mosctl: process placement queries and the "stay" lock, openMosix style.
 *
 *   mosctl where   [PID]   node PID runs on: 0 at home, else its number
 *   mosctl home    [PID]   home node and home pid
 *   mosctl status  [PID]   pid, home node, home pid, where, lock, pending goto
 *   mosctl lock|stay    [PID]   forbid automatic migration (lock = 1)
 *   mosctl unlock|nostay [PID]  allow it again (lock = 0)
 *   mosctl getlock [PID]   print the lock (0 or 1)
 *   mosctl mospe           this node's number
 *
 * PID defaults to the parent (the shell that runs mosctl), so
 * "mosctl stay" in a script locks the script.  Exit 0, 1 on error, 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mosctl.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: mosctl where|home|status|lock|stay|unlock|nostay|getlock [PID]\n"
		"       mosctl mospe\n"
		"PID defaults to mosctl's parent process.\n");
	exit(2);
}

static int fail(const char *what, pid_t pid)
{
	int err = errno;

	fprintf(stderr, "mosctl: %s %d: %s\n", what, (int)pid, mosctl_strerror(err));
	return 1;
}

int main(int argc, char **argv)
{
	const char *cmd;
	pid_t pid, hpid;
	int v, hn, lock, pend;
	char *end;

	if (argc < 2 || argc > 3)
		usage();
	cmd = argv[1];
	pid = getppid();
	if (argc == 3) {
		long p;

		errno = 0;
		p = strtol(argv[2], &end, 10);
		if (!*argv[2] || *end || errno || p <= 0 || p > 0x7fffffff)
			usage();
		pid = (pid_t)p;
	}

	if (!strcmp(cmd, "where")) {
		v = mosctl_where(pid);
		if (v < 0)
			return fail("where", pid);
		printf("%d\n", v);
	} else if (!strcmp(cmd, "home")) {
		if (mosctl_home_of(pid, &hn, &hpid) < 0)
			return fail("home", pid);
		printf("%d %d\n", hn, (int)hpid);
	} else if (!strcmp(cmd, "status")) {
		if (mosctl_home_of(pid, &hn, &hpid) < 0)
			return fail("home", pid);
		v = mosctl_where(pid);
		if (v < 0)
			return fail("where", pid);
		lock = mosctl_get_lock(pid);
		if (lock < 0)
			return fail("lock", pid);
		if (mosctl_pending(pid, &pend))
			return fail("goto", pid);
		printf("pid %d home %d hpid %d where %d lock %d goto %d\n",
		       (int)pid, hn, (int)hpid, v, lock, pend);
	} else if (!strcmp(cmd, "lock") || !strcmp(cmd, "stay")) {
		if (mosctl_set_lock(pid, 1))
			return fail("lock", pid);
		printf("%d: lock 1\n", (int)pid);
	} else if (!strcmp(cmd, "unlock") || !strcmp(cmd, "nostay")) {
		if (mosctl_set_lock(pid, 0))
			return fail("unlock", pid);
		printf("%d: lock 0\n", (int)pid);
	} else if (!strcmp(cmd, "getlock")) {
		v = mosctl_get_lock(pid);
		if (v < 0)
			return fail("lock", pid);
		printf("%d\n", v);
	} else if (!strcmp(cmd, "mospe") && argc == 2) {
		v = mosctl_this_node();
		if (v < 0) {
			fprintf(stderr, "mosctl: %s: %s\n", MOSCTL_PROC_MOSPE, strerror(errno));
			return 1;
		}
		printf("%d\n", v);
	} else {
		usage();
	}
	return 0;
}
