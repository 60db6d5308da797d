// SPDX-License-Identifier: GPL-2.0

//! A small simulated cluster for host tests: nodes joined by a lossy,
//! duplicating, reordering link; two MTCP endpoints (an active opener "A"
//! and a listener that accepts "B") streaming data both ways; and process
//! migration of either end through a MIGTOYOU encode/decode.

#![allow(dead_code)]

use migsock_host::mtcp::engine::{Config, Conn, Events, Sock, Source, State, MTIO_WR};
use migsock_host::mtcp::metasock::{self, MigToYouWriter, Msg, ProcHdr};
use migsock_host::mtcp::route::{self, ListenerView, Moved, Route, Target};
use migsock_host::mtcp::table::{ListenKey, SockKey};
use migsock_host::mtcp::wire::{self, Header};
use std::collections::HashMap;

pub type S = Sock<Vec<u8>>;

/// xorshift64*: deterministic randomness from a seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// True with probability `pct` percent.
    pub fn pct(&mut self, pct: u32) -> bool {
        (self.next() % 100) < u64::from(pct)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct LinkCfg {
    pub loss_pct: u32,
    pub dup_pct: u32,
    /// Delay is 1..=max_delay ms, uniformly: packets overtake each other.
    pub max_delay: u64,
}

struct Packet {
    at: u64,
    id: u64,
    to: u16,
    from: Source,
    bytes: Vec<u8>,
}

pub struct End {
    pub sock: Option<S>,
    pub node: u16,
    /// Node to send MIGACKED to, while newly migrated.
    pub prev_node: Option<u16>,
    pub data: Vec<u8>,
    pub sent: usize,
    pub got: Vec<u8>,
    pub eof: bool,
    pub shut: bool,
    pub migrations: u32,
    /// The application does not read before this time.
    pub read_from: u64,
}

impl End {
    fn new(node: u16, data: Vec<u8>) -> Self {
        End {
            sock: None,
            node,
            prev_node: None,
            data,
            sent: 0,
            got: Vec::new(),
            eof: false,
            shut: false,
            migrations: 0,
            read_from: 0,
        }
    }
}

pub struct World {
    pub now: u64,
    pub rng: Rng,
    pub link: LinkCfg,
    pub cfg: Config,
    pub bufsz: usize,
    inflight: Vec<Packet>,
    /// Old copies of migrated sockets: (node, key) -> where they went.
    stubs: HashMap<(u16, SockKey), Moved>,
    pub ends: [End; 2],
    /// B's listener: home node and key.
    pub listen: (u16, ListenKey),
    /// Node B's listening process runs on (the home node redirects there).
    pub listen_at: u16,
    pub log: Vec<String>,
    pub trace: bool,
    pub packets: u64,
}

pub const A: usize = 0;
pub const B: usize = 1;

impl World {
    pub fn new(seed: u64, link: LinkCfg, data_a: Vec<u8>, data_b: Vec<u8>, bufsz: usize) -> Self {
        let cfg = Config {
            mss: 512,
            rto_ms: 100,
            rto_max_ms: 1600,
            max_retries: 30,
            time_wait_ms: 400,
        };
        World {
            now: 0,
            rng: Rng::new(seed),
            link,
            cfg,
            bufsz,
            inflight: Vec::new(),
            stubs: HashMap::new(),
            ends: [End::new(1, data_a), End::new(2, data_b)],
            listen: (
                2,
                ListenKey {
                    port: 1000,
                    hnode: 2,
                },
            ),
            listen_at: 2,
            log: Vec::new(),
            trace: false,
            packets: 0,
        }
    }

    fn new_sock(&self) -> S {
        Sock::new(self.cfg, vec![0; self.bufsz], vec![0; self.bufsz])
    }

    fn note(&mut self, s: String) {
        if self.trace {
            eprintln!("{:>7} {}", self.now, s);
        }
        self.log.push(s);
        if self.log.len() > 400 {
            self.log.drain(..200);
        }
    }

    /// A connects from node 1 (home 1, port 1001) to B's listener.
    pub fn connect(&mut self) {
        let mut s = self.new_sock();
        let conn = Conn {
            local_port: 1001,
            rem_port: 1000,
            local_hnode: 1,
            local_cnode: self.ends[A].node,
            rem_hnode: 2,
            rem_cnode: self.listen.0,
            rem_cip: u32::from(self.listen.0),
        };
        s.connect(conn, 0xffff_ff00).unwrap();
        s.fd = 3;
        s.pid = 100;
        self.ends[A].sock = Some(s);
    }

    fn send_raw(&mut self, from: u16, to: u16, bytes: Vec<u8>) {
        self.packets += 1;
        if self.rng.pct(self.link.loss_pct) {
            return;
        }
        let copies = if self.rng.pct(self.link.dup_pct) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let at = self.now + 1 + self.rng.below(self.link.max_delay);
            self.inflight.push(Packet {
                at,
                id: self.packets,
                to,
                from: Source {
                    node: from,
                    addr: u32::from(from),
                },
                bytes: bytes.clone(),
            });
        }
    }

    fn send_hdr(&mut self, from: u16, to: u16, h: &Header) {
        let mut b = [0u8; 64];
        let n = wire::encode(h, &[], &mut b, from != to).unwrap();
        self.send_raw(from, to, b[..n].to_vec());
    }

    fn flush(&mut self, i: usize) {
        let mut out = [0u8; 1024];
        loop {
            let now = self.now;
            let end = &mut self.ends[i];
            let from = end.node;
            let Some(s) = end.sock.as_mut() else { return };
            let Some(t) = s.poll_transmit(now, &mut out) else {
                return;
            };
            let bytes = out[..t.len].to_vec();
            if self.trace {
                let seg = wire::parse(&bytes).unwrap();
                self.note(format!(
                    "{} @{} -> {} seq={} ack={} fl={:#x} len={} mig={:?}",
                    ["A", "B"][i],
                    from,
                    t.node,
                    seg.hdr.seq,
                    seg.hdr.ack,
                    seg.hdr.flags.0,
                    seg.payload.len(),
                    seg.hdr.mig
                ));
            }
            self.send_raw(from, t.node, bytes);
        }
    }

    fn end_at(&self, node: u16, key: &SockKey) -> Option<usize> {
        (0..2).find(|&i| {
            let e = &self.ends[i];
            e.node == node
                && e.sock
                    .as_ref()
                    .is_some_and(|s| SockKey::of_conn(&s.conn) == *key)
        })
    }

    fn handle_events(&mut self, i: usize, ev: Events) {
        if ev.has(Events::MIG_ACKED) {
            // MIGACKED travels over the metasocket to the previous node.
            let s = self.ends[i].sock.as_ref().unwrap();
            let m = metasock::MigAcked {
                key: SockKey::of_conn(&s.conn),
                pid: s.pid,
                fd: s.fd,
                epoch: s.mig_epoch(),
            };
            let mut buf = [0u8; 64];
            let n = metasock::encode_migacked(&m, &mut buf).unwrap();
            let Ok(Msg::MigAcked(m)) = metasock::decode(&buf[..n]) else {
                panic!("MIGACKED decode")
            };
            if let Some(prev) = self.ends[i].prev_node.take() {
                // As the old node does: only the stub of the move that
                // made this epoch.
                if self
                    .stubs
                    .get(&(prev, m.key))
                    .is_some_and(|x| x.epoch == m.epoch)
                {
                    self.stubs.remove(&(prev, m.key));
                }
                self.note(format!(
                    "{} migacked, stub at {prev} dropped",
                    ["A", "B"][i]
                ));
            }
        }
        if ev.has(Events::ERROR) {
            let e = self.ends[i].sock.as_ref().and_then(|s| s.error());
            self.note(format!("{} error {:?}", ["A", "B"][i], e));
        }
    }

    fn deliver(&mut self, p: Packet) {
        let verify = p.from.node != p.to;
        let seg = match wire::parse_checked(&p.bytes, verify) {
            Ok(s) => s,
            Err(e) => panic!("bad segment on the wire: {e:?}"),
        };
        let key = SockKey::of_incoming(&seg.hdr);
        let now = self.now;
        let here = p.to;
        if self.trace {
            self.note(format!(
                "   {} <- {} seq={} ack={} fl={:#x} len={} mig={:?}",
                here,
                p.from.node,
                seg.hdr.seq,
                seg.hdr.ack,
                seg.hdr.flags.0,
                seg.payload.len(),
                seg.hdr.mig
            ));
        }
        let who = self.end_at(here, &key);
        let r = if let Some(i) = who {
            let s = self.ends[i].sock.as_mut().unwrap();
            route::route(now, &seg, p.from, here, Target::Sock(s))
        } else if let Some(m) = self.stubs.get(&(here, key)).copied() {
            route::route::<Vec<u8>>(now, &seg, p.from, here, Target::Moved(m))
        } else if ListenKey::of_incoming(&seg.hdr) == self.listen.1
            && (here == self.listen.0 || here == self.listen_at)
            && self.ends[B].sock.is_none()
        {
            // The home node keeps the listener and knows where its process
            // runs (MIGLISTEN); that node has the listener too.
            let l = ListenerView {
                cnode: self.listen_at,
                epoch: u16::from(self.listen_at != self.listen.0),
                backlog_full: false,
            };
            route::route::<Vec<u8>>(now, &seg, p.from, here, Target::Listener(l))
        } else {
            route::route::<Vec<u8>>(now, &seg, p.from, here, Target::None)
        };
        match r {
            Route::Drop => {}
            Route::Reply(h) => self.send_hdr(here, p.from.node, &h),
            Route::ConnRequest => {
                let mut s = self.new_sock();
                let conn = Conn {
                    local_port: 1000,
                    local_hnode: 2,
                    local_cnode: here,
                    ..Conn::default()
                };
                s.open_passive(conn, &seg, p.from, 0x7fff_fff0).unwrap();
                s.fd = 4;
                s.pid = 200;
                self.ends[B].sock = Some(s);
                self.ends[B].node = here;
            }
            Route::Socket(o) => {
                if let Some(h) = o.reply {
                    self.send_hdr(here, p.from.node, &h);
                }
                if let Some(i) = who {
                    self.handle_events(i, o.events);
                }
            }
        }
    }

    /// Moves end `i` to node `to` by MIGTOYOU; false if not allowed now.
    pub fn migrate(&mut self, i: usize, to: u16) -> bool {
        let end = &self.ends[i];
        let Some(s) = end.sock.as_ref() else {
            return false;
        };
        if s.blocks_migration() || end.node == to {
            return false;
        }
        let from = end.node;
        let mut buf = vec![0u8; metasock::HDR_LEN + metasock::PROC_LEN + metasock::record_len(s)];
        let p = ProcHdr {
            hnode: s.conn.local_hnode,
            prev_node: from,
            new_node: to,
            pid: s.pid,
        };
        let mut w = MigToYouWriter::new(&mut buf, &p).unwrap();
        if let Err(e) = w.push_sock(s) {
            let (v, ua, us) = s.save();
            panic!(
                "push_sock {e:?}: {v:?} unacked {ua} unsent {us} readable {}",
                s.readable()
            );
        }
        let n = w.finish().unwrap();
        assert_eq!(n, buf.len());
        let Ok(Msg::MigToYou(m)) = metasock::decode(&buf) else {
            panic!("MIGTOYOU decode")
        };
        assert_eq!(m.count(), 1);
        let rec = m.records().next().unwrap();
        let mut ns = self.new_sock();
        let ev = rec.restore(&mut ns, self.now, to).unwrap();
        assert_eq!(ns.state(), s.state());
        assert_eq!(ns.readable(), s.readable());
        assert_eq!(ns.send_queued(), s.send_queued());
        let key = SockKey::of_conn(&ns.conn);
        let epoch = ns.mig_epoch();
        let acked_needed = ns.newly_migrated();
        self.stubs.insert((from, key), Moved { node: to, epoch });
        let end = &mut self.ends[i];
        end.sock = Some(ns);
        end.node = to;
        end.prev_node = acked_needed.then_some(from);
        end.migrations += 1;
        if !acked_needed {
            self.stubs.remove(&(from, key));
        }
        let _ = ev;
        self.note(format!(
            "{} migrated {from} -> {to} (epoch {epoch})",
            ["A", "B"][i]
        ));
        true
    }

    fn app(&mut self, i: usize, chunk: usize) {
        let end = &mut self.ends[i];
        let Some(s) = end.sock.as_mut() else { return };
        if matches!(s.state(), State::SynSent | State::SynReceived) {
            // Data may be queued before the connection is up (thesis).
        }
        if end.sent < end.data.len() && s.iostate() & MTIO_WR != 0 {
            let hi = (end.sent + chunk).min(end.data.len());
            if let Ok(n) = s.send(&end.data[end.sent..hi]) {
                end.sent += n;
            }
        }
        if end.sent == end.data.len()
            && !end.shut
            && s.state() != State::SynSent
            && s.state() != State::SynReceived
        {
            s.shutdown(MTIO_WR);
            end.shut = true;
        }
        if self.now < end.read_from {
            return;
        }
        let mut buf = [0u8; 700];
        loop {
            match s.recv(&mut buf[..chunk.clamp(1, 700)], false) {
                Ok(0) => {
                    end.eof = true;
                    break;
                }
                Ok(n) => end.got.extend_from_slice(&buf[..n]),
                Err(_) => break,
            }
        }
    }

    /// One millisecond of simulated time.
    pub fn step(&mut self, chunk: usize) {
        self.step_inner(Some(chunk));
    }

    /// One millisecond of network and timers, with the applications idle.
    pub fn step_net(&mut self) {
        self.step_inner(None);
    }

    fn step_inner(&mut self, chunk: Option<usize>) {
        self.now += 1;
        let now = self.now;
        // Deliver what has arrived, in arrival order.
        let mut due: Vec<Packet> = Vec::new();
        let mut k = 0;
        while k < self.inflight.len() {
            if self.inflight[k].at <= now {
                due.push(self.inflight.swap_remove(k));
            } else {
                k += 1;
            }
        }
        due.sort_by_key(|p| (p.at, p.id));
        for p in due {
            self.deliver(p);
        }
        for i in 0..2 {
            let ev = match self.ends[i].sock.as_mut() {
                Some(s) if s.poll_at().is_some_and(|t| t <= now) => s.on_tick(now),
                _ => Events::NONE,
            };
            self.handle_events(i, ev);
            if let Some(chunk) = chunk {
                self.app(i, chunk);
            }
            self.flush(i);
        }
    }

    pub fn done(&self) -> bool {
        self.ends.iter().all(|e| {
            e.eof
                && e.shut
                && e.sock
                    .as_ref()
                    .is_some_and(|s| matches!(s.state(), State::Closed | State::TimeWait))
        })
    }

    pub fn error(&self) -> Option<String> {
        for (i, e) in self.ends.iter().enumerate() {
            if let Some(err) = e.sock.as_ref().and_then(|s| s.error()) {
                return Some(format!("{} got {err:?}", ["A", "B"][i]));
            }
        }
        None
    }

    pub fn dump(&self) -> String {
        let mut s = String::new();
        for (i, e) in self.ends.iter().enumerate() {
            if let Some(k) = e.sock.as_ref() {
                s += &format!(
                    "{}: node {} state {:?} una {} nxt {} rcv_nxt {} sent {}/{} got {} eof {} nm {} q {} \n",
                    ["A", "B"][i],
                    e.node,
                    k.state(),
                    k.snd_una(),
                    k.snd_nxt(),
                    k.rcv_nxt(),
                    e.sent,
                    e.data.len(),
                    e.got.len(),
                    e.eof,
                    k.newly_migrated(),
                    k.send_queued()
                );
            }
        }
        s += &self.log[self.log.len().saturating_sub(40)..].join("\n");
        s
    }
}
