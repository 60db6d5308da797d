// SPDX-License-Identifier: GPL-2.0

//! Property tests of the codecs and of the arithmetic: header and message
//! encode/decode round trips, sequence comparisons across wrap-around and
//! cropping invariants.

use migsock_host::mtcp::crop;
use migsock_host::mtcp::engine::{Config, Conn, Opts, Sock, SockVars, State};
use migsock_host::mtcp::metasock::{
    self, ListenMsg, MigAcked, MigToYouWriter, Msg, MsgType, ProcHdr,
};
use migsock_host::mtcp::seq;
use migsock_host::mtcp::table::SockKey;
use migsock_host::mtcp::wire::{self, Flags, Header, MigOpt};
use proptest::prelude::*;

fn header() -> impl Strategy<Value = Header> {
    (
        any::<[u16; 4]>(),
        any::<[u32; 2]>(),
        any::<u8>(),
        any::<[u16; 2]>(),
        proptest::option::of(any::<(u16, u16, u16, bool)>()),
    )
        .prop_map(|(p, s, flags, w, mig)| Header {
            sport: p[0],
            dport: p[1],
            shnode: p[2],
            dhnode: p[3],
            seq: s[0],
            ack: s[1],
            flags: Flags(flags),
            window: w[0],
            cksum: 0,
            urgptr: w[1],
            mig: mig.map(|(node, epoch, echo, req)| MigOpt {
                node,
                epoch,
                echo,
                req,
            }),
        })
}

/// Consistent socket variables and queues for a migratable state.
fn sock_record() -> impl Strategy<Value = (SockVars, Vec<u8>, Vec<u8>, Vec<u8>)> {
    (
        prop::sample::select(vec![
            State::Closed,
            State::Established,
            State::FinWait1,
            State::FinWait2,
            State::CloseWait,
            State::Closing,
            State::LastAck,
            State::TimeWait,
        ]),
        any::<[u32; 2]>(),
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(any::<u8>(), 0..300),
        prop::collection::vec(any::<u8>(), 0..300),
        any::<(bool, u16, u16, i32, u16)>(),
        1u32..=65535,
    )
        .prop_map(
            |(
                st,
                [iss, irs],
                mut unacked,
                mut unsent,
                undelivered,
                (fin_sent, e1, e2, pid, port),
                wnd,
            )| {
                let fin_queued = matches!(
                    st,
                    State::FinWait1
                        | State::FinWait2
                        | State::Closing
                        | State::LastAck
                        | State::TimeWait
                );
                let fin_rcvd = st.peer_fin();
                let fin_acked = matches!(st, State::FinWait2 | State::TimeWait);
                if fin_acked || st == State::Closed {
                    unacked.clear();
                    unsent.clear();
                }
                let fin_in_flight = fin_queued && !fin_acked && fin_sent && st != State::Closed;
                if fin_in_flight {
                    unsent.clear();
                }
                let ul = unacked.len() as u32;
                let snd_una = iss.wrapping_add(1).wrapping_add(ul.wrapping_mul(3));
                let snd_nxt = snd_una
                    .wrapping_add(ul)
                    .wrapping_add(u32::from(fin_in_flight));
                let deliver_nxt = irs.wrapping_add(1).wrapping_add(777);
                let rcv_nxt = deliver_nxt
                    .wrapping_add(undelivered.len() as u32)
                    .wrapping_add(u32::from(fin_rcvd));
                let v = SockVars {
                    fd: 3,
                    pid,
                    conn: Conn {
                        local_port: port,
                        rem_port: 1000,
                        local_hnode: 1,
                        local_cnode: 2,
                        rem_hnode: 3,
                        rem_cnode: 4,
                        rem_cip: 0x0a00_0004,
                    },
                    opts: Opts {
                        linger_s: -1,
                        ..Opts::default()
                    },
                    state: st as u8,
                    iostate: if st == State::Closed { 0 } else { 1 },
                    newly_migrated: e1 & 1 == 1,
                    fin_queued,
                    fin_rcvd,
                    connect_pending: e1 & 2 == 2,
                    errno: if st == State::Closed { 104 } else { 0 },
                    snd_una,
                    snd_nxt,
                    snd_wnd: wnd,
                    iss,
                    rcv_nxt,
                    rcv_wnd: 4096,
                    irs,
                    deliver_nxt,
                    prev_ack_sent: rcv_nxt,
                    mig_epoch: e1,
                    rem_epoch: e2,
                };
                (v, unacked, unsent, undelivered)
            },
        )
}

