// SPDX-License-Identifier: GPL-2.0

//! `ms_input`: the node's MTCP receive daemon.
//!
//! One kernel UDP socket per node, on [`MS_UDP_PORT`], read by one kernel
//! thread.  A datagram is accepted only from an address in hpc's node map,
//! only if its trailer's tag proves the sender holds the cluster key
//! (`mtcp::auth`; checked before the segment is read), only once (the
//! sender's replay window), and only if it parses as an MTCP segment with
//! a valid checksum; every other datagram is dropped and counted.  Accepted
//! segments go to routing.  The same socket sends every node's outgoing
//! segments ([`send_to`]), each with its trailer.
//!
//! A fault knob (`/proc/hpc/migsock/fault`) drops, duplicates or reorders a
//! share of the accepted datagrams, for tests of the recovery paths.

use core::ffi::c_void;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::{
    bindings,
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
};

use crate::ms_data::this_node;
use crate::ms_routing::{self, Outbox};
use crate::mtcp::{
    auth::{self, ReplayWindow},
    engine::Source,
    wire::{self, WireError},
};

/// UDP port MTCP segments travel on, on every node.
pub(crate) const MS_UDP_PORT: u16 = 19791;

/// Largest datagram read; longer ones are truncated and dropped.
const MAX_DATAGRAM: usize = 2048;

/// Most senders whose replay windows the receive thread keeps; only nodes
/// with the key get one.
const MAX_WINDOWS: usize = 1024;

/// This boot's epoch (ns since 1970 at start) and the last counter sent.
static EPOCH: Atomic<u64> = Atomic::new(0);
static COUNTER: Atomic<u64> = Atomic::new(0);

/// What the receive path did with datagrams, for `/proc/hpc/migsock/stats`.
struct Counters {
    received: Atomic<u64>,
    not_a_node: Atomic<u64>,
    truncated: Atomic<u64>,
    bad_header: Atomic<u64>,
    bad_checksum: Atomic<u64>,
    no_key: Atomic<u64>,
    bad_tag: Atomic<u64>,
    replayed: Atomic<u64>,
    accepted: Atomic<u64>,
    fault_dropped: Atomic<u64>,
    fault_duplicated: Atomic<u64>,
    fault_reordered: Atomic<u64>,
}

/// The fault knob, in permille of accepted datagrams.
struct Faults {
    drop: Atomic<u32>,
    dup: Atomic<u32>,
    reorder: Atomic<u32>,
}

static FAULTS: Faults = Faults {
    drop: Atomic::new(0),
    dup: Atomic::new(0),
    reorder: Atomic::new(0),
};

/// The node's UDP socket, set once at start and never released.
static SOCK: AtomicPtr<bindings::socket> = AtomicPtr::new(ptr::null_mut());

static STATS: Counters = Counters {
    received: Atomic::new(0),
    not_a_node: Atomic::new(0),
    truncated: Atomic::new(0),
    bad_header: Atomic::new(0),
    bad_checksum: Atomic::new(0),
    no_key: Atomic::new(0),
    bad_tag: Atomic::new(0),
    replayed: Atomic::new(0),
    accepted: Atomic::new(0),
    fault_dropped: Atomic::new(0),
    fault_duplicated: Atomic::new(0),
    fault_reordered: Atomic::new(0),
};

/// Counts a segment routing found malformed.
pub(crate) fn count_bad() {
    STATS.bad_header.fetch_add(1, Relaxed);
}

/// Sets the fault knob (each value in permille, at most 1000).
pub(crate) fn set_faults(drop: u32, dup: u32, reorder: u32) -> Result {
    if drop > 1000 || dup > 1000 || reorder > 1000 {
        return Err(EINVAL);
    }
    FAULTS.drop.store(drop, Relaxed);
    FAULTS.dup.store(dup, Relaxed);
    FAULTS.reorder.store(reorder, Relaxed);
    Ok(())
}

/// True with probability `permille`/1000.
fn chance(permille: u32) -> bool {
    // SAFETY: `get_random_u32` has no preconditions.
    permille != 0 && unsafe { bindings::get_random_u32() } % 1000 < permille
}

/// Does this node hold the cluster key (without which it talks to no node)?
pub(crate) fn have_key() -> bool {
    // SAFETY: `hpc_key_present` only tests an RCU pointer.
    unsafe { bindings::hpc_key_present() }
}

