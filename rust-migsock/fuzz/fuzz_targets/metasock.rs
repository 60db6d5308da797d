// SPDX-License-Identifier: GPL-2.0

//! Fuzz the metasocket message decoder; whatever decodes must restore (or
//! be refused) and re-encode consistently.

#![no_main]

use libfuzzer_sys::fuzz_target;
use migsock_host::mtcp::engine::{Config, Sock};
use migsock_host::mtcp::metasock::{self, Msg, MigToYouWriter, MsgType};

fuzz_target!(|data: &[u8]| {
    if let Some(h) = data.get(..metasock::HDR_LEN) {
        if let Ok(len) = metasock::frame_len(h) {
            assert!((metasock::HDR_LEN..=metasock::MAX_MSG_LEN).contains(&len));
        }
    }
    let Ok(msg) = metasock::decode(data) else {
        return;
    };
    let mut out = vec![0u8; data.len() + 64];
    match msg {
        Msg::MigAcked(m) => {
            let n = metasock::encode_migacked(&m, &mut out).unwrap();
            assert_eq!(&out[..n], data);
        }
        Msg::MigBack(p) => {
            let n = metasock::encode_migback(&p, &mut out).unwrap();
            assert_eq!(&out[..n], data);
        }
        Msg::MigListen(m) | Msg::OpenListen(m) | Msg::CloseListen(m) => {
            let ty = MsgType::from_u8(data[3]).unwrap();
            let n = metasock::encode_listen(ty, &m, &mut out).unwrap();
            assert_eq!(&out[..n], data);
        }
        Msg::MigToYou(m) => {
            assert!(m.count() <= metasock::MAX_SOCKS);
            assert_eq!(m.records().count(), m.count());
            // Re-encoding the records as given reproduces the message.
            let mut w = MigToYouWriter::new(&mut out, &m.proc_hdr).unwrap();
            for r in m.records() {
                w.push_parts(&r.vars, &[r.unacked], &[r.unsent], &[r.undelivered]).unwrap();
            }
            let n = w.finish().unwrap();
            assert_eq!(&out[..n], data);
            // Restoring each into a small socket works or is refused cleanly.
            for r in m.records().take(8) {
                let mut s = Sock::new(Config::DEFAULT, vec![0u8; 4096], vec![0u8; 4096]);
                if r.restore(&mut s, 0, 9).is_ok() {
                    assert_eq!(s.readable(), r.undelivered.len());
                    assert_eq!(s.send_queued(), r.unacked.len() + r.unsent.len());
                    let mut buf = vec![0u8; 64 + metasock::record_len(&s)];
                    let mut w = MigToYouWriter::new(&mut buf, &m.proc_hdr).unwrap();
                    w.push_sock(&s).unwrap();
                    let n = w.finish().unwrap();
                    let Ok(Msg::MigToYou(m2)) = metasock::decode(&buf[..n]) else {
                        panic!("restored socket does not re-encode");
                    };
                    let r2 = m2.records().next().unwrap();
                    assert_eq!(r2.undelivered, r.undelivered);
                    let mut out2 = [0u8; 1400];
                    while s.poll_transmit(0, &mut out2).is_some() {}
                }
            }
        }
    }
});
