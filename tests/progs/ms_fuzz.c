// SPDX-License-Identifier: GPL-2.0
/*
 * ms_fuzz: a structured fuzzer of sys_migsock.
 *
 *   ms_fuzz [-s SEED] [-n CALLS] [-t SECONDS] [-p PEER_ADDR] [-P PORT]
 *           [-m NODE,NODE,...] [-u] [-f]
 *
 * Builds real state and mixes random arguments into it: a pool of 16
 * descriptors that listen on PORT..PORT+3 (as this process's home node),
 * connect to this node, to PEER_ADDR (another node running ms_fuzz with the
 * same PORT) and to loopback, carry data in both directions, change options
 * and close; every call is also made, at random, with bad descriptors, bad
 * pointers (NULL, unmapped, kernel, read-only, straddling an unmapped page),
 * bad lengths, flags and call numbers.  With -m a child process moves this
 * one between the NODEs at random times, so calls run while it migrates.
 * A timer signal every 100 ms breaks off calls that would block.
 *
 * With -f, half the calls go to IPPROTO_MTCP descriptors instead (the
 * same sockets as file descriptors): a pool of 12 that listen on
 * PORT+4..PORT+7, connect to this node, to the peer's and to loopback, and
 * get every socket call (bind, listen, accept4, connect, the send and
 * receive calls, poll, epoll, ioctl, options, names, shutdown, fcntl, dup,
 * close) with real and bad arguments.  There an errno is only refused if
 * it is internal to the kernel (ERESTARTSYS and the like, 512 and up) or
 * ENOSYS.  Not in make check yet: with -m it hangs a move home (see
 * docs/testing.md).
 *
 * The kernel must answer every call with a result or an errno a caller can
 * handle: an errno outside the documented set (a kernel-internal code such
 * as ERESTARTSYS, ENOSYS, ...), a count larger than the buffer, or a second
 * close that succeeds is a FAIL, printed with the call, its arguments and
 * the seed.  -u: the caller must be unprivileged (uid != 0, no effective
 * capabilities) and the root-only /proc/hpc files must refuse it.
 *
 * Prints "ms_fuzz: seed S: N calls in T s (R/s) ..." and per-call counts;
 * exits 0, or 1 after a FAIL.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ms_calls.h"
#include "mosctl.h"
#include "prog_util.h"

#define POOL		16
#define NPORTS		4
#define FDPOOL		12

/* glibc's netinet/in.h does not know it; the kernel's linux/in.h does. */
#ifndef IPPROTO_MTCP
#define IPPROTO_MTCP	263
#endif
#ifndef SIOCOUTQ
#define SIOCOUTQ	0x5411
#endif
#define BUFSZ		(96 * 1024)
#define NCALLS		(MSC_MAX + 1)

static unsigned long seed;
static int nports_base = 6200;
static uint32_t peer_ip;
static char *buf, *ro_page, *edge;	/* edge: last 8 bytes before a hole */
static void *hole;
static long calls, per_ok[NCALLS + 1], per_err[NCALLS + 1];
static int mfd[FDPOOL], epfd = -1;
static uint32_t self_ip;
static long fd_calls, fd_ok, fd_err;
static int failures;

static void on_alarm(int sig)
{
	(void)sig;
}

/* A descriptor: mostly from the pool, sometimes anything. */
static unsigned long arg_fd(void)
{
	static const long odd[] = { -1, 65535, 65536, 1L << 40, -65536, POOL + 100 };

	if (chance(90))
		return pick(POOL);
	return (unsigned long)odd[pick(sizeof(odd) / sizeof(odd[0]))];
}

/* A user pointer for @len bytes: usually good, sometimes bad. */
static unsigned long arg_ptr(size_t len, int writable)
{
	switch (pick(20)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return (unsigned long)hole;
	case 3: return 0xffffffff81000000UL;
	case 4: return writable ? (unsigned long)ro_page : (unsigned long)hole + 8;
	case 5: return (unsigned long)edge;
	default:
		return (unsigned long)buf + (len < BUFSZ ? pick(BUFSZ - len) : 0);
	}
}

