// SPDX-License-Identifier: GPL-2.0

//! Routing (thesis `ms_routing.c`): segments in, segments out, and the
//! per-socket timers.
//!
//! An incoming segment is looked up in the tables and handed to
//! [`mtcp::route::route`].  Segments for a socket on this node never touch
//! the network: they are queued in an [`Outbox`] and delivered once the
//! sender's lock is dropped, as the thesis short-circuits same-node peers.
//! One kernel thread (`ms_timer`) runs retransmission, TIME_WAIT and the
//! orphan timeouts.

use core::ffi::c_void;

use kernel::{
    bindings,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
    },
};

use crate::ms_data::{
    self,
    this_node, //
};
use crate::ms_input;
use crate::ms_sock::{
    MsSock,
    SockInner, //
};
use crate::mtcp::{
    engine::{
        Conn,
        Events,
        Sock,
        Source,
        State, //
    },
    route::{
        self,
        ListenerView,
        Route,
        Target, //
    },
    wire::{
        self,
        Header,
        Segment, //
    },
};

/// Counters for `/proc/hpc/migsock/stats`.
pub(crate) struct RouteStats {
    pub(crate) seg_in: Atomic<u64>,
    pub(crate) seg_out: Atomic<u64>,
    pub(crate) seg_local: Atomic<u64>,
    pub(crate) retransmits: Atomic<u64>,
    pub(crate) replies: Atomic<u64>,
    pub(crate) conn_requests: Atomic<u64>,
    pub(crate) no_socket: Atomic<u64>,
    pub(crate) send_errors: Atomic<u64>,
    pub(crate) departing_drops: Atomic<u64>,
    pub(crate) mig_signals: Atomic<u64>,
    pub(crate) redirects: Atomic<u64>,
}

pub(crate) static STATS: RouteStats = RouteStats {
    seg_in: Atomic::new(0),
    seg_out: Atomic::new(0),
    seg_local: Atomic::new(0),
    retransmits: Atomic::new(0),
    replies: Atomic::new(0),
    conn_requests: Atomic::new(0),
    no_socket: Atomic::new(0),
    send_errors: Atomic::new(0),
    departing_drops: Atomic::new(0),
    mig_signals: Atomic::new(0),
    redirects: Atomic::new(0),
};

/// Bound on same-node segments handled in one go (each can answer).  A
/// full window both ways is under a hundred segments; 100000 took a
/// minute of one system call on a TCG node when two sockets traded ACKs.
const MAX_LOCAL_ROUNDS: usize = 4096;
/// Timer thread period.
const TICK_MS: u32 = 10;
/// An old copy is forgotten after this if MIGACKED never comes.
const MOVED_MAX_MS: u64 = 60_000;
/// Orphans in FIN_WAIT_2 are dropped after this unless `TCP_LINGER2` says.
const DEFAULT_LINGER2_MS: u64 = 60_000;

/// Milliseconds on a monotonic clock.
pub(crate) fn now_ms() -> u64 {
    // SAFETY: `ktime_get` only reads the clock.
    let ns = unsafe { bindings::ktime_get() };
    u64::try_from(ns).unwrap_or(0) / 1_000_000
}

/// Segments for sockets on this node, waiting for their sender's lock to go.
pub(crate) struct Outbox {
    local: KVec<KVec<u8>>,
}

impl Outbox {
    pub(crate) fn new() -> Self {
        Outbox { local: KVec::new() }
    }

    /// Sends `seg` to `node`: through the network, or queued if it is here.
    fn send(&mut self, node: u16, seg: &[u8]) {
        if node == this_node() {
            STATS.seg_local.fetch_add(1, Relaxed);
            let mut v = KVec::new();
            if v.extend_from_slice(seg, GFP_KERNEL).is_err()
                || self.local.push(v, GFP_KERNEL).is_err()
            {
                // Lost like a dropped datagram: retransmission recovers.
                STATS.send_errors.fetch_add(1, Relaxed);
            }
            return;
        }
        STATS.seg_out.fetch_add(1, Relaxed);
        if ms_input::send_to(node, seg).is_err() {
            STATS.send_errors.fetch_add(1, Relaxed);
        }
    }

