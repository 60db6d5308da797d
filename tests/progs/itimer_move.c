// SPDX-License-Identifier: GPL-2.0
/*
 * itimer_move: a process with a fast interval timer moves away and home.
 *
 *   itimer_move NODE ROUNDS
 *
 * Arms ITIMER_REAL every millisecond (SIGALRM handled, counted), then
 * ROUNDS times moves to NODE and back home by writing /proc/self/goto.
 * The timer stays at home with the deputy, whose SIGALRMs come while the
 * image comes back: every move must still succeed.  Prints "ok ROUNDS
 * round trips, N alarms" or "FAIL ..." (exit 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "mosctl.h"
#include "prog_util.h"

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	long rounds, node, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3 || parse_num(argv[1], 1, MOSCTL_NODE_MAX, &node) ||
	    parse_num(argv[2], 1, 1000, &rounds)) {
		fprintf(stderr, "usage: itimer_move NODE ROUNDS\n");
		return 2;
	}
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (i = 0; i < rounds; i++) {
		if (mosctl_goto((int)node)) {
			printf("FAIL round %ld: goto %s: %s\n", i, argv[1], strerror(errno));
			return 1;
		}
		if (mosctl_goto_home()) {
			printf("FAIL round %ld: goto home: %s\n", i, strerror(errno));
			return 1;
		}
	}
	printf("ok %ld round trips, %ld alarms\n", rounds, (long)alarms);
	return 0;
}
