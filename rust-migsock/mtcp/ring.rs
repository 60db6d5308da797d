// SPDX-License-Identifier: GPL-2.0

//! A byte ring over caller-provided storage.
//!
//! The socket engine keeps its send queue (unacknowledged, then unsent data)
//! and its receive queue (received but undelivered data) as byte streams in
//! two rings. The storage is anything that derefs to a byte slice: a
//! `KVec<u8>` or boxed array in the kernel, a `Vec<u8>` or array on the host.

use super::copy_bytes;

/// Storage usable by [`Ring`]: anything that owns or borrows a mutable byte
/// slice (`KVec<u8>` or `KBox<[u8]>` in the kernel, `Vec<u8>` or `&mut [u8]`
/// on the host).
pub trait Storage: core::ops::DerefMut<Target = [u8]> {}
impl<T: core::ops::DerefMut<Target = [u8]>> Storage for T {}

/// A FIFO of bytes in a fixed buffer.
#[derive(Clone, Debug)]
pub struct Ring<B> {
    buf: B,
    head: usize,
    len: usize,
}

impl<B: Storage> Ring<B> {
    /// An empty ring using all of `buf`.
    pub fn new(buf: B) -> Self {
        Ring {
            buf,
            head: 0,
            len: 0,
        }
    }

    /// Total capacity in bytes.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// Bytes held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Nothing held?
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes that can still be pushed.
    pub fn free(&self) -> usize {
        self.capacity().saturating_sub(self.len)
    }

    /// Drops all content.
    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    fn phys(&self, off: usize) -> usize {
        let cap = self.capacity();
        if cap == 0 {
            return 0;
        }
        // head < cap and off <= cap, so the sum cannot overflow usize.
        let p = self.head.saturating_add(off);
        if p >= cap {
            p.saturating_sub(cap)
        } else {
            p
        }
    }

    /// Appends as much of `data` as fits; returns the number of bytes taken.
    pub fn push(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.free());
        let tail = self.phys(self.len);
        let (a, b) = data
            .split_at(n)
            .0
            .split_at(n.min(self.capacity().saturating_sub(tail)));
        let buf = &mut *self.buf;
        if let Some(d) = buf.get_mut(tail..) {
            copy_bytes(d, a);
        }
        copy_bytes(buf, b);
        self.len = self.len.saturating_add(n);
        n
    }

    /// Appends up to `max` bytes that `fill` writes straight into the free
    /// space (up to two pieces, in order), so data from elsewhere (user
    /// memory, in the kernel) is copied once.  If `fill` fails nothing is
    /// appended.  Returns the number of bytes appended.
    pub fn push_with<E>(
        &mut self,
        max: usize,
        mut fill: impl FnMut(&mut [u8]) -> Result<(), E>,
    ) -> Result<usize, E> {
        let n = max.min(self.free());
        if n == 0 {
            return Ok(0);
        }
        let tail = self.phys(self.len);
        let first = n.min(self.capacity().saturating_sub(tail));
        let buf = &mut *self.buf;
        if let Some(a) = buf.get_mut(tail..tail.saturating_add(first)) {
            fill(a)?;
        }
        if let Some(b) = buf
            .get_mut(..n.saturating_sub(first))
            .filter(|b| !b.is_empty())
        {
            fill(b)?;
        }
        self.len = self.len.saturating_add(n);
        Ok(n)
    }

    /// The held bytes from `off` on, at most `max` of them, as up to two
    /// slices (the second non-empty only where the ring wraps).
    pub fn slices(&self, off: usize, max: usize) -> (&[u8], &[u8]) {
        let n = self.len.saturating_sub(off).min(max);
        if n == 0 {
            return (&[], &[]);
        }
        let start = self.phys(off);
        let buf = &*self.buf;
        let first = n.min(self.capacity().saturating_sub(start));
        let a = buf.get(start..start.saturating_add(first)).unwrap_or(&[]);
        let b = buf.get(..n.saturating_sub(first)).unwrap_or(&[]);
        (a, b)
    }

    /// Copies held bytes from `off` on into `out`; returns the count copied.
    pub fn copy_out(&self, off: usize, out: &mut [u8]) -> usize {
        let (a, b) = self.slices(off, out.len());
        let na = copy_bytes(out, a);
        let nb = out.get_mut(na..).map_or(0, |rest| copy_bytes(rest, b));
        na.saturating_add(nb)
    }

    /// Removes up to `n` bytes from the front; returns the count removed.
    pub fn consume(&mut self, n: usize) -> usize {
        let n = n.min(self.len);
        self.head = self.phys(n);
        self.len = self.len.saturating_sub(n);
        if self.len == 0 {
            self.head = 0;
        }
        n
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
    #[test]
    fn push_with_fills_both_pieces_or_nothing() {
        let mut r = Ring::new(std::vec![0u8; 8]);
        assert_eq!(r.push(b"abcdef"), 6);
        assert_eq!(r.consume(4), 4);
        // Free space wraps: 2 bytes at the end, 4 at the start.
        let mut src = b"123456789".iter().copied();
        let mut calls = 0;
        let n = r.push_with(9, |d| {
            calls += 1;
            d.iter_mut().for_each(|b| *b = src.next().unwrap());
            Ok::<(), ()>(())
        });
        assert_eq!((n, calls), (Ok(6), 2));
        let mut out = [0u8; 8];
        assert_eq!(r.copy_out(0, &mut out), 8);
        assert_eq!(&out, b"ef123456");
        let mut r2 = Ring::new(std::vec![0u8; 4]);
        assert_eq!(r2.push_with(3, |_| Err("fault")), Err("fault"));
        assert!(r2.is_empty());
    }

    use super::*;

    #[test]
    fn wraps_and_copies() {
        let mut r = Ring::new(std::vec![0u8; 8]);
        assert_eq!(r.push(b"abcdef"), 6);
        assert_eq!(r.consume(4), 4);
        assert_eq!(r.push(b"ghijklmn"), 6);
        assert_eq!(r.len(), 8);
        assert_eq!(r.free(), 0);
        let (a, b) = r.slices(0, 100);
        assert_eq!([a, b].concat(), b"efghijkl");
        let mut out = [0u8; 5];
        assert_eq!(r.copy_out(2, &mut out), 5);
        assert_eq!(&out, b"ghijk");
        assert_eq!(r.copy_out(7, &mut out), 1);
        assert_eq!(r.copy_out(9, &mut out), 0);
        assert_eq!(r.consume(100), 8);
        assert!(r.is_empty());
    }

    #[test]
    fn zero_capacity() {
        let mut r = Ring::new(std::vec::Vec::new());
        assert_eq!(r.push(b"x"), 0);
        assert_eq!(r.slices(0, 1), (&[][..], &[][..]));
        assert_eq!(r.consume(1), 0);
    }
}
