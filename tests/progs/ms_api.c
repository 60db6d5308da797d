// SPDX-License-Identifier: GPL-2.0
/*
 * ms_api: the calls of thesis appendix A through libmigsock, on one node.
 *
 * One process listens, connects to itself and accepts, so every segment
 * goes through the kernel's same-node path.  Checks data both ways,
 * MSG_PEEK/MSG_DONTWAIT/MSG_WAITALL, non-blocking connect and recv, every
 * option of table A.2, shutdown of either half, close, sendmsg/recvmsg,
 * and bad input to every call.  One line per check; exits 1 if any failed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <unistd.h>

#include "ms_calls.h"

static int failed;

static void check(const char *what, int ok)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok) {
		printf("   errno %d (%s)\n", errno, strerror(errno));
		failed = 1;
	}
	fflush(stdout);
}

static int fails_with(long ret, int err)
{
	return ret == -1 && errno == err;
}

static volatile int sigpipes;

static void on_pipe(int sig)
{
	sigpipes++;
}

static long ms(const struct timeval *t0)
{
	struct timeval t1;

	gettimeofday(&t1, NULL);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_usec - t0->tv_usec) / 1000;
}

/* Blocks in ms_recv() on descriptor 2 until something arrives. */
static void *reader(void *arg)
{
	char b[8];

	*(long *)arg = ms_recv(2, b, sizeof(b), 0);
	return NULL;
}

/* A connected pair: @c the connecting end, @s the accepted one. */
static int pair(int l, int c, int s, int lport, int port)
{
	struct sockaddr_in a;

	if (ms_connect(c, htonl(INADDR_LOOPBACK), lport, port, NULL)) {
		printf("   connect: %s\n", strerror(errno));
		return -1;
	}
	memset(&a, 0, sizeof(a));
	if (ms_accept(l, s, &a)) {
		printf("   accept: %s\n", strerror(errno));
		return -1;
	}
	if (a.sin_family != AF_INET || ntohs(a.sin_port) != lport) {
		printf("   accept gave family %d port %d\n", a.sin_family, ntohs(a.sin_port));
		return -1;
	}
	return 0;
}

