// SPDX-License-Identifier: GPL-2.0
/*
 * confined_move: a move never sheds what confines a process.
 *
 *   confined_move nnp NODE
 *	Set no_new_privs, move to NODE (writing /proc/self/goto), and print
 *	"where W nnp N" from there: the flag must have come along (N = 1).
 *   confined_move chroot DIR NODE
 *	(root) Mount proc under DIR, chroot into DIR, and try to move to
 *	NODE: it must fail with EPERM and leave the process where it was,
 *	still inside DIR; prints "ok EPERM where 0".
 *   confined_move try NODE
 *	Try to move to NODE and print "goto ERRNO where W uid U" (ERRNO the
 *	name, or "ok"; U the uid as the process sees it), exit 0: for a
 *	process confined by its caller (unshare -Ur).
 *   confined_move seccomp NODE
 *	Set no_new_privs and a seccomp filter that allows every call, then
 *	as "try".
 *
 * Exits 1 with "FAIL ..." otherwise.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static long read_long(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

/* Writes NODE to /proc/self/goto; 0 or the errno. */
static int go(const char *node)
{
	int fd = open("/proc/self/goto", O_WRONLY);
	int err = 0;

	if (fd < 0)
		return errno;
	if (write(fd, node, strlen(node)) < 0)
		err = errno;
	close(fd);
	return err;
}

static int try(const char *node)
{
	int err = go(node);

	printf("goto %s where %ld uid %u\n", err ? strerrorname_np(err) : "ok",
	       read_long("/proc/self/where"), (unsigned int)getuid());
	return 0;
}

static int allow_all_filter(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0)) {
		printf("FAIL seccomp filter: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "nnp")) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
			printf("FAIL PR_SET_NO_NEW_PRIVS: %s\n", strerror(errno));
			return 1;
		}
		err = go(argv[2]);
		if (err) {
			printf("FAIL move: %s\n", strerror(err));
			return 1;
		}
		printf("where %ld nnp %d\n", read_long("/proc/self/where"),
		       prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "chroot")) {
		char proc[4096];
		struct stat st;

		snprintf(proc, sizeof(proc), "%s/proc", argv[2]);
		mkdir(proc, 0555);
		if (mount("proc", proc, "proc", 0, NULL) && errno != EBUSY) {
			printf("FAIL mount proc: %s\n", strerror(errno));
			return 1;
		}
		if (chroot(argv[2]) || chdir("/")) {
			printf("FAIL chroot: %s\n", strerror(errno));
			return 1;
		}
		err = go(argv[3]);
		if (err != EPERM) {
			printf("FAIL a chrooted move gave %s, not EPERM\n", err ? strerror(err) : "success");
			return 1;
		}
		/* Still here, still inside: the jail has no /bin. */
		if (stat("/bin", &st) == 0) {
			printf("FAIL out of the chroot\n");
			return 1;
		}
		printf("ok EPERM where %ld\n", read_long("/proc/self/where"));
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "try"))
		return try(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "seccomp"))
		return allow_all_filter() ? 1 : try(argv[2]);
	fprintf(stderr, "usage: confined_move nnp NODE | chroot DIR NODE | try NODE | seccomp NODE\n");
	return 2;
}
