// SPDX-License-Identifier: GPL-2.0

//! `sys_migsock(call, args)`: the multiplexed system call of thesis
//! appendix B, and the calls of appendix A behind it.
//!
//! `args` points to an array of `unsigned long`, one per parameter of the
//! function `call` names.  The checks come in a fixed order so user space
//! can rely on the errno: an unknown `call` is `EINVAL` whatever `args` is;
//! then the call's arguments are copied in, and a bad `args` pointer is
//! `EFAULT`; then the socket named by the first argument is looked up
//! (`EBADF`), then the call runs.
//!
//! Descriptors are migsock's own numbers, chosen by the caller (the
//! thesis's "desired file descriptor"), per process.  `ms_send` and
//! `ms_recv` return the byte count, like `send(2)`/`recv(2)`;
//! `ms_getsockopt` returns the length of the value it wrote.

use kernel::{
    bindings,
    prelude::*,
    sync::{
        Arc,
        CondVarTimeoutResult,
        MutexGuard, //
    },
    task::Task,
    time::msecs_to_jiffies,
    uaccess::{
        UserPtr,
        UserSlice,
        UserSliceReader,
        UserSliceWriter, //
    },
};

use crate::ms_account::{
    self,
    UserCharge, //
};
use crate::ms_data::{
    self,
    this_node,
    MAX_FD, //
};
use crate::ms_migd;
use crate::ms_routing::{
    self,
    flush,
    Outbox, //
};
use crate::ms_sock::{
    MsSock,
    SockInner,
    DEFAULT_OPTS, //
};
use crate::mtcp::{
    engine::{
        Conn,
        Opts,
        State,
        MTIO_RD,
        MTIO_WR, //
    },
    metasock::MsgType,
    Errno,
};

/// Most arguments any call takes (`MSC_MAX_ARGS`).
const MAX_ARGS: usize = bindings::MSC_MAX_ARGS as usize;

// Option names the bindings do not carry (uapi socket.h, in.h, tcp.h).
const SO_ERROR: i64 = 4;
const SO_LINGER: i64 = 13;
const SO_RCVLOWAT: i64 = 18;
const SO_RCVTIMEO: i64 = 20;
const IP_TTL: i64 = 2;
const IP_MTU_DISCOVER: i64 = 10;
const IP_RECVERR: i64 = 11;
const IP_MTU: i64 = 14;
const TCP_LINGER2: i64 = 8;
const SOL_SOCKET: i64 = 1;
const SOL_IP: i64 = 0;
const SOL_TCP: i64 = 6;

const MSG_PEEK: u32 = bindings::MSG_PEEK;
const MSG_DONTWAIT: u32 = bindings::MSG_DONTWAIT;
const MSG_WAITALL: u32 = bindings::MSG_WAITALL;
const MSG_NOSIGNAL: u32 = bindings::MSG_NOSIGNAL;
const O_NONBLOCK: u32 = bindings::O_NONBLOCK;

/// Bounce buffer for user data, per call.
const CHUNK: usize = 16 * 1024;
/// Largest iovec array `ms_sendmsg`/`ms_recvmsg` take (`UIO_MAXIOV`).
const MAX_IOV: usize = 1024;
/// Ephemeral ports for `ms_connect` with local port 0.
const EPHEMERAL: core::ops::RangeInclusive<u16> = 32768..=60999;

/// A `sys_migsock()` call (`MSC_*` in `include/uapi/linux/migsock.h`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Call {
    Init,
    Listen,
    Accept,
    Connect,
    SendMsg,
    Send,
    RecvMsg,
    Recv,
    Shutdown,
    Close,
    SetSockOpt,
    GetSockOpt,
}

impl Call {
    /// Decodes `call`; `EINVAL` for a number no call has.
    fn from_raw(call: c_int) -> Result<Self> {
        let Ok(call) = u32::try_from(call) else {
            return Err(EINVAL);
        };
        Ok(match call {
            bindings::MSC_INIT => Self::Init,
            bindings::MSC_LISTEN => Self::Listen,
            bindings::MSC_ACCEPT => Self::Accept,
            bindings::MSC_CONNECT => Self::Connect,
            bindings::MSC_SENDMSG => Self::SendMsg,
            bindings::MSC_SEND => Self::Send,
            bindings::MSC_RECVMSG => Self::RecvMsg,
            bindings::MSC_RECV => Self::Recv,
            bindings::MSC_SHUTDOWN => Self::Shutdown,
            bindings::MSC_CLOSE => Self::Close,
            bindings::MSC_SETSOCKOPT => Self::SetSockOpt,
            bindings::MSC_GETSOCKOPT => Self::GetSockOpt,
            _ => return Err(EINVAL),
        })
    }

    /// How many `unsigned long`s the call reads from `args`.
    fn nr_args(self) -> usize {
        match self {
            Self::Init => 0,
            Self::Close => 1,
            Self::Shutdown => 2,
            Self::Listen | Self::Accept | Self::SendMsg | Self::RecvMsg => 3,
            Self::Send | Self::Recv => 4,
            Self::Connect | Self::SetSockOpt | Self::GetSockOpt => 5,
        }
    }
}

/// Copies the call's arguments in from user space.
fn read_args(call: Call, args: UserPtr) -> Result<[c_ulong; MAX_ARGS]> {
    let mut out = [0; MAX_ARGS];
    let n = call.nr_args();
    if n == 0 {
        return Ok(out);
    }
    let mut reader = UserSlice::new(args, n * size_of::<c_ulong>()).reader();
    for slot in out.iter_mut().take(n) {
        *slot = reader.read::<c_ulong>()?;
    }
    Ok(out)
}

