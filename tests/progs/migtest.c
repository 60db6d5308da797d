// SPDX-License-Identifier: GPL-2.0
/*
 * migtest: a process that migrates and checks, after every move, that it
 * came through intact.
 *
 *   migtest [-m MIB] [-h HOPS] [-w] [-t SECS] [-x CODE] [-k SIG]
 *           [-e ERR] [-T] [-S] [-q] [-F FILE]
 *
 * At start it fills MIB MiB (default 64) of anonymous memory, a brk block
 * and a stack block with xorshift patterns, opens FILE (default
 * /tmp/migtest.PID.dat) with known contents and a pipe, and sets known
 * signal state, umask, rlimit and comm.  Then:
 *
 *  -h 2,3,2,0  hops: it writes each node to /proc/self/goto itself (0 =
 *      home) with x87, SSE, AVX (if the CPU and OS have it) and callee- and
 *      caller-saved GPR values live in registers across the write system
 *      call (done in assembly, so nothing is spilled), and after every hop
 *      checks: registers, rounding mode (fesetround, MXCSR, x87 control
 *      word), memory, TLS/FS base, signal handlers/mask/pending, comm,
 *      umask, rlimit, credentials, file position and contents, pipe bytes,
 *      /proc/self/where (expected node, 0 at home) and
 *      /proc/hpc/admin/mospe (the node it should run on).
 *  -w  then waits (at most -t SECS, default 60; SIGUSR2 ends it early),
 *      spinning with values held in registers and sleeping in turns, while
 *      someone else migrates it with `migrate`; after every move it checks
 *      as above (where must agree with mospe) and prints "alive WHERE"
 *      at the start, after every move and every 5 s.  SIGUSR1 prints
 *      "signal SIGUSR1 at node N".
 *  -e ERR  every goto must fail with errno ERR (a name such as
 *      EHOSTUNREACH, or "down" for ECONNREFUSED/ETIMEDOUT/EHOSTDOWN) and
 *      leave the process intact where it was.
 *  -T  start a second thread first (gotos must then fail, EOPNOTSUPP).
 *  -S  map shared writable memory first (likewise).
 *  -G PATH  write the gotos to PATH instead of /proc/self/goto (to test
 *      migtest itself on a machine without hpc: -G /dev/null).
 *
 * Output: "migtest: pid P home H ..." first, then one line per check,
 * "hop N -> node X: ok WHAT ..." or "... FAIL WHAT: why" (-q: only
 * failures and one summary line per hop), each flushed.  Exit: CODE (-x,
 * default 0) if every check passed, 1 if any failed, 2 on bad arguments;
 * with -k SIG it raises SIG instead of exiting (when all passed).
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <fenv.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "prog_util.h"

#define MAX_HOPS	4096
#define FILE_SIZE	65536
#define PIPE_MSG	64
#define BRK_SIZE	(96 * 1024)	/* below malloc's mmap threshold: brk */
#define STACK_WORDS	2048
#define NO_NODE		(-1)

/* ---- registers held across a system call or a spin, in assembly ---- */

/*
 * Layout shared with the assembly below (offsets checked at compile time).
 * gpr: rbx rbp r8 r9 r10 r12 r13 r14 r15, none of which the system call
 * may change.
 */
struct regs {
	uint64_t gpr[9];		/*   0 */
	uint64_t pad0;			/*  72 */
	uint8_t vec[16][32];		/*  80: ymm0-15 (xmm0-15: low 16 bytes) */
	long double x87[8];		/* 592: st(7)..st(0) after loading */
	uint32_t mxcsr;			/* 720 */
	uint16_t fcw;			/* 724 */
	uint16_t pad1;
	uint32_t avx;			/* 728: use ymm (in only) */
	uint32_t pad2;
} __attribute__((aligned(32)));

_Static_assert(offsetof(struct regs, vec) == 80, "regs.vec");
_Static_assert(offsetof(struct regs, x87) == 592, "regs.x87");
_Static_assert(offsetof(struct regs, mxcsr) == 720, "regs.mxcsr");
_Static_assert(offsetof(struct regs, fcw) == 724, "regs.fcw");
_Static_assert(offsetof(struct regs, avx) == 728, "regs.avx");

/*
 * long hold_regs(const struct regs *in, struct regs *out,
 *                long fd, const void *buf, long len, long spin);
 *
 * Loads every register of @in, then either does write(fd, buf, len) with
 * the syscall instruction (fd >= 0) or spins @spin times (fd < 0), then
 * stores the registers into @out.  Returns the system call's result
 * (-errno on failure) or 0.
 */
