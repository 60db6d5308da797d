// SPDX-License-Identifier: GPL-2.0
/*
 * net_fuzz: sends mutated packets and messages to one node, to fuzz the
 * parsers behind its ports.
 *
 *   net_fuzz mtcp ADDR [-s SEED] [-n COUNT] [-t SECONDS] [-c NAME,...]
 *                      [-k KEYFILE -S SRC -D DST]
 *   net_fuzz hpc  ADDR [-s SEED] [-n COUNT] [-t SECONDS]
 *                      [-k KEYFILE -S SRC -D DST -I IMAGE_HEADER_SIZE]
 *   net_fuzz meta NODE [-s SEED] [-n COUNT] [-t SECONDS]
 *
 * mtcp: UDP datagrams to migsock's port 19791: MTCP headers with and
 *       without the migration option, addressed mostly to the names given
 *       with -c (LPORT:RPORT:LHNODE:RHNODE of the target's sockets, as in
 *       its /proc/hpc/migsock/sockets) and to ports 1 (the migd) and
 *       6300-6303, random flags, sequence numbers, options and data; bytes
 *       flipped, cut or added; the checksum right in 4 of 5.  Without -k
 *       no datagram has a valid trailer (the tag check drops them all);
 *       with -k each is sealed with the cluster key as node SRC sends to
 *       node DST (9 in 10 with the right tag), to reach the parser.
 * hpc:  TCP connections to hpc's port 19790: message headers (magic and
 *       version mostly right, any type, lengths around and beyond the
 *       limit), then random bodies, sometimes several messages in a row.
 *       With -k (and -I, the image header's size from the target's log
 *       line "migd listening ... image header N bytes"), each connection
 *       first makes the handshake as node SRC to node DST, unsealed (the
 *       target must have /proc/hpc/admin/encrypt 0), and then sends
 *       messages numbered and tagged with the link's key (mostly right):
 *       process images made from a template (exe /bin/busybox with its
 *       file identity, home node SRC) and mutated, followed by image
 *       messages, to reach the parsers behind the link's authentication.
 * meta: metasocket messages written to /proc/hpc/migsock/metasock, sent by
 *       this node to NODE's migd: well-formed MIGTOYOU, MIGACKED,
 *       *LISTEN and MIGBACK messages, then mutated with the length kept
 *       right (so the migd decodes each at once).
 *
 * Every send is bounded in time.  Prints "net_fuzz MODE: seed S: N sent in
 * T s (R/s), answers ..." and exits 0 (the node's health is judged by the
 * caller: its console, its counters, and whether it still works).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blake2s.h"
#include "prog_util.h"

#define MTCP_PORT	19791
#define HPC_PORT	19790


static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* Flip, overwrite, cut or grow: @len is updated, at most @max. */
static void mutate(uint8_t *p, size_t *len, size_t max, size_t keep)
{
	int i, n = 1 + (int)pick(4);

	for (i = 0; i < n && *len > keep; i++) {
		size_t at = keep + pick(*len - keep);

		switch (pick(4)) {
		case 0: p[at] ^= 1 << pick(8); break;
		case 1: p[at] = (uint8_t)rnd(); break;
		case 2: p[at] = chance(50) ? 0 : 0xff; break;
		case 3:
			if (chance(50))
				*len = at;
			else if (*len + 16 <= max)
				*len += pick(16);
			break;
		}
	}
}

struct name { uint16_t lport, rport, lhnode, rhnode; };

/* -k: the key and the nodes a sealed datagram is from and to. */
static struct {
	int on;
	uint8_t key[32];
	long src, dst;
	uint64_t epoch, counter;
} seal;

/* -I: sizeof(struct hpc_image_hdr) on the target. */
static long image_hdr_size;

/* The link protocol (docs/hpc.md, "Link messages"). */
#define HPC_MAGIC	0x48504d47
#define HPC_VERSION	5
enum { HPC_BEGIN = 1, HPC_END = 6, HPC_HELLO = 13, HPC_HELLO_REPLY, HPC_PROOF };
enum { AUTH_LINK_CLIENT = 2, AUTH_LINK_KEY = 4 };

