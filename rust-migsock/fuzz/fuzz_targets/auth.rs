// SPDX-License-Identifier: GPL-2.0

//! Fuzz the datagram trailer split and the replay window: any datagram
//! splits or not without panicking, and a window fed any sequence of
//! (epoch, counter) pairs takes each pair at most once per epoch.

#![no_main]

use libfuzzer_sys::fuzz_target;
use migsock_host::mtcp::auth::{self, ReplayWindow};
use std::collections::BTreeSet;

fuzz_target!(|data: &[u8]| {
    if let Some(p) = auth::split(data) {
        assert_eq!(p.segment.len() + auth::TRAILER_LEN, data.len());
        let (e, c) = auth::read_nonce(&p.nonce);
        assert_eq!(auth::nonce(e, c), p.nonce);
    }
    let mut w = ReplayWindow::new();
    let mut taken = BTreeSet::new();
    for chunk in data.chunks_exact(3) {
        // Small epochs and counters near each other, to hit the window.
        let epoch = u64::from(chunk[0] >> 6);
        let counter = u64::from(u16::from_be_bytes([chunk[1], chunk[2]])) * 3;
        if w.accept(epoch, counter).is_ok() {
            assert!(
                taken.insert((epoch, counter)),
                "taken twice: {epoch} {counter}"
            );
            assert_eq!(w.epoch(), epoch);
        }
    }
});