static unsigned long arg_len(void)
{
	static const long odd[] = { 0, 1, -1, BUFSZ, 1L << 31, 1L << 40, 65536 };

	if (chance(85))
		return pick(chance(50) ? 2048 : 70000);
	return (unsigned long)odd[pick(sizeof(odd) / sizeof(odd[0]))];
}

static unsigned long arg_flags(void)
{
	unsigned long f = chance(70) ? MSG_DONTWAIT : 0;

	if (chance(20))
		f |= MSG_PEEK;
	if (chance(10))
		f |= MSG_WAITALL;
	if (chance(10))
		f |= MSG_NOSIGNAL | MSG_MORE;
	if (chance(5))
		f |= rnd() & 0xffffffff;
	return f;
}

static unsigned long arg_port(void)
{
	if (chance(90))
		return nports_base + pick(NPORTS);
	return chance(50) ? 0 : (unsigned long)pick(1 << 20);
}

static uint32_t arg_ip(void)
{
	switch (pick(6)) {
	case 0: return htonl(INADDR_LOOPBACK);
	case 1: return 0;
	case 2: return peer_ip ? peer_ip : 0;
	case 3: return chance(50) ? (uint32_t)rnd() : htonl(0x0a4d0063);
	default: return peer_ip && chance(50) ? peer_ip : htonl(INADDR_LOOPBACK);
	}
}

/* struct ms_opts with short time-outs, some fields random. */
static unsigned long arg_opts(void)
{
	struct ms_opts *o = (struct ms_opts *)(buf + BUFSZ - 4096);

	if (chance(15))
		return arg_ptr(sizeof(*o), 0);
	memset(o, 0, sizeof(*o));
	o->fd_flags = chance(30) ? O_NONBLOCK : 0;
	o->rcvtimeo = pick(200);
	o->rcvlowat = chance(90) ? 1 : (uint32_t)rnd();
	o->linger = chance(10);
	o->linger_len = chance(90) ? (int)pick(2) : (int)rnd();
	o->linger2 = chance(90) ? 0 : (int)rnd();
	return (unsigned long)o;
}

static void fill_msg(struct msghdr *m, struct iovec *iov, int writable)
{
	int i, n = chance(90) ? 1 + (int)pick(8) : (int)pick(2000);

	memset(m, 0, sizeof(*m));
	for (i = 0; i < n && i < 8; i++) {
		iov[i].iov_len = pick(9000);
		iov[i].iov_base = (void *)arg_ptr(iov[i].iov_len, writable);
	}
	m->msg_iov = chance(95) ? iov : (struct iovec *)arg_ptr(64, 0);
	m->msg_iovlen = n <= 8 ? (size_t)n : (chance(50) ? (size_t)n : (size_t)-1);
}

/* Errnos a caller of sys_migsock may be given (docs/interfaces.md). */
static int errno_allowed(int e)
{
	switch (e) {
	case EINVAL: case EBADF: case EFAULT: case EAGAIN: case ENOTCONN:
	case EPIPE: case ECONNREFUSED: case ETIMEDOUT: case ECONNRESET:
	case EINTR: case EOPNOTSUPP: case ENOPROTOOPT: case EMSGSIZE:
	case EDOM: case ENOMEM: case EINPROGRESS: case EALREADY:
	case EISCONN: case EBUSY: case EADDRINUSE: case ENOBUFS:
	case EHOSTUNREACH: case ENETUNREACH: case ECONNABORTED:
	case EMFILE: case ENFILE: case EACCES: case EPERM:
		return 1;
	}
	return 0;
}

static void check(int call, unsigned long *a, long ret, int err, long limit)
{
	int slot = call >= 0 && call < NCALLS ? call : NCALLS;

	calls++;
	if (ret >= 0) {
		per_ok[slot]++;
		if (limit >= 0 && ret > limit) {
			printf("FAIL seed %lu call %ld: migsock(%d) returned %ld > %ld\n",
			       seed, calls, call, ret, limit);
			failures++;
		}
		return;
	}
	per_err[slot]++;
	if (!errno_allowed(err) || (call > MSC_MAX || call < 0 ? err != EINVAL : 0)) {
		printf("FAIL seed %lu call %ld: migsock(%d, {%#lx, %#lx, %#lx, %#lx, %#lx}) errno %d (%s)\n",
		       seed, calls, call, a[0], a[1], a[2], a[3], a[4], err, strerror(err));
		failures++;
	}
}

