// SPDX-License-Identifier: GPL-2.0

//! `IPPROTO_MTCP` descriptors: MTCP as an ordinary `AF_INET` stream socket
//! (`socket(AF_INET, SOCK_STREAM, IPPROTO_MTCP)`), which the thesis left
//! for later (chapter 6, "system call transparency").
//!
//! `hpc/migsock_sock.c` registers the protocol and forwards each
//! `proto_ops` call here.  The socket under a descriptor is the same
//! [`MsSock`] `sys_migsock()` uses, in the same tables, so both kinds talk
//! to each other; what this module adds is the BSD life cycle (`bind`,
//! then `listen` or `connect`), poll masks and the descriptor's own wake-ups
//! ([`MsSock::sk`]).  A descriptor belongs to no per-process table: its
//! socket lives as long as the file and is closed by its release.
//!
//! Not yet: carrying these descriptors when the process migrates (hpc
//! proxies them through the deputy like any socket, so the socket stays on
//! the node it was opened on), `SO_REUSEADDR` and a bound port reserved
//! before `listen`, MTCP-level options.

use kernel::{
    bindings,
    iov::{
        IovIterDest,
        IovIterSource, //
    },
    new_mutex,
    prelude::*,
    sync::{
        Arc,
        ArcBorrow,
        Mutex, //
    },
    types::ForeignOwnable,
};

use crate::ms_data::{
    self,
    this_node, //
};
use crate::ms_routing;
use crate::ms_sock::{
    MsSock,
    SkPtr,
    DEFAULT_OPTS, //
};
use crate::ms_systest::{
    self as sys,
    Sink,
    Src, //
};
use crate::mtcp::engine::{
    State,
    MTIO_RD,
    MTIO_WR, //
};

// Poll bits (uapi poll.h; `sock_poll()` hands them on as `__poll_t`).
use bindings::{
    POLLERR as EPOLLERR,
    POLLHUP as EPOLLHUP,
    POLLIN as EPOLLIN,
    POLLOUT as EPOLLOUT,
    POLLRDHUP as EPOLLRDHUP,
    POLLRDNORM as EPOLLRDNORM,
    POLLWRNORM as EPOLLWRNORM, //
};

/// What a descriptor has become so far.
struct FdState {
    /// The port `bind()` gave it (0: none).
    bound: u16,
    /// Its socket, once it listens or connects.
    ms: Option<Arc<MsSock>>,
    /// A failed connection's error went to `SO_ERROR` already.
    err_reported: bool,
}

/// The Rust side of one `IPPROTO_MTCP` `struct sock`.
#[pin_data]
pub(crate) struct FdSock {
    /// Held only for short steps, never across a wait: `poll()` takes it.
    #[pin]
    st: Mutex<FdState>,
}

impl FdSock {
    fn new(ms: Option<Arc<MsSock>>) -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                st <- new_mutex!(FdState {
                    bound: 0,
                    ms,
                    err_reported: false,
                }, "FdSock::st"),
            }),
            GFP_KERNEL_ACCOUNT,
        )
    }

    /// Its socket, for a call that needs one.
    fn sock(&self) -> Option<Arc<MsSock>> {
        self.st.lock().ms.clone()
    }
}

/// The process a descriptor's socket is named after: its home node and pid.
fn owner() -> Result<ms_data::TaskKey> {
    let key = ms_data::current_key();
    if this_node() == 0 || key.0 == 0 {
        return Err(ENODEV);
    }
    Ok(key)
}

/// The `FdSock` of `sk`.
///
/// # Safety
///
/// `sk` is an `IPPROTO_MTCP` sock between `rust_mtcp_init()` (or its
/// accept) and `rust_mtcp_release()`.
unsafe fn fd_of<'a>(sk: *mut bindings::sock) -> Result<ArcBorrow<'a, FdSock>> {
    // SAFETY: `sk` is an MTCP sock (caller).
    let p = unsafe { bindings::mtcp_sk_ms(sk) };
    if p.is_null() {
        return Err(EBADF);
    }
    // SAFETY: `p` came from `Arc::into_foreign` and is only taken back by
    // the release, which no other call of this socket overlaps.
    Ok(unsafe { <Arc<FdSock> as ForeignOwnable>::borrow(p) })
}

