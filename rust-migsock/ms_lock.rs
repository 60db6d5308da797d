// SPDX-License-Identifier: GPL-2.0

//! The recursive socket lock (thesis section 4.2, figure 4.4).
//!
//! The thesis's socket lock lets the task that holds it take it again and
//! puts everyone else to sleep; a task sleeping on the socket (for data,
//! room, a connection) gives it up first and takes it back on waking.  A
//! Rust guard that handed out `&mut` could not be re-entered soundly, so
//! [`RecLock`] guards no data: it only says which task operates on the
//! socket (a system call of the owning process, its exit, migration in its
//! context).  The socket's fields live behind their own short,
//! non-recursive `Mutex`, never held across a re-entry.

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

/// Proof of holding a [`RecLock`]; dropping it releases one level.  Not
/// `Send`: the level belongs to the task that took it.
pub(crate) struct RecGuard<'a> {
    lock: &'a RecLock,
    _not_send: core::marker::PhantomData<*mut ()>,
}

/// How deep the current task held a lock it gave up to sleep.
pub(crate) struct Suspended(u32);

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
        self.take(1);
        RecGuard {
            lock: self,
            _not_send: core::marker::PhantomData,
        }
    }

    /// Waits until the lock is free or ours and adds `depth` levels.
    fn take(&self, depth: u32) {
        let me = Task::current_raw() as usize;
        let mut g = self.owner.lock();
        while g.task != 0 && g.task != me {
            self.released.wait(&mut g);
        }
        g.task = me;
        g.depth = g.depth.saturating_add(depth);
    }

    /// Gives up every level the current task holds, before it sleeps on the
    /// socket; [`RecLock::resume`] takes them back.
    pub(crate) fn suspend(&self) -> Suspended {
        let mut g = self.owner.lock();
        if g.task != Task::current_raw() as usize {
            return Suspended(0);
        }
        let depth = core::mem::replace(&mut g.depth, 0);
        g.task = 0;
        drop(g);
        self.released.notify_all();
        Suspended(depth)
    }

    /// Takes back what [`RecLock::suspend`] gave up.  Call with no other
    /// lock of the socket held.
    pub(crate) fn resume(&self, s: Suspended) {
        if s.0 != 0 {
            self.take(s.0);
        }
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
