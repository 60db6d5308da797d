// SPDX-License-Identifier: GPL-2.0
/*
 * runas: run a command as an unprivileged user, for the tests of what
 * such a user can do (busybox's setpriv cannot change ids).
 *
 *   runas [-g GID,GID...] UID GID CMD [ARGS...]
 *
 * Sets the supplementary groups (none, or those of -g), then the real,
 * effective and saved gid and uid, checks that they all took (and that uid 0 cannot be had back,
 * and no capability is left), then execs CMD.  Exits 126 if any of that
 * fails, 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prog_util.h"

static int caps_empty(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	int empty = 0;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7) || !strncmp(line, "CapPrm:", 7))
			empty += strtoull(line + 7, NULL, 16) == 0;
	if (f)
		fclose(f);
	return empty == 2;
}

#define MAX_GROUPS 64

static int gid_cmp(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return x < y ? -1 : x > y;
}

static int parse_groups(char *list, gid_t *groups, int *n)
{
	char *tok, *save = NULL;
	long g;

	*n = 0;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_GROUPS || parse_num(tok, 1, 65535, &g))
			return -1;
		groups[(*n)++] = g;
	}
	return *n ? 0 : -1;
}

int main(int argc, char **argv)
{
	gid_t groups[MAX_GROUPS], got[MAX_GROUPS];
	int ngroups = 0, i;
	uid_t r, e, s;
	gid_t rg, eg, sg;
	long uid, gid;

	if (argc > 2 && !strcmp(argv[1], "-g")) {
		if (parse_groups(argv[2], groups, &ngroups)) {
			fprintf(stderr, "runas: bad group list '%s'\n", argv[2]);
			return 2;
		}
		argc -= 2;
		argv += 2;
	}
	if (argc < 4 || parse_num(argv[1], 1, 65535, &uid) || parse_num(argv[2], 1, 65535, &gid)) {
		fprintf(stderr, "usage: runas [-g GID,GID...] UID GID CMD [ARGS...]\n");
		return 2;
	}
	if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) {
		perror("runas: dropping privileges");
		return 126;
	}
	if (getresuid(&r, &e, &s) || r != (uid_t)uid || e != (uid_t)uid || s != (uid_t)uid ||
	    getresgid(&rg, &eg, &sg) || rg != (gid_t)gid || eg != (gid_t)gid || sg != (gid_t)gid ||
	    getgroups(MAX_GROUPS, got) != ngroups || setuid(0) == 0 || !caps_empty()) {
		fprintf(stderr, "runas: privileges not dropped\n");
		return 126;
	}
	/* The kernel keeps them sorted. */
	qsort(groups, ngroups, sizeof(groups[0]), gid_cmp);
	for (i = 0; i < ngroups; i++) {
		if (got[i] != groups[i]) {
			fprintf(stderr, "runas: groups not set\n");
			return 126;
		}
	}
	execvp(argv[3], argv + 3);
	fprintf(stderr, "runas: %s: %s\n", argv[3], strerror(errno));
	return 127;
}
