// SPDX-License-Identifier: GPL-2.0

//! Instantiates the MTCP core's entry points with concrete types, for
//! `tests/nopanic.rs`: compiled optimized, with overflow checks on and
//! `panic=abort`, the result must not reference any panic function. That
//! shows mechanically that no input can make the core panic (every index,
//! slice, copy and arithmetic overflow that could fail was proven away or
//! written not to fail).

#![no_std]
#![allow(missing_docs)]

#[path = "../../mtcp/mod.rs"]
pub mod mtcp;

use mtcp::engine::*;
use mtcp::metasock::*;
use mtcp::route::*;
use mtcp::table::*;

pub type S = Sock<&'static mut [u8]>;

#[no_mangle]
pub fn i_route(s: &mut S, now: u64, b: &[u8], l: ListenerView, m: Moved, k: u8) -> Option<Route> {
    route_bytes(now, b, true, Source::default(), 1, |_| match k {
        0 => Target::Sock(s),
        1 => Target::Listener(l),
        2 => Target::Moved(m),
        _ => Target::None,
    })
    .ok()
}

#[no_mangle]
pub fn i_tx(s: &mut S, now: u64, out: &mut [u8]) -> Option<Transmit> {
    s.on_tick(now);
    s.poll_transmit(now, out)
}

#[no_mangle]
pub fn i_user(s: &mut S, d: &[u8], o: &mut [u8], how: u8, c: Conn, iss: u32) -> usize {
    let _ = s.connect(c, iss);
    let _ = s.send(d);
    let _ = s.recv(o, how & 4 != 0);
    s.shutdown(how);
    s.close();
    s.abort();
    s.poll_at().map_or(0, |t| t as usize)
}

#[no_mangle]
pub fn i_passive(s: &mut S, b: &[u8], c: Conn) -> bool {
    match mtcp::wire::parse(b) {
        Ok(seg) => s.open_passive(c, &seg, Source::default(), 5).is_ok(),
        Err(_) => false,
    }
}

#[no_mangle]
pub fn i_decode(b: &[u8], s: &mut S) -> usize {
    match decode(b) {
        Ok(Msg::MigToYou(m)) => {
            for r in m.records() {
                let _ = r.restore(s, 0, 1);
            }
            1
        }
        Ok(_) => 2,
        Err(_) => 0,
    }
}

#[no_mangle]
pub fn i_encode(s: &S, out: &mut [u8], a: &MigAcked, l: &ListenMsg) -> usize {
    let _ = encode_migacked(a, out);
    let _ = encode_listen(MsgType::OpenListen, l, out);
    let Ok(mut w) = MigToYouWriter::new(out, &ProcHdr::default()) else {
        return 0;
    };
    let _ = w.push_sock(s);
    w.finish().unwrap_or(0)
}

#[no_mangle]
pub fn i_table(t: &mut Table<SockKey, u32, &'static mut [Slot<SockKey, u32>]>, k: SockKey) -> Option<u32> {
    let _ = t.insert(k, 1);
    let _ = t.get(&k);
    t.remove(&k)
}

#[no_mangle]
pub fn i_task(t: &mut MsTask<u32, 64>, fd: i32) -> Option<u32> {
    let _ = t.add_sock(fd, 3);
    let _ = t.free_fd();
    t.remove_sock(fd)
}

#[no_mangle]
pub fn i_backlog(b: &mut Backlog<u32, 16>, v: u32) -> Option<u32> {
    let _ = b.push(v);
    b.remove_if(|&x| x == 7);
    b.take_first(|&x| x == 1)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}

#[no_mangle]
pub fn i_auth(b: &[u8], w: &mut mtcp::auth::ReplayWindow, e: u64, c: u64) -> usize {
    let n = mtcp::auth::split(b).map_or(0, |p| p.segment.len());
    let _ = w.accept(e, c);
    n
}
