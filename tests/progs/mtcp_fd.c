// SPDX-License-Identifier: GPL-2.0
/*
 * mtcp_fd: IPPROTO_MTCP sockets used as any BSD stream socket is: file
 * descriptors, read/write, poll/select/epoll, the usual errors.
 *
 *   mtcp_fd echo PORT CLIENTS epoll|poll|select
 *	Serve connections on PORT with non-blocking sockets and the named
 *	readiness call, echoing every byte; after CLIENTS connections have
 *	ended (0: never) print "served N BYTES" and exit 0.
 *   mtcp_fd clients ADDR PORT N BYTES
 *	N connections at once, non-blocking connect, each sending BYTES of
 *	its own pattern and checking every byte that comes back; "ok N B".
 *   mtcp_fd checks ADDR PORT
 *	The semantics of the calls against an echo server at ADDR:PORT
 *	(and listeners of its own on PORT+1 and PORT+3); "check NAME ok" per check.
 *   mtcp_fd hold ADDR PORT
 *	Connect, print "connected", then sleep (to be killed).
 *   mtcp_fd lowport
 *	bind() to port 80 must fail with EACCES (run it unprivileged).
 *   mtcp_fd netns
 *	Print "socket E migsock E": what socket(IPPROTO_MTCP) and a
 *	sys_migsock() call of no meaning give (ERRNO names, "ok" for a
 *	socket made; EINVAL is what the call gives where MTCP is available).
 *
 * Every wait is bounded (alarm); any failure prints "FAIL ..." and exits 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "prog_util.h"

/* glibc's netinet/in.h does not know it; the kernel's linux/in.h does. */
#ifndef IPPROTO_MTCP
#define IPPROTO_MTCP 263
#endif

#define MAX_CONNS 256
#define BUF 16384

static int mtcp_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_MTCP);

	if (fd < 0) {
		printf("FAIL socket(IPPROTO_MTCP): %s\n", strerror(errno));
		exit(1);
	}
	return fd;
}

static struct sockaddr_in sin_of(const char *addr, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	if (!addr)
		a.sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, addr, &a.sin_addr) != 1) {
		printf("FAIL bad address %s\n", addr);
		exit(2);
	}
	return a;
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* Byte @i of connection @k's stream. */
static uint8_t pattern(long k, long i)
{
	return (uint8_t)(i * 7 + k * 13 + (i >> 9));
}

/* ---- echo server --------------------------------------------------------- */

struct conn {
	int fd;
	char buf[BUF];
	size_t len, off;	/* bytes to echo back: buf[off..len) */
	int eof, dead;
};

static struct conn conns[MAX_CONNS];

enum { M_EPOLL, M_POLL, M_SELECT };

/* What the readiness call said about one descriptor. */
struct ready { int fd, in, out; };

static int wait_ready(int mode, int lfd, int ep, struct ready *r)
{
	int n = 0, i, k;

	if (mode == M_EPOLL) {
		struct epoll_event ev[MAX_CONNS + 1];

		k = epoll_wait(ep, ev, MAX_CONNS + 1, 1000);
		for (i = 0; i < k; i++) {
			r[n].fd = ev[i].data.fd;
			r[n].in = !!(ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP));
			r[n].out = !!(ev[i].events & EPOLLOUT);
			n++;
		}
		return k < 0 ? -1 : n;
	}
	if (mode == M_POLL) {
		struct pollfd p[MAX_CONNS + 1];
		int m = 0;

		p[m++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (i = 0; i < MAX_CONNS; i++)
			if (conns[i].fd >= 0)
				p[m++] = (struct pollfd){ .fd = conns[i].fd,
					.events = conns[i].len > conns[i].off ? POLLOUT : POLLIN };
		k = poll(p, m, 1000);
		for (i = 0; k > 0 && i < m; i++)
			if (p[i].revents) {
				r[n].fd = p[i].fd;
				r[n].in = !!(p[i].revents & (POLLIN | POLLHUP | POLLERR));
				r[n].out = !!(p[i].revents & POLLOUT);
				n++;
			}
		return k < 0 ? -1 : n;
	}
	{
		fd_set rs, ws;
		struct timeval tv = { 1, 0 };
		int max = lfd;

		FD_ZERO(&rs);
		FD_ZERO(&ws);
		FD_SET(lfd, &rs);
		for (i = 0; i < MAX_CONNS; i++) {
			if (conns[i].fd < 0)
				continue;
			if (conns[i].len > conns[i].off)
				FD_SET(conns[i].fd, &ws);
			else
				FD_SET(conns[i].fd, &rs);
			if (conns[i].fd > max)
				max = conns[i].fd;
		}
		k = select(max + 1, &rs, &ws, NULL, &tv);
		if (k < 0)
			return -1;
		for (i = 0; i <= max; i++)
			if (FD_ISSET(i, &rs) || FD_ISSET(i, &ws)) {
				r[n].fd = i;
				r[n].in = FD_ISSET(i, &rs);
				r[n].out = FD_ISSET(i, &ws);
				n++;
			}
		return n;
	}
}