static void hpc_hdr(uint8_t *h, uint8_t type, uint32_t len)
{
	put32(h, HPC_MAGIC);
	h[4] = HPC_VERSION;
	h[5] = type;
	put16(h + 6, 0);
	put32(h + 8, len);
}

/* Keyed BLAKE2s of @outlen bytes as hpc_auth_derive() makes it. */
static void hpc_derive(uint8_t domain, const void *a, size_t alen, const void *b,
		       size_t blen, uint8_t *out, size_t outlen)
{
	uint8_t prefix[8] = { domain, 1 };
	struct b2s st;

	put16(prefix + 2, (uint16_t)seal.src);
	put16(prefix + 4, (uint16_t)seal.dst);
	b2s_init(&st, outlen, seal.key, 32);
	b2s_update(&st, prefix, sizeof(prefix));
	b2s_update(&st, a, alen);
	b2s_update(&st, b, blen);
	b2s_final(&st, out);
}

/* Reads exactly @len bytes within 2 s; 0 or -1. */
static int recv_all(int s, uint8_t *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 2000) != 1)
			return -1;
		n = recv(s, buf + got, len - got, MSG_DONTWAIT);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

/* The handshake as node SRC; the link's key for our direction in @key. */
static int hpc_handshake(int s, uint8_t key[32])
{
	uint8_t hello[12 + 24] = { 0 }, reply[12 + 36], proof[12 + 16];

	hpc_hdr(hello, HPC_HELLO, 24);
	put16(hello + 12, (uint16_t)seal.src);
	put16(hello + 14, (uint16_t)seal.dst);
	for (int i = 0; i < 16; i++)
		hello[16 + i] = (uint8_t)rnd();
	if (send(s, hello, sizeof(hello), MSG_NOSIGNAL) != sizeof(hello) ||
	    recv_all(s, reply, sizeof(reply)) || reply[5] != HPC_HELLO_REPLY)
		return -1;
	if (reply[12 + 16] & 1)
		return -1;	/* sealed: this fuzzer only speaks tagged */
	hpc_hdr(proof, HPC_PROOF, 16);
	hpc_derive(AUTH_LINK_CLIENT, hello + 12, 24, reply + 12, 20, proof + 12, 16);
	if (send(s, proof, sizeof(proof), MSG_NOSIGNAL) != sizeof(proof))
		return -1;
	hpc_derive(AUTH_LINK_KEY, hello + 12, 24, reply + 12, 20, key, 32);
	return 0;
}

/*
 * One message on a keyed link: header, number, payload, tag; the number
 * or the tag wrong now and then.
 */
static int hpc_send_keyed(int s, const uint8_t key[32], uint64_t *seq, uint8_t type,
			  const uint8_t *body, uint32_t len)
{
	static uint8_t msg[12 + 8 + 70000 + 16];
	uint64_t n = chance(97) ? *seq : (uint64_t)rnd();
	struct b2s st;
	size_t tot;

	if (len > 70000)
		len = 70000;
	hpc_hdr(msg, type, len);
	for (int i = 0; i < 8; i++)
		msg[12 + i] = (uint8_t)(n >> (56 - 8 * i));
	memcpy(msg + 20, body, len);
	b2s_init(&st, 16, key, 32);
	b2s_update(&st, msg + 12, 8);	/* the number, then the header */
	b2s_update(&st, msg, 12);
	b2s_update(&st, msg + 20, len);
	b2s_final(&st, msg + 20 + len);
	if (chance(5))
		msg[20 + len + pick(16)] ^= 1 + (uint8_t)pick(255);
	(*seq)++;
	tot = 20 + len + 16;
	return send(s, msg, tot, MSG_NOSIGNAL) == (ssize_t)tot ? 0 : -1;
}

