// SPDX-License-Identifier: GPL-2.0

//! The MTCP socket: RFC 793's state machine, sans-IO.
//!
//! [`Sock`] is the thesis's `struct mig_sock` without locks, threads or
//! packets: connection fields ([`Conn`]), status (`state`, `iostate`,
//! `newly_migrated`, the pending error), the sequence variables of thesis
//! figure 4.3, and two byte rings for the send queue (unacknowledged, then
//! unsent data) and the receive queue (data not yet delivered to the
//! process, starting at `deliver_nxt`).
//!
//! The caller owns memory and time. It feeds the socket
//! - incoming segments ([`Sock::on_segment`], normally through
//!   [`super::route::route`]),
//! - timer ticks ([`Sock::on_tick`], due at [`Sock::poll_at`]), and
//! - user requests ([`Sock::connect`], [`Sock::open_passive`], [`Sock::send`],
//!   [`Sock::recv`], [`Sock::shutdown`], [`Sock::close`], [`Sock::abort`]),
//!
//! and gets back [`Events`] (wake readers/writers, connected, closed, error,
//! remote moved, migration acknowledged) plus, now and then, a reply header to
//! send. Whatever the socket itself wants to send is pulled with
//! [`Sock::poll_transmit`] until it returns `None`.
//!
//! Simplifications, as in the thesis: the send window is fixed to what the
//! peer advertised in its SYN; the receiver accepts in-order data that fits
//! its free buffer space and drops the rest; no urgent data; no options
//! except migration. Standalone ACKs are sent at once rather than delayed.
//! Recovery is go-back-N: on the retransmission timer (exponential backoff,
//! `ETIMEDOUT` after [`Config::max_retries`] unanswered tries), on the third
//! duplicate ACK, when a full receiver announces room again, and when the
//! peer is found on another node. A peer that keeps answering is never
//! timed out, so a process may leave its socket unread for as long as it
//! likes. An RST keeps received data readable; its error comes after it.
//!
//! Migration (thesis section 4.5.3, `docs/mtcp-wire.md`): every socket has
//! an epoch, the number of times it migrated. [`Sock::save`] and
//! [`Sock::restore`] move a socket; the restored socket resends what is
//! unacknowledged to the peer at once and stays `newly_migrated` until the
//! peer echoes its new epoch. The peer follows the socket to the node a
//! valid, not older segment comes from, or to the node named by a
//! migration signal from the old node; it ignores RSTs that do not name
//! the epoch it knows, since a node the socket left may answer stale
//! segments.

use super::crop;
use super::ring::{Ring, Storage};
use super::seq;
use super::wire::{self, Flags, Header, MigOpt, Segment};
use super::{copy_bytes, Errno, Node};

/// Connection states of RFC 793 section 3.2 (thesis `enum mts_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum State {
    /// `MTS_CLOSED`: no connection.
    Closed = 0,
    /// `MTS_LISTEN`: waiting for connection requests.
    Listen = 1,
    /// `MTS_SYN_SENT`: connection request sent.
    SynSent = 2,
    /// `MTS_SYN_RECEIVED`: connection request received and answered.
    SynReceived = 3,
    /// `MTS_ESTABLISHED`: open, data flows both ways.
    Established = 4,
    /// `MTS_FIN_WAIT_1`: we closed; our FIN is queued or unacknowledged.
    FinWait1 = 5,
    /// `MTS_FIN_WAIT_2`: our FIN was acknowledged; the peer may still send.
    FinWait2 = 6,
    /// `MTS_CLOSE_WAIT`: the peer closed; we may still send.
    CloseWait = 7,
    /// `MTS_CLOSING`: both closed at once; our FIN is unacknowledged.
    Closing = 8,
    /// `MTS_LAST_ACK`: the peer closed first, then we; waiting for our FIN's ACK.
    LastAck = 9,
    /// `MTS_TIME_WAIT`: both closed; waiting out old duplicates.
    TimeWait = 10,
}

/// Thesis name of [`State::Closed`].
pub const MTS_CLOSED: State = State::Closed;
/// Thesis name of [`State::Listen`].
pub const MTS_LISTEN: State = State::Listen;
/// Thesis name of [`State::SynSent`].
pub const MTS_SYN_SENT: State = State::SynSent;
/// Thesis name of [`State::SynReceived`].
pub const MTS_SYN_RECEIVED: State = State::SynReceived;
/// Thesis name of [`State::Established`].
pub const MTS_ESTABLISHED: State = State::Established;
/// Thesis name of [`State::FinWait1`].
pub const MTS_FIN_WAIT_1: State = State::FinWait1;
/// Thesis name of [`State::FinWait2`].
pub const MTS_FIN_WAIT_2: State = State::FinWait2;
/// Thesis name of [`State::CloseWait`].
pub const MTS_CLOSE_WAIT: State = State::CloseWait;
/// Thesis name of [`State::Closing`].
pub const MTS_CLOSING: State = State::Closing;
/// Thesis name of [`State::LastAck`].
pub const MTS_LAST_ACK: State = State::LastAck;
/// Thesis name of [`State::TimeWait`].
pub const MTS_TIME_WAIT: State = State::TimeWait;

impl State {
    /// All states, in numeric order.
    pub const ALL: [State; 11] = [
        State::Closed,
        State::Listen,
        State::SynSent,
        State::SynReceived,
        State::Established,
        State::FinWait1,
        State::FinWait2,
        State::CloseWait,
        State::Closing,
        State::LastAck,
        State::TimeWait,
    ];

    /// The state with wire/numeric code `v`, if any.
    pub fn from_u8(v: u8) -> Option<State> {
        State::ALL.get(usize::from(v)).copied()
    }

    /// Has the connection been synchronized (SYN exchanged) in this state?
    pub const fn synchronized(self) -> bool {
        !matches!(self, State::Closed | State::Listen | State::SynSent)
    }

    /// Has a FIN from the peer been received in this state?
    pub const fn peer_fin(self) -> bool {
        matches!(
            self,
            State::CloseWait | State::Closing | State::LastAck | State::TimeWait
        )
    }
}

/// Duplicate ACKs that trigger an early retransmission.
pub const DUPACK_THRESHOLD: u8 = 3;

/// `iostate` bit: the socket may be read (thesis `MTIO_RD`).
pub const MTIO_RD: u8 = 1;
/// `iostate` bit: the socket may be written (thesis `MTIO_WR`).
pub const MTIO_WR: u8 = 2;

/// Tuning of the engine; the same on every node of a cluster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Largest data length of one segment.
    pub mss: u16,
    /// Initial retransmission timeout, in milliseconds.
    pub rto_ms: u32,
    /// Largest retransmission timeout after backoff, in milliseconds.
    pub rto_max_ms: u32,
    /// Retransmissions of the same data before giving up (`ETIMEDOUT`).
    pub max_retries: u8,
    /// Length of TIME_WAIT (2 MSL), in milliseconds.
    pub time_wait_ms: u32,
}

impl Config {
    /// Defaults for a cluster LAN.
    pub const DEFAULT: Config = Config {
        mss: 1400,
        rto_ms: 200,
        rto_max_ms: 6400,
        max_retries: 15,
        time_wait_ms: 2000,
    };
}

/// Least time between two answers to out-of-window segments without data.
pub const OOW_ACK_MS: u64 = 200;

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}

/// Where a segment came from: the sending node and its address as seen by
/// the transport (an IPv4 address in the kernel; opaque here).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Source {
    /// Node number of the sender.
    pub node: Node,
    /// Transport address of the sender.
    pub addr: u32,
}

/// The connection fields of a socket (thesis figure 4.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Conn {
    /// Local port.
    pub local_port: u16,
    /// Remote port.
    pub rem_port: u16,
    /// Home node of the local process.
    pub local_hnode: Node,
    /// Node the local process currently runs on.
    pub local_cnode: Node,
    /// Home node of the remote process.
    pub rem_hnode: Node,
    /// Node the remote process currently runs on.
    pub rem_cnode: Node,
    /// Cached transport address of `rem_cnode` (thesis `rem_cip`).
    pub rem_cip: u32,
}

/// Socket options that travel with a migrating socket (thesis table A.2).
/// The engine only stores them; the syscall layer interprets them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Opts {
    /// File flags (`O_NONBLOCK`, ...).
    pub file_flags: u32,
    /// `SO_RCVLOWAT`.
    pub rcvlowat: u32,
    /// `SO_RCVTIMEO` in milliseconds (0: none).
    pub rcvtimeo_ms: u32,
    /// `SO_LINGER` in seconds (negative: off).
    pub linger_s: i32,
    /// `TCP_LINGER2` in seconds (negative: default).
    pub linger2_s: i32,
}

/// What happened, as a set of bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Events(pub u16);

impl Events {
    /// Nothing.
    pub const NONE: Events = Events(0);
    /// Data (or end of stream) can be read.
    pub const READABLE: Events = Events(1);
    /// Send queue space was freed.
    pub const WRITABLE: Events = Events(1 << 1);
    /// The connection became established.
    pub const CONNECTED: Events = Events(1 << 2);
    /// The socket reached CLOSED; the caller may unhash and free it.
    pub const CLOSED: Events = Events(1 << 3);
    /// A pending error was set (see [`Sock::take_error`]).
    pub const ERROR: Events = Events(1 << 4);
    /// The remote end moved: `rem_cnode` changed (and maybe `rem_cip`, which
    /// is 0 when the caller must look the node up).
    pub const REMOTE_MOVED: Events = Events(1 << 5);
    /// A newly migrated socket got its first ACK echoing its new epoch (or
    /// closed): send MIGACKED to the previous node and let the process
    /// migrate again.
    pub const MIG_ACKED: Events = Events(1 << 6);
    /// The socket has something to send: call [`Sock::poll_transmit`].
    pub const TRANSMIT: Events = Events(1 << 7);
    /// The peer closed its direction (FIN received).
    pub const PEER_FIN: Events = Events(1 << 8);

