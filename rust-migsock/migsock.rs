// SPDX-License-Identifier: GPL-2.0

//! migsock: sockets that migrate with their process between the nodes of an
//! openMosix-style cluster (hpc).
//!
//! The module map follows the thesis this re-implements: `ms_systest` is the
//! `sys_migsock()` dispatcher, `ms_data` holds the socket and task tables,
//! `ms_layout` checks that bindgen's view of the C structs we read matches C,
//! and `mtcp` is the portable MTCP protocol core (also built and tested on
//! the host, see `Cargo.toml`).
//!
//! C header: [`include/linux/migsock.h`](srctree/include/linux/migsock.h)

use kernel::{
    bindings,
    prelude::*,
    seq_file::SeqFile,
    uaccess::UserPtr, //
};

mod ms_account;
mod ms_data;
mod ms_input;
mod ms_layout;
mod ms_lock;
mod ms_metasock;
mod ms_migd;
mod ms_routing;
mod ms_sock;
mod ms_sockfd;
mod ms_systest;
pub mod mtcp;

/// Prefix for `pr_*!` messages; this crate has no `module!`.
const __LOG_PREFIX: &[u8] = b"migsock\0";

/// Brings the subsystem up; called once from the C initcall.
#[no_mangle]
pub extern "C" fn rust_migsock_init() -> c_int {
    let up = ms_data::init()
        .and_then(|()| ms_account::init())
        .and_then(|()| ms_input::start())
        .and_then(|()| ms_routing::start())
        .and_then(|()| ms_migd::start());
    match up {
        Ok(()) => {
            pr_info!("ready\n");
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// Entry from `SYSCALL_DEFINE2(migsock, ...)`.
///
/// # Safety
///
/// Must be called from the system-call path of the current task; `args` is
/// an unchecked user-space address and is only used through `UserSlice`.
#[no_mangle]
pub unsafe extern "C" fn rust_migsock_syscall(call: c_int, args: *mut c_ulong) -> c_long {
    kernel::error::from_result(|| ms_systest::dispatch(call, UserPtr::from_ptr(args.cast())))
}

/// Exit hook, called from `do_exit()` for every exiting thread-group leader.
///
/// # Safety
///
/// `tsk` must point to a valid task for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn rust_migsock_exit(tsk: *mut bindings::task_struct) {
    // SAFETY: the caller guarantees `tsk` is valid for this call, and a
    // `Task` is a transparent wrapper around `task_struct`.
    let task = unsafe { &*tsk.cast::<kernel::task::Task>() };
    // ms_exit(): the process's sockets close as if it called ms_close().
    let key = ms_data::key_of(task);
    if let Some(t) = ms_data::take_task(key) {
        for s in t.fds.values() {
            let _own = s.reclock.lock();
            ms_systest::release(s, false);
        }
    }
    // A deputy exiting at home: its process's listeners elsewhere are gone.
    if key.0 == ms_data::this_node() {
        ms_data::drop_redirects(key);
    }
}

/// hpc: the current process `tsk` is about to leave for `new_node`;
/// non-zero keeps it here.
///
/// # Safety
///
/// `tsk` must be the current task.
#[no_mangle]
pub unsafe extern "C" fn ms_process_migrate_outbound(
    tsk: *mut bindings::task_struct,
    new_node: c_int,
) -> c_int {
    // SAFETY: hpc passes the current task, valid for the call; `Task` is a
    // transparent wrapper around `task_struct`.
    let task = unsafe { &*tsk.cast::<kernel::task::Task>() };
    match ms_migd::outbound(task, new_node) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// hpc: `tsk` arrived from `prev_node` and is about to run.
///
/// # Safety
///
/// `tsk` must be a valid task for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn ms_process_migrate_inbound(
    tsk: *mut bindings::task_struct,
    _prev_node: c_int,
) {
    // SAFETY: as above.
    let task = unsafe { &*tsk.cast::<kernel::task::Task>() };
    ms_migd::inbound(task);
}

/// hpc: the move of the current process `tsk` to `new_node` failed after
/// the outbound hook let it go; its sockets, frozen here, thaw.
///
/// # Safety
///
/// `tsk` must be the current task.
#[no_mangle]
pub unsafe extern "C" fn ms_process_migrate_failed(
    tsk: *mut bindings::task_struct,
    new_node: c_int,
) {
    // SAFETY: hpc passes the current task, valid for the call.
    let task = unsafe { &*tsk.cast::<kernel::task::Task>() };
    ms_migd::failed(task, new_node);
}

/// hpc: the current process `tsk` runs on `new_node` now (the target
/// answered for its image); the sockets it left frozen here can go.
///
/// # Safety
///
/// `tsk` must be the current task.
#[no_mangle]
pub unsafe extern "C" fn ms_process_migrate_done(tsk: *mut bindings::task_struct, new_node: c_int) {
    // SAFETY: hpc passes the current task, valid for the call.
    let task = unsafe { &*tsk.cast::<kernel::task::Task>() };
    ms_migd::done(task, new_node);
}

/// hpc: the image of process `home_node`/`home_pid` is still coming in to
/// this node; the sockets that arrived ahead of it wait on.
#[no_mangle]
pub extern "C" fn ms_process_arriving(home_node: u16, home_pid: bindings::pid_t) {
    ms_data::still_arriving((home_node, home_pid), ms_routing::now_ms());
}

/// Show callback of `/proc/hpc/migsock/sockets`.
///
/// # Safety
///
/// `m` must be a valid `seq_file` for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn rust_migsock_sockets_show(m: *mut bindings::seq_file) -> c_int {
    // SAFETY: the caller guarantees `m` is valid for this call.
    let m = unsafe { SeqFile::from_raw(m) };
    ms_data::show_sockets(m);
    0
}

/// `/proc/hpc/migsock/metasock`: sends `len` bytes at `msg` as one
/// metasocket message to `node`'s migd; 0 or the error (transport or answer).
///
/// # Safety
///
/// `msg` must be valid for reading `len` bytes for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn rust_migsock_metasock_send(
    node: u16,
    msg: *const u8,
    len: usize,
) -> c_int {
    if msg.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: the caller guarantees `msg` is valid for `len` bytes.
    let bytes = unsafe { core::slice::from_raw_parts(msg, len) };
    match ms_migd::send_raw(node, bytes) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Sets the receive path's fault knob (permille each).
#[no_mangle]
pub extern "C" fn rust_migsock_set_fault(drop: c_uint, dup: c_uint, reorder: c_uint) -> c_int {
    match ms_input::set_faults(drop, dup, reorder) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Show callback of `/proc/hpc/migsock/tasks`.
///
/// # Safety
///
/// `m` must be a valid `seq_file` for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn rust_migsock_tasks_show(m: *mut bindings::seq_file) -> c_int {
    // SAFETY: the caller guarantees `m` is valid for this call.
    let m = unsafe { SeqFile::from_raw(m) };
    ms_data::show_tasks(m);
    0
}

/// Show callback of `/proc/hpc/migsock/stats`.
///
/// # Safety
///
/// `m` must be a valid `seq_file` for the duration of the call.
#[no_mangle]
pub unsafe extern "C" fn rust_migsock_stats_show(m: *mut bindings::seq_file) -> c_int {
    // SAFETY: the caller guarantees `m` is valid for this call.
    let m = unsafe { SeqFile::from_raw(m) };
    ms_input::show_stats(m);
    0
}
