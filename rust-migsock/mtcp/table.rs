// SPDX-License-Identifier: GPL-2.0

//! Socket, listener and process tables (thesis `ms_data.c`, figure 4.5).
//!
//! - Sockets are found by [`SockKey`]: (local port, remote port, local home
//!   node, remote home node). The home nodes make the name cluster-wide, so
//!   processes from different home nodes may use the same ports on one node.
//! - Listeners are found by [`ListenKey`]: (port, home node).
//! - Metasockets are found by [`MetaKey`]: the node at the other end.
//! - Processes are found by [`TaskKey`]: (home node, pid on the home node);
//!   each [`MsTask`] holds the process's sockets by descriptor number, so
//!   two processes may use the same descriptor numbers.
//!
//! [`Table`] is an open-addressing hash table (linear probing, backward-shift
//! deletion, no tombstones) over slot storage the caller provides (anything
//! that derefs to a slice of slots: a `KVec` in the kernel, a `Vec` or a
//! `&mut` slice on the host). It never allocates and never
//! grows; inserting into a full table fails. The values are whatever the
//! caller uses to reach its objects (an index, an `Arc`, ...).
//!
//! The thesis hashed sockets by local port only, with chaining; with open
//! addressing that would pile every connection of a busy server port into
//! one run, so all four fields are hashed here.

use super::engine::Conn;
use super::wire::Header;
use super::Node;

/// A table key: comparable and hashable without allocation.
pub trait Key: Copy + Eq {
    /// A well-mixed 32-bit hash of the key.
    fn hash32(&self) -> u32;
}

/// Mixes 32-bit words into a hash (a multiply-xorshift, as in the kernel's
/// `hash_32` family).
fn mix(words: &[u32]) -> u32 {
    let mut h: u32 = 0x9e37_79b9;
    for &w in words {
        h ^= w;
        h = h.wrapping_mul(0x85eb_ca6b);
        h ^= h >> 13;
    }
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// Name of a connected socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SockKey {
    /// Local port.
    pub local_port: u16,
    /// Remote port.
    pub rem_port: u16,
    /// Home node of the local process.
    pub local_hnode: Node,
    /// Home node of the remote process.
    pub rem_hnode: Node,
}

impl SockKey {
    /// The key of the socket an incoming header is addressed to.
    pub fn of_incoming(h: &Header) -> Self {
        SockKey {
            local_port: h.dport,
            rem_port: h.sport,
            local_hnode: h.dhnode,
            rem_hnode: h.shnode,
        }
    }

    /// The key of a socket with these connection fields.
    pub fn of_conn(c: &Conn) -> Self {
        SockKey {
            local_port: c.local_port,
            rem_port: c.rem_port,
            local_hnode: c.local_hnode,
            rem_hnode: c.rem_hnode,
        }
    }

    /// Is this the key of a metasocket (all ports and home nodes 0)?
    pub fn is_meta(&self) -> bool {
        *self == SockKey::default()
    }
}

impl Key for SockKey {
    fn hash32(&self) -> u32 {
        mix(&[
            u32::from(self.local_port) << 16 | u32::from(self.rem_port),
            u32::from(self.local_hnode) << 16 | u32::from(self.rem_hnode),
        ])
    }
}

/// Name of a metasocket: the node at the other end. All metasockets have
/// ports and home nodes 0, so [`SockKey`] cannot tell them apart; a segment
/// with [`SockKey::is_meta`] is looked up by its source node instead
/// (thesis `ms_find_metasock()`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MetaKey {
    /// The peer node.
    pub node: Node,
}

impl Key for MetaKey {
    fn hash32(&self) -> u32 {
        mix(&[u32::from(self.node)])
    }
}

/// Name of a listening socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ListenKey {
    /// Local port.
    pub port: u16,
    /// Home node of the listening process.
    pub hnode: Node,
}

impl ListenKey {
    /// The key of the listener an incoming header would be a request for.
    pub fn of_incoming(h: &Header) -> Self {
        ListenKey {
            port: h.dport,
            hnode: h.dhnode,
        }
    }
}

impl Key for ListenKey {
    fn hash32(&self) -> u32 {
        mix(&[u32::from(self.port) << 16 | u32::from(self.hnode)])
    }
}

/// Name of a process: its home node and its pid there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TaskKey {
    /// Home node.
    pub hnode: Node,
    /// Pid on the home node.
    pub pid: i32,
}