/* A process image header as node SRC would send it, then mutated. */
static uint32_t hpc_image(uint8_t *img, size_t max)
{
	static const char exe[] = "/bin/busybox";
	size_t len = (size_t)image_hdr_size;
	struct stat st;

	memset(img, 0, len);
	for (size_t i = 312; i < len; i++)
		img[i] = chance(50) ? 0 : (uint8_t)rnd();
	/* Little-endian, as the kernel's native struct. */
	img[0] = (uint8_t)seal.src;
	img[1] = (uint8_t)(seal.src >> 8);
	img[2] = img[0];
	img[3] = img[1];
	img[4] = (uint8_t)rnd();
	img[5] = (uint8_t)rnd();
	memcpy(img + 8, "fuzz", 4);
	memcpy(img + 24, exe, sizeof(exe));
	if (!stat(exe, &st)) {
		uint64_t v[2] = { (uint64_t)st.st_size, (uint64_t)st.st_mtim.tv_sec };
		uint32_t w[4] = { (uint32_t)st.st_mtim.tv_nsec, st.st_mode, st.st_uid, st.st_gid };

		memcpy(img + 280, v, sizeof(v));
		memcpy(img + 296, w, sizeof(w));
	}
	if (chance(70))
		mutate(img, &len, max, chance(50) ? 312 : 0);
	return (uint32_t)len;
}

