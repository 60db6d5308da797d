// SPDX-License-Identifier: GPL-2.0

//! Metasocket messages (thesis section 3.5, table 3.1).
//!
//! Metasockets are MTCP connections between nodes (ports and home nodes 0)
//! that carry these messages:
//!
//! | type | name        | sent to                | says                                        |
//! |------|-------------|------------------------|---------------------------------------------|
//! | 1    | MIGTOYOU    | a process's new node   | here are the process's sockets and queues   |
//! | 2    | MIGACKED    | a socket's old node    | the remote acknowledged; drop the old copy  |
//! | 3    | MIGLISTEN   | the process's home node| the listener's process now runs on `cnode`  |
//! | 4    | OPENLISTEN  | the process's home node| the process opened a listener               |
//! | 5    | CLOSELISTEN | the process's home node| the process closed a listener               |
//!
//! Every message starts with an 8-byte header: magic `"MS"`, version, type
//! and the total length (header included), all big-endian. `docs/mtcp-wire.md`
//! gives every field. A reader of a metasocket stream reads the header, asks
//! [`frame_len`] how long the message is (bounded by [`MAX_MSG_LEN`]), reads
//! the rest and calls [`decode`].
//!
//! [`decode`] works in place on the received bytes: it allocates nothing,
//! returns borrowed views, never panics, and rejects anything inconsistent:
//! bad magic, version or type, lengths that do not add up, unknown states,
//! sequence variables that contradict the queue lengths (see
//! [`SockVars::check`]), more sockets than [`MAX_SOCKS`], reserved bits set.

use super::engine::{Conn, Opts, Sock, SockVars, VarsError};
use super::ring::Storage;
use super::table::SockKey;
use super::{copy_bytes, Node};

/// First two bytes of every message: `"MS"`.
pub const MAGIC: u16 = 0x4d53;
/// Version of the message format described here.
pub const VERSION: u8 = 2;
/// Length of the common message header.
pub const HDR_LEN: usize = 8;
/// Largest message accepted (header included).
pub const MAX_MSG_LEN: usize = 16 << 20;
/// Most sockets in one MIGTOYOU.
pub const MAX_SOCKS: usize = 1024;
/// Length of the MIGTOYOU process header that follows the common header.
pub const PROC_LEN: usize = 12;
/// Length of a socket record without its queued data.
pub const RECORD_LEN: usize = 104;
/// Length of the body of MIGACKED.
pub const MIGACKED_LEN: usize = 20;
/// Length of the body of MIGLISTEN, OPENLISTEN and CLOSELISTEN.
pub const LISTEN_LEN: usize = 16;

const FLAG_NEWLY_MIGRATED: u8 = 1;
const FLAG_FIN_QUEUED: u8 = 2;
const FLAG_FIN_RCVD: u8 = 4;
const FLAG_CONNECT_PENDING: u8 = 8;

/// Message types (thesis table 3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MsgType {
    /// A process's sockets, for its new node.
    MigToYou = 1,
    /// A socket's migration was acknowledged by its remote end.
    MigAcked = 2,
    /// A listener's process migrated.
    MigListen = 3,
    /// A process opened a listener away from home.
    OpenListen = 4,
    /// A process closed a listener away from home.
    CloseListen = 5,
    /// Ours, not the thesis's: the process did not follow its sockets
    /// (its image transfer failed); send them back to where it stayed.
    MigBack = 6,
}

impl MsgType {
    /// The type with code `v`.
    pub fn from_u8(v: u8) -> Option<MsgType> {
        Some(match v {
            1 => MsgType::MigToYou,
            2 => MsgType::MigAcked,
            3 => MsgType::MigListen,
            4 => MsgType::OpenListen,
            5 => MsgType::CloseListen,
            6 => MsgType::MigBack,
            _ => return None,
        })
    }
}

