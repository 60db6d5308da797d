// SPDX-License-Identifier: GPL-2.0

//! The node's tables (thesis `ms_data.c`, figure 4.5): connected sockets by
//! cluster-wide name, listeners by (port, home node), and processes
//! (`struct ms_task`) by (home node, pid at home) with their descriptors.
//!
//! Names carry home nodes, so processes with different home nodes may use
//! the same ports, pids and descriptor numbers on one node.

use kernel::{
    bindings,
    prelude::*,
    rbtree::RBTree,
    seq_file::SeqFile,
    seq_print,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
    },
    task::{
        Pid,
        Task, //
    },
};

use crate::ms_sock::{
    ListenKey,
    MsSock,
    SockKey, //
};

/// Key of a process: (home node, pid at home).
pub(crate) type TaskKey = (u16, Pid);

/// Largest descriptor number a process may ask for.
pub(crate) const MAX_FD: i64 = 65535;

/// What migsock knows of one process (`struct ms_task`).
pub(crate) struct MsTask {
    /// Node the process runs on now.
    pub(crate) cnode: u16,
    /// Node it ran on before its last migration (0: none yet).
    pub(crate) prev_node: u16,
    /// Its sockets by descriptor.
    pub(crate) fds: RBTree<i32, Arc<MsSock>>,
    /// Its sockets arrived by MIGTOYOU at this time (ms) and the process
    /// itself has not yet (hpc's inbound hook clears it).
    pub(crate) unclaimed_since: Option<u64>,
}

/// The old copy of a socket whose process migrated away: it answers stray
/// segments with the migration signal until MIGACKED (thesis 4.5.3).
#[derive(Clone, Copy)]
pub(crate) struct MovedEntry {
    /// Where the socket went.
    pub(crate) node: u16,
    /// Its epoch there.
    pub(crate) epoch: u16,
    /// When it left (ms), to forget it if MIGACKED never comes.
    pub(crate) since: u64,
}

/// A listener of a process of this home node that runs elsewhere: SYNs for
/// it are redirected to `cnode` (thesis: listeners tracked at home).
#[derive(Clone, Copy)]
pub(crate) struct Redirect {
    /// Node the listening process runs on.
    pub(crate) cnode: u16,
    /// Its pid on this (its home) node.
    pub(crate) pid: Pid,
    /// The listener's migration epoch there: older news is ignored.
    pub(crate) epoch: u16,
    /// On a node the listener left that is not its home: forwards SYNs
    /// until this time (ms), the thesis's 30 s, then goes.  `None` at home.
    pub(crate) until: Option<u64>,
}

/// Everything the node knows, under one lock.
pub(crate) struct Tables {
    pub(crate) socks: RBTree<SockKey, Arc<MsSock>>,
    pub(crate) listeners: RBTree<ListenKey, Arc<MsSock>>,
    pub(crate) tasks: RBTree<TaskKey, MsTask>,
    pub(crate) moved: RBTree<SockKey, MovedEntry>,
    pub(crate) redirects: RBTree<ListenKey, Redirect>,
}

/// Created at `init()`: `RBTree::new` is not `const`.
pub(crate) struct TablesSlot {
    pub(crate) t: Option<Tables>,
}

kernel::sync::global_lock! {
    // SAFETY: `init()` runs from the initcall, before any other use.
    pub(crate) unsafe(uninit) static TABLES: Mutex<TablesSlot> = TablesSlot { t: None };
}

/// Entries in `tasks`; lets the exit hook skip the lock when there are none.
static NR_TASKS: Atomic<u32> = Atomic::new(0);

/// Initialises the tables; called once, from the initcall.
pub(crate) fn init() -> Result {
    // SAFETY: called exactly once, from the initcall, before any user of `TABLES`.
    unsafe { TABLES.init() };
    TABLES.lock().t = Some(Tables {
        socks: RBTree::new(),
        listeners: RBTree::new(),
        tasks: RBTree::new(),
        moved: RBTree::new(),
        redirects: RBTree::new(),
    });
    Ok(())
}

/// Runs `f` on the tables (`ENODEV` before `init()`).
pub(crate) fn with_tables<R>(f: impl FnOnce(&mut Tables) -> Result<R>) -> Result<R> {
    let mut g = TABLES.lock();
    let t = g.t.as_mut().ok_or(ENODEV)?;
    f(t)
}

/// This node's number, from hpc.
pub(crate) fn this_node() -> u16 {
    // SAFETY: `hpc_this_node` only reads a word.
    unsafe { bindings::hpc_this_node() }
}

/// Key of `task`: its home node and its pid there.
pub(crate) fn key_of(task: &Task) -> TaskKey {
    let mut node: u16 = 0;
    let mut pid: bindings::pid_t = 0;
    // SAFETY: `task` is valid for the call; the outputs are locals.
    unsafe { bindings::hpc_home_of(task.as_ptr(), &mut node, &mut pid) };
    (node, pid)
}

