// SPDX-License-Identifier: GPL-2.0

//! The migration daemon (thesis `ms_migd.c`) and the hooks hpc calls when a
//! process migrates (thesis section 4.5).
//!
//! Leaving: `ms_process_migrate_outbound()` runs in the process before its
//! image goes.  It waits (up to [`SETTLE_MS`]) until no socket is
//! connecting, no arrival is unacknowledged and no listener holds
//! unaccepted connections, freezes the sockets (they drop segments from
//! then on; the peers resend), sends every socket with its queues in one
//! MIGTOYOU to the new node's migd and waits for its answer.  The sockets
//! stay here, frozen, while hpc sends the image: only when the new node has
//! answered that the process runs there (`ms_process_migrate_done`) are
//! they replaced by old copies that answer stray segments with the
//! migration signal until MIGACKED.  If anything fails before, the new node
//! included dying half-way, the sockets thaw and the process stays, its
//! connections whole (`ms_process_migrate_failed`).
//!
//! Arriving: the migd of the new node restores the sockets, hashes them and
//! enters the process in the task table before answering, so the process
//! never runs without its sockets.  Until the process itself arrives
//! (`ms_process_migrate_inbound`) they are dormant: they drop segments and
//! send none, so the copies left frozen on the old node stay the only ones
//! that ever spoke.  On arrival they resend what is unacknowledged at once;
//! when the peer echoes the new epoch, MIGACKED goes to the old node.
//! Dormant sockets whose process never comes (MIGBACK from the old node, or
//! 30 s without the image arriving) are dropped without a word to their
//! peers.
//!
//! Listeners: the home node keeps a redirect for the listener of a process
//! that runs elsewhere (OPENLISTEN, MIGLISTEN; CLOSELISTEN or the deputy's
//! exit drop it), and answers SYNs with the migration signal naming the
//! node the server runs on.

use core::ffi::c_void;

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
    task::Task,
    time::msecs_to_jiffies,
};

use crate::ms_account::UserCharge;
use crate::ms_data::{
    self,
    this_node,
    MovedEntry,
    MsTask,
    Redirect,
    TaskKey, //
};
use crate::ms_metasock::{
    self,
    MIGD_PORT, //
};
use crate::ms_routing::{
    self,
    flush,
    now_ms,
    Outbox, //
};
use crate::ms_sock::{
    MsSock,
    SockInner, //
};
use crate::mtcp::{
    engine::{
        Conn,
        Sock,
        State, //
    },
    metasock::{
        self,
        ListenMsg,
        MigAcked,
        MigToYou,
        MigToYouWriter,
        Msg,
        MsgType,
        ProcHdr, //
    },
    table::SockKey,
};

/// How long a leaving process waits for its sockets to settle.
const SETTLE_MS: u64 = 5000;
/// A node a listener left (not its home) forwards SYNs this long.
const FORWARD_MS: u64 = 30_000;
/// Deadline of a MIGTOYOU exchange.
const MIGTOYOU_MS: u64 = 10_000;
/// Deadline of a MIGBACK (the new node drops its dormant copies).
const MIGBACK_MS: u64 = 5000;
/// Deadline for one message to the migd (read, handle, answer).
const SERVE_MS: u64 = 5000;
/// Deadline of one queued message (MIGACKED, *LISTEN) and its tries.
const TX_MS: u64 = 5000;
const TX_TRIES: usize = 3;
/// Queued messages beyond this are dropped (their effects time out).
const TX_QUEUE_MAX: usize = 256;

/// Counters for `/proc/hpc/migsock/stats`.
struct MigStats {
    out_ok: Atomic<u64>,
    out_failed: Atomic<u64>,
    out_busy: Atomic<u64>,
    socks_out: Atomic<u64>,
    in_ok: Atomic<u64>,
    in_failed: Atomic<u64>,
    socks_in: Atomic<u64>,
    msgs_in: Atomic<u64>,
    msgs_bad: Atomic<u64>,
    migacked_in: Atomic<u64>,
    tx_ok: Atomic<u64>,
    tx_refused: Atomic<u64>,
    tx_failed: Atomic<u64>,
    unclaimed: Atomic<u64>,
    given_back: Atomic<u64>,
    taken_back: Atomic<u64>,
    back_failed: Atomic<u64>,
}

static STATS: MigStats = MigStats {
    out_ok: Atomic::new(0),
    out_failed: Atomic::new(0),
    out_busy: Atomic::new(0),
    socks_out: Atomic::new(0),
    in_ok: Atomic::new(0),
    in_failed: Atomic::new(0),
    socks_in: Atomic::new(0),
    msgs_in: Atomic::new(0),
    msgs_bad: Atomic::new(0),
    migacked_in: Atomic::new(0),
    tx_ok: Atomic::new(0),
    tx_refused: Atomic::new(0),
    tx_failed: Atomic::new(0),
    unclaimed: Atomic::new(0),
    given_back: Atomic::new(0),
    taken_back: Atomic::new(0),
    back_failed: Atomic::new(0),
};

