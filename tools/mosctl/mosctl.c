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
 *   mosctl setkey FILE     install the cluster key from FILE ("-": stdin):
 *                          32 raw bytes or 64 hex digits (root only)
 *   mosctl key             whether a key is set, and its fingerprint
 *
 * PID defaults to the parent (the shell that runs mosctl), so
 * "mosctl stay" in a script locks the script.  Exit 0, 1 on error, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mosctl.h"

static void usage(void)
{
	fprintf(stderr,
		"usage: mosctl where|home|status|lock|stay|unlock|nostay|getlock [PID]\n"
		"       mosctl mospe | key | setkey FILE\n"
		"PID defaults to mosctl's parent process.\n");
	exit(2);
}

#define KEY_PROC "/proc/hpc/admin/key"

/* Copies FILE (the key, raw or hex) to the kernel in one write. */
static int setkey(const char *path)
{
	char buf[80];
	ssize_t n, w;
	int fd, out;

	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0) {
		fprintf(stderr, "mosctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	n = read(fd, buf, sizeof(buf));
	if (fd)
		close(fd);
	if (n < 0) {
		fprintf(stderr, "mosctl: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (n != 32 && n != 64 && !(n == 65 && buf[64] == '\n')) {
		fprintf(stderr, "mosctl: %s: a key is 32 bytes or 64 hex digits\n", path);
		return 1;
	}
	out = open(KEY_PROC, O_WRONLY | O_CLOEXEC);
	w = out < 0 ? -1 : write(out, buf, n);
	memset(buf, 0, sizeof(buf));
	if (w != n) {
		fprintf(stderr, "mosctl: %s: %s\n", KEY_PROC, strerror(errno));
		if (out >= 0)
			close(out);
		return 1;
	}
	close(out);
	return 0;
}

static int showkey(void)
{
	char buf[64];
	FILE *f = fopen(KEY_PROC, "re");

	if (!f || !fgets(buf, sizeof(buf), f)) {
		fprintf(stderr, "mosctl: %s: %s\n", KEY_PROC, strerror(errno));
		if (f)
			fclose(f);
		return 1;
	}
	fclose(f);
	fputs(buf, stdout);
	return 0;
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
	if (!strcmp(cmd, "setkey") && argc == 3)
		return setkey(argv[2]);
	if (!strcmp(cmd, "key") && argc == 2)
		return showkey();
	if (!strcmp(cmd, "setkey") || !strcmp(cmd, "key"))
		usage();
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