/// An argument as the C `long`/`int` the caller passed.
fn sarg(v: c_ulong) -> i64 {
    v as i64
}

fn uptr(v: c_ulong) -> UserPtr {
    UserPtr::from_addr(v)
}

/// Runs one `sys_migsock()` call.
pub(crate) fn dispatch(call: c_int, args: UserPtr) -> Result<c_long> {
    let call = Call::from_raw(call)?;
    let a = read_args(call, args)?;
    match call {
        Call::Init => ms_data::register_current().map(|_| 0),
        Call::Listen => listen(sarg(a[0]), a[1], a[2]),
        Call::Connect => connect(sarg(a[0]), a[1], a[2], a[3], a[4]),
        _ => {
            let s = ms_data::find_sock(sarg(a[0]))?;
            let _own = s.reclock.lock();
            match call {
                Call::Accept => accept(&s, sarg(a[1]), a[2]),
                Call::Send => send_user(&s, a[1], a[2], a[3]),
                Call::SendMsg => msg_call(&s, a[1], a[2], true),
                Call::Recv => recv_user(&s, a[1], sarg(a[2]), a[3]),
                Call::RecvMsg => msg_call(&s, a[1], a[2], false),
                Call::Shutdown => shutdown(&s, sarg(a[1])),
                Call::Close => close(sarg(a[0])),
                Call::SetSockOpt => setsockopt(&s, sarg(a[1]), sarg(a[2]), a[3], sarg(a[4])),
                Call::GetSockOpt => getsockopt(&s, sarg(a[1]), sarg(a[2]), a[3], sarg(a[4])),
                Call::Init | Call::Listen | Call::Connect => Err(EINVAL),
            }
        }
    }
}

/// The kernel error for an engine errno.
pub(crate) fn errno(e: Errno) -> Error {
    Error::from_errno(-e.to_errno())
}

/// C structs copied in from user space whole.
///
/// # Safety
///
/// Every bit pattern must be a valid value of the type (integers and raw
/// pointers only).
unsafe trait Pod: Default {}

// SAFETY: integers only.
unsafe impl Pod for bindings::ms_opts {}
// SAFETY: integers and raw pointers only.
unsafe impl Pod for bindings::user_msghdr {}
// SAFETY: an integer and a raw pointer.
unsafe impl Pod for bindings::iovec {}

/// Copies a `T` in from `ptr`.
fn read_pod<T: Pod>(ptr: UserPtr) -> Result<T> {
    let mut v = T::default();
    // SAFETY: `v` is a local of `size_of::<T>()` bytes, and `T: Pod` makes
    // whatever bytes the copy writes a valid `T`.
    let bytes =
        unsafe { core::slice::from_raw_parts_mut((&raw mut v).cast::<u8>(), size_of::<T>()) };
    UserSlice::new(ptr, size_of::<T>())
        .reader()
        .read_slice(bytes)?;
    Ok(v)
}

/// `struct ms_opts` from user space, or the defaults for NULL.
fn read_opts(p: c_ulong) -> Result<Opts> {
    if p == 0 {
        return Ok(DEFAULT_OPTS);
    }
    let o = read_pod::<bindings::ms_opts>(uptr(p))?;
    if o.linger_len < 0 || o.rcvlowat > i32::MAX as u32 {
        return Err(EINVAL);
    }
    Ok(Opts {
        file_flags: o.fd_flags as u32,
        rcvlowat: o.rcvlowat.max(1),
        rcvtimeo_ms: u32::try_from(o.rcvtimeo).unwrap_or(u32::MAX),
        linger_s: if o.linger != 0 { o.linger_len } else { -1 },
        linger2_s: o.linger2,
    })
}

/// Checks a descriptor number a caller asks for: below the process's
/// `RLIMIT_NOFILE`, as `dup2()` wants, which bounds its sockets too.
fn new_fd(fd: i64) -> Result<i32> {
    if !(0..=MAX_FD).contains(&fd) || fd as usize >= ms_account::nofile_limit() {
        return Err(EBADF);
    }
    Ok(fd as i32)
}

/// `ms_listen(fd, lport, opts)`: socket + bind + listen in one.
fn listen(fd: i64, lport: c_ulong, opts: c_ulong) -> Result<c_long> {
    let fd = new_fd(fd)?;
    let lport = u16::try_from(lport).map_err(|_| EINVAL)?;
    if lport == 0 {
        return Err(EINVAL);
    }
    let opts = read_opts(opts)?;
    let key = ms_data::register_current()?;
    // The thesis's ms_listen() says EINVAL for a port in use.
    open_listener(key, Some(fd), lport, opts)
        .map_err(|e| if e == EADDRINUSE { EINVAL } else { e })?;
    Ok(0)
}