proptest! {
    #[test]
    fn header_round_trip(h in header(), payload in prop::collection::vec(any::<u8>(), 0..200), ck in any::<bool>()) {
        let mut b = vec![0u8; 64 + payload.len()];
        let n = wire::encode(&h, &payload, &mut b, ck).unwrap();
        let s = wire::parse_checked(&b[..n], ck).unwrap();
        let mut got = s.hdr;
        got.cksum = 0;
        prop_assert_eq!(got, h);
        prop_assert_eq!(s.payload, &payload[..]);
        prop_assert_eq!(s.seqlen(), wire::seqlen(h.flags, payload.len()));
    }

    #[test]
    fn parse_never_panics(b in prop::collection::vec(any::<u8>(), 0..100)) {
        let _ = wire::parse_checked(&b, true);
        let _ = metasock::decode(&b);
        let _ = metasock::frame_len(&b);
    }

    #[test]
    fn small_messages_round_trip(l in any::<(u16, u16, i32, i32, u16, u16)>(), k in any::<[u16; 4]>(), t in 3u8..=5) {
        let m = ListenMsg { port: l.0, hnode: l.1, pid: l.2, fd: l.3, cnode: l.4, epoch: l.5 };
        let mut b = [0u8; 64];
        let ty = MsgType::from_u8(t).unwrap();
        let n = metasock::encode_listen(ty, &m, &mut b).unwrap();
        let want = match ty {
            MsgType::MigListen => Msg::MigListen(m),
            MsgType::OpenListen => Msg::OpenListen(m),
            _ => Msg::CloseListen(m),
        };
        prop_assert_eq!(metasock::decode(&b[..n]), Ok(want));
        let a = MigAcked {
            key: SockKey { local_port: k[0], rem_port: k[1], local_hnode: k[2], rem_hnode: k[3] },
            pid: l.2,
            fd: l.3,
            epoch: k[0],
        };
        let n = metasock::encode_migacked(&a, &mut b).unwrap();
        prop_assert_eq!(metasock::decode(&b[..n]), Ok(Msg::MigAcked(a)));
    }

    #[test]
    fn migtoyou_round_trip_and_restore(recs in prop::collection::vec(sock_record(), 0..5), pid in any::<i32>()) {
        let p = ProcHdr { hnode: 1, prev_node: 2, new_node: 3, pid };
        let mut buf = vec![0u8; 8192];
        let mut w = MigToYouWriter::new(&mut buf, &p).unwrap();
        for (v, a, u, d) in &recs {
            w.push_parts(v, &[a], &[u], &[d]).unwrap();
        }
        let n = w.finish().unwrap();
        let Ok(Msg::MigToYou(m)) = metasock::decode(&buf[..n]) else {
            return Err(TestCaseError::fail("decode"));
        };
        prop_assert_eq!(m.proc_hdr, p);
        prop_assert_eq!(m.count(), recs.len());
        for (r, (v, a, u, d)) in m.records().zip(&recs) {
            prop_assert_eq!(&r.vars, v);
            prop_assert_eq!(r.unacked, &a[..]);
            prop_assert_eq!(r.unsent, &u[..]);
            prop_assert_eq!(r.undelivered, &d[..]);
            // Restore, then snapshot again: the same queues come out.
            let mut s = Sock::new(Config::DEFAULT, vec![0u8; 1024], vec![0u8; 1024]);
            r.restore(&mut s, 0, 3).unwrap();
            let mut b2 = vec![0u8; 4096];
            let mut w2 = MigToYouWriter::new(&mut b2, &p).unwrap();
            w2.push_sock(&s).unwrap();
            let n2 = w2.finish().unwrap();
            let Ok(Msg::MigToYou(m2)) = metasock::decode(&b2[..n2]) else {
                return Err(TestCaseError::fail("re-decode"));
            };
            let r2 = m2.records().next().unwrap();
            prop_assert_eq!(r2.unacked, &a[..]);
            prop_assert_eq!(r2.unsent, &u[..]);
            prop_assert_eq!(r2.undelivered, &d[..]);
            prop_assert_eq!(r2.vars.state, v.state);
            prop_assert_eq!(r2.vars.snd_una, v.snd_una);
            prop_assert_eq!(r2.vars.snd_nxt, v.snd_nxt);
            prop_assert_eq!(r2.vars.rcv_nxt, v.rcv_nxt);
            prop_assert_eq!(r2.vars.mig_epoch, v.next_epoch());
            prop_assert_eq!(r2.vars.conn.local_cnode, 3);
        }
        // Any single corrupted length field or truncation is refused or
        // still decodes consistently; never panics.
        for cut in (0..n).step_by(7) {
            prop_assert!(metasock::decode(&buf[..cut]).is_err());
        }
    }

    #[test]
    fn seq_compare_across_wrap(a in any::<u32>(), n in 1u32..0x7fff_ffff) {
        let b = seq::add(a, n);
        prop_assert!(seq::lt(a, b) && seq::le(a, b) && seq::gt(b, a) && seq::ge(b, a));
        prop_assert!(!seq::lt(b, a) && !seq::gt(a, b));
        prop_assert_eq!(seq::diff(b, a), n);
        prop_assert!(seq::in_window(b, a, n.saturating_add(1)));
        prop_assert!(!seq::in_window(b, a, n));
        prop_assert_eq!(seq::max(a, b), b);
        prop_assert_eq!(seq::min(a, b), a);
    }

    #[test]
    fn crop_invariants(s in any::<u32>(), fl in 0u8..4, len in 0usize..3000, off in -3000i64..3000, wnd in 0u32..4000) {
        let flags = Flags(fl & 3); // FIN, SYN
        let rcv_nxt = (i64::from(s) + off) as u32;
        let total = wire::seqlen(flags, len);
        match crop::crop(s, flags, len, rcv_nxt, wnd) {
            Some(c) => {
                prop_assert!(c.start + c.len <= len);
                prop_assert!(c.seqlen() <= total);
                if c.seqlen() > 0 {
                    prop_assert_eq!(c.seq, seq::max(s, rcv_nxt));
                    prop_assert!(seq::in_window(c.seq, rcv_nxt, wnd));
                    prop_assert!(seq::diff(c.seq, rcv_nxt) + c.seqlen() <= wnd);
                    // The kept data is the same stream bytes.
                    let first = seq::add(s, u32::from(flags.syn()) + c.start as u32);
                    let kept_first = seq::add(c.seq, u32::from(c.flags.syn()));
                    prop_assert_eq!(first, kept_first);
                } else {
                    prop_assert!(crop::acceptable(s, 0, rcv_nxt, wnd));
                }
            }
            None => {
                // Nothing of the segment is inside the window.
                let inside = (0..total).any(|i| seq::in_window(seq::add(s, i), rcv_nxt, wnd));
                prop_assert!(!inside || total == 0);
            }
        }
    }
}