/// Messages the migd sends on its own, oldest first.
pub(crate) struct TxQueue {
    q: Option<KVec<(u16, KVec<u8>)>>,
}

kernel::sync::global_lock! {
    // SAFETY: `start()` runs from the initcall, before any other use.
    pub(crate) unsafe(uninit) static TXQ: Mutex<TxQueue> = TxQueue { q: None };
}

/// The migd's listener, once `start()` made it.
static LISTENER: Atomic<u64> = Atomic::new(0);

/// Socket objects the node keeps for itself (the migd's listener).
pub(crate) fn permanent_socks() -> u64 {
    LISTENER.load(Relaxed)
}

fn add(c: &Atomic<u64>, n: u64) {
    c.fetch_add(n, Relaxed);
}

/// Writes the migration counters.
pub(crate) fn show_stats(m: &SeqFile) {
    let s = &STATS;
    seq_print!(
        m,
        "migrations_out {}\nmigrations_out_failed {}\nmigrations_out_busy {}\n\
         socks_out {}\nmigrations_in {}\nmigrations_in_failed {}\nsocks_in {}\n\
         metasock_msgs {}\nmetasock_bad {}\nmigacked_in {}\nmigd_tx {}\n\
         migd_tx_refused {}\nmigd_tx_failed {}\narrivals_unclaimed {}\n\
         socks_given_back {}\nsocks_taken_back {}\nsocks_back_failed {}\n",
        s.out_ok.load(Relaxed),
        s.out_failed.load(Relaxed),
        s.out_busy.load(Relaxed),
        s.socks_out.load(Relaxed),
        s.in_ok.load(Relaxed),
        s.in_failed.load(Relaxed),
        s.socks_in.load(Relaxed),
        s.msgs_in.load(Relaxed),
        s.msgs_bad.load(Relaxed),
        s.migacked_in.load(Relaxed),
        s.tx_ok.load(Relaxed),
        s.tx_refused.load(Relaxed),
        s.tx_failed.load(Relaxed),
        s.unclaimed.load(Relaxed),
        s.given_back.load(Relaxed),
        s.taken_back.load(Relaxed),
        s.back_failed.load(Relaxed)
    );
}

// ----- leaving ---------------------------------------------------------------

/// May the socket's process not move now?
fn blocks(g: &SockInner) -> bool {
    g.eng.blocks_migration() || (g.listening && !g.backlog.is_empty())
}

fn set_departing(socks: &[(i32, Arc<MsSock>)], on: bool) {
    for (_, s) in socks {
        s.inner.lock().departing = on;
    }
}

fn any_blocks(socks: &[(i32, Arc<MsSock>)]) -> bool {
    socks.iter().any(|(_, s)| blocks(&s.inner.lock()))
}

/// Waits until nothing holds the process back, then freezes its sockets.
fn settle(socks: &[(i32, Arc<MsSock>)]) -> Result {
    let deadline = now_ms().saturating_add(SETTLE_MS);
    loop {
        if !any_blocks(socks) {
            set_departing(socks, true);
            // A SYN may have slipped in before the freeze.
            if !any_blocks(socks) {
                return Ok(());
            }
            set_departing(socks, false);
        }
        if now_ms() >= deadline {
            add(&STATS.out_busy, 1);
            return Err(EBUSY);
        }
        // SAFETY: sleeping is allowed in the process's context.
        unsafe { bindings::msleep(10) };
    }
}

/// Appends socket `g` to a MIGTOYOU.  A listener (and a closed socket)
/// goes as a CLOSED record; a listener is the one without a remote port.
fn push_record(w: &mut MigToYouWriter<'_>, g: &SockInner) -> Result {
    let (mut v, unacked, _) = g.eng.save();
    if v.state == State::Closed as u8 {
        // Never synchronized: no window learnt, nothing queued to send.
        v.snd_wnd = v.snd_wnd.clamp(1, 0xffff);
        if g.listening {
            v.rcv_wnd = 0;
        }
        let (r1, r2) = g.eng.recv_queue();
        return w.push_parts(&v, &[], &[], &[r1, r2]).map_err(|_| EINVAL);
    }
    let (a, b) = g.eng.send_queue();
    let (a1, a2) = a.split_at(unacked.min(a.len()));
    let (b1, b2) = b.split_at(unacked.saturating_sub(a.len()).min(b.len()));
    let (r1, r2) = g.eng.recv_queue();
    w.push_parts(&v, &[a1, b1], &[a2, b2], &[r1, r2])
        .map_err(|_| EINVAL)
}