long hold_regs(const struct regs *in, struct regs *out, long fd,
	       const void *buf, long len, long spin);

#define VLOAD(i)  "\tvmovdqu " #i "*32+80(%rdi), %ymm" #i "\n"
#define XLOAD(i)  "\tmovdqu  " #i "*32+80(%rdi), %xmm" #i "\n"
#define VSTORE(i) "\tvmovdqu %ymm" #i ", " #i "*32+80(%rdi)\n"
#define XSTORE(i) "\tmovdqu  %xmm" #i ", " #i "*32+80(%rdi)\n"
#define ALL16(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) \
		 m(8) m(9) m(10) m(11) m(12) m(13) m(14) m(15)

__asm__(
	"\t.text\n"
	"\t.globl hold_regs\n"
	"\t.type hold_regs, @function\n"
	"hold_regs:\n"
	"\tpush %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n"
	"\tsub $56, %rsp\n"
	"\tmov %rsi, 0(%rsp)\n"		/* out */
	"\tmov %rdx, 8(%rsp)\n"		/* fd */
	"\tmov %rcx, 16(%rsp)\n"	/* buf */
	"\tmov %r8, 24(%rsp)\n"		/* len */
	"\tmov %r9, 32(%rsp)\n"		/* spin */
	"\tmovl 728(%rdi), %eax\n"
	"\tmov %rax, 40(%rsp)\n"	/* avx */
	"\tfldt 592+0*16(%rdi)\n\tfldt 592+1*16(%rdi)\n"
	"\tfldt 592+2*16(%rdi)\n\tfldt 592+3*16(%rdi)\n"
	"\tfldt 592+4*16(%rdi)\n\tfldt 592+5*16(%rdi)\n"
	"\tfldt 592+6*16(%rdi)\n\tfldt 592+7*16(%rdi)\n"
	"\ttest %eax, %eax\n"
	"\tjz 1f\n"
	ALL16(VLOAD)
	"\tjmp 2f\n"
	"1:\n"
	ALL16(XLOAD)
	"2:\n"
	"\tmov 0(%rdi), %rbx\n\tmov 8(%rdi), %rbp\n\tmov 16(%rdi), %r8\n"
	"\tmov 24(%rdi), %r9\n\tmov 32(%rdi), %r10\n\tmov 40(%rdi), %r12\n"
	"\tmov 48(%rdi), %r13\n\tmov 56(%rdi), %r14\n\tmov 64(%rdi), %r15\n"
	"\tmov 8(%rsp), %rdi\n"
	"\ttest %rdi, %rdi\n"
	"\tjs 3f\n"
	"\tmov 16(%rsp), %rsi\n"
	"\tmov 24(%rsp), %rdx\n"
	"\tmov $1, %eax\n"		/* __NR_write */
	"\tsyscall\n"
	"\tjmp 4f\n"
	"3:\n"
	"\tmov 32(%rsp), %rcx\n"
	"\ttest %rcx, %rcx\n"
	"\tjnz 5f\n"
	"\tinc %rcx\n"
	"5:\n"
	"\tdec %rcx\n"
	"\tjnz 5b\n"
	"\txor %eax, %eax\n"
	"4:\n"
	"\tmov 0(%rsp), %rdi\n"
	"\tmov %rbx, 0(%rdi)\n\tmov %rbp, 8(%rdi)\n\tmov %r8, 16(%rdi)\n"
	"\tmov %r9, 24(%rdi)\n\tmov %r10, 32(%rdi)\n\tmov %r12, 40(%rdi)\n"
	"\tmov %r13, 48(%rdi)\n\tmov %r14, 56(%rdi)\n\tmov %r15, 64(%rdi)\n"
	"\tcmpq $0, 40(%rsp)\n"
	"\tjz 6f\n"
	ALL16(VSTORE)
	"\tvzeroupper\n"
	"\tjmp 7f\n"
	"6:\n"
	ALL16(XSTORE)
	"7:\n"
	"\tfstpt 592+7*16(%rdi)\n\tfstpt 592+6*16(%rdi)\n"
	"\tfstpt 592+5*16(%rdi)\n\tfstpt 592+4*16(%rdi)\n"
	"\tfstpt 592+3*16(%rdi)\n\tfstpt 592+2*16(%rdi)\n"
	"\tfstpt 592+1*16(%rdi)\n\tfstpt 592+0*16(%rdi)\n"
	"\tstmxcsr 720(%rdi)\n"
	"\tfnstcw 724(%rdi)\n"
	"\tadd $56, %rsp\n"
	"\tpop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n"
	"\tret\n"
	"\t.size hold_regs, .-hold_regs\n");