    /// Are same-node segments waiting?
    pub(crate) fn has_local(&self) -> bool {
        !self.local.is_empty()
    }

    /// Delivers the queued same-node segments (and whatever they cause).
    /// Call with no socket lock held.
    pub(crate) fn run(&mut self) {
        let src = Source {
            node: this_node(),
            addr: 0,
        };
        let mut rounds = 0usize;
        while !self.local.is_empty() && rounds < MAX_LOCAL_ROUNDS {
            rounds += 1;
            let Ok(seg) = self.local.remove(0) else {
                break;
            };
            deliver(src, &seg, false, self);
        }
        // Past the bound, what is left is lost like dropped datagrams.
        self.local.clear();
    }
}

/// Sends everything the socket has to send.
pub(crate) fn flush(g: &mut SockInner, out: &mut Outbox) {
    let now = now_ms();
    g.ack_deferred = false;
    let mut buf = core::mem::take(&mut g.txbuf);
    for _ in 0..64 {
        let Some(t) = g.eng.poll_transmit(now, &mut buf) else {
            break;
        };
        if let Some(seg) = buf.get(..t.len) {
            out.send(t.node, seg);
        }
    }
    g.txbuf = buf;
}

/// Sends a bare header back to where `src` is.
fn reply(h: &Header, src: Source, out: &mut Outbox) {
    let mut buf = [0u8; wire::MAX_HEADER_LEN];
    let cksum = src.node != this_node();
    if let Ok(n) = wire::encode(h, &[], &mut buf, cksum) {
        STATS.replies.fetch_add(1, Relaxed);
        out.send(src.node, &buf[..n]);
    }
}

/// What the tables hold for a segment.
enum Found {
    Sock(Arc<MsSock>),
    Moved(route::Moved),
    Listener(Arc<MsSock>),
    Redirect(u16, u16),
    Nothing,
}

fn lookup(h: &Header) -> Found {
    let key = (h.dport, h.sport, h.dhnode, h.shnode);
    let found = ms_data::with_tables(|t| {
        if let Some(s) = t.socks.get(&key) {
            return Ok(Found::Sock(s.clone()));
        }
        if let Some(m) = t.moved.get(&key) {
            return Ok(Found::Moved(route::Moved {
                node: m.node,
                epoch: m.epoch,
            }));
        }
        let lk = (h.dport, h.dhnode);
        if let Some(l) = t.listeners.get(&lk) {
            return Ok(Found::Listener(l.clone()));
        }
        if let Some(r) = t.redirects.get(&lk) {
            return Ok(Found::Redirect(r.cnode, r.epoch));
        }
        Ok(Found::Nothing)
    });
    found.unwrap_or(Found::Nothing)
}

/// Wakes whoever waits on `s` (and its listener) after `ev`.
fn wake(s: &MsSock, parent: Option<Arc<MsSock>>, ev: Events) {
    if ev.0 != 0 {
        s.notify();
    }
    if let Some(p) = parent {
        p.notify();
    }
}

/// Resets logged so far; the first few per boot are enough to debug.
static RESETS_LOGGED: Atomic<u32> = Atomic::new(0);

/// Logs a synchronized connection reset by an RST from a node other than
/// its peer's home, or after the peer moved: the case where a node that
/// lost track of a moving socket may kill a live connection.
fn log_reset(eng: &Sock<KVec<u8>>, was: State, h: &wire::Header, src: Source) {
    let synced = matches!(
        was,
        State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait
    );
    let moved = src.node != eng.conn.rem_hnode || eng.rem_epoch() != 0;
    if synced && moved && RESETS_LOGGED.fetch_add(1, Relaxed) < 16 {
        pr_info!(
            "connection {}:{}:{}:{} in {:?} reset by node {} (peer epoch {}, RST {:?})\n",
            h.dport,
            h.sport,
            h.dhnode,
            h.shnode,
            was,
            src.node,
            eng.rem_epoch(),
            h.mig.map(|m| m.epoch)
        );
    }
}