/// Builds the MIGTOYOU of the (frozen) sockets and has `new_node` take it.
fn send_socks(socks: &[(i32, Arc<MsSock>)], key: TaskKey, here: u16, new_node: u16) -> Result {
    let mut total = metasock::HDR_LEN + metasock::PROC_LEN;
    for (_, s) in socks {
        total = total.saturating_add(metasock::record_len(&s.inner.lock().eng));
    }
    if total > metasock::MAX_MSG_LEN {
        return Err(E2BIG);
    }
    let mut buf = KVVec::with_capacity(total, GFP_KERNEL)?;
    buf.resize(total, 0, GFP_KERNEL)?;
    let ph = ProcHdr {
        hnode: key.0,
        prev_node: here,
        new_node,
        pid: key.1,
    };
    let mut w = MigToYouWriter::new(&mut buf, &ph).map_err(|_| EINVAL)?;
    for (_, s) in socks {
        push_record(&mut w, &s.inner.lock())?;
    }
    let n = w.finish().map_err(|_| EINVAL)?;
    let msg = buf.get(..n).ok_or(EINVAL)?;
    ms_metasock::exchange(new_node, msg, now_ms().saturating_add(MIGTOYOU_MS))?
}

/// The new node has the sockets: old copies replace them here.
fn commit(socks: &[(i32, Arc<MsSock>)], key: TaskKey, here: u16, new_node: u16) {
    let now = now_ms();
    // Connections left in a listener's backlog: no one here will accept
    // them, and each holds the listener as its parent.
    let mut left = KVec::new();
    let _ = ms_data::with_tables(|t| {
        for (_, s) in socks {
            let mut g = s.inner.lock();
            if g.listening {
                take_backlog(&mut g, &mut left);
                let lk = (g.eng.conn.local_port, g.eng.conn.local_hnode);
                if t.listeners.get(&lk).is_some_and(|x| Arc::ptr_eq(x, s)) {
                    t.listeners.remove(&lk);
                }
                // Home redirects for as long as the process lives; a node
                // the listener merely passed forwards SYNs already sent
                // its way for a while (thesis: 30 s).
                let r = Redirect {
                    cnode: new_node,
                    pid: key.1,
                    epoch: g.eng.next_epoch(),
                    until: (key.0 != here).then(|| now.saturating_add(FORWARD_MS)),
                };
                let _ = t.redirects.try_create_and_insert(lk, r, GFP_KERNEL);
                g.listening = false;
                g.orphan = true;
            } else if let Some(k) = g.hashed.take() {
                if t.socks.get(&k).is_some_and(|x| Arc::ptr_eq(x, s)) {
                    t.socks.remove(&k);
                }
                let acked = core::mem::take(&mut g.acked_early);
                g.moving_to = 0;
                if g.eng.state() != State::Closed && !acked {
                    let m = MovedEntry {
                        node: new_node,
                        epoch: g.eng.next_epoch(),
                        since: now,
                    };
                    // Without it a stray segment gets an RST, which the
                    // peer ignores: it names an older epoch.
                    let _ = t.moved.try_create_and_insert(k, m, GFP_KERNEL);
                }
            }
        }
        Ok(())
    });
    for c in left.iter() {
        ms_routing::reset_unaccepted(c);
    }
    let _ = ms_data::take_task(key);
}

/// Moves a listener's pending connections to `left`, to be reset once no
/// table lock is held.  Where `left` cannot grow, the child at least lets
/// go of its listener, so the two do not keep each other alive.
fn take_backlog(g: &mut SockInner, left: &mut KVec<Arc<MsSock>>) {
    for c in core::mem::take(&mut g.backlog) {
        if left.reserve(1, GFP_KERNEL).is_ok() {
            // Room was just made: this cannot fail.
            let _ = left.push_within_capacity(c);
        } else {
            c.inner.lock().parent = None;
        }
    }
}

fn migrate_out(task: &Task, new_node: u16) -> Result {
    let here = this_node();
    if new_node == 0 || new_node == here || here == 0 {
        return Err(EINVAL);
    }
    let key = ms_data::key_of(task);
    let socks = socks_of(key)?;
    if socks.is_empty() {
        // Nothing to carry; a bare `ms_init()` entry is simply dropped.
        let _ = ms_data::take_task(key);
        return Ok(());
    }
    // hpc moves single-threaded processes only, from inside the process:
    // its sockets are free, and held until they are gone or thawed.
    let mut own = KVec::new();
    for (_, s) in socks.iter() {
        own.push(s.reclock.lock(), GFP_KERNEL)?;
    }
    settle(&socks)?;
    if let Err(e) = send_socks(&socks, key, here, new_node) {
        set_departing(&socks, false);
        add(&STATS.out_failed, 1);
        pr_info!(
            "pid {} keeps its sockets on node {}: node {} did not take them ({})\n",
            key.1,
            here,
            new_node,
            e.to_errno()
        );
        return Err(e);
    }
    // Frozen here until hpc says where the process runs: done() or failed().
    for (_, s) in socks.iter() {
        let mut g = s.inner.lock();
        g.moving_to = new_node;
        g.acked_early = false;
    }
    Ok(())
}