/// A listener of process `key` on `lport` (its home node's port), entered
/// in the listener table and, with `fd`, in the process's descriptors.
/// `EADDRINUSE` if the port has a listener of that home node already.
pub(crate) fn open_listener(
    key: ms_data::TaskKey,
    fd: Option<i32>,
    lport: u16,
    opts: Opts,
) -> Result<Arc<MsSock>> {
    let here = this_node();
    let s = MsSock::new(true, UserCharge::current()?)?;
    {
        let mut g = s.inner.lock();
        g.eng.opts = opts;
        g.eng.fd = fd.unwrap_or(-1);
        g.eng.pid = key.1;
        g.eng.conn = Conn {
            local_port: lport,
            local_hnode: key.0,
            local_cnode: here,
            ..Conn::default()
        };
    }
    ms_data::with_tables(|t| {
        if let Some(fd) = fd {
            let task = t.tasks.get(&key).ok_or(EBADF)?;
            if task.fds.get(&fd).is_some() {
                return Err(EBADF);
            }
        }
        // A listener of this home node, here or (redirect) elsewhere; a
        // listener that only passed through here gives way.
        let lk = (lport, key.0);
        if port_taken(t, lk) {
            return Err(EADDRINUSE);
        }
        t.redirects.remove(&lk);
        t.listeners
            .try_create_and_insert(lk, s.clone(), GFP_KERNEL)?;
        if let Some(fd) = fd {
            let task = t.tasks.get_mut(&key).ok_or(EBADF)?;
            if let Err(e) = task.fds.try_create_and_insert(fd, s.clone(), GFP_KERNEL) {
                t.listeners.remove(&lk);
                return Err(e);
            }
        }
        Ok(())
    })?;
    if key.0 != here {
        // Away from home: the home node redirects connections here.
        let m = ms_migd::listen_msg(&s.inner.lock(), here);
        ms_migd::queue_listen(MsgType::OpenListen, key.0, &m);
    }
    Ok(s)
}

/// Has listener name `lk` a listener here, or a redirect of its home node?
pub(crate) fn port_taken(t: &ms_data::Tables, lk: (u16, u16)) -> bool {
    t.listeners.get(&lk).is_some() || t.redirects.get(&lk).is_some_and(|r| r.until.is_none())
}

/// The error of a wait a signal broke: with no timeout the call restarts
/// by itself unless a handler says otherwise (as `sock_intr_errno()`), so
/// a process migrated from outside while it blocks goes on waiting on its
/// new node.
pub(crate) fn interrupted(timeo_ms: u32) -> Error {
    if timeo_ms == 0 {
        ERESTARTSYS
    } else {
        EINTR
    }
}

/// How a wait on a socket ended.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Woke {
    Event,
    Timeout,
    Signal,
}

/// Sleeps on `s` until something happens to it, up to `ms` milliseconds (0:
/// no limit), giving up the socket lock meanwhile (thesis: the owner sleeps
/// on the socket's wait queue, not on its lock).  Returns the socket's
/// fields locked again.
pub(crate) fn wait<'a>(
    s: &'a MsSock,
    mut g: MutexGuard<'a, SockInner>,
    ms: u32,
) -> (Woke, MutexGuard<'a, SockInner>) {
    let j = if ms == 0 {
        c_ulong::MAX
    } else {
        msecs_to_jiffies(ms)
    };
    let held = s.reclock.suspend();
    let woke = match s.wait.wait_interruptible_timeout(&mut g, j) {
        CondVarTimeoutResult::Signal { .. } => Woke::Signal,
        CondVarTimeoutResult::Timeout => Woke::Timeout,
        CondVarTimeoutResult::Woken { .. } => Woke::Event,
    };
    // The socket lock comes before the fields' mutex.
    drop(g);
    s.reclock.resume(held);
    (woke, s.inner.lock())
}

fn nonblocking(g: &SockInner, flags: u32) -> bool {
    flags & MSG_DONTWAIT != 0 || g.eng.opts.file_flags & O_NONBLOCK != 0
}

/// Waits (unless `nonblock`, up to `timeo` ms, 0: no limit) for an
/// established connection on listener `l` and takes it off the backlog.
pub(crate) fn take_child<'a>(
    l: &'a MsSock,
    mut g: MutexGuard<'a, SockInner>,
    nonblock: bool,
    timeo: u32,
) -> Result<(Arc<MsSock>, MutexGuard<'a, SockInner>)> {
    loop {
        if !g.listening {
            return Err(EINVAL);
        }
        // Connections reset before being accepted are dropped here.
        if let Some(c) = g.take_ready() {
            return Ok((c, g));
        }
        if nonblock {
            return Err(EAGAIN);
        }
        let (woke, g2) = wait(l, g, timeo);
        g = g2;
        match woke {
            Woke::Event => {}
            Woke::Timeout => return Err(EAGAIN),
            Woke::Signal => return Err(interrupted(timeo)),
        }
    }
}

/// `ms_accept(fd, fd_new, addr)`.
fn accept(l: &Arc<MsSock>, fd_new: i64, addr: c_ulong) -> Result<c_long> {
    let fd_new = new_fd(fd_new)?;
    let key = ms_data::current_key();
    let in_use = |fd| {
        ms_data::with_tables(|t| {
            Ok(t.tasks
                .get(&key)
                .is_some_and(|task| task.fds.get(&fd).is_some()))
        })
    };
    if in_use(fd_new)? {
        return Err(EBADF);
    }
    let g = l.inner.lock();
    let nonblock = nonblocking(&g, 0);
    let timeo = g.eng.opts.rcvtimeo_ms;
    let (child, g2) = take_child(l, g, nonblock, timeo)?;
    drop(g2);
    let (rport, rnode) = {
        let c = child.inner.lock();
        (c.eng.conn.rem_port, c.eng.conn.rem_cnode)
    };
    if addr != 0 {
        // struct sockaddr_in: family, port and address in network order;
        // copied out with no lock held (the receive thread takes the
        // listener's for every SYN).
        let mut sin = [0u8; 16];
        sin[..2].copy_from_slice(&(bindings::AF_INET as u16).to_ne_bytes());
        sin[2..4].copy_from_slice(&rport.to_be_bytes());
        sin[4..8].copy_from_slice(&ms_routing::node_addr(rnode).to_ne_bytes());
        let mut w = UserSlice::new(uptr(addr), sin.len()).writer();
        if let Err(e) = w.write_slice(&sin) {
            // Not lost: the next accept takes it, unless the backlog
            // filled meanwhile; then its peer hears a reset.
            let mut g = l.inner.lock();
            if let Err(
                kernel::alloc::kvec::InsertError::OutOfCapacity(child)
                | kernel::alloc::kvec::InsertError::IndexOutOfBounds(child),
            ) = g.backlog.insert_within_capacity(0, child)
            {
                drop(g);
                ms_routing::reset_unaccepted(&child);
            }
            return Err(e);
        }
    }
    let added = ms_data::with_tables(|t| {
        let task = t.tasks.get_mut(&key).ok_or(EBADF)?;
        if task.fds.get(&fd_new).is_some() {
            return Err(EBADF);
        }
        task.fds
            .try_create_and_insert(fd_new, child.clone(), GFP_KERNEL)?;
        Ok(())
    });
    if let Err(e) = added {
        ms_routing::reset_unaccepted(&child);
        return Err(e);
    }
    let mut c = child.inner.lock();
    c.parent = None;
    c.eng.fd = fd_new;
    c.eng.pid = key.1;
    Ok(0)
}