/// The trailer for `seg` on its way from this node to `node`.
fn seal(node: u16, seg: &[u8]) -> Result<[u8; auth::TRAILER_LEN]> {
    let counter = COUNTER.fetch_add(1, Relaxed).wrapping_add(1);
    let nonce = auth::nonce(EPOCH.load(Relaxed), counter);
    let mut trailer = [0u8; auth::TRAILER_LEN];
    let (n, tag) = trailer.split_at_mut(auth::NONCE_LEN);
    n.copy_from_slice(&nonce);
    // SAFETY: the pointers are valid for the lengths given, and `tag` has
    // room for the `HPC_TAG_LEN` bytes written.
    kernel::error::to_result(unsafe {
        bindings::hpc_auth_tag(
            bindings::hpc_auth_domain_HPC_AUTH_MTCP as u8,
            this_node(),
            node,
            nonce.as_ptr().cast(),
            nonce.len(),
            seg.as_ptr().cast(),
            seg.len(),
            tag.as_mut_ptr(),
        )
    })?;
    Ok(trailer)
}

/// Sends one segment to `node`'s receive daemon.
pub(crate) fn send_to(node: u16, seg: &[u8]) -> Result {
    let sock = SOCK.load(Ordering::Acquire);
    if sock.is_null() {
        return Err(ENODEV);
    }
    let trailer = seal(node, seg)?;
    let mut ip: bindings::__be32 = 0;
    // SAFETY: `hpc_node_to_addr` reads the RCU-protected map into `ip`.
    kernel::error::to_result(unsafe { bindings::hpc_node_to_addr(node, &mut ip) })?;
    let mut to = bindings::sockaddr_in {
        sin_family: bindings::AF_INET as u16,
        sin_port: MS_UDP_PORT.to_be(),
        sin_addr: bindings::in_addr { s_addr: ip },
        ..Default::default()
    };
    let mut vec = [
        bindings::kvec {
            iov_base: seg.as_ptr().cast_mut().cast(),
            iov_len: seg.len(),
        },
        bindings::kvec {
            iov_base: trailer.as_ptr().cast_mut().cast(),
            iov_len: trailer.len(),
        },
    ];
    let mut msg = bindings::msghdr {
        msg_name: ptr::from_mut(&mut to).cast(),
        msg_namelen: size_of::<bindings::sockaddr_in>() as c_int,
        msg_flags: bindings::MSG_DONTWAIT as c_uint,
        ..Default::default()
    };
    let len = seg.len() + trailer.len();
    // SAFETY: `sock` is the daemon's socket, never released; `msg`, `to`
    // and `vec` are valid for the call, and the data is only read.
    let n = unsafe { bindings::kernel_sendmsg(sock, &mut msg, vec.as_mut_ptr(), 2, len) };
    if n < 0 {
        return Err(Error::from_errno(n));
    }
    Ok(())
}

/// A datagram held back by the reorder fault, delivered after the next.
struct Held {
    buf: KVec<u8>,
    src: Source,
}

/// The replay windows of the nodes heard from, owned by the receive thread.
type Windows = KVec<(u16, ReplayWindow)>;

/// Checks the trailer of a datagram from `node` and returns its segment:
/// the tag first (nothing else of the datagram is read before), then the
/// sender's replay window.  Counts what it refuses.
fn open<'a>(node: u16, data: &'a [u8], windows: &mut Windows) -> Option<&'a [u8]> {
    let Some(parts) = auth::split(data) else {
        STATS.bad_header.fetch_add(1, Relaxed);
        return None;
    };
    // SAFETY: the pointers are valid for the lengths given; the tag is
    // `HPC_TAG_LEN` bytes.
    let ret = unsafe {
        bindings::hpc_auth_check(
            bindings::hpc_auth_domain_HPC_AUTH_MTCP as u8,
            node,
            this_node(),
            parts.nonce.as_ptr().cast(),
            parts.nonce.len(),
            parts.segment.as_ptr().cast(),
            parts.segment.len(),
            parts.tag.as_ptr(),
        )
    };
    if ret != 0 {
        if ret == -(bindings::ENOKEY as c_int) {
            STATS.no_key.fetch_add(1, Relaxed);
        } else {
            STATS.bad_tag.fetch_add(1, Relaxed);
        }
        return None;
    }
    let (epoch, counter) = auth::read_nonce(&parts.nonce);
    let i = match windows.iter().position(|(n, _)| *n == node) {
        Some(i) => i,
        None => {
            // No window, no way to tell a replay: refused as one.
            if windows.len() >= MAX_WINDOWS
                || windows
                    .push((node, ReplayWindow::new()), GFP_KERNEL)
                    .is_err()
            {
                STATS.replayed.fetch_add(1, Relaxed);
                return None;
            }
            windows.len() - 1
        }
    };
    let w = &mut windows.get_mut(i)?.1;
    if w.accept(epoch, counter).is_err() {
        STATS.replayed.fetch_add(1, Relaxed);
        return None;
    }
    Some(parts.segment)
}

