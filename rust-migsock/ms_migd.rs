// SPDX-License-Identifier: GPL-2.0

//! Migration of sockets (thesis `ms_migd.c`): the old copies of sockets
//! that left this node, and the processes whose sockets are arriving.

use kernel::{
    prelude::*,
    rbtree::RBTree,
    seq_file::SeqFile,
    seq_print,
    sync::atomic::{
        Atomic,
        Relaxed, //
    },
};

use crate::ms_data::TaskKey;
use crate::ms_sock::{
    SockInner,
    SockKey, //
};
use crate::mtcp::route::Moved;

/// Migration state of the node.
struct MigState {
    /// Old copies of sockets that migrated away, until MIGACKED.
    moved: Option<RBTree<SockKey, Moved>>,
    /// Processes whose sockets are on their way here.
    arriving: KVec<TaskKey>,
}

kernel::sync::global_lock! {
    // SAFETY: `init()` runs from the initcall, before any other use.
    unsafe(uninit) static MIG: Mutex<MigState> = MigState { moved: None, arriving: KVec::new() };
}

static MIG_OUT: Atomic<u64> = Atomic::new(0);
static MIG_IN: Atomic<u64> = Atomic::new(0);
static MIG_ACKED: Atomic<u64> = Atomic::new(0);

/// Initialises the state; called once, from the initcall.
pub(crate) fn init() -> Result {
    // SAFETY: called exactly once, from the initcall, before any user of `MIG`.
    unsafe { MIG.init() };
    MIG.lock().moved = Some(RBTree::new());
    Ok(())
}

/// The old copy of `key`, if the socket migrated away from here.
pub(crate) fn moved(key: &SockKey) -> Option<Moved> {
    MIG.lock().moved.as_ref()?.get(key).copied()
}

/// Are `key`'s sockets on their way to this node?
pub(crate) fn arriving(key: TaskKey) -> bool {
    MIG.lock().arriving.contains(&key)
}

/// A migrated socket saw its new epoch acknowledged.
pub(crate) fn mig_acked(_g: &SockInner) {
    MIG_ACKED.fetch_add(1, Relaxed);
}

/// Node the process of a listener runs on.
pub(crate) fn listener_node(g: &SockInner, here: u16) -> u16 {
    match g.eng.conn.local_cnode {
        0 => here,
        n => n,
    }
}

/// Migration counters for `/proc/hpc/migsock/stats`.
pub(crate) fn show_stats(m: &SeqFile) {
    let n = MIG.lock().moved.as_ref().map_or(0, |t| t.iter().count());
    seq_print!(
        m,
        "migrations_out {}\nmigrations_in {}\nmig_acked {}\nmoved_copies {}\n",
        MIG_OUT.load(Relaxed),
        MIG_IN.load(Relaxed),
        MIG_ACKED.load(Relaxed),
        n
    );
}

/// A process opened a listener on `port`.
pub(crate) fn listen_opened(_key: TaskKey, _port: u16) {}

/// A process closed its listener on `port`.
pub(crate) fn listen_closed(_key: TaskKey, _port: u16) {}