static long fuzz_hpc_keyed(struct sockaddr_in *to, long count, long secs, long *sent,
			   long *answered)
{
	static uint8_t body[70000];
	time_t end = time(NULL) + secs;

	while (*sent < count && time(NULL) < end) {
		int s = socket(AF_INET, SOCK_STREAM, 0), k, msgs = (int)pick(8);
		uint8_t key[32], buf[256];
		uint64_t seq = 0;
		uint32_t len;

		if (s < 0)
			return -1;
		if (connect(s, (struct sockaddr *)to, sizeof(*to)) || hpc_handshake(s, key)) {
			close(s);
			(*sent)++;
			continue;
		}
		len = hpc_image(body, sizeof(body));
		if (hpc_send_keyed(s, key, &seq, chance(90) ? HPC_BEGIN : (uint8_t)(1 + pick(15)),
				   body, len))
			msgs = 0;
		for (k = 0; k < msgs; k++) {
			uint8_t type = chance(20) ? HPC_END : (uint8_t)(2 + pick(4));

			switch (pick(4)) {
			case 0: len = 0; break;
			case 1: len = (uint32_t)pick(300); break;
			case 2: len = 8 + 4096; break;	/* a page */
			default: len = (uint32_t)pick(sizeof(body)); break;
			}
			for (uint32_t i = 0; i < len; i++)
				body[i] = chance(60) ? 0 : (uint8_t)rnd();
			if (hpc_send_keyed(s, key, &seq, type, body, len))
				break;
		}
		/* Whatever answer (an ACK, mostly of a refusal), or the close. */
		{
			struct pollfd pfd = { .fd = s, .events = POLLIN };

			if (poll(&pfd, 1, 500) == 1 && recv(s, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				(*answered)++;
		}
		close(s);
		(*sent)++;
	}
	return 0;
}

static long fuzz_mtcp(struct sockaddr_in *to, struct name *names, int nnames,
		      long count, long secs, long *sent)
{
	static const uint16_t ports[] = { 1, 6300, 6301, 6302, 6303, 0, 65535 };
	uint8_t pkt[2048 + MTCP_TRAILER_LEN];
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	time_t end = time(NULL) + secs;

	if (s < 0)
		return -1;
	while (*sent < count && time(NULL) < end) {
		size_t len, opt = chance(60) ? 12 : 0, hdr = 24 + opt;
		struct name n;

		if (nnames && chance(60)) {
			n = names[pick(nnames)];
		} else {
			n.lport = ports[pick(7)];
			n.rport = chance(50) ? ports[pick(7)] : (uint16_t)rnd();
			n.lhnode = (uint16_t)pick(5);
			n.rhnode = (uint16_t)pick(5);
		}
		memset(pkt, 0, hdr);
		/* The segment as the target's peer would send it. */
		put16(pkt, n.rport);
		put16(pkt + 2, n.lport);
		put16(pkt + 4, n.rhnode);
		put16(pkt + 6, n.lhnode);
		put32(pkt + 8, (uint32_t)rnd());
		put32(pkt + 12, (uint32_t)rnd());
		pkt[16] = (uint8_t)((hdr / 4) << 4);
		pkt[17] = chance(80) ? (uint8_t)(1 << pick(5)) | (chance(50) ? 0x10 : 0) :
				       (uint8_t)rnd();
		put16(pkt + 18, chance(80) ? (uint16_t)rnd() : 0);
		if (opt) {
			pkt[24] = 253;
			pkt[25] = 12;
			put16(pkt + 26, 0x4d53);
			put16(pkt + 28, (uint16_t)pick(5));
			put16(pkt + 30, (uint16_t)pick(chance(50) ? 4 : 65536));
			put16(pkt + 32, (uint16_t)pick(4));
			pkt[34] = (uint8_t)pick(2);
		}
		len = hdr + (chance(50) ? 0 : pick(1400));
		for (size_t i = hdr; i < len; i++)
			pkt[i] = (uint8_t)rnd();
		if (chance(40))
			mutate(pkt, &len, sizeof(pkt), 0);
		if (len >= 22)
			put16(pkt + 20, chance(80) ? mtcp_checksum(pkt, len) : (uint16_t)rnd());
		if (seal.on) {
			seal_datagram(seal.key, seal.src, seal.dst, seal.epoch, ++seal.counter,
				      pkt, len);
			if (chance(10))
				pkt[len + pick(MTCP_TRAILER_LEN)] ^= 1 << pick(8);
			len += MTCP_TRAILER_LEN;
		}
		if (sendto(s, pkt, len, 0, (struct sockaddr *)to, sizeof(*to)) >= 0)
			(*sent)++;
		if (!(*sent & 63))
			usleep(1000);	/* let the receive thread keep up */
	}
	close(s);
	return 0;
}

static long fuzz_hpc(struct sockaddr_in *to, long count, long secs, long *sent,
		     long *answered)
{
	uint8_t msg[8192];
	time_t end = time(NULL) + secs;

	while (*sent < count && time(NULL) < end) {
		int s = socket(AF_INET, SOCK_STREAM, 0), k, msgs = chance(70) ? 1 : 1 + (int)pick(5);
		struct pollfd pfd;
		int fl;

		if (s < 0)
			return -1;
		fl = fcntl(s, F_GETFL);
		fcntl(s, F_SETFL, fl | O_NONBLOCK);
		connect(s, (struct sockaddr *)to, sizeof(*to));
		pfd.fd = s;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 2000) != 1 || (pfd.revents & (POLLERR | POLLHUP))) {
			close(s);
			(*sent)++;
			continue;
		}
		fcntl(s, F_SETFL, fl);
		for (k = 0; k < msgs; k++) {
			uint32_t len, body;
			size_t tot;

			put32(msg, chance(90) ? 0x48504d47 : (uint32_t)rnd());
			msg[4] = chance(90) ? 5 : (uint8_t)rnd();	/* HPC_MSG_VERSION */
			msg[5] = (uint8_t)(chance(90) ? 1 + pick(12) : rnd());
			put16(msg + 6, chance(90) ? 0 : (uint16_t)rnd());
			switch (pick(5)) {
			case 0: len = 0; break;
			case 1: len = (uint32_t)pick(64); break;
			case 2: len = 2000 + (uint32_t)pick(2000); break;	/* an image header */
			case 3: len = 65536 + (uint32_t)pick(3); break;
			default: len = (uint32_t)rnd(); break;
			}
			put32(msg + 8, len);
			/* Up to the whole body, or less (the peer must not wait forever). */
			body = len < sizeof(msg) - 12 ? len : (uint32_t)pick(sizeof(msg) - 12);
			if (chance(20))
				body = (uint32_t)pick(body + 1);
			for (uint32_t i = 0; i < body; i++)
				msg[12 + i] = (uint8_t)rnd();
			tot = 12 + body;
			if (chance(20))
				tot = pick(tot + 1);
			if (send(s, msg, tot, MSG_NOSIGNAL) < 0)
				break;
		}
		/* The answer (or the close) comes, or we give up: never wait long. */
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 200) == 1 && recv(s, msg, sizeof(msg), MSG_DONTWAIT) >= 0)
			(*answered)++;
		close(s);
		(*sent)++;
	}
	return 0;
}