/* ---- state ---- */

static struct {
	int mib, quiet, wait, secs, xcode, ksig, threads, shared;
	int experr, expdown;		/* -e */
	const char *path, *goto_path;
	int hops[MAX_HOPS], nhops;
} opt = { .mib = 64, .secs = 60, .goto_path = "/proc/self/goto" };

static int home;		/* home node's number */
static int have_avx;
static int failures;
static int step;		/* hop or move number, for the output */
static int step_node;
static const char *step_word = "hop";
static int step_failed;

static uint64_t *mem;		/* opt.mib MiB, in 1 MiB stripes */
static uint64_t *stripe_seed;
static uint64_t *brk_block;
static uint64_t *stack_block;	/* points into main()'s frame */
static uint64_t stack_seed = 0x5eed5eed;

static int file_fd;
static unsigned char file_shadow[FILE_SIZE + 4096];
static off_t file_size, file_pos;

static int pipe_fd[2];
static char pipe_msg[PIPE_MSG];

static __thread uint64_t tls_canary = 0x7153c0ffee15900dULL;
static unsigned long fs_base, gs_base;

static sigset_t want_mask;
static volatile sig_atomic_t got_winch, got_usr1, got_usr2;

static const int round_modes[4] = { FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO, FE_TONEAREST };
static const char *const round_names[4] = { "downward", "upward", "towardzero", "tonearest" };
static int round_idx = 3;

