// SPDX-License-Identifier: GPL-2.0

//! The recursive socket lock (thesis section 4.2, figure 4.4).
//!
//! The thesis's socket lock lets the task that holds it take it again and
//! puts everyone else to sleep.  A Rust guard that handed out `&mut` could
//! not be re-entered soundly, so [`RecLock`] guards no data: it only says
//! who owns the socket (a system call of the owning process, or migration
//! running in that process's context).  The socket's fields live behind
//! their own short, non-recursive `Mutex` that is never held across a
//! re-entry.

use kernel::{
    new_condvar, new_mutex,
    prelude::*,
    sync::{
        CondVar,
        Mutex, //
    },
    task::Task,
};

struct Owner {
    /// `task_struct` address of the owner; 0 when free.  Only compared.
    task: usize,
    /// How many times the owner holds the lock.
    depth: u32,
}

/// A lock the holding task may take again.
#[pin_data]
pub(crate) struct RecLock {
    #[pin]
    owner: Mutex<Owner>,
    #[pin]
    released: CondVar,
}

/// Proof of holding a [`RecLock`]; dropping it releases one level.
pub(crate) struct RecGuard<'a> {
    lock: &'a RecLock,
}

impl RecLock {
    /// An unlocked lock.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            owner <- new_mutex!(Owner { task: 0, depth: 0 }, "RecLock::owner"),
            released <- new_condvar!("RecLock::released"),
        })
    }

    /// Takes the lock: at once if free or already ours, else sleeps
    /// (uninterruptibly: holders only keep it for the length of a call).
    pub(crate) fn lock(&self) -> RecGuard<'_> {
        let me = Task::current_raw() as usize;
        let mut g = self.owner.lock();
        while g.task != 0 && g.task != me {
            self.released.wait(&mut g);
        }
        g.task = me;
        g.depth = g.depth.saturating_add(1);
        RecGuard { lock: self }
    }
}

impl Drop for RecGuard<'_> {
    fn drop(&mut self) {
        let mut g = self.lock.owner.lock();
        g.depth = g.depth.saturating_sub(1);
        if g.depth == 0 {
            g.task = 0;
            drop(g);
            self.lock.released.notify_all();
        }
    }
}
