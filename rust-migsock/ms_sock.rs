// SPDX-License-Identifier: GPL-2.0

//! The socket object (thesis `struct mig_sock`): the portable MTCP engine
//! with its buffers, behind the recursive socket lock and a short mutex.
//!
//! Lock order: the table lock (`ms_data::TABLES`) is never taken while a
//! socket's `inner` is held; a listener's `inner` may be held while a
//! pending child's `inner` is taken, never the other way round.

use kernel::{
    bindings, new_condvar, new_mutex, new_spinlock,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc, CondVar, Mutex, SpinLock,
    },
};

use crate::ms_account::UserCharge;
use crate::ms_lock::RecLock;
use crate::mtcp::{
    engine::{
        Config,
        Opts,
        Sock,
        State, //
    },
    wire,
};

/// Send queue size of a socket.
pub(crate) const SNDBUF: usize = 64 * 1024;
/// Receive queue size: also the largest window MTCP can announce.
pub(crate) const RCVBUF: usize = 65535;
/// Room for one segment: the largest header and one MSS of data.
pub(crate) const TXBUF: usize = wire::MAX_HEADER_LEN + 1400;
/// Pending connections a listener queues (thesis: `backlog`).
pub(crate) const BACKLOG: usize = 16;

/// Name of a connected socket: (local port, remote port, local home node,
/// remote home node).
pub(crate) type SockKey = (u16, u16, u16, u16);
/// Name of a listener: (port, home node).
pub(crate) type ListenKey = (u16, u16);

/// The fields of a socket, under [`MsSock::inner`].
pub(crate) struct SockInner {
    /// The protocol state and queues.
    pub(crate) eng: Sock<KVec<u8>>,
    /// A listener (the engine then stays CLOSED and only the backlog is used).
    pub(crate) listening: bool,
    /// Listener: connections not yet accepted.
    pub(crate) backlog: KVec<Arc<MsSock>>,
    /// Pending child: the listener it waits on (cleared at accept).
    pub(crate) parent: Option<Arc<MsSock>>,
    /// Its key in the socket table, while it is there.
    pub(crate) hashed: Option<SockKey>,
    /// No descriptor refers to it any more (closed, process gone).
    pub(crate) orphan: bool,
    /// When an orphan entered FIN_WAIT_2 (ms), for `TCP_LINGER2`.
    pub(crate) fw2_since: Option<u64>,
    /// An ACK is owed but held back to ride on the next data (delayed ACK).
    pub(crate) ack_deferred: bool,
    /// Scratch buffer for one outgoing segment.
    pub(crate) txbuf: KVec<u8>,
    /// Its process is migrating away: it was saved for MIGTOYOU and must
    /// not take segments (the peer resends them to the new node).
    pub(crate) departing: bool,
    /// Arrived by migration from this node, which keeps the old copy until
    /// it gets MIGACKED (0: nothing to acknowledge).
    pub(crate) mig_from: u16,
    /// Frozen and copied to this node, whose answer for the image is
    /// awaited (0: not moving).
    pub(crate) moving_to: u16,
    /// That node's MIGACKED came before the answer: no old copy needed.
    pub(crate) acked_early: bool,
}

impl SockInner {
    /// Listener: forgets pending connections that died unaccepted (reset,
    /// timed out), freeing their backlog slots.
    pub(crate) fn prune_backlog(&mut self) {
        self.backlog
            .retain(|c| c.inner.lock().eng.state() != State::Closed);
    }

    /// Listener: takes the first pending connection that is established.
    pub(crate) fn take_ready(&mut self) -> Option<Arc<MsSock>> {
        self.prune_backlog();
        let i = self
            .backlog
            .iter()
            .position(|c| c.inner.lock().eng.state().synchronized())?;
        self.backlog.remove(i).ok()
    }

    /// A connecting socket: `None` while the connection is being made, then
    /// whether it was (the error taken off the socket if not).
    pub(crate) fn connect_outcome(&mut self) -> Option<Result> {
        match self.eng.state() {
            State::SynSent | State::SynReceived => None,
            State::Closed => Some(Err(self
                .eng
                .take_error()
                .map_or(ECONNREFUSED, crate::ms_systest::errno))),
            _ => Some(Ok(())),
        }
    }
}

