/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The socket calls client2/server2 make, in two builds: ordinary sockets
 * (bench_net_std.c, the _std programs) and migratable sockets through
 * libmigsock (bench_net_ms.c).
 */
#ifndef BENCH_NET_H
#define BENCH_NET_H

#include <stddef.h>
#include <sys/types.h>

/* "std" or "migsock", for messages. */
extern const char *net_kind;

/* Listen on @port and accept one connection; a handle or -1. */
int net_accept_one(int port);
/* Connect to @addr:@port, retrying while refused for up to 5 s. */
int net_connect(const char *addr, int port);
ssize_t net_send(int h, const void *buf, size_t len);
ssize_t net_recv(int h, void *buf, size_t len);
/* Shut down the sending half, then close. */
void net_close(int h);

#endif
