// SPDX-License-Identifier: GPL-2.0

//! The process table (thesis figure 4.5, `struct ms_task`).
//!
//! A process that has called `ms_init()` has an entry keyed by its home node
//! and its pid at home, so two processes from different home nodes may share
//! a pid (and later, socket descriptor numbers) on one node.  The entry goes
//! when the process exits.

use kernel::{
    bindings,
    prelude::*,
    rbtree::RBTree,
    seq_file::SeqFile,
    seq_print,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
    task::{
        Pid,
        Task, //
    },
};

/// Key of a process: (home node, pid at home).
pub(crate) type TaskKey = (u16, Pid);

/// What migsock knows of one process (`struct ms_task`).
pub(crate) struct MsTask {
    /// Node the process runs on now.
    cnode: u16,
    /// Node it ran on before its last migration (0: none yet).
    prev_node: u16,
    /// Migratable sockets it owns.
    socks_count: u32,
}

pub(crate) struct TaskTable {
    /// Created at `init()`: `RBTree::new` is not `const`.
    tasks: Option<RBTree<TaskKey, MsTask>>,
}

kernel::sync::global_lock! {
    // SAFETY: `init()` runs from the initcall, before any other use.
    pub(crate) unsafe(uninit) static TASKS: Mutex<TaskTable> = TaskTable { tasks: None };
}

/// Entries in `TASKS`; lets the exit hook skip the lock when there are none.
static NR_TASKS: Atomic<u32> = Atomic::new(0);

/// Initialises the tables; called once, from the initcall.
pub(crate) fn init() -> Result {
    // SAFETY: called exactly once, from the initcall, before any user of `TASKS`.
    unsafe { TASKS.init() };
    TASKS.lock().tasks = Some(RBTree::new());
    Ok(())
}

/// This node's number, from hpc.
pub(crate) fn this_node() -> u16 {
    // SAFETY: `hpc_this_node` only reads a word.
    unsafe { bindings::hpc_this_node() }
}

/// Key of `task`: until hpc migration exists every process is at home.
fn key_of(task: &Task) -> TaskKey {
    (this_node(), task.tgid())
}

/// `ms_init()` for the calling process: gives it an `ms_task` entry.
///
/// Calling it again is harmless.  Fails with `ENODEV` while this node has no
/// number, since sockets are named by home node.
pub(crate) fn register_current() -> Result {
    let node = this_node();
    if node == 0 {
        return Err(ENODEV);
    }
    let key = key_of(current!());
    let mut guard = TASKS.lock();
    let tasks = guard.tasks.as_mut().ok_or(ENODEV)?;
    if tasks.get(&key).is_some() {
        return Ok(());
    }
    let entry = MsTask {
        cnode: node,
        prev_node: 0,
        socks_count: 0,
    };
    tasks.try_create_and_insert(key, entry, GFP_KERNEL)?;
    NR_TASKS.fetch_add(1, Relaxed);
    Ok(())
}

/// Forgets an exiting process.
pub(crate) fn unregister(task: &Task) {
    if NR_TASKS.load(Relaxed) == 0 {
        return;
    }
    let key = key_of(task);
    let mut guard = TASKS.lock();
    if let Some(tasks) = guard.tasks.as_mut() {
        if tasks.remove(&key).is_some() {
            NR_TASKS.fetch_sub(1, Relaxed);
        }
    }
}

/// Writes the table, one process per line, for `/proc/hpc/migsock/tasks`.
pub(crate) fn show_tasks(m: &SeqFile) {
    seq_print!(m, "hnode pid cnode prev_node socks\n");
    let guard = TASKS.lock();
    if let Some(tasks) = guard.tasks.as_ref() {
        for ((hnode, pid), t) in tasks.iter() {
            seq_print!(
                m,
                "{} {} {} {} {}\n",
                hnode,
                pid,
                t.cnode,
                t.prev_node,
                t.socks_count
            );
        }
    }
}
