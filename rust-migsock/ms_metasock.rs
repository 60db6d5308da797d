// SPDX-License-Identifier: GPL-2.0

//! Metasockets (thesis `ms_metasock.c`): MTCP connections between the
//! nodes' migration daemons, with ports and home nodes 0, so they share the
//! engine, routing and retransmission of ordinary sockets.
//!
//! A connection carries one message (`mtcp::metasock`) and its answer, a
//! big-endian `i32` errno (0: done); then both ends close.  The migd listens
//! on port [`MIGD_PORT`]; a client's port is its node number times 256 plus
//! a sequence number, so the names of metasockets from different nodes
//! never collide in a table.  Every wait has a deadline: a dead or silent
//! peer costs a bounded time, never a hung migration.

use kernel::{
    bindings,
    prelude::*,
    sync::{
        atomic::{
            Atomic,
            Relaxed, //
        },
        Arc,
        CondVarTimeoutResult,
        MutexGuard, //
    },
    time::msecs_to_jiffies,
};

use crate::ms_account::UserCharge;
use crate::ms_data::{
    self,
    this_node, //
};
use crate::ms_routing::{
    self,
    flush,
    now_ms,
    Outbox, //
};
use crate::ms_sock::{
    MsSock,
    SockInner, //
};
use crate::ms_systest::errno;
use crate::mtcp::{
    engine::{
        Conn,
        State, //
    },
    metasock, Errno,
};

/// The migd's MTCP port (home node 0).
pub(crate) const MIGD_PORT: u16 = 1;

static NEXT_SEQ: Atomic<u32> = Atomic::new(0);

/// Sleeps on `s` for at most 100 ms, unless `deadline` (ms) has passed.
fn sleep_on<'a>(
    s: &'a MsSock,
    mut g: MutexGuard<'a, SockInner>,
    deadline: u64,
) -> Result<MutexGuard<'a, SockInner>> {
    let now = now_ms();
    if now >= deadline {
        return Err(ETIMEDOUT);
    }
    let left = u32::try_from((deadline - now).min(100)).unwrap_or(100);
    let r = s
        .wait
        .wait_interruptible_timeout(&mut g, msecs_to_jiffies(left));
    if matches!(r, CondVarTimeoutResult::Signal { .. }) {
        // The migrating process may have a signal pending: it cannot
        // sleep interruptibly, so it polls until the deadline.
        drop(g);
        // SAFETY: sleeping is allowed in process context.
        unsafe { bindings::msleep(5) };
        return Ok(s.inner.lock());
    }
    Ok(g)
}

/// Sends what the socket has to send and delivers same-node segments.
fn push<'a>(s: &'a MsSock, g: MutexGuard<'a, SockInner>) -> MutexGuard<'a, SockInner> {
    let mut g = g;
    let mut out = Outbox::new();
    flush(&mut g, &mut out);
    drop(g);
    out.run();
    s.inner.lock()
}

/// Opens a metasocket to `node`'s migd.
pub(crate) fn connect(node: u16, deadline: u64) -> Result<Arc<MsSock>> {
    let here = this_node();
    if node == 0 || here == 0 {
        return Err(EINVAL);
    }
    let s = MsSock::new(false, UserCharge::NONE)?;
    let key = ms_data::with_tables(|t| {
        for _ in 0..254 {
            let seq = NEXT_SEQ.fetch_add(1, Relaxed) % 254 + 2;
            let lport = ((here & 0xff) << 8) | seq as u16;
            let k = (lport, MIGD_PORT, 0, 0);
            if t.socks.get(&k).is_none() {
                t.socks.try_create_and_insert(k, s.clone(), GFP_KERNEL)?;
                return Ok(k);
            }
        }
        Err(EADDRNOTAVAIL)
    })?;
    let conn = Conn {
        local_port: key.0,
        rem_port: MIGD_PORT,
        local_hnode: 0,
        local_cnode: here,
        rem_hnode: 0,
        rem_cnode: node,
        rem_cip: ms_routing::node_addr(node),
    };
    let mut g = s.inner.lock();
    g.hashed = Some(key);
    g.orphan = true;
    if let Err(e) = g.eng.connect(conn, ms_routing::new_iss()) {
        drop(g);
        ms_data::unhash(&s);
        return Err(errno(e));
    }
    g = push(&s, g);
    loop {
        match g.connect_outcome() {
            None => {}
            Some(Ok(())) => break,
            Some(Err(e)) => {
                drop(g);
                ms_data::unhash(&s);
                return Err(e);
            }
        }
        g = match sleep_on(&s, g, deadline) {
            Ok(g) => g,
            Err(e) => {
                abort(&s);
                return Err(e);
            }
        };
    }
    drop(g);
    Ok(s)
}