impl Key for TaskKey {
    fn hash32(&self) -> u32 {
        mix(&[u32::from(self.hnode), self.pid as u32])
    }
}

/// One slot of a [`Table`].
pub type Slot<K, V> = Option<(K, V)>;

/// Why an insertion failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableError {
    /// The key is present already.
    Exists,
    /// No free slot (or no slots at all).
    Full,
    /// A descriptor number outside the per-process array.
    BadFd,
}

/// A fixed-size hash table over caller-provided slots.
#[derive(Debug)]
pub struct Table<K, V, S> {
    slots: S,
    len: usize,
    _kv: core::marker::PhantomData<(K, V)>,
}

impl<K: Key, V, S: core::ops::DerefMut<Target = [Slot<K, V>]>> Table<K, V, S> {
    /// A table over `slots`, which are cleared.
    pub fn new(mut slots: S) -> Self {
        for s in slots.iter_mut() {
            *s = None;
        }
        Table {
            slots,
            len: 0,
            _kv: core::marker::PhantomData,
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No entries?
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of slots.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    fn home(&self, k: &K) -> usize {
        let n = self.capacity();
        usize::try_from(k.hash32())
            .unwrap_or(0)
            .checked_rem(n)
            .unwrap_or(0)
    }

    fn next(&self, i: usize) -> usize {
        let j = i.saturating_add(1);
        if j >= self.capacity() {
            0
        } else {
            j
        }
    }

    fn find(&self, k: &K) -> Option<usize> {
        let slots = &*self.slots;
        let mut i = self.home(k);
        for _ in 0..slots.len() {
            match slots.get(i)? {
                None => return None,
                Some((kk, _)) if kk == k => return Some(i),
                Some(_) => i = self.next(i),
            }
        }
        None
    }

    /// Adds `k -> v` (thesis `ms_hash_sock()`). On failure the value is
    /// handed back.
    pub fn insert(&mut self, k: K, v: V) -> Result<(), (TableError, V)> {
        if self.find(&k).is_some() {
            return Err((TableError::Exists, v));
        }
        if self.len >= self.capacity() {
            return Err((TableError::Full, v));
        }
        let mut i = self.home(&k);
        for _ in 0..self.capacity() {
            let free = matches!(self.slots.get(i), Some(None));
            if free {
                if let Some(s) = self.slots.get_mut(i) {
                    *s = Some((k, v));
                    self.len = self.len.saturating_add(1);
                    return Ok(());
                }
            }
            i = self.next(i);
        }
        Err((TableError::Full, v))
    }

    /// The value for `k` (thesis `ms_find_sock_port()` and friends).
    pub fn get(&self, k: &K) -> Option<&V> {
        let i = self.find(k)?;
        self.slots.get(i)?.as_ref().map(|(_, v)| v)
    }

    /// The value for `k`, mutably.
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        let i = self.find(k)?;
        self.slots.get_mut(i)?.as_mut().map(|(_, v)| v)
    }

    /// Removes `k` and returns its value (thesis `ms_unhash_sock()`).
    pub fn remove(&mut self, k: &K) -> Option<V> {
        let mut hole = self.find(k)?;
        let (_, v) = self.slots.get_mut(hole)?.take()?;
        self.len = self.len.saturating_sub(1);
        // Backward-shift: pull later entries of the run into the hole when
        // their home position does not lie cyclically in (hole, j].
        let n = self.capacity();
        let mut j = self.next(hole);
        for _ in 0..n {
            let Some(Some((kk, _))) = self.slots.get(j) else {
                break;
            };
            let h = self.home(kk);
            let dist = |a: usize, b: usize| {
                b.wrapping_sub(a)
                    .wrapping_add(n)
                    .checked_rem(n)
                    .unwrap_or(0)
            };
            if dist(h, j) >= dist(hole, j) {
                let moved = self.slots.get_mut(j).and_then(Option::take);
                if let Some(s) = self.slots.get_mut(hole) {
                    *s = moved;
                }
                hole = j;
            }
            j = self.next(j);
        }
        Some(v)
    }

    /// All entries, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.slots
            .iter()
            .filter_map(|s| s.as_ref().map(|(k, v)| (k, v)))
    }

    /// All entries, mutably, in slot order.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.slots
            .iter_mut()
            .filter_map(|s| s.as_mut().map(|(k, v)| (&*k, v)))
    }
}