/// Key of the calling process.
pub(crate) fn current_key() -> TaskKey {
    key_of(current!())
}

/// `ms_init()` for the calling process: gives it an `ms_task` entry.
///
/// Calling it again is harmless.  Fails with `ENODEV` while this node has no
/// number, since sockets are named by home node.
pub(crate) fn register_current() -> Result<TaskKey> {
    let node = this_node();
    if node == 0 {
        return Err(ENODEV);
    }
    let key = current_key();
    if key.0 == 0 {
        return Err(ENODEV);
    }
    with_tables(|t| register(t, key, node))?;
    Ok(key)
}

/// Adds `key` to the process table unless it is there.
pub(crate) fn register(t: &mut Tables, key: TaskKey, cnode: u16) -> Result {
    if t.tasks.get(&key).is_some() {
        return Ok(());
    }
    let entry = MsTask {
        cnode,
        prev_node: 0,
        fds: RBTree::new(),
        unclaimed_since: None,
    };
    t.tasks.try_create_and_insert(key, entry, GFP_KERNEL)?;
    NR_TASKS.fetch_add(1, Relaxed);
    Ok(())
}

/// Removes a process's entry; its sockets come with it.
pub(crate) fn take_task(key: TaskKey) -> Option<MsTask> {
    if NR_TASKS.load(Relaxed) == 0 {
        return None;
    }
    let task = with_tables(|t| Ok(t.tasks.remove(&key))).ok().flatten()?;
    NR_TASKS.fetch_sub(1, Relaxed);
    Some(task)
}

/// The socket `fd` of the calling process (thesis `ms_find_sock()`).
///
/// The thesis waits up to 500 ms here for sockets still migrating in.  Here
/// the new node's migd has hashed every socket of a process before the
/// leaving node sends its image (MIGTOYOU is answered), so a process never
/// runs before its sockets and a missing one is `EBADF` at once.
pub(crate) fn find_sock(fd: i64) -> Result<Arc<MsSock>> {
    let fd = i32::try_from(fd).map_err(|_| EBADF)?;
    let key = current_key();
    with_tables(|t| {
        t.tasks
            .get(&key)
            .and_then(|task| task.fds.get(&fd).cloned())
            .ok_or(EBADF)
    })
}

/// Removes `s` from the socket table if it is there.
pub(crate) fn unhash(s: &Arc<MsSock>) {
    let key = s.inner.lock().hashed.take();
    if let Some(key) = key {
        let _ = with_tables(|t| {
            if t.socks.get(&key).is_some_and(|x| Arc::ptr_eq(x, s)) {
                t.socks.remove(&key);
            }
            Ok(())
        });
    }
}

/// Adds the task entry of a migrated process, unless it is there.
pub(crate) fn adopt_task(t: &mut Tables, key: TaskKey, task: MsTask) -> Result {
    if t.tasks.get(&key).is_some() {
        return Err(EEXIST);
    }
    t.tasks.try_create_and_insert(key, task, GFP_KERNEL)?;
    NR_TASKS.fetch_add(1, Relaxed);
    Ok(())
}

/// The image of process `key` is still being received: the wait of its
/// sockets (if they came ahead of it) starts again at `now`.
pub(crate) fn still_arriving(key: TaskKey, now: u64) {
    if NR_TASKS.load(Relaxed) == 0 {
        return;
    }
    let _ = with_tables(|t| {
        if let Some(at) = t
            .tasks
            .get_mut(&key)
            .and_then(|m| m.unclaimed_since.as_mut())
        {
            *at = now;
        }
        Ok(())
    });
}

/// Takes the entries of processes whose sockets arrived more than
/// `max_ms` ago while the processes never did.
pub(crate) fn take_unclaimed(now: u64, max_ms: u64) -> KVec<MsTask> {
    let mut gone = KVec::new();
    if NR_TASKS.load(Relaxed) == 0 {
        return gone;
    }
    let _ = with_tables(|t| {
        let mut keys = KVec::new();
        for (k, task) in t.tasks.iter() {
            if task
                .unclaimed_since
                .is_some_and(|at| now.saturating_sub(at) >= max_ms)
            {
                keys.push(*k, GFP_KERNEL)?;
            }
        }
        gone.reserve(keys.len(), GFP_KERNEL)?;
        for k in keys.iter() {
            if let Some(task) = t.tasks.remove(k) {
                NR_TASKS.fetch_sub(1, Relaxed);
                // Cannot fail: `gone` has room for every key.
                let _ = gone.push_within_capacity(task);
            }
        }
        Ok(())
    });
    gone
}

/// Forgets the home node's redirects of the process `key` (it exited).
pub(crate) fn drop_redirects(key: TaskKey) {
    let _ = with_tables(|t| {
        let mut gone = KVec::new();
        for (lk, r) in t.redirects.iter() {
            if lk.1 == key.0 && r.pid == key.1 {
                gone.push(*lk, GFP_KERNEL)?;
            }
        }
        for lk in gone.iter() {
            t.redirects.remove(lk);
        }
        Ok(())
    });
}