/// Runs `op` on the `FdSock` a call found ([`fd_of`]) and returns its
/// result as C wants it (a negative errno on failure).
fn on_fd<T: From<i16>>(
    f: Result<ArcBorrow<'_, FdSock>>,
    op: impl FnOnce(ArcBorrow<'_, FdSock>) -> Result<T>,
) -> T {
    kernel::error::from_result(|| op(f?))
}

/// Lets the pollers of `sk` wake with `ms`'s waiters.
fn attach(ms: &MsSock, sk: *mut bindings::sock) {
    *ms.sk.lock() = Some(SkPtr(sk));
}

/// Creates the Rust side of a new socket.
///
/// # Safety
///
/// `sk` is a new `IPPROTO_MTCP` sock (its `proto.init`).
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_mtcp_init(sk: *mut bindings::sock) -> c_int {
    match FdSock::new(None) {
        Ok(f) => {
            // SAFETY: `sk` is an MTCP sock (caller).
            unsafe { bindings::mtcp_sk_set_ms(sk, f.into_foreign()) };
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// The descriptor's last reference went (close, exit): the socket closes
/// as `close(2)` closes a TCP socket, lingering for `linger_s` seconds if
/// `SO_LINGER` is set (0: reset).
///
/// # Safety
///
/// `sk` is an MTCP sock; no other call of it runs or follows.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_mtcp_release(sk: *mut bindings::sock, linger_s: c_int) {
    // SAFETY: `sk` is an MTCP sock (caller).
    let p = unsafe { bindings::mtcp_sk_ms(sk) };
    if p.is_null() {
        return;
    }
    // SAFETY: as above; cleared before anything can see it again.
    unsafe { bindings::mtcp_sk_set_ms(sk, core::ptr::null_mut()) };
    // SAFETY: `p` came from `into_foreign`; this is its only release.
    let f = unsafe { <Arc<FdSock> as ForeignOwnable>::from_foreign(p) };
    let ms = f.st.lock().ms.take();
    let Some(ms) = ms else {
        return;
    };
    // From here on nothing wakes the sock, which goes after we return.
    *ms.sk.lock() = None;
    let _own = ms.reclock.lock();
    if linger_s >= 0 {
        ms.inner.lock().eng.opts.linger_s = linger_s;
    }
    sys::release(&ms, true);
}

/// `bind()`: `addr` (network order) is INADDR_ANY, loopback or this node's
/// address; port 0 picks a free one; ports below 1024 need `may_bind_low`
/// (`CAP_NET_BIND_SERVICE`).
///
/// # Safety
///
/// `sk` is a live MTCP sock.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_mtcp_bind(
    sk: *mut bindings::sock,
    addr: u32,
    port: u16,
    may_bind_low: bool,
) -> c_int {
    // SAFETY: `sk` is live (caller).
    let f = unsafe { fd_of(sk) };
    on_fd(f, |f| {
        let key = owner()?;
        let here = ms_routing::node_addr(this_node());
        if addr != 0 && addr & 0xff != 127 && addr != here {
            return Err(EADDRNOTAVAIL);
        }
        if port != 0 && port < 1024 && !may_bind_low {
            return Err(EACCES);
        }
        let mut st = f.st.lock();
        if st.bound != 0 || st.ms.is_some() {
            return Err(EINVAL);
        }
        st.bound = ms_data::with_tables(|t| {
            if port == 0 {
                return sys::ephemeral_port(t, key.0, 0, 0);
            }
            if sys::port_taken(t, (port, key.0)) {
                return Err(EADDRINUSE);
            }
            Ok(port)
        })?;
        Ok(0)
    })
}

/// `listen()`: the bound port (or a free one) takes connections.
///
/// # Safety
///
/// `sk` is a live MTCP sock.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_mtcp_listen(
    sk: *mut bindings::sock,
    _backlog: c_int,
) -> c_int {
    // SAFETY: `sk` is live (caller).
    let f = unsafe { fd_of(sk) };
    on_fd(f, |f| {
        let key = owner()?;
        let mut st = f.st.lock();
        if let Some(ms) = st.ms.as_ref() {
            // Listening already: a new backlog changes nothing (it is
            // fixed); connected: not allowed.
            return if ms.inner.lock().listening {
                Ok(0)
            } else {
                Err(EINVAL)
            };
        }
        let port = match st.bound {
            0 => ms_data::with_tables(|t| sys::ephemeral_port(t, key.0, 0, 0))?,
            p => p,
        };
        let ms = sys::open_listener(key, None, port, DEFAULT_OPTS)?;
        attach(&ms, sk);
        st.bound = port;
        st.ms = Some(ms);
        Ok(0)
    })
}

/// Waits for the connection of `ms` to be made; on failure forgets it
/// (a new `connect()` may try again).
fn connect_wait(f: &FdSock, ms: &Arc<MsSock>) -> Result<c_int> {
    let _own = ms.reclock.lock();
    let mut g = ms.inner.lock();
    loop {
        match g.connect_outcome() {
            None => {}
            Some(Ok(())) => return Ok(0),
            Some(Err(e)) => {
                drop(g);
                forget(f, ms);
                return Err(e);
            }
        }
        let (woke, g2) = sys::wait(ms, g, 0);
        g = g2;
        if woke == sys::Woke::Signal {
            // The connection goes on; the restarted call waits on.
            return Err(ERESTARTSYS);
        }
    }
}

/// Drops `ms`, a connection that failed, from `f` if it is still its
/// socket, and from the tables.
fn forget(f: &FdSock, ms: &Arc<MsSock>) {
    ms_data::unhash(ms);
    let mut st = f.st.lock();
    if st.ms.as_ref().is_some_and(|x| Arc::ptr_eq(x, ms)) {
        st.ms = None;
        st.err_reported = false;
        *ms.sk.lock() = None;
    }
}

/// `connect()` to port `port` of the node at `addr` (network order): the
/// server's home node, as in the thesis.  As TCP: `EALREADY` while a
/// non-blocking connect goes on, `EISCONN` once made (even after the
/// stream ended); a connect that failed reports its error once (unless
/// poll() gave it to `SO_ERROR` already), then the socket may connect
/// again.
///
/// # Safety
///
/// `sk` is a live MTCP sock.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_mtcp_connect(
    sk: *mut bindings::sock,
    addr: u32,
    port: u16,
    nonblock: bool,
) -> c_int {
    // SAFETY: `sk` is live (caller).
    let f = unsafe { fd_of(sk) };
    on_fd(f, |f| {
        let key = owner()?;
        let mut st = f.st.lock();
        if let Some(ms) = st.ms.clone() {
            let mut g = ms.inner.lock();
            if g.listening || g.eng.syn_acked() {
                return Err(if g.listening { EINVAL } else { EISCONN });
            }
            match g.connect_outcome() {
                None => {
                    drop(g);
                    drop(st);
                    if nonblock {
                        return Err(EALREADY);
                    }
                    return connect_wait(&f, &ms);
                }
                // Made since the last look: as TCP, EISCONN.
                Some(Ok(())) => return Err(EISCONN),
                Some(Err(e)) => {
                    let reported = st.err_reported;
                    drop(g);
                    drop(st);
                    forget(&f, &ms);
                    if !reported {
                        return Err(e);
                    }
                    st = f.st.lock();
                }
            }
        }
        if port == 0 {
            return Err(ECONNREFUSED);
        }
        let peer = sys::peer_node(addr)?;
        let ms = sys::open_connection(key, None, peer, st.bound, port, DEFAULT_OPTS)?;
        attach(&ms, sk);
        st.ms = Some(ms.clone());
        st.err_reported = false;
        drop(st);
        if nonblock {
            return Err(EINPROGRESS);
        }
        connect_wait(&f, &ms)
    })
}