/// Why bytes are not a valid message, or a message does not fit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MsgError {
    /// Fewer bytes than the format needs.
    Short,
    /// The output buffer is too small.
    NoSpace,
    /// Not `"MS"`.
    BadMagic,
    /// A version this code does not speak.
    BadVersion,
    /// Unknown message type.
    BadType,
    /// The length field is below the header, above [`MAX_MSG_LEN`], or not
    /// the length of the buffer; or a body has the wrong length.
    BadLength,
    /// More sockets than [`MAX_SOCKS`], or a count that does not match.
    BadCount,
    /// Reserved bits or bytes are not zero.
    Reserved,
    /// A socket record is inconsistent.
    BadRecord(VarsError),
}

impl From<VarsError> for MsgError {
    fn from(e: VarsError) -> Self {
        MsgError::BadRecord(e)
    }
}

/// Body of MIGACKED: which old socket copy to drop.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MigAcked {
    /// The socket's name.
    pub key: SockKey,
    /// Pid of its process on the home node.
    pub pid: i32,
    /// Its descriptor number.
    pub fd: i32,
    /// Epoch of the copy the peer acknowledged: a MIGACKED that comes late
    /// must not drop the old copy of a later move of the same socket.
    pub epoch: u16,
}

/// Body of MIGLISTEN, OPENLISTEN and CLOSELISTEN.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListenMsg {
    /// Listening port.
    pub port: u16,
    /// Home node of the listening process.
    pub hnode: Node,
    /// Pid of the process on its home node.
    pub pid: i32,
    /// The listener's descriptor number.
    pub fd: i32,
    /// Node the process runs on now.
    pub cnode: Node,
    /// Migration count of the process (for redirects).
    pub epoch: u16,
}

/// The process header of MIGTOYOU.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcHdr {
    /// Home node of the process.
    pub hnode: Node,
    /// Node it migrates from.
    pub prev_node: Node,
    /// Node it migrates to.
    pub new_node: Node,
    /// Pid on the home node.
    pub pid: i32,
}

/// One socket of a MIGTOYOU, borrowed from the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SockRecord<'a> {
    /// Scalar state.
    pub vars: SockVars,
    /// Sent, unacknowledged data (from `snd_una`).
    pub unacked: &'a [u8],
    /// Queued, never sent data.
    pub unsent: &'a [u8],
    /// Received data not yet read by the process (from `deliver_nxt`).
    pub undelivered: &'a [u8],
}

impl SockRecord<'_> {
    /// Recreates the socket in `sock` (freshly created) on node `here`.
    pub fn restore<B: Storage>(
        &self,
        sock: &mut Sock<B>,
        now: u64,
        here: Node,
    ) -> Result<super::engine::Events, VarsError> {
        sock.restore(
            now,
            here,
            &self.vars,
            self.unacked,
            self.unsent,
            self.undelivered,
        )
    }
}

/// A decoded MIGTOYOU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MigToYou<'a> {
    /// The process.
    pub proc_hdr: ProcHdr,
    count: usize,
    records: &'a [u8],
}

impl<'a> MigToYou<'a> {
    /// Number of socket records.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The socket records (all validated by [`decode`]).
    pub fn records(&self) -> Records<'a> {
        Records { rest: self.records }
    }
}

/// Iterator over the records of a [`MigToYou`].
#[derive(Clone, Debug)]
pub struct Records<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Records<'a> {
    type Item = SockRecord<'a>;
    fn next(&mut self) -> Option<SockRecord<'a>> {
        let (r, rest) = parse_record(self.rest).ok()?;
        self.rest = rest;
        Some(r)
    }
}

/// A decoded message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Msg<'a> {
    /// MIGTOYOU.
    MigToYou(MigToYou<'a>),
    /// MIGACKED.
    MigAcked(MigAcked),
    /// MIGLISTEN.
    MigListen(ListenMsg),
    /// OPENLISTEN.
    OpenListen(ListenMsg),
    /// CLOSELISTEN.
    CloseListen(ListenMsg),
    /// MIGBACK: `prev_node` is where the process stayed, `new_node` where
    /// its sockets went.
    MigBack(ProcHdr),
}

