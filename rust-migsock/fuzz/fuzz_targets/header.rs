// SPDX-License-Identifier: GPL-2.0

//! Fuzz the MTCP header parser, writer, checksum and cropping.

#![no_main]

use libfuzzer_sys::fuzz_target;
use migsock_host::mtcp::{crop, wire};

fuzz_target!(|data: &[u8]| {
    let verify = data.first().is_some_and(|b| b & 1 == 1);
    let Ok(seg) = wire::parse_checked(data, verify) else {
        return;
    };
    let h = seg.hdr;
    assert!(h.len() <= wire::MAX_HEADER_LEN);
    // Re-encoding gives the same header (unknown options dropped) and data.
    let mut out = vec![0u8; data.len() + wire::MAX_HEADER_LEN];
    let n = wire::encode(&h, seg.payload, &mut out, true).expect("encode");
    let again = wire::parse_checked(&out[..n], true).expect("reparse");
    assert_eq!(again.payload, seg.payload);
    let mut h2 = again.hdr;
    h2.cksum = h.cksum;
    assert_eq!(h2, h);
    // Crop it against a window taken from the header itself.
    let rcv_nxt = h.ack;
    let wnd = u32::from(h.window);
    if let Some(c) = crop::crop(h.seq, h.flags, seg.payload.len(), rcv_nxt, wnd) {
        assert!(c.start + c.len <= seg.payload.len());
        assert!(c.seqlen() <= seg.seqlen());
        if c.seqlen() > 0 {
            assert!(c.seq.wrapping_sub(rcv_nxt) < wnd);
            assert!(c.seq.wrapping_sub(rcv_nxt) + c.seqlen() <= wnd);
        }
        let _ = c.data(seg.payload);
    }
});
