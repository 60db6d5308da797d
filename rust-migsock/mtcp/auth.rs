// SPDX-License-Identifier: GPL-2.0

//! The authentication trailer of MTCP datagrams and the replay window.
//!
//! Every datagram between nodes is the MTCP segment followed by a 32-byte
//! trailer (see `docs/mtcp-wire.md`):
//!
//! ```text
//!  +--------------------------------+
//!  | MTCP segment (header and data) |
//!  +--------------------------------+
//!  | epoch   (u64, big endian)      |  sender's boot time, ns since 1970
//!  | counter (u64, big endian)      |  per sender, +1 per datagram
//!  | tag     (16 bytes)             |  keyed BLAKE2s (cluster key) over
//!  +--------------------------------+  sender, receiver, epoch, counter, segment
//! ```
//!
//! The receiver checks the tag before it reads anything of the segment,
//! then the (epoch, counter) pair against the sender's [`ReplayWindow`].
//! The tag itself is made and checked by the kernel's BLAKE2s
//! (`hpc_auth_tag`); this module only frames the trailer and keeps the
//! window, so both are tested on the host.

/// Bytes of the epoch and counter, which the tag covers with the segment.
pub const NONCE_LEN: usize = 16;
/// Bytes of the tag.
pub const TAG_LEN: usize = 16;
/// Bytes the trailer adds to every datagram.
pub const TRAILER_LEN: usize = NONCE_LEN + TAG_LEN;

/// The epoch and counter of a datagram, as they travel.
pub fn nonce(epoch: u64, counter: u64) -> [u8; NONCE_LEN] {
    let mut n = [0u8; NONCE_LEN];
    let bytes = epoch.to_be_bytes().into_iter().chain(counter.to_be_bytes());
    for (d, s) in n.iter_mut().zip(bytes) {
        *d = s;
    }
    n
}

/// The epoch and counter of a nonce.
pub fn read_nonce(n: &[u8; NONCE_LEN]) -> (u64, u64) {
    let mut e = [0u8; 8];
    let mut c = [0u8; 8];
    super::copy_bytes(&mut e, n);
    super::copy_bytes(&mut c, n.get(8..).unwrap_or(&[]));
    (u64::from_be_bytes(e), u64::from_be_bytes(c))
}

/// A received datagram cut into its parts.
#[derive(Debug, PartialEq, Eq)]
pub struct Parts<'a> {
    /// The MTCP segment, not yet parsed or trusted.
    pub segment: &'a [u8],
    /// Epoch and counter, covered by the tag.
    pub nonce: [u8; NONCE_LEN],
    /// The tag to check.
    pub tag: [u8; TAG_LEN],
}

/// Cuts `datagram` into segment and trailer; `None` if it cannot hold a
/// fixed MTCP header and a trailer.
pub fn split(datagram: &[u8]) -> Option<Parts<'_>> {
    let seg_len = datagram
        .len()
        .checked_sub(TRAILER_LEN)
        .filter(|&l| l >= super::wire::HEADER_LEN)?;
    let trailer = datagram.get(seg_len..)?;
    let mut parts = Parts {
        segment: datagram.get(..seg_len)?,
        nonce: [0; NONCE_LEN],
        tag: [0; TAG_LEN],
    };
    super::copy_bytes(&mut parts.nonce, trailer);
    super::copy_bytes(&mut parts.tag, trailer.get(NONCE_LEN..)?);
    Some(parts)
}

const WORD_BITS: u64 = 64;
const WORDS: usize = 16;
/// Word index to ring slot: WORDS is a power of two.
const RING_MASK: u64 = 15;
const _: () = assert!(RING_MASK + 1 == WORDS as u64);
/// How far behind the newest counter a datagram may arrive and still be
/// taken (once): the window's bits less one word, as the word that holds
/// the newest counter is only partly in the past.
pub const WINDOW: u64 = (WORDS as u64 - 1) * WORD_BITS;

/// Why a datagram with a good tag is still refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// From an earlier boot of the sender than the one already heard.
    OldEpoch,
    /// Too far behind the newest counter to tell whether it was seen.
    TooOld,
    /// This counter was taken before.
    Replayed,
}

/// What one sending node's datagrams have been taken (RFC 6479's bitmap,
/// as WireGuard's receive counter): the newest counter and which of the
/// [`WINDOW`] counters before it were seen.
#[derive(Clone, Debug)]
pub struct ReplayWindow {
    epoch: u64,
    top: u64,
    any: bool,
    bits: [u64; WORDS],
}

impl Default for ReplayWindow {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplayWindow {
    /// A window that has taken nothing yet.
    pub const fn new() -> Self {
        ReplayWindow {
            epoch: 0,
            top: 0,
            any: false,
            bits: [0; WORDS],
        }
    }