// ----- reading ---------------------------------------------------------------

struct Rd<'a> {
    b: &'a [u8],
}

impl<'a> Rd<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], MsgError> {
        if n > self.b.len() {
            return Err(MsgError::Short);
        }
        let (a, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, MsgError> {
        self.take(1)?.first().copied().ok_or(MsgError::Short)
    }
    fn u16(&mut self) -> Result<u16, MsgError> {
        let mut a = [0u8; 2];
        copy_bytes(&mut a, self.take(2)?);
        Ok(u16::from_be_bytes(a))
    }
    fn u32(&mut self) -> Result<u32, MsgError> {
        let mut a = [0u8; 4];
        copy_bytes(&mut a, self.take(4)?);
        Ok(u32::from_be_bytes(a))
    }
    fn i32(&mut self) -> Result<i32, MsgError> {
        Ok(self.u32()? as i32)
    }
    fn len32(&mut self) -> Result<usize, MsgError> {
        usize::try_from(self.u32()?).map_err(|_| MsgError::BadLength)
    }
}

/// Length of the message whose first [`HDR_LEN`] bytes are `hdr`, for
/// framing a metasocket stream. Checks magic, version, type and bounds.
pub fn frame_len(hdr: &[u8]) -> Result<usize, MsgError> {
    let mut r = Rd { b: hdr };
    if r.u16()? != MAGIC {
        return Err(MsgError::BadMagic);
    }
    if r.u8()? != VERSION {
        return Err(MsgError::BadVersion);
    }
    MsgType::from_u8(r.u8()?).ok_or(MsgError::BadType)?;
    let len = r.len32()?;
    if !(HDR_LEN..=MAX_MSG_LEN).contains(&len) {
        return Err(MsgError::BadLength);
    }
    Ok(len)
}

fn parse_listen(body: &[u8]) -> Result<ListenMsg, MsgError> {
    if body.len() != LISTEN_LEN {
        return Err(MsgError::BadLength);
    }
    let mut r = Rd { b: body };
    Ok(ListenMsg {
        port: r.u16()?,
        hnode: r.u16()?,
        pid: r.i32()?,
        fd: r.i32()?,
        cnode: r.u16()?,
        epoch: r.u16()?,
    })
}

fn parse_record(b: &[u8]) -> Result<(SockRecord<'_>, &[u8]), MsgError> {
    let mut r = Rd { b };
    let fd = r.i32()?;
    let pid = r.i32()?;
    let conn = Conn {
        local_port: r.u16()?,
        rem_port: r.u16()?,
        local_hnode: r.u16()?,
        local_cnode: r.u16()?,
        rem_hnode: r.u16()?,
        rem_cnode: r.u16()?,
        rem_cip: r.u32()?,
    };
    let opts = Opts {
        file_flags: r.u32()?,
        rcvlowat: r.u32()?,
        rcvtimeo_ms: r.u32()?,
        linger_s: r.i32()?,
        linger2_s: r.i32()?,
    };
    let state = r.u8()?;
    let iostate = r.u8()?;
    let flags = r.u8()?;
    let known = FLAG_NEWLY_MIGRATED | FLAG_FIN_QUEUED | FLAG_FIN_RCVD | FLAG_CONNECT_PENDING;
    if flags & !known != 0 || r.u8()? != 0 {
        return Err(MsgError::Reserved);
    }
    let mut vars = SockVars {
        fd,
        pid,
        conn,
        opts,
        state,
        iostate,
        newly_migrated: flags & FLAG_NEWLY_MIGRATED != 0,
        fin_queued: flags & FLAG_FIN_QUEUED != 0,
        fin_rcvd: flags & FLAG_FIN_RCVD != 0,
        connect_pending: flags & FLAG_CONNECT_PENDING != 0,
        errno: r.i32()?,
        ..SockVars::default()
    };
    vars.snd_una = r.u32()?;
    vars.snd_nxt = r.u32()?;
    vars.snd_wnd = r.u32()?;
    vars.iss = r.u32()?;
    vars.rcv_nxt = r.u32()?;
    vars.rcv_wnd = r.u32()?;
    vars.irs = r.u32()?;
    vars.deliver_nxt = r.u32()?;
    vars.prev_ack_sent = r.u32()?;
    vars.mig_epoch = r.u16()?;
    vars.rem_epoch = r.u16()?;
    let l1 = r.len32()?;
    let l2 = r.len32()?;
    let l3 = r.len32()?;
    // Check the lengths against the variables before touching the data, so
    // a huge bogus length is refused as inconsistent, not read.
    vars.check(l1, l2, l3)?;
    let unacked = r.take(l1)?;
    let unsent = r.take(l2)?;
    let undelivered = r.take(l3)?;
    Ok((
        SockRecord {
            vars,
            unacked,
            unsent,
            undelivered,
        },
        r.b,
    ))
}

