/* SPDX-License-Identifier: GPL-2.0 */
/*
 * client2/server2 protocol (thesis appendix C): every message is a header
 * (type, length, sender's current node) and, for DATA, one block of the
 * file.  The client sends a block and waits for its echo; END closes one
 * transmission.  Both programs move through a list of nodes, staying for a
 * number of transmissions at each.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_PORT	1000
#define BLOCK_SIZE	1024
#define MSG_MAX		2000

enum { MSGTYPE_END = 0, MSGTYPE_DATA = 1, MSGTYPE_START = 2 };

struct bench_hdr {
	int32_t msgtype;
	int64_t msglen;		/* bytes of the whole message */
	uint16_t curnode;
} __attribute__((packed));

/* Build a message in @buf; returns its length. */
size_t build_msg(int type, int curnode, const void *data, size_t len, void *buf);

/* "1,1,2" -> nodes; returns how many, or -1. */
int parse_nodes(const char *s, int *nodes, int max);

/* Move to @node (0 = home) unless already there; 0 or -1 with errno. */
int bench_goto(int node);

#endif
