// SPDX-License-Identifier: GPL-2.0
/*
 * setpe: read or load the node map (openMosix's setpe).
 *
 *   setpe -r               print the map (/proc/hpc/admin/map)
 *   setpe -w [-f FILE]     load the map from FILE (default: stdin)
 *   setpe -c [-f FILE]     only check FILE and print it as it would be loaded
 *   setpe -off             clear the map
 *
 * A map is ranges "first-node IPv4-address count", one per line (or
 * separated by ',' or ';'; fields by blanks or ':'); '#' starts a comment.
 * setpe checks the map as the kernel will (docs/interfaces.md), writes it
 * in canonical form in one write(), and reports the kernel's errno if the
 * kernel still refuses it.  Exit 0, 1 invalid or refused, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mosctl.h"

#define MAX_RANGES	64	/* HPC_MAP_MAX_RANGES */
#define MAX_MAP		4096	/* the kernel takes at most this many bytes */
#define MAX_INPUT	(1 << 20)

struct range {
	unsigned long first, count;
	uint32_t addr;		/* host order */
};

static void usage(void)
{
	fprintf(stderr,
		"usage: setpe -r\n"
		"       setpe -w [-f FILE]   load the map from FILE or stdin\n"
		"       setpe -c [-f FILE]   check only, print the canonical map\n"
		"       setpe -off           clear the map\n"
		"map: lines 'first-node IPv4-address count'\n");
	exit(2);
}

static const char *errname(int err)
{
	switch (err) {
	case EINVAL: return "EINVAL";
	case ERANGE: return "ERANGE";
	case E2BIG: return "E2BIG";
	case EFBIG: return "EFBIG";
	case EPERM: return "EPERM";
	case EACCES: return "EACCES";
	case ENOENT: return "ENOENT";
	case EBUSY: return "EBUSY";
	default: return "?";
	}
}

static char *read_all(const char *path)
{
	size_t len = 0;
	ssize_t n;
	char *buf;
	int fd = path ? open(path, O_RDONLY) : 0;

	if (fd < 0)
		return NULL;
	buf = malloc(MAX_INPUT + 1);
	if (!buf)
		return NULL;
	while (len < MAX_INPUT) {
		n = read(fd, buf + len, MAX_INPUT - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += n;
	}
	if (len == MAX_INPUT) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[len] = '\0';
	if (path)
		close(fd);
	return buf;
}

static int bad(int lineno, const char *fmt, const char *what)
{
	fprintf(stderr, "setpe: range %d: ", lineno);
	fprintf(stderr, fmt, what);
	fputc('\n', stderr);
	return -1;
}

static int parse_ulong(const char *s, unsigned long *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return (*end || errno) ? -1 : 0;
}

/* Parse @text into @r; number of ranges, or -1 after printing why. */
static int parse_map(char *text, struct range *r)
{
	char *p, *line, *save = NULL, *f[4], *fs;
	int n = 0, nf, i, j;
	struct in_addr a;

	/* Comments go first: they end at the end of a line. */
	for (p = text; (p = strchr(p, '#'));) {
		while (*p && *p != '\n')
			*p++ = ' ';
	}
	for (line = strtok_r(text, "\n,;", &save); line; line = strtok_r(NULL, "\n,;", &save)) {
		char *fsave = NULL;

		nf = 0;
		for (fs = strtok_r(line, " \t\r:", &fsave); fs; fs = strtok_r(NULL, " \t\r:", &fsave)) {
			if (nf < 4)
				f[nf] = fs;
			nf++;
		}
		if (nf == 0)
			continue;
		if (n == MAX_RANGES) {
			fprintf(stderr, "setpe: more than %d ranges\n", MAX_RANGES);
			return -1;
		}
		if (nf != 3)
			return bad(n + 1, "want 'first-node address count', got %s",
				   nf < 3 ? "too few fields" : "too many fields");
		if (parse_ulong(f[0], &r[n].first) || r[n].first < 1 || r[n].first > MOSCTL_NODE_MAX)
			return bad(n + 1, "first node '%s' is not 1-65535", f[0]);
		if (inet_pton(AF_INET, f[1], &a) != 1)
			return bad(n + 1, "'%s' is not an IPv4 address", f[1]);
		r[n].addr = ntohl(a.s_addr);
		if (r[n].addr == 0 || r[n].addr == 0xffffffff || (r[n].addr >> 28) == 0xe)
			return bad(n + 1, "address '%s' is wildcard, broadcast or multicast", f[1]);
		if (parse_ulong(f[2], &r[n].count) || r[n].count < 1 || r[n].count > MOSCTL_NODE_MAX)
			return bad(n + 1, "count '%s' is not 1-65535", f[2]);
		if (r[n].first + r[n].count - 1 > MOSCTL_NODE_MAX)
			return bad(n + 1, "%s", "range goes past node 65535");
		if ((uint64_t)r[n].addr + r[n].count - 1 >= 0xffffffffULL ||
		    ((r[n].addr + r[n].count - 1) >> 28) == 0xe ||
		    ((r[n].addr >> 28) < 0xe && ((r[n].addr + r[n].count - 1) >> 28) >= 0xe))
			return bad(n + 1, "%s", "addresses run into multicast or broadcast");
		n++;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < i; j++) {
			if (r[i].first < r[j].first + r[j].count &&
			    r[j].first < r[i].first + r[i].count) {
				fprintf(stderr, "setpe: ranges %d and %d share node numbers\n", j + 1, i + 1);
				return -1;
			}
			if (r[i].addr < r[j].addr + r[j].count &&
			    r[j].addr < r[i].addr + r[i].count) {
				fprintf(stderr, "setpe: ranges %d and %d share addresses\n", j + 1, i + 1);
				return -1;
			}
		}
	}
	return n;
}