/// Handles a segment from `src` (thesis `ms_route_pkt()`).
pub(crate) fn deliver(src: Source, bytes: &[u8], verify: bool, out: &mut Outbox) {
    let Ok(seg) = wire::parse_checked(bytes, verify) else {
        ms_input::count_bad();
        return;
    };
    STATS.seg_in.fetch_add(1, Relaxed);
    let now = now_ms();
    let here = this_node();
    match lookup(&seg.hdr) {
        Found::Sock(s) => {
            let mut g = s.inner.lock();
            if g.departing {
                // Saved for MIGTOYOU: the peer resends to the new node.
                STATS.departing_drops.fetch_add(1, Relaxed);
                return;
            }
            let was = g.eng.state();
            let r = route::route(now, &seg, src, here, Target::Sock(&mut g.eng));
            if seg.hdr.flags.rst() && g.eng.state() == State::Closed {
                log_reset(&g.eng, was, &seg.hdr, src);
            }
            let mut ev = Events::NONE;
            if let Route::Socket(o) = r {
                ev = o.events;
                if let Some(h) = o.reply {
                    reply(&h, src, out);
                }
            } else if let Route::Reply(h) = r {
                reply(&h, src, out);
            }
            mig_acked(&mut g, ev);
            if may_delay_ack(&g, &seg, ev) {
                // The timer (or data the process sends first) carries it.
                g.ack_deferred = true;
            } else {
                flush(&mut g, out);
            }
            let closed = g.eng.state() == State::Closed;
            let parent = g.parent.clone();
            drop(g);
            wake(&s, parent, ev);
            if closed {
                ms_data::unhash(&s);
            }
        }
        Found::Listener(l) => {
            let mut g = l.inner.lock();
            if g.departing {
                // Its process is leaving: the SYN comes again, and finds
                // the listener on its new node (or the home's redirect).
                STATS.departing_drops.fetch_add(1, Relaxed);
                return;
            }
            // Requests that died unaccepted free their backlog slots
            // here, not only at the next accept.
            g.prune_backlog();
            // A listener in the table runs here: ones that moved away are
            // redirects (and the migd's exists before the node's number).
            let view = ListenerView {
                cnode: here,
                epoch: 0,
                backlog_full: g.backlog.len() >= crate::ms_sock::BACKLOG,
            };
            drop(g);
            match route::route::<KVec<u8>>(now, &seg, src, here, Target::Listener(view)) {
                Route::ConnRequest => conn_request(&l, &seg, src, out),
                Route::Reply(h) => reply(&h, src, out),
                _ => {}
            }
        }
        Found::Moved(m) => {
            STATS.mig_signals.fetch_add(1, Relaxed);
            if let Route::Reply(h) =
                route::route::<KVec<u8>>(now, &seg, src, here, Target::Moved(m))
            {
                reply(&h, src, out);
            }
        }
        Found::Redirect(cnode, epoch) => {
            let view = ListenerView {
                cnode,
                epoch,
                backlog_full: false,
            };
            if let Route::Reply(h) =
                route::route::<KVec<u8>>(now, &seg, src, here, Target::Listener(view))
            {
                STATS.redirects.fetch_add(1, Relaxed);
                reply(&h, src, out);
            }
        }
        Found::Nothing => {
            STATS.no_socket.fetch_add(1, Relaxed);
            if let Route::Reply(h) = route::route::<KVec<u8>>(now, &seg, src, here, Target::None) {
                reply(&h, src, out);
            }
        }
    }
}