/// Decodes one whole message; `buf` must be exactly its length.
pub fn decode(buf: &[u8]) -> Result<Msg<'_>, MsgError> {
    let len = frame_len(buf)?;
    if len != buf.len() {
        return Err(MsgError::BadLength);
    }
    let ty = buf
        .get(3)
        .copied()
        .and_then(MsgType::from_u8)
        .ok_or(MsgError::BadType)?;
    let body = buf.get(HDR_LEN..).ok_or(MsgError::Short)?;
    Ok(match ty {
        MsgType::MigAcked => {
            if body.len() != MIGACKED_LEN {
                return Err(MsgError::BadLength);
            }
            let mut r = Rd { b: body };
            let m = Msg::MigAcked(MigAcked {
                key: SockKey {
                    local_port: r.u16()?,
                    rem_port: r.u16()?,
                    local_hnode: r.u16()?,
                    rem_hnode: r.u16()?,
                },
                pid: r.i32()?,
                fd: r.i32()?,
                epoch: r.u16()?,
            });
            if r.u16()? != 0 {
                return Err(MsgError::Reserved);
            }
            m
        }
        MsgType::MigListen => Msg::MigListen(parse_listen(body)?),
        MsgType::OpenListen => Msg::OpenListen(parse_listen(body)?),
        MsgType::CloseListen => Msg::CloseListen(parse_listen(body)?),
        MsgType::MigBack => {
            if body.len() != PROC_LEN {
                return Err(MsgError::BadLength);
            }
            let mut r = Rd { b: body };
            let hnode = r.u16()?;
            let prev_node = r.u16()?;
            let new_node = r.u16()?;
            if r.u16()? != 0 {
                return Err(MsgError::Reserved);
            }
            Msg::MigBack(ProcHdr {
                hnode,
                prev_node,
                new_node,
                pid: r.i32()?,
            })
        }
        MsgType::MigToYou => {
            let mut r = Rd { b: body };
            let hnode = r.u16()?;
            let prev_node = r.u16()?;
            let new_node = r.u16()?;
            let count = usize::from(r.u16()?);
            let pid = r.i32()?;
            if count > MAX_SOCKS {
                return Err(MsgError::BadCount);
            }
            let records = r.b;
            let mut rest = records;
            for _ in 0..count {
                rest = parse_record(rest)?.1;
            }
            if !rest.is_empty() {
                return Err(MsgError::BadLength);
            }
            Msg::MigToYou(MigToYou {
                proc_hdr: ProcHdr {
                    hnode,
                    prev_node,
                    new_node,
                    pid,
                },
                count,
                records,
            })
        }
    })
}

// ----- writing ---------------------------------------------------------------

struct Wr<'a> {
    b: &'a mut [u8],
    pos: usize,
}