    /// Contains all of `o`?
    pub const fn has(self, o: Events) -> bool {
        self.0 & o.0 == o.0
    }
    /// Union.
    pub const fn with(self, o: Events) -> Events {
        Events(self.0 | o.0)
    }
    /// Adds `o` in place.
    pub fn add(&mut self, o: Events) {
        self.0 |= o.0;
    }
}

/// The result of feeding a segment to a socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// What happened.
    pub events: Events,
    /// A header to send back at once to the segment's source (an RST or a
    /// migration signal), not tied to the socket's send queue.
    pub reply: Option<Header>,
}

impl From<Events> for Outcome {
    fn from(events: Events) -> Self {
        Outcome {
            events,
            reply: None,
        }
    }
}

/// A segment produced by [`Sock::poll_transmit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transmit {
    /// Bytes written to the output buffer.
    pub len: usize,
    /// Destination node (`rem_cnode`).
    pub node: Node,
    /// Destination address (`rem_cip`; 0 if the caller must look it up).
    pub addr: u32,
}

/// Scalar state of a socket, as carried by MIGTOYOU (see
/// [`super::metasock`]). Produced by [`Sock::save`], consumed by
/// [`Sock::restore`]; [`SockVars::check`] tells whether it is consistent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SockVars {
    /// Descriptor number in the owning process.
    pub fd: i32,
    /// Pid of the owning process on its home node.
    pub pid: i32,
    /// Connection fields.
    pub conn: Conn,
    /// Socket options.
    pub opts: Opts,
    /// RFC 793 state code (see [`State`]).
    pub state: u8,
    /// `MTIO_RD | MTIO_WR` bits.
    pub iostate: u8,
    /// The local end migrated and the peer has not acknowledged it yet.
    pub newly_migrated: bool,
    /// The process closed the write direction: a FIN follows the queued data.
    pub fin_queued: bool,
    /// The peer's FIN was received.
    pub fin_rcvd: bool,
    /// A blocking connect was broken off by a signal; see
    /// [`Sock::connect_pending`].
    pub connect_pending: bool,
    /// Pending error (errno number, 0 for none).
    pub errno: i32,
    /// Oldest unacknowledged sequence number.
    pub snd_una: u32,
    /// Next sequence number to send (the highest sent so far).
    pub snd_nxt: u32,
    /// Send window (fixed; from the peer's SYN).
    pub snd_wnd: u32,
    /// Initial send sequence number.
    pub iss: u32,
    /// Next sequence number expected.
    pub rcv_nxt: u32,
    /// Receive window last advertised.
    pub rcv_wnd: u32,
    /// Initial receive sequence number.
    pub irs: u32,
    /// Sequence number of the next byte to hand to the process.
    pub deliver_nxt: u32,
    /// Acknowledgment number last sent.
    pub prev_ack_sent: u32,
    /// How often the local end has migrated.
    pub mig_epoch: u16,
    /// Latest migration epoch seen from the remote end.
    pub rem_epoch: u16,
}

/// Why [`SockVars`] plus queue lengths do not describe a valid socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VarsError {
    /// Unknown state code, or a state that cannot migrate.
    BadState,
    /// `iostate` has unknown bits.
    BadIostate,
    /// Unknown errno.
    BadErrno,
    /// A window is zero or larger than 65535.
    BadWindow,
    /// Sequence variables or FIN flags contradict the state.
    BadSequence,
    /// Queue lengths do not match the sequence variables.
    BadQueues,
    /// The queues do not fit the receiving socket's buffers.
    TooLarge,
}

impl SockVars {
    /// Checks the variables against the lengths of the queues that come
    /// with them: `unacked` and `unsent` data of the send queue and
    /// `undelivered` data of the receive queue.
    ///
    /// Migratable states are CLOSED and ESTABLISHED through TIME_WAIT; a
    /// process is not migrated while one of its sockets is connecting, and
    /// listeners move by MIGLISTEN instead.
    pub fn check(
        &self,
        unacked: usize,
        unsent: usize,
        undelivered: usize,
    ) -> Result<State, VarsError> {
        let st = State::from_u8(self.state).ok_or(VarsError::BadState)?;
        if matches!(st, State::Listen | State::SynSent | State::SynReceived) {
            return Err(VarsError::BadState);
        }
        if self.iostate & !(MTIO_RD | MTIO_WR) != 0 {
            return Err(VarsError::BadIostate);
        }
        if self.errno != 0 && Errno::from_errno(self.errno).is_none() {
            return Err(VarsError::BadErrno);
        }
        if self.snd_wnd == 0 || self.snd_wnd > 0xffff || self.rcv_wnd > 0xffff {
            return Err(VarsError::BadWindow);
        }
        let l32 = |n: usize| u32::try_from(n).ok().filter(|&v| v <= 0x4000_0000);
        let unacked = l32(unacked).ok_or(VarsError::TooLarge)?;
        let unsent = l32(unsent).ok_or(VarsError::TooLarge)?;
        let undelivered = l32(undelivered).ok_or(VarsError::TooLarge)?;
        if st == State::Closed {
            // A reset or finished socket kept for its error or last data.
            if unacked != 0 || unsent != 0 {
                return Err(VarsError::BadQueues);
            }
        } else {
            if st.peer_fin() != self.fin_rcvd {
                return Err(VarsError::BadSequence);
            }
            let we_closed = matches!(
                st,
                State::FinWait1
                    | State::FinWait2
                    | State::Closing
                    | State::LastAck
                    | State::TimeWait
            );
            if we_closed != self.fin_queued {
                return Err(VarsError::BadSequence);
            }
            if !seq::gt(self.snd_una, self.iss) || !seq::gt(self.rcv_nxt, self.irs) {
                return Err(VarsError::BadSequence);
            }
            if !seq::le(self.snd_una, self.snd_nxt) {
                return Err(VarsError::BadSequence);
            }
            let in_flight = seq::diff(self.snd_nxt, self.snd_una);
            let fin_acked = matches!(st, State::FinWait2 | State::TimeWait);
            let fin_may_fly = self.fin_queued && !fin_acked && unsent == 0;
            let ok = in_flight == unacked || (fin_may_fly && in_flight == unacked.wrapping_add(1));
            if !ok || (fin_acked && (unacked != 0 || unsent != 0)) {
                return Err(VarsError::BadQueues);
            }
        }
        // The receive queue holds exactly [deliver_nxt, rcv_nxt - fin).
        let rcvd = seq::diff(self.rcv_nxt, self.deliver_nxt);
        if st != State::Closed && rcvd != undelivered.wrapping_add(u32::from(self.fin_rcvd)) {
            return Err(VarsError::BadQueues);
        }
        if st == State::Closed && undelivered > rcvd {
            return Err(VarsError::BadQueues);
        }
        Ok(st)
    }

    /// The migration epoch the socket has after this migration.
    pub fn next_epoch(&self) -> u16 {
        seq::next_epoch(self.mig_epoch)
    }
}

/// An MTCP socket (thesis `struct mig_sock`) over caller-provided buffers.
#[derive(Debug)]
pub struct Sock<B> {
    /// Descriptor number in the owning process.
    pub fd: i32,
    /// Pid of the owning process on its home node.
    pub pid: i32,
    /// Connection fields.
    pub conn: Conn,
    /// Socket options.
    pub opts: Opts,
    /// The process's blocking connect was broken off by a signal while the
    /// connection was being made: the same call, restarted (perhaps on
    /// another node), waits on for it.  Kept for the owner; the protocol
    /// ignores it.
    pub connect_pending: bool,
    cfg: Config,
    state: State,
    iostate: u8,
    newly_migrated: bool,
    errno: Option<Errno>,
    snd_una: u32,
    snd_nxt: u32,
    snd_max: u32,
    snd_wnd: u32,
    iss: u32,
    rcv_nxt: u32,
    irs: u32,
    deliver_nxt: u32,
    prev_ack_sent: u32,
    fin_queued: bool,
    fin_rcvd: bool,
    mig_epoch: u16,
    rem_epoch: u16,
    ack_pending: bool,
    rst_pending: bool,
    rto_at: Option<u64>,
    rto_cur: u32,
    retries: u8,
    dupacks: u8,
    peer_wnd: u32,
    wnd_sent: u32,
    tw_at: Option<u64>,
    mig_ack_at: Option<u64>,
    /// When an out-of-window segment without data was last answered.
    oow_acked_at: Option<u64>,
    snd: Ring<B>,
    rcv: Ring<B>,
}