/// The sockets of the process `key` in its table entry here, if any.
fn socks_of(key: TaskKey) -> Result<KVec<(i32, Arc<MsSock>)>> {
    let mut socks = KVec::new();
    ms_data::with_tables(|t| {
        if let Some(mt) = t.tasks.get(&key) {
            for (fd, s) in mt.fds.iter() {
                socks.push((*fd, s.clone()), GFP_KERNEL)?;
            }
        }
        Ok(())
    })?;
    Ok(socks)
}

/// `task` (the current process) is about to leave for `new_node`.
pub(crate) fn outbound(task: &Task, new_node: c_int) -> Result {
    migrate_out(task, u16::try_from(new_node).map_err(|_| EINVAL)?)
}

/// Lets a frozen or dormant socket take and send segments again; it resends
/// what is unacknowledged at once.
fn thaw(s: &Arc<MsSock>) {
    let mut out = Outbox::new();
    let mut g = s.inner.lock();
    g.departing = false;
    g.moving_to = 0;
    g.acked_early = false;
    if g.hashed.is_some() {
        flush(&mut g, &mut out);
    }
    drop(g);
    out.run();
}

/// The new node answered that `task` (the current process) runs there:
/// its frozen sockets here become old copies (and listeners redirects).
pub(crate) fn done(task: &Task, new_node: c_int) {
    let Ok(node) = u16::try_from(new_node) else {
        return;
    };
    let key = ms_data::key_of(task);
    let Ok(socks) = socks_of(key) else {
        return;
    };
    if socks.is_empty() {
        return;
    }
    let mut own = KVec::new();
    for (_, s) in socks.iter() {
        if own.push(s.reclock.lock(), GFP_KERNEL).is_err() {
            // Cannot happen for a handful of guards; commit without them:
            // the process is single-threaded and gone from here.
            break;
        }
    }
    commit(&socks, key, this_node(), node);
    add(&STATS.out_ok, 1);
    add(&STATS.socks_out, socks.len() as u64);
}

/// `task` arrived and is about to run.  Its sockets are in place
/// (MIGTOYOU came first) and wake up; its home learns where its listeners
/// are now.
pub(crate) fn inbound(task: &Task) {
    let key = ms_data::key_of(task);
    let here = this_node();
    let mut msgs = KVec::new();
    let mut woken = KVec::new();
    let _ = ms_data::with_tables(|t| {
        let Some(mt) = t.tasks.get_mut(&key) else {
            return Ok(());
        };
        if mt.unclaimed_since.take().is_none() {
            // Not an arrival: the process was here all along.
            return Ok(());
        }
        for s in mt.fds.values() {
            woken.push(s.clone(), GFP_KERNEL)?;
        }
        for s in woken.iter() {
            let g = s.inner.lock();
            // Back where an old copy or a redirect was: they are stale.
            if g.listening {
                t.redirects
                    .remove(&(g.eng.conn.local_port, g.eng.conn.local_hnode));
                if key.0 != here {
                    msgs.push(listen_msg(&g, here), GFP_KERNEL)?;
                }
            } else if let Some(k) = g.hashed {
                t.moved.remove(&k);
            }
        }
        Ok(())
    });
    for s in woken.iter() {
        thaw(s);
    }
    for m in msgs.iter() {
        queue_listen(MsgType::MigListen, key.0, m);
    }
}

