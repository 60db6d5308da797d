// SPDX-License-Identifier: GPL-2.0

//! Build-time check that Rust's layout of the C structs migsock reads equals
//! C's.
//!
//! bindgen once dropped the alignment of an empty `____cacheline_aligned`
//! member of `task_struct` (with `CONFIG_SCHEDSTATS=n`), which moved every
//! later field in Rust.  `include/linux/migsock.h` exports C's offsets as
//! constants; a mismatch fails the build here instead of reading garbage.

use core::mem::{offset_of, size_of};
use kernel::bindings;

macro_rules! same_layout {
    ($rust:expr, $c:expr) => {
        assert!(
            $rust == $c as usize,
            "bindgen and C disagree on a struct layout"
        );
    };
}

const _: () = {
    same_layout!(
        size_of::<bindings::task_struct>(),
        bindings::MIGSOCK_C_TASK_SIZE
    );
    same_layout!(
        offset_of!(bindings::task_struct, flags),
        bindings::MIGSOCK_C_TASK_FLAGS
    );
    same_layout!(
        offset_of!(bindings::task_struct, pid),
        bindings::MIGSOCK_C_TASK_PID
    );
    same_layout!(
        offset_of!(bindings::task_struct, tgid),
        bindings::MIGSOCK_C_TASK_TGID
    );
    same_layout!(
        offset_of!(bindings::task_struct, group_leader),
        bindings::MIGSOCK_C_TASK_GROUP_LEADER
    );
    same_layout!(
        offset_of!(bindings::task_struct, comm),
        bindings::MIGSOCK_C_TASK_COMM
    );
};