/// Sends all of `data`.
pub(crate) fn send_all(s: &MsSock, data: &[u8], deadline: u64) -> Result {
    let mut off = 0usize;
    let mut g = s.inner.lock();
    while let Some(rest) = data.get(off..).filter(|r| !r.is_empty()) {
        match g.eng.send(rest) {
            Ok(k) => {
                off += k;
                g = push(s, g);
            }
            Err(Errno::Again) => g = sleep_on(s, g, deadline)?,
            Err(e) => return Err(errno(e)),
        }
    }
    Ok(())
}

/// Fills `buf` from the stream (`ECONNRESET` if it ends first).
pub(crate) fn recv_exact(s: &MsSock, buf: &mut [u8], deadline: u64) -> Result {
    let mut got = 0usize;
    let mut g = s.inner.lock();
    while let Some(rest) = buf.get_mut(got..).filter(|r| !r.is_empty()) {
        match g.eng.recv(rest, false) {
            Ok(0) => return Err(ECONNRESET),
            Ok(k) => {
                got += k;
                // Window updates go out as the queue drains.
                g = push(s, g);
            }
            Err(Errno::Again) => g = sleep_on(s, g, deadline)?,
            Err(e) => return Err(errno(e)),
        }
    }
    Ok(())
}

/// Reads one whole message (header, then the length it gives).
pub(crate) fn recv_msg(s: &MsSock, deadline: u64) -> Result<KVVec<u8>> {
    let mut hdr = [0u8; metasock::HDR_LEN];
    recv_exact(s, &mut hdr, deadline)?;
    let len = metasock::frame_len(&hdr).map_err(|_| EPROTO)?;
    let mut msg = KVVec::with_capacity(len, GFP_KERNEL)?;
    msg.extend_from_slice(&hdr, GFP_KERNEL)?;
    msg.resize(len, 0, GFP_KERNEL)?;
    if let Some(rest) = msg.get_mut(metasock::HDR_LEN..) {
        recv_exact(s, rest, deadline)?;
    }
    Ok(msg)
}

/// Closes our end; the timer finishes the closing handshake.
pub(crate) fn close(s: &Arc<MsSock>) {
    let mut g = s.inner.lock();
    g.orphan = true;
    g.eng.close();
    let g = push(s, g);
    let closed = g.eng.state() == State::Closed;
    drop(g);
    if closed {
        ms_data::unhash(s);
    }
}

/// Resets the connection and forgets it.
pub(crate) fn abort(s: &Arc<MsSock>) {
    let mut g = s.inner.lock();
    g.orphan = true;
    g.eng.abort();
    drop(push(s, g));
    ms_data::unhash(s);
}

/// Sends `msg` to `node`'s migd and returns once it has been handled
/// there: the outer error is the transport's, the inner one the answer.
pub(crate) fn exchange(node: u16, msg: &[u8], deadline: u64) -> Result<Result> {
    let s = connect(node, deadline)?;
    let mut status = [0u8; 4];
    let r = send_all(&s, msg, deadline).and_then(|()| recv_exact(&s, &mut status, deadline));
    if let Err(e) = r {
        abort(&s);
        return Err(e);
    }
    close(&s);
    Ok(match i32::from_be_bytes(status) {
        0 => Ok(()),
        e @ 1..=4095 => Err(Error::from_errno(-e)),
        _ => Err(EPROTO),
    })
}

/// The migd's answer to a message it handled.
pub(crate) fn answer(s: &Arc<MsSock>, r: Result, deadline: u64) {
    let code: i32 = match r {
        Ok(()) => 0,
        Err(e) => -e.to_errno(),
    };
    if send_all(s, &code.to_be_bytes(), deadline).is_ok() {
        close(s);
    } else {
        abort(s);
    }
}