static long sys(int call, unsigned long *a, long limit)
{
	long r;

	errno = 0;
	r = migsock(call, a);
	check(call, a, r, errno, limit);
	return r;
}

static void one_call(void)
{
	unsigned long a[8] = { 0 };
	struct msghdr *m = (struct msghdr *)(buf + BUFSZ - 2048);
	struct iovec *iov = (struct iovec *)(buf + BUFSZ - 1024);
	int call = (int)pick(NCALLS + 1), lens[] = { 0, 1, 4, 8, 16, 64 };
	long r;

	a[0] = arg_fd();
	switch (call) {
	case MSC_INIT:
		sys(call, chance(50) ? NULL : a, -1);
		return;
	case MSC_LISTEN:
		a[1] = arg_port();
		a[2] = chance(50) ? 0 : arg_opts();
		break;
	case MSC_ACCEPT:
		a[1] = arg_fd();
		a[2] = chance(20) ? 0 : arg_ptr(sizeof(struct sockaddr_in), 1);
		break;
	case MSC_CONNECT:
		a[1] = arg_ip();
		a[2] = chance(80) ? 0 : arg_port();
		a[3] = arg_port();
		a[4] = chance(50) ? 0 : arg_opts();
		break;
	case MSC_SENDMSG:
	case MSC_RECVMSG:
		fill_msg(m, iov, call == MSC_RECVMSG);
		a[1] = chance(95) ? (unsigned long)m : arg_ptr(sizeof(*m), 0);
		a[2] = arg_flags();
		break;
	case MSC_SEND:
	case MSC_RECV:
		a[2] = arg_len();
		a[1] = arg_ptr(a[2] < BUFSZ ? a[2] : 16, call == MSC_RECV);
		a[3] = arg_flags();
		/* The kernel reads every argument as a long (sign-extended int). */
		r = sys(call, a, call == MSC_RECV && (long)a[2] >= 0 ? (long)a[2] : -1);
		(void)r;
		return;
	case MSC_SHUTDOWN:
		a[1] = chance(90) ? pick(3) : rnd();
		break;
	case MSC_CLOSE:
		r = sys(call, a, -1);
		if (r == 0 && chance(30)) {
			errno = 0;
			r = migsock(MSC_CLOSE, a);
			calls++;
			if (r != -1 || errno != EBADF) {
				printf("FAIL seed %lu call %ld: second close of %lu gave %ld errno %d\n",
				       seed, calls, a[0], r, errno);
				failures++;
			}
		}
		return;
	case MSC_SETSOCKOPT:
	case MSC_GETSOCKOPT: {
		static const int levels[] = { SOL_SOCKET, IPPROTO_IP, IPPROTO_TCP, SOL_FILE };
		static const int names[] = { SO_ERROR, SO_LINGER, SO_RCVLOWAT, SO_RCVTIMEO,
					     IP_TTL, IP_RECVERR, IP_MTU_DISCOVER, IP_MTU,
					     TCP_LINGER2, FILE_FLAGS, FILE_SET_FLAGS,
					     FILE_CLEAR_FLAGS };
		char *v = buf + pick(1024);

		a[1] = chance(90) ? (unsigned long)levels[pick(4)] : rnd();
		a[2] = chance(90) ? (unsigned long)names[pick(12)] : pick(100);
		a[4] = chance(90) ? (unsigned long)lens[pick(6)] : arg_len();
		if (call == MSC_SETSOCKOPT && chance(60)) {
			/* Mostly small, bounded values: linger and timeouts stay short. */
			memset(v, 0, 16);
			v[0] = (char)pick(3);
			if (chance(10))
				memcpy(v, &prog_rng, 8);
		}
		a[3] = chance(90) ? (unsigned long)v : arg_ptr(16, call == MSC_GETSOCKOPT);
		sys(call, a, call == MSC_GETSOCKOPT && (long)a[4] >= 0 ? (long)a[4] : -1);
		return;
	}
	default:	/* no such call: EINVAL whatever args is */
		call = chance(50) ? NCALLS + (int)pick(1000) : -(int)pick(1000) - 1;
		sys(call, chance(50) ? (unsigned long *)arg_ptr(40, 0) : a, -1);
		return;
	}
	if (chance(3)) {	/* args itself unreadable */
		sys(call, (unsigned long *)arg_ptr(8, 0), -1);
		return;
	}
	sys(call, a, -1);
}