/// `ms_connect(fd, ip, lport, rport, opts)`: `ip` (network order) names a
/// node: its home node is taken to be the server's.
fn connect(fd: i64, ip: c_ulong, lport: c_ulong, rport: c_ulong, opts: c_ulong) -> Result<c_long> {
    let fd = new_fd(fd)?;
    let ip = u32::try_from(ip).map_err(|_| EINVAL)?;
    let lport = u16::try_from(lport).map_err(|_| EINVAL)?;
    let rport = u16::try_from(rport).map_err(|_| EINVAL)?;
    if rport == 0 {
        return Err(EINVAL);
    }
    let peer = peer_node(ip)?;
    let opts = read_opts(opts)?;
    let key = ms_data::register_current()?;
    if let Ok(s) = ms_data::find_sock(i64::from(fd)) {
        // The same call again, restarted after a signal (or a migration)
        // broke its wait: wait on, as the first call would have.
        let mut g = s.inner.lock();
        let c = g.eng.conn;
        if !g.eng.connect_pending || c.rem_port != rport || c.rem_hnode != peer {
            return Err(EBADF);
        }
        g.eng.connect_pending = false;
        drop(g);
        let _own = s.reclock.lock();
        return connect_wait(&s, key, fd);
    }
    // The thesis's ms_connect() says EINVAL for a name in use.
    let s = open_connection(key, Some(fd), peer, lport, rport, opts).map_err(|e| {
        if e == EADDRINUSE {
            EINVAL
        } else {
            e
        }
    })?;
    let _own = s.reclock.lock();
    if nonblocking(&s.inner.lock(), 0) {
        return Err(EINPROGRESS);
    }
    connect_wait(&s, key, fd)
}

/// The node an address names: 127/8 (first byte in network order) and 0
/// mean this one.  `EINVAL` for an address outside the node map, `ENOKEY`
/// for another node while this one has no cluster key (no datagram would
/// leave).
pub(crate) fn peer_node(ip: u32) -> Result<u16> {
    let here = this_node();
    let peer = if ip == 0 || ip & 0xff == 127 {
        here
    } else {
        // SAFETY: `hpc_addr_to_node` only reads the node map.
        unsafe { bindings::hpc_addr_to_node(ip) }
    };
    if peer == 0 {
        return Err(EINVAL);
    }
    if peer != here && !crate::ms_input::have_key() {
        return Err(ENOKEY);
    }
    Ok(peer)
}

/// A free ephemeral port of home node `hnode` towards (`rport`, `peer`)
/// (`rport` 0: for a listener).
pub(crate) fn ephemeral_port(
    t: &ms_data::Tables,
    hnode: u16,
    rport: u16,
    peer: u16,
) -> Result<u16> {
    let base = (ms_routing::new_iss() % 28232) as u16;
    EPHEMERAL
        .map(|p| 32768 + (p - 32768 + base) % 28232)
        .find(|p| {
            let conn_free = rport == 0 || t.socks.get(&(*p, rport, hnode, peer)).is_none();
            conn_free && !port_taken(t, (*p, hnode))
        })
        .ok_or(EADDRNOTAVAIL)
}

/// Opens a connection of process `key` to port `rport` of node `peer`
/// (from `lport`, 0: an ephemeral one): hashed, entered with `fd` in the
/// process's descriptors, and the SYN sent.
pub(crate) fn open_connection(
    key: ms_data::TaskKey,
    fd: Option<i32>,
    peer: u16,
    lport: u16,
    rport: u16,
    opts: Opts,
) -> Result<Arc<MsSock>> {
    let here = this_node();
    let s = MsSock::new(false, UserCharge::current()?)?;
    let mut conn = Conn {
        local_port: lport,
        rem_port: rport,
        local_hnode: key.0,
        local_cnode: here,
        rem_hnode: peer,
        rem_cnode: peer,
        rem_cip: ms_routing::node_addr(peer),
    };
    let sk = ms_data::with_tables(|t| {
        if let Some(fd) = fd {
            let task = t.tasks.get(&key).ok_or(EBADF)?;
            if task.fds.get(&fd).is_some() {
                return Err(EBADF);
            }
        }
        if conn.local_port == 0 {
            conn.local_port = ephemeral_port(t, key.0, rport, peer)?;
        }
        let sk = (conn.local_port, rport, key.0, peer);
        if t.socks.get(&sk).is_some() {
            return Err(EADDRINUSE);
        }
        t.socks.try_create_and_insert(sk, s.clone(), GFP_KERNEL)?;
        if let Some(fd) = fd {
            let task = t.tasks.get_mut(&key).ok_or(EBADF)?;
            if let Err(e) = task.fds.try_create_and_insert(fd, s.clone(), GFP_KERNEL) {
                t.socks.remove(&sk);
                return Err(e);
            }
        }
        Ok(sk)
    })?;
    let own = s.reclock.lock();
    let mut out = Outbox::new();
    let mut g = s.inner.lock();
    g.hashed = Some(sk);
    g.eng.opts = opts;
    g.eng.fd = fd.unwrap_or(-1);
    g.eng.pid = key.1;
    if let Err(e) = g.eng.connect(conn, ms_routing::new_iss()) {
        drop(g);
        drop(own);
        if let Some(fd) = fd {
            forget_fd(key, fd);
        }
        ms_data::unhash(&s);
        return Err(errno(e));
    }
    flush(&mut g, &mut out);
    drop(g);
    drop(own);
    out.run();
    Ok(s)
}

