/* SPDX-License-Identifier: LGPL-2.1 */
/*
 * libmosctl: process placement through hpc's /proc files, with the helpers
 * of the migratable-sockets thesis (appendix C, test_common.h) plus the
 * per-PID calls the commands (migrate, mosctl, mps, setpe) are built on.
 *
 * Node numbers are 1..HPC_NODE_MAX; as a goto target, 0 (HPC_NODE_HOME)
 * means "the process's home node".  Every function that can fail returns
 * -1 with errno set; nothing prints.  The thesis's versions returned
 * unsigned short / void and printed on error; ours report instead.
 *
 * The thesis helpers work on the calling process through /proc/self, so
 * they stay correct after a migration (on a remote node /proc/self is the
 * process's local pid there).
 */
#ifndef __MOSCTL_H__
#define __MOSCTL_H__

#include <stddef.h>
#include <sys/types.h>

/* Where the files are (overridable, for testing the library off-cluster). */
#ifndef MOSCTL_PROC_MOSPE
#define MOSCTL_PROC_MOSPE	"/proc/hpc/admin/mospe"
#endif
#ifndef MOSCTL_PROC_MAP
#define MOSCTL_PROC_MAP		"/proc/hpc/admin/map"
#endif
#ifndef MOSCTL_PROC_REMOTE
#define MOSCTL_PROC_REMOTE	"/proc/hpc/remote"
#endif
#ifndef MOSCTL_PROC_DEPUTY
#define MOSCTL_PROC_DEPUTY	"/proc/hpc/deputy"
#endif

#define MOSCTL_NODE_HOME	0
#define MOSCTL_NODE_MAX		65535

/* ---- the thesis's test_common helpers (calling process) ---- */

/*
 * mosctl_init - prepare the calling process, as the thesis's did: set its
 * lock ("stay": no automatic migration; explicit gotos still work) and
 * remember its home node.  May be called on any node.  0 or -1/errno.
 */
int mosctl_init(void);

/*
 * mosctl_get_home_node - the calling process's home node number (>= 1):
 * this node's number when it runs at home, else the home node listed for
 * its local pid in /proc/hpc/remote.  Cached by mosctl_init().  -1/errno
 * (ENODEV: this node has no number yet).
 */
int mosctl_get_home_node(void);

/* mosctl_lock / mosctl_unlock - write 1 / 0 to /proc/self/lock. 0 or -1. */
int mosctl_lock(void);
int mosctl_unlock(void);

/*
 * mosctl_goto - move the calling process to @node (0 or its home node's
 * number: go home).  Returns 0 on the target node after the move, or -1
 * with the kernel's errno, the process still where it was:
 *   EINVAL        node out of range
 *   EHOSTUNREACH  node not in the node map
 *   ECONNREFUSED, ETIMEDOUT, EHOSTDOWN  target down or refusing
 *   EOPNOTSUPP    the process cannot move (threads, shared writable memory,
 *                 a mapping that cannot be moved)
 *   EBUSY         held by migsock for too long, or moving already
 *   EINTR         interrupted by a signal
 *   EPERM         not allowed
 * Unlike the thesis's, it does not unlock around the write: an explicit
 * goto works on a locked process, and the lock stays as it was.
 */
int mosctl_goto(int node);
#define mosctl_goto_home()	mosctl_goto(MOSCTL_NODE_HOME)

/*
 * mosctl_get_cur_node - the node number the calling process runs on now
 * (never 0: at home it is the home node's number).  -1/errno.
 */
int mosctl_get_cur_node(void);

/* ---- any process (pid 0 = the calling process, via /proc/self) ---- */

/* mosctl_this_node - this node's number (/proc/hpc/admin/mospe), 0 if unset. */
int mosctl_this_node(void);

/* mosctl_where - /proc/PID/where: 0 at home, else the node it runs on. */
int mosctl_where(pid_t pid);

/* mosctl_get_lock / mosctl_set_lock - /proc/PID/lock (0 or 1). */
int mosctl_get_lock(pid_t pid);
int mosctl_set_lock(pid_t pid, int on);

/*
 * mosctl_pending - read /proc/PID/goto: *target gets the node a goto is
 * still waiting to reach, or -1 if none.  0 or -1/errno.
 */
int mosctl_pending(pid_t pid, int *target);

/*
 * mosctl_migrate - write @node to /proc/PID/goto.  For the calling process
 * this returns after the move; for another one it may return as soon as
 * the kernel accepted the request (see mosctl_wait_where()).  Errors as for
 * mosctl_goto(), plus ENOENT/ESRCH: no such process on this node.
 */
int mosctl_migrate(pid_t pid, int node);

/*
 * mosctl_home_of - home node and home pid of the process whose pid on this
 * node is @pid: from /proc/hpc/remote if it is a guest here, else this
 * node and @pid.  Either pointer may be NULL.  Returns 1 if it is a guest,
 * 0 if it is local, -1/errno.
 */
int mosctl_home_of(pid_t pid, int *home_node, pid_t *home_pid);

/*
 * mosctl_expected_where - what /proc/PID/where should read once a process
 * with home node @home has gone to @node: 0 if @node is 0 or @home.
 */
static inline int mosctl_expected_where(int node, int home)
{
	return (node == MOSCTL_NODE_HOME || node == home) ? 0 : node;
}

/*
 * mosctl_wait_where - poll PID until no goto is pending and where reads
 * @want, for at most @timeout_ms.  0 when there; -1 with ETIMEDOUT if not,
 * with ESRCH if the process left this node (a guest moving on), else the
 * errno of the failing read.
 */
int mosctl_wait_where(pid_t pid, int want, int timeout_ms);

/* mosctl_strerror - what an errno means for a goto, in words. */
const char *mosctl_strerror(int err);

/* ---- small /proc helpers ---- */

/* Read one decimal integer from a file (leading blanks allowed). */
int mosctl_read_int(const char *path, long *val);
/* Write "VAL\n" to a file in one write(); 0 or -1/errno. */
int mosctl_write_int(const char *path, long val);
/* The path of /proc/PID/NAME (/proc/self/NAME for pid 0) into buf. */
const char *mosctl_proc_path(char *buf, size_t len, pid_t pid, const char *name);

#endif /* __MOSCTL_H__ */
