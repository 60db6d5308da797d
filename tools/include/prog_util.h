/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the node programs (tools/ and tests/progs/):
 * header-only, since each program is one static binary.
 */
#ifndef PROG_UTIL_H
#define PROG_UTIL_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* Writes all @len bytes of @buf to @fd; 0, or -1 with errno set. */
static inline int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

/* @s as a whole decimal number in [@min, @max] into *@out; 0 or -1. */
static inline int parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

#endif /* PROG_UTIL_H */