/* ---- IPPROTO_MTCP descriptors ---- */

static void fd_check(const char *what, int slot, long ret, int err, long limit)
{
	calls++;
	fd_calls++;
	if (ret >= 0) {
		fd_ok++;
		if (limit >= 0 && ret > limit) {
			printf("FAIL seed %lu call %ld: %s on slot %d returned %ld > %ld\n",
			       seed, calls, what, slot, ret, limit);
			failures++;
		}
		return;
	}
	fd_err++;
	if (err >= 512 || err == ENOSYS || err == 0) {
		printf("FAIL seed %lu call %ld: %s on slot %d: errno %d (%s)\n",
		       seed, calls, what, slot, err, strerror(err));
		failures++;
	}
}

static struct sockaddr_in *arg_sin(void)
{
	static struct sockaddr_in sin;
	static const uint32_t *ips[] = { &self_ip, &peer_ip };

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = chance(95) ? AF_INET : (sa_family_t)pick(50);
	switch (pick(5)) {
	case 0: sin.sin_addr.s_addr = 0; break;
	case 1: sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK); break;
	case 2: sin.sin_addr.s_addr = (uint32_t)rnd(); break;
	default: sin.sin_addr.s_addr = *ips[pick(2)] ? *ips[pick(2)] : htonl(INADDR_LOOPBACK);
	}
	sin.sin_port = htons((uint16_t)(chance(85) ? nports_base + NPORTS + (int)pick(NPORTS) :
					chance(50) ? 0 : (int)pick(65536)));
	return &sin;
}

static socklen_t arg_sinlen(void)
{
	static const socklen_t odd[] = { 0, 1, 8, 15, 17, 128, 0x7fffffff, (socklen_t)-1 };

	return chance(90) ? sizeof(struct sockaddr_in) : odd[pick(8)];
}

/* A descriptor: mostly a slot of the pool, sometimes something else. */
static int arg_mfd(int *slot)
{
	*slot = (int)pick(FDPOOL);
	if (chance(95))
		return mfd[*slot];
	return chance(50) ? -1 : (chance(50) ? 0 : 100000);
}

/* A new descriptor @nf (if any) in @slot, closing what was there. */
static void fd_put(int slot, int nf)
{
	if (nf < 0)
		return;
	if (mfd[slot] >= 0)
		close(mfd[slot]);
	mfd[slot] = nf;
}

static void fd_new_socket(int slot)
{
	int type = SOCK_STREAM, nf;

	if (chance(30))
		type |= SOCK_NONBLOCK;
	if (chance(30))
		type |= SOCK_CLOEXEC;
	nf = socket(AF_INET, type, IPPROTO_MTCP);
	fd_check("socket", slot, nf, errno, -1);
	fd_put(slot, nf);
}