impl Wr<'_> {
    fn bytes(&mut self, d: &[u8]) -> Result<(), MsgError> {
        let end = self.pos.checked_add(d.len()).ok_or(MsgError::NoSpace)?;
        copy_bytes(self.b.get_mut(self.pos..end).ok_or(MsgError::NoSpace)?, d);
        self.pos = end;
        Ok(())
    }
    fn u8(&mut self, v: u8) -> Result<(), MsgError> {
        self.bytes(&[v])
    }
    fn u16(&mut self, v: u16) -> Result<(), MsgError> {
        self.bytes(&v.to_be_bytes())
    }
    fn u32(&mut self, v: u32) -> Result<(), MsgError> {
        self.bytes(&v.to_be_bytes())
    }
    fn i32(&mut self, v: i32) -> Result<(), MsgError> {
        self.bytes(&v.to_be_bytes())
    }
    fn len32(&mut self, v: usize) -> Result<(), MsgError> {
        self.u32(u32::try_from(v).map_err(|_| MsgError::BadLength)?)
    }
    fn header(&mut self, ty: MsgType, len: usize) -> Result<(), MsgError> {
        self.u16(MAGIC)?;
        self.u8(VERSION)?;
        self.u8(ty as u8)?;
        self.len32(len)
    }
}

/// Encodes MIGACKED into `out`; returns the length.
pub fn encode_migacked(m: &MigAcked, out: &mut [u8]) -> Result<usize, MsgError> {
    let len = HDR_LEN.saturating_add(MIGACKED_LEN);
    let mut w = Wr { b: out, pos: 0 };
    w.header(MsgType::MigAcked, len)?;
    w.u16(m.key.local_port)?;
    w.u16(m.key.rem_port)?;
    w.u16(m.key.local_hnode)?;
    w.u16(m.key.rem_hnode)?;
    w.i32(m.pid)?;
    w.i32(m.fd)?;
    w.u16(m.epoch)?;
    w.u16(0)?;
    Ok(w.pos)
}

/// Encodes MIGBACK for process `p` into `out` (`HDR_LEN + PROC_LEN`).
pub fn encode_migback(p: &ProcHdr, out: &mut [u8]) -> Result<usize, MsgError> {
    let len = HDR_LEN.saturating_add(PROC_LEN);
    let mut w = Wr { b: out, pos: 0 };
    w.header(MsgType::MigBack, len)?;
    w.u16(p.hnode)?;
    w.u16(p.prev_node)?;
    w.u16(p.new_node)?;
    w.u16(0)?;
    w.i32(p.pid)?;
    Ok(w.pos)
}

/// Encodes MIGLISTEN, OPENLISTEN or CLOSELISTEN (`ty`) into `out`.
pub fn encode_listen(ty: MsgType, m: &ListenMsg, out: &mut [u8]) -> Result<usize, MsgError> {
    if !matches!(
        ty,
        MsgType::MigListen | MsgType::OpenListen | MsgType::CloseListen
    ) {
        return Err(MsgError::BadType);
    }
    let len = HDR_LEN.saturating_add(LISTEN_LEN);
    let mut w = Wr { b: out, pos: 0 };
    w.header(ty, len)?;
    w.u16(m.port)?;
    w.u16(m.hnode)?;
    w.i32(m.pid)?;
    w.i32(m.fd)?;
    w.u16(m.cnode)?;
    w.u16(m.epoch)?;
    Ok(w.pos)
}

/// Length of the MIGTOYOU record of `sock` (to size the message buffer).
pub fn record_len<B: Storage>(sock: &Sock<B>) -> usize {
    RECORD_LEN
        .saturating_add(sock.send_queued())
        .saturating_add(sock.readable())
}

/// Builds a MIGTOYOU in a caller buffer, one socket at a time (thesis
/// `msm_build_migtoyou_msg()`).
#[derive(Debug)]
pub struct MigToYouWriter<'a> {
    out: &'a mut [u8],
    pos: usize,
    count: u16,
}

