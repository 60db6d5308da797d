// SPDX-License-Identifier: GPL-2.0
/*
 * file_move: a process that maps a file and moves itself, for the tests
 * of what a move carries (supplementary groups) and of which file the
 * target maps for it.
 *
 *   file_move [-m PATH] NODE...
 *
 * With -m it maps the first page of PATH (private, read-only).  It prints
 * "start" and then, after writing each NODE to /proc/self/goto (0: home),
 * "goto NODE: ok" or "goto NODE: ERRNO-NAME", each followed by a state
 * line "where W groups G1,G2 map TEXT": where it runs (/proc/self/where),
 * its supplementary groups and the first line of the mapping.  Exit 0
 * when it ran to the end, 2 on bad arguments, 1 if a call it needs fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "prog_util.h"

static const char *map;

static void state(void)
{
	gid_t groups[64];
	char where[32] = "?", text[64] = "-";
	int n, i, fd;

	fd = open("/proc/self/where", O_RDONLY);
	if (fd >= 0) {
		n = read(fd, where, sizeof(where) - 1);
		where[n > 0 ? n : 0] = 0;
		where[strcspn(where, "\n")] = 0;
		close(fd);
	}
	if (map) {
		for (i = 0; i < (int)sizeof(text) - 1 && map[i] && map[i] != '\n'; i++)
			text[i] = map[i];
		text[i] = 0;
	}
	printf("where %s groups ", where);
	n = getgroups(64, groups);
	for (i = 0; i < n; i++)
		printf("%s%u", i ? "," : "", (unsigned int)groups[i]);
	printf("%s map %s\n", n > 0 ? "" : "-", text);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	int o, i;

	while ((o = getopt(argc, argv, "m:")) != -1) {
		if (o != 'm') {
			fprintf(stderr, "usage: file_move [-m PATH] NODE...\n");
			return 2;
		}
		path = optarg;
	}
	if (optind == argc) {
		fprintf(stderr, "usage: file_move [-m PATH] NODE...\n");
		return 2;
	}
	if (path) {
		int fd = open(path, O_RDONLY);

		if (fd < 0) {
			fprintf(stderr, "file_move: %s: %s\n", path, strerror(errno));
			return 1;
		}
		map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
		close(fd);
		if (map == MAP_FAILED) {
			fprintf(stderr, "file_move: mmap %s: %s\n", path, strerror(errno));
			return 1;
		}
	}
	printf("start\n");
	state();
	for (i = optind; i < argc; i++) {
		long node;
		int fd, ok;

		if (parse_num(argv[i], 0, 65535, &node)) {
			fprintf(stderr, "file_move: bad node '%s'\n", argv[i]);
			return 2;
		}
		fd = open("/proc/self/goto", O_WRONLY);
		if (fd < 0) {
			fprintf(stderr, "file_move: /proc/self/goto: %s\n", strerror(errno));
			return 1;
		}
		ok = dprintf(fd, "%ld", node) > 0;
		printf("goto %ld: %s\n", node, ok ? "ok" : strerrorname_np(errno));
		close(fd);
		state();
	}
	return 0;
}