static void fd_one_call(void)
{
	char *p = (char *)arg_ptr(8192, 1);
	struct msghdr *m = (struct msghdr *)(buf + BUFSZ - 2048);
	struct iovec *iov = (struct iovec *)(buf + BUFSZ - 1024);
	int slot, fd = arg_mfd(&slot), flags = (int)arg_flags(), r, v;
	size_t len = arg_len();
	socklen_t sl = arg_sinlen();
	long n;

	errno = 0;
	switch (pick(20)) {
	case 0:
		fd_new_socket(slot);
		return;
	case 1:
		r = bind(fd, chance(95) ? (struct sockaddr *)arg_sin() : (struct sockaddr *)arg_ptr(16, 0), sl);
		fd_check("bind", slot, r, errno, 0);
		return;
	case 2:
		r = listen(fd, chance(90) ? (int)pick(32) : (int)rnd());
		fd_check("listen", slot, r, errno, 0);
		return;
	case 3: {
		int s2 = (int)pick(FDPOOL), nf;

		sl = sizeof(struct sockaddr_in);
		nf = accept4(fd, chance(80) ? (struct sockaddr *)p : NULL,
			     chance(90) ? &sl : (socklen_t *)arg_ptr(4, 1),
			     chance(90) ? (chance(50) ? SOCK_NONBLOCK : 0) | (chance(50) ? SOCK_CLOEXEC : 0)
					: (int)rnd());
		fd_check("accept4", slot, nf, errno, -1);
		fd_put(s2, nf);
		return;
	}
	case 4:
		r = connect(fd, chance(95) ? (struct sockaddr *)arg_sin() : (struct sockaddr *)arg_ptr(16, 0), sl);
		fd_check("connect", slot, r, errno, 0);
		return;
	case 5:
		n = send(fd, (void *)arg_ptr(len < BUFSZ ? len : 16, 0), len, flags | MSG_NOSIGNAL);
		fd_check("send", slot, n, errno, (long)len);
		return;
	case 6:
		flags |= (chance(10) ? MSG_TRUNC : 0) | (chance(5) ? MSG_OOB : 0);
		n = recv(fd, (void *)arg_ptr(len < BUFSZ ? len : 16, 1), len, flags);
		fd_check("recv", slot, n, errno, (flags & MSG_TRUNC) ? -1 : (long)len);
		return;
	case 7:
		fill_msg(m, iov, 0);
		n = sendmsg(fd, chance(95) ? m : (struct msghdr *)arg_ptr(sizeof(*m), 0),
			    flags | MSG_NOSIGNAL);
		fd_check("sendmsg", slot, n, errno, -1);
		return;
	case 8:
		fill_msg(m, iov, 1);
		n = recvmsg(fd, chance(95) ? m : (struct msghdr *)arg_ptr(sizeof(*m), 1), flags);
		fd_check("recvmsg", slot, n, errno, -1);
		return;
	case 9:
		if (chance(50)) {
			n = write(fd, (void *)arg_ptr(len < BUFSZ ? len : 16, 0), len);
			fd_check("write", slot, n, errno, (long)len);
		} else {
			n = read(fd, (void *)arg_ptr(len < BUFSZ ? len : 16, 1), len);
			fd_check("read", slot, n, errno, (long)len);
		}
		return;
	case 10: {
		static const int levels[] = { SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP, SOL_FILE };
		static const int names[] = { SO_ERROR, SO_LINGER, SO_RCVLOWAT, SO_RCVTIMEO,
					     SO_SNDTIMEO, SO_TYPE, SO_PROTOCOL, SO_DOMAIN,
					     SO_REUSEADDR, SO_KEEPALIVE, SO_RCVBUF, SO_SNDBUF,
					     TCP_NODELAY, TCP_CORK, IP_TTL, IP_MTU };
		int level = chance(90) ? levels[pick(4)] : (int)rnd();
		int name = chance(90) ? names[pick(16)] : (int)pick(100);
		char *val = buf + pick(1024);
		socklen_t ol = chance(90) ? (socklen_t)(4 << pick(3)) : (socklen_t)arg_len();

		if (chance(50)) {
			/* Small values only: linger and timeouts stay short. */
			memset(val, 0, 16);
			val[0] = (char)pick(3);
			r = setsockopt(fd, level, name, chance(95) ? val : (void *)arg_ptr(16, 0), ol);
			fd_check("setsockopt", slot, r, errno, 0);
		} else {
			socklen_t want = ol;

			r = getsockopt(fd, level, name, chance(95) ? val : (void *)arg_ptr(16, 1),
				       chance(95) ? &ol : (socklen_t *)arg_ptr(4, 1));
			fd_check("getsockopt", slot, r, errno, 0);
			if (r == 0 && ol > want && want < 0x10000) {
				printf("FAIL seed %lu call %ld: getsockopt(%d, %d) length %u > %u\n",
				       seed, calls, level, name, ol, want);
				failures++;
			}
		}
		return;
	}
	case 11: {
		static const unsigned long cmds[] = { FIONREAD, SIOCOUTQ, FIONBIO, 0x8906 };

		r = ioctl(fd, chance(90) ? cmds[pick(4)] : (unsigned long)rnd(),
			  chance(90) ? (void *)(buf + pick(1024) * 4) : (void *)arg_ptr(4, 1));
		fd_check("ioctl", slot, r, errno, -1);
		return;
	}
	case 12: {
		struct pollfd pf[FDPOOL];
		int i;

		for (i = 0; i < FDPOOL; i++) {
			pf[i].fd = mfd[i];
			pf[i].events = (short)(chance(80) ? (POLLIN | POLLOUT | POLLRDHUP) : rnd());
		}
		r = poll(pf, FDPOOL, 0);
		fd_check("poll", slot, r, errno, FDPOOL);
		return;
	}
	case 13: {
		struct epoll_event ev = { .events = (uint32_t)(chance(80) ?
				(EPOLLIN | EPOLLOUT | EPOLLRDHUP | (chance(50) ? EPOLLET : 0)) : rnd()) };
		struct epoll_event out[FDPOOL];

		if (epfd < 0)
			return;
		if (chance(60)) {
			r = epoll_ctl(epfd, EPOLL_CTL_ADD + (int)pick(3), fd, &ev);
			fd_check("epoll_ctl", slot, r, errno, 0);
		} else {
			r = epoll_wait(epfd, out, FDPOOL, 0);
			fd_check("epoll_wait", slot, r, errno, FDPOOL);
		}
		return;
	}
	case 14:
		sl = chance(90) ? sizeof(struct sockaddr_in) : arg_sinlen();
		if (chance(50))
			r = getsockname(fd, (struct sockaddr *)p, chance(95) ? &sl : (socklen_t *)arg_ptr(4, 1));
		else
			r = getpeername(fd, (struct sockaddr *)p, chance(95) ? &sl : (socklen_t *)arg_ptr(4, 1));
		fd_check("getname", slot, r, errno, 0);
		return;
	case 15:
		r = shutdown(fd, chance(90) ? (int)pick(3) : (int)rnd());
		fd_check("shutdown", slot, r, errno, 0);
		return;
	case 16:
		v = fcntl(fd, F_GETFL);
		r = fcntl(fd, F_SETFL, v < 0 ? 0 : (v ^ O_NONBLOCK));
		fd_check("fcntl", slot, r, errno, -1);
		return;
	case 17: {
		int s2 = (int)pick(FDPOOL), nf = dup(fd);

		fd_check("dup", slot, nf, errno, -1);
		fd_put(s2, nf);
		return;
	}
	case 18:
		n = sendto(fd, (void *)arg_ptr(len < BUFSZ ? len : 16, 0), len, flags | MSG_NOSIGNAL,
			   chance(50) ? (struct sockaddr *)arg_sin() : NULL, sl);
		fd_check("sendto", slot, n, errno, (long)len);
		return;
	default:
		if (fd < 0 || fd != mfd[slot])
			return;
		r = close(fd);
		fd_check("close", slot, r, errno, 0);
		mfd[slot] = -1;
		return;
	}
}