static int node_now(void);

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static uint64_t seed_of(uint64_t a, uint64_t b)
{
	uint64_t s = (a + 1) * 0x9e3779b97f4a7c15ULL ^ (b + 1) * 0xbf58476d1ce4e5b9ULL;

	return s ? s : 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- output ---- */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/*
 * One line per check: "hop N -> node X: ok WHAT[ DETAIL]" or
 * "... FAIL WHAT: DETAIL".  check() shows the detail only on failure,
 * checkv() always.
 */
static void vcheck(int ok, int verbose, const char *what, const char *fmt, va_list ap)
{
	char detail[512];
	int show;

	vsnprintf(detail, sizeof(detail), fmt, ap);
	if (!ok) {
		failures++;
		step_failed = 1;
	}
	if (ok && opt.quiet)
		return;
	show = !ok || (verbose && *detail);
	if (step)
		printf("%s %d -> node %d: ", step_word, step, step_node);
	else
		printf("start: ");
	printf("%s %s%s%s\n", ok ? "ok" : "FAIL", what, show ? (ok ? " " : ": ") : "",
	       show ? detail : "");
	fflush(stdout);
}

static void check(int ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void check(int ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcheck(ok, 0, what, fmt, ap);
	va_end(ap);
}

static void checkv(int ok, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void checkv(int ok, const char *what, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vcheck(ok, 1, what, fmt, ap);
	va_end(ap);
}

/* ---- memory ---- */

static void fill_stripe(size_t i, uint64_t seed)
{
	uint64_t *p = mem + i * (1 << 17), s = seed;
	size_t k;

	stripe_seed[i] = seed;
	for (k = 0; k < (1 << 17); k++)
		p[k] = xorshift64(&s);
}

static size_t verify_words(const uint64_t *p, size_t n, uint64_t seed, uint64_t *sum)
{
	uint64_t s = seed;
	size_t k, bad = 0;

	for (k = 0; k < n; k++) {
		uint64_t w = xorshift64(&s);

		bad += p[k] != w;
		*sum = (*sum << 1 | *sum >> 63) ^ p[k];
	}
	return bad;
}

static void fill_stack(void)
{
	uint64_t s = stack_seed;
	int k;

	for (k = 0; k < STACK_WORDS; k++)
		stack_block[k] = xorshift64(&s);
}

static void check_memory(void)
{
	uint64_t sum = 0;
	size_t bad = 0, i, first_bad = (size_t)-1;

	for (i = 0; i < (size_t)opt.mib; i++) {
		size_t b = verify_words(mem + i * (1 << 17), 1 << 17, stripe_seed[i], &sum);

		if (b && first_bad == (size_t)-1)
			first_bad = i;
		bad += b;
	}
	if (bad)
		check(0, "memory", "%zu of %zu words differ, first in MiB %zu", bad,
		      (size_t)opt.mib << 17, first_bad);
	else
		checkv(1, "memory", "%d MiB sum %016llx", opt.mib, (unsigned long long)sum);
	bad = verify_words(brk_block, BRK_SIZE / 8, 0xb4c, &sum);
	check(!bad, "brk", "%zu words differ", bad);
	bad = verify_words(stack_block, STACK_WORDS, stack_seed, &sum);
	check(!bad, "stack", "%zu words differ", bad);
}

/* Dirty memory after a move, so pages written on a remote have to travel. */
static void touch_memory(int n)
{
	fill_stripe(n % opt.mib, seed_of(n, 0x3a3a));
	stack_seed = seed_of(n, 0x57ac);
	fill_stack();
}

/* ---- registers ---- */

static struct regs rin, rout;

static void make_regs(int n)
{
	uint64_t s = seed_of(n, 0x4e9);
	int i, k;

	memset(&rin, 0, sizeof(rin));
	for (i = 0; i < 9; i++)
		rin.gpr[i] = xorshift64(&s);
	for (i = 0; i < 16; i++)
		for (k = 0; k < 32; k += 8) {
			uint64_t w = xorshift64(&s);

			memcpy(&rin.vec[i][k], &w, 8);
		}
	for (i = 0; i < 8; i++)
		rin.x87[i] = (long double)(n + 1) / (i + 3) + (long double)(i + 1) * 1e-15L;
	rin.avx = have_avx;
}

static uint32_t get_mxcsr(void)
{
	uint32_t v;

	__asm__ volatile("stmxcsr %0" : "=m"(v) : : "memory");
	return v;
}

static uint16_t get_fcw(void)
{
	uint16_t v;

	__asm__ volatile("fnstcw %0" : "=m"(v) : : "memory");
	return v;
}

static int regs_bad(uint32_t mxcsr, uint16_t fcw, int *bad_gpr, int *bad_vec, int *bad_x87)
{
	int i, vlen = have_avx ? 32 : 16;

	*bad_gpr = *bad_vec = *bad_x87 = 0;
	for (i = 0; i < 9; i++)
		*bad_gpr += rout.gpr[i] != rin.gpr[i];
	for (i = 0; i < 16; i++)
		*bad_vec += memcmp(rout.vec[i], rin.vec[i], vlen) != 0;
	for (i = 0; i < 8; i++)
		*bad_x87 += memcmp(&rout.x87[i], &rin.x87[i], 10) != 0;
	/* Exception flags (MXCSR bits 0-5) may be set by any FP operation. */
	return *bad_gpr + *bad_vec + *bad_x87 + ((rout.mxcsr ^ mxcsr) & ~0x3fu) +
	       (rout.fcw != fcw);
}

static void check_regs(uint32_t mxcsr, uint16_t fcw)
{
	int bad_gpr, bad_vec, bad_x87;

	regs_bad(mxcsr, fcw, &bad_gpr, &bad_vec, &bad_x87);
	check(!bad_gpr, "gpr", "%d of 9 differ", bad_gpr);
	check(!bad_vec, have_avx ? "ymm" : "xmm", "%d of 16 differ", bad_vec);
	check(!bad_x87, "x87", "%d of 8 differ", bad_x87);
	check((rout.mxcsr & ~0x3fu) == (mxcsr & ~0x3fu), "mxcsr", "%#x, want %#x",
	      rout.mxcsr, mxcsr);
	check(rout.fcw == fcw, "fcw", "%#x, want %#x", rout.fcw, fcw);
}

/*
 * Rounding seen in results: 1/3, -1/3 and 5/3 in double (SSE, MXCSR) and
 * long double (x87, FCW) differ in their last bit between the four modes.
 * The table is computed at start, at home, in each mode.
 */
struct rounded {
	double d[3];
	long double l[3];
};
static struct rounded round_table[4];

static void compute_rounded(struct rounded *r)
{
	static const double num[3] = { 1, -1, 5 };
	volatile double a, three = 3;
	volatile long double la, lthree = 3;
	int i;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < 3; i++) {
		a = num[i];
		r->d[i] = a / three;
		la = num[i];
		r->l[i] = la / lthree;
	}
}

static int rounded_eq(const struct rounded *a, const struct rounded *b)
{
	int i;

	for (i = 0; i < 3; i++)
		if (memcmp(&a->d[i], &b->d[i], 8) || memcmp(&a->l[i], &b->l[i], 10))
			return 0;
	return 1;
}

static void make_round_table(void)
{
	int i, j, same = 0;

	for (i = 0; i < 4; i++) {
		fesetround(round_modes[i]);
		compute_rounded(&round_table[i]);
	}
	fesetround(FE_TONEAREST);
	for (i = 0; i < 4; i++)
		for (j = 0; j < i; j++)
			same += rounded_eq(&round_table[i], &round_table[j]);
	check(!same, "rounding modes tell apart", "%d pairs of modes give equal results", same);
}

static void check_rounding(void)
{
	struct rounded r;

	compute_rounded(&r);
	checkv(fegetround() == round_modes[round_idx] && rounded_eq(&r, &round_table[round_idx]),
	       "rounding", "%s (fegetround %#x)", round_names[round_idx], fegetround());
}

/* ---- process state ---- */

static void winch(int sig)
{
	got_winch++;
}

static void usr(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_usr2 = 1;
}

static void setup_process(void)
{
	struct sigaction sa;
	struct rlimit rl = { 200, 300 };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = winch;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGURG);
	sigaction(SIGWINCH, &sa, NULL);
	sa.sa_handler = usr;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);

	/* SIGWINCH blocked and pending until the end. */
	sigemptyset(&want_mask);
	sigaddset(&want_mask, SIGWINCH);
	sigaddset(&want_mask, SIGTTIN);
	sigprocmask(SIG_BLOCK, &want_mask, NULL);
	raise(SIGWINCH);

	umask(027);
	prctl(PR_SET_NAME, "migtest", 0, 0, 0);
	setrlimit(RLIMIT_NOFILE, &rl);
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_base);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs_base);
}