/// hpc could not move `task` to `new_node` after its sockets were copied
/// there (the image transfer failed, or the node died): the process stays,
/// and its sockets, frozen here since, thaw with nothing lost.  The new
/// node is asked to drop its dormant copies (MIGBACK); if it cannot answer,
/// it drops them after 30 s by itself.
pub(crate) fn failed(task: &Task, new_node: c_int) {
    let Ok(node) = u16::try_from(new_node) else {
        return;
    };
    let key = ms_data::key_of(task);
    let here = this_node();
    let Ok(socks) = socks_of(key) else {
        return;
    };
    if socks.is_empty() {
        // No sockets: nothing was sent.
        return;
    }
    for (_, s) in socks.iter() {
        let _own = s.reclock.lock();
        thaw(s);
    }
    add(&STATS.taken_back, 1);
    let p = ProcHdr {
        hnode: key.0,
        prev_node: here,
        new_node: node,
        pid: key.1,
    };
    let mut buf = [0u8; metasock::HDR_LEN + metasock::PROC_LEN];
    let Ok(n) = metasock::encode_migback(&p, &mut buf) else {
        return;
    };
    let deadline = now_ms().saturating_add(MIGBACK_MS);
    match ms_metasock::exchange(node, &buf[..n], deadline) {
        // ENOENT: the copies were gone already (or never made).
        Ok(Ok(())) => {}
        Ok(Err(e)) if e == ENOENT => {}
        r => {
            // Dead or unreachable: its reaper drops them (they never spoke).
            add(&STATS.back_failed, 1);
            pr_info!(
                "pid {}: node {} did not drop its copies of the sockets ({})\n",
                key.1,
                node,
                r.and_then(|x| x).err().map_or(0, |e| e.to_errno())
            );
        }
    }
}

/// Drops a dormant socket without a word to its peer: the copy on the node
/// its process stayed on is the one that speaks.
fn discard(s: &Arc<MsSock>) {
    let mut left = KVec::new();
    let mut g = s.inner.lock();
    g.orphan = true;
    let listener = core::mem::take(&mut g.listening);
    if listener {
        take_backlog(&mut g, &mut left);
    }
    let lk = (g.eng.conn.local_port, g.eng.conn.local_hnode);
    // Aborted, but nothing flushed: no RST leaves.
    g.eng.abort();
    drop(g);
    s.notify();
    if listener {
        let _ = ms_data::with_tables(|t| {
            if t.listeners.get(&lk).is_some_and(|x| Arc::ptr_eq(x, s)) {
                t.listeners.remove(&lk);
            }
            Ok(())
        });
    } else {
        ms_data::unhash(s);
    }
    // Its pending connections go as quietly as it does.
    for c in left.iter() {
        let mut cg = c.inner.lock();
        cg.parent = None;
        cg.orphan = true;
        cg.eng.abort();
        drop(cg);
        ms_data::unhash(c);
    }
}

/// MIGBACK from `from`: the process whose sockets came from there never
/// arrived and keeps them there; the dormant copies here go.
fn give_back(p: &ProcHdr, from: u16) -> Result {
    let here = this_node();
    if p.prev_node != from || p.new_node != here || p.hnode == 0 || p.pid <= 0 {
        return Err(EINVAL);
    }
    let key: TaskKey = (p.hnode, p.pid);
    ms_data::with_tables(|t| {
        let mt = t.tasks.get(&key).ok_or(ENOENT)?;
        if mt.unclaimed_since.is_none() || mt.prev_node != from {
            return Err(ENOENT);
        }
        Ok(())
    })?;
    let Some(mt) = ms_data::take_task(key) else {
        return Err(ENOENT);
    };
    for s in mt.fds.values() {
        discard(s);
    }
    add(&STATS.given_back, 1);
    Ok(())
}

// ----- arriving --------------------------------------------------------------

fn sock_key(c: &Conn) -> (u16, u16, u16, u16) {
    (c.local_port, c.rem_port, c.local_hnode, c.rem_hnode)
}

/// Restores the sockets of a MIGTOYOU from `from` and enters the process.
fn adopt(m: &MigToYou<'_>, from: u16) -> Result {
    let here = this_node();
    let p = m.proc_hdr;
    if p.new_node != here || p.prev_node != from || p.hnode == 0 || p.pid <= 0 {
        return Err(EINVAL);
    }
    let key: TaskKey = (p.hnode, p.pid);
    if m.count() == 0 {
        // A process without sockets sends no MIGTOYOU.
        return Err(EINVAL);
    }
    let now = now_ms();
    let mut made = KVec::with_capacity(m.count(), GFP_KERNEL)?;
    for r in m.records() {
        let v = &r.vars;
        if v.conn.local_hnode != p.hnode
            || v.pid != p.pid
            || !(0..=ms_data::MAX_FD as i32).contains(&v.fd)
        {
            return Err(EINVAL);
        }
        let listener = v.state == State::Closed as u8 && v.conn.rem_port == 0;
        if listener && v.conn.local_port == 0 {
            return Err(EINVAL);
        }
        // Not counted: the MIGTOYOU does not say whose they are.
        let s = MsSock::new(listener, UserCharge::NONE)?;
        {
            let mut g = s.inner.lock();
            r.restore(&mut g.eng, now, here).map_err(|_| EINVAL)?;
            g.listening = listener;
            g.mig_from = if g.eng.newly_migrated() { from } else { 0 };
            // Dormant until the process arrives (inbound()).
            g.departing = true;
        }
        made.push(s, GFP_KERNEL)?;
    }
    if made.len() != m.count() {
        return Err(EINVAL);
    }
    ms_data::with_tables(|t| enter(t, key, from, &made))?;
    add(&STATS.in_ok, 1);
    add(&STATS.socks_in, made.len() as u64);
    Ok(())
}