/// A migrated socket the peer has acknowledged: its old node may drop
/// the old copy (MIGACKED).
fn mig_acked(g: &mut SockInner, ev: Events) {
    if ev.has(Events::MIG_ACKED) && g.mig_from != 0 {
        crate::ms_migd::queue_migacked(g.mig_from, &g.eng);
        g.mig_from = 0;
    }
}

/// Delayed ACK: a short data segment that changed nothing but the receive
/// queue, on a socket with nothing new to send, is acknowledged within one
/// timer tick or with the process's next data, whichever comes first.
/// Full-sized segments (bulk transfer) are acknowledged at once.
fn may_delay_ack(g: &SockInner, seg: &Segment<'_>, ev: Events) -> bool {
    let f = seg.hdr.flags;
    let other = Events::CONNECTED
        .with(Events::CLOSED)
        .with(Events::PEER_FIN)
        .with(Events::ERROR)
        .with(Events::MIG_ACKED)
        .with(Events::REMOTE_MOVED);
    let in_flight = crate::mtcp::seq::diff(g.eng.snd_nxt(), g.eng.snd_una()) as usize;
    !seg.payload.is_empty()
        && seg.payload.len() < usize::from(g.eng.config().mss)
        && !f.fin()
        && !f.syn()
        && !f.rst()
        && seg.hdr.mig.is_none()
        && ev.has(Events::READABLE)
        && ev.0 & other.0 == 0
        && g.eng.send_queued() <= in_flight
        && g.eng.state() == State::Established
}

/// The IPv4 address of `node` (0 if unknown).
pub(crate) fn node_addr(node: u16) -> u32 {
    let mut ip: bindings::__be32 = 0;
    // SAFETY: `hpc_node_to_addr` reads the node map into `ip`.
    if unsafe { bindings::hpc_node_to_addr(node, &mut ip) } != 0 {
        return 0;
    }
    ip
}

/// Random initial sequence number.
pub(crate) fn new_iss() -> u32 {
    // SAFETY: `get_random_u32` has no preconditions.
    unsafe { bindings::get_random_u32() }
}

/// Resets a connection taken off a listener that no one will have (the
/// accept failed, the listener closed or left the node): the peer hears
/// an RST, and the socket leaves the tables.
pub(crate) fn reset_unaccepted(c: &Arc<MsSock>) {
    let mut out = Outbox::new();
    let mut g = c.inner.lock();
    g.parent = None;
    g.orphan = true;
    g.eng.abort();
    flush(&mut g, &mut out);
    drop(g);
    ms_data::unhash(c);
    out.run();
}

/// A SYN for listener `l`: a new socket answers it and waits in the backlog.
fn conn_request(l: &Arc<MsSock>, syn: &Segment<'_>, src: Source, out: &mut Outbox) {
    STATS.conn_requests.fetch_add(1, Relaxed);
    // Counted against the listener's user.
    let Ok(child) = l.charge.another().and_then(|c| MsSock::new(false, c)) else {
        return;
    };
    let h = &syn.hdr;
    let here = this_node();
    let key = (h.dport, h.sport, h.dhnode, h.shnode);
    let opts = l.inner.lock().eng.opts;
    {
        let mut g = child.inner.lock();
        g.eng.opts = opts;
        let conn = Conn {
            local_port: h.dport,
            local_hnode: h.dhnode,
            local_cnode: here,
            ..Conn::default()
        };
        if g.eng.open_passive(conn, syn, src, new_iss()).is_err() {
            return;
        }
        g.parent = Some(l.clone());
        g.hashed = Some(key);
    }
    let inserted = ms_data::with_tables(|t| {
        if t.socks.get(&key).is_some() {
            return Ok(false);
        }
        t.socks
            .try_create_and_insert(key, child.clone(), GFP_KERNEL)?;
        Ok(true)
    });
    if !matches!(inserted, Ok(true)) {
        return;
    }
    let queued = {
        let mut lg = l.inner.lock();
        // Checked again under the lock: the listener's process may have
        // begun to leave since the SYN was routed here, and a child queued
        // now would stay behind, holding the listener as its parent.
        if lg.departing {
            STATS.departing_drops.fetch_add(1, Relaxed);
        }
        lg.listening
            && !lg.departing
            && lg.backlog.len() < crate::ms_sock::BACKLOG
            && lg.backlog.push(child.clone(), GFP_KERNEL).is_ok()
    };
    if !queued {
        child.inner.lock().parent = None;
        ms_data::unhash(&child);
        return;
    }
    let mut g = child.inner.lock();
    flush(&mut g, out);
}

