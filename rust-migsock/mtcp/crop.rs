// SPDX-License-Identifier: GPL-2.0

//! Cropping a segment to the receive window (thesis `ms_crop_pkt()`).
//!
//! A segment occupies `[seq, seq + seqlen)` in sequence space: its SYN (if
//! any) first, then its data, then its FIN (if any). The receiver keeps only
//! the part inside its window `[rcv_nxt, rcv_nxt + rcv_wnd)`: what lies before
//! `rcv_nxt` was received already (a retransmission straddling old data),
//! what lies past the window's end does not fit. Cropping the front removes
//! the SYN before any data; cropping the back removes the FIN before any data.

use super::seq;
use super::wire::Flags;

/// What is left of a segment after cropping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crop {
    /// Sequence number of the first kept octet (or of the kept SYN).
    pub seq: u32,
    /// The flags, with SYN and/or FIN removed if they were cropped away.
    pub flags: Flags,
    /// Offset of the first kept data byte in the segment's payload.
    pub start: usize,
    /// Number of kept data bytes.
    pub len: usize,
}

impl Crop {
    /// The kept sequence length.
    pub fn seqlen(&self) -> u32 {
        super::wire::seqlen(self.flags, self.len)
    }

    /// The kept part of `payload` (the payload the crop was computed for).
    pub fn data<'a>(&self, payload: &'a [u8]) -> &'a [u8] {
        payload
            .get(self.start..self.start.saturating_add(self.len))
            .unwrap_or(&[])
    }
}

/// Is a segment `[seq, seq + seqlen)` acceptable to a receiver expecting
/// `rcv_nxt` with window `rcv_wnd` (RFC 793 section 3.3's four cases)?
pub fn acceptable(seg_seq: u32, seqlen: u32, rcv_nxt: u32, rcv_wnd: u32) -> bool {
    match (seqlen, rcv_wnd) {
        (0, 0) => seg_seq == rcv_nxt,
        (0, _) => seq::in_window(seg_seq, rcv_nxt, rcv_wnd),
        (_, 0) => false,
        _ => {
            let last = seq::add(seg_seq, seqlen.wrapping_sub(1));
            seq::in_window(seg_seq, rcv_nxt, rcv_wnd) || seq::in_window(last, rcv_nxt, rcv_wnd)
        }
    }
}