static void check_process(void)
{
	struct sigaction sa;
	struct rlimit rl;
	sigset_t m, p;
	unsigned long fs = 0, gs = 0;
	char comm[32] = "";
	mode_t um;
	FILE *f;
	int ok;

	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
	checkv(fs == fs_base && gs == gs_base && tls_canary == 0x7153c0ffee15900dULL, "tls",
	      "fs %#lx gs %#lx canary %#llx", fs, gs, (unsigned long long)tls_canary);

	sigprocmask(SIG_BLOCK, NULL, &m);
	sigpending(&p);
	sigaction(SIGWINCH, NULL, &sa);
	ok = sigismember(&m, SIGWINCH) == 1 && sigismember(&m, SIGTTIN) == 1 &&
	     sigismember(&m, SIGUSR1) == 0 && sigismember(&p, SIGWINCH) == 1 &&
	     sa.sa_handler == winch && sigismember(&sa.sa_mask, SIGURG) == 1 && !got_winch;
	check(ok, "signals", "mask/pending/handler not as set (winch seen %d)", got_winch);

	um = umask(027);
	f = fopen("/proc/self/comm", "r");
	if (f) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = '\0';
		fclose(f);
	}
	comm[strcspn(comm, "\n")] = '\0';
	getrlimit(RLIMIT_NOFILE, &rl);
	ok = um == 027 && !strcmp(comm, "migtest") && rl.rlim_cur == 200 && rl.rlim_max == 300 &&
	     getuid() == 0 && geteuid() == 0 && getgid() == 0;
	checkv(ok, "process", "umask %o comm '%s' nofile %llu/%llu uid %d", um, comm,
	      (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, (int)getuid());
}

/* ---- file and pipe ---- */