/// `accept()`: the next connection of a listener, on the new sock `newsk`.
///
/// # Safety
///
/// `sk` is a live MTCP sock; `newsk` a new one (not yet initialised here).
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_mtcp_accept(
    sk: *mut bindings::sock,
    newsk: *mut bindings::sock,
    nonblock: bool,
    timeo_ms: c_uint,
) -> c_int {
    // SAFETY: `sk` is live (caller).
    let f = unsafe { fd_of(sk) };
    on_fd(f, |f| {
        let key = owner()?;
        let l = f.sock().ok_or(EINVAL)?;
        let _own = l.reclock.lock();
        let g = l.inner.lock();
        let (child, g) = sys::take_child(&l, g, nonblock, timeo_ms)?;
        drop(g);
        let nf = FdSock::new(Some(child.clone())).inspect_err(|_| {
            // Not lost silently: the peer hears a reset.
            ms_routing::reset_unaccepted(&child);
        })?;
        {
            let mut c = child.inner.lock();
            c.parent = None;
            c.eng.fd = -1;
            c.eng.pid = key.1;
        }
        attach(&child, newsk);
        // SAFETY: `newsk` is an MTCP sock (caller).
        unsafe { bindings::mtcp_sk_set_ms(newsk, nf.into_foreign()) };
        Ok(0)
    })
}

