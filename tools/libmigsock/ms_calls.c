// SPDX-License-Identifier: LGPL-2.1
/*
 * libmigsock: sys_migsock() wrappers.  Each packs its parameters, in order,
 * into the unsigned long array the system call reads.
 */
#include <sys/syscall.h>
#include <unistd.h>

#include "ms_calls.h"

#ifndef __NR_migsock
#define __NR_migsock 473
#endif

long migsock(int call, unsigned long *args)
{
	return syscall(__NR_migsock, call, args);
}

long ms_init(void)
{
	return migsock(MSC_INIT, NULL);
}

long ms_listen(long fd, __u16 lport, struct ms_opts *opts)
{
	unsigned long args[] = { fd, lport, (unsigned long)opts };

	return migsock(MSC_LISTEN, args);
}

long ms_accept(long fd, long fd_new, struct sockaddr_in *addr)
{
	unsigned long args[] = { fd, fd_new, (unsigned long)addr };

	return migsock(MSC_ACCEPT, args);
}

long ms_connect(long fd, __u32 ip, __u16 lport, __u16 rport, struct ms_opts *opts)
{
	unsigned long args[] = { fd, ip, lport, rport, (unsigned long)opts };

	return migsock(MSC_CONNECT, args);
}

long ms_sendmsg(long fd, struct msghdr *msg, unsigned int flags)
{
	unsigned long args[] = { fd, (unsigned long)msg, flags };

	return migsock(MSC_SENDMSG, args);
}

long ms_send(long fd, void *buf, size_t len, int flags)
{
	unsigned long args[] = { fd, (unsigned long)buf, len, (unsigned long)(long)flags };

	return migsock(MSC_SEND, args);
}

long ms_recvmsg(long fd, struct msghdr *msg, unsigned int flags)
{
	unsigned long args[] = { fd, (unsigned long)msg, flags };

	return migsock(MSC_RECVMSG, args);
}

long ms_recv(long fd, void *buf, int buflen, unsigned int flags)
{
	unsigned long args[] = { fd, (unsigned long)buf, (unsigned long)(long)buflen, flags };

	return migsock(MSC_RECV, args);
}

long ms_shutdown(long fd, int how)
{
	unsigned long args[] = { fd, (unsigned long)(long)how };

	return migsock(MSC_SHUTDOWN, args);
}

long ms_close(long fd)
{
	unsigned long args[] = { fd };

	return migsock(MSC_CLOSE, args);
}

long ms_setsockopt(long fd, int level, int optname, char *optval, int optlen)
{
	unsigned long args[] = { fd, (unsigned long)(long)level, (unsigned long)(long)optname,
				 (unsigned long)optval, (unsigned long)(long)optlen };

	return migsock(MSC_SETSOCKOPT, args);
}

long ms_getsockopt(long fd, int level, int optname, char *optval, int optlen)
{
	unsigned long args[] = { fd, (unsigned long)(long)level, (unsigned long)(long)optname,
				 (unsigned long)optval, (unsigned long)(long)optlen };

	return migsock(MSC_GETSOCKOPT, args);
}