static int setup_file(void)
{
	static char path[64];
	uint64_t s = 0xf11e;
	size_t k;

	if (!opt.path) {
		snprintf(path, sizeof(path), "/tmp/migtest.%d.dat", (int)getpid());
		opt.path = path;
	}
	for (k = 0; k < FILE_SIZE; k++)
		file_shadow[k] = (unsigned char)xorshift64(&s);
	file_fd = open(opt.path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (file_fd < 0 || write(file_fd, file_shadow, FILE_SIZE) != FILE_SIZE) {
		fprintf(stderr, "migtest: %s: %s\n", opt.path, strerror(errno));
		return -1;
	}
	file_size = FILE_SIZE;
	if (pipe(pipe_fd) || fcntl(pipe_fd[0], F_SETFL, O_NONBLOCK)) {
		perror("migtest: pipe");
		return -1;
	}
	return 0;
}

/* Before a move: put the file offset somewhere known, bytes in the pipe. */
static void prepare_io(int n)
{
	file_pos = (off_t)n * 4099 % (FILE_SIZE - 512);
	if (lseek(file_fd, file_pos, SEEK_SET) != file_pos)
		check(0, "file", "lseek before the move: %s", strerror(errno));
	snprintf(pipe_msg, sizeof(pipe_msg), "pipe bytes for move %d from node %d ----------------",
		 n, node_now());
	if (write(pipe_fd[1], pipe_msg, PIPE_MSG) != PIPE_MSG)
		check(0, "pipe", "write before the move: %s", strerror(errno));
}

static void check_io(int n)
{
	unsigned char buf[256];
	char rec[24], msg[PIPE_MSG];
	off_t pos = lseek(file_fd, 0, SEEK_CUR);
	ssize_t r;
	struct stat st;

	if (pos != file_pos) {
		check(0, "file", "position %lld, want %lld", (long long)pos, (long long)file_pos);
		lseek(file_fd, file_pos, SEEK_SET);
	}
	r = read(file_fd, buf, sizeof(buf));
	pos = lseek(file_fd, 0, SEEK_CUR);
	snprintf(rec, sizeof(rec), "m%05u@n%05u...", (unsigned int)n % 100000,
		 (unsigned int)step_node % 100000);
	if (r != (ssize_t)sizeof(buf) || memcmp(buf, file_shadow + file_pos, sizeof(buf)) ||
	    pos != file_pos + (off_t)sizeof(buf)) {
		check(0, "file", "read %zd bytes at %lld: %s, position then %lld", r,
		      (long long)file_pos, r < 0 ? strerror(errno) : "contents differ",
		      (long long)pos);
		return;
	}
	if (write(file_fd, rec, 16) != 16 || fstat(file_fd, &st) || st.st_size != file_size) {
		check(0, "file", "write at %lld or fstat failed: %s", (long long)pos, strerror(errno));
		return;
	}
	memcpy(file_shadow + pos, rec, 16);
	checkv(1, "file", "position %lld read 256 wrote 16", (long long)file_pos);

	r = read(pipe_fd[0], msg, sizeof(msg));
	check(r == PIPE_MSG && !memcmp(msg, pipe_msg, PIPE_MSG), "pipe", "read %zd: %s ('%.40s' vs '%.40s')",
	      r, r < 0 ? strerror(errno) : "bytes differ", r > 0 ? msg : "", pipe_msg);
	if (r == PIPE_MSG)
		check(read(pipe_fd[0], msg, 1) < 0 && errno == EAGAIN, "pipe empty", "extra bytes");
}

static void check_file_end(void)
{
	static unsigned char buf[FILE_SIZE];
	ssize_t r = pread(file_fd, buf, FILE_SIZE, 0);

	check(r == FILE_SIZE && !memcmp(buf, file_shadow, FILE_SIZE), "file contents",
	      "pread %zd: %s", r, r < 0 ? strerror(errno) : "differ from what was written");
}

/* ---- where am I ---- */

static long read_long(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int node_now(void)
{
	long w = read_long("/proc/self/where");

	return w == 0 ? home : (int)w;
}

static void check_where(int want_where)
{
	long w = read_long("/proc/self/where");
	long m = read_long("/proc/hpc/admin/mospe");
	int want_mospe;

	if (want_where == NO_NODE) {	/* moved by someone else: must agree */
		checkv(w >= 0 && m == (w ? w : home), "where",
		      "%ld mospe %ld (home %d)", w, m, home);
		return;
	}
	want_mospe = want_where ? want_where : home;
	checkv(w == want_where, "where", "%ld (want %d)", w, want_where);
	checkv(m == want_mospe, "mospe", "%ld (want %d)", m, want_mospe);
}

static void check_all(int n, int want_where, uint32_t mxcsr, uint16_t fcw)
{
	check_where(want_where);
	check_regs(mxcsr, fcw);
	check_rounding();
	check_memory();
	check_process();
	check_io(n);
}

/* ---- moves ---- */

static int goto_node(int node, double *ms)
{
	char buf[16];
	int fd, len;
	long r;
	double t0;

	len = snprintf(buf, sizeof(buf), "%d\n", node);
	fd = open(opt.goto_path, O_WRONLY);
	if (fd < 0) {
		r = -errno;
		hold_regs(&rin, &rout, -1, NULL, 0, 1);	/* registers still checked */
		return (int)r;
	}
	t0 = now();
	r = hold_regs(&rin, &rout, fd, buf, len, 0);
	*ms = (now() - t0) * 1000;
	close(fd);
	if (r == len)
		return 0;
	return r < 0 ? (int)r : -EIO;
}

static int errno_by_name(const char *s)
{
	static const struct { const char *name; int err; } t[] = {
		{ "EINVAL", EINVAL }, { "EHOSTUNREACH", EHOSTUNREACH },
		{ "ECONNREFUSED", ECONNREFUSED }, { "ETIMEDOUT", ETIMEDOUT },
		{ "EHOSTDOWN", EHOSTDOWN }, { "EOPNOTSUPP", EOPNOTSUPP },
		{ "EBUSY", EBUSY }, { "EINTR", EINTR }, { "EPERM", EPERM },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(s, t[i].name))
			return t[i].err;
	return 0;
}

static void start_step(const char *word, int n, int node)
{
	step_word = word;
	step = n;
	step_node = node;
	step_failed = 0;
}

static void hop(int n, int node)
{
	int err, want_where, here = read_long("/proc/self/where");
	uint32_t mxcsr;
	uint16_t fcw;
	double ms = 0;

	start_step("hop", n, node);
	round_idx = n % 4;
	fesetround(round_modes[round_idx]);
	mxcsr = get_mxcsr();
	fcw = get_fcw();
	make_regs(n);
	prepare_io(n);

	err = goto_node(node, &ms);

	want_where = node == 0 || node == home ? 0 : node;
	if (opt.experr || opt.expdown) {
		int ok = opt.expdown ?
			(err == -ECONNREFUSED || err == -ETIMEDOUT || err == -EHOSTDOWN) :
			err == -opt.experr;

		checkv(ok, "goto refused", "%s (%d)", err ? strerror(-err) : "succeeded", -err);
		want_where = here;	/* must still be where it was */
	} else {
		check(!err, "goto", "%s (errno %d)", strerror(-err), -err);
		if (err)
			want_where = here;
	}
	check_all(n, want_where, mxcsr, fcw);
	touch_memory(n);
	if (opt.quiet && !step_failed)
		printf("hop %d -> node %d: ok (%.1f ms)\n", n, node, ms);
	else if (!opt.quiet)
		printf("hop %d -> node %d: ok goto took %.1f ms (realtime clocks of two nodes)\n",
		       n, node, ms);
	fflush(stdout);
}

static long calibrate_spin(void)
{
	long spin = 1 << 20;
	double t0 = now(), t;

	hold_regs(&rin, &rout, -1, NULL, 0, spin);
	t = now() - t0;
	if (t <= 0)
		t = 1e-3;
	spin = (long)(spin * 0.02 / t);	/* about 20 ms */
	return spin < 1000 ? 1000 : spin;
}

static void wait_moves(void)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	double end = now() + opt.secs, last_alive = 0;
	int moves = 0, where = read_long("/proc/self/where"), w, rounds = 0;
	long spin;
	uint32_t mxcsr;
	uint16_t fcw;

	start_step("move", 0, where);
	make_regs(1000);
	spin = calibrate_spin();
	mxcsr = get_mxcsr();
	fcw = get_fcw();
	prepare_io(1000);
	say("alive %d", where);
	last_alive = now();
	while (!got_usr2 && now() < end) {
		make_regs(1000 + rounds);
		hold_regs(&rin, &rout, -1, NULL, 0, spin);
		rounds++;
		w = read_long("/proc/self/where");
		if (w != where) {
			moves++;
			start_step("move", moves, w ? w : home);
			check_all(1000 + moves - 1, NO_NODE, mxcsr, fcw);
			touch_memory(1000 + moves);
			prepare_io(1000 + moves);
			where = w;
			say("alive %d", where);
			last_alive = now();
		} else {
			int g, v, x;

			if (regs_bad(mxcsr, fcw, &g, &v, &x)) {
				check_regs(mxcsr, fcw);
				say("registers changed while spinning at node %d", w);
			}
			if (now() - last_alive >= 5) {
				say("alive %d", where);
				last_alive = now();
			}
		}
		if (got_usr1) {
			got_usr1 = 0;
			say("signal SIGUSR1 at node %d", node_now());
		}
		nanosleep(&nap, NULL);
	}
	say("waited: %d moves, %d spins, now at %d", moves, rounds, where);
	/* Leave the pipe empty for the end. */
	{
		char msg[PIPE_MSG];

		if (read(pipe_fd[0], msg, sizeof(msg)) != PIPE_MSG)
			check(0, "pipe", "bytes from the last move missing");
	}
}

/* ---- setup ---- */

static void *idle_thread(void *arg)
{
	pause();
	return NULL;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: migtest [-m MIB] [-h N,N,...] [-w] [-t SECS] [-x CODE] [-k SIG]\n"
		"               [-e ERRNAME|down] [-T] [-S] [-q] [-F FILE]\n"
		"  -h  hop list, 0 = home        -w  wait to be moved from outside\n"
		"  -x  exit code if all passed   -k  end by raising this signal\n"
		"  -e  every goto must fail so   -T/-S  a thread / shared memory first\n");
	exit(2);
}