    /// The sender's epoch the window follows.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Takes (`epoch`, `counter`) if it was not seen before, and records it.
    /// Call only for datagrams whose tag was verified: an unverified one
    /// would move the window.
    pub fn accept(&mut self, epoch: u64, counter: u64) -> Result<(), ReplayError> {
        if !self.any || epoch > self.epoch {
            // The sender booted again (or is heard for the first time).
            self.epoch = epoch;
            self.top = counter;
            self.any = true;
            self.bits = [0; WORDS];
            self.set(counter);
            return Ok(());
        }
        if epoch < self.epoch {
            return Err(ReplayError::OldEpoch);
        }
        if counter > self.top {
            let old = self.top / WORD_BITS;
            let new = counter / WORD_BITS;
            let clear = new.wrapping_sub(old).min(WORDS as u64);
            let mut i = 1u64;
            while i <= clear {
                if let Some(w) = self.bits.get_mut(Self::word(old.wrapping_add(i))) {
                    *w = 0;
                }
                i = i.wrapping_add(1);
            }
            self.top = counter;
        } else if self.top.wrapping_sub(counter) > WINDOW {
            return Err(ReplayError::TooOld);
        } else if self.is_set(counter) {
            return Err(ReplayError::Replayed);
        }
        self.set(counter);
        Ok(())
    }

    fn word(index: u64) -> usize {
        // WORDS divides 2^64, so the ring is continuous across a wrap.
        (index & RING_MASK) as usize
    }

    fn is_set(&self, counter: u64) -> bool {
        let w = self.bits.get(Self::word(counter / WORD_BITS)).copied();
        w.unwrap_or(0) & (1u64 << (counter % WORD_BITS)) != 0
    }

    fn set(&mut self, counter: u64) {
        if let Some(w) = self.bits.get_mut(Self::word(counter / WORD_BITS)) {
            *w |= 1u64 << (counter % WORD_BITS);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonce_round_trip() {
        let n = nonce(0x0102_0304_0506_0708, 42);
        assert_eq!(&n[..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(read_nonce(&n), (0x0102_0304_0506_0708, 42));
    }

    #[test]
    fn split_needs_a_header_and_a_trailer() {
        let d = [7u8; 24 + TRAILER_LEN];
        let p = split(&d).unwrap();
        assert_eq!(p.segment.len(), 24);
        assert!(split(&d[..d.len() - 1]).is_none());
        assert!(split(&[]).is_none());
    }

    #[test]
    fn each_counter_is_taken_once() {
        let mut w = ReplayWindow::new();
        assert_eq!(w.accept(5, 1), Ok(()));
        assert_eq!(w.accept(5, 1), Err(ReplayError::Replayed));
        assert_eq!(w.accept(5, 3), Ok(()));
        // Late but inside the window: taken once.
        assert_eq!(w.accept(5, 2), Ok(()));
        assert_eq!(w.accept(5, 2), Err(ReplayError::Replayed));
    }

    #[test]
    fn far_behind_is_refused_and_a_jump_clears_old_bits() {
        let mut w = ReplayWindow::new();
        w.accept(1, 10).unwrap();
        w.accept(1, 10 + WINDOW + 1).unwrap();
        assert_eq!(w.accept(1, 10), Err(ReplayError::TooOld));
        assert_eq!(w.accept(1, 11), Ok(()));
        // A jump by more than the whole ring forgets everything before it.
        let top = 100_000;
        w.accept(1, top).unwrap();
        assert_eq!(w.accept(1, top - 1), Ok(()));
        assert_eq!(w.accept(1, top - WINDOW), Ok(()));
        assert_eq!(w.accept(1, top - WINDOW - 1), Err(ReplayError::TooOld));
    }

    #[test]
    fn a_new_boot_resets_and_old_boots_are_refused() {
        let mut w = ReplayWindow::new();
        w.accept(100, 50).unwrap();
        assert_eq!(w.accept(200, 1), Ok(()));
        assert_eq!(w.epoch(), 200);
        assert_eq!(w.accept(100, 51), Err(ReplayError::OldEpoch));
        assert_eq!(w.accept(200, 1), Err(ReplayError::Replayed));
    }

    #[test]
    fn matches_a_set_of_seen_counters() {
        // Against a plain model: taken iff not seen and not too far back.
        let mut w = ReplayWindow::new();
        let mut seen = std::collections::BTreeSet::new();
        let mut top = 0u64;
        let mut x = 0x1234_5678u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let c = match x % 4 {
                0 => top + 1 + x % 3000,
                _ => top.saturating_sub(x % 1100),
            };
            let want = if seen.is_empty() {
                true
            } else if c > top {
                true
            } else {
                top - c <= WINDOW && !seen.contains(&c)
            };
            assert_eq!(w.accept(9, c).is_ok(), want, "counter {c}, top {top}");
            if want {
                seen.insert(c);
                top = top.max(c);
            }
        }
    }
}