/* MTCP descriptors: listeners on PORT+4.., connections to each node. */
static void fd_build_state(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int i;

	/* This node's own address: the source of a UDP socket aimed at the peer. */
	if (peer_ip) {
		int u = socket(AF_INET, SOCK_DGRAM, 0);
		socklen_t l = sizeof(sin);

		sin.sin_addr.s_addr = peer_ip;
		sin.sin_port = htons(9);
		if (u >= 0 && !connect(u, (struct sockaddr *)&sin, sizeof(sin)) &&
		    !getsockname(u, (struct sockaddr *)&sin, &l))
			self_ip = sin.sin_addr.s_addr;
		if (u >= 0)
			close(u);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
	}
	epfd = epoll_create1(EPOLL_CLOEXEC);
	for (i = 0; i < FDPOOL; i++)
		mfd[i] = socket(AF_INET, SOCK_STREAM, IPPROTO_MTCP);
	for (i = 0; i < NPORTS; i++) {
		sin.sin_port = htons(nports_base + NPORTS + i);
		sin.sin_addr.s_addr = 0;
		if (!bind(mfd[i], (struct sockaddr *)&sin, sizeof(sin)))
			listen(mfd[i], 8);
	}
	for (i = NPORTS; i < FDPOOL; i++) {
		sin.sin_port = htons(nports_base + NPORTS + (i % NPORTS));
		sin.sin_addr.s_addr = (i & 1) && peer_ip ? peer_ip : htonl(INADDR_LOOPBACK);
		fcntl(mfd[i], F_SETFL, O_NONBLOCK);
		connect(mfd[i], (struct sockaddr *)&sin, sizeof(sin));
		send(mfd[i], buf, 500 + i * 100, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (epfd >= 0) {
			struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT };

			epoll_ctl(epfd, EPOLL_CTL_ADD, mfd[i], &ev);
		}
	}
}

