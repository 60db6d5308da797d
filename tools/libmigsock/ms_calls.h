/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * libmigsock: user-space wrappers for sys_migsock(), with the function
 * signatures of the migratable-sockets thesis (appendix B, ms_calls.h).
 *
 * Each function returns what the system call returned: 0 or a result on
 * success, -1 with errno set on failure.
 */
#ifndef __MSCALLS_H__
#define __MSCALLS_H__

#include <asm/types.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <linux/migsock.h>	/* MSC_*, struct ms_opts */

long ms_init(void);
long ms_listen(long fd, __u16 lport, struct ms_opts *opts);
long ms_accept(long fd, long fd_new, struct sockaddr_in *addr);
long ms_connect(long fd, __u32 ip, __u16 lport, __u16 rport, struct ms_opts *opts);
long ms_sendmsg(long fd, struct msghdr *msg, unsigned int flags);
long ms_send(long fd, void *buf, size_t len, int flags);
long ms_recvmsg(long fd, struct msghdr *msg, unsigned int flags);
long ms_recv(long fd, void *buf, int buflen, unsigned int flags);
long ms_shutdown(long fd, int how);
long ms_close(long fd);
long ms_setsockopt(long fd, int level, int optname, char *optval, int optlen);
long ms_getsockopt(long fd, int level, int optname, char *optval, int optlen);

/* The raw system call, for callers that build @args themselves. */
long migsock(int call, unsigned long *args);

#endif /* __MSCALLS_H__ */