/// Looks at one datagram from `addr` (network order).
fn input(addr: u32, data: &[u8], truncated: bool, held: &mut Option<Held>, windows: &mut Windows) {
    STATS.received.fetch_add(1, Relaxed);
    // SAFETY: `hpc_addr_to_node` only reads the RCU-protected node map.
    let node = unsafe { bindings::hpc_addr_to_node(addr) };
    if node == 0 {
        STATS.not_a_node.fetch_add(1, Relaxed);
        return;
    }
    if truncated {
        STATS.truncated.fetch_add(1, Relaxed);
        return;
    }
    let Some(data) = open(node, data, windows) else {
        return;
    };
    // Segments between processes of one node never reach the network, so
    // every datagram carries a checksum to verify.
    match wire::parse_checked(data, true) {
        Ok(_) => {
            STATS.accepted.fetch_add(1, Relaxed);
            let src = Source { node, addr };
            if chance(FAULTS.drop.load(Relaxed)) {
                STATS.fault_dropped.fetch_add(1, Relaxed);
                return;
            }
            let mut out = Outbox::new();
            if held.is_none() && chance(FAULTS.reorder.load(Relaxed)) {
                let mut buf = KVec::new();
                if buf.extend_from_slice(data, GFP_KERNEL).is_ok() {
                    STATS.fault_reordered.fetch_add(1, Relaxed);
                    *held = Some(Held { buf, src });
                    return;
                }
            }
            ms_routing::deliver(src, data, true, &mut out);
            if chance(FAULTS.dup.load(Relaxed)) {
                STATS.fault_duplicated.fetch_add(1, Relaxed);
                ms_routing::deliver(src, data, true, &mut out);
            }
            if let Some(h) = held.take() {
                ms_routing::deliver(h.src, &h.buf, true, &mut out);
            }
            out.run();
        }
        Err(WireError::BadChecksum) => {
            STATS.bad_checksum.fetch_add(1, Relaxed);
        }
        Err(_) => {
            STATS.bad_header.fetch_add(1, Relaxed);
        }
    }
}

/// The receive thread: reads datagrams for as long as the kernel runs.
///
/// # Safety
///
/// `data` must be the daemon's bound UDP socket, never released.
unsafe extern "C" fn rx_thread(data: *mut c_void) -> c_int {
    let sock = data.cast::<bindings::socket>();
    let Ok(mut buf) = KVec::<u8>::zeroed(MAX_DATAGRAM, GFP_KERNEL) else {
        return -(bindings::ENOMEM as c_int);
    };
    let mut held = None;
    let mut windows = Windows::new();
    loop {
        let mut from = bindings::sockaddr_in::default();
        let mut vec = bindings::kvec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        let mut msg = bindings::msghdr {
            msg_name: ptr::from_mut(&mut from).cast(),
            msg_namelen: size_of::<bindings::sockaddr_in>() as c_int,
            ..Default::default()
        };
        // SAFETY: `sock` is the daemon's socket, alive for as long as the
        // kernel runs; `msg` and `vec` point to locals valid for the call.
        let n = unsafe { bindings::kernel_recvmsg(sock, &mut msg, &mut vec, 1, buf.len(), 0) };
        if n < 0 {
            // Interrupted or a transient error: keep serving.
            // SAFETY: sleeping in a kernel thread is allowed.
            unsafe { bindings::msleep(10) };
            continue;
        }
        let len = usize::try_from(n).unwrap_or(0).min(buf.len());
        let truncated = msg.msg_flags & bindings::MSG_TRUNC as c_uint != 0;
        input(
            from.sin_addr.s_addr,
            &buf[..len],
            truncated,
            &mut held,
            &mut windows,
        );
    }
}