/// A migratable socket.
#[pin_data(PinnedDrop)]
pub(crate) struct MsSock {
    /// Serial number, for `/proc`.
    pub(crate) id: u64,
    /// Owner of the socket for the length of a call (thesis figure 4.4).
    #[pin]
    pub(crate) reclock: RecLock,
    /// The socket's fields.
    #[pin]
    pub(crate) inner: Mutex<SockInner>,
    /// Readers, writers, acceptors, connectors and lingering closers.
    #[pin]
    pub(crate) wait: CondVar,
    /// The `struct sock` of an `IPPROTO_MTCP` descriptor, whose pollers
    /// wake with the waiters above; set while the descriptor is open.
    #[pin]
    pub(crate) sk: SpinLock<Option<SkPtr>>,
    /// Its place in its user's bound (`ms_account`).
    pub(crate) charge: UserCharge,
}

/// A `struct sock` of `IPPROTO_MTCP` (hpc/migsock_sock.c).
///
/// # Invariants
///
/// Points to a live socket for as long as it is in [`MsSock::sk`]: the
/// socket's release takes it out (under the lock) before the sock goes.
pub(crate) struct SkPtr(pub(crate) *mut bindings::sock);

// SAFETY: a `struct sock` may be woken from any thread; the pointer is only
// used under `MsSock::sk`.
unsafe impl Send for SkPtr {}

impl MsSock {
    /// Wakes everyone waiting on the socket: sleepers in its calls, and
    /// pollers of its descriptor.
    pub(crate) fn notify(&self) {
        self.wait.notify_all();
        let sk = self.sk.lock();
        if let Some(p) = sk.as_ref() {
            // SAFETY: by the invariant of `SkPtr`, the sock is live while
            // it is here, and we hold the lock its release takes.
            unsafe { bindings::mtcp_sk_wake(p.0) };
        }
    }
}

static NEXT_ID: Atomic<u64> = Atomic::new(1);
/// Live socket objects, for the leak check in the tests.
pub(crate) static LIVE: Atomic<u64> = Atomic::new(0);

/// Default options when a call passes no `struct ms_opts`.
pub(crate) const DEFAULT_OPTS: Opts = Opts {
    file_flags: 0,
    rcvlowat: 1,
    rcvtimeo_ms: 0,
    linger_s: -1,
    linger2_s: -1,
};

impl MsSock {
    /// A new CLOSED socket with its buffers, charged to the memory cgroup
    /// of the caller (the process that opens it, or the migd for arrivals)
    /// and counted by `charge` against its user: a loop opening sockets
    /// meets its own limits, not the node's.
    pub(crate) fn new(listening: bool, charge: UserCharge) -> Result<Arc<Self>> {
        // A listener needs no queues of its own.
        let (snd, rcv) = if listening { (0, 0) } else { (SNDBUF, RCVBUF) };
        let mut eng = Sock::new(
            Config::DEFAULT,
            KVec::zeroed(snd, GFP_KERNEL_ACCOUNT)?,
            KVec::zeroed(rcv, GFP_KERNEL_ACCOUNT)?,
        );
        eng.opts = DEFAULT_OPTS;
        let inner = SockInner {
            eng,
            listening,
            backlog: KVec::new(),
            parent: None,
            hashed: None,
            orphan: false,
            fw2_since: None,
            ack_deferred: false,
            txbuf: KVec::zeroed(if listening { 0 } else { TXBUF }, GFP_KERNEL_ACCOUNT)?,
            departing: false,
            mig_from: 0,
            moving_to: 0,
            acked_early: false,
        };
        let s = Arc::pin_init(
            try_pin_init!(Self {
                id: NEXT_ID.fetch_add(1, Relaxed),
                reclock <- RecLock::new(),
                // A listener's lock is held while its backlog's are taken
                // (never the other way round): a lock class of its own.
                inner <- if listening {
                    new_mutex!(inner, "MsSock::listener")
                } else {
                    new_mutex!(inner, "MsSock::inner")
                },
                wait <- new_condvar!("MsSock::wait"),
                sk <- new_spinlock!(None, "MsSock::sk"),
                charge,
            }),
            GFP_KERNEL_ACCOUNT,
        )?;
        LIVE.fetch_add(1, Relaxed);
        Ok(s)
    }
}

#[pinned_drop]
impl PinnedDrop for MsSock {
    fn drop(self: Pin<&mut Self>) {
        LIVE.fetch_sub(1, Relaxed);
    }
}