int main(void)
{
	char buf[4096], big[100000], back[100000];
	struct ms_opts nb = { .fd_flags = O_NONBLOCK };
	struct linger lg;
	struct timeval tv, t0;
	struct iovec iov[3];
	struct msghdr mh;
	int v, i;
	long r;
	char *unmapped;

	signal(SIGPIPE, on_pipe);
	/* Kept reserved and inaccessible: a later mmap cannot land there. */
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	check("ms_init", ms_init() == 0);
	check("listen on port 0 is EINVAL", fails_with(ms_listen(1, 0, NULL), EINVAL));
	check("listen with fd -1 is EBADF", fails_with(ms_listen(-1, 5000, NULL), EBADF));
	check("listen with a bad opts pointer is EFAULT",
	      fails_with(ms_listen(1, 5000, (struct ms_opts *)unmapped), EFAULT));
	check("listen on 5000", ms_listen(1, 5000, NULL) == 0);
	check("listen again on 5000 is EINVAL", fails_with(ms_listen(9, 5000, NULL), EINVAL));
	check("listen on a used fd is EBADF", fails_with(ms_listen(1, 5001, NULL), EBADF));
	check("connect to port 0 is EINVAL",
	      fails_with(ms_connect(2, htonl(INADDR_LOOPBACK), 0, 0, NULL), EINVAL));
	check("connect to a non-cluster address is EINVAL",
	      fails_with(ms_connect(2, inet_addr("192.0.2.1"), 0, 5000, NULL), EINVAL));
	check("connect with a port > 65535 is EINVAL",
	      fails_with(migsock(MSC_CONNECT, (unsigned long[]){ 2, htonl(INADDR_LOOPBACK), 70000,
								  5000, 0 }), EINVAL));
	check("connect to a port nobody listens on is ECONNREFUSED",
	      fails_with(ms_connect(2, htonl(INADDR_LOOPBACK), 0, 5999, NULL), ECONNREFUSED));
	check("the refused fd is free again", fails_with(ms_close(2), EBADF));
	check("connect + accept", pair(1, 2, 3, 40001, 5000) == 0);
	check("accept with a bad addr pointer is EFAULT",
	      ms_connect(4, htonl(INADDR_LOOPBACK), 40002, 5000, NULL) == 0 &&
	      fails_with(ms_accept(1, 5, (struct sockaddr_in *)unmapped), EFAULT));
	check("the connection is still there after EFAULT", ms_accept(1, 5, NULL) == 0);
	check("accept onto a used fd is EBADF", fails_with(ms_accept(1, 3, NULL), EBADF));
	check("connect on a used fd is EBADF",
	      fails_with(ms_connect(3, htonl(INADDR_LOOPBACK), 0, 5000, NULL), EBADF));
	check("same ports again is EINVAL",
	      fails_with(ms_connect(6, htonl(INADDR_LOOPBACK), 40001, 5000, NULL), EINVAL));

	/* Data. */
	check("send 5 bytes", ms_send(2, "hello", 5, 0) == 5);
	r = ms_recv(3, buf, sizeof(buf), MSG_PEEK);
	check("MSG_PEEK sees them", r == 5 && !memcmp(buf, "hello", 5));
	r = ms_recv(3, buf, sizeof(buf), 0);
	check("recv gets them once", r == 5 && !memcmp(buf, "hello", 5));
	check("MSG_DONTWAIT with nothing queued is EAGAIN",
	      fails_with(ms_recv(3, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN));
	/* A thread sleeping in recv gives the socket up: another can send. */
	{
		pthread_t th;
		long got = -2;

		check("start a thread blocked in recv", pthread_create(&th, NULL, reader, &got) == 0);
		usleep(200000);
		gettimeofday(&t0, NULL);
		check("send on the socket it sleeps on goes through at once",
		      ms_send(2, "ping", 4, 0) == 4 && ms(&t0) < 1000);
		check("the peer gets it", ms_recv(3, buf, 4, MSG_WAITALL) == 4 && !memcmp(buf, "ping", 4));
		check("the sleeping reader wakes with the answer",
		      ms_send(3, "pong", 4, 0) == 4 && pthread_join(th, NULL) == 0 && got == 4);
	}
	for (i = 0; i < (int)sizeof(big); i++)
		big[i] = (char)(i * 7 + 3);
	r = ms_send(3, big, sizeof(big), 0);
	check("send 100000 bytes the other way", r == (long)sizeof(big));
	r = ms_recv(2, back, sizeof(back), MSG_WAITALL);
	check("MSG_WAITALL gets all 100000 in one call",
	      r == (long)sizeof(back) && !memcmp(big, back, sizeof(big)));
	check("send with a bad buffer is EFAULT", fails_with(ms_send(2, unmapped, 10, 0), EFAULT));
	check("recv into a bad buffer is EFAULT",
	      ms_send(3, "x", 1, 0) == 1 && fails_with(ms_recv(2, unmapped, 10, 0), EFAULT));
	check("the byte is still there after EFAULT", ms_recv(2, buf, 10, 0) == 1 && buf[0] == 'x');
	check("recv with a negative length is EINVAL", fails_with(ms_recv(2, buf, -1, 0), EINVAL));
	check("recv with MSG_OOB is EOPNOTSUPP", fails_with(ms_recv(2, buf, 1, MSG_OOB), EOPNOTSUPP));
	check("send with an unknown flag is EOPNOTSUPP",
	      fails_with(ms_send(2, buf, 1, 0x40000000), EOPNOTSUPP));
	check("send on an unknown fd is EBADF", fails_with(ms_send(77, buf, 1, 0), EBADF));
	check("send on the listener is ENOTCONN", fails_with(ms_send(1, buf, 1, 0), ENOTCONN));

	/* sendmsg / recvmsg over three buffers. */
	iov[0] = (struct iovec){ "abc", 3 };
	iov[1] = (struct iovec){ "", 0 };
	iov[2] = (struct iovec){ "defgh", 5 };
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 3;
	check("sendmsg of 3 buffers", ms_sendmsg(2, &mh, 0) == 8);
	memset(buf, 0, sizeof(buf));
	iov[0] = (struct iovec){ buf, 2 };
	iov[1] = (struct iovec){ buf + 2, 6 };
	mh.msg_iovlen = 2;
	mh.msg_flags = 99;
	r = ms_recvmsg(3, &mh, MSG_WAITALL);
	check("recvmsg into 2 buffers", r == 8 && !memcmp(buf, "abcdefgh", 8) && mh.msg_flags == 0);
	mh.msg_iovlen = 5000;
	check("sendmsg with 5000 iovecs is EMSGSIZE", fails_with(ms_sendmsg(2, &mh, 0), EMSGSIZE));
	check("recvmsg with a bad msghdr is EFAULT",
	      fails_with(ms_recvmsg(2, (struct msghdr *)unmapped, 0), EFAULT));

	/* Options of table A.2. */
	v = 0;
	check("SO_ERROR is 0", ms_getsockopt(2, SOL_SOCKET, SO_ERROR, (char *)&v, sizeof(v)) == 4 &&
	      v == 0);
	check("SO_ERROR is read-only",
	      fails_with(ms_setsockopt(2, SOL_SOCKET, SO_ERROR, (char *)&v, sizeof(v)), ENOPROTOOPT));
	lg = (struct linger){ 1, 7 };
	check("set SO_LINGER", ms_setsockopt(2, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof(lg)) == 0);
	memset(&lg, 0, sizeof(lg));
	check("get SO_LINGER", ms_getsockopt(2, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof(lg)) == 8 &&
	      lg.l_onoff == 1 && lg.l_linger == 7);
	v = 3;
	check("set SO_RCVLOWAT", ms_setsockopt(3, SOL_SOCKET, SO_RCVLOWAT, (char *)&v, 4) == 0);
	v = 0;
	check("get SO_RCVLOWAT", ms_getsockopt(3, SOL_SOCKET, SO_RCVLOWAT, (char *)&v, 4) == 4 &&
	      v == 3);
	check("SO_RCVLOWAT 3 waits for 3 bytes",
	      ms_send(2, "ab", 2, 0) == 2 && ms_send(2, "c", 1, 0) == 1 &&
	      ms_recv(3, buf, sizeof(buf), 0) == 3);
	v = 1;
	ms_setsockopt(3, SOL_SOCKET, SO_RCVLOWAT, (char *)&v, 4);
	tv = (struct timeval){ 0, 300000 };
	check("set SO_RCVTIMEO 300 ms",
	      ms_setsockopt(3, SOL_SOCKET, SO_RCVTIMEO, (char *)&tv, sizeof(tv)) == 0);
	memset(&tv, 0, sizeof(tv));
	check("get SO_RCVTIMEO", ms_getsockopt(3, SOL_SOCKET, SO_RCVTIMEO, (char *)&tv, sizeof(tv)) ==
	      sizeof(tv) && tv.tv_sec == 0 && tv.tv_usec == 300000);
	gettimeofday(&t0, NULL);
	r = ms_recv(3, buf, sizeof(buf), 0);
	check("recv times out after ~300 ms with EAGAIN",
	      fails_with(r, EAGAIN) && ms(&t0) >= 250 && ms(&t0) < 3000);
	tv = (struct timeval){ 0, 2000000 };
	check("SO_RCVTIMEO with usec >= 1e6 is EDOM",
	      fails_with(ms_setsockopt(3, SOL_SOCKET, SO_RCVTIMEO, (char *)&tv, sizeof(tv)), EDOM));
	tv = (struct timeval){ 0, 0 };
	ms_setsockopt(3, SOL_SOCKET, SO_RCVTIMEO, (char *)&tv, sizeof(tv));
	v = -1;
	check("IP_TTL", ms_getsockopt(2, SOL_IP, IP_TTL, (char *)&v, 4) == 4 && v > 0 && v < 256);
	check("IP_TTL is read-only",
	      fails_with(ms_setsockopt(2, SOL_IP, IP_TTL, (char *)&v, 4), ENOPROTOOPT));
	v = -1;
	check("IP_MTU", ms_getsockopt(2, SOL_IP, IP_MTU, (char *)&v, 4) == 4 && v >= 576);
	v = -1;
	check("IP_MTU_DISCOVER", ms_getsockopt(2, SOL_IP, IP_MTU_DISCOVER, (char *)&v, 4) == 4 &&
	      v >= 0);
	v = -1;
	check("IP_RECVERR", ms_getsockopt(2, SOL_IP, IP_RECVERR, (char *)&v, 4) == 4 && v == 0);
	v = 5;
	check("set TCP_LINGER2", ms_setsockopt(2, SOL_TCP, TCP_LINGER2, (char *)&v, 4) == 0);
	v = 0;
	check("get TCP_LINGER2", ms_getsockopt(2, SOL_TCP, TCP_LINGER2, (char *)&v, 4) == 4 && v == 5);
	v = O_NONBLOCK;
	check("FILE_SET_FLAGS O_NONBLOCK", ms_setsockopt(3, SOL_FILE, FILE_SET_FLAGS, (char *)&v, 4) ==
	      0);
	v = 0;
	check("FILE_FLAGS shows it", ms_getsockopt(3, SOL_FILE, FILE_FLAGS, (char *)&v, 4) == 4 &&
	      (v & O_NONBLOCK));
	check("non-blocking recv is EAGAIN", fails_with(ms_recv(3, buf, 10, 0), EAGAIN));
	v = O_NONBLOCK;
	check("FILE_CLEAR_FLAGS", ms_setsockopt(3, SOL_FILE, FILE_CLEAR_FLAGS, (char *)&v, 4) == 0 &&
	      ms_getsockopt(3, SOL_FILE, FILE_FLAGS, (char *)&v, 4) == 4 && !(v & O_NONBLOCK));
	check("unknown level is ENOPROTOOPT",
	      fails_with(ms_getsockopt(2, 999, 1, (char *)&v, 4), ENOPROTOOPT));
	check("unknown option is ENOPROTOOPT",
	      fails_with(ms_getsockopt(2, SOL_SOCKET, 999, (char *)&v, 4), ENOPROTOOPT));
	check("short optlen is EINVAL",
	      fails_with(ms_getsockopt(2, SOL_SOCKET, SO_LINGER, (char *)&lg, 4), EINVAL));
	check("bad optval is EFAULT",
	      fails_with(ms_getsockopt(2, SOL_SOCKET, SO_RCVLOWAT, unmapped, 4), EFAULT));

	/* Non-blocking connect, and accept on a non-blocking listener. */
	check("listen non-blocking on 5002", ms_listen(10, 5002, &nb) == 0);
	check("non-blocking accept with nothing pending is EAGAIN",
	      fails_with(ms_accept(10, 11, NULL), EAGAIN));
	check("non-blocking connect is EINPROGRESS",
	      fails_with(ms_connect(12, htonl(INADDR_LOOPBACK), 0, 5002, &nb), EINPROGRESS));
	check("and it connects", ms_accept(10, 11, NULL) == 0 && ms_send(12, "z", 1, 0) == 1);

	/* Shutdown. */
	check("shutdown with how 3 is EINVAL", fails_with(ms_shutdown(2, 3), EINVAL));
	check("shutdown SHUT_WR", ms_shutdown(2, SHUT_WR) == 0);
	check("the peer reads end of stream", ms_recv(3, buf, sizeof(buf), 0) == 0);
	check("the peer can still send", ms_send(3, "back", 4, 0) == 4);
	check("and the half-closed end reads it", ms_recv(2, buf, sizeof(buf), 0) == 4);
	sigpipes = 0;
	check("send after SHUT_WR is EPIPE with SIGPIPE",
	      fails_with(ms_send(2, "x", 1, 0), EPIPE) && sigpipes == 1);
	check("MSG_NOSIGNAL: EPIPE without SIGPIPE",
	      fails_with(ms_send(2, "x", 1, MSG_NOSIGNAL), EPIPE) && sigpipes == 1);
	check("shutdown SHUT_RD", ms_shutdown(3, SHUT_RD) == 0 && ms_recv(3, buf, 10, 0) == 0);

	/* Close. */
	check("close", ms_close(2) == 0);
	check("close again is EBADF", fails_with(ms_close(2), EBADF));
	check("the peer sees the end", ms_recv(3, buf, sizeof(buf), 0) == 0 || errno == ECONNRESET);
	check("close the peer", ms_close(3) == 0);
	lg = (struct linger){ 1, 0 };
	check("SO_LINGER 0 close resets the peer",
	      ms_setsockopt(4, SOL_SOCKET, SO_LINGER, (char *)&lg, sizeof(lg)) == 0 &&
	      ms_close(4) == 0 && fails_with(ms_recv(5, buf, sizeof(buf), 0), ECONNRESET));
	check("close the listener", ms_close(1) == 0);
	check("connect to the closed listener is ECONNREFUSED",
	      fails_with(ms_connect(2, htonl(INADDR_LOOPBACK), 0, 5000, NULL), ECONNREFUSED));
	check("the port is free again", ms_listen(1, 5000, NULL) == 0 && ms_close(1) == 0);
	ms_close(5);
	ms_close(10);
	ms_close(11);
	ms_close(12);
	check("unknown call is EINVAL", fails_with(migsock(12, NULL), EINVAL));
	check("close of a bad fd is EBADF", fails_with(ms_close(-5), EBADF));
	return failed;
}