/* Real state first: a listener and connections with data in flight. */
static void build_state(void)
{
	struct ms_opts o = { .rcvtimeo = 100 };
	unsigned long a[5];
	int i;

	for (i = 0; i < NPORTS; i++)
		ms_listen(i, nports_base + i, &o);
	for (i = NPORTS; i < POOL / 2; i++) {
		a[0] = i;
		a[1] = (i & 1) && peer_ip ? peer_ip : htonl(INADDR_LOOPBACK);
		ms_connect(i, (uint32_t)a[1], 0, nports_base + (i % NPORTS), &o);
		ms_send(i, buf, 1000 + i * 100, MSG_DONTWAIT);
	}
	for (i = POOL / 2; i < POOL; i++)
		ms_accept(i % NPORTS, i, NULL);
}

/* -u: we really are unprivileged, and root-only files refuse us. */
static int check_unprivileged(void)
{
	static const char *const root_only[] = {
		"/proc/hpc/migsock/fault", "/proc/hpc/migsock/metasock",
		"/proc/hpc/admin/mospe", "/proc/hpc/admin/map",
	};
	char line[256];
	unsigned int i;
	FILE *f;
	int fd, capeff_zero = 0;

	if (getuid() == 0 || geteuid() == 0) {
		printf("FAIL -u: running as uid %d euid %d\n", getuid(), geteuid());
		return -1;
	}
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			capeff_zero = strtoull(line + 7, NULL, 16) == 0;
	if (f)
		fclose(f);
	if (!capeff_zero) {
		printf("FAIL -u: effective capabilities not empty\n");
		return -1;
	}
	for (i = 0; i < sizeof(root_only) / sizeof(root_only[0]); i++) {
		fd = open(root_only[i], O_WRONLY);
		if (fd >= 0) {
			errno = 0;
			if (write(fd, "1\n", 2) >= 0 || (errno != EPERM && errno != EACCES)) {
				printf("FAIL -u: write to %s: %s\n", root_only[i], strerror(errno));
				close(fd);
				return -1;
			}
			close(fd);
		} else if (errno != EACCES && errno != EPERM) {
			printf("FAIL -u: open %s: %s\n", root_only[i], strerror(errno));
			return -1;
		}
	}
	if (ms_init() != 0) {
		printf("FAIL -u: the syscall is not reachable: %s\n", strerror(errno));
		return -1;
	}
	printf("ms_fuzz: unprivileged: uid %d, no capabilities, root-only files refused\n",
	       getuid());
	return 0;
}

