// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "mosctl.h"

size_t build_msg(int type, int curnode, const void *data, size_t len, void *buf)
{
	struct bench_hdr *h = buf;
	size_t total = sizeof(*h) + (type == MSGTYPE_DATA ? len : 0);

	h->msgtype = type;
	h->msglen = total;
	h->curnode = curnode;
	if (type == MSGTYPE_DATA)
		memcpy(h + 1, data, len);
	return total;
}

int parse_nodes(const char *s, int *nodes, int max)
{
	int n = 0;

	while (*s && n < max) {
		char *end;
		long v = strtol(s, &end, 10);

		if (end == s || v < 0 || v > MOSCTL_NODE_MAX)
			return -1;
		nodes[n++] = v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return n;
}

int bench_goto(int node)
{
	int cur = mosctl_get_cur_node(), home = mosctl_get_home_node();

	if (cur < 0 || home < 0)
		return -1;
	if ((node == 0 ? home : node) == cur)
		return 0;
	return mosctl_goto(node);
}