impl<'a> MigToYouWriter<'a> {
    /// Starts a MIGTOYOU for process `p` in `out`.
    pub fn new(out: &'a mut [u8], p: &ProcHdr) -> Result<Self, MsgError> {
        let mut w = Wr { b: out, pos: 0 };
        w.header(MsgType::MigToYou, 0)?;
        w.u16(p.hnode)?;
        w.u16(p.prev_node)?;
        w.u16(p.new_node)?;
        w.u16(0)?;
        w.i32(p.pid)?;
        let pos = w.pos;
        Ok(MigToYouWriter { out, pos, count: 0 })
    }

    /// Appends a record from its parts; each queue may come in pieces.
    pub fn push_parts(
        &mut self,
        v: &SockVars,
        unacked: &[&[u8]],
        unsent: &[&[u8]],
        undelivered: &[&[u8]],
    ) -> Result<(), MsgError> {
        let total = |p: &[&[u8]]| p.iter().try_fold(0usize, |a, s| a.checked_add(s.len()));
        let l1 = total(unacked).ok_or(MsgError::BadLength)?;
        let l2 = total(unsent).ok_or(MsgError::BadLength)?;
        let l3 = total(undelivered).ok_or(MsgError::BadLength)?;
        v.check(l1, l2, l3)?;
        if usize::from(self.count) >= MAX_SOCKS {
            return Err(MsgError::BadCount);
        }
        let mut w = Wr {
            b: self.out,
            pos: self.pos,
        };
        let c = &v.conn;
        let o = &v.opts;
        w.i32(v.fd)?;
        w.i32(v.pid)?;
        for x in [
            c.local_port,
            c.rem_port,
            c.local_hnode,
            c.local_cnode,
            c.rem_hnode,
            c.rem_cnode,
        ] {
            w.u16(x)?;
        }
        w.u32(c.rem_cip)?;
        w.u32(o.file_flags)?;
        w.u32(o.rcvlowat)?;
        w.u32(o.rcvtimeo_ms)?;
        w.i32(o.linger_s)?;
        w.i32(o.linger2_s)?;
        w.u8(v.state)?;
        w.u8(v.iostate)?;
        let mut flags = 0u8;
        if v.newly_migrated {
            flags |= FLAG_NEWLY_MIGRATED;
        }
        if v.fin_queued {
            flags |= FLAG_FIN_QUEUED;
        }
        if v.fin_rcvd {
            flags |= FLAG_FIN_RCVD;
        }
        if v.connect_pending {
            flags |= FLAG_CONNECT_PENDING;
        }
        w.u8(flags)?;
        w.u8(0)?;
        w.i32(v.errno)?;
        for x in [
            v.snd_una,
            v.snd_nxt,
            v.snd_wnd,
            v.iss,
            v.rcv_nxt,
            v.rcv_wnd,
            v.irs,
            v.deliver_nxt,
            v.prev_ack_sent,
        ] {
            w.u32(x)?;
        }
        w.u16(v.mig_epoch)?;
        w.u16(v.rem_epoch)?;
        w.len32(l1)?;
        w.len32(l2)?;
        w.len32(l3)?;
        for p in unacked.iter().chain(unsent).chain(undelivered) {
            w.bytes(p)?;
        }
        if w.pos > MAX_MSG_LEN {
            return Err(MsgError::BadLength);
        }
        self.pos = w.pos;
        self.count = self.count.saturating_add(1);
        Ok(())
    }

    /// Appends the record of `sock` (its state and all its queues).
    pub fn push_sock<B: Storage>(&mut self, sock: &Sock<B>) -> Result<(), MsgError> {
        let (v, unacked, _unsent) = sock.save();
        let (a, b) = sock.send_queue();
        // Split the send queue (two ring pieces) at `unacked`.
        let (a1, a2) = a.split_at(unacked.min(a.len()));
        let (b1, b2) = b.split_at(unacked.saturating_sub(a.len()).min(b.len()));
        let (r1, r2) = sock.recv_queue();
        self.push_parts(&v, &[a1, b1], &[a2, b2], &[r1, r2])
    }