/// Waits until the connection of `s` (descriptor `fd` of `key`) is made
/// or has failed.
fn connect_wait(s: &Arc<MsSock>, key: ms_data::TaskKey, fd: i32) -> Result<c_long> {
    let mut g = s.inner.lock();
    loop {
        match g.connect_outcome() {
            None => {}
            Some(Ok(())) => return Ok(0),
            Some(Err(e)) => {
                drop(g);
                forget_fd(key, fd);
                ms_data::unhash(s);
                return Err(e);
            }
        }
        let (woke, g2) = wait(s, g, 0);
        g = g2;
        if woke == Woke::Signal {
            // The connection goes on being made; the restarted call
            // (or the next one on this descriptor) waits for it.
            g.eng.connect_pending = true;
            return Err(ERESTARTSYS);
        }
    }
}

/// Drops descriptor `fd` of process `key`.
fn forget_fd(key: ms_data::TaskKey, fd: i32) -> Option<Arc<MsSock>> {
    ms_data::with_tables(|t| Ok(t.tasks.get_mut(&key).and_then(|task| task.fds.remove(&fd))))
        .ok()
        .flatten()
}

/// Checks `flags` against those a call understands.
fn check_flags(flags: c_ulong, known: u32) -> Result<u32> {
    let f = u32::try_from(flags).map_err(|_| EINVAL)?;
    if f & !known != 0 {
        return Err(EOPNOTSUPP);
    }
    Ok(f)
}

/// Raises SIGPIPE unless `MSG_NOSIGNAL`, and returns `EPIPE`.
pub(crate) fn epipe(flags: u32) -> Error {
    if flags & MSG_NOSIGNAL == 0 {
        // SAFETY: the current task is valid; `send_sig` takes its own
        // references.
        unsafe { bindings::send_sig(bindings::SIGPIPE as c_int, Task::current_raw(), 0) };
    }
    EPIPE
}

/// A call that moved `done` bytes before failing with `e` reports the
/// bytes (as `send(2)`/`recv(2)` do), so none go unaccounted.
fn partial(done: usize, e: Error) -> Result<usize> {
    if done > 0 {
        Ok(done)
    } else {
        Err(e)
    }
}

/// Where the bytes a send queues come from: user memory, or the iterator
/// of a socket call.
pub(crate) trait Src {
    /// Fills all of `dst`, or fails (`EFAULT`).
    fn fill(&mut self, dst: &mut [u8]) -> Result;
}

/// Where the bytes a receive takes go.
pub(crate) trait Sink {
    /// Takes all of `src`, or fails (`EFAULT`).
    fn put(&mut self, src: &[u8]) -> Result;
}

impl Src for UserSliceReader {
    fn fill(&mut self, dst: &mut [u8]) -> Result {
        self.read_slice(dst)
    }
}

impl Sink for UserSliceWriter {
    fn put(&mut self, src: &[u8]) -> Result {
        self.write_slice(src)
    }
}

/// Sends `len` bytes from `src`; returns the count taken.  Each piece is
/// read from the caller into a bounce buffer with no lock held (the
/// receive and timer threads take the socket's for every segment, and a
/// slow user page must stall only this call), then queued under it.
/// Waits for room up to `timeo` ms (0: no limit), then fails with `EAGAIN`
/// (`SO_SNDTIMEO`).  The caller holds the socket's `reclock`.
pub(crate) fn send_buf(
    s: &MsSock,
    src: &mut impl Src,
    len: usize,
    flags: u32,
    timeo: u32,
) -> Result<usize> {
    let mut bounce = bounce_for(len)?;
    let mut sent = 0usize;
    // bounce[off..have]: read from the caller, not yet queued.
    let (mut off, mut have) = (0usize, 0usize);
    let mut g = s.inner.lock();
    while sent < len {
        if g.listening {
            return Err(ENOTCONN);
        }
        if off == have {
            let want = (len - sent).min(bounce.len());
            drop(g);
            let r = src.fill(&mut bounce[..want]);
            g = s.inner.lock();
            // A bad buffer: nothing of this piece is queued.
            if let Err(e) = r {
                return partial(sent, e);
            }
            (off, have) = (0, want);
        }
        let mut pos = off;
        let r = g.eng.send_with(have - off, |dst| {
            dst.copy_from_slice(&bounce[pos..pos + dst.len()]);
            pos += dst.len();
            Ok::<(), core::convert::Infallible>(())
        });
        match r {
            Ok(Ok(k)) => {
                off += k;
                sent += k;
                let mut out = Outbox::new();
                flush(&mut g, &mut out);
                drop(g);
                out.run();
                g = s.inner.lock();
            }
            Ok(Err(never)) => match never {},
            Err(Errno::Again) => {
                if nonblocking(&g, flags) {
                    return partial(sent, EAGAIN);
                }
                let (woke, g2) = wait(s, g, timeo);
                g = g2;
                match woke {
                    Woke::Event => {}
                    Woke::Timeout => return partial(sent, EAGAIN),
                    Woke::Signal => return partial(sent, interrupted(timeo)),
                }
            }
            Err(Errno::Pipe) => {
                if sent > 0 {
                    return Ok(sent);
                }
                return Err(epipe(flags));
            }
            Err(e) => return partial(sent, errno(e)),
        }
    }
    Ok(sent)
}