/// Opens the node's UDP socket and starts the receive thread.
pub(crate) fn start() -> Result {
    // Later boots of a node have later epochs, so their receivers drop
    // what an earlier boot sent (replayed or not).
    // SAFETY: `ktime_get_real` has no preconditions.
    let now = unsafe { bindings::ktime_get_real() };
    EPOCH.store(u64::try_from(now).unwrap_or(0), Relaxed);
    let mut sock: *mut bindings::socket = ptr::null_mut();
    // SAFETY: `init_net` is the initial network namespace, which lives
    // forever; `sock` receives the new socket.
    kernel::error::to_result(unsafe {
        bindings::sock_create_kern(
            &raw mut bindings::init_net,
            bindings::AF_INET as c_int,
            bindings::sock_type_SOCK_DGRAM as c_int,
            bindings::IPPROTO_UDP as c_int,
            &mut sock,
        )
    })?;
    let mut addr = bindings::sockaddr_in {
        sin_family: bindings::AF_INET as u16,
        sin_port: MS_UDP_PORT.to_be(),
        ..Default::default()
    };
    // SAFETY: `sock` is a valid socket and `addr` a valid IPv4 address.
    let ret = unsafe {
        bindings::kernel_bind(
            sock,
            ptr::from_mut(&mut addr).cast(),
            size_of::<bindings::sockaddr_in>() as c_int,
        )
    };
    if ret < 0 {
        // SAFETY: the socket is ours and unused.
        unsafe { bindings::sock_release(sock) };
        return Err(Error::from_errno(ret));
    }
    // SAFETY: `rx_thread` takes the socket, which stays alive; the name
    // format and its argument are NUL-terminated strings.
    let task = unsafe {
        bindings::kthread_create_on_node(
            Some(rx_thread),
            sock.cast(),
            bindings::NUMA_NO_NODE,
            kernel::str::CStrExt::as_char_ptr(c"%s"),
            kernel::str::CStrExt::as_char_ptr(c"ms_input"),
        )
    };
    let task = match kernel::error::from_err_ptr(task) {
        Ok(t) if !t.is_null() => t,
        Ok(_) | Err(_) => {
            // SAFETY: the socket is ours and unused.
            unsafe { bindings::sock_release(sock) };
            return Err(ENOMEM);
        }
    };
    SOCK.store(sock, Ordering::Release);
    // SAFETY: `task` is the thread just created and not yet woken.
    unsafe { bindings::wake_up_process(task) };
    Ok(())
}

/// Writes the counters for `/proc/hpc/migsock/stats`.
pub(crate) fn show_stats(m: &SeqFile) {
    let s = &STATS;
    seq_print!(
        m,
        "udp_port {}\nreceived {}\nnot_a_node {}\ntruncated {}\nbad_header {}\n\
         bad_checksum {}\nno_key {}\nbad_tag {}\nreplayed {}\naccepted {}\n\
         fault_dropped {}\nfault_duplicated {}\nfault_reordered {}\n",
        MS_UDP_PORT,
        s.received.load(Relaxed),
        s.not_a_node.load(Relaxed),
        s.truncated.load(Relaxed),
        s.bad_header.load(Relaxed),
        s.bad_checksum.load(Relaxed),
        s.no_key.load(Relaxed),
        s.bad_tag.load(Relaxed),
        s.replayed.load(Relaxed),
        s.accepted.load(Relaxed),
        s.fault_dropped.load(Relaxed),
        s.fault_duplicated.load(Relaxed),
        s.fault_reordered.load(Relaxed)
    );
    let r = &ms_routing::STATS;
    seq_print!(
        m,
        "seg_in {}\nseg_out {}\nseg_local {}\nretransmits {}\nreplies {}\n\
         conn_requests {}\nno_socket {}\nsend_errors {}\ndeparting_drops {}\n\
         mig_signals {}\nredirects {}\nsockets_live {}\n",
        r.seg_in.load(Relaxed),
        r.seg_out.load(Relaxed),
        r.seg_local.load(Relaxed),
        r.retransmits.load(Relaxed),
        r.replies.load(Relaxed),
        r.conn_requests.load(Relaxed),
        r.no_socket.load(Relaxed),
        r.send_errors.load(Relaxed),
        r.departing_drops.load(Relaxed),
        r.mig_signals.load(Relaxed),
        r.redirects.load(Relaxed),
        // The node's own migd listener is not a leak.
        crate::ms_sock::LIVE
            .load(Relaxed)
            .saturating_sub(crate::ms_migd::permanent_socks())
    );
    crate::ms_migd::show_stats(m);
    crate::ms_account::show_stats(m);
}

/// The read-only IP options of table A.2, for the node's UDP socket.
pub(crate) fn udp_ipopt(name: c_int, node: u16) -> Result<i32> {
    let sock = SOCK.load(Ordering::Acquire);
    if sock.is_null() {
        return Err(ENODEV);
    }
    let mut v: c_int = 0;
    // SAFETY: `sock` is the daemon's socket, never released; `v` is a local.
    kernel::error::to_result(unsafe { bindings::migsock_udp_ipopt(sock, name, node, &mut v) })?;
    Ok(v)
}
