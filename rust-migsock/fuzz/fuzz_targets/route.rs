// SPDX-License-Identifier: GPL-2.0

//! Fuzz routing: arbitrary bytes routed to sockets in whatever state a
//! sequence of fuzzer-chosen operations (segments, timer ticks, user calls,
//! migrations, honest exchanges between sockets) has put them in.

#![no_main]

use libfuzzer_sys::fuzz_target;
use migsock_host::mtcp::engine::{Config, Conn, Sock, Source};
use migsock_host::mtcp::metasock::{self, Msg, MigToYouWriter, ProcHdr};
use migsock_host::mtcp::route::{self, ListenerView, Moved, Route, Target};
use migsock_host::mtcp::wire;

type S = Sock<Vec<u8>>;

const CFG: Config = Config {
    mss: 200,
    rto_ms: 50,
    rto_max_ms: 400,
    max_retries: 4,
    time_wait_ms: 100,
};

fn sock() -> S {
    Sock::new(CFG, vec![0u8; 1024], vec![0u8; 512])
}

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.0.len());
        let (a, rest) = self.0.split_at(n);
        self.0 = rest;
        a
    }
}

/// Checks every segment a socket emits and returns them.
fn outputs(s: &mut S, now: u64) -> Vec<(u16, Vec<u8>)> {
    let mut v = Vec::new();
    let mut out = [0u8; 512];
    for _ in 0..64 {
        let Some(t) = s.poll_transmit(now, &mut out) else { break };
        let verify = t.node != s.conn.local_cnode;
        let seg = wire::parse_checked(&out[..t.len], verify).expect("own segment does not parse");
        assert!(seg.payload.len() <= usize::from(CFG.mss));
        v.push((t.node, out[..t.len].to_vec()));
    }
    assert!(s.readable() <= 512 && s.send_queued() <= 1024);
    v
}

fn deliver(now: u64, bytes: &[u8], from: u16, to: &mut S) {
    let here = to.conn.local_cnode;
    let _ = route::route_bytes(now, bytes, false, Source { node: from, addr: 0 }, here, |_| Target::Sock(to));
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input(data);
    let mut now = 0u64;
    // Two connected sockets and one connecting.
    let mut a = sock();
    let ca = Conn {
        local_port: 1001,
        rem_port: 1000,
        local_hnode: 1,
        local_cnode: 1,
        rem_hnode: 2,
        rem_cnode: 2,
        rem_cip: 2,
    };
    a.connect(ca, 0xffff_fff0).unwrap();
    let mut out = [0u8; 512];
    let t = a.poll_transmit(0, &mut out).unwrap();
    let syn = wire::parse(&out[..t.len]).unwrap();
    let mut b = sock();
    let cb = Conn {
        local_port: 1000,
        local_hnode: 2,
        local_cnode: 2,
        ..Conn::default()
    };
    b.open_passive(cb, &syn, Source { node: 1, addr: 1 }, 7).unwrap();
    for (_, p) in outputs(&mut b, 0) {
        deliver(0, &p, 2, &mut a);
    }
    for (_, p) in outputs(&mut a, 0) {
        deliver(0, &p, 1, &mut b);
    }
    let mut c = sock();
    c.connect(Conn { local_port: 5, ..ca }, 1).unwrap();
    let mut socks = vec![a, b, c];

    while let Some(op) = inp.byte() {
        let k = usize::from(inp.byte().unwrap_or(0)) % socks.len();
        match op % 8 {
            0 => {
                let len = usize::from(inp.byte().unwrap_or(0)) * 2;
                let from = u16::from(inp.byte().unwrap_or(0) % 4);
                let bytes = inp.bytes(len);
                let src = Source { node: from, addr: 0 };
                let here = socks[k].conn.local_cnode;
                let sel = op / 8 % 4;
                let r = route::route_bytes(now, bytes, false, src, here, |_| match sel {
                    0 => Target::Sock(&mut socks[k]),
                    1 => Target::Listener(ListenerView {
                        cnode: from,
                        epoch: 1,
                        backlog_full: false,
                    }),
                    2 => Target::Moved(Moved { node: 3, epoch: 2 }),
                    _ => Target::None,
                });
                match r {
                    Ok(Route::ConnRequest) if socks.len() < 6 => {
                        let seg = wire::parse(bytes).unwrap();
                        let mut n = sock();
                        n.open_passive(cb, &seg, src, 99).unwrap();
                        socks.push(n);
                    }
                    Ok(Route::Reply(h)) => {
                        let mut o = [0u8; 64];
                        let n = wire::encode(&h, &[], &mut o, true).unwrap();
                        wire::parse_checked(&o[..n], true).unwrap();
                    }
                    _ => {}
                }
            }
            1 => {
                now += u64::from(inp.byte().unwrap_or(0)) * 5;
                for s in socks.iter_mut() {
                    s.on_tick(now);
                }
            }
            2 => {
                let len = usize::from(inp.byte().unwrap_or(0)) * 4;
                let _ = socks[k].send(&vec![0x5a; len]);
            }
            3 => {
                let mut buf = vec![0u8; usize::from(inp.byte().unwrap_or(0)) * 4];
                let _ = socks[k].recv(&mut buf, op & 0x80 != 0);
            }
            4 => {
                let how = inp.byte().unwrap_or(0) & 3;
                socks[k].shutdown(how);
            }
            5 => {
                if op & 0x40 != 0 {
                    socks[k].abort();
                } else {
                    socks[k].close();
                }
            }
            6 => {
                // Migrate through MIGTOYOU if the state allows it.
                let s = &socks[k];
                let mut buf = vec![0u8; 64 + metasock::record_len(s)];
                let Ok(mut w) = MigToYouWriter::new(&mut buf, &ProcHdr::default()) else { continue };
                if w.push_sock(s).is_ok() {
                    let n = w.finish().unwrap();
                    let Ok(Msg::MigToYou(m)) = metasock::decode(&buf[..n]) else {
                        panic!("MIGTOYOU of a live socket does not decode");
                    };
                    let mut ns = sock();
                    let to = u16::from(inp.byte().unwrap_or(0) % 4);
                    m.records().next().unwrap().restore(&mut ns, now, to).unwrap();
                    socks[k] = ns;
                }
            }
            _ => {
                // Honest exchange from socket k to socket j.
                let j = usize::from(inp.byte().unwrap_or(0)) % socks.len();
                let from = socks[k].conn.local_cnode;
                let segs = outputs(&mut socks[k], now);
                if j != k {
                    for (_, p) in segs {
                        deliver(now, &p, from, &mut socks[j]);
                    }
                }
            }
        }
        for s in socks.iter_mut() {
            let _ = outputs(s, now);
        }
    }
});