static struct conn *conn_of(int fd)
{
	for (int i = 0; i < MAX_CONNS; i++)
		if (conns[i].fd == fd)
			return &conns[i];
	return NULL;
}

static void set_interest(int mode, int ep, struct conn *c)
{
	struct epoll_event ev = { .data.fd = c->fd };

	if (mode != M_EPOLL)
		return;
	ev.events = c->len > c->off ? EPOLLOUT : EPOLLIN | EPOLLRDHUP;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static int echo(int port, long clients, const char *how)
{
	int mode = !strcmp(how, "epoll") ? M_EPOLL : !strcmp(how, "poll") ? M_POLL :
		   !strcmp(how, "select") ? M_SELECT : -1;
	struct sockaddr_in a = sin_of(NULL, port);
	struct ready r[MAX_CONNS + 1];
	long served = 0, bytes = 0;
	int lfd, ep = -1, i, n;

	if (mode < 0)
		return 2;
	for (i = 0; i < MAX_CONNS; i++)
		conns[i].fd = -1;
	lfd = mtcp_socket();
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 64)) {
		printf("FAIL bind/listen %d: %s\n", port, strerror(errno));
		return 1;
	}
	nonblock(lfd);
	if (mode == M_EPOLL) {
		struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd };

		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev)) {
			printf("FAIL epoll: %s\n", strerror(errno));
			return 1;
		}
	}
	printf("listening %d %s\npid %d\n", port, how, getpid());
	fflush(stdout);
	while (!clients || served < clients) {
		n = wait_ready(mode, lfd, ep, r);
		if (n < 0 && errno != EINTR) {
			printf("FAIL %s: %s\n", how, strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++) {
			struct conn *c;
			ssize_t k;

			if (r[i].fd == lfd) {
				int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

				if (fd < 0) {
					if (errno != EAGAIN) {
						printf("FAIL accept4: %s\n", strerror(errno));
						return 1;
					}
					continue;
				}
				if (fd >= FD_SETSIZE || !(c = conn_of(-1))) {
					printf("FAIL too many connections\n");
					return 1;
				}
				memset(c, 0, sizeof(*c));
				c->fd = fd;
				if (mode == M_EPOLL) {
					struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP,
								  .data.fd = fd };

					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
				}
				continue;
			}
			c = conn_of(r[i].fd);
			if (!c)
				continue;
			if (c->len > c->off && r[i].out) {
				k = write(c->fd, c->buf + c->off, c->len - c->off);
				if (k > 0)
					c->off += k;
				else if (k < 0 && errno != EAGAIN)
					c->dead = 1;
			} else if (c->len == c->off && !c->eof && r[i].in) {
				k = read(c->fd, c->buf, sizeof(c->buf));
				if (k > 0) {
					c->len = k;
					c->off = 0;
					bytes += k;
				} else if (k == 0) {
					c->eof = 1;
				} else if (errno != EAGAIN) {
					c->dead = 1;
				}
			}
			if (c->len == c->off)
				c->len = c->off = 0;
			if (c->dead || (c->eof && !c->len)) {
				close(c->fd);	/* epoll forgets it with the file */
				c->fd = -1;
				served++;
				continue;
			}
			set_interest(mode, ep, c);
		}
	}
	printf("served %ld %ld\n", served, bytes);
	return 0;
}

/* ---- clients ------------------------------------------------------------- */

struct client {
	int fd, connected, shut, done;
	long sent, got;
};