/// Hashes restored sockets and enters their process: all or nothing.
fn enter(t: &mut ms_data::Tables, key: TaskKey, from: u16, made: &[Arc<MsSock>]) -> Result {
    if t.tasks.get(&key).is_some() {
        return Err(EEXIST);
    }
    let here = this_node();
    let mut fds = RBTree::new();
    let mut done = 0usize;
    let mut r = Ok(());
    for s in made {
        let mut g = s.inner.lock();
        let fd = g.eng.fd;
        if fds.get(&fd).is_some() {
            r = Err(EINVAL);
            break;
        }
        if g.listening {
            let lk = (g.eng.conn.local_port, g.eng.conn.local_hnode);
            let theirs = t
                .redirects
                .get(&lk)
                .is_some_and(|x| x.pid != key.1 && x.until.is_none());
            if t.listeners.get(&lk).is_some() || theirs {
                r = Err(EADDRINUSE);
                break;
            }
            if let Err(e) = t.listeners.try_create_and_insert(lk, s.clone(), GFP_KERNEL) {
                r = Err(e);
                break;
            }
        } else if g.eng.state() != State::Closed {
            let k = sock_key(&g.eng.conn);
            if t.socks.get(&k).is_some() {
                r = Err(EADDRINUSE);
                break;
            }
            if let Err(e) = t.socks.try_create_and_insert(k, s.clone(), GFP_KERNEL) {
                r = Err(e);
                break;
            }
            g.hashed = Some(k);
        }
        done += 1;
        if let Err(e) = fds.try_create_and_insert(fd, s.clone(), GFP_KERNEL) {
            r = Err(e);
            break;
        }
    }
    if r.is_ok() {
        let task = MsTask {
            cnode: here,
            prev_node: from,
            fds,
            unclaimed_since: Some(now_ms()),
        };
        r = ms_data::adopt_task(t, key, task);
        if r.is_ok() {
            // An old copy or a redirect here stays until the process
            // arrives (inbound()): if it never does, they still answer.
            return Ok(());
        }
    }
    // Undo the first `done` entries.
    for s in made.iter().take(done) {
        let mut g = s.inner.lock();
        if g.listening {
            let lk = (g.eng.conn.local_port, g.eng.conn.local_hnode);
            if t.listeners.get(&lk).is_some_and(|x| Arc::ptr_eq(x, s)) {
                t.listeners.remove(&lk);
            }
        } else if let Some(k) = g.hashed.take() {
            if t.socks.get(&k).is_some_and(|x| Arc::ptr_eq(x, s)) {
                t.socks.remove(&k);
            }
        }
    }
    r
}

/// MIGACKED from `from`: the old copy it names can go.
///
/// Only the copy whose move made epoch `a.epoch`: a MIGACKED may come late
/// (it is queued and resent), after the socket came back here and left for
/// `from` again; taken for the later move it would drop the old copy the
/// peer still needs, and the peer's next segment here would get an RST.
fn migacked(a: &MigAcked, from: u16) -> Result {
    let k = (
        a.key.local_port,
        a.key.rem_port,
        a.key.local_hnode,
        a.key.rem_hnode,
    );
    ms_data::with_tables(|t| {
        if t.moved
            .get(&k)
            .is_some_and(|m| m.node == from && m.epoch == a.epoch)
        {
            t.moved.remove(&k);
            add(&STATS.migacked_in, 1);
            return Ok(());
        }
        // The new node woke the socket and heard the peer before hpc here
        // had its answer for the image (done() not yet run): the socket is
        // still frozen here, and needs no old copy once it goes.
        if let Some(s) = t.socks.get(&k) {
            let mut g = s.inner.lock();
            if g.departing && g.moving_to == from && g.eng.next_epoch() == a.epoch {
                g.acked_early = true;
                add(&STATS.migacked_in, 1);
                return Ok(());
            }
        }
        Err(ENOENT)
    })
}

/// OPENLISTEN / MIGLISTEN at the home node: SYNs go to `from` now.
fn set_redirect(l: &ListenMsg, from: u16) -> Result {
    if l.hnode != this_node() || l.cnode != from || l.pid <= 0 || l.port == 0 {
        return Err(EINVAL);
    }
    let lk = (l.port, l.hnode);
    ms_data::with_tables(|t| {
        if t.listeners.get(&lk).is_some() {
            return Err(EADDRINUSE);
        }
        if let Some(r) = t.redirects.get(&lk) {
            if r.pid != l.pid {
                return Err(EADDRINUSE);
            }
            // News of an older move (queued MIGLISTENs may cross).
            if r.epoch != l.epoch && !crate::mtcp::seq::epoch_newer(l.epoch, r.epoch) {
                return Err(ESTALE);
            }
        }
        let r = Redirect {
            cnode: from,
            pid: l.pid,
            epoch: l.epoch,
            until: None,
        };
        t.redirects.try_create_and_insert(lk, r, GFP_KERNEL)?;
        Ok(())
    })
}

