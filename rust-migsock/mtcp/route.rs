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
    // An RST answering a segment that carried the migration option names
    // the epoch that segment's sender believed its peer to have (node 0:
    // no socket speaks): the sender accepts the RST only if it still
    // believes that, so an RST caused by a stale segment cannot reset a
    // connection whose peer has moved on.
    let rst_mig = h.mig.map(|m| MigOpt {
        node: 0,
        epoch: m.echo,
        echo: m.epoch,
        req: false,
    });
    Some(match sig {
        Signal::Rst if h.flags.ack() => Header {
            seq: h.ack,
            flags: Flags::RST,
            mig: rst_mig,
            ..base
        },
        Signal::Rst => Header {
            seq: 0,
            ack: end,
            flags: Flags::RST.with(Flags::ACK),
            mig: rst_mig,
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
                req: false,
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

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic
)]
mod tests {
    use super::*;
    use crate::mtcp::engine::{Config, Conn, Events, State, MTIO_RD, MTIO_WR};
    use crate::mtcp::Errno;
    use std::vec;
    use std::vec::Vec;

    type S = Sock<Vec<u8>>;
    const NA: Node = 1;
    const NB: Node = 2;

    fn sock() -> S {
        Sock::new(Config::DEFAULT, vec![0; 4096], vec![0; 4096])
    }

    fn seg(h: Header, payload: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 64 + payload.len()];
        let n = wire::encode(&h, payload, &mut b, true).unwrap();
        b.truncate(n);
        b
    }

    fn hdr(seq: u32, ack: u32, flags: Flags) -> Header {
        Header {
            sport: 1001,
            dport: 1000,
            shnode: 1,
            dhnode: 2,
            seq,
            ack,
            flags,
            window: 4096,
            ..Header::default()
        }
    }

    /// Moves every segment `from` wants to send into `to`; returns the
    /// events `to` reported.
    fn xfer(from: &mut S, to: &mut S, src: Node) -> Events {
        let mut ev = Events::NONE;
        let mut out = [0u8; 2048];
        while let Some(t) = from.poll_transmit(0, &mut out) {
            let s = wire::parse_checked(&out[..t.len], true).unwrap();
            let src = Source { node: src, addr: 0 };
            if let Route::Socket(o) = route(0, &s, src, t.node, Target::Sock(to)) {
                ev.add(o.events);
            }
        }
        ev
    }

    fn drain(s: &mut S) -> usize {
        let mut out = [0u8; 2048];
        let mut n = 0;
        while s.poll_transmit(0, &mut out).is_some() {
            n += 1;
        }
        n
    }

    /// A (client, node 1) and B (server, node 2) with A in state `st` (and B
    /// wherever that puts it).
    fn pair(st: State) -> (S, S) {
        let mut a = sock();
        let mut b = sock();
        let conn = Conn {
            local_port: 1001,
            rem_port: 1000,
            local_hnode: 1,
            local_cnode: NA,
            rem_hnode: 2,
            rem_cnode: NB,
            rem_cip: 0,
        };
        a.connect(conn, 100).unwrap();
        if st == State::SynSent {
            drain(&mut a);
            return (a, b);
        }
        let mut out = [0u8; 128];
        let t = a.poll_transmit(0, &mut out).unwrap();
        let syn = wire::parse(&out[..t.len]).unwrap();
        let bconn = Conn {
            local_port: 1000,
            local_hnode: 2,
            local_cnode: NB,
            ..Conn::default()
        };
        let src = Source { node: NA, addr: 0 };
        b.open_passive(bconn, &syn, src, 5000).unwrap();
        if st == State::SynReceived {
            // B's SYN-ACK is sent (and lost); return B as "a": the socket in
            // the requested state.
            drain(&mut b);
            return (b, a);
        }
        xfer(&mut b, &mut a, NB);
        xfer(&mut a, &mut b, NA);
        assert_eq!(a.state(), State::Established);
        assert_eq!(b.state(), State::Established);
        match st {
            State::Established => {}
            State::FinWait1 => {
                a.shutdown(MTIO_WR);
                drain(&mut a);
            }
            State::FinWait2 => {
                a.shutdown(MTIO_WR);
                xfer(&mut a, &mut b, NA);
                xfer(&mut b, &mut a, NB);
            }
            State::CloseWait => {
                b.close();
                xfer(&mut b, &mut a, NB);
                xfer(&mut a, &mut b, NA);
            }
            State::Closing => {
                a.shutdown(MTIO_WR);
                b.close();
                let mut fa = [0u8; 128];
                let ta = a.poll_transmit(0, &mut fa).unwrap();
                xfer(&mut b, &mut a, NB);
                let s = wire::parse(&fa[..ta.len]).unwrap();
                route(
                    0,
                    &s,
                    Source { node: NA, addr: 0 },
                    NB,
                    Target::Sock(&mut b),
                );
                drain(&mut b);
            }
            State::LastAck => {
                b.close();
                xfer(&mut b, &mut a, NB);
                a.close();
                drain(&mut a);
            }
            State::TimeWait => {
                a.close();
                xfer(&mut a, &mut b, NA);
                b.close();
                xfer(&mut b, &mut a, NB);
            }
            State::Closed => {
                a.abort();
                drain(&mut a);
            }
            State::Listen | State::SynSent | State::SynReceived => unreachable!(),
        }
        assert_eq!(a.state(), st);
        (a, b)
    }

    /// Thesis `ms_signs_test`: replies for segments that match no socket.
    #[test]
    fn ms_signs_test() {
        // With ACK: RST whose sequence number is the ACK number.
        let b = seg(hdr(10, 77, Flags::ACK), b"xyz");
        let s = wire::parse(&b).unwrap();
        let r = signal_nosock(&s).unwrap();
        assert_eq!((r.sport, r.dport, r.shnode, r.dhnode), (1000, 1001, 2, 1));
        assert_eq!((r.seq, r.flags), (77, Flags::RST));
        // Without ACK: RST+ACK acknowledging the whole segment.
        for (fl, len, end) in [
            (Flags::SYN, 0, 11),
            (Flags::NONE, 3, 13),
            (Flags::SYN.with(Flags::FIN), 3, 15),
        ] {
            let b = seg(hdr(10, 0, fl), &b"abc"[..len]);
            let r = signal_nosock(&wire::parse(&b).unwrap()).unwrap();
            assert_eq!((r.seq, r.ack), (0, end));
            assert_eq!(r.flags, Flags::RST.with(Flags::ACK));
            assert_eq!(r.mig, None);
        }
        // Never answer an RST or a migration signal.
        let b = seg(hdr(10, 77, Flags::RST.with(Flags::ACK)), &[]);
        assert_eq!(signal_nosock(&wire::parse(&b).unwrap()), None);
        let mut h = hdr(10, 77, Flags::NONE);
        h.mig = Some(MigOpt {
            node: 3,
            epoch: 1,
            echo: 0,
            req: false,
        });
        let b = seg(h, &[]);
        assert_eq!(signal_nosock(&wire::parse(&b).unwrap()), None);
        assert_eq!(
            route::<Vec<u8>>(
                0,
                &wire::parse(&b).unwrap(),
                Source::default(),
                2,
                Target::None
            ),
            Route::Drop
        );
    }

    /// Thesis `ms_sigrem_test`: replies built for segments addressed to a
    /// known socket.
    #[test]
    fn ms_sigrem_test() {
        // The migration signal from a migrated socket's old node.
        let b = seg(hdr(10, 77, Flags::ACK), b"xyz");
        let s = wire::parse(&b).unwrap();
        let r = signal(&s, Signal::Mig { node: 4, epoch: 2 }).unwrap();
        assert_eq!((r.seq, r.ack, r.flags), (77, 13, Flags::NONE));
        assert_eq!(
            r.mig,
            Some(MigOpt {
                node: 4,
                epoch: 2,
                echo: 0,
                req: false,
            })
        );
        let m = Moved { node: 4, epoch: 2 };
        let src = Source { node: 1, addr: 0 };
        assert_eq!(
            route::<Vec<u8>>(0, &s, src, 3, Target::Moved(m)),
            Route::Reply(r)
        );
        // A CLOSED socket answers like no socket.
        let (mut a, _) = pair(State::Closed);
        let b2 = seg(hdr(a.rcv_nxt(), a.snd_nxt(), Flags::ACK), b"q");
        let s2 = wire::parse(&b2).unwrap();
        let want = signal_nosock(&s2);
        assert!(want.is_some());
        let Route::Socket(o) = route(0, &s2, src, 1, Target::Sock(&mut a)) else {
            panic!()
        };
        assert_eq!(o.reply, want);
        // SYN-RECEIVED answers an unacceptable ACK with RST.
        let (mut b, _) = pair(State::SynReceived);
        let bad = seg(hdr(b.rcv_nxt(), b.iss().wrapping_add(7), Flags::ACK), &[]);
        let s3 = wire::parse(&bad).unwrap();
        let Route::Socket(o) = route(0, &s3, src, 2, Target::Sock(&mut b)) else {
            panic!()
        };
        assert_eq!(o.reply.unwrap().flags, Flags::RST);
        assert_eq!(o.reply.unwrap().seq, b.iss().wrapping_add(7));
        // An unacceptable segment to a synchronized socket is answered by
        // the socket's own ACK (seq = snd_nxt, ack = rcv_nxt).
        let (mut a, _) = pair(State::Established);
        let old = seg(
            hdr(a.rcv_nxt().wrapping_sub(100), a.snd_nxt(), Flags::ACK),
            b"old",
        );
        let Route::Socket(o) = route(0, &wire::parse(&old).unwrap(), src, 1, Target::Sock(&mut a))
        else {
            panic!()
        };
        assert!(o.events.has(Events::TRANSMIT) && o.reply.is_none());
        let mut out = [0u8; 128];
        let t = a.poll_transmit(0, &mut out).unwrap();
        let ack = wire::parse_checked(&out[..t.len], true).unwrap().hdr;
        assert_eq!(
            (ack.seq, ack.ack, ack.flags),
            (a.snd_nxt(), a.rcv_nxt(), Flags::ACK)
        );
    }

    fn route_seg(s: &mut S, h: Header, payload: &[u8], from: Node) -> Route {
        let b = seg(h, payload);
        let here = s.conn.local_cnode;
        route(
            0,
            &wire::parse(&b).unwrap(),
            Source {
                node: from,
                addr: 0,
            },
            here,
            Target::Sock(s),
        )
    }

    fn to(s: &S, seq: u32, ack: u32, flags: Flags) -> Header {
        Header {
            sport: s.conn.rem_port,
            dport: s.conn.local_port,
            shnode: s.conn.rem_hnode,
            dhnode: s.conn.local_hnode,
            ..hdr(seq, ack, flags)
        }
    }

    /// Thesis `ms_route_test`: valid and invalid segments for sockets in
    /// every state, and for listeners, old copies and nothing.
    #[test]
    fn ms_route_test() {
        let synchronized = [
            State::Established,
            State::FinWait1,
            State::FinWait2,
            State::CloseWait,
            State::Closing,
            State::LastAck,
            State::TimeWait,
        ];
        for st in synchronized {
            // Valid data: taken where the peer may still send.
            let (mut a, _) = pair(st);
            let peer = a.conn.rem_cnode;
            let h = to(&a, a.rcv_nxt(), a.snd_una(), Flags::ACK);
            let Route::Socket(o) = route_seg(&mut a, h, b"data", peer) else {
                panic!("{st:?}")
            };
            let takes = matches!(st, State::Established | State::FinWait1 | State::FinWait2);
            assert_eq!(o.events.has(Events::READABLE), takes, "{st:?}");
            assert_eq!(a.readable(), if takes { 4 } else { 0 }, "{st:?}");
            assert!(o.reply.is_none());

            // Outside the window: dropped, answered by an ACK.
            let (mut a, _) = pair(st);
            let h = to(
                &a,
                a.rcv_nxt().wrapping_add(100_000),
                a.snd_una(),
                Flags::ACK,
            );
            let Route::Socket(o) = route_seg(&mut a, h, b"far", peer) else {
                panic!()
            };
            assert!(o.events.has(Events::TRANSMIT), "{st:?}");
            assert_eq!(a.readable(), 0);
            assert_eq!(a.state(), st);

            // ACK of something never sent: ACK back, drop.
            let (mut a, _) = pair(st);
            let h = to(&a, a.rcv_nxt(), a.snd_nxt().wrapping_add(1000), Flags::ACK);
            let Route::Socket(o) = route_seg(&mut a, h, b"x", peer) else {
                panic!()
            };
            assert!(o.events.has(Events::TRANSMIT));
            assert_eq!(a.readable(), 0, "{st:?}");

            // No ACK flag: dropped.
            let (mut a, _) = pair(st);
            let h = to(&a, a.rcv_nxt(), 0, Flags::NONE);
            let _ = route_seg(&mut a, h, b"x", peer);
            assert_eq!(a.readable(), 0);
            assert_eq!(a.state(), st);

            // SYN in the window: challenge ACK, state kept.
            let (mut a, _) = pair(st);
            let h = to(&a, a.rcv_nxt(), 0, Flags::SYN);
            let Route::Socket(o) = route_seg(&mut a, h, &[], peer) else {
                panic!()
            };
            assert!(o.events.has(Events::TRANSMIT));
            assert_eq!(a.state(), st);

            // RST from a node where the peer is not: ignored.
            let (mut a, _) = pair(st);
            let h = to(&a, a.rcv_nxt(), 0, Flags::RST);
            let _ = route_seg(&mut a, h, &[], 9);
            assert_eq!(a.state(), st);

            // RST in the window from the peer: closes, with ECONNRESET where
            // the connection was still open.
            let (mut a, _) = pair(st);
            let h = to(&a, a.rcv_nxt(), 0, Flags::RST);
            let Route::Socket(o) = route_seg(&mut a, h, &[], peer) else {
                panic!()
            };
            assert!(o.events.has(Events::CLOSED), "{st:?}");
            assert_eq!(a.state(), State::Closed);
            let open = matches!(
                st,
                State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait
            );
            assert_eq!(a.error(), open.then_some(Errno::ConnReset), "{st:?}");

            // RST outside the window: ignored.
            let (mut a, _) = pair(st);
            let h = to(&a, a.rcv_nxt().wrapping_add(100_000), 0, Flags::RST);
            let _ = route_seg(&mut a, h, &[], peer);
            assert_eq!(a.state(), st);
        }

        // SYN-SENT.
        let (mut a, _) = pair(State::SynSent);
        let h = to(&a, 7000, a.iss(), Flags::SYN.with(Flags::ACK));
        let Route::Socket(o) = route_seg(&mut a, h, &[], NB) else {
            panic!()
        };
        assert_eq!(o.reply.unwrap().flags, Flags::RST, "stale SYN-ACK");
        assert_eq!(a.state(), State::SynSent);
        let h = to(
            &a,
            7000,
            a.iss().wrapping_add(1),
            Flags::RST.with(Flags::ACK),
        );
        let _ = route_seg(&mut a, h, &[], NB);
        assert_eq!(
            (a.state(), a.error()),
            (State::Closed, Some(Errno::ConnRefused))
        );
        let (mut a, _) = pair(State::SynSent);
        let h = to(
            &a,
            7000,
            a.iss().wrapping_add(1),
            Flags::SYN.with(Flags::ACK),
        );
        let Route::Socket(o) = route_seg(&mut a, h, &[], NB) else {
            panic!()
        };
        assert!(o.events.has(Events::CONNECTED));
        assert_eq!(a.state(), State::Established);
        let (mut a, _) = pair(State::SynSent);
        let h = to(&a, 7000, 0, Flags::SYN);
        let _ = route_seg(&mut a, h, &[], NB);
        assert_eq!(a.state(), State::SynReceived, "simultaneous open");

        // SYN-RECEIVED: the handshake's ACK establishes; RST refuses.
        let (mut b, _) = pair(State::SynReceived);
        let h = to(&b, b.rcv_nxt(), b.iss().wrapping_add(1), Flags::ACK);
        let Route::Socket(o) = route_seg(&mut b, h, &[], NA) else {
            panic!()
        };
        assert!(o.events.has(Events::CONNECTED));
        let (mut b, _) = pair(State::SynReceived);
        let h = to(&b, b.rcv_nxt(), 0, Flags::RST);
        let _ = route_seg(&mut b, h, &[], NA);
        assert_eq!(
            (b.state(), b.error()),
            (State::Closed, Some(Errno::ConnRefused))
        );

        // Listeners.
        let syn = seg(hdr(10, 0, Flags::SYN), &[]);
        let syn = wire::parse(&syn).unwrap();
        let src = Source { node: NA, addr: 0 };
        let l = ListenerView {
            cnode: NB,
            epoch: 0,
            backlog_full: false,
        };
        let r = |s: &Segment<'_>, l| route::<Vec<u8>>(0, s, src, NB, Target::Listener(l));
        assert_eq!(r(&syn, l), Route::ConnRequest);
        let full = ListenerView {
            backlog_full: true,
            ..l
        };
        assert_eq!(r(&syn, full), Route::Drop);
        let away = ListenerView {
            cnode: 3,
            epoch: 2,
            ..l
        };
        let Route::Reply(h) = r(&syn, away) else {
            panic!()
        };
        assert_eq!(h.mig.map(|m| (m.node, m.epoch)), Some((3, 2)));
        assert_eq!((h.seq, h.ack), (0, 11));
        let ack = seg(hdr(10, 5, Flags::ACK), &[]);
        let ack = wire::parse(&ack).unwrap();
        assert_eq!(r(&ack, l), Route::Reply(signal_nosock(&ack).unwrap()));
        let rst = seg(hdr(10, 5, Flags::RST), &[]);
        assert_eq!(r(&wire::parse(&rst).unwrap(), l), Route::Drop);
        let fin = seg(hdr(10, 5, Flags::FIN), &[]);
        assert_eq!(r(&wire::parse(&fin).unwrap(), l), Route::Drop);

        // Nothing: RST.
        assert_eq!(
            route::<Vec<u8>>(0, &ack, src, NB, Target::None),
            Route::Reply(signal_nosock(&ack).unwrap())
        );
        // Bytes that do not parse.
        assert_eq!(
            route_bytes::<Vec<u8>>(0, &[1, 2, 3], true, src, NB, |_| Target::None),
            Err(WireError::Short)
        );
    }

    /// A connection request to a listener whose process migrated: the home
    /// node redirects it with a migration signal, the requester resends its
    /// SYN to the listener's current node and connects there.
    #[test]
    fn listener_redirect() {
        let mut a = sock();
        let conn = Conn {
            local_port: 1001,
            rem_port: 1000,
            local_hnode: 1,
            local_cnode: NA,
            rem_hnode: 2,
            rem_cnode: NB,
            rem_cip: 0,
        };
        a.connect(conn, 100).unwrap();
        let mut out = [0u8; 128];
        let t = a.poll_transmit(0, &mut out).unwrap();
        assert_eq!(t.node, NB);
        let syn = wire::parse_checked(&out[..t.len], true).unwrap();
        let away = ListenerView {
            cnode: 3,
            epoch: 1,
            backlog_full: false,
        };
        let src = Source { node: NA, addr: 0 };
        let Route::Reply(sig) = route::<Vec<u8>>(0, &syn, src, NB, Target::Listener(away)) else {
            panic!()
        };
        let b = seg(sig, &[]);
        let s = wire::parse_checked(&b, true).unwrap();
        let Route::Socket(o) = route(
            0,
            &s,
            Source { node: NB, addr: 0 },
            NA,
            Target::Sock(&mut a),
        ) else {
            panic!()
        };
        assert!(o.events.has(Events::REMOTE_MOVED.with(Events::TRANSMIT)));
        assert_eq!(a.state(), State::SynSent);
        let t = a.poll_transmit(0, &mut out).unwrap();
        assert_eq!(t.node, 3);
        let syn2 = wire::parse_checked(&out[..t.len], true).unwrap();
        assert!(syn2.hdr.flags.syn() && syn2.hdr.seq == 100);
        let here = ListenerView { cnode: 3, ..away };
        assert_eq!(
            route::<Vec<u8>>(0, &syn2, src, 3, Target::Listener(here)),
            Route::ConnRequest
        );
        let mut b = sock();
        let bconn = Conn {
            local_port: 1000,
            local_hnode: 2,
            local_cnode: 3,
            ..Conn::default()
        };
        b.open_passive(bconn, &syn2, src, 9000).unwrap();
        let ev = xfer(&mut b, &mut a, 3);
        assert!(ev.has(Events::CONNECTED));
        assert_eq!(a.conn.rem_cnode, 3);
        let ev = xfer(&mut a, &mut b, NA);
        assert!(ev.has(Events::CONNECTED));
    }

    /// Section 4.5.3: the migration cases seen from the stationary end.
    #[test]
    fn migration_cases() {
        // A valid segment from a new node moves the remote.
        let (mut a, _) = pair(State::Established);
        let mut h = to(&a, a.rcv_nxt(), a.snd_una(), Flags::ACK);
        h.mig = Some(MigOpt {
            node: 3,
            epoch: 1,
            echo: 0,
            req: false,
        });
        let Route::Socket(o) = route_seg(&mut a, h, b"hi", 3) else {
            panic!()
        };
        assert!(o.events.has(Events::REMOTE_MOVED));
        assert_eq!((a.conn.rem_cnode, a.rem_epoch()), (3, 1));
        // A stale segment from the old node (older epoch) does not move it back.
        let h = to(&a, a.rcv_nxt(), a.snd_una(), Flags::ACK);
        let Route::Socket(o) = route_seg(&mut a, h, &[], NB) else {
            panic!()
        };
        assert!(!o.events.has(Events::REMOTE_MOVED));
        assert_eq!(a.conn.rem_cnode, 3);
        // Nor does an RST from there.
        let h = to(&a, a.rcv_nxt(), 0, Flags::RST);
        let _ = route_seg(&mut a, h, &[], NB);
        assert_eq!(a.state(), State::Established);

        // The migration signal from the old node: moves the remote and
        // resends what is unacknowledged at once.
        let (mut a, _) = pair(State::Established);
        a.send(b"pending").unwrap();
        let mut out = [0u8; 256];
        a.poll_transmit(0, &mut out).unwrap();
        let mut h = to(&a, 0, a.snd_nxt(), Flags::NONE);
        h.mig = Some(MigOpt {
            node: 4,
            epoch: 1,
            echo: 0,
            req: false,
        });
        let Route::Socket(o) = route_seg(&mut a, h, &[], NB) else {
            panic!()
        };
        assert!(o.events.has(Events::REMOTE_MOVED.with(Events::TRANSMIT)));
        let t = a.poll_transmit(0, &mut out).unwrap();
        assert_eq!(t.node, 4);
        assert_eq!(wire::parse(&out[..t.len]).unwrap().payload, b"pending");
        // A signal that does not echo our sequence space is ignored.
        let mut h2 = h;
        h2.ack = a.snd_nxt().wrapping_add(50);
        h2.mig = Some(MigOpt {
            node: 5,
            epoch: 9,
            echo: 0,
            req: false,
        });
        let _ = route_seg(&mut a, h2, &[], 4);
        assert_eq!(a.conn.rem_cnode, 4);

        // The newly migrated end: MIG_ACKED once the peer echoes its epoch.
        let (mut a, mut b) = pair(State::Established);
        let (v, ua, us) = a.save();
        assert_eq!((ua, us), (0, 0));
        let mut m = sock();
        let ev = m.restore(0, 3, &v, &[], &[], &[]).unwrap();
        assert!(ev.has(Events::TRANSMIT) && m.newly_migrated() && m.blocks_migration());
        let ev = xfer(&mut m, &mut b, 3);
        assert!(ev.has(Events::REMOTE_MOVED));
        assert_eq!(b.conn.rem_cnode, 3);
        let ev = xfer(&mut b, &mut m, NB);
        assert!(ev.has(Events::MIG_ACKED));
        assert!(!m.newly_migrated());
        // A restored socket cannot be restored over.
        assert!(m.restore(0, 3, &v, &[], &[], &[]).is_err());
        let _ = a.shutdown(MTIO_RD);
    }
}
