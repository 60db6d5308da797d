// SPDX-License-Identifier: GPL-2.0

//! Routing an incoming segment (thesis `ms_route_pkt()`), and the replies a
//! node sends on its own (`ms_signal_nosock()`, `ms_signal()`).
//!
//! The caller parses the segment ([`super::wire::parse_checked`], verifying
//! the checksum unless the sender is on the same node), looks up what it is
//! addressed to in its tables ([`super::table`]) and hands both to
//! [`route`], which decides:
//!
//! - no socket: answer with RST unless the segment is itself an RST;
//! - a socket: the socket's state machine takes it ([`Sock::on_segment`]),
//!   which also applies the migration rules of thesis section 4.5.3 (a valid
//!   segment from a new node updates `rem_cnode`/`rem_cip`; a newly migrated
//!   socket clears `newly_migrated` on a valid ACK and asks for MIGACKED);
//! - the old copy of a socket that migrated away (kept until MIGACKED):
//!   answer with the migration signal naming its new node;
//! - a listener: a SYN is a connection request for its pending queue,
//!   unless the listener's process lives elsewhere now (its home node then
//!   redirects the requester with a migration signal), or the queue is full.

use super::engine::{is_mig_signal, Outcome, Sock, Source};
use super::ring::Storage;
use super::wire::{self, Flags, Header, MigOpt, Segment, WireError};
use super::Node;

/// A reply a node builds for a segment by itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// Reset the sender's connection.
    Rst,
    /// Migration signal: the socket now lives on `node`, at `epoch`.
    Mig {
        /// The socket's new node.
        node: Node,
        /// The socket's migration epoch after the move.
        epoch: u16,
    },
}

/// Builds the reply `sig` to `seg` (thesis `ms_signal()`): ports and home
/// nodes swapped. Returns `None` where no reply may be sent: never to an
/// RST, and never to a bare migration signal.
///
/// An RST answering a segment with ACK carries that acknowledgment number as
/// its sequence number; otherwise it is RST+ACK acknowledging the segment
/// (RFC 793 "Reset Generation"). A migration signal echoes the segment's
/// sequence space back (`seq` = its ACK number, `ack` = its end) so that the
/// receiver can tell it answers one of its own segments.
pub fn signal(seg: &Segment<'_>, sig: Signal) -> Option<Header> {
    let h = &seg.hdr;
    if h.flags.rst() || is_mig_signal(seg) {
        return None;
    }
    let end = h.seq.wrapping_add(seg.seqlen());
    let base = Header {
        sport: h.dport,
        dport: h.sport,
        shnode: h.dhnode,
        dhnode: h.shnode,
        ..Header::default()
    };
    Some(match sig {
        Signal::Rst if h.flags.ack() => Header {
            seq: h.ack,
            flags: Flags::RST,
            ..base
        },
        Signal::Rst => Header {
            seq: 0,
            ack: end,
            flags: Flags::RST.with(Flags::ACK),
            ..base
        },
        Signal::Mig { node, epoch } => Header {
            seq: h.ack,
            ack: end,
            flags: Flags::NONE,
            mig: Some(MigOpt {
                node,
                epoch,
                echo: 0,
            }),
            ..base
        },
    })
}

/// The reply to a segment for which no socket exists (thesis
/// `ms_signal_nosock()`): an RST, unless the segment is an RST itself.
pub fn signal_nosock(seg: &Segment<'_>) -> Option<Header> {
    signal(seg, Signal::Rst)
}

/// What a listener looks like to the router.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListenerView {
    /// Node the listening process currently runs on.
    pub cnode: Node,
    /// Migration epoch to name in a redirect.
    pub epoch: u16,
    /// Is the pending-connection queue full?
    pub backlog_full: bool,
}

/// The old copy of a socket whose process migrated away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moved {
    /// The node the socket went to.
    pub node: Node,
    /// The socket's epoch there.
    pub epoch: u16,
}

/// What the tables found for a segment.
#[derive(Debug)]
pub enum Target<'a, B> {
    /// Nothing matches.
    None,
    /// A socket matches (by ports and home nodes).
    Sock(&'a mut Sock<B>),
    /// No socket, but a listener on the destination port and home node.
    Listener(ListenerView),
    /// The socket migrated away and this node keeps its old copy.
    Moved(Moved),
}

/// The routing decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Drop the segment silently.
    Drop,
    /// Send this header (no data) back to the segment's source.
    Reply(Header),
    /// The socket processed the segment.
    Socket(Outcome),
    /// A connection request for the listener: create a socket, call
    /// [`Sock::open_passive`] and put it on the listener's pending queue.
    ConnRequest,
}

fn reply(h: Option<Header>) -> Route {
    h.map_or(Route::Drop, Route::Reply)
}

/// Routes a parsed segment from `src` that arrived on node `here` to what
/// the tables found for it (thesis `ms_route_pkt()`).
pub fn route<B: Storage>(
    now: u64,
    seg: &Segment<'_>,
    src: Source,
    here: Node,
    target: Target<'_, B>,
) -> Route {
    let f = seg.hdr.flags;
    match target {
        Target::None => reply(signal_nosock(seg)),
        Target::Moved(m) => reply(signal(
            seg,
            Signal::Mig {
                node: m.node,
                epoch: m.epoch,
            },
        )),
        Target::Sock(s) => Route::Socket(s.on_segment(now, seg, src)),
        Target::Listener(l) => {
            if f.rst() || is_mig_signal(seg) {
                Route::Drop
            } else if f.ack() {
                reply(signal_nosock(seg))
            } else if !f.syn() {
                Route::Drop
            } else if l.cnode != here {
                reply(signal(
                    seg,
                    Signal::Mig {
                        node: l.cnode,
                        epoch: l.epoch,
                    },
                ))
            } else if l.backlog_full {
                Route::Drop
            } else {
                Route::ConnRequest
            }
        }
    }
}

/// Parses `bytes` (verifying the checksum if `verify`) and routes the
/// segment to whatever `lookup` finds for its header.
pub fn route_bytes<'a, B: Storage + 'a>(
    now: u64,
    bytes: &[u8],
    verify: bool,
    src: Source,
    here: Node,
    lookup: impl FnOnce(&Header) -> Target<'a, B>,
) -> Result<Route, WireError> {
    let seg = wire::parse_checked(bytes, verify)?;
    let t = lookup(&seg.hdr);
    Ok(route(now, &seg, src, here, t))
}