/// CLOSELISTEN at the home node.
fn close_redirect(l: &ListenMsg, from: u16) -> Result {
    let lk = (l.port, l.hnode);
    ms_data::with_tables(|t| match t.redirects.get(&lk) {
        Some(r) if r.pid == l.pid && r.cnode == from => {
            t.redirects.remove(&lk);
            Ok(())
        }
        _ => Err(ENOENT),
    })
}

/// Handles one message from the migd of node `from`.
fn handle(msg: &[u8], from: u16) -> Result {
    match metasock::decode(msg).map_err(|_| EPROTO)? {
        Msg::MigToYou(m) => adopt(&m, from).inspect_err(|_| add(&STATS.in_failed, 1)),
        Msg::MigAcked(a) => migacked(&a, from),
        Msg::MigListen(l) | Msg::OpenListen(l) => set_redirect(&l, from),
        Msg::CloseListen(l) => close_redirect(&l, from),
        Msg::MigBack(p) => give_back(&p, from),
    }
}

/// Sockets whose process does not follow them within this time (its image
/// never came, stopped coming, or the MIGTOYOU was forged) are closed; hpc
/// restarts the wait each second while the image comes in.
const UNCLAIMED_MS: u64 = 30_000;

/// Drops the dormant sockets of processes that never arrived (timer
/// thread): their old node kept its own copies, or no one had any.
pub(crate) fn reap_unclaimed(now: u64) {
    for t in ms_data::take_unclaimed(now, UNCLAIMED_MS).iter() {
        add(&STATS.unclaimed, 1);
        for s in t.fds.values() {
            let _own = s.reclock.lock();
            discard(s);
        }
    }
}

/// Takes the next established metasocket off the migd's listener.
fn accept_one(l: &MsSock) -> Arc<MsSock> {
    let mut g = l.inner.lock();
    loop {
        if let Some(c) = g.take_ready() {
            drop(g);
            let mut cg = c.inner.lock();
            cg.parent = None;
            cg.orphan = true;
            drop(cg);
            return c;
        }
        let _ = l
            .wait
            .wait_interruptible_timeout(&mut g, msecs_to_jiffies(1000));
    }
}

/// Reads, handles and answers one message.
fn serve(c: &Arc<MsSock>) {
    let from = c.inner.lock().eng.conn.rem_cnode;
    let deadline = now_ms().saturating_add(SERVE_MS);
    let msg = match ms_metasock::recv_msg(c, deadline) {
        Ok(m) => m,
        Err(e) => {
            add(&STATS.msgs_bad, 1);
            // A malformed header still gets its answer.
            if e == EPROTO {
                ms_metasock::answer(c, Err(e), deadline);
            } else {
                ms_metasock::abort(c);
            }
            return;
        }
    };
    add(&STATS.msgs_in, 1);
    let r = handle(&msg, from);
    if r == Err(EPROTO) || r == Err(EINVAL) {
        add(&STATS.msgs_bad, 1);
    }
    // Handling may have taken a while (MIGBACK sends a MIGTOYOU).
    ms_metasock::answer(c, r, now_ms().saturating_add(SERVE_MS));
}

/// The migd: serves metasockets one at a time.  Nothing it does waits for
/// another node's migd, so two migds never wait for each other.
///
/// # Safety
///
/// Called only by `kthread`.
unsafe extern "C" fn migd_thread(data: *mut c_void) -> c_int {
    let _ = data;
    loop {
        let l = LISTENER_SOCK.lock().s.clone();
        match l {
            Some(l) => {
                let c = accept_one(&l);
                serve(&c);
            }
            None => {
                // SAFETY: sleeping in a kernel thread is allowed.
                unsafe { bindings::msleep(1000) };
            }
        }
    }
}

// ----- sending on our own ----------------------------------------------------

fn queue(node: u16, bytes: &[u8]) {
    let mut v = KVec::new();
    if v.extend_from_slice(bytes, GFP_KERNEL).is_err() {
        add(&STATS.tx_failed, 1);
        return;
    }
    let mut g = TXQ.lock();
    let ok = match g.q.as_mut() {
        Some(q) if q.len() < TX_QUEUE_MAX => q.push((node, v), GFP_KERNEL).is_ok(),
        _ => false,
    };
    if !ok {
        add(&STATS.tx_failed, 1);
    }
}

