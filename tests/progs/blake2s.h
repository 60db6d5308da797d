/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BLAKE2s (RFC 7693) for the test programs that speak for the cluster
 * with its key: they seal MTCP datagrams as the kernel does
 * (hpc_auth_tag), to reach the parser behind the tag check.  The
 * receive-path test (tests/cluster/50-migsock-input.sh) checks that the
 * kernel takes what this seals and nothing else.
 */
#ifndef TEST_BLAKE2S_H
#define TEST_BLAKE2S_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct b2s {
	uint32_t h[8], t[2], f[2];
	uint8_t buf[64];
	size_t buflen, outlen;
};

static const uint32_t b2s_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static const uint8_t b2s_sigma[10][16] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
	{ 14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3 },
	{ 11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4 },
	{ 7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8 },
	{ 9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13 },
	{ 2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9 },
	{ 12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11 },
	{ 13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10 },
	{ 6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5 },
	{ 10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0 },
};

static inline uint32_t b2s_rotr(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

#define B2S_G(a, b, c, d, x, y) do {				\
	v[a] += v[b] + (x); v[d] = b2s_rotr(v[d] ^ v[a], 16);	\
	v[c] += v[d]; v[b] = b2s_rotr(v[b] ^ v[c], 12);		\
	v[a] += v[b] + (y); v[d] = b2s_rotr(v[d] ^ v[a], 8);	\
	v[c] += v[d]; v[b] = b2s_rotr(v[b] ^ v[c], 7);		\
} while (0)

static void b2s_compress(struct b2s *s, const uint8_t *block, uint32_t inc)
{
	uint32_t m[16], v[16];
	int i, r;

	s->t[0] += inc;
	if (s->t[0] < inc)
		s->t[1]++;
	for (i = 0; i < 16; i++)
		m[i] = (uint32_t)block[4 * i] | (uint32_t)block[4 * i + 1] << 8 |
		       (uint32_t)block[4 * i + 2] << 16 | (uint32_t)block[4 * i + 3] << 24;
	for (i = 0; i < 8; i++) {
		v[i] = s->h[i];
		v[i + 8] = b2s_iv[i];
	}
	v[12] ^= s->t[0];
	v[13] ^= s->t[1];
	v[14] ^= s->f[0];
	v[15] ^= s->f[1];
	for (r = 0; r < 10; r++) {
		const uint8_t *sg = b2s_sigma[r];

		B2S_G(0, 4, 8, 12, m[sg[0]], m[sg[1]]);
		B2S_G(1, 5, 9, 13, m[sg[2]], m[sg[3]]);
		B2S_G(2, 6, 10, 14, m[sg[4]], m[sg[5]]);
		B2S_G(3, 7, 11, 15, m[sg[6]], m[sg[7]]);
		B2S_G(0, 5, 10, 15, m[sg[8]], m[sg[9]]);
		B2S_G(1, 6, 11, 12, m[sg[10]], m[sg[11]]);
		B2S_G(2, 7, 8, 13, m[sg[12]], m[sg[13]]);
		B2S_G(3, 4, 9, 14, m[sg[14]], m[sg[15]]);
	}
	for (i = 0; i < 8; i++)
		s->h[i] ^= v[i] ^ v[i + 8];
}

static inline void b2s_init(struct b2s *s, size_t outlen, const uint8_t *key, size_t keylen)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->h, b2s_iv, sizeof(s->h));
	s->h[0] ^= 0x01010000 ^ (uint32_t)(keylen << 8) ^ (uint32_t)outlen;
	s->outlen = outlen;
	if (keylen) {
		memcpy(s->buf, key, keylen);
		s->buflen = 64;
	}
}

static inline void b2s_update(struct b2s *s, const void *data, size_t len)
{
	const uint8_t *in = data;

	while (len) {
		size_t n;

		if (s->buflen == 64) {
			/* Only compress a full buffer once more input follows. */
			b2s_compress(s, s->buf, 64);
			s->buflen = 0;
		}
		n = 64 - s->buflen;
		if (n > len)
			n = len;
		memcpy(s->buf + s->buflen, in, n);
		s->buflen += n;
		in += n;
		len -= n;
	}
}

static inline void b2s_final(struct b2s *s, uint8_t *out)
{
	uint8_t h[32];
	int i;

	s->f[0] = 0xffffffff;
	memset(s->buf + s->buflen, 0, 64 - s->buflen);
	b2s_compress(s, s->buf, (uint32_t)s->buflen);
	for (i = 0; i < 8; i++) {
		h[4 * i] = s->h[i];
		h[4 * i + 1] = s->h[i] >> 8;
		h[4 * i + 2] = s->h[i] >> 16;
		h[4 * i + 3] = s->h[i] >> 24;
	}
	memcpy(out, h, s->outlen);
}

/* ---- the MTCP datagram trailer (docs/mtcp-wire.md, hpc/key.c) ---- */

#define MTCP_TRAILER_LEN	32
#define HPC_AUTH_MTCP		3

/* Reads the cluster key (64 hex digits) from @path into @key; 0 or -1. */
static inline int read_cluster_key(const char *path, uint8_t key[32])
{
	char hex[80];
	FILE *f = fopen(path, "re");
	size_t n = f ? fread(hex, 1, sizeof(hex) - 1, f) : 0;
	int i;

	if (f)
		fclose(f);
	if (n < 64)
		return -1;
	for (i = 0; i < 32; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		key[i] = (uint8_t)b;
	}
	return 0;
}

/* Now, in ns since 1970: an epoch later than the sender's earlier ones. */
static inline uint64_t trailer_epoch(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Writes at @seg + @len the trailer of @seg sent from node @src to @dst. */
static inline void seal_datagram(const uint8_t key[32], uint16_t src, uint16_t dst,
				 uint64_t epoch, uint64_t counter, uint8_t *seg, size_t len)
{
	uint8_t prefix[8] = { HPC_AUTH_MTCP, 1, src >> 8, src, dst >> 8, dst, 0, 0 };
	uint8_t *t = seg + len;
	struct b2s s;
	int i;

	for (i = 0; i < 8; i++) {
		t[i] = epoch >> (56 - 8 * i);
		t[8 + i] = counter >> (56 - 8 * i);
	}
	b2s_init(&s, 16, key, 32);
	b2s_update(&s, prefix, sizeof(prefix));
	b2s_update(&s, t, 16);
	b2s_update(&s, seg, len);
	b2s_final(&s, t + 16);
}

#endif
