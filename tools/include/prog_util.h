/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the node programs (tools/ and tests/progs/):
 * header-only, since each program is one static binary.
 */
#ifndef PROG_UTIL_H
#define PROG_UTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
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

/* The fuzzers' generator: xorshift64*, the same from a seed on every node. */
static uint64_t prog_rng __attribute__((unused));

static inline uint64_t rnd(void)
{
	prog_rng ^= prog_rng >> 12;
	prog_rng ^= prog_rng << 25;
	prog_rng ^= prog_rng >> 27;
	return prog_rng * 2685821657736338717ULL;
}

/* A number below @n (0 if @n is 0). */
static inline unsigned long pick(unsigned long n)
{
	return n ? rnd() % n : 0;
}

static inline int chance(int percent)
{
	return (int)pick(100) < percent;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* MTCP's checksum: ones' complement sum, the field (20-21) left out. */
static inline uint16_t mtcp_checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		if (i != 20)
			sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

#endif /* PROG_UTIL_H */