/// Crops a segment with header `seg_seq`/`flags` and `datalen` bytes of data
/// to the window `[rcv_nxt, rcv_nxt + rcv_wnd)`.
///
/// Returns `None` if nothing of the segment falls inside the window. A
/// segment without sequence length (a bare ACK or RST) is returned unchanged
/// when [`acceptable`], else `None`.
pub fn crop(
    seg_seq: u32,
    flags: Flags,
    datalen: usize,
    rcv_nxt: u32,
    rcv_wnd: u32,
) -> Option<Crop> {
    let total = super::wire::seqlen(flags, datalen);
    let mut c = Crop {
        seq: seg_seq,
        flags,
        start: 0,
        len: datalen,
    };
    if total == 0 {
        return acceptable(seg_seq, 0, rcv_nxt, rcv_wnd).then_some(c);
    }
    // Front: drop everything before rcv_nxt.
    if seq::lt(seg_seq, rcv_nxt) {
        let mut front = seq::diff(rcv_nxt, seg_seq);
        if front >= total {
            return None;
        }
        if c.flags.syn() {
            c.flags = c.flags.without(Flags::SYN);
            front = front.wrapping_sub(1);
        }
        let d = usize::try_from(front).unwrap_or(usize::MAX).min(c.len);
        c.start = d;
        c.len = c.len.saturating_sub(d);
        // front < total, so the FIN (if any) survives and front is used up.
        c.seq = rcv_nxt;
    }
    // Back: the first kept octet must be inside the window.
    let off = seq::diff(c.seq, rcv_nxt);
    if off >= rcv_wnd {
        return None;
    }
    let room = rcv_wnd.wrapping_sub(off);
    let syn = u32::from(c.flags.syn());
    let data_room = usize::try_from(room.saturating_sub(syn)).unwrap_or(usize::MAX);
    if c.len > data_room {
        c.len = data_room;
    }
    if c.flags.fin() {
        let used = syn.saturating_add(u32::try_from(c.len).unwrap_or(u32::MAX));
        if used >= room {
            c.flags = c.flags.without(Flags::FIN);
        }
    }
    Some(c)
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
    use crate::mtcp::wire::{self, Header};

    const SF: Flags = Flags(Flags::SYN.0 | Flags::FIN.0);

    fn c(seq: u32, flags: Flags, start: usize, len: usize) -> Option<Crop> {
        Some(Crop {
            seq,
            flags,
            start,
            len,
        })
    }

    /// Thesis `ms_crop_test`: segments built by hand.
    #[test]
    fn ms_crop_test() {
        // Entirely inside: unchanged.
        assert_eq!(
            crop(100, Flags::ACK, 10, 100, 50),
            c(100, Flags::ACK, 0, 10)
        );
        // Straddles already-received data.
        assert_eq!(crop(95, Flags::ACK, 10, 100, 50), c(100, Flags::ACK, 5, 5));
        // Straddles the end of the window.
        assert_eq!(
            crop(140, Flags::ACK, 20, 100, 50),
            c(140, Flags::ACK, 0, 10)
        );
        // Both ends.
        assert_eq!(
            crop(90, Flags::ACK, 100, 100, 50),
            c(100, Flags::ACK, 10, 50)
        );
        // Entirely old, entirely beyond.
        assert_eq!(crop(80, Flags::ACK, 20, 100, 50), None);
        assert_eq!(crop(150, Flags::ACK, 1, 100, 50), None);
        // Zero window takes nothing with sequence length.
        assert_eq!(crop(100, Flags::ACK, 1, 100, 0), None);
        // Bare ACKs: acceptability only.
        assert_eq!(crop(100, Flags::ACK, 0, 100, 0), c(100, Flags::ACK, 0, 0));
        assert_eq!(crop(99, Flags::ACK, 0, 100, 10), None);
        assert_eq!(crop(109, Flags::ACK, 0, 100, 10), c(109, Flags::ACK, 0, 0));
        assert_eq!(crop(110, Flags::ACK, 0, 100, 10), None);
    }

    #[test]
    fn ms_crop_test_syn_fin() {
        // SYN is the first octet: cropping one octet removes just the SYN.
        assert_eq!(crop(99, SF, 4, 100, 50), c(100, Flags::FIN, 0, 4));
        // Two octets: SYN and one data byte.
        assert_eq!(crop(99, SF, 4, 100, 50), c(100, Flags::FIN, 0, 4));
        assert_eq!(crop(98, SF, 4, 100, 50), c(100, Flags::FIN, 1, 3));
        // Everything but the FIN is old.
        assert_eq!(crop(95, SF, 4, 100, 50), c(100, Flags::FIN, 4, 0));
        // FIN already received too.
        assert_eq!(crop(94, SF, 4, 100, 50), None);
        // FIN is the last octet: cropped first at the window's end.
        assert_eq!(crop(100, Flags::FIN, 4, 100, 4), c(100, Flags(0), 0, 4));
        assert_eq!(crop(100, Flags::FIN, 4, 100, 5), c(100, Flags::FIN, 0, 4));
        assert_eq!(crop(100, SF, 4, 100, 1), c(100, Flags::SYN, 0, 0));
        assert_eq!(crop(100, SF, 4, 100, 3), c(100, Flags::SYN, 0, 2));
        // A lone FIN just at rcv_nxt.
        assert_eq!(crop(100, Flags::FIN, 0, 100, 1), c(100, Flags::FIN, 0, 0));
    }

    #[test]
    fn ms_crop_test_wraps() {
        let base = 0xffff_fff0;
        assert_eq!(
            crop(base, Flags::ACK, 32, base.wrapping_add(8), 8),
            c(base.wrapping_add(8), Flags::ACK, 8, 8)
        );
        assert_eq!(
            crop(5, Flags::ACK, 10, 0xffff_fffe, 10),
            c(5, Flags::ACK, 0, 3)
        );
    }

    /// Thesis `ms_pcf_crop_test`: the same with segments created and parsed
    /// through the wire codec, checking the kept bytes.
    #[test]
    fn ms_pcf_crop_test() {
        let data: std::vec::Vec<u8> = (0u8..40).collect();
        let h = Header {
            seq: 1000,
            flags: Flags::ACK.with(Flags::FIN),
            ..Header::default()
        };
        let mut buf = [0u8; 128];
        let n = wire::encode(&h, &data, &mut buf, true).unwrap();
        let s = wire::parse_checked(&buf[..n], true).unwrap();
        let k = crop(s.hdr.seq, s.hdr.flags, s.payload.len(), 1010, 20).unwrap();
        assert_eq!(k.data(s.payload), &data[10..30]);
        assert!(!k.flags.fin());
        let k = crop(s.hdr.seq, s.hdr.flags, s.payload.len(), 1010, 31).unwrap();
        assert_eq!(k.data(s.payload), &data[10..]);
        assert!(k.flags.fin());
        assert_eq!(k.seqlen(), 31);
    }

    #[test]
    fn crop_never_grows_and_stays_in_window() {
        // A small exhaustive sweep around the window edges.
        for seq in 90u32..130 {
            for len in 0usize..12 {
                for fl in [Flags::ACK, Flags::SYN, Flags::FIN, SF] {
                    for wnd in 0u32..12 {
                        if let Some(k) = crop(seq, fl, len, 100, wnd) {
                            assert!(k.start + k.len <= len);
                            if k.seqlen() > 0 {
                                assert!(seq::in_window(k.seq, 100, wnd));
                                let end = k.seq.wrapping_add(k.seqlen());
                                assert!(seq::le(end, 100 + wnd));
                            }
                        }
                    }
                }
            }
        }
    }
}
