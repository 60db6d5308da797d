// SPDX-License-Identifier: GPL-2.0

//! MTCP: the portable protocol core of migsock.
//!
//! MTCP ("migratable TCP") is TCP as specified by RFC 793 with the header
//! extended by the home nodes of both ends, so that a socket is named
//! cluster-wide by (local port, remote port, local home node, remote home
//! node) and can follow its process from node to node. Like the thesis's
//! implementation it keeps a fixed window, has no urgent data and no options
//! except the migration signal.
//!
//! Everything here is sans-IO and free of kernel types: it uses only `core`,
//! never allocates, and takes its memory (socket buffers, table slots, message
//! buffers) from the caller. The same files are compiled into the kernel as
//! `hpc/migsock/mtcp` and into the host crate `migsock-host`, where
//! `cargo test` exercises them (thesis section 5.1 did the same in C).
//!
//! Map to the thesis's C sources:
//!
//! | module        | thesis                                          |
//! |---------------|-------------------------------------------------|
//! | [`wire`]      | `struct mtcp_hdr`, `ms_cksum_calc()`            |
//! | [`seq`]       | sequence comparisons                            |
//! | [`crop`]      | `ms_crop_pkt()`                                 |
//! | [`ring`]      | the socket's packet queues (as a byte stream)   |
//! | [`engine`]    | `struct mig_sock`, `ms_sock_thread()`, send/recv|
//! | [`route`]     | `ms_route_pkt()`, `ms_signal()`, `ms_signal_nosock()` |
//! | [`table`]     | `ms_data.c` hash tables, `struct ms_task`       |
//! | [`metasock`]  | metasocket messages (`msm_build_*`, `msm_parse_*`) |
//! | [`auth`]      | (new) datagram trailer and replay window        |
//!
//! How the kernel side drives it (thesis section 4.3-4.5):
//!
//! 1. Input (`ms_input`): a UDP datagram from node `n` is parsed with
//!    [`wire::parse_checked`] (checksum verified unless `n` is this node),
//!    looked up by [`table::SockKey::of_incoming`] (then
//!    [`table::ListenKey::of_incoming`], then the old copies of migrated
//!    sockets) and handed to [`route::route`]. The result says: drop, send a
//!    reply header ([`wire::encode`]), a socket took it (wake readers or
//!    writers, send MIGACKED on [`engine::Events::MIG_ACKED`], update the
//!    route on [`engine::Events::REMOTE_MOVED`]), or a connection request
//!    (create a [`engine::Sock`], [`engine::Sock::open_passive`], queue it on
//!    the listener's [`table::Backlog`]).
//! 2. Output: after anything that returned [`engine::Events::TRANSMIT`],
//!    and from the per-socket timer at [`engine::Sock::poll_at`] (after
//!    [`engine::Sock::on_tick`]), drain [`engine::Sock::poll_transmit`] into
//!    datagrams for [`engine::Transmit::node`].
//! 3. System calls map to [`engine::Sock::connect`], `send`, `recv`,
//!    `shutdown`, `close`, `abort`, `take_error` (`SO_ERROR`).
//! 4. Migration (`ms_migd`, `ms_metasock`): [`metasock::MigToYouWriter`]
//!    snapshots each socket ([`engine::Sock::save`] and its queues); the new
//!    node [`metasock::decode`]s and [`metasock::SockRecord::restore`]s them
//!    into fresh sockets; the old node keeps a [`route::Moved`] entry until
//!    MIGACKED. [`engine::Sock::blocks_migration`] says when the process
//!    must stay put.
//!
//! No function in this module panics on input: untrusted bytes are read with
//! `get`, lengths are combined with checked arithmetic and sequence numbers
//! with wrapping arithmetic (the kernel builds with overflow checks on).

#![deny(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs
)]

pub mod auth;
pub mod crop;
pub mod engine;
pub mod metasock;
pub mod ring;
pub mod route;
pub mod seq;
pub mod table;
pub mod wire;

/// Copies as many bytes as both slices hold from the front of `src` to the
/// front of `dst` and returns the count. Unlike `copy_from_slice` it has no
/// length-mismatch panic.
pub fn copy_bytes(dst: &mut [u8], src: &[u8]) -> usize {
    let mut n = 0usize;
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
        n = n.wrapping_add(1);
    }
    n
}

/// Node number in the cluster (1..N; 0 is "none"/"home" depending on use).
pub type Node = u16;

/// Errors reported by the socket engine to the user of a socket.
///
/// They map one to one onto Linux errno values ([`Errno::to_errno`]), which is
/// what the syscall layer returns (negated) and what the thesis stores in the
/// socket's `errno` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errno {
    /// `EAGAIN`: nothing to read or no room to write right now.
    Again,
    /// `EINVAL`: the request is not valid in this state.
    Inval,
    /// `EPIPE`: the socket cannot be written any more.
    Pipe,
    /// `ENOTCONN`: the socket is not connected.
    NotConn,
    /// `EISCONN`: the socket is already connected or connecting.
    IsConn,
    /// `ECONNREFUSED`: the peer answered the connection request with RST.
    ConnRefused,
    /// `ECONNRESET`: the peer reset the connection.
    ConnReset,
    /// `ETIMEDOUT`: retransmissions were not acknowledged in time.
    TimedOut,
}

impl Errno {
    /// The (positive) Linux errno number.
    pub const fn to_errno(self) -> i32 {
        match self {
            Errno::Again => 11,
            Errno::Inval => 22,
            Errno::Pipe => 32,
            Errno::NotConn => 107,
            Errno::IsConn => 106,
            Errno::ConnRefused => 111,
            Errno::ConnReset => 104,
            Errno::TimedOut => 110,
        }
    }

    /// The error for a (positive) Linux errno number, if it is one of ours.
    pub const fn from_errno(e: i32) -> Option<Errno> {
        Some(match e {
            11 => Errno::Again,
            22 => Errno::Inval,
            32 => Errno::Pipe,
            107 => Errno::NotConn,
            106 => Errno::IsConn,
            111 => Errno::ConnRefused,
            104 => Errno::ConnReset,
            110 => Errno::TimedOut,
            _ => return None,
        })
    }
}