static int clients(const char *addr, int port, long n, long bytes)
{
	static struct client cl[MAX_CONNS];
	struct sockaddr_in a = sin_of(addr, port);
	struct pollfd p[MAX_CONNS];
	long done = 0, i;
	char buf[BUF];

	for (i = 0; i < n; i++) {
		cl[i] = (struct client){ .fd = mtcp_socket() };
		nonblock(cl[i].fd);
		if (connect(cl[i].fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			cl[i].connected = 1;
		} else if (errno != EINPROGRESS) {
			printf("FAIL connect %ld: %s\n", i, strerror(errno));
			return 1;
		}
	}
	while (done < n) {
		for (i = 0; i < n; i++) {
			short ev = 0;

			if (!cl[i].connected)
				ev = POLLOUT;
			else if (!cl[i].done)
				ev = POLLIN | (cl[i].sent < bytes ? POLLOUT : 0);
			p[i] = (struct pollfd){ .fd = cl[i].done ? -1 : cl[i].fd, .events = ev };
		}
		if (poll(p, n, 1000) < 0 && errno != EINTR) {
			printf("FAIL poll: %s\n", strerror(errno));
			return 1;
		}
		for (i = 0; i < n; i++) {
			struct client *c = &cl[i];
			ssize_t k;
			long j;

			if (!p[i].revents || c->done)
				continue;
			if (!c->connected) {
				int err = -1;
				socklen_t l = sizeof(err);

				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
				if (err) {
					printf("FAIL connect %ld: SO_ERROR %s\n", i, strerror(err));
					return 1;
				}
				c->connected = 1;
				continue;
			}
			if ((p[i].revents & POLLOUT) && c->sent < bytes) {
				long m = bytes - c->sent < BUF ? bytes - c->sent : BUF;

				for (j = 0; j < m; j++)
					buf[j] = pattern(i, c->sent + j);
				k = send(c->fd, buf, m, MSG_NOSIGNAL);
				if (k < 0 && errno != EAGAIN) {
					printf("FAIL send %ld: %s\n", i, strerror(errno));
					return 1;
				}
				if (k > 0)
					c->sent += k;
			}
			if (c->sent == bytes && !c->shut) {
				shutdown(c->fd, SHUT_WR);
				c->shut = 1;
			}
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				k = read(c->fd, buf, sizeof(buf));
				if (k < 0 && errno == EAGAIN)
					continue;
				if (k < 0) {
					printf("FAIL read %ld: %s\n", i, strerror(errno));
					return 1;
				}
				for (j = 0; j < k; j++)
					if ((uint8_t)buf[j] != pattern(i, c->got + j)) {
						printf("FAIL client %ld: byte %ld differs\n", i, c->got + j);
						return 1;
					}
				c->got += k;
				if (k == 0) {
					if (c->got != bytes) {
						printf("FAIL client %ld: %ld of %ld bytes came back\n",
						       i, c->got, bytes);
						return 1;
					}
					close(c->fd);
					c->done = 1;
					done++;
				}
			}
		}
	}
	printf("ok %ld %ld\n", n, n * bytes);
	return 0;
}

/* ---- checks -------------------------------------------------------------- */

static int failed;

#define CHECK(name, cond) do {						\
	if (cond)							\
		printf("check %s ok\n", name);				\
	else {								\
		printf("FAIL %s (errno %s)\n", name, strerror(errno));	\
		failed = 1;						\
	}								\
	fflush(stdout);							\
} while (0)

/* The call failed with errno @e. */
#define ERR(call, e) ((call) < 0 && errno == (e))

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	sigpipes++;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static int connected_to(const char *addr, int port)
{
	struct sockaddr_in a = sin_of(addr, port);
	int fd = mtcp_socket();

	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		printf("FAIL connect %s:%d: %s\n", addr, port, strerror(errno));
		exit(1);
	}
	return fd;
}

/* Wait (up to 10 s) until @fd has @n bytes to read. */
static int wait_inq(int fd, int n)
{
	int q = -1;

	for (int i = 0; i < 1000; i++) {
		if (ioctl(fd, FIONREAD, &q) == 0 && q >= n)
			return q;
		usleep(10000);
	}
	return q;
}

