// SPDX-License-Identifier: GPL-2.0
/*
 * ms_smoke: the sys_migsock() plumbing, through libmigsock.
 *
 * ms_init() succeeds and registers the process in /proc/hpc/migsock/tasks;
 * an unknown call is EINVAL whatever args is; a bad args pointer is EFAULT;
 * the calls are reached once their arguments are in.  Prints one line per check
 * and exits 1 if any failed.  With "wait", it then sleeps until killed, so
 * the caller can see the table entry go when it exits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ms_calls.h"

static int failed;

static void check(const char *what, int ok)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	if (!ok)
		failed = 1;
}

static int fails_with(long ret, int err)
{
	return ret == -1 && errno == err;
}

static int registered(void)
{
	char line[256], me[64];
	FILE *f = fopen("/proc/hpc/migsock/tasks", "r");
	int n = 0;
	unsigned int node = 0;
	FILE *m = fopen("/proc/hpc/admin/mospe", "r");

	if (m) {
		if (fscanf(m, "%u", &node) != 1)
			node = 0;
		fclose(m);
	}
	snprintf(me, sizeof(me), "%u %d ", node, getpid());
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, me, strlen(me)) == 0)
			n++;
	fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	unsigned long args[MSC_MAX_ARGS] = { 0 };
	long page = sysconf(_SC_PAGESIZE);
	char *two;
	unsigned long *edge;

	check("not registered before ms_init()", registered() == 0);
	check("ms_init() returns 0", ms_init() == 0);
	check("registered once in /proc/hpc/migsock/tasks", registered() == 1);
	check("ms_init() again returns 0", ms_init() == 0);
	check("still registered once", registered() == 1);

	check("call 12 is EINVAL", fails_with(migsock(MSC_MAX + 1, args), EINVAL));
	check("call -1 is EINVAL", fails_with(migsock(-1, args), EINVAL));
	check("call 1000 with NULL args is EINVAL", fails_with(migsock(1000, NULL), EINVAL));
	check("unknown call with a bad pointer is EINVAL",
	      fails_with(migsock(99, (unsigned long *)8), EINVAL));

	check("MSC_CLOSE with NULL args is EFAULT", fails_with(migsock(MSC_CLOSE, NULL), EFAULT));
	check("MSC_CONNECT with args at 0x8 is EFAULT",
	      fails_with(migsock(MSC_CONNECT, (unsigned long *)8), EFAULT));
	check("MSC_SEND with a kernel address is EFAULT",
	      fails_with(migsock(MSC_SEND, (unsigned long *)0xffff888000000000UL), EFAULT));

	/* Args whose last slots fall off the end of the mapping. */
	two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (two == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	munmap(two + page, page);
	edge = (unsigned long *)(two + page) - 3;
	check("MSC_CONNECT (5 args) with 3 readable is EFAULT",
	      fails_with(migsock(MSC_CONNECT, edge), EFAULT));
	check("MSC_LISTEN (3 args) with 3 readable reaches the call (port 0: EINVAL)",
	      fails_with(migsock(MSC_LISTEN, edge), EINVAL));
	check("ms_close() of a descriptor never opened is EBADF",
	      fails_with(ms_close(3), EBADF));

	if (argc > 1 && strcmp(argv[1], "wait") == 0) {
		printf("pid %d\n", getpid());
		fflush(stdout);
		pause();
	}
	return failed;
}