impl<B: Storage> Sock<B> {
    /// A CLOSED socket with `sndbuf` as its send queue and `rcvbuf` as its
    /// receive queue (whose size is the receive window, at most 65535).
    pub fn new(cfg: Config, sndbuf: B, rcvbuf: B) -> Self {
        Sock {
            fd: -1,
            pid: 0,
            conn: Conn::default(),
            opts: Opts {
                linger_s: -1,
                linger2_s: -1,
                ..Opts::default()
            },
            connect_pending: false,
            cfg,
            state: State::Closed,
            iostate: 0,
            newly_migrated: false,
            errno: None,
            snd_una: 0,
            snd_nxt: 0,
            snd_max: 0,
            snd_wnd: 1,
            iss: 0,
            rcv_nxt: 0,
            irs: 0,
            deliver_nxt: 0,
            prev_ack_sent: 0,
            fin_queued: false,
            fin_rcvd: false,
            mig_epoch: 0,
            rem_epoch: 0,
            ack_pending: false,
            rst_pending: false,
            rto_at: None,
            rto_cur: cfg.rto_ms,
            retries: 0,
            dupacks: 0,
            peer_wnd: 1,
            wnd_sent: 0,
            tw_at: None,
            mig_ack_at: None,
            oow_acked_at: None,
            snd: Ring::new(sndbuf),
            rcv: Ring::new(rcvbuf),
        }
    }