/// A process that owns migratable sockets (thesis `struct ms_task`):
/// its sockets by descriptor number, `FDS` of them at most.
#[derive(Debug)]
pub struct MsTask<V, const FDS: usize> {
    /// Pid on the home node.
    pub pid: i32,
    /// Home node.
    pub hnode: Node,
    /// Node the process runs on now.
    pub cnode: Node,
    /// Node it ran on before its last migration (0: none).
    pub prev_node: Node,
    socks_count: usize,
    socks: [Option<V>; FDS],
}

impl<V, const FDS: usize> MsTask<V, FDS> {
    /// A process entry without sockets.
    pub fn new(key: TaskKey, cnode: Node) -> Self {
        MsTask {
            pid: key.pid,
            hnode: key.hnode,
            cnode,
            prev_node: 0,
            socks_count: 0,
            socks: core::array::from_fn(|_| None),
        }
    }

    /// The entry's key.
    pub fn key(&self) -> TaskKey {
        TaskKey {
            hnode: self.hnode,
            pid: self.pid,
        }
    }

    /// Number of sockets owned.
    pub fn socks_count(&self) -> usize {
        self.socks_count
    }

    fn slot(fd: i32) -> Option<usize> {
        usize::try_from(fd).ok().filter(|&i| i < FDS)
    }

    /// Records socket `v` under descriptor `fd`.
    pub fn add_sock(&mut self, fd: i32, v: V) -> Result<(), (TableError, V)> {
        let Some(s) = Self::slot(fd).and_then(|i| self.socks.get_mut(i)) else {
            return Err((TableError::BadFd, v));
        };
        if s.is_some() {
            return Err((TableError::Exists, v));
        }
        *s = Some(v);
        self.socks_count = self.socks_count.saturating_add(1);
        Ok(())
    }

    /// The socket under descriptor `fd` (thesis `ms_find_sock_fd()`).
    pub fn sock(&self, fd: i32) -> Option<&V> {
        self.socks.get(Self::slot(fd)?)?.as_ref()
    }

    /// The socket under descriptor `fd`, mutably.
    pub fn sock_mut(&mut self, fd: i32) -> Option<&mut V> {
        self.socks.get_mut(Self::slot(fd)?)?.as_mut()
    }

    /// Forgets descriptor `fd`, returning its socket.
    pub fn remove_sock(&mut self, fd: i32) -> Option<V> {
        let v = self.socks.get_mut(Self::slot(fd)?)?.take()?;
        self.socks_count = self.socks_count.saturating_sub(1);
        Some(v)
    }

    /// The sockets with their descriptor numbers.
    pub fn socks(&self) -> impl Iterator<Item = (i32, &V)> {
        self.socks
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i32::try_from(i).ok()?, s.as_ref()?)))
    }

    /// A free descriptor number, if any.
    pub fn free_fd(&self) -> Option<i32> {
        let i = self.socks.iter().position(Option::is_none)?;
        i32::try_from(i).ok()
    }
}

/// A listener's queue of pending connections (thesis `connect_queue`), at
/// most `N`, oldest first.
#[derive(Debug)]
pub struct Backlog<V, const N: usize> {
    items: [Option<V>; N],
    head: usize,
    len: usize,
}

impl<V, const N: usize> Default for Backlog<V, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V, const N: usize> Backlog<V, N> {
    /// An empty queue.
    pub fn new() -> Self {
        Backlog {
            items: core::array::from_fn(|_| None),
            head: 0,
            len: 0,
        }
    }

    /// Pending connections.
    pub fn len(&self) -> usize {
        self.len
    }

    /// None pending?
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// No room for another?
    pub fn is_full(&self) -> bool {
        self.len >= N
    }

    fn idx(&self, off: usize) -> usize {
        self.head.saturating_add(off).checked_rem(N).unwrap_or(0)
    }

    /// Appends a pending connection; hands it back if the queue is full.
    pub fn push(&mut self, v: V) -> Result<(), V> {
        if self.is_full() {
            return Err(v);
        }
        let i = self.idx(self.len);
        match self.items.get_mut(i) {
            Some(s) => {
                *s = Some(v);
                self.len = self.len.saturating_add(1);
                Ok(())
            }
            None => Err(v),
        }
    }

