// SPDX-License-Identifier: GPL-2.0
/*
 * bench_net on ordinary sockets; built with -DBENCH_PROTO=IPPROTO_MTCP the
 * same program opens MTCP descriptors instead of TCP ones (the _mtcp twins).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench_net.h"

#ifdef BENCH_PROTO
/* glibc's netinet/in.h does not know it; the kernel's linux/in.h does. */
#ifndef IPPROTO_MTCP
#define IPPROTO_MTCP 263
#endif
const char *net_kind = "mtcp";
#else
#define BENCH_PROTO 0
const char *net_kind = "std";
#endif

int net_accept_one(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int ls, s, one = 1;

	ls = socket(AF_INET, SOCK_STREAM, BENCH_PROTO);
	if (ls < 0)
		return -1;
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&a, sizeof(a)) || listen(ls, 1))
		return -1;
	s = accept(ls, NULL, NULL);
	close(ls);
	return s;
}

int net_connect(const char *addr, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s, i;

	if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
		return -1;
	for (i = 0; i < 50; i++) {
		s = socket(AF_INET, SOCK_STREAM, BENCH_PROTO);
		if (s < 0)
			return -1;
		if (!connect(s, (struct sockaddr *)&a, sizeof(a)))
			return s;
		close(s);
		if (errno != ECONNREFUSED)
			return -1;
		usleep(100000);
	}
	return -1;
}

ssize_t net_send(int h, const void *buf, size_t len)
{
	return send(h, buf, len, 0);
}

ssize_t net_recv(int h, void *buf, size_t len)
{
	return recv(h, buf, len, 0);
}

void net_close(int h)
{
	shutdown(h, SHUT_WR);
	close(h);
}