    /// Finishes the message; returns its length.
    pub fn finish(self) -> Result<usize, MsgError> {
        let len = u32::try_from(self.pos).map_err(|_| MsgError::BadLength)?;
        let at = self.out.get_mut(4..8).ok_or(MsgError::NoSpace)?;
        copy_bytes(at, &len.to_be_bytes());
        let at = self
            .out
            .get_mut(HDR_LEN.saturating_add(6)..HDR_LEN.saturating_add(8))
            .ok_or(MsgError::NoSpace)?;
        copy_bytes(at, &self.count.to_be_bytes());
        Ok(self.pos)
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
    use crate::mtcp::engine::{State, MTIO_RD, MTIO_WR};
    use std::vec;

    fn vars() -> SockVars {
        SockVars {
            fd: 3,
            pid: 77,
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
                file_flags: 0x800,
                rcvlowat: 1,
                rcvtimeo_ms: 0,
                linger_s: -1,
                linger2_s: 60,
            },
            state: State::Established as u8,
            iostate: MTIO_RD | MTIO_WR,
            snd_una: 0xffff_fffe,
            snd_nxt: 3,
            snd_wnd: 8192,
            iss: 0xffff_fff0,
            rcv_nxt: 500,
            rcv_wnd: 4000,
            irs: 100,
            deliver_nxt: 490,
            prev_ack_sent: 500,
            ..SockVars::default()
        }
    }

    #[test]
    fn migback_round_trip_and_rejects() {
        let p = ProcHdr {
            hnode: 1,
            prev_node: 1,
            new_node: 3,
            pid: 42,
        };
        let mut b = [0u8; HDR_LEN + PROC_LEN];
        assert_eq!(encode_migback(&p, &mut b), Ok(HDR_LEN + PROC_LEN));
        assert_eq!(decode(&b), Ok(Msg::MigBack(p)));
        let mut bad = b;
        bad[HDR_LEN + 7] = 1; // reserved
        assert_eq!(decode(&bad), Err(MsgError::Reserved));
        assert_eq!(
            encode_migback(&p, &mut [0u8; HDR_LEN + PROC_LEN - 1]),
            Err(MsgError::NoSpace)
        );
    }