    /// Takes the first entry for which `ready` holds (thesis `ms_accept()`
    /// takes the oldest established connection), keeping the others in
    /// order.
    pub fn take_first(&mut self, mut ready: impl FnMut(&V) -> bool) -> Option<V> {
        let pos = (0..self.len).find(|&o| {
            self.items
                .get(self.idx(o))
                .and_then(Option::as_ref)
                .is_some_and(&mut ready)
        })?;
        let at = self.idx(pos);
        let v = self.items.get_mut(at)?.take();
        // Close the gap by moving later entries one step forward.
        for o in pos..self.len.saturating_sub(1) {
            let (to, from) = (self.idx(o), self.idx(o.saturating_add(1)));
            let next = self.items.get_mut(from).and_then(Option::take);
            if let Some(s) = self.items.get_mut(to) {
                *s = next;
            }
        }
        self.len = self.len.saturating_sub(1);
        v
    }

    /// Removes every entry for which `gone` holds (connections that were
    /// reset before being accepted); returns how many were removed.
    pub fn remove_if(&mut self, mut gone: impl FnMut(&V) -> bool) -> usize {
        let mut n = 0usize;
        while self.take_first(&mut gone).is_some() {
            n = n.saturating_add(1);
        }
        n
    }

    /// The pending connections, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &V> {
        (0..self.len).filter_map(move |o| self.items.get(self.idx(o)).and_then(Option::as_ref))
    }
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::unwrap_used,
    clippy::panic
)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn key(lp: u16, rp: u16, lh: u16, rh: u16) -> SockKey {
        SockKey {
            local_port: lp,
            rem_port: rp,
            local_hnode: lh,
            rem_hnode: rh,
        }
    }

    fn table<K: Key, V>(n: usize) -> Table<K, V, Vec<Slot<K, V>>> {
        Table::new((0..n).map(|_| None).collect())
    }

    /// Thesis `ms_hash_test`: hash, find by port and home nodes, find by
    /// descriptor, unhash.
    #[test]
    fn ms_hash_test() {
        let mut t = table::<SockKey, u32>(16);
        // Same ports, different home nodes: different sockets.
        let a = key(1000, 1001, 1, 2);
        let b = key(1000, 1001, 3, 2);
        let c = key(1000, 1002, 1, 2);
        t.insert(a, 1).unwrap();
        t.insert(b, 2).unwrap();
        t.insert(c, 3).unwrap();
        assert_eq!(t.insert(a, 9), Err((TableError::Exists, 9)));
        assert_eq!(t.get(&a), Some(&1));
        assert_eq!(t.get(&b), Some(&2));
        assert_eq!(t.get(&c), Some(&3));
        assert_eq!(t.get(&key(1000, 1001, 1, 3)), None);
        assert_eq!(t.remove(&b), Some(2));
        assert_eq!(t.get(&b), None);
        assert_eq!(t.get(&a), Some(&1));
        assert_eq!(t.get(&c), Some(&3));
        assert_eq!(t.len(), 2);

        // Per-process entries: same pid and fd under two home nodes.
        let mut tasks = table::<TaskKey, MsTask<u32, 8>>(8);
        for h in [1u16, 2] {
            let k = TaskKey { hnode: h, pid: 42 };
            tasks.insert(k, MsTask::new(k, 3)).map_err(|e| e.0).unwrap();
        }
        let k1 = TaskKey { hnode: 1, pid: 42 };
        let k2 = TaskKey { hnode: 2, pid: 42 };
        tasks.get_mut(&k1).unwrap().add_sock(3, 10).unwrap();
        tasks.get_mut(&k2).unwrap().add_sock(3, 20).unwrap();
        assert_eq!(tasks.get(&k1).unwrap().sock(3), Some(&10));
        assert_eq!(tasks.get(&k2).unwrap().sock(3), Some(&20));
        let t1 = tasks.get_mut(&k1).unwrap();
        assert_eq!(t1.add_sock(3, 11), Err((TableError::Exists, 11)));
        assert_eq!(t1.add_sock(8, 11), Err((TableError::BadFd, 11)));
        assert_eq!(t1.add_sock(-1, 11), Err((TableError::BadFd, 11)));
        assert_eq!(t1.free_fd(), Some(0));
        assert_eq!(t1.socks_count(), 1);
        assert_eq!(t1.remove_sock(3), Some(10));
        assert_eq!(t1.sock(3), None);
        assert_eq!(t1.socks().count(), 0);

        // Listeners by (port, home node).
        let mut l = table::<ListenKey, u8>(4);
        l.insert(
            ListenKey {
                port: 1000,
                hnode: 1,
            },
            1,
        )
        .unwrap();
        l.insert(
            ListenKey {
                port: 1000,
                hnode: 2,
            },
            2,
        )
        .unwrap();
        let h = Header {
            dport: 1000,
            dhnode: 2,
            ..Header::default()
        };
        assert_eq!(l.get(&ListenKey::of_incoming(&h)), Some(&2));
    }

    #[test]
    fn fills_and_deletes_under_collisions() {
        // Many connections on one server port; random removals keep every
        // remaining key findable.
        let mut t = table::<SockKey, u16>(37);
        let keys: Vec<SockKey> = (0..37).map(|i| key(80, 2000 + i, 1, 2)).collect();
        for (i, k) in keys.iter().enumerate() {
            t.insert(*k, i as u16).unwrap();
        }
        assert_eq!(t.insert(key(81, 1, 1, 1), 0), Err((TableError::Full, 0)));
        let mut live: Vec<bool> = std::vec![true; keys.len()];
        let mut x = 12345u32;
        for _ in 0..200 {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            let i = (x >> 16) as usize % keys.len();
            if live[i] {
                assert_eq!(t.remove(&keys[i]), Some(i as u16));
            } else {
                t.insert(keys[i], i as u16).unwrap();
            }
            live[i] = !live[i];
            for (j, k) in keys.iter().enumerate() {
                assert_eq!(t.get(k).copied(), live[j].then_some(j as u16));
            }
        }
        assert_eq!(t.iter().count(), t.len());
        let empty = table::<SockKey, u8>(0);
        assert_eq!(empty.get(&keys[0]), None);
        let mut empty = empty;
        assert_eq!(empty.insert(keys[0], 1), Err((TableError::Full, 1)));
    }

    #[test]
    fn accessors() {
        let mut t = table::<ListenKey, u32>(4);
        assert!(t.is_empty() && t.capacity() == 4);
        let k = ListenKey { port: 7, hnode: 1 };
        t.insert(k, 1).unwrap();
        *t.get_mut(&k).unwrap() += 1;
        for (_, v) in t.iter_mut() {
            *v += 1;
        }
        assert_eq!(t.get(&k), Some(&3));
        assert_eq!(t.remove(&ListenKey { port: 8, hnode: 1 }), None);
        let tk = TaskKey { hnode: 1, pid: 9 };
        let mut task: MsTask<u32, 4> = MsTask::new(tk, 2);
        assert_eq!(task.key(), tk);
        task.add_sock(1, 5).unwrap();
        *task.sock_mut(1).unwrap() += 1;
        assert_eq!(task.socks().collect::<Vec<_>>(), [(1, &6)]);
        assert_eq!(task.sock_mut(9), None);
        for fd in [0, 2, 3] {
            task.add_sock(fd, 0).unwrap();
        }
        assert_eq!(task.free_fd(), None);
        let mut b: Backlog<u8, 2> = Backlog::default();
        assert!(!b.is_full() && b.is_empty());
        b.push(1).unwrap();
        b.push(2).unwrap();
        assert!(b.is_full() && b.len() == 2);
    }

    #[test]
    fn backlog_fifo() {
        let mut b: Backlog<u32, 3> = Backlog::new();
        b.push(1).unwrap();
        b.push(2).unwrap();
        b.push(3).unwrap();
        assert_eq!(b.push(4), Err(4));
        assert_eq!(b.take_first(|&v| v == 2), Some(2));
        assert_eq!(b.iter().copied().collect::<Vec<_>>(), [1, 3]);
        b.push(5).unwrap();
        assert_eq!(b.remove_if(|&v| v == 1), 1);
        assert_eq!(b.take_first(|_| true), Some(3));
        assert_eq!(b.take_first(|_| true), Some(5));
        assert!(b.is_empty());
        assert_eq!(b.take_first(|_| true), None);
    }

    #[test]
    fn meta_key() {
        assert!(SockKey::default().is_meta());
        let mut m = table::<MetaKey, u8>(4);
        m.insert(MetaKey { node: 2 }, 2).unwrap();
        m.insert(MetaKey { node: 3 }, 3).unwrap();
        assert_eq!(m.get(&MetaKey { node: 3 }), Some(&3));
        assert!(!key(0, 0, 0, 1).is_meta());
        let c = Conn {
            local_port: 5,
            rem_port: 6,
            local_hnode: 1,
            rem_hnode: 2,
            ..Conn::default()
        };
        let h = Header {
            sport: 6,
            dport: 5,
            shnode: 2,
            dhnode: 1,
            ..Header::default()
        };
        assert_eq!(SockKey::of_conn(&c), SockKey::of_incoming(&h));
    }
}