/* The child that moves its parent between @nodes at random times. */
static pid_t start_mover(const char *nodes)
{
	int list[32], n = 0;
	pid_t parent = getpid(), pid;
	char *copy = strdup(nodes), *tok, *save = NULL;
	long v;

	for (tok = strtok_r(copy, ",", &save); tok && n < 32; tok = strtok_r(NULL, ",", &save))
		if (!parse_num(tok, 0, 65535, &v))
			list[n++] = (int)v;
	free(copy);
	if (!n)
		return -1;
	pid = fork();
	if (pid)
		return pid;
	prog_rng ^= 0x9e3779b97f4a7c15ULL;
	signal(SIGALRM, SIG_DFL);
	for (;;) {
		usleep(100000 + pick(900000));
		if (getppid() != parent)
			_exit(0);
		mosctl_migrate(parent, list[pick(n)]);
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 100000 }, { 0, 100000 } };
	long max_calls = 20000, secs = 30, v;
	const char *nodes = NULL;
	int opt, unpriv = 0, fds = 0, i;
	struct timespec t0, t1;
	double elapsed = 0;
	pid_t mover = -1;
	char *area;

	seed = (unsigned long)time(NULL);
	while ((opt = getopt(argc, argv, "s:n:t:p:P:m:uf")) != -1) {
		switch (opt) {
		case 's': if (parse_num(optarg, 0, LONG_MAX, &v)) goto usage; seed = v; break;
		case 'n': if (parse_num(optarg, 1, LONG_MAX, &max_calls)) goto usage; break;
		case 't': if (parse_num(optarg, 1, 86400, &secs)) goto usage; break;
		case 'p': peer_ip = inet_addr(optarg); break;
		case 'P': if (parse_num(optarg, 1, 65535 - 2 * NPORTS, &v)) goto usage;
			  nports_base = (int)v; break;
		case 'm': nodes = optarg; break;
		case 'u': unpriv = 1; break;
		case 'f': fds = 1; break;
		default: goto usage;
		}
	}
	if (optind != argc)
		goto usage;
	prog_rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* buf, then a hole (unmapped page), then a read-only page. */
	area = mmap(NULL, BUFSZ + 3 * 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return perror("mmap"), 2;
	buf = area;
	memset(buf, 'x', BUFSZ);
	hole = area + BUFSZ;
	munmap(hole, 4096);
	ro_page = area + BUFSZ + 4096;
	mprotect(ro_page, 4096, PROT_READ);
	edge = (char *)hole - 8;

	if (unpriv && check_unprivileged())
		return 1;
	sigaction(SIGALRM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	build_state();
	if (fds)
		fd_build_state();
	if (nodes)
		mover = start_mover(nodes);
	setitimer(ITIMER_REAL, &it, NULL);
	/*
	 * Wall-clock time: the monotonic clock is each node's own and jumps
	 * when the process moves; the nodes' real-time clocks agree.
	 */
	clock_gettime(CLOCK_REALTIME, &t0);
	while (calls < max_calls && elapsed < secs && failures <= 20) {
		if (!fds || chance(50))
			one_call();
		else
			fd_one_call();
		clock_gettime(CLOCK_REALTIME, &t1);
		elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	}
	it.it_value.tv_usec = it.it_interval.tv_usec = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	if (mover > 0) {
		kill(mover, SIGKILL);
		waitpid(mover, NULL, 0);
	}
	for (i = 0; i < 65536 && i < POOL + 200; i++)
		ms_close(i);
	for (i = 0; i < FDPOOL; i++)
		if (mfd[i] >= 0)
			close(mfd[i]);
	printf("ms_fuzz: seed %lu: %ld calls in %.1f s (%.0f/s), node %d, %d failures\n",
	       seed, calls, elapsed, elapsed > 0 ? calls / elapsed : 0.0,
	       mosctl_get_cur_node(), failures);
	printf("  mtcp fd calls %ld: ok %ld err %ld\n", fd_calls, fd_ok, fd_err);
	for (i = 0; i <= NCALLS; i++)
		printf("  call %-7s ok %6ld err %6ld\n",
		       i < NCALLS ? (const char *[]){ "init", "listen", "accept", "connect",
			 "sendmsg", "send", "recvmsg", "recv", "shutdown", "close",
			 "setopt", "getopt" }[i] : "bad", per_ok[i], per_err[i]);
	return failures ? 1 : 0;
usage:
	fprintf(stderr, "usage: ms_fuzz [-s SEED] [-n CALLS] [-t SECONDS] [-p PEER_ADDR] "
		"[-P PORT] [-m NODE,...] [-u] [-f]\n");
	return 2;
}
