// SPDX-License-Identifier: GPL-2.0
/* bench_net on migratable sockets (libmigsock): descriptors 1 and 2. */
#include <arpa/inet.h>
#include <errno.h>
#include <unistd.h>

#include "bench_net.h"
#include "ms_calls.h"

const char *net_kind = "migsock";

int net_accept_one(int port)
{
	if (ms_listen(1, port, NULL) || ms_accept(1, 2, NULL))
		return -1;
	ms_close(1);
	return 2;
}

int net_connect(const char *addr, int port)
{
	int i;

	for (i = 0; i < 50; i++) {
		if (!ms_connect(1, inet_addr(addr), 0, port, NULL))
			return 1;
		if (errno != ECONNREFUSED)
			return -1;
		usleep(100000);
	}
	return -1;
}

ssize_t net_send(int h, const void *buf, size_t len)
{
	return ms_send(h, (void *)buf, len, 0);
}

ssize_t net_recv(int h, void *buf, size_t len)
{
	return ms_recv(h, buf, len, 0);
}

void net_close(int h)
{
	ms_shutdown(h, SHUT_WR);
	ms_close(h);
}