    // ----- accessors -------------------------------------------------------

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }
    /// `MTIO_RD | MTIO_WR` bits.
    pub fn iostate(&self) -> u8 {
        self.iostate
    }
    /// Migrated and not yet acknowledged by the remote end?
    pub fn newly_migrated(&self) -> bool {
        self.newly_migrated
    }
    /// The pending error, left in place.
    pub fn error(&self) -> Option<Errno> {
        self.errno
    }
    /// Takes the pending error (`SO_ERROR`).
    pub fn take_error(&mut self) -> Option<Errno> {
        self.errno.take()
    }
    /// The engine's configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }
    /// Oldest unacknowledged sequence number.
    pub fn snd_una(&self) -> u32 {
        self.snd_una
    }
    /// Next sequence number to send.
    pub fn snd_nxt(&self) -> u32 {
        self.snd_nxt
    }
    /// Initial send sequence number.
    pub fn iss(&self) -> u32 {
        self.iss
    }
    /// Next sequence number expected from the peer.
    pub fn rcv_nxt(&self) -> u32 {
        self.rcv_nxt
    }
    /// Initial receive sequence number.
    pub fn irs(&self) -> u32 {
        self.irs
    }
    /// Sequence number of the next byte the process will read.
    pub fn deliver_nxt(&self) -> u32 {
        self.deliver_nxt
    }
    /// Migration epoch of the local end.
    pub fn mig_epoch(&self) -> u16 {
        self.mig_epoch
    }
    /// The epoch a copy made by the next migration has.
    pub fn next_epoch(&self) -> u16 {
        seq::next_epoch(self.mig_epoch)
    }
    /// Latest migration epoch seen from the remote end.
    pub fn rem_epoch(&self) -> u16 {
        self.rem_epoch
    }
    /// Receive window: free space of the receive queue.
    pub fn rcv_wnd(&self) -> u32 {
        u32::try_from(self.rcv.free().min(0xffff)).unwrap_or(0xffff)
    }
    /// Bytes ready to be read.
    pub fn readable(&self) -> usize {
        self.rcv.len()
    }
    /// The peer's receive window as last announced (at least 1).
    pub fn snd_wnd(&self) -> u32 {
        self.snd_wnd
    }
    /// Free space of the send queue.
    pub fn writable(&self) -> usize {
        self.snd.free()
    }
    /// Bytes in the send queue (unacknowledged and unsent).
    pub fn send_queued(&self) -> usize {
        self.snd.len()
    }
    /// Would reading return at once (data, end of stream or an error)?
    pub fn poll_readable(&self) -> bool {
        !self.rcv.is_empty()
            || self.fin_rcvd
            || self.errno.is_some()
            || self.iostate & MTIO_RD == 0
            || self.state == State::Closed
    }
    /// Does the socket hold sequence state that forbids migrating the
    /// process now (connecting, or an arrival not yet acknowledged)?
    pub fn blocks_migration(&self) -> bool {
        matches!(self.state, State::SynSent | State::SynReceived) || self.newly_migrated
    }

    // ----- helpers ---------------------------------------------------------

    /// Was the connection ever made (our SYN acknowledged)?  Stays true
    /// after it ends, so a closed stream is told from a failed connect.
    pub fn syn_acked(&self) -> bool {
        seq::gt(self.snd_una, self.iss)
    }

    /// Sequence number of the first byte of the send ring.
    fn snd_base(&self) -> u32 {
        if self.syn_acked() {
            self.snd_una
        } else {
            seq::add(self.iss, 1)
        }
    }

    fn ring_len32(&self) -> u32 {
        u32::try_from(self.snd.len()).unwrap_or(u32::MAX)
    }

    /// Is our FIN queued and not yet acknowledged?
    fn fin_unacked(&self) -> bool {
        self.fin_queued
            && matches!(
                self.state,
                State::FinWait1 | State::Closing | State::LastAck
            )
    }

    /// Sequence number of our FIN (meaningful while `fin_queued` and the FIN
    /// is not yet acknowledged).
    fn fin_seq(&self) -> u32 {
        seq::add(self.snd_base(), self.ring_len32())
    }

    fn set_closed(&mut self, ev: &mut Events) {
        if self.newly_migrated {
            // Nothing will acknowledge the move now; the old copy can go.
            ev.add(Events::MIG_ACKED);
        }
        self.state = State::Closed;
        self.iostate = 0;
        self.rto_at = None;
        self.tw_at = None;
        self.mig_ack_at = None;
        self.newly_migrated = false;
        self.ack_pending = false;
        ev.add(Events::CLOSED.with(Events::READABLE).with(Events::WRITABLE));
    }

    fn reset(&mut self, err: Option<Errno>, ev: &mut Events) {
        self.snd.clear();
        if let Some(e) = err {
            self.errno = Some(e);
            ev.add(Events::ERROR);
        }
        self.set_closed(ev);
    }

    fn enter_time_wait(&mut self, now: u64, ev: &mut Events) {
        self.state = State::TimeWait;
        self.rto_at = None;
        self.tw_at = Some(now.saturating_add(u64::from(self.cfg.time_wait_ms)));
        ev.add(Events::READABLE);
    }

    fn established(&mut self, ev: &mut Events) {
        self.state = State::Established;
        ev.add(Events::CONNECTED.with(Events::WRITABLE));
    }

    fn header(&self, seq_: u32, flags: Flags) -> Header {
        Header {
            sport: self.conn.local_port,
            dport: self.conn.rem_port,
            shnode: self.conn.local_hnode,
            dhnode: self.conn.rem_hnode,
            seq: seq_,
            ack: if flags.ack() { self.rcv_nxt } else { 0 },
            flags,
            window: u16::try_from(self.rcv_wnd()).unwrap_or(u16::MAX),
            cksum: 0,
            urgptr: 0,
            mig: self.mig_opt(),
        }
    }

    /// The migration option our segments carry: once either end migrated.
    fn mig_opt(&self) -> Option<MigOpt> {
        (self.mig_epoch != 0 || self.rem_epoch != 0).then_some(MigOpt {
            node: self.conn.local_cnode,
            epoch: self.mig_epoch,
            echo: self.rem_epoch,
            req: self.newly_migrated,
        })
    }

    // ----- user requests ---------------------------------------------------

    /// Active open (thesis `ms_connect()`): sends a SYN with initial sequence
    /// number `iss` to the remote named in `conn`.
    pub fn connect(&mut self, conn: Conn, iss: u32) -> Result<Events, Errno> {
        if self.state != State::Closed || self.iostate != 0 {
            return Err(Errno::IsConn);
        }
        self.conn = conn;
        self.iss = iss;
        self.snd_una = iss;
        self.snd_nxt = iss;
        self.snd_max = iss;
        self.state = State::SynSent;
        self.iostate = MTIO_RD | MTIO_WR;
        self.errno = None;
        self.rto_cur = self.cfg.rto_ms;
        self.retries = 0;
        Ok(Events::TRANSMIT)
    }

    /// Passive open: the listener got connection request `syn` from `src`;
    /// this (CLOSED) socket answers it with a SYN-ACK from `iss`. `conn`
    /// holds the local fields (`rem_*` are taken from the request).
    pub fn open_passive(
        &mut self,
        conn: Conn,
        syn: &Segment<'_>,
        src: Source,
        iss: u32,
    ) -> Result<Events, Errno> {
        if self.state != State::Closed || self.iostate != 0 {
            return Err(Errno::IsConn);
        }
        let h = &syn.hdr;
        if !h.flags.syn() || h.flags.ack() || h.flags.rst() {
            return Err(Errno::Inval);
        }
        self.conn = Conn {
            rem_port: h.sport,
            rem_hnode: h.shnode,
            rem_cnode: src.node,
            rem_cip: src.addr,
            ..conn
        };
        self.iss = iss;
        self.snd_una = iss;
        self.snd_nxt = iss;
        self.snd_max = iss;
        self.snd_wnd = u32::from(h.window).max(1);
        self.irs = h.seq;
        self.rcv_nxt = seq::add(h.seq, 1);
        self.deliver_nxt = self.rcv_nxt;
        self.rem_epoch = h.mig.map_or(0, |m| m.epoch);
        self.state = State::SynReceived;
        self.iostate = MTIO_RD | MTIO_WR;
        self.errno = None;
        self.rto_cur = self.cfg.rto_ms;
        self.retries = 0;
        // Data or FIN riding on the SYN is not taken: the peer retransmits it.
        Ok(Events::TRANSMIT)
    }

    /// Queues data to send (thesis `ms_sendmsg()`); returns how much was taken.
    pub fn send(&mut self, data: &[u8]) -> Result<usize, Errno> {
        let mut off = 0usize;
        let r = self.send_with(data.len(), |dst| {
            let src = data.get(off..).unwrap_or(&[]);
            off = off.saturating_add(copy_bytes(dst, src));
            Ok::<(), core::convert::Infallible>(())
        })?;
        match r {
            Ok(n) => Ok(n),
            Err(never) => match never {},
        }
    }

    /// Like [`Sock::send`], but `fill` writes up to `len` bytes straight
    /// into the send queue (up to two pieces, in order), so the data is
    /// copied once, from where it comes to the queue segments are sent
    /// (and resent) from (the thesis's `ms_alloc_pkt()` idea).  The outer
    /// error is the socket's; the inner one `fill`'s, and then nothing is
    /// queued.
    pub fn send_with<E>(
        &mut self,
        len: usize,
        fill: impl FnMut(&mut [u8]) -> Result<(), E>,
    ) -> Result<Result<usize, E>, Errno> {
        match self.state {
            State::SynSent | State::SynReceived | State::Established | State::CloseWait => {}
            State::Closed => return Err(self.errno.unwrap_or(Errno::NotConn)),
            State::Listen => return Err(Errno::NotConn),
            _ => return Err(Errno::Pipe),
        }
        if self.iostate & MTIO_WR == 0 {
            return Err(Errno::Pipe);
        }
        match self.snd.push_with(len, fill) {
            Ok(0) if len > 0 => Err(Errno::Again),
            r => Ok(r),
        }
    }

    /// Reads received data (thesis `ms_recvmsg()`); with `peek` the data
    /// stays queued. Returns 0 at the end of the stream. Reading may make
    /// room worth announcing to the peer: call [`Sock::poll_transmit`] after.
    pub fn recv(&mut self, out: &mut [u8], peek: bool) -> Result<usize, Errno> {
        if !self.rcv.is_empty() {
            let n = self.rcv.copy_out(0, out);
            if !peek {
                self.rcv.consume(n);
                let n32 = u32::try_from(n).unwrap_or(u32::MAX);
                self.deliver_nxt = seq::add(self.deliver_nxt, n32);
                // We told the peer our buffer was (nearly) full; tell it now
                // that half of it is free (the caller sends after recv).
                let cap = u32::try_from(self.rcv.capacity()).unwrap_or(u32::MAX);
                let mss = u32::from(self.cfg.mss);
                if self.state.synchronized()
                    && self.wnd_sent < mss.min(cap / 2)
                    && self.rcv_wnd() >= cap / 2
                {
                    self.ack_pending = true;
                }
            }
            return Ok(n);
        }
        if self.fin_rcvd || (self.iostate & MTIO_RD == 0 && self.state != State::Closed) {
            return Ok(0);
        }
        if let Some(e) = self.errno.take() {
            return Err(e);
        }
        match self.state {
            State::Closed | State::Listen => {
                if self.snd_max != self.iss || self.rcv_nxt != 0 {
                    Ok(0)
                } else {
                    Err(Errno::NotConn)
                }
            }
            _ => Err(Errno::Again),
        }
    }

    /// Shuts down reading (`MTIO_RD`) and/or writing (`MTIO_WR`) (thesis
    /// `ms_shutdown()`). Closing the write side queues a FIN after the data.
    pub fn shutdown(&mut self, how: u8) -> Events {
        let mut ev = Events::NONE;
        if how & MTIO_RD != 0 && self.iostate & MTIO_RD != 0 {
            self.iostate &= !MTIO_RD;
            let n = u32::try_from(self.rcv.len()).unwrap_or(u32::MAX);
            self.rcv.clear();
            self.deliver_nxt = seq::add(self.deliver_nxt, n);
            ev.add(Events::READABLE);
        }
        if how & MTIO_WR != 0 && self.iostate & MTIO_WR != 0 {
            self.iostate &= !MTIO_WR;
            ev.add(Events::WRITABLE);
            match self.state {
                State::SynSent | State::Listen => {
                    self.snd.clear();
                    self.set_closed(&mut ev);
                }
                State::SynReceived | State::Established => {
                    self.fin_queued = true;
                    self.state = State::FinWait1;
                    ev.add(Events::TRANSMIT);
                }
                State::CloseWait => {
                    self.fin_queued = true;
                    self.state = State::LastAck;
                    ev.add(Events::TRANSMIT);
                }
                _ => {}
            }
        }
        ev
    }

    /// Orderly close by the process (thesis `ms_close()`): both directions.
    pub fn close(&mut self) -> Events {
        self.shutdown(MTIO_RD | MTIO_WR)
    }

    /// Aborts the connection: an RST is sent (if synchronized) and the socket
    /// is CLOSED at once.
    pub fn abort(&mut self) -> Events {
        let mut ev = Events::NONE;
        if self.state.synchronized() && self.state != State::TimeWait {
            self.rst_pending = true;
            ev.add(Events::TRANSMIT);
        }
        self.rcv.clear();
        self.reset(None, &mut ev);
        ev
    }

    // ----- timers ----------------------------------------------------------

    /// When [`Sock::on_tick`] next needs to run, if ever.
    pub fn poll_at(&self) -> Option<u64> {
        [self.rto_at, self.tw_at, self.mig_ack_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// Runs due timers: retransmission (go-back-N with exponential backoff,
    /// `ETIMEDOUT` after too many tries), TIME_WAIT expiry, and the periodic
    /// ACK of a newly migrated socket.
    pub fn on_tick(&mut self, now: u64) -> Events {
        let mut ev = Events::NONE;
        if self.tw_at.is_some_and(|t| now >= t) {
            self.set_closed(&mut ev);
            return ev;
        }
        if self.rto_at.is_some_and(|t| now >= t) {
            self.rto_at = None;
            self.retries = self.retries.saturating_add(1);
            if self.retries > self.cfg.max_retries {
                self.rst_pending = self.state.synchronized();
                self.reset(Some(Errno::TimedOut), &mut ev);
                if self.rst_pending {
                    ev.add(Events::TRANSMIT);
                }
                return ev;
            }
            self.snd_nxt = if self.syn_acked() {
                self.snd_una
            } else {
                self.iss
            };
            self.rto_cur = self
                .rto_cur
                .saturating_mul(2)
                .min(self.cfg.rto_max_ms)
                .max(1);
            ev.add(Events::TRANSMIT);
        }
        if self.newly_migrated && self.mig_ack_at.is_some_and(|t| now >= t) {
            self.ack_pending = true;
            self.mig_ack_at = Some(now.saturating_add(u64::from(self.rto_cur)));
            ev.add(Events::TRANSMIT);
        }
        ev
    }

    // ----- output ----------------------------------------------------------

    /// Writes the next segment the socket wants to send into `out` (which
    /// should hold [`wire::MAX_HEADER_LEN`] plus the MSS) and tells where it
    /// goes; `None` when there is nothing to send. Call until `None`.
    ///
    /// The checksum is filled in unless the remote is on the local node.
    pub fn poll_transmit(&mut self, now: u64, out: &mut [u8]) -> Option<Transmit> {
        let (hdr, n) = self.next_segment(now, out.len())?;
        let hlen = hdr.len();
        let seg = out.get_mut(..hlen.checked_add(n)?)?;
        hdr.write(seg).ok()?;
        if n > 0 {
            let off = usize::try_from(seq::diff(hdr.seq, self.snd_base())).ok()?;
            self.snd.copy_out(off, seg.get_mut(hlen..)?);
        }
        if self.conn.rem_cnode != self.conn.local_cnode {
            wire::set_checksum(seg).ok()?;
        }
        if hdr.flags.ack() {
            self.prev_ack_sent = hdr.ack;
            self.wnd_sent = u32::from(hdr.window);
            self.ack_pending = false;
        }
        Some(Transmit {
            len: hlen.saturating_add(n),
            node: self.conn.rem_cnode,
            addr: self.conn.rem_cip,
        })
    }

    /// Decides the next segment (header and data length) and advances the
    /// send variables as if it was sent.
    fn next_segment(&mut self, now: u64, room: usize) -> Option<(Header, usize)> {
        let hdr_room = self.header(0, Flags::NONE).len();
        if room < hdr_room {
            return None;
        }
        if self.rst_pending {
            self.rst_pending = false;
            return Some((self.header(self.snd_max, Flags::RST), 0));
        }
        let arm = |s: &mut Self| {
            if s.rto_at.is_none() {
                s.rto_at = Some(now.saturating_add(u64::from(s.rto_cur)));
            }
        };
        match self.state {
            State::Closed | State::Listen => None,
            State::SynSent | State::SynReceived if self.snd_nxt == self.iss => {
                let fl = if self.state == State::SynSent {
                    Flags::SYN
                } else {
                    Flags::SYN.with(Flags::ACK)
                };
                let h = self.header(self.iss, fl);
                self.snd_nxt = seq::add(self.iss, 1);
                self.snd_max = seq::max(self.snd_max, self.snd_nxt);
                arm(self);
                Some((h, 0))
            }
            State::SynSent => None,
            State::SynReceived | State::TimeWait => self
                .ack_pending
                .then(|| (self.header(self.snd_nxt, Flags::ACK), 0)),
            _ => {
                let base = self.snd_base();
                if seq::lt(self.snd_nxt, base) {
                    self.snd_nxt = base;
                }
                let off = usize::try_from(seq::diff(self.snd_nxt, base)).unwrap_or(usize::MAX);
                let avail = self.snd.len().saturating_sub(off);
                let wnd_end = seq::add(self.snd_una, self.snd_wnd);
                let wnd_room = if seq::lt(self.snd_nxt, wnd_end) {
                    usize::try_from(seq::diff(wnd_end, self.snd_nxt)).unwrap_or(0)
                } else {
                    0
                };
                let n = avail
                    .min(usize::from(self.cfg.mss.max(1)))
                    .min(wnd_room)
                    .min(room.saturating_sub(hdr_room));
                let fin = self.fin_unacked()
                    && off <= self.snd.len()
                    && off.saturating_add(n) == self.snd.len();
                if n > 0 || fin {
                    let fl = if fin {
                        Flags::ACK.with(Flags::FIN)
                    } else {
                        Flags::ACK
                    };
                    let h = self.header(self.snd_nxt, fl);
                    let n32 = u32::try_from(n).unwrap_or(0);
                    self.snd_nxt = seq::add(self.snd_nxt, n32.saturating_add(u32::from(fin)));
                    self.snd_max = seq::max(self.snd_max, self.snd_nxt);
                    arm(self);
                    Some((h, n))
                } else if self.ack_pending {
                    Some((self.header(self.snd_nxt, Flags::ACK), 0))
                } else {
                    None
                }
            }
        }
    }

    // ----- input -----------------------------------------------------------

    /// Processes a segment addressed to this socket (RFC 793 "SEGMENT
    /// ARRIVES", plus the migration rules of thesis section 4.5.3).
    /// `src` is where it came from.
    pub fn on_segment(&mut self, now: u64, seg: &Segment<'_>, src: Source) -> Outcome {
        let h = &seg.hdr;
        let mut ev = Events::NONE;
        match self.state {
            State::Closed => {
                // A closed socket answers like no socket at all.
                return Outcome {
                    events: ev,
                    reply: super::route::signal_nosock(seg),
                };
            }
            State::Listen => return ev.into(),
            _ => {}
        }
        if let Some(m) = h.mig {
            if is_mig_signal(seg) {
                self.on_mig_signal(h, m, &mut ev);
                return ev.into();
            }
        }
        if self.state == State::SynSent {
            return self.syn_sent(now, seg, src);
        }

        // 1. Acceptability, cropped to the window.
        let c = match crop::crop(
            h.seq,
            h.flags,
            seg.payload.len(),
            self.rcv_nxt,
            self.rcv_wnd(),
        ) {
            Some(c) => c,
            // With our window shut nothing is acceptable, but the ACK of
            // a segment at the window's edge is (RFC 9293 3.10.7.4): two
            // ends whose windows are both shut, each with data in flight,
            // only ever send each other such segments, and threw away the
            // ACKs that would have let them go on.  Its data is dropped
            // and the ACK we send says the window is still shut.
            None if self.rcv_wnd() == 0
                && h.seq == self.rcv_nxt
                && !h.flags.rst()
                && !h.flags.syn() =>
            {
                self.ack_pending = true;
                ev.add(Events::TRANSMIT);
                crop::Crop {
                    seq: h.seq,
                    flags: h.flags.without(Flags::FIN),
                    start: 0,
                    len: 0,
                }
            }
            None => {
                if !h.flags.rst() {
                    // The peer probing a window we keep shut (our process is
                    // migrating, not reading) still acknowledges the move.
                    self.mig_echo(h, &mut ev);
                    self.ack_out_of_window(now, seg, &mut ev);
                }
                return ev.into();
            }
        };
        // 2. RST: only from where we believe the peer is, and once the peer
        // has migrated only if it names the peer's current epoch: a node the
        // peer has left (or has come back to) may answer a stale segment
        // with an RST, which must not kill the connection (see
        // `route::signal`).
        if c.flags.rst() {
            let from_peer = src.node == self.conn.rem_cnode
                && (self.rem_epoch == 0 || h.mig.is_some_and(|m| m.epoch == self.rem_epoch));
            if !from_peer {
                return ev.into();
            }
            let err = match self.state {
                State::SynReceived => Some(Errno::ConnRefused),
                State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait => {
                    Some(Errno::ConnReset)
                }
                _ => None,
            };
            self.reset(err, &mut ev);
            return ev.into();
        }
        // 3. SYN inside the window: answer with an ACK, drop.
        if c.flags.syn() {
            self.ack_pending = true;
            ev.add(Events::TRANSMIT);
            return ev.into();
        }
        // 4. No ACK: drop.
        if !c.flags.ack() {
            return ev.into();
        }
        // 5. ACK.
        if self.state == State::SynReceived {
            if seq::lt(self.snd_una, h.ack) && seq::le(h.ack, self.snd_max) {
                self.established(&mut ev);
            } else {
                return Outcome {
                    events: ev,
                    reply: super::route::signal_nosock(seg),
                };
            }
        }
        if seq::gt(h.ack, self.snd_max) {
            self.ack_out_of_window(now, seg, &mut ev);
            return ev.into();
        }
        // The segment is valid: learn where the peer is (section 4.5.3).
        self.learn_location(h, src, &mut ev);
        // The peer migrated and asks for an echo of its epoch.
        if h.mig.is_some_and(|m| m.req) {
            self.ack_pending = true;
            ev.add(Events::TRANSMIT);
        }
        self.mig_echo(h, &mut ev);
        if seq::gt(h.ack, self.snd_una) {
            self.dupacks = 0;
            self.on_ack(now, h.ack, &mut ev);
            if self.state == State::Closed {
                return ev.into();
            }
        } else if h.ack == self.snd_una && seg.payload.is_empty() && self.snd_max != self.snd_una {
            // The peer is alive: a receiver that does not read (full buffer,
            // window 0) must not make us give up with ETIMEDOUT.
            self.retries = 0;
            if h.window != 0 && self.peer_wnd == 0 {
                // Its buffer has room again: resend now, not after backoff.
                self.snd_nxt = self.snd_una;
                self.rto_cur = self.cfg.rto_ms;
                self.rto_at = None;
                ev.add(Events::TRANSMIT);
            } else if h.window != 0 {
                // Duplicate ACK: the receiver dropped something (it keeps no
                // out-of-order data). The third one resends at once.
                self.dupacks = self.dupacks.saturating_add(1);
                if self.dupacks == DUPACK_THRESHOLD {
                    self.snd_nxt = self.snd_una;
                    ev.add(Events::TRANSMIT);
                }
            }
        }
        self.peer_wnd = u32::from(h.window);
        // 6. Data and 7. FIN.
        self.take_text(now, &c, seg.payload, &mut ev);
        ev.into()
    }

    /// Answers a segment that is out of the window, or acknowledges what we
    /// never sent, with an ACK (RFC 9293 3.10.7.4); one without data at
    /// most once per [`OOW_ACK_MS`], as Linux does (tcp_invalid_ratelimit).
    /// Two ends that each find the other's ACKs unacceptable, such as a
    /// socket connected to itself with data it has no room for, would trade
    /// ACKs forever, and on one node that is a loop in the kernel.
    fn ack_out_of_window(&mut self, now: u64, seg: &Segment<'_>, ev: &mut Events) {
        if seg.seqlen() == 0 {
            if self
                .oow_acked_at
                .is_some_and(|t| now.saturating_sub(t) < OOW_ACK_MS)
            {
                return;
            }
            self.oow_acked_at = Some(now);
        }
        self.ack_pending = true;
        ev.add(Events::TRANSMIT);
    }

    /// Acknowledged migration: the peer echoes our current epoch, on a
    /// segment whose ACK shows it knows our sequence space.
    fn mig_echo(&mut self, h: &Header, ev: &mut Events) {
        let ack_ok = h.flags.ack() && seq::le(self.snd_una, h.ack) && seq::le(h.ack, self.snd_max);
        if self.newly_migrated && ack_ok && h.mig.is_some_and(|m| m.echo == self.mig_epoch) {
            self.newly_migrated = false;
            self.mig_ack_at = None;
            ev.add(Events::MIG_ACKED);
        }
    }

    fn on_mig_signal(&mut self, h: &Header, m: MigOpt, ev: &mut Events) {
        // The old node of our peer echoes our segment's end as `ack`.
        let echoes_ours = seq::gt(h.ack, self.iss) && seq::le(h.ack, self.snd_max);
        let newer = self.state == State::SynSent || seq::epoch_newer(m.epoch, self.rem_epoch);
        if !echoes_ours || !newer || m.node == 0 {
            return;
        }
        self.rem_epoch = m.epoch;
        if m.node != self.conn.rem_cnode {
            self.conn.rem_cnode = m.node;
            self.conn.rem_cip = 0;
            ev.add(Events::REMOTE_MOVED);
        }
        // Retransmit at once, to the new node.
        self.snd_nxt = if self.syn_acked() {
            self.snd_una
        } else {
            self.iss
        };
        self.rto_at = None;
        self.retries = 0;
        self.ack_pending = self.state.synchronized();
        ev.add(Events::TRANSMIT);
    }

    fn learn_location(&mut self, h: &Header, src: Source, ev: &mut Events) {
        let e = h.mig.map_or(0, |m| m.epoch);
        if seq::epoch_newer(self.rem_epoch, e) {
            return; // sent before a migration we already know of
        }
        self.rem_epoch = e;
        if src.node != self.conn.rem_cnode || src.addr != self.conn.rem_cip {
            let moved = src.node != self.conn.rem_cnode;
            self.conn.rem_cnode = src.node;
            self.conn.rem_cip = src.addr;
            if moved {
                ev.add(Events::REMOTE_MOVED);
                if self.snd_max != self.snd_una {
                    // Resend what is outstanding to the new address now.
                    self.snd_nxt = self.snd_una;
                    self.rto_at = None;
                    ev.add(Events::TRANSMIT);
                }
            }
        }
    }

    fn on_ack(&mut self, now: u64, ack: u32, ev: &mut Events) {
        let fin_acked = self.fin_unacked() && ack == seq::add(self.fin_seq(), 1);
        let base = if self.syn_acked() {
            self.snd_una
        } else {
            seq::add(self.iss, 1)
        };
        let acked = if seq::gt(ack, base) {
            usize::try_from(seq::diff(ack, base)).unwrap_or(usize::MAX)
        } else {
            0
        };
        if self.snd.consume(acked) > 0 {
            ev.add(Events::WRITABLE);
        }
        self.snd_una = ack;
        if seq::lt(self.snd_nxt, ack) {
            self.snd_nxt = ack;
        }
        self.retries = 0;
        self.rto_cur = self.cfg.rto_ms;
        self.rto_at = if self.snd_una == self.snd_max {
            None
        } else {
            Some(now.saturating_add(u64::from(self.rto_cur)))
        };
        if fin_acked {
            match self.state {
                State::FinWait1 => self.state = State::FinWait2,
                State::Closing => self.enter_time_wait(now, ev),
                State::LastAck => self.set_closed(ev),
                _ => {}
            }
        }
    }

    fn take_text(&mut self, now: u64, c: &crop::Crop, payload: &[u8], ev: &mut Events) {
        if c.seqlen() == 0 {
            return;
        }
        match self.state {
            State::Established | State::FinWait1 | State::FinWait2 => {}
            State::TimeWait => {
                // A retransmitted FIN would have been cropped away; anything
                // else here is a duplicate: re-ACK and restart the timer.
                self.ack_pending = true;
                ev.add(Events::TRANSMIT);
                self.tw_at = Some(now.saturating_add(u64::from(self.cfg.time_wait_ms)));
                return;
            }
            _ => return,
        }
        self.ack_pending = true;
        ev.add(Events::TRANSMIT);
        if c.seq != self.rcv_nxt {
            return; // out of order: dropped, duplicate ACK asks for the gap
        }
        let data = c.data(payload);
        let taken = if self.iostate & MTIO_RD != 0 {
            self.rcv.push(data)
        } else {
            // Read side shut down: acknowledge and discard.
            let n = u32::try_from(data.len()).unwrap_or(0);
            self.deliver_nxt = seq::add(self.deliver_nxt, n);
            data.len()
        };
        self.rcv_nxt = seq::add(self.rcv_nxt, u32::try_from(taken).unwrap_or(0));
        if taken > 0 {
            ev.add(Events::READABLE);
        }
        if taken != data.len() || !c.flags.fin() {
            return;
        }
        self.rcv_nxt = seq::add(self.rcv_nxt, 1);
        self.fin_rcvd = true;
        ev.add(Events::READABLE.with(Events::PEER_FIN));
        match self.state {
            State::Established => self.state = State::CloseWait,
            State::FinWait1 => self.state = State::Closing,
            State::FinWait2 => self.enter_time_wait(now, ev),
            _ => {}
        }
    }

    fn syn_sent(&mut self, now: u64, seg: &Segment<'_>, src: Source) -> Outcome {
        let h = &seg.hdr;
        let mut ev = Events::NONE;
        if h.flags.ack() && (seq::le(h.ack, self.iss) || seq::gt(h.ack, self.snd_max)) {
            let reply = if h.flags.rst() {
                None
            } else {
                super::route::signal_nosock(seg)
            };
            return Outcome { events: ev, reply };
        }
        if h.flags.rst() {
            if h.flags.ack() && src.node == self.conn.rem_cnode {
                self.reset(Some(Errno::ConnRefused), &mut ev);
            }
            return ev.into();
        }
        if !h.flags.syn() {
            return ev.into();
        }
        self.irs = h.seq;
        self.rcv_nxt = seq::add(h.seq, 1);
        self.deliver_nxt = self.rcv_nxt;
        self.snd_wnd = u32::from(h.window).max(1);
        self.conn.rem_cnode = src.node;
        self.conn.rem_cip = src.addr;
        self.rem_epoch = h.mig.map_or(0, |m| m.epoch);
        self.ack_pending = true;
        ev.add(Events::TRANSMIT);
        if h.flags.ack() {
            self.on_ack(now, h.ack, &mut ev);
            self.established(&mut ev);
            // Data or FIN riding on the SYN-ACK.
            let rest = Flags(h.flags.0 & !Flags::SYN.0);
            if let Some(c) = crop::crop(
                self.rcv_nxt,
                rest,
                seg.payload.len(),
                self.rcv_nxt,
                self.rcv_wnd(),
            ) {
                self.take_text(now, &c, seg.payload, &mut ev);
            }
        } else {
            // Simultaneous open: answer with SYN-ACK.
            self.state = State::SynReceived;
            self.snd_nxt = self.iss;
            self.rto_at = None;
        }
        ev.into()
    }

    // ----- migration -------------------------------------------------------

    /// The socket's scalar state for MIGTOYOU, plus the lengths of the
    /// unacknowledged and unsent parts of the send queue.
    pub fn save(&self) -> (SockVars, usize, usize) {
        let snd_max = self.snd_max;
        let mut unacked = if self.syn_acked() {
            usize::try_from(seq::diff(snd_max, self.snd_una)).unwrap_or(usize::MAX)
        } else {
            0
        };
        let fin_in_flight = self.fin_unacked() && seq::gt(snd_max, self.fin_seq());
        if fin_in_flight {
            unacked = unacked.saturating_sub(1);
        }
        let unacked = unacked.min(self.snd.len());
        let vars = SockVars {
            fd: self.fd,
            pid: self.pid,
            conn: self.conn,
            opts: self.opts,
            state: self.state as u8,
            iostate: self.iostate,
            newly_migrated: self.newly_migrated,
            fin_queued: self.fin_queued,
            fin_rcvd: self.fin_rcvd,
            connect_pending: self.connect_pending,
            errno: self.errno.map_or(0, Errno::to_errno),
            snd_una: self.snd_una,
            snd_nxt: snd_max,
            snd_wnd: self.snd_wnd,
            iss: self.iss,
            rcv_nxt: self.rcv_nxt,
            rcv_wnd: self.rcv_wnd(),
            irs: self.irs,
            deliver_nxt: self.deliver_nxt,
            prev_ack_sent: self.prev_ack_sent,
            mig_epoch: self.mig_epoch,
            rem_epoch: self.rem_epoch,
        };
        (vars, unacked, self.snd.len().saturating_sub(unacked))
    }

    /// The send queue (unacknowledged data first, then unsent) as up to two
    /// slices, for MIGTOYOU.
    pub fn send_queue(&self) -> (&[u8], &[u8]) {
        self.snd.slices(0, usize::MAX)
    }

    /// The receive queue (undelivered data) as up to two slices.
    pub fn recv_queue(&self) -> (&[u8], &[u8]) {
        self.rcv.slices(0, usize::MAX)
    }

    /// Recreates a migrated socket from MIGTOYOU contents on its new node
    /// `here` (thesis `msm_proc_migtoyou_msg()`): the socket's epoch grows by
    /// one, everything unacknowledged is resent at once to the remote, and a
    /// connected socket stays `newly_migrated` (sending an ACK now and then)
    /// until the remote acknowledges it.
    ///
    /// The socket must be freshly created (CLOSED, empty queues).
    pub fn restore(
        &mut self,
        now: u64,
        here: Node,
        v: &SockVars,
        unacked: &[u8],
        unsent: &[u8],
        undelivered: &[u8],
    ) -> Result<Events, VarsError> {
        let st = v.check(unacked.len(), unsent.len(), undelivered.len())?;
        if self.state != State::Closed || !self.snd.is_empty() || !self.rcv.is_empty() {
            return Err(VarsError::BadState);
        }
        let need = unacked
            .len()
            .checked_add(unsent.len())
            .ok_or(VarsError::TooLarge)?;
        if need > self.snd.capacity() || undelivered.len() > self.rcv.capacity() {
            return Err(VarsError::TooLarge);
        }
        self.snd.push(unacked);
        self.snd.push(unsent);
        self.rcv.push(undelivered);
        self.fd = v.fd;
        self.pid = v.pid;
        self.conn = v.conn;
        self.conn.local_cnode = here;
        self.opts = v.opts;
        self.state = st;
        self.iostate = v.iostate;
        self.errno = Errno::from_errno(v.errno);
        self.fin_queued = v.fin_queued;
        self.fin_rcvd = v.fin_rcvd;
        self.connect_pending = v.connect_pending;
        self.snd_una = v.snd_una;
        self.snd_max = v.snd_nxt;
        self.snd_nxt = v.snd_una;
        self.snd_wnd = v.snd_wnd;
        self.iss = v.iss;
        self.rcv_nxt = v.rcv_nxt;
        self.irs = v.irs;
        self.deliver_nxt = if st == State::Closed {
            seq::diff(v.rcv_nxt, u32::try_from(undelivered.len()).unwrap_or(0))
        } else {
            v.deliver_nxt
        };
        self.prev_ack_sent = v.prev_ack_sent;
        self.mig_epoch = v.next_epoch();
        self.rem_epoch = v.rem_epoch;
        self.rto_at = None;
        self.rto_cur = self.cfg.rto_ms;
        self.retries = 0;
        let mut ev = Events::NONE;
        if st == State::TimeWait {
            self.tw_at = Some(now.saturating_add(u64::from(self.cfg.time_wait_ms)));
        }
        // Even in TIME_WAIT the peer may still resend its FIN to the old
        // node: keep the old copy until the peer has seen the move.
        if st != State::Closed {
            self.newly_migrated = true;
            self.ack_pending = true;
            self.mig_ack_at = Some(now.saturating_add(u64::from(self.rto_cur)));
            ev.add(Events::TRANSMIT);
        }
        Ok(ev)
    }
}

/// Is this segment a bare migration signal (from a migrated socket's old
/// node), rather than an ordinary segment carrying the migration option?
pub fn is_mig_signal(seg: &Segment<'_>) -> bool {
    seg.hdr.mig.is_some()
        && seg.hdr.flags.0 & (Flags::SYN.0 | Flags::FIN.0 | Flags::RST.0 | Flags::ACK.0) == 0
        && seg.payload.is_empty()
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic
)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    type S = Sock<Vec<u8>>;

    const CFG: Config = Config {
        mss: 100,
        rto_ms: 10,
        rto_max_ms: 40,
        max_retries: 3,
        time_wait_ms: 50,
    };

    fn sock() -> S {
        Sock::new(CFG, vec![0; 300], vec![0; 200])
    }

    fn conn(l: u16, r: u16, lh: Node, rh: Node) -> Conn {
        Conn {
            local_port: l,
            rem_port: r,
            local_hnode: lh,
            local_cnode: lh,
            rem_hnode: rh,
            rem_cnode: rh,
            rem_cip: 0,
        }
    }

    /// Sends everything `from` has to `to` (node numbers = home nodes).
    fn xfer(now: u64, from: &mut S, to: &mut S) -> (Events, usize) {
        let mut out = [0u8; 256];
        let mut ev = Events::NONE;
        let mut n = 0;
        while let Some(t) = from.poll_transmit(now, &mut out) {
            n += 1;
            let seg = wire::parse_checked(&out[..t.len], true).unwrap();
            let src = Source {
                node: from.conn.local_cnode,
                addr: 0,
            };
            ev.add(to.on_segment(now, &seg, src).events);
        }
        (ev, n)
    }

    fn established() -> (S, S) {
        let mut a = sock();
        let mut b = sock();
        a.connect(conn(1001, 1000, 1, 2), 7).unwrap();
        let mut out = [0u8; 64];
        let t = a.poll_transmit(0, &mut out).unwrap();
        let syn = wire::parse(&out[..t.len]).unwrap();
        b.open_passive(conn(1000, 0, 2, 0), &syn, Source { node: 1, addr: 0 }, 900)
            .unwrap();
        let (ev, _) = xfer(0, &mut b, &mut a);
        assert!(ev.has(Events::CONNECTED));
        let (ev, _) = xfer(0, &mut a, &mut b);
        assert!(ev.has(Events::CONNECTED));
        (a, b)
    }

    #[test]
    fn user_calls_in_wrong_states() {
        let mut s = sock();
        let mut buf = [0u8; 8];
        assert_eq!(s.send(b"x"), Err(Errno::NotConn));
        assert_eq!(s.recv(&mut buf, false), Err(Errno::NotConn));
        s.connect(conn(1, 2, 1, 2), 0).unwrap();
        assert_eq!(s.connect(conn(1, 2, 1, 2), 0), Err(Errno::IsConn));
        assert_eq!(s.recv(&mut buf, false), Err(Errno::Again));
        // Data may be queued before the connection is up.
        assert_eq!(s.send(b"early"), Ok(5));
        let (mut a, mut b) = established();
        assert_eq!(a.send(&[1u8; 400]), Ok(300));
        assert_eq!(a.send(b"more"), Err(Errno::Again));
        a.shutdown(MTIO_WR);
        assert_eq!(a.state(), State::FinWait1);
        assert_eq!(a.send(b"x"), Err(Errno::Pipe));
        // Everything arrives, then the FIN; the reader sees EOF.
        for _ in 0..6 {
            xfer(0, &mut a, &mut b);
            xfer(0, &mut b, &mut a);
            let mut r = [0u8; 500];
            let _ = b.recv(&mut r, false);
        }
        assert_eq!(b.state(), State::CloseWait);
        assert_eq!(b.recv(&mut buf, false), Ok(0));
        assert!(b.poll_readable());
        let o = Sock::<Vec<u8>>::new(CFG, vec![], vec![]).open_passive(
            Conn::default(),
            &Segment {
                hdr: Header::default(),
                payload: &[],
            },
            Source::default(),
            0,
        );
        assert_eq!(o, Err(Errno::Inval));
    }

    /// Found by ms_fuzz in the cluster: a socket connected to itself, its
    /// receive queue full and data queued, answered each of its own ACKs
    /// (out of its shut window) with another ACK, a loop in the sender's
    /// system call.  Out-of-window answers without data are rate limited.
    #[test]
    fn self_connected_socket_with_shut_window_goes_quiet() {
        let mut a = sock();
        a.connect(conn(7, 7, 1, 1), 3).unwrap();
        let mut out = [0u8; 2048];
        let src = Source { node: 1, addr: 0 };
        // Feed everything it sends back to itself (same node: no checksum);
        // fill its queues.
        let mut sent = 0;
        let mut rounds = 0;
        let mut now = 0;
        while rounds < 10_000 {
            let _ = a.send(&[9u8; 300]);
            let Some(t) = a.poll_transmit(now, &mut out) else {
                break;
            };
            sent += 1;
            let seg = wire::parse_checked(&out[..t.len], false).unwrap();
            let _ = a.on_segment(now, &seg, src);
            rounds += 1;
            if rounds % 100 == 0 {
                now += 1;
            }
        }
        assert!(rounds < 10_000, "still trading segments after {sent}");
        assert_eq!(a.state(), State::Established);
        // Later it answers again (once), and goes quiet again.
        now += OOW_ACK_MS;
        let mut more = 0;
        for _ in 0..100 {
            let Some(_) = a.on_tick(now).has(Events::TRANSMIT).then_some(()) else {
                break;
            };
            while let Some(t) = a.poll_transmit(now, &mut out) {
                let seg = wire::parse_checked(&out[..t.len], false).unwrap();
                let _ = a.on_segment(now, &seg, src);
                more += 1;
                assert!(more < 100, "no end after the timer");
            }
        }
    }

    /// Found on the cluster (an echo server that stops reading while it
    /// cannot write): the ACK on a segment that meets our shut window is
    /// taken, though its data is not.
    #[test]
    fn shut_window_still_takes_the_ack() {
        let (mut a, mut b) = established();
        // b fills a's window (200 bytes); a does not read.
        assert_eq!(b.send(&[1u8; 200]), Ok(200));
        for _ in 0..4 {
            xfer(0, &mut b, &mut a);
            xfer(0, &mut a, &mut b);
        }
        assert_eq!(a.rcv_wnd(), 0);
        // a sends; b takes it and acknowledges it on its next data, which
        // meets a's shut window.
        assert_eq!(a.send(&[2u8; 50]), Ok(50));
        xfer(0, &mut a, &mut b);
        assert_eq!(b.readable(), 50);
        assert_eq!(b.send(&[3u8; 30]), Ok(30));
        xfer(1, &mut b, &mut a);
        assert_eq!(a.send_queued(), 0, "the ACK on b's data was dropped");
        assert_eq!(a.readable(), 200, "data beyond the window was taken");
        // a answers that its window is still shut; once it reads, b's
        // data comes in.
        let (_, n) = xfer(1, &mut a, &mut b);
        assert!(n > 0);
        let mut buf = [0u8; 200];
        assert_eq!(a.recv(&mut buf, false), Ok(200));
        for t in 2..200 {
            let _ = a.on_tick(t);
            let _ = b.on_tick(t);
            xfer(t, &mut a, &mut b);
            xfer(t, &mut b, &mut a);
        }
        assert_eq!(a.readable(), 30);
    }

    #[test]
    fn peek_and_partial_reads_track_deliver_nxt() {
        let (mut a, mut b) = established();
        a.send(b"hello world").unwrap();
        xfer(0, &mut a, &mut b);
        let start = b.deliver_nxt();
        let mut buf = [0u8; 5];
        assert_eq!(b.recv(&mut buf, true), Ok(5));
        assert_eq!(b.deliver_nxt(), start);
        assert_eq!(b.recv(&mut buf, false), Ok(5));
        assert_eq!(&buf, b"hello");
        assert_eq!(b.deliver_nxt(), start.wrapping_add(5));
        assert_eq!(b.readable(), 6);
        b.shutdown(MTIO_RD);
        assert_eq!(b.readable(), 0);
        assert_eq!(b.deliver_nxt(), b.rcv_nxt());
        assert_eq!(b.recv(&mut buf, false), Ok(0));
        // Data arriving after SHUT_RD is acknowledged and dropped.
        a.send(b"ignored").unwrap();
        xfer(0, &mut a, &mut b);
        assert_eq!(b.readable(), 0);
        assert_eq!(b.deliver_nxt(), b.rcv_nxt());
    }

    #[test]
    fn syn_is_retransmitted_then_times_out() {
        let mut a = sock();
        a.connect(conn(1, 2, 1, 2), 0).unwrap();
        let mut out = [0u8; 64];
        assert!(a.poll_transmit(0, &mut out).is_some());
        assert!(a.poll_transmit(0, &mut out).is_none());
        assert_eq!(a.poll_at(), Some(10));
        let mut now;
        let mut syns = 1;
        loop {
            now = a.poll_at().unwrap();
            let ev = a.on_tick(now);
            if ev.has(Events::CLOSED) {
                assert!(ev.has(Events::ERROR));
                break;
            }
            let t = a.poll_transmit(now, &mut out).unwrap();
            assert!(wire::parse(&out[..t.len]).unwrap().hdr.flags.syn());
            syns += 1;
        }
        assert_eq!(syns, 1 + usize::from(CFG.max_retries));
        // Backoff: 10, 20, 40, 40 (capped).
        assert_eq!(now, 10 + 20 + 40 + 40);
        assert_eq!(a.take_error(), Some(Errno::TimedOut));
        assert_eq!(a.state(), State::Closed);
        assert!(a.poll_transmit(now, &mut out).is_none());
    }

    #[test]
    fn lost_data_is_resent_and_dup_acks_resend_early() {
        let (mut a, mut b) = established();
        a.send(&[7u8; 200]).unwrap();
        // Two segments (window 200, MSS 100); the first is lost.
        let mut out = [0u8; 256];
        let mut segs = Vec::new();
        while let Some(t) = a.poll_transmit(0, &mut out) {
            segs.push(out[..t.len].to_vec());
        }
        assert_eq!(segs.len(), 2);
        let from_a = Source { node: 1, addr: 0 };
        let from_b = Source { node: 2, addr: 0 };
        b.on_segment(0, &wire::parse(&segs[1]).unwrap(), from_a);
        // B keeps no out-of-order data; it answers with a duplicate ACK.
        assert_eq!(b.readable(), 0);
        let mut ack = [0u8; 64];
        for i in 0..DUPACK_THRESHOLD {
            b.ack_pending = true;
            let t = b.poll_transmit(0, &mut ack).unwrap();
            let ev = a.on_segment(0, &wire::parse(&ack[..t.len]).unwrap(), from_b);
            assert_eq!(ev.events.has(Events::TRANSMIT), i + 1 == DUPACK_THRESHOLD);
        }
        // The third duplicate resends from snd_una at once.
        assert_eq!(a.snd_nxt(), a.snd_una());
        xfer(1, &mut a, &mut b);
        assert_eq!(b.readable(), 200);
        xfer(1, &mut b, &mut a);
        assert_eq!(a.send_queued(), 0);
        assert_eq!(a.poll_at(), None);
        // A lost segment without duplicate ACKs waits for the timer.
        a.send(&[8u8; 50]).unwrap();
        assert!(a.poll_transmit(2, &mut out).is_some());
        assert_eq!(a.poll_at(), Some(12));
        assert!(a.on_tick(12).has(Events::TRANSMIT));
        let mut r = [0u8; 300];
        assert_eq!(b.recv(&mut r, false), Ok(200));
        xfer(12, &mut a, &mut b);
        assert_eq!(b.readable(), 50);
    }

    #[test]
    fn close_both_ways_and_time_wait() {
        let (mut a, mut b) = established();
        a.close();
        b.close();
        // FINs cross: CLOSING on both sides, then TIME_WAIT.
        let mut fa = [0u8; 64];
        let ta = a.poll_transmit(0, &mut fa).unwrap();
        xfer(0, &mut b, &mut a);
        assert_eq!(a.state(), State::Closing);
        let s = wire::parse(&fa[..ta.len]).unwrap();
        b.on_segment(0, &s, Source { node: 1, addr: 0 });
        assert_eq!(b.state(), State::Closing);
        xfer(0, &mut a, &mut b);
        xfer(0, &mut b, &mut a);
        assert_eq!(a.state(), State::TimeWait);
        assert_eq!(b.state(), State::TimeWait);
        assert_eq!(a.poll_at(), Some(50));
        assert!(!a.on_tick(49).has(Events::CLOSED));
        assert!(a.on_tick(50).has(Events::CLOSED));
        assert_eq!(a.state(), State::Closed);
        assert_eq!(a.error(), None);
        let mut buf = [0u8; 4];
        assert_eq!(a.recv(&mut buf, false), Ok(0));
    }

    #[test]
    fn abort_sends_rst_and_peer_resets() {
        let (mut a, mut b) = established();
        let ev = a.abort();
        assert!(ev.has(Events::CLOSED.with(Events::TRANSMIT)));
        let (ev, n) = xfer(0, &mut a, &mut b);
        assert_eq!(n, 1);
        assert!(ev.has(Events::ERROR));
        assert_eq!(b.state(), State::Closed);
        let mut buf = [0u8; 4];
        assert_eq!(b.recv(&mut buf, false), Err(Errno::ConnReset));
        assert_eq!(b.recv(&mut buf, false), Ok(0));
        assert_eq!(b.send(b"x"), Err(Errno::NotConn));
    }

    #[test]
    fn save_restore_keeps_queues() {
        let (mut a, mut b) = established();
        a.send(&[1u8; 100]).unwrap();
        xfer(0, &mut a, &mut b); // sent, not yet acknowledged
        a.send(&[2u8; 60]).unwrap(); // queued
        b.send(b"for a").unwrap();
        xfer(0, &mut b, &mut a);
        let (v, unacked, unsent) = a.save();
        assert_eq!(v.snd_nxt, v.snd_una, "B acked everything it got");
        assert_eq!((unacked, unsent), (0, 60));
        assert_eq!(v.check(unacked, unsent, 5), Ok(State::Established));
        assert_eq!(v.check(unacked, unsent, 6), Err(VarsError::BadQueues));
        let (q1, q2) = a.send_queue();
        let sq: Vec<u8> = [q1, q2].concat();
        let (r1, r2) = a.recv_queue();
        let rq: Vec<u8> = [r1, r2].concat();
        let mut m = sock();
        m.restore(5, 9, &v, &sq[..unacked], &sq[unacked..], &rq)
            .unwrap();
        assert_eq!(m.conn.local_cnode, 9);
        assert_eq!(m.mig_epoch(), 1);
        assert!(m.newly_migrated());
        let mut small = Sock::<Vec<u8>>::new(CFG, vec![0; 10], vec![0; 10]);
        assert_eq!(
            small.restore(5, 9, &v, &sq[..unacked], &sq[unacked..], &rq),
            Err(VarsError::TooLarge)
        );
        let mut buf = [0u8; 16];
        assert_eq!(m.recv(&mut buf, false), Ok(5));
        assert_eq!(&buf[..5], b"for a");
        // The migrated end sends its queue to the peer, which learns the move.
        let (ev, _) = xfer(5, &mut m, &mut b);
        assert!(ev.has(Events::REMOTE_MOVED));
        assert_eq!(b.readable(), 160);
        let (ev, _) = xfer(5, &mut b, &mut m);
        assert!(ev.has(Events::MIG_ACKED));
    }

    #[test]
    fn shut_window_still_hears_the_move_acknowledged() {
        let (mut a, mut b) = established();
        // B fills A's receive queue; A's process does not read.
        b.send(&[7u8; 200]).unwrap();
        xfer(0, &mut b, &mut a);
        xfer(0, &mut a, &mut b);
        assert_eq!(a.rcv_wnd(), 0);
        let (v, unacked, unsent) = a.save();
        let (r1, r2) = a.recv_queue();
        let rq: Vec<u8> = [r1, r2].concat();
        let mut m = sock();
        m.restore(5, 9, &v, &[][..unacked], &[][..unsent], &rq)
            .unwrap();
        assert!(m.newly_migrated());
        // B hears of the move and probes the shut window with data that
        // carries the echo: out of window, yet the move is acknowledged.
        xfer(5, &mut m, &mut b);
        let h = Header {
            sport: 1000,
            dport: 1001,
            shnode: 2,
            dhnode: 1,
            seq: m.rcv_nxt(),
            ack: m.snd_nxt(),
            flags: Flags::ACK,
            window: 200,
            mig: Some(MigOpt {
                node: 0,
                epoch: 0,
                echo: m.mig_epoch(),
                req: false,
            }),
            ..Header::default()
        };
        let probe = Segment {
            hdr: h,
            payload: &[8u8; 10],
        };
        let src = Source { node: 2, addr: 0 };
        let o = m.on_segment(6, &probe, src);
        assert!(o.events.has(Events::MIG_ACKED));
        assert!(!m.newly_migrated());
        assert_eq!(m.readable(), 200, "the probe's data stays out");
    }

    #[test]
    fn states_and_errnos_map() {
        for (i, s) in State::ALL.iter().enumerate() {
            assert_eq!(State::from_u8(i as u8), Some(*s));
            assert_eq!(*s as u8, i as u8);
        }
        assert_eq!(State::from_u8(11), None);
        assert_eq!(MTS_TIME_WAIT, State::TimeWait);
        for e in [
            Errno::Again,
            Errno::Inval,
            Errno::Pipe,
            Errno::NotConn,
            Errno::IsConn,
            Errno::ConnRefused,
            Errno::ConnReset,
            Errno::TimedOut,
        ] {
            assert_eq!(Errno::from_errno(e.to_errno()), Some(e));
        }
        assert_eq!(Errno::from_errno(0), None);
        assert!(Events::READABLE.with(Events::CLOSED).has(Events::CLOSED));
    }
}
