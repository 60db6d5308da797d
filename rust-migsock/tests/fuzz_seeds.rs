// SPDX-License-Identifier: GPL-2.0

//! Writes the seed corpora of the fuzz targets to `fuzz/seeds/` (run with
//! `cargo test --test fuzz_seeds -- --ignored`), and checks that the seeds
//! still decode (run always).

use migsock_host::mtcp::engine::{Conn, Opts, SockVars, State, MTIO_RD, MTIO_WR};
use migsock_host::mtcp::metasock::{self, ListenMsg, MigAcked, MigToYouWriter, MsgType, ProcHdr};
use migsock_host::mtcp::table::SockKey;
use migsock_host::mtcp::wire::{self, Flags, Header, MigOpt};

fn vars(state: State) -> SockVars {
    SockVars {
        fd: 3,
        pid: 42,
        conn: Conn {
            local_port: 1001,
            rem_port: 1000,
            local_hnode: 1,
            local_cnode: 2,
            rem_hnode: 3,
            rem_cnode: 3,
            rem_cip: 0x0a00_0003,
        },
        opts: Opts {
            linger_s: -1,
            linger2_s: -1,
            ..Opts::default()
        },
        state: state as u8,
        iostate: MTIO_RD | MTIO_WR,
        snd_una: 0xffff_fffe,
        snd_nxt: 3,
        snd_wnd: 4096,
        iss: 0xffff_fff0,
        rcv_nxt: 500,
        rcv_wnd: 4000,
        irs: 100,
        deliver_nxt: 490,
        prev_ack_sent: 500,
        mig_epoch: 1,
        rem_epoch: 0,
        ..SockVars::default()
    }
}

fn seeds() -> Vec<(&'static str, String, Vec<u8>)> {
    let mut v = Vec::new();
    // Headers.
    let base = Header {
        sport: 1001,
        dport: 1000,
        shnode: 1,
        dhnode: 2,
        seq: 1000,
        ack: 990,
        flags: Flags::ACK,
        window: 4096,
        ..Header::default()
    };
    let hs = [
        (Flags::SYN, None, &b""[..]),
        (Flags::SYN.with(Flags::ACK), None, b""),
        (Flags::ACK, None, b"hello"),
        (Flags::ACK.with(Flags::FIN), None, b"bye"),
        (Flags::RST, None, b""),
        (
            Flags::ACK,
            Some(MigOpt {
                node: 3,
                epoch: 2,
                echo: 1,
                req: true,
            }),
            b"moved",
        ),
        (
            Flags::NONE,
            Some(MigOpt {
                node: 4,
                epoch: 1,
                echo: 0,
                req: false,
            }),
            b"",
        ),
    ];
    for (i, (fl, mig, data)) in hs.iter().enumerate() {
        let h = Header {
            flags: *fl,
            mig: *mig,
            ..base
        };
        let mut b = vec![0u8; 128];
        let n = wire::encode(&h, data, &mut b, i % 2 == 0).unwrap();
        b.truncate(n);
        v.push(("header", format!("seg{i}"), b));
    }
    // Metasocket messages.
    let mut b = vec![0u8; 64];
    let n = metasock::encode_migacked(
        &MigAcked {
            key: SockKey {
                local_port: 1,
                rem_port: 2,
                local_hnode: 3,
                rem_hnode: 4,
            },
            pid: 5,
            fd: 6,
            epoch: 7,
        },
        &mut b,
    )
    .unwrap();
    v.push(("metasock", "migacked".into(), b[..n].to_vec()));
    for (i, t) in [
        MsgType::MigListen,
        MsgType::OpenListen,
        MsgType::CloseListen,
    ]
    .into_iter()
    .enumerate()
    {
        let l = ListenMsg {
            port: 1000,
            hnode: 1,
            pid: 42,
            fd: 3,
            cnode: 2,
            epoch: 1,
        };
        let n = metasock::encode_listen(t, &l, &mut b).unwrap();
        v.push(("metasock", format!("listen{i}"), b[..n].to_vec()));
    }
    let mut big = vec![0u8; 2048];
    let p = ProcHdr {
        hnode: 1,
        prev_node: 2,
        new_node: 3,
        pid: 42,
    };
    let mut w = MigToYouWriter::new(&mut big, &p).unwrap();
    w.push_parts(
        &vars(State::Established),
        &[b"ab", b"cde"],
        &[b"xyz"],
        &[b"0123456789"],
    )
    .unwrap();
    let mut cw = vars(State::CloseWait);
    cw.fin_rcvd = true;
    cw.deliver_nxt = 499;
    cw.snd_nxt = cw.snd_una;
    w.push_parts(&cw, &[], &[], &[]).unwrap();
    let mut fw = vars(State::FinWait1);
    fw.fin_queued = true;
    fw.iostate = MTIO_RD;
    fw.snd_nxt = 4;
    w.push_parts(&fw, &[b"abcde"], &[], &[b"0123456789"])
        .unwrap();
    let n = w.finish().unwrap();
    v.push(("metasock", "migtoyou".into(), big[..n].to_vec()));
    // Route: operation streams (see fuzz_targets/route.rs).
    v.push((
        "route",
        "exchange".into(),
        vec![7, 0, 1, 7, 1, 0, 2, 0, 50, 7, 0, 1, 7, 1, 0, 3, 1, 200],
    ));
    v.push((
        "route",
        "close".into(),
        vec![
            2, 1, 20, 5, 0, 7, 0, 1, 7, 1, 0, 1, 0, 100, 7, 1, 0, 6, 0, 2,
        ],
    ));
    v.push((
        "route",
        "migrate".into(),
        vec![2, 0, 30, 6, 0, 3, 7, 0, 1, 7, 1, 0, 1, 0, 40, 7, 0, 1],
    ));
    v
}

#[test]
fn seeds_are_valid() {
    for (t, name, b) in seeds() {
        match t {
            "header" => assert!(wire::parse(&b).is_ok(), "{name}"),
            "metasock" => assert!(metasock::decode(&b).is_ok(), "{name}"),
            _ => {}
        }
    }
}

#[test]
#[ignore]
fn write_seeds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds");
    for (t, name, b) in seeds() {
        let d = root.join(t);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), b).unwrap();
    }
}