    #[test]
    fn migtoyou_round_trip() {
        let mut buf = vec![0u8; 1024];
        let p = ProcHdr {
            hnode: 1,
            prev_node: 2,
            new_node: 3,
            pid: 77,
        };
        let mut w = MigToYouWriter::new(&mut buf, &p).unwrap();
        w.push_parts(&vars(), &[b"ab", b"cde"], &[b"xyz"], &[b"0123456789"])
            .unwrap();
        let mut v2 = vars();
        v2.fd = 4;
        v2.state = State::CloseWait as u8;
        v2.fin_rcvd = true;
        v2.deliver_nxt = 499;
        v2.snd_nxt = v2.snd_una;
        w.push_parts(&v2, &[], &[], &[]).unwrap();
        let n = w.finish().unwrap();
        assert_eq!(n, HDR_LEN + PROC_LEN + 2 * RECORD_LEN + 18);
        let Msg::MigToYou(m) = decode(&buf[..n]).unwrap() else {
            panic!()
        };
        assert_eq!(m.proc_hdr, p);
        assert_eq!(m.count(), 2);
        let recs: std::vec::Vec<_> = m.records().collect();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].vars, vars());
        assert_eq!(recs[0].unacked, b"abcde");
        assert_eq!(recs[0].unsent, b"xyz");
        assert_eq!(recs[0].undelivered, b"0123456789");
        assert_eq!(recs[1].vars, v2);
        // Every truncation is refused.
        for cut in 0..n {
            assert!(decode(&buf[..cut]).is_err());
        }
    }

    #[test]
    fn inconsistent_records_are_refused() {
        let mut buf = vec![0u8; 1024];
        let p = ProcHdr::default();
        type Case = (fn(&mut SockVars), VarsError);
        let cases: [Case; 7] = [
            (|v| v.state = 11, VarsError::BadState),
            (|v| v.state = State::SynSent as u8, VarsError::BadState),
            (|v| v.iostate = 4, VarsError::BadIostate),
            (|v| v.errno = 9999, VarsError::BadErrno),
            (|v| v.snd_wnd = 0, VarsError::BadWindow),
            (|v| v.snd_nxt = 9, VarsError::BadQueues),
            (|v| v.fin_rcvd = true, VarsError::BadSequence),
        ];
        for (f, e) in cases {
            let mut v = vars();
            f(&mut v);
            let mut w = MigToYouWriter::new(&mut buf, &p).unwrap();
            assert_eq!(
                w.push_parts(&v, &[b"abcde"], &[b"xyz"], &[b"0123456789"]),
                Err(MsgError::BadRecord(e))
            );
        }
    }

    #[test]
    fn small_messages_round_trip() {
        let mut buf = [0u8; 64];
        let a = MigAcked {
            key: SockKey {
                local_port: 1,
                rem_port: 2,
                local_hnode: 3,
                rem_hnode: 4,
            },
            pid: -5,
            fd: 6,
            epoch: 7,
        };
        let n = encode_migacked(&a, &mut buf).unwrap();
        assert_eq!(decode(&buf[..n]), Ok(Msg::MigAcked(a)));
        let mut bad = buf;
        bad[n - 1] = 1;
        assert_eq!(decode(&bad[..n]), Err(MsgError::Reserved));
        let l = ListenMsg {
            port: 1000,
            hnode: 1,
            pid: 42,
            fd: 3,
            cnode: 2,
            epoch: 1,
        };
        for (t, want) in [
            (MsgType::MigListen, Msg::MigListen(l)),
            (MsgType::OpenListen, Msg::OpenListen(l)),
            (MsgType::CloseListen, Msg::CloseListen(l)),
        ] {
            let n = encode_listen(t, &l, &mut buf).unwrap();
            assert_eq!(frame_len(&buf[..HDR_LEN]), Ok(n));
            assert_eq!(decode(&buf[..n]), Ok(want));
        }
        assert_eq!(
            encode_listen(MsgType::MigAcked, &l, &mut buf),
            Err(MsgError::BadType)
        );
        assert_eq!(
            encode_listen(MsgType::OpenListen, &l, &mut buf[..10]),
            Err(MsgError::NoSpace)
        );
    }

    #[test]
    fn bad_headers() {
        let mut buf = [0u8; 64];
        let n = encode_listen(MsgType::OpenListen, &ListenMsg::default(), &mut buf).unwrap();
        let mut b = buf;
        b[0] = 0;
        assert_eq!(decode(&b[..n]), Err(MsgError::BadMagic));
        let mut b = buf;
        b[2] = 1;
        assert_eq!(decode(&b[..n]), Err(MsgError::BadVersion));
        let mut b = buf;
        b[3] = 9;
        assert_eq!(decode(&b[..n]), Err(MsgError::BadType));
        assert_eq!(decode(&buf[..n + 1]), Err(MsgError::BadLength));
        let mut b = buf;
        b[4] = 0xff;
        assert_eq!(frame_len(&b[..8]), Err(MsgError::BadLength));
        assert_eq!(frame_len(&b[..7]), Err(MsgError::Short));
        // A MIGTOYOU claiming too many sockets.
        let mut big = [0u8; 20];
        let w = MigToYouWriter::new(&mut big, &ProcHdr::default()).unwrap();
        assert_eq!(w.finish(), Ok(20));
        big[14] = 0xff;
        assert_eq!(decode(&big), Err(MsgError::BadCount));
        big[14] = 0;
        big[15] = 1;
        assert_eq!(decode(&big), Err(MsgError::Short));
    }
}