/* A well-formed metasocket message of type @type into @m; its length. */
static size_t meta_template(uint8_t *m, int type, int node, int here)
{
	size_t len = 8;

	memset(m, 0, 256);
	put16(m, 0x4d53);
	m[2] = 2;	/* metasocket version */
	m[3] = (uint8_t)type;
	switch (type) {
	case 1: {	/* MIGTOYOU: one ESTABLISHED socket, D bytes queued */
		uint8_t *r = m + 20;
		uint32_t iss = (uint32_t)rnd(), irs = (uint32_t)rnd(), d = (uint32_t)pick(32);

		put16(m + 8, (uint16_t)here);
		put16(m + 10, (uint16_t)here);
		put16(m + 12, (uint16_t)node);
		put16(m + 14, 1);
		put32(m + 16, 40000 + (uint32_t)pick(1000));
		put32(r, (uint32_t)pick(16));
		put32(r + 4, m[16] << 24 | m[17] << 16 | m[18] << 8 | m[19]);
		put16(r + 8, 6300 + (uint16_t)pick(4));
		put16(r + 10, 32768 + (uint16_t)pick(1000));
		put16(r + 12, (uint16_t)here);
		put16(r + 14, (uint16_t)here);
		put16(r + 16, (uint16_t)(1 + pick(3)));
		put16(r + 18, (uint16_t)(1 + pick(3)));
		put32(r + 20, htonl(0x0a4d0000 | (uint32_t)(1 + pick(3))));
		put32(r + 28, 1);
		put32(r + 36, (uint32_t)-1);
		put32(r + 40, (uint32_t)-1);
		r[44] = 4;
		r[45] = 3;
		put32(r + 52, iss + 1);
		put32(r + 56, iss + 1);
		put32(r + 60, 65535);
		put32(r + 64, iss);
		put32(r + 68, irs + 1 + d);
		put32(r + 72, 65535);
		put32(r + 76, irs);
		put32(r + 80, irs + 1);
		put32(r + 84, irs + 1 + d);
		put16(r + 88, 1);
		put32(r + 100, d);
		for (uint32_t i = 0; i < d; i++)
			r[104 + i] = (uint8_t)rnd();
		len = 20 + 104 + d;
		break;
	}
	case 2:		/* MIGACKED */
		put16(m + 8, 6300 + (uint16_t)pick(4));
		put16(m + 10, (uint16_t)rnd());
		put16(m + 12, (uint16_t)(1 + pick(3)));
		put16(m + 14, (uint16_t)(1 + pick(3)));
		put32(m + 16, (uint32_t)pick(2000));
		put32(m + 20, (uint32_t)pick(16));
		put16(m + 24, (uint16_t)pick(8));
		len = 28;
		break;
	case 3: case 4: case 5:	/* *LISTEN: to the home node @node */
		put16(m + 8, 6300 + (uint16_t)pick(4));
		put16(m + 10, (uint16_t)node);
		put32(m + 12, (uint32_t)pick(2000));
		put32(m + 16, (uint32_t)pick(16));
		put16(m + 20, (uint16_t)here);
		put16(m + 22, (uint16_t)pick(8));
		len = 24;
		break;
	default:	/* MIGBACK */
		put16(m + 8, (uint16_t)here);
		put16(m + 10, (uint16_t)here);
		put16(m + 12, (uint16_t)node);
		put32(m + 16, (uint32_t)pick(2000));
		len = 20;
		break;
	}
	put32(m + 4, (uint32_t)len);
	return len;
}

