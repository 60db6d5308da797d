// SPDX-License-Identifier: LGPL-2.1
/*
 * libmosctl: see mosctl.h.  Plain read()/write() on /proc files, so every
 * request is exactly one system call the kernel can refuse with an errno.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mosctl.h"

static int home_node_cache;	/* 0 until mosctl_init() */

const char *mosctl_proc_path(char *buf, size_t len, pid_t pid, const char *name)
{
	if (pid)
		snprintf(buf, len, "/proc/%d/%s", (int)pid, name);
	else
		snprintf(buf, len, "/proc/self/%s", name);
	return buf;
}

static ssize_t read_file(const char *path, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)got < len - 1) {
		n = read(fd, buf + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		if (n == 0)
			break;
		got += n;
	}
	buf[got] = '\0';
	close(fd);
	return got;
}

int mosctl_read_int(const char *path, long *val)
{
	char buf[64], *p, *end;
	long v;

	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; isspace((unsigned char)*p); p++)
		;
	errno = 0;
	v = strtol(p, &end, 10);
	if (end == p || errno) {
		errno = EPROTO;		/* the kernel printed something odd */
		return -1;
	}
	while (isspace((unsigned char)*end))
		end++;
	if (*end) {
		errno = EPROTO;
		return -1;
	}
	*val = v;
	return 0;
}

int mosctl_write_int(const char *path, long val)
{
	char buf[32];
	int fd, len, err;
	ssize_t n;

	len = snprintf(buf, sizeof(buf), "%ld\n", val);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, buf, len);
	err = errno;
	close(fd);
	if (n == len)
		return 0;
	errno = n < 0 ? err : EIO;
	return -1;
}

int mosctl_this_node(void)
{
	long v;

	if (mosctl_read_int(MOSCTL_PROC_MOSPE, &v))
		return -1;
	return (int)v;
}

int mosctl_where(pid_t pid)
{
	char path[64];
	long v;

	if (mosctl_read_int(mosctl_proc_path(path, sizeof(path), pid, "where"), &v))
		return -1;
	if (v < 0 || v > MOSCTL_NODE_MAX) {
		errno = EPROTO;
		return -1;
	}
	return (int)v;
}

int mosctl_get_lock(pid_t pid)
{
	char path[64];
	long v;

	if (mosctl_read_int(mosctl_proc_path(path, sizeof(path), pid, "lock"), &v))
		return -1;
	return (int)v;
}

int mosctl_set_lock(pid_t pid, int on)
{
	char path[64];

	return mosctl_write_int(mosctl_proc_path(path, sizeof(path), pid, "lock"), !!on);
}

int mosctl_pending(pid_t pid, int *target)
{
	char path[64];
	long v;

	if (mosctl_read_int(mosctl_proc_path(path, sizeof(path), pid, "goto"), &v))
		return -1;
	*target = v < 0 ? -1 : (int)v;
	return 0;
}

int mosctl_migrate(pid_t pid, int node)
{
	char path[64];

	if (node < 0 || node > MOSCTL_NODE_MAX) {
		errno = EINVAL;
		return -1;
	}
	return mosctl_write_int(mosctl_proc_path(path, sizeof(path), pid, "goto"), node);
}

/* Look @pid up in /proc/hpc/remote ("local_pid home_node home_pid comm"). */
static int find_remote(pid_t pid, int *home_node, pid_t *home_pid)
{
	char line[256];
	FILE *f;
	long lp, hn, hp;
	int found = 0;

	f = fopen(MOSCTL_PROC_REMOTE, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%ld %ld %ld", &lp, &hn, &hp) != 3)
			continue;	/* the header, or a line cut by fgets */
		if (lp == pid) {
			*home_node = (int)hn;
			*home_pid = (pid_t)hp;
			found = 1;
			break;
		}
	}
	fclose(f);
	return found;
}

int mosctl_home_of(pid_t pid, int *home_node, pid_t *home_pid)
{
	int hn, me, r;
	pid_t hp;

	if (!pid)
		pid = getpid();
	r = find_remote(pid, &hn, &hp);
	if (r < 0 && errno != ENOENT)
		return -1;
	if (r <= 0) {
		/* Not a guest here (or no migration support): it is local. */
		me = mosctl_this_node();
		if (me < 0)
			return -1;
		if (me == 0) {
			errno = ENODEV;
			return -1;
		}
		hn = me;
		hp = pid;
		r = 0;
	}
	if (home_node)
		*home_node = hn;
	if (home_pid)
		*home_pid = hp;
	return r;
}

int mosctl_get_home_node(void)
{
	int hn;

	if (home_node_cache)
		return home_node_cache;
	if (mosctl_home_of(0, &hn, NULL) < 0)
		return -1;
	return hn;
}

int mosctl_init(void)
{
	int hn;

	if (mosctl_lock())
		return -1;
	hn = mosctl_get_home_node();
	if (hn < 0)
		return -1;
	home_node_cache = hn;
	return 0;
}

int mosctl_lock(void)
{
	return mosctl_set_lock(0, 1);
}

int mosctl_unlock(void)
{
	return mosctl_set_lock(0, 0);
}

int mosctl_goto(int node)
{
	return mosctl_migrate(0, node);
}

int mosctl_get_cur_node(void)
{
	int w = mosctl_where(0);

	if (w < 0)
		return -1;
	return w ? w : mosctl_get_home_node();
}

int mosctl_wait_where(pid_t pid, int want, int timeout_ms)
{
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	int waited = 0, where, target;

	for (;;) {
		if (mosctl_pending(pid, &target) == 0) {
			where = target < 0 ? mosctl_where(pid) : -2;
			if (where == want)
				return 0;
		} else {
			where = -1;
		}
		if (where == -1 && (errno == ENOENT || errno == ESRCH)) {
			errno = ESRCH;
			return -1;
		}
		if (waited >= timeout_ms) {
			errno = ETIMEDOUT;
			return -1;
		}
		nanosleep(&nap, NULL);
		waited += 20;
	}
}

const char *mosctl_strerror(int err)
{
	switch (err) {
	case EINVAL:
		return "invalid node number";
	case EHOSTUNREACH:
		return "node is not in the node map";
	case ECONNREFUSED:
		return "node refused the process";
	case ETIMEDOUT:
		return "node did not answer in time";
	case EHOSTDOWN:
		return "node is down";
	case EOPNOTSUPP:
		return "process cannot migrate (multi-threaded, shared writable memory or an unmovable mapping)";
	case EBUSY:
		return "process busy (held by migsock, or moving already), try again";
	case EINTR:
		return "interrupted by a signal";
	case EPERM:
	case EACCES:
		return "not permitted";
	case ENOENT:
	case ESRCH:
		return "no such process on this node (or no migration support in this kernel)";
	case ENODEV:
		return "this node has no node number";
	case EPROTO:
		return "unexpected contents in a /proc/hpc file";
	default:
		return strerror(err);
	}
}