static int checks(const char *addr, int port)
{
	struct sockaddr_in a = sin_of(addr, port), b, any = sin_of(NULL, 0), got;
	socklen_t l;
	int fd, fd2, v;
	char buf[64];

	signal(SIGPIPE, on_sigpipe);

	fd = mtcp_socket();
	l = sizeof(v);
	CHECK("so_type", !getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l) && v == SOCK_STREAM);
	CHECK("so_protocol", !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &l) && v == IPPROTO_MTCP);
	CHECK("so_domain", !getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &l) && v == AF_INET);
	v = 1;
	CHECK("unknown_option", ERR(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)), ENOPROTOOPT));
	b = any;
	b.sin_family = AF_INET6;
	CHECK("bind_family", ERR(bind(fd, (struct sockaddr *)&b, sizeof(b)), EAFNOSUPPORT));
	CHECK("bind_short", ERR(bind(fd, (struct sockaddr *)&any, 4), EINVAL));
	b = sin_of("10.77.0.99", 0);
	CHECK("bind_foreign_address", ERR(bind(fd, (struct sockaddr *)&b, sizeof(b)), EADDRNOTAVAIL));
	CHECK("recv_unconnected", ERR(recv(fd, buf, 1, MSG_DONTWAIT), ENOTCONN));
	l = sizeof(got);
	CHECK("getpeername_unconnected", ERR(getpeername(fd, (struct sockaddr *)&got, &l), ENOTCONN));
	CHECK("send_unconnected_nosignal",
	      ERR(send(fd, "x", 1, MSG_NOSIGNAL), EPIPE) && sigpipes == 0);
	CHECK("send_unconnected_sigpipe", ERR(send(fd, "x", 1, 0), EPIPE) && sigpipes == 1);
	CHECK("accept_not_listening", ERR(accept(fd, NULL, NULL), EINVAL));
	close(fd);

	/* A listener of our own, on PORT+1. */
	fd = mtcp_socket();
	b = sin_of(NULL, port + 1);
	CHECK("bind", !bind(fd, (struct sockaddr *)&b, sizeof(b)));
	CHECK("bind_twice", ERR(bind(fd, (struct sockaddr *)&b, sizeof(b)), EINVAL));
	CHECK("listen", !listen(fd, 8));
	l = sizeof(got);
	CHECK("getsockname_listener", !getsockname(fd, (struct sockaddr *)&got, &l) &&
	      ntohs(got.sin_port) == port + 1);
	fd2 = mtcp_socket();
	CHECK("bind_in_use", ERR(bind(fd2, (struct sockaddr *)&b, sizeof(b)), EADDRINUSE));
	close(fd2);
	CHECK("connect_on_listener", ERR(connect(fd, (struct sockaddr *)&a, sizeof(a)), EINVAL));
	nonblock(fd);
	CHECK("accept_nonblocking_empty", ERR(accept(fd, NULL, NULL), EAGAIN));
	CHECK("read_listener", ERR(read(fd, buf, 1), ENOTCONN));
	close(fd);

	/* Nothing listens on PORT+2. */
	fd = mtcp_socket();
	b = sin_of(addr, port + 2);
	CHECK("connect_refused", ERR(connect(fd, (struct sockaddr *)&b, sizeof(b)), ECONNREFUSED));
	/* A connect that failed leaves the socket free to connect again. */
	CHECK("connect_after_refused", !connect(fd, (struct sockaddr *)&a, sizeof(a)));
	close(fd);

	/* A peer that never reads: a blocking send gives up after SO_SNDTIMEO. */
	fd = mtcp_socket();
	b = sin_of(NULL, port + 3);
	if (bind(fd, (struct sockaddr *)&b, sizeof(b)) || listen(fd, 1)) {
		printf("FAIL listener on %d: %s\n", port + 3, strerror(errno));
		return 1;
	}
	fd2 = connected_to("127.0.0.1", port + 3);
	{
		static char big[256 * 1024];
		struct timeval tv = { 0, 300000 };
		struct timespec t0;
		ssize_t k;

		setsockopt(fd2, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		do
			k = send(fd2, big, sizeof(big), MSG_NOSIGNAL);
		while (k > 0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK("so_sndtimeo", ERR(send(fd2, big, sizeof(big), MSG_NOSIGNAL), EAGAIN) &&
		      ms_since(&t0) >= 250);
	}
	close(fd2);
	close(fd);

	/* Non-blocking connect to the echo server. */
	fd = mtcp_socket();
	nonblock(fd);
	CHECK("connect_nonblocking", ERR(connect(fd, (struct sockaddr *)&a, sizeof(a)), EINPROGRESS));
	{
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		CHECK("connect_pollout", poll(&p, 1, 20000) == 1 && (p.revents & POLLOUT));
	}
	l = sizeof(v);
	CHECK("connect_so_error", !getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l) && v == 0);
	CHECK("connect_again", ERR(connect(fd, (struct sockaddr *)&a, sizeof(a)), EISCONN));
	l = sizeof(got);
	CHECK("getpeername", !getpeername(fd, (struct sockaddr *)&got, &l) &&
	      got.sin_addr.s_addr == a.sin_addr.s_addr && got.sin_port == a.sin_port);
	CHECK("recv_nonblocking_empty", ERR(recv(fd, buf, 1, 0), EAGAIN));
	fcntl(fd, F_SETFL, 0);

	CHECK("send", send(fd, "hello world", 11, 0) == 11);
	CHECK("fionread", wait_inq(fd, 11) == 11);
	memset(buf, 0, sizeof(buf));
	CHECK("msg_peek", recv(fd, buf, 5, MSG_PEEK) == 5 && !memcmp(buf, "hello", 5));
	CHECK("fionread_after_peek", wait_inq(fd, 11) == 11);
	CHECK("msg_waitall", recv(fd, buf, 11, MSG_WAITALL) == 11 && !memcmp(buf, "hello world", 11));
	{
		struct iovec w[3] = { { "ab", 2 }, { "cde", 3 }, { "f", 1 } };
		char x[3], y[3];
		struct iovec r[2] = { { x, 3 }, { y, 3 } };

		CHECK("writev", writev(fd, w, 3) == 6);
		wait_inq(fd, 6);
		CHECK("readv", readv(fd, r, 2) == 6 && !memcmp(x, "abc", 3) && !memcmp(y, "def", 3));
	}
	CHECK("send_bad_pointer", ERR(send(fd, (void *)8, 16, 0), EFAULT));
	CHECK("send_after_fault", send(fd, "z", 1, 0) == 1);
	wait_inq(fd, 1);
	CHECK("recv_bad_pointer", ERR(recv(fd, (void *)8, 16, 0), EFAULT));
	CHECK("recv_after_fault", recv(fd, buf, 16, 0) == 1 && buf[0] == 'z');
	{
		struct timeval tv = { 0, 300000 };
		struct timespec t0;

		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		CHECK("so_rcvtimeo", ERR(recv(fd, buf, 1, 0), EAGAIN) && ms_since(&t0) >= 250);
	}
	CHECK("shutdown_bad_how", ERR(shutdown(fd, 7), EINVAL));
	CHECK("shutdown_wr", !shutdown(fd, SHUT_WR));
	CHECK("send_after_shutdown", ERR(send(fd, "x", 1, MSG_NOSIGNAL), EPIPE));
	{
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };

		CHECK("pollrdhup", poll(&p, 1, 20000) == 1 && (p.revents & POLLRDHUP));
	}
	CHECK("eof", recv(fd, buf, 1, 0) == 0);
	CHECK("connect_after_eof", ERR(connect(fd, (struct sockaddr *)&a, sizeof(a)), EISCONN));
	close(fd);
	return failed;
}