static int format_map(const struct range *r, int n, char *out, size_t len)
{
	size_t used = 0;
	struct in_addr a;
	char ip[INET_ADDRSTRLEN];
	int i, k;

	out[0] = '\0';
	for (i = 0; i < n; i++) {
		a.s_addr = htonl(r[i].addr);
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		k = snprintf(out + used, len - used, "%lu %s %lu\n", r[i].first, ip, r[i].count);
		if (k < 0 || (size_t)k >= len - used) {
			fprintf(stderr, "setpe: the map is longer than %d bytes\n", MAX_MAP);
			return -1;
		}
		used += k;
	}
	return (int)used;
}

static int write_map(const char *map, size_t len)
{
	ssize_t w;
	int fd, err;

	fd = open(MOSCTL_PROC_MAP, O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "setpe: %s: %s\n", MOSCTL_PROC_MAP, strerror(errno));
		return 1;
	}
	w = write(fd, map, len);
	err = errno;
	close(fd);
	if (w == (ssize_t)len)
		return 0;
	if (w >= 0) {
		fprintf(stderr, "setpe: kernel took %zd of %zu bytes\n", w, len);
		return 1;
	}
	fprintf(stderr, "setpe: kernel refused the map: %s (%s)\n", strerror(err), errname(err));
	return 1;
}

static int print_map(void)
{
	char buf[MAX_MAP + 1];
	ssize_t n;
	int fd = open(MOSCTL_PROC_MAP, O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "setpe: %s: %s\n", MOSCTL_PROC_MAP, strerror(errno));
		return 1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, n, stdout);
	if (n < 0) {
		fprintf(stderr, "setpe: %s: %s\n", MOSCTL_PROC_MAP, strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	static struct range r[MAX_RANGES];
	char *text, map[MAX_MAP + 1];
	const char *file = NULL;
	int mode = 0, opt, n, len;

	if (argc == 2 && !strcmp(argv[1], "-off"))
		return write_map("", 0);
	while ((opt = getopt(argc, argv, "rwcf:")) != -1) {
		switch (opt) {
		case 'r':
		case 'w':
		case 'c':
			if (mode)
				usage();
			mode = opt;
			break;
		case 'f':
			file = optarg;
			break;
		default:
			usage();
		}
	}
	if (!mode || optind != argc || (mode == 'r' && file))
		usage();
	if (mode == 'r')
		return print_map();

	text = read_all(file);
	if (!text) {
		fprintf(stderr, "setpe: %s: %s\n", file ? file : "stdin", strerror(errno));
		return 1;
	}
	n = parse_map(text, r);
	if (n < 0)
		return 1;
	if (n == 0) {
		fprintf(stderr, "setpe: the map is empty (use setpe -off to clear it)\n");
		return 1;
	}
	len = format_map(r, n, map, sizeof(map));
	if (len < 0)
		return 1;
	if (mode == 'c') {
		fputs(map, stdout);
		return 0;
	}
	return write_map(map, len);
}