/// The bytes of a send, from the call's iterator.
struct IterSrc<'a, 'b>(&'a mut IovIterSource<'b>);

impl Src for IterSrc<'_, '_> {
    fn fill(&mut self, dst: &mut [u8]) -> Result {
        if self.0.copy_from_iter(dst) == dst.len() {
            Ok(())
        } else {
            Err(EFAULT)
        }
    }
}

/// Where the bytes of a receive go.
struct IterSink<'a, 'b>(&'a mut IovIterDest<'b>);

impl Sink for IterSink<'_, '_> {
    fn put(&mut self, src: &[u8]) -> Result {
        if self.0.copy_to_iter(src) == src.len() {
            Ok(())
        } else {
            Err(EFAULT)
        }
    }
}

/// `sendmsg()`/`write()`: `MSG_DONTWAIT`, `MSG_NOSIGNAL` (else `SIGPIPE`
/// with `EPIPE`), `MSG_MORE` and `MSG_EOR` are understood, `MSG_OOB` is
/// `EOPNOTSUPP`; `SO_SNDTIMEO` as `timeo_ms` (0: none).
///
/// # Safety
///
/// `sk` is a live MTCP sock; `from` the call's source iterator.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_mtcp_sendmsg(
    sk: *mut bindings::sock,
    from: *mut bindings::iov_iter,
    flags: c_int,
    timeo_ms: c_uint,
) -> c_long {
    let flags = flags as u32;
    // SAFETY: `sk` is live (caller).
    let f = unsafe { fd_of(sk) };
    on_fd(f, |f| {
        if flags & bindings::MSG_OOB != 0 {
            return Err(EOPNOTSUPP);
        }
        let Some(ms) = f.sock() else {
            // As TCP: a stream never connected is a broken pipe.
            return Err(sys::epipe(flags));
        };
        // SAFETY: `from` is the call's `ITER_SOURCE` iterator, used only
        // for this call.
        let it = unsafe { IovIterSource::from_raw(from) };
        let len = it.len();
        if len == 0 {
            return Ok(0);
        }
        let _own = ms.reclock.lock();
        let known = bindings::MSG_DONTWAIT | bindings::MSG_NOSIGNAL;
        let n = sys::send_buf(&ms, &mut IterSrc(it), len, flags & known, timeo_ms)?;
        Ok(n as c_long)
    })
}

/// `recvmsg()`/`read()`: `MSG_PEEK`, `MSG_WAITALL`, `MSG_DONTWAIT`;
/// `SO_RCVTIMEO` as `timeo_ms` (0: none); `MSG_OOB` is `EINVAL` (no urgent
/// data, as TCP without any).
///
/// # Safety
///
/// `sk` is a live MTCP sock; `to` the call's destination iterator.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_mtcp_recvmsg(
    sk: *mut bindings::sock,
    to: *mut bindings::iov_iter,
    flags: c_int,
    timeo_ms: c_uint,
) -> c_long {
    let flags = flags as u32;
    // SAFETY: `sk` is live (caller).
    let f = unsafe { fd_of(sk) };
    on_fd(f, |f| {
        if flags & bindings::MSG_OOB != 0 {
            return Err(EINVAL);
        }
        let ms = f.sock().ok_or(ENOTCONN)?;
        // SAFETY: `to` is the call's `ITER_DEST` iterator, used only for
        // this call.
        let it = unsafe { IovIterDest::from_raw(to) };
        let len = it.len().min(i32::MAX as usize);
        if len == 0 {
            return Ok(0);
        }
        let _own = ms.reclock.lock();
        ms.inner.lock().eng.opts.rcvtimeo_ms = timeo_ms;
        let mut bounce = sys::bounce_for(len)?;
        let known = bindings::MSG_PEEK | bindings::MSG_DONTWAIT | bindings::MSG_WAITALL;
        let n = sys::recv_buf(
            &ms,
            &mut IterSink(it),
            len,
            flags & known,
            true,
            &mut bounce,
        )?;
        Ok(n as c_long)
    })
}

