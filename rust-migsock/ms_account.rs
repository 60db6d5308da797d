// SPDX-License-Identifier: GPL-2.0

//! What one user may hold: migsock sockets are counted per user (real uid)
//! on each node, so that an unprivileged loop opening them meets a bound
//! of its own, well before the node runs out of memory; descriptor numbers
//! of the thesis API are bounded by the process's `RLIMIT_NOFILE`, as
//! `dup2()`'s are.
//!
//! A connection accepted from a listener counts against the listener's
//! user.  Sockets that arrive with a migrating process (MIGTOYOU, sent only
//! by nodes holding the cluster key) and the metasockets are not counted:
//! the MIGTOYOU does not say whose they are, and they left a node where
//! they were counted.

use kernel::{
    bindings,
    prelude::*,
    rbtree::{
        RBTree,
        RBTreeNodeReservation, //
    },
    seq_file::SeqFile,
    seq_print,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
};

/// Sockets (listeners, connections, accepted connections) one user may
/// hold on a node; beyond it opening one fails with `ENOBUFS`.  A
/// connection's queues take about 130 KiB: 1024 of them about 135 MiB.
/// Users with `CAP_SYS_RESOURCE` are not bounded.
pub(crate) const USER_MAX_SOCKS: u32 = 1024;

/// Sockets refused for their user's bound.
static REFUSED: Atomic<u64> = Atomic::new(0);

/// Counts by uid; only users with a socket have an entry.
pub(crate) struct UsersSlot {
    counts: Option<RBTree<u32, u32>>,
}

kernel::sync::global_lock! {
    // SAFETY: `init()` runs from the initcall, before any other use.
    pub(crate) unsafe(uninit) static USERS: SpinLock<UsersSlot> = UsersSlot { counts: None };
}

/// Initialises the counts; called once, from the initcall.
pub(crate) fn init() -> Result {
    // SAFETY: called exactly once, from the initcall, before any user of `USERS`.
    unsafe { USERS.init() };
    USERS.lock().counts = Some(RBTree::new());
    Ok(())
}

/// One socket counted against its user; uncounted when dropped.
pub(crate) struct UserCharge {
    /// The user, or `None` for a socket that is not counted.
    uid: Option<u32>,
}

impl UserCharge {
    /// A socket counted against no one (kernel-side sockets, arrivals).
    pub(crate) const NONE: UserCharge = UserCharge { uid: None };

    /// Counts a new socket against the calling process's user: `ENOBUFS`
    /// past [`USER_MAX_SOCKS`], unless it has `CAP_SYS_RESOURCE`.
    pub(crate) fn current() -> Result<UserCharge> {
        // SAFETY: `capable` only reads the current task's credentials.
        if unsafe { bindings::capable(bindings::CAP_SYS_RESOURCE as c_int) } {
            return Ok(UserCharge::NONE);
        }
        let uid = current!().uid().into_raw().val;
        Self::charge(uid)
    }

    /// Counts one more socket against the same user as `self` (an
    /// accepted connection against its listener's user).
    pub(crate) fn another(&self) -> Result<UserCharge> {
        match self.uid {
            None => Ok(UserCharge::NONE),
            Some(uid) => Self::charge(uid),
        }
    }

    fn charge(uid: u32) -> Result<UserCharge> {
        // The entry is allocated before the spinlock is taken.
        let res = RBTreeNodeReservation::new(GFP_KERNEL)?;
        let mut g = USERS.lock();
        let counts = g.counts.as_mut().ok_or(ENODEV)?;
        if let Some(n) = counts.get_mut(&uid) {
            if *n >= USER_MAX_SOCKS {
                REFUSED.fetch_add(1, Relaxed);
                return Err(ENOBUFS);
            }
            *n += 1;
        } else {
            // A new key: nothing is displaced.
            let _ = counts.insert(res.into_node(uid, 1));
        }
        Ok(UserCharge { uid: Some(uid) })
    }
}

impl Drop for UserCharge {
    fn drop(&mut self) {
        let Some(uid) = self.uid else {
            return;
        };
        let mut g = USERS.lock();
        let Some(counts) = g.counts.as_mut() else {
            return;
        };
        let gone = match counts.get_mut(&uid) {
            Some(n) => {
                *n = n.saturating_sub(1);
                *n == 0
            }
            None => false,
        };
        // The node is freed after the lock is let go.
        let node = if gone { counts.remove_node(&uid) } else { None };
        drop(g);
        drop(node);
    }
}

/// `/proc/hpc/migsock/stats`: the users holding counted sockets, and the
/// sockets refused for the bound.
pub(crate) fn show_stats(m: &SeqFile) {
    let (users, socks) = {
        let g = USERS.lock();
        g.counts.as_ref().map_or((0, 0), |c| {
            c.values()
                .fold((0u32, 0u32), |(u, s), n| (u + 1, s.saturating_add(*n)))
        })
    };
    seq_print!(
        m,
        "user_socks {}\nusers_with_socks {}\nuser_limit_refused {}\n",
        socks,
        users,
        REFUSED.load(Relaxed)
    );
}

/// The calling process's `RLIMIT_NOFILE` (soft): its largest descriptor
/// number plus one, for the thesis API's descriptors too.
pub(crate) fn nofile_limit() -> usize {
    let task = current!();
    // SAFETY: the current task and its `signal` are live for the call;
    // `rlim` is read as `rlimit()` does, one word, racing only with
    // setrlimit(), which stores whole words.
    unsafe {
        let sig = (*task.as_ptr()).signal;
        core::ptr::read_volatile(&raw const (*sig).rlim[bindings::RLIMIT_NOFILE as usize].rlim_cur)
    }
}