static long fuzz_meta(int node, long count, long secs, long *sent, long *accepted)
{
	char line[1024];
	uint8_t m[512];
	time_t end = time(NULL) + secs;
	long here = 0;
	FILE *f = fopen("/proc/hpc/admin/mospe", "r");

	if (f) {
		if (fscanf(f, "%ld", &here) != 1)
			here = 0;
		fclose(f);
	}
	while (*sent < count && time(NULL) < end) {
		size_t len = meta_template(m, 1 + (int)pick(6), node, (int)here), i, o;
		int fd;

		if (chance(80)) {
			mutate(m, &len, 300, 8);
			if (chance(99))
				put32(m + 4, (uint32_t)len);	/* framing kept right */
		}
		o = (size_t)snprintf(line, sizeof(line), "%d ", node);
		for (i = 0; i < len && o + 3 < sizeof(line); i++)
			o += (size_t)snprintf(line + o, sizeof(line) - o, "%02x", m[i]);
		line[o++] = '\n';
		fd = open("/proc/hpc/migsock/metasock", O_WRONLY);
		if (fd < 0) {
			perror("net_fuzz: /proc/hpc/migsock/metasock");
			return -1;
		}
		if (write(fd, line, o) == (ssize_t)o)
			(*accepted)++;
		close(fd);
		(*sent)++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct name names[64];
	long count = 100000, secs = 30, v, sent = 0, answered = 0;
	unsigned long seed = (unsigned long)time(NULL);
	int opt, nnames = 0, rc;
	const char *mode, *target;
	struct timespec t0, t1;
	double dt;

	if (argc < 3)
		goto usage;
	mode = argv[1];
	target = argv[2];
	optind = 3;
	while ((opt = getopt(argc, argv, "s:n:t:c:k:S:D:I:")) != -1) {
		switch (opt) {
		case 'I': if (parse_num(optarg, 312, 65536, &image_hdr_size)) goto usage; break;
		case 'k':
			if (read_cluster_key(optarg, seal.key))
				goto usage;
			seal.on = 1;
			seal.epoch = trailer_epoch();
			break;
		case 'S': if (parse_num(optarg, 1, 65535, &seal.src)) goto usage; break;
		case 'D': if (parse_num(optarg, 1, 65535, &seal.dst)) goto usage; break;
		case 's': if (parse_num(optarg, 0, LONG_MAX, &v)) goto usage; seed = v; break;
		case 'n': if (parse_num(optarg, 1, LONG_MAX, &count)) goto usage; break;
		case 't': if (parse_num(optarg, 1, 86400, &secs)) goto usage; break;
		case 'c': {
			char *save = NULL, *tok, *copy = strdup(optarg);
			unsigned int a, b, c, d;

			for (tok = strtok_r(copy, ",", &save); tok && nnames < 64;
			     tok = strtok_r(NULL, ",", &save)) {
				if (sscanf(tok, "%u:%u:%u:%u", &a, &b, &c, &d) != 4)
					goto usage;
				names[nnames++] = (struct name){ a, b, c, d };
			}
			free(copy);
			break;
		}
		default: goto usage;
		}
	}
	if (optind != argc || (seal.on && (!seal.src || !seal.dst)) ||
	    (seal.on && !strcmp(mode, "hpc") && !image_hdr_size))
		goto usage;
	prog_rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	signal(SIGPIPE, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!strcmp(mode, "mtcp") || !strcmp(mode, "hpc")) {
		if (inet_pton(AF_INET, target, &to.sin_addr) != 1)
			goto usage;
		to.sin_port = htons(mode[0] == 'm' ? MTCP_PORT : HPC_PORT);
		if (mode[0] == 'm')
			rc = fuzz_mtcp(&to, names, nnames, count, secs, &sent);
		else if (seal.on)
			rc = fuzz_hpc_keyed(&to, count, secs, &sent, &answered);
		else
			rc = fuzz_hpc(&to, count, secs, &sent, &answered);
	} else if (!strcmp(mode, "meta")) {
		if (parse_num(target, 1, 65535, &v))
			goto usage;
		rc = fuzz_meta((int)v, count, secs, &sent, &answered);
	} else {
		goto usage;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("net_fuzz %s: seed %lu: %ld sent in %.1f s (%.0f/s), %ld %s\n", mode, seed,
	       sent, dt, dt > 0 ? sent / dt : 0.0, answered,
	       mode[0] == 'm' && mode[1] == 'e' ? "accepted" : "answered");
	return rc ? 1 : 0;
usage:
	fprintf(stderr, "usage: net_fuzz mtcp|hpc ADDR | meta NODE [-s SEED] [-n COUNT] "
		"[-t SECONDS] [-c LPORT:RPORT:LHNODE:RHNODE,...] [-k KEYFILE -S SRC -D DST]\n"
		"       [-I IMAGE_HEADER_SIZE] (hpc with -k)\n");
	return 2;
}