/// The poll mask of `sk`, computed as TCP's `tcp_poll()` would for the
/// same state.
///
/// # Safety
///
/// `sk` is a live MTCP sock.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_mtcp_poll(sk: *mut bindings::sock) -> c_uint {
    // SAFETY: `sk` is live (caller).
    let Ok(f) = (unsafe { fd_of(sk) }) else {
        return EPOLLERR;
    };
    let mut st = f.st.lock();
    let Some(ms) = st.ms.clone() else {
        // Never connected: writable and hung up, as TCP in CLOSE.
        return EPOLLOUT | EPOLLWRNORM | EPOLLHUP;
    };
    let g = ms.inner.lock();
    if g.listening {
        let ready = g
            .backlog
            .iter()
            .any(|c| c.inner.lock().eng.state().synchronized());
        return if ready { EPOLLIN | EPOLLRDNORM } else { 0 };
    }
    let e = &g.eng;
    let state = e.state();
    let mut mask = 0;
    if matches!(state, State::SynSent | State::SynReceived) {
        return 0;
    }
    if let Some(err) = e.error() {
        mask |= EPOLLERR;
        if !st.err_reported {
            st.err_reported = true;
            // SAFETY: `sk` is live (caller).
            unsafe { bindings::mtcp_sk_set_err(sk, -sys::errno(err).to_errno()) };
        }
    }
    if state == State::Closed || (e.iostate() & MTIO_RD == 0 && e.iostate() & MTIO_WR == 0) {
        mask |= EPOLLHUP;
    }
    if e.poll_readable() {
        mask |= EPOLLIN | EPOLLRDNORM;
    }
    if state.peer_fin() || e.iostate() & MTIO_RD == 0 {
        mask |= EPOLLIN | EPOLLRDNORM | EPOLLRDHUP;
    }
    // Writing would fail at once (EPIPE) or there is room.
    if e.iostate() & MTIO_WR == 0 || state == State::Closed || e.writable() > 0 {
        mask |= EPOLLOUT | EPOLLWRNORM;
    }
    mask
}

/// `shutdown()`: `how` is `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`.
///
/// # Safety
///
/// `sk` is a live MTCP sock.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_mtcp_shutdown(sk: *mut bindings::sock, how: c_int) -> c_int {
    // SAFETY: `sk` is live (caller).
    let f = unsafe { fd_of(sk) };
    on_fd(f, |f| {
        let ms = f.sock().ok_or(ENOTCONN)?;
        let _own = ms.reclock.lock();
        sys::shutdown(&ms, i64::from(how)).map(|_| 0)
    })
}

/// `getsockname()`/`getpeername()`: the cluster-wide names, home-node
/// address and port, which stay the same wherever the process runs.
///
/// # Safety
///
/// `sk` is a live MTCP sock; `addr` and `port` are writable.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_mtcp_getname(
    sk: *mut bindings::sock,
    peer: bool,
    addr: *mut u32,
    port: *mut u16,
) -> c_int {
    // SAFETY: `sk` is live (caller).
    let f = unsafe { fd_of(sk) };
    on_fd(f, |f| {
        let st = f.st.lock();
        let name = match (st.ms.as_ref(), peer) {
            (None, true) => return Err(ENOTCONN),
            (None, false) => (0, st.bound),
            (Some(ms), _) => {
                let g = ms.inner.lock();
                let c = g.eng.conn;
                if !peer {
                    (ms_routing::node_addr(c.local_hnode), c.local_port)
                } else if !g.listening && g.eng.state().synchronized() {
                    (ms_routing::node_addr(c.rem_hnode), c.rem_port)
                } else {
                    return Err(ENOTCONN);
                }
            }
        };
        // SAFETY: the outputs are writable (caller).
        unsafe {
            *addr = name.0;
            *port = name.1;
        }
        Ok(0)
    })
}

/// `SIOCINQ` (bytes to read) or `SIOCOUTQ` (bytes not yet acknowledged).
///
/// # Safety
///
/// `sk` is a live MTCP sock.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_mtcp_queued(sk: *mut bindings::sock, outq: bool) -> c_int {
    // SAFETY: `sk` is live (caller).
    let f = unsafe { fd_of(sk) };
    on_fd(f, |f| {
        let Some(ms) = f.sock() else {
            return Ok(0);
        };
        let g = ms.inner.lock();
        if g.listening {
            return Err(EINVAL);
        }
        let n = if outq {
            g.eng.send_queued()
        } else {
            g.eng.readable()
        };
        Ok(c_int::try_from(n).unwrap_or(c_int::MAX))
    })
}