static int hold(const char *addr, int port)
{
	int fd = connected_to(addr, port);

	if (send(fd, "x", 1, 0) != 1)
		return 1;
	printf("connected\npid %d\n", getpid());
	fflush(stdout);
	for (;;)
		pause();
}

static int lowport(void)
{
	struct sockaddr_in a = sin_of(NULL, 80);
	int fd = mtcp_socket();

	printf("uid %d\n", (int)getuid());
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
		printf("FAIL bind to port 80 as uid %d succeeded\n", (int)getuid());
		return 1;
	}
	if (errno != EACCES) {
		printf("FAIL bind to port 80: %s, not EACCES\n", strerror(errno));
		return 1;
	}
	printf("ok EACCES\n");
	return 0;
}

int main(int argc, char **argv)
{
	long port, n, bytes;

	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(600);
	if (argc == 5 && !strcmp(argv[1], "echo") && !parse_num(argv[2], 1, 65535, &port) &&
	    !parse_num(argv[3], 0, 1000000, &n))
		return echo(port, n, argv[4]);
	if (argc == 6 && !strcmp(argv[1], "clients") && !parse_num(argv[3], 1, 65535, &port) &&
	    !parse_num(argv[4], 1, MAX_CONNS, &n) && !parse_num(argv[5], 0, 1L << 30, &bytes)) {
		alarm(300);
		return clients(argv[2], port, n, bytes);
	}
	if (argc == 4 && !strcmp(argv[1], "checks") && !parse_num(argv[3], 1, 65532, &port)) {
		alarm(300);
		return checks(argv[2], port);
	}
	if (argc == 4 && !strcmp(argv[1], "hold") && !parse_num(argv[3], 1, 65535, &port))
		return hold(argv[2], port);
	if (argc == 2 && !strcmp(argv[1], "lowport"))
		return lowport();
	if (argc == 2 && !strcmp(argv[1], "netns")) {
		int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_MTCP);
		const char *sock_err = fd >= 0 ? "ok" : strerrorname_np(errno);

		syscall(473 /* __NR_migsock */, 999, NULL);
		printf("socket %s migsock %s\n", sock_err, strerrorname_np(errno));
		return 0;
	}
	fprintf(stderr, "usage: mtcp_fd echo PORT CLIENTS epoll|poll|select | clients ADDR PORT N BYTES\n"
		"       mtcp_fd checks ADDR PORT | hold ADDR PORT | lowport | netns\n");
	return 2;
}