static int parse_int(const char *s, int min, int max)
{
	long v;

	if (parse_num(s, min, max, &v))
		usage();
	return (int)v;
}

static void parse_hops(char *s)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (opt.nhops == MAX_HOPS)
			usage();
		opt.hops[opt.nhops++] = !strcmp(tok, "home") ? 0 : parse_int(tok, 0, 65535);
	}
	if (!opt.nhops)
		usage();
}

static int detect_avx(void)
{
	unsigned int a, b, c, d, lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	if (!(c & bit_OSXSAVE) || !(c & bit_AVX))
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (lo & 6) == 6;
}

int main(int argc, char **argv)
{
	uint64_t stack_area[STACK_WORDS];
	pthread_t th;
	int o, i;
	size_t k;

	while ((o = getopt(argc, argv, "m:h:wt:x:k:e:TSqF:G:")) != -1) {
		switch (o) {
		case 'm':
			opt.mib = parse_int(optarg, 1, 4096);
			break;
		case 'h':
			parse_hops(optarg);
			break;
		case 'w':
			opt.wait = 1;
			break;
		case 't':
			opt.secs = parse_int(optarg, 1, 86400);
			break;
		case 'x':
			opt.xcode = parse_int(optarg, 0, 255);
			break;
		case 'k':
			opt.ksig = parse_int(optarg, 1, 64);
			break;
		case 'e':
			if (!strcmp(optarg, "down"))
				opt.expdown = 1;
			else
				opt.experr = errno_by_name(optarg);
			if (!opt.expdown && !opt.experr)
				usage();
			break;
		case 'T':
			opt.threads = 1;
			break;
		case 'S':
			opt.shared = 1;
			break;
		case 'q':
			opt.quiet = 1;
			break;
		case 'F':
			opt.path = optarg;
			break;
		case 'G':	/* testing: -G /dev/null */
			opt.goto_path = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	home = (int)read_long("/proc/hpc/admin/mospe");
	have_avx = detect_avx();
	if (read_long("/proc/self/where") != 0)
		say("migtest: warning: not started at home (where %ld)",
		    read_long("/proc/self/where"));

	mem = mmap(NULL, (size_t)opt.mib << 20, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stripe_seed = calloc(opt.mib, sizeof(*stripe_seed));
	brk_block = malloc(BRK_SIZE);
	if (mem == MAP_FAILED || !stripe_seed || !brk_block) {
		perror("migtest: memory");
		return 1;
	}
	for (k = 0; k < (size_t)opt.mib; k++)
		fill_stripe(k, seed_of(k, 0xfeed));
	{
		uint64_t s = 0xb4c;

		for (k = 0; k < BRK_SIZE / 8; k++)
			brk_block[k] = xorshift64(&s);
	}
	stack_block = stack_area;
	fill_stack();
	make_round_table();
	setup_process();
	if (setup_file())
		return 1;
	if (opt.threads && pthread_create(&th, NULL, idle_thread, NULL)) {
		perror("migtest: thread");
		return 1;
	}
	if (opt.shared) {
		volatile char *sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (sh == MAP_FAILED) {
			perror("migtest: shared memory");
			return 1;
		}
		sh[0] = 1;
	}
	say("migtest: pid %d home %d mem %d MiB avx %s hops %d",
	    (int)getpid(), home, opt.mib, have_avx ? "yes" : "no", opt.nhops);

	for (i = 0; i < opt.nhops; i++)
		hop(i + 1, opt.hops[i]);
	if (opt.wait)
		wait_moves();

	/* The end: everything once more, wherever it is now. */
	start_step("end", opt.nhops + 1, node_now());
	check_memory();
	check_file_end();
	check_process();
	fesetround(FE_TONEAREST);
	sigprocmask(SIG_UNBLOCK, &want_mask, NULL);
	check(got_winch == 1, "pending signal delivered", "SIGWINCH handler ran %d times",
	      got_winch);
	close(file_fd);
	unlink(opt.path);

	if (failures) {
		say("migtest: %d checks FAILED", failures);
		return 1;
	}
	say("migtest: all ok at node %d, %s", node_now(),
	    opt.ksig ? "raising signal" : "exiting");
	if (opt.ksig) {
		sigset_t m;

		signal(opt.ksig, SIG_DFL);
		sigemptyset(&m);
		sigaddset(&m, opt.ksig);
		sigprocmask(SIG_UNBLOCK, &m, NULL);
		raise(opt.ksig);
		say("migtest: still alive after signal %d", opt.ksig);
		return 1;
	}
	return opt.xcode;
}