/// One timer round over every socket.
fn tick_all() {
    let now = now_ms();
    for s in ms_data::all_socks().iter() {
        let mut out = Outbox::new();
        let mut g = s.inner.lock();
        if g.departing {
            continue;
        }
        let mut ev = Events::NONE;
        if g.eng.poll_at().is_some_and(|t| t <= now) {
            let before = g.eng.snd_nxt();
            ev = g.eng.on_tick(now);
            if ev.has(Events::TRANSMIT) && g.eng.snd_nxt() != before {
                STATS.retransmits.fetch_add(1, Relaxed);
            }
        }
        if g.orphan {
            orphan_timeouts(&mut g, now, &mut ev);
        }
        mig_acked(&mut g, ev);
        flush(&mut g, &mut out);
        let closed = g.eng.state() == State::Closed;
        let parent = g.parent.clone();
        drop(g);
        wake(s, parent, ev);
        if closed {
            ms_data::unhash(s);
        }
        out.run();
    }
}

/// An orphan stuck in FIN_WAIT_2 is dropped after `TCP_LINGER2`.
fn orphan_timeouts(g: &mut SockInner, now: u64, ev: &mut Events) {
    if g.eng.state() != State::FinWait2 {
        g.fw2_since = None;
        return;
    }
    let since = *g.fw2_since.get_or_insert(now);
    let limit = match g.eng.opts.linger2_s {
        s if s < 0 => DEFAULT_LINGER2_MS,
        s => u64::try_from(s).unwrap_or(0).saturating_mul(1000),
    };
    if now.saturating_sub(since) >= limit {
        ev.add(g.eng.abort());
    }
}

/// The timer thread.
///
/// # Safety
///
/// Called only by `kthread`.
unsafe extern "C" fn timer_thread(_data: *mut c_void) -> c_int {
    let mut n = 0u32;
    loop {
        // SAFETY: sleeping in a kernel thread is allowed.
        unsafe { bindings::msleep(TICK_MS) };
        tick_all();
        n = n.wrapping_add(1);
        if n % 100 == 0 {
            ms_data::expire_moved(now_ms(), MOVED_MAX_MS);
            crate::ms_migd::reap_unclaimed(now_ms());
        }
    }
}

/// Starts the timer thread.
pub(crate) fn start() -> Result {
    spawn(timer_thread, c"ms_timer")
}

/// Starts a kernel thread running `f` (which takes no data).
pub(crate) fn spawn(
    f: unsafe extern "C" fn(*mut c_void) -> c_int,
    name: &'static core::ffi::CStr,
) -> Result {
    // SAFETY: `f` needs no data; the name arguments are NUL-terminated
    // strings that live for ever.
    let task = unsafe {
        bindings::kthread_create_on_node(
            Some(f),
            core::ptr::null_mut(),
            bindings::NUMA_NO_NODE,
            kernel::str::CStrExt::as_char_ptr(c"%s"),
            kernel::str::CStrExt::as_char_ptr(name),
        )
    };
    match kernel::error::from_err_ptr(task) {
        Ok(t) if !t.is_null() => {
            // SAFETY: `t` is the thread just created and not yet woken.
            unsafe { bindings::wake_up_process(t) };
            Ok(())
        }
        _ => Err(ENOMEM),
    }
}