/// Forgets old copies whose MIGACKED did not come within `max_ms`, and
/// forwarding listeners whose time is up.
pub(crate) fn expire_moved(now: u64, max_ms: u64) {
    let _ = with_tables(|t| {
        let mut gone = KVec::new();
        for (k, m) in t.moved.iter() {
            if now.saturating_sub(m.since) >= max_ms {
                gone.push(*k, GFP_KERNEL)?;
            }
        }
        for k in gone.iter() {
            t.moved.remove(k);
        }
        let mut over = KVec::new();
        for (k, r) in t.redirects.iter() {
            if r.until.is_some_and(|u| now >= u) {
                over.push(*k, GFP_KERNEL)?;
            }
        }
        for k in over.iter() {
            t.redirects.remove(k);
        }
        Ok(())
    });
}

/// Every hashed socket, for the timer.
pub(crate) fn all_socks() -> KVec<Arc<MsSock>> {
    let mut v = KVec::new();
    let _ = with_tables(|t| {
        for s in t.socks.values() {
            v.push(s.clone(), GFP_KERNEL)?;
        }
        Ok(())
    });
    v
}

/// Writes the table, one process per line, for `/proc/hpc/migsock/tasks`.
pub(crate) fn show_tasks(m: &SeqFile) {
    seq_print!(m, "hnode pid cnode prev_node socks\n");
    let _ = with_tables(|t| {
        for ((hnode, pid), task) in t.tasks.iter() {
            let n = task.fds.iter().count();
            seq_print!(
                m,
                "{} {} {} {} {}\n",
                hnode,
                pid,
                task.cnode,
                task.prev_node,
                n
            );
        }
        Ok(())
    });
}

/// One line per socket for `/proc/hpc/migsock/sockets`.
fn show_one(m: &SeqFile, s: &MsSock) {
    let g = s.inner.lock();
    let c = &g.eng.conn;
    let state = if g.listening {
        "LISTEN"
    } else {
        state_name(g.eng.state())
    };
    seq_print!(
        m,
        "{} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {}\n",
        s.id,
        state,
        c.local_port,
        c.rem_port,
        c.local_hnode,
        c.local_cnode,
        c.rem_hnode,
        c.rem_cnode,
        g.eng.fd,
        g.eng.pid,
        g.eng.send_queued(),
        g.eng.readable(),
        u8::from(g.eng.newly_migrated()),
        u8::from(g.orphan),
        g.backlog.len(),
        g.eng.snd_nxt().wrapping_sub(g.eng.snd_una()),
        g.eng.snd_wnd(),
        g.eng.rcv_wnd(),
        u8::from(g.eng.poll_at().is_some())
    );
}

fn state_name(s: crate::mtcp::engine::State) -> &'static str {
    use crate::mtcp::engine::State::*;
    match s {
        Closed => "CLOSED",
        Listen => "LISTEN",
        SynSent => "SYN_SENT",
        SynReceived => "SYN_RECV",
        Established => "ESTABLISHED",
        FinWait1 => "FIN_WAIT1",
        FinWait2 => "FIN_WAIT2",
        CloseWait => "CLOSE_WAIT",
        Closing => "CLOSING",
        LastAck => "LAST_ACK",
        TimeWait => "TIME_WAIT",
    }
}

/// Writes every listener and hashed socket, for `/proc/hpc/migsock/sockets`.
pub(crate) fn show_sockets(m: &SeqFile) {
    seq_print!(
        m,
        "id state lport rport lhnode lcnode rhnode rcnode fd pid sndq rcvq newly_migrated orphan backlog \
         in_flight snd_wnd rcv_wnd timer\n"
    );
    let mut v = KVec::new();
    let _ = with_tables(|t| {
        for s in Iterator::chain(t.listeners.values(), t.socks.values()) {
            v.push(s.clone(), GFP_KERNEL)?;
        }
        Ok(())
    });
    for s in v.iter() {
        show_one(m, s);
    }
    // Old copies (state MOVED, lcnode = the new node), home redirects
    // (state REDIRECT, lcnode = where the listener runs) and listeners that
    // left this node, forwarding for a while (state FORWARD), same columns.
    let _ = with_tables(|t| {
        for (k, mv) in t.moved.iter() {
            seq_print!(
                m,
                "0 MOVED {} {} {} {} {} 0 -1 -1 0 0 0 0 0 0 0 0 0\n",
                k.0,
                k.1,
                k.2,
                mv.node,
                k.3
            );
        }
        for (k, r) in t.redirects.iter() {
            let what = if r.until.is_some() {
                "FORWARD"
            } else {
                "REDIRECT"
            };
            seq_print!(
                m,
                "0 {} {} 0 {} {} 0 0 -1 {} 0 0 0 0 0 0 0 0 0\n",
                what,
                k.0,
                k.1,
                r.cnode,
                r.pid
            );
        }
        Ok(())
    });
}