pub(crate) fn bounce_for(len: usize) -> Result<KVec<u8>> {
    Ok(KVec::zeroed(len.clamp(1, CHUNK), GFP_KERNEL)?)
}

/// `ms_send(fd, buf, len, flags)`.
fn send_user(s: &MsSock, buf: c_ulong, len: c_ulong, flags: c_ulong) -> Result<c_long> {
    let flags = check_flags(
        flags,
        MSG_DONTWAIT | MSG_NOSIGNAL | bindings::MSG_MORE | bindings::MSG_EOR,
    )?;
    if len > isize::MAX as usize {
        return Err(EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    Ok(send_buf(
        s,
        &mut UserSlice::new(uptr(buf), len).reader(),
        len,
        flags,
        0,
    )? as c_long)
}

/// Receives into `len` bytes at `buf`.  `min` bytes are waited for (the
/// low-water mark, or everything with `MSG_WAITALL`).
pub(crate) fn recv_buf(
    s: &MsSock,
    dst: &mut impl Sink,
    len: usize,
    flags: u32,
    first: bool,
    bounce: &mut KVec<u8>,
) -> Result<usize> {
    let mut got = 0usize;
    let peek = flags & MSG_PEEK != 0;
    let mut out = Outbox::new();
    let mut g = s.inner.lock();
    if g.listening {
        return Err(ENOTCONN);
    }
    let waitall = flags & MSG_WAITALL != 0 && !peek;
    let min = if waitall {
        len
    } else {
        // A mark beyond half the queue could never be reached.
        (g.eng.opts.rcvlowat.max(1) as usize)
            .min(len)
            .min(crate::ms_sock::RCVBUF / 2)
    };
    // Only the first buffer of a call waits (unless MSG_WAITALL).
    let may_wait = (first || waitall)
        && (flags & MSG_DONTWAIT == 0)
        && (waitall || g.eng.opts.file_flags & O_NONBLOCK == 0);
    loop {
        let avail = g.eng.readable();
        // MSG_WAITALL takes what is there (freeing window) and waits on.
        if avail > 0 && (waitall || avail >= min - got || g.eng.state().peer_fin()) {
            let n = avail.min(len - got).min(bounce.len());
            let k = match g.eng.recv(&mut bounce[..n], true) {
                Ok(k) => k,
                Err(e) => return partial(got, errno(e)),
            };
            // Copied out before it is taken off the queue (a bad buffer
            // loses nothing), with no lock held (see `send_buf`).  Only
            // the holder of `reclock`, this caller, takes from the queue:
            // the bytes are still its head afterwards.
            drop(g);
            let put = dst.put(&bounce[..k]);
            g = s.inner.lock();
            if let Err(e) = put {
                drop(g);
                out.run();
                return partial(got, e);
            }
            if !peek {
                let _ = g.eng.recv(&mut bounce[..k], false);
                // A held-back ACK waits for the process's reply data.
                if !g.ack_deferred {
                    flush(&mut g, &mut out);
                }
            }
            got += k;
            if peek || got >= min || got == len {
                break;
            }
            continue;
        }
        if avail == 0 {
            match g.eng.recv(&mut [], false) {
                Ok(_) => break, // end of stream
                Err(Errno::Again) => {}
                Err(e) => {
                    drop(g);
                    out.run();
                    return partial(got, errno(e));
                }
            }
        }
        if !may_wait {
            drop(g);
            out.run();
            return partial(got, EAGAIN);
        }
        if out.has_local() {
            // A window update for a peer on this node must go before we
            // sleep: that peer may be what we wait for.
            drop(g);
            out.run();
            g = s.inner.lock();
            continue;
        }
        let timeo = g.eng.opts.rcvtimeo_ms;
        let (woke, g2) = wait(s, g, timeo);
        g = g2;
        match woke {
            Woke::Event => {}
            Woke::Timeout => {
                drop(g);
                out.run();
                return partial(got, EAGAIN);
            }
            Woke::Signal => {
                drop(g);
                out.run();
                return partial(got, interrupted(timeo));
            }
        }
    }
    drop(g);
    out.run();
    Ok(got)
}

/// `ms_recv(fd, buf, buflen, flags)`.
fn recv_user(s: &MsSock, buf: c_ulong, len: i64, flags: c_ulong) -> Result<c_long> {
    let flags = check_flags(flags, MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL)?;
    let len = usize::try_from(i32::try_from(len).map_err(|_| EINVAL)?).map_err(|_| EINVAL)?;
    if len == 0 {
        return Ok(0);
    }
    let mut bounce = bounce_for(len)?;
    let mut w = UserSlice::new(uptr(buf), len).writer();
    Ok(recv_buf(s, &mut w, len, flags, true, &mut bounce)? as c_long)
}

/// `ms_sendmsg` / `ms_recvmsg`: the buffers of a `struct msghdr` in turn.
fn msg_call(s: &MsSock, msg: c_ulong, flags: c_ulong, sending: bool) -> Result<c_long> {
    let flags = if sending {
        check_flags(
            flags,
            MSG_DONTWAIT | MSG_NOSIGNAL | bindings::MSG_MORE | bindings::MSG_EOR,
        )?
    } else {
        check_flags(flags, MSG_PEEK | MSG_DONTWAIT | MSG_WAITALL)?
    };
    let m = read_pod::<bindings::user_msghdr>(uptr(msg))?;
    let n = m.msg_iovlen;
    if n > MAX_IOV {
        return Err(EMSGSIZE);
    }
    let iov_base = m.msg_iov as usize;
    if !sending {
        // msg_flags: nothing to report (no truncation, no control data).
        // Written before any data is taken, so a bad msghdr loses none.
        let off = core::mem::offset_of!(bindings::user_msghdr, msg_flags);
        let mut w = UserSlice::new(UserPtr::from_addr(msg + off), 4).writer();
        w.write(&0u32)?;
    }
    let mut total = 0usize;
    let mut bounce = if sending {
        KVec::new()
    } else {
        bounce_for(CHUNK)?
    };
    for i in 0..n {
        let at = iov_base
            .checked_add(i * size_of::<bindings::iovec>())
            .ok_or(EFAULT)?;
        let v = read_pod::<bindings::iovec>(UserPtr::from_addr(at))?;
        let len = v.iov_len;
        if len > isize::MAX as usize || total.checked_add(len).is_none() {
            return Err(EINVAL);
        }
        if len == 0 {
            continue;
        }
        let p = UserPtr::from_ptr(v.iov_base);
        let r = if sending {
            send_buf(s, &mut UserSlice::new(p, len).reader(), len, flags, 0)
        } else {
            let mut w = UserSlice::new(p, len).writer();
            recv_buf(s, &mut w, len, flags, i == 0 || total == 0, &mut bounce)
        };
        match r {
            Ok(k) => {
                total += k;
                if k < len {
                    break;
                }
            }
            Err(e) if total == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(total as c_long)
}

/// `ms_shutdown(fd, how)`.
pub(crate) fn shutdown(s: &MsSock, how: i64) -> Result<c_long> {
    let bits = match how {
        0 => MTIO_RD,
        1 => MTIO_WR,
        2 => MTIO_RD | MTIO_WR,
        _ => return Err(EINVAL),
    };
    let mut out = Outbox::new();
    let mut g = s.inner.lock();
    if g.listening || (g.eng.state() == State::Closed && g.eng.iostate() == 0) {
        return Err(ENOTCONN);
    }
    let ev = g.eng.shutdown(bits);
    flush(&mut g, &mut out);
    drop(g);
    if ev.0 != 0 {
        s.notify();
    }
    out.run();
    Ok(0)
}

/// Closes a socket no descriptor refers to any more (thesis `ms_close()`).
/// With `linger`, waits as `SO_LINGER` says.
pub(crate) fn release(s: &Arc<MsSock>, linger: bool) {
    let mut out = Outbox::new();
    let mut g = s.inner.lock();
    g.orphan = true;
    if g.listening {
        g.listening = false;
        let backlog = core::mem::take(&mut g.backlog);
        let (port, hnode) = (g.eng.conn.local_port, g.eng.conn.local_hnode);
        let here = this_node();
        if hnode != here && hnode != 0 {
            let m = ms_migd::listen_msg(&g, here);
            ms_migd::queue_listen(MsgType::CloseListen, hnode, &m);
        }
        drop(g);
        s.notify();
        let _ = ms_data::with_tables(|t| {
            if t.listeners
                .get(&(port, hnode))
                .is_some_and(|x| Arc::ptr_eq(x, s))
            {
                t.listeners.remove(&(port, hnode));
            }
            Ok(())
        });
        drop(out);
        for c in backlog.iter() {
            ms_routing::reset_unaccepted(c);
        }
        return;
    }
    let linger_s = g.eng.opts.linger_s;
    if linger_s == 0 {
        // SO_LINGER with a zero timeout: reset, drop queued data.
        g.eng.abort();
    } else {
        g.eng.close();
    }
    flush(&mut g, &mut out);
    let closed = g.eng.state() == State::Closed;
    drop(g);
    out.run();
    if closed {
        ms_data::unhash(s);
        return;
    }
    if linger && linger_s > 0 {
        let deadline = ms_routing::now_ms().saturating_add(linger_s as u64 * 1000);
        let mut g = s.inner.lock();
        loop {
            let st = g.eng.state();
            if matches!(st, State::Closed | State::TimeWait | State::FinWait2) {
                break;
            }
            let now = ms_routing::now_ms();
            if now >= deadline {
                break;
            }
            let left = u32::try_from(deadline - now).unwrap_or(u32::MAX);
            let (woke, g2) = wait(s, g, left);
            g = g2;
            if woke != Woke::Event {
                break;
            }
        }
    }
}

/// `ms_close(fd)`.
fn close(fd: i64) -> Result<c_long> {
    let fd = i32::try_from(fd).map_err(|_| EBADF)?;
    let gone = forget_fd(ms_data::current_key(), fd).ok_or(EBADF)?;
    release(&gone, true);
    Ok(0)
}

/// `ms_setsockopt(fd, level, optname, optval, optlen)` (table A.2).
fn setsockopt(s: &MsSock, level: i64, name: i64, optval: c_ulong, optlen: i64) -> Result<c_long> {
    if optlen < 0 {
        return Err(EINVAL);
    }
    let file = i64::from(bindings::SOL_FILE);
    let need: usize = match (level, name) {
        (SOL_SOCKET, SO_LINGER) => 8,
        (SOL_SOCKET, SO_RCVTIMEO) => 16,
        (SOL_SOCKET, SO_RCVLOWAT) | (SOL_TCP, TCP_LINGER2) => 4,
        (l, _) if l == file => 4,
        // Includes the read-only options of table A.2 (SO_ERROR, IP_*).
        _ => return Err(ENOPROTOOPT),
    };
    if optlen < need as i64 {
        return Err(EINVAL);
    }
    // Read before the socket's lock is taken: a slow user page stalls this
    // call, not the node's receive thread, which takes the lock too.
    let mut raw = [0u8; 16];
    UserSlice::new(uptr(optval), need)
        .reader()
        .read_slice(&mut raw[..need])?;
    let word = |i: usize| i32::from_ne_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
    let dword = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&raw[i..i + 8]);
        i64::from_ne_bytes(b)
    };
    let mut g = s.inner.lock();
    let o = &mut g.eng.opts;
    match (level, name) {
        (SOL_SOCKET, SO_LINGER) => {
            o.linger_s = if word(0) != 0 { word(4).max(0) } else { -1 };
        }
        (SOL_SOCKET, SO_RCVLOWAT) => {
            let v = word(0);
            if v < 0 {
                return Err(EINVAL);
            }
            o.rcvlowat = (v as u32).max(1);
        }
        (SOL_SOCKET, SO_RCVTIMEO) => {
            let (sec, usec) = (dword(0), dword(8));
            if !(0..1_000_000).contains(&usec) {
                return Err(EDOM);
            }
            let ms = if sec < 0 {
                0
            } else {
                sec.saturating_mul(1000).saturating_add((usec + 999) / 1000)
            };
            o.rcvtimeo_ms = u32::try_from(ms).unwrap_or(u32::MAX);
        }
        (SOL_TCP, TCP_LINGER2) => o.linger2_s = word(0).max(-1),
        _ => {
            // SOL_FILE.
            let v = word(0) as u32;
            match u32::try_from(name).map_err(|_| ENOPROTOOPT)? {
                bindings::FILE_FLAGS => o.file_flags = v,
                bindings::FILE_SET_FLAGS => o.file_flags |= v,
                bindings::FILE_CLEAR_FLAGS => o.file_flags &= !v,
                _ => return Err(ENOPROTOOPT),
            }
            // A waiter may have to notice O_NONBLOCK.
            drop(g);
            s.notify();
            return Ok(0);
        }
    }
    Ok(0)
}

/// `ms_getsockopt(fd, level, optname, optval, optlen)`: writes the value
/// (`optlen` must hold it) and returns its length.
fn getsockopt(s: &MsSock, level: i64, name: i64, optval: c_ulong, optlen: i64) -> Result<c_long> {
    if optlen < 0 {
        return Err(EINVAL);
    }
    let file = i64::from(bindings::SOL_FILE);
    let mut buf = [0u8; 16];
    let ip_opt = |node| crate::ms_input::udp_ipopt(name as c_int, node);
    if let (SOL_IP, IP_TTL | IP_RECVERR | IP_MTU_DISCOVER | IP_MTU) = (level, name) {
        let node = s.inner.lock().eng.conn.rem_cnode;
        buf[..4].copy_from_slice(&ip_opt(node)?.to_ne_bytes());
        return write_opt(optval, optlen, &buf[..4]);
    }
    let g = s.inner.lock();
    let len: usize = match (level, name) {
        (SOL_SOCKET, SO_ERROR) => {
            let e = g.eng.error().map_or(0, |e| e.to_errno());
            buf[..4].copy_from_slice(&e.to_ne_bytes());
            4
        }
        (SOL_SOCKET, SO_LINGER) => {
            let l = g.eng.opts.linger_s;
            let v: [i32; 2] = if l < 0 { [0, 0] } else { [1, l] };
            buf[..4].copy_from_slice(&v[0].to_ne_bytes());
            buf[4..8].copy_from_slice(&v[1].to_ne_bytes());
            8
        }
        (SOL_SOCKET, SO_RCVLOWAT) => {
            buf[..4].copy_from_slice(&(g.eng.opts.rcvlowat as i32).to_ne_bytes());
            4
        }
        (SOL_SOCKET, SO_RCVTIMEO) => {
            let ms = i64::from(g.eng.opts.rcvtimeo_ms);
            buf[..8].copy_from_slice(&(ms / 1000).to_ne_bytes());
            buf[8..16].copy_from_slice(&((ms % 1000) * 1000).to_ne_bytes());
            16
        }
        (SOL_TCP, TCP_LINGER2) => {
            buf[..4].copy_from_slice(&g.eng.opts.linger2_s.to_ne_bytes());
            4
        }
        (l, n) if l == file && n == i64::from(bindings::FILE_FLAGS) => {
            buf[..4].copy_from_slice(&g.eng.opts.file_flags.to_ne_bytes());
            4
        }
        _ => return Err(ENOPROTOOPT),
    };
    // Written with no lock held (see `setsockopt`).
    drop(g);
    let r = write_opt(optval, optlen, &buf[..len])?;
    if (level, name) == (SOL_SOCKET, SO_ERROR) {
        // Cleared only once the caller has it, and only if it is the same.
        let mut g = s.inner.lock();
        let e = g.eng.error().map_or(0, |e| e.to_errno());
        if e.to_ne_bytes() == buf[..4] {
            g.eng.take_error();
        }
    }
    Ok(r)
}

/// Copies an option value out; `optlen` must hold it.
fn write_opt(optval: c_ulong, optlen: i64, v: &[u8]) -> Result<c_long> {
    if (optlen as u64) < v.len() as u64 {
        return Err(EINVAL);
    }
    UserSlice::new(uptr(optval), v.len())
        .writer()
        .write_slice(v)?;
    Ok(v.len() as c_long)
}