/// Queues MIGACKED for the old copy of `eng` on `node`.
pub(crate) fn queue_migacked(node: u16, eng: &Sock<KVec<u8>>) {
    let c = &eng.conn;
    let m = MigAcked {
        key: SockKey {
            local_port: c.local_port,
            rem_port: c.rem_port,
            local_hnode: c.local_hnode,
            rem_hnode: c.rem_hnode,
        },
        pid: eng.pid,
        fd: eng.fd,
        epoch: eng.mig_epoch(),
    };
    let mut buf = [0u8; metasock::HDR_LEN + metasock::MIGACKED_LEN];
    match metasock::encode_migacked(&m, &mut buf) {
        Ok(n) => queue(node, &buf[..n]),
        Err(_) => add(&STATS.tx_failed, 1),
    }
}

/// The OPENLISTEN/MIGLISTEN/CLOSELISTEN body for listener `g` on `cnode`.
pub(crate) fn listen_msg(g: &SockInner, cnode: u16) -> ListenMsg {
    ListenMsg {
        port: g.eng.conn.local_port,
        hnode: g.eng.conn.local_hnode,
        pid: g.eng.pid,
        fd: g.eng.fd,
        cnode,
        epoch: g.eng.mig_epoch(),
    }
}

/// Queues a listener message for home node `home`.
pub(crate) fn queue_listen(ty: MsgType, home: u16, l: &ListenMsg) {
    let mut buf = [0u8; metasock::HDR_LEN + metasock::LISTEN_LEN];
    match metasock::encode_listen(ty, l, &mut buf) {
        Ok(n) => queue(home, &buf[..n]),
        Err(_) => add(&STATS.tx_failed, 1),
    }
}

/// Sends the queued messages, each a few times at most.
///
/// # Safety
///
/// Called only by `kthread`.
unsafe extern "C" fn tx_thread(data: *mut c_void) -> c_int {
    let _ = data;
    loop {
        // SAFETY: sleeping in a kernel thread is allowed.
        unsafe { bindings::msleep(10) };
        loop {
            let next = {
                let mut g = TXQ.lock();
                match g.q.as_mut() {
                    Some(q) if !q.is_empty() => q.remove(0).ok(),
                    _ => None,
                }
            };
            let Some((node, msg)) = next else {
                break;
            };
            // Only the transport is retried; an answer, even a refusal
            // (MIGACKED for an old copy already gone), ends it.
            let answered = (0..TX_TRIES).find_map(|_| {
                let deadline = now_ms().saturating_add(TX_MS);
                ms_metasock::exchange(node, &msg, deadline).ok()
            });
            match answered {
                Some(Ok(())) => add(&STATS.tx_ok, 1),
                Some(Err(_)) => add(&STATS.tx_refused, 1),
                None => add(&STATS.tx_failed, 1),
            }
        }
    }
}

/// Sends `msg`, whatever it holds, to `node`'s migd (the test file
/// `/proc/hpc/migsock/metasock`): the transport's error or the answer.
pub(crate) fn send_raw(node: u16, msg: &[u8]) -> Result {
    if node == 0 || ms_routing::node_addr(node) == 0 {
        return Err(EHOSTUNREACH);
    }
    ms_metasock::exchange(node, msg, now_ms().saturating_add(SERVE_MS * 2))?
}

/// The migd's listener (an `Arc` the thread clones).
pub(crate) struct ListenerSlot {
    s: Option<Arc<MsSock>>,
}

kernel::sync::global_lock! {
    // SAFETY: `start()` runs from the initcall, before any other use.
    pub(crate) unsafe(uninit) static LISTENER_SOCK: Mutex<ListenerSlot> = ListenerSlot { s: None };
}

/// Opens the migd's listener and starts its threads.
pub(crate) fn start() -> Result {
    // SAFETY: called once, from the initcall, before any user.
    unsafe {
        TXQ.init();
        LISTENER_SOCK.init();
    }
    TXQ.lock().q = Some(KVec::new());
    let l = MsSock::new(true, UserCharge::NONE)?;
    {
        let mut g = l.inner.lock();
        g.eng.conn = Conn {
            local_port: MIGD_PORT,
            ..Conn::default()
        };
        g.eng.fd = -1;
    }
    ms_data::with_tables(|t| {
        t.listeners
            .try_create_and_insert((MIGD_PORT, 0), l.clone(), GFP_KERNEL)?;
        Ok(())
    })?;
    LISTENER_SOCK.lock().s = Some(l);
    LISTENER.store(1, Relaxed);
    ms_routing::spawn(migd_thread, c"ms_migd")?;
    ms_routing::spawn(tx_thread, c"ms_migd_tx")
}
