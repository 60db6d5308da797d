// SPDX-License-Identifier: GPL-2.0
/*
 * mps: processes with their home and current node (openMosix's mps).
 *
 *   mps [-a] [-m]
 *
 * One line per process, under a header:
 *
 *   PID  HNODE  HPID  NODE  LOCK  STATE   COMM
 *
 * PID is the pid on this node.  STATE is "home" (a local process running
 * here), "deputy" (a local process running on NODE; from /proc/PID/where),
 * or "guest" (a process from HNODE running here; from /proc/hpc/remote).
 * NODE and LOCK are "-" where the kernel has no /proc/PID/where or lock.
 * -a also lists kernel threads; -m lists only deputies and guests.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mosctl.h"

#define PF_KTHREAD	0x00200000	/* include/linux/sched.h */
#define MAX_GUESTS	4096

struct guest {
	long pid, hnode, hpid;
	char comm[64];
};

static struct guest guests[MAX_GUESTS];
static int nguests;

static void usage(void)
{
	fprintf(stderr, "usage: mps [-a] [-m]\n"
		"  -a  include kernel threads\n"
		"  -m  only migrated processes (deputies and guests)\n");
	exit(2);
}

static void load_guests(void)
{
	char line[256], *p;
	FILE *f = fopen(MOSCTL_PROC_REMOTE, "re");
	struct guest *g;
	int n;

	if (!f)
		return;
	while (nguests < MAX_GUESTS && fgets(line, sizeof(line), f)) {
		g = &guests[nguests];
		if (sscanf(line, "%ld %ld %ld %n", &g->pid, &g->hnode, &g->hpid, &n) != 3)
			continue;
		p = line + n;
		p[strcspn(p, "\n")] = '\0';
		snprintf(g->comm, sizeof(g->comm), "%s", p);
		nguests++;
	}
	fclose(f);
}

static int is_guest(long pid)
{
	int i;

	for (i = 0; i < nguests; i++)
		if (guests[i].pid == pid)
			return 1;
	return 0;
}

/* 1 for a kernel thread, 0 for a user process, -1 if it is gone. */
static int is_kthread(long pid)
{
	char path[64], buf[512], *p;
	unsigned long flags;
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	p = ok ? strrchr(buf, ')') : NULL;
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return -1;
	return !!(flags & PF_KTHREAD);
}

static void read_comm(long pid, char *comm, size_t len)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	snprintf(comm, len, "?");
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(comm, len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

static void num_or_dash(char *buf, size_t len, int v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%d", v);
}

int main(int argc, char **argv)
{
	int all = 0, migrated_only = 0, opt, me, i, where, lock;
	char comm[64], node[16], lk[16], hn[16];
	struct dirent *de;
	const char *state;
	DIR *d;

	while ((opt = getopt(argc, argv, "am")) != -1) {
		switch (opt) {
		case 'a':
			all = 1;
			break;
		case 'm':
			migrated_only = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	me = mosctl_this_node();
	load_guests();
	d = opendir("/proc");
	if (!d) {
		perror("mps: /proc");
		return 1;
	}
	printf("%7s %5s %7s %5s %4s %-7s %s\n",
	       "PID", "HNODE", "HPID", "NODE", "LOCK", "STATE", "COMM");
	while ((de = readdir(d))) {
		long pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtol(de->d_name, NULL, 10);
		if (is_guest(pid))
			continue;	/* listed below, with its home */
		i = is_kthread(pid);
		if (i < 0 || (i && !all))
			continue;
		where = mosctl_where(pid);
		state = where > 0 ? "deputy" : "home";
		if (migrated_only && where <= 0)
			continue;
		lock = mosctl_get_lock(pid);
		read_comm(pid, comm, sizeof(comm));
		num_or_dash(node, sizeof(node), where > 0 ? where : where == 0 ? me : -1);
		num_or_dash(lk, sizeof(lk), lock);
		num_or_dash(hn, sizeof(hn), me > 0 ? me : -1);
		printf("%7ld %5s %7ld %5s %4s %-7s %s\n",
		       pid, hn, pid, node, lk, state, comm);
	}
	closedir(d);

	for (i = 0; i < nguests; i++) {
		struct guest *g = &guests[i];

		num_or_dash(lk, sizeof(lk), mosctl_get_lock(g->pid));
		printf("%7ld %5ld %7ld %5d %4s %-7s %s\n",
		       g->pid, g->hnode, g->hpid, me, lk, "guest", g->comm);
	}
	return 0;
}
