// SPDX-License-Identifier: GPL-2.0

//! Sequence-number arithmetic modulo 2^32 (RFC 793 section 3.3).
//!
//! Sequence numbers wrap around; two numbers are compared by the sign of their
//! 32-bit difference, which is correct as long as they are less than 2^31
//! apart (always true for a window of at most 2^16 bytes).

/// `a + n` in sequence space.
#[inline]
pub const fn add(a: u32, n: u32) -> u32 {
    a.wrapping_add(n)
}

/// Distance from `b` forward to `a` (`a - b` in sequence space).
#[inline]
pub const fn diff(a: u32, b: u32) -> u32 {
    a.wrapping_sub(b)
}

/// `a < b` in sequence space.
#[inline]
pub const fn lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// `a <= b` in sequence space.
#[inline]
pub const fn le(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) <= 0
}

/// `a > b` in sequence space.
#[inline]
pub const fn gt(a: u32, b: u32) -> bool {
    lt(b, a)
}

/// `a >= b` in sequence space.
#[inline]
pub const fn ge(a: u32, b: u32) -> bool {
    le(b, a)
}

/// The later of `a` and `b` in sequence space.
#[inline]
pub const fn max(a: u32, b: u32) -> u32 {
    if gt(a, b) {
        a
    } else {
        b
    }
}

/// The earlier of `a` and `b` in sequence space.
#[inline]
pub const fn min(a: u32, b: u32) -> u32 {
    if lt(a, b) {
        a
    } else {
        b
    }
}

/// `start <= x < start + len` in sequence space (an empty range holds nothing).
#[inline]
pub const fn in_window(x: u32, start: u32, len: u32) -> bool {
    x.wrapping_sub(start) < len
}

/// The epoch a socket at epoch `e` has after its next migration (0 means
/// "never migrated" and is skipped on wrap).
pub const fn next_epoch(e: u16) -> u16 {
    match e.wrapping_add(1) {
        0 => 1,
        n => n,
    }
}

/// Wrap-safe comparison of 16-bit migration epochs: is `a` newer than `b`?
#[inline]
pub const fn epoch_newer(a: u16, b: u16) -> bool {
    (a.wrapping_sub(b) as i16) > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compare_across_wrap() {
        assert!(lt(0xffff_fff0, 0x10));
        assert!(gt(0x10, 0xffff_fff0));
        assert!(le(5, 5) && ge(5, 5));
        assert!(!lt(5, 5));
        assert_eq!(add(0xffff_ffff, 2), 1);
        assert_eq!(diff(1, 0xffff_ffff), 2);
        assert_eq!(max(0xffff_fff0, 3), 3);
        assert_eq!(min(0xffff_fff0, 3), 0xffff_fff0);
    }

    #[test]
    fn window_across_wrap() {
        assert!(in_window(0xffff_ffff, 0xffff_fffe, 4));
        assert!(in_window(1, 0xffff_fffe, 4));
        assert!(!in_window(2, 0xffff_fffe, 4));
        assert!(!in_window(0xffff_fffd, 0xffff_fffe, 4));
        assert!(!in_window(7, 7, 0));
    }

    #[test]
    fn epochs() {
        assert_eq!(next_epoch(0), 1);
        assert_eq!(next_epoch(7), 8);
        assert_eq!(next_epoch(0xffff), 1);
        assert!(epoch_newer(1, 0));
        assert!(epoch_newer(0, 0xffff));
        assert!(!epoch_newer(3, 3));
        assert!(!epoch_newer(2, 3));
    }
}
