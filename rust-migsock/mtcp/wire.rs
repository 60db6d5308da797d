// SPDX-License-Identifier: GPL-2.0

//! The MTCP header: layout, parser, writer and checksum.
//!
//! MTCP's header is the TCP header with two 16-bit fields inserted after the
//! ports: the home nodes of the sending and of the receiving process (thesis
//! figures 3.2 and 4.7). All fields are in network byte order:
//!
//! ```text
//!  0               1               2               3
//!  +---------------+---------------+---------------+---------------+
//!  |          source port          |       destination port        |  0
//!  |        source home node       |     destination home node     |  4
//!  |                        sequence number                        |  8
//!  |                     acknowledgment number                     | 12
//!  | doff  | rsvd  |    flags      |            window             | 16
//!  |           checksum            |        urgent pointer         | 20
//!  |                    options (doff * 4 - 24 bytes)              | 24
//! ```
//!
//! The only option MTCP understands is the migration option (kind 253, RFC
//! 6994 experiment id `"MS"`, length 12) carrying the node a socket now lives
//! on, its migration epoch and the peer's epoch it has seen; see
//! `docs/mtcp-wire.md`. Other options are
//! skipped, malformed ones rejected.
//!
//! The checksum is the Internet checksum (ones'-complement sum of 16-bit
//! words) over header and data with the checksum field taken as zero. There
//! is no pseudo-header: MTCP travels inside UDP, whose own addressing is
//! checked by the caller. As in the thesis, segments between two sockets on
//! the same node are neither checksummed nor verified.

use super::copy_bytes;

/// Length of the MTCP header without options.
pub const HEADER_LEN: usize = 24;
/// Smallest valid data offset (in 32-bit words).
pub const MIN_DOFF: u8 = 6;
/// Largest header length a data offset can express.
pub const MAX_HEADER_LEN: usize = 60;
/// Largest segment (header and data) accepted or produced.
pub const MAX_SEGMENT: usize = 65535;
/// Option kind of the migration option (RFC 4727 experimental kind).
pub const OPT_KIND_MIG: u8 = 253;
/// Length of the migration option.
pub const OPT_LEN_MIG: usize = 12;
/// RFC 6994 experiment identifier of the migration option: `"MS"`.
pub const OPT_EXID_MIG: u16 = 0x4d53;
/// Offset of the checksum field in the header.
pub const CKSUM_OFFSET: usize = 20;

/// Why a byte slice is not a valid MTCP segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// Fewer bytes than the fixed header (or than the output needs).
    Short,
    /// The data offset is below 6 words or beyond the end of the buffer.
    BadDataOffset,
    /// An option's length runs past the end of the header.
    OptionsPastEnd,
    /// An option has an impossible length, or a known option a wrong one.
    BadOption,
    /// The checksum does not match.
    BadChecksum,
    /// The segment is longer than [`MAX_SEGMENT`].
    TooLong,
}

/// The header flags (byte 13 of a TCP header, byte 17 of an MTCP header).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags(pub u8);

impl Flags {
    /// No more data from the sender.
    pub const FIN: Flags = Flags(0x01);
    /// Synchronize sequence numbers.
    pub const SYN: Flags = Flags(0x02);
    /// Reset the connection.
    pub const RST: Flags = Flags(0x04);
    /// Push (ignored by MTCP).
    pub const PSH: Flags = Flags(0x08);
    /// The acknowledgment number is significant.
    pub const ACK: Flags = Flags(0x10);
    /// Urgent pointer significant (not supported by MTCP; ignored).
    pub const URG: Flags = Flags(0x20);
    /// No flag.
    pub const NONE: Flags = Flags(0);

    /// Does `self` contain every flag of `other`?
    #[inline]
    pub const fn has(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The union of two flag sets.
    #[inline]
    pub const fn with(self, other: Flags) -> Flags {
        Flags(self.0 | other.0)
    }

    /// `self` without the flags of `other`.
    #[inline]
    pub const fn without(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }

    /// FIN set?
    #[inline]
    pub const fn fin(self) -> bool {
        self.has(Flags::FIN)
    }
    /// SYN set?
    #[inline]
    pub const fn syn(self) -> bool {
        self.has(Flags::SYN)
    }
    /// RST set?
    #[inline]
    pub const fn rst(self) -> bool {
        self.has(Flags::RST)
    }
    /// ACK set?
    #[inline]
    pub const fn ack(self) -> bool {
        self.has(Flags::ACK)
    }
}

/// The migration option: "the socket you are talking to now lives on `node`,
/// and has migrated `epoch` times".
///
/// A socket that has migrated carries it on every segment it sends; the old
/// node's leftover copy of a migrated socket sends it alone as the thesis's
/// "migration signal" (see [`super::route`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MigOpt {
    /// The node the sending socket is on now.
    pub node: u16,
    /// How often the sending socket has migrated (wrapping).
    pub epoch: u16,
    /// The latest epoch of the receiving socket the sender knows of: the
    /// acknowledgment of a migration (0 in a migration signal).
    pub echo: u16,
    /// The sender migrated and has not seen its epoch echoed yet: the
    /// receiver should answer with an ACK at once.
    pub req: bool,
}

/// Bit of the migration option's flags byte: [`MigOpt::req`].
pub const MIG_FLAG_REQ: u8 = 1;

/// A decoded MTCP header (thesis `struct mtcp_hdr`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Home node of the sending process.
    pub shnode: u16,
    /// Home node of the receiving process.
    pub dhnode: u16,
    /// Sequence number of the first octet (or of the SYN).
    pub seq: u32,
    /// Next sequence number expected by the sender, if [`Flags::ACK`].
    pub ack: u32,
    /// Header flags.
    pub flags: Flags,
    /// Receive window of the sender.
    pub window: u16,
    /// Checksum as found in (or to write to) the header.
    pub cksum: u16,
    /// Urgent pointer (unused by MTCP; carried through).
    pub urgptr: u16,
    /// The migration option, if present.
    pub mig: Option<MigOpt>,
}

impl Header {
    /// Length of this header on the wire, options included.
    pub const fn len(&self) -> usize {
        if self.mig.is_some() {
            HEADER_LEN + OPT_LEN_MIG
        } else {
            HEADER_LEN
        }
    }

    /// Headers are never empty; provided for API symmetry with `len`.
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// Writes the header (with `self.cksum` as is) to the front of `out` and
    /// returns its length.
    pub fn write(&self, out: &mut [u8]) -> Result<usize, WireError> {
        let len = self.len();
        let out = out.get_mut(..len).ok_or(WireError::Short)?;
        let mut w = Writer { buf: out, pos: 0 };
        w.u16(self.sport);
        w.u16(self.dport);
        w.u16(self.shnode);
        w.u16(self.dhnode);
        w.u32(self.seq);
        w.u32(self.ack);
        // len <= 32, so the word count fits a nibble.
        w.u8(((len / 4) as u8) << 4);
        w.u8(self.flags.0);
        w.u16(self.window);
        w.u16(self.cksum);
        w.u16(self.urgptr);
        if let Some(m) = self.mig {
            w.u8(OPT_KIND_MIG);
            w.u8(OPT_LEN_MIG as u8);
            w.u16(OPT_EXID_MIG);
            w.u16(m.node);
            w.u16(m.epoch);
            w.u16(m.echo);
            w.u8(if m.req { MIG_FLAG_REQ } else { 0 });
            w.u8(0);
        }
        Ok(len)
    }
}

/// A parsed segment: the header and the data that follows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The header.
    pub hdr: Header,
    /// The data after the header (and its options).
    pub payload: &'a [u8],
}

impl Segment<'_> {
    /// Length in sequence space: data plus one each for SYN and FIN.
    pub fn seqlen(&self) -> u32 {
        seqlen(self.hdr.flags, self.payload.len())
    }
}

/// Sequence length of a segment with `flags` and `datalen` bytes of data.
///
/// Data lengths are bounded by [`MAX_SEGMENT`] for parsed segments; larger
/// values saturate instead of wrapping.
pub fn seqlen(flags: Flags, datalen: usize) -> u32 {
    let d = u32::try_from(datalen).unwrap_or(u32::MAX);
    d.saturating_add(u32::from(flags.syn()))
        .saturating_add(u32::from(flags.fin()))
}

struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl Writer<'_> {
    fn u8(&mut self, v: u8) {
        if let Some(b) = self.buf.get_mut(self.pos) {
            *b = v;
        }
        self.pos = self.pos.saturating_add(1);
    }
    fn u16(&mut self, v: u16) {
        for b in v.to_be_bytes() {
            self.u8(b);
        }
    }
    fn u32(&mut self, v: u32) {
        for b in v.to_be_bytes() {
            self.u8(b);
        }
    }
}

fn be16(buf: &[u8], at: usize) -> Option<u16> {
    let b = buf.get(at..at.checked_add(2)?)?;
    Some(u16::from_be_bytes([*b.first()?, *b.get(1)?]))
}

fn be32(buf: &[u8], at: usize) -> Option<u32> {
    let b = buf.get(at..at.checked_add(4)?)?;
    let mut a = [0u8; 4];
    copy_bytes(&mut a, b);
    Some(u32::from_be_bytes(a))
}

/// Parses a segment without verifying the checksum.
pub fn parse(buf: &[u8]) -> Result<Segment<'_>, WireError> {
    if buf.len() > MAX_SEGMENT {
        return Err(WireError::TooLong);
    }
    if buf.len() < HEADER_LEN {
        return Err(WireError::Short);
    }
    let f = |at| be16(buf, at).ok_or(WireError::Short);
    let g = |at| be32(buf, at).ok_or(WireError::Short);
    let offs = buf.get(16).copied().ok_or(WireError::Short)?;
    let doff = offs >> 4;
    if doff < MIN_DOFF {
        return Err(WireError::BadDataOffset);
    }
    let hlen = usize::from(doff) * 4;
    let (head, payload) = if hlen <= buf.len() {
        buf.split_at(hlen)
    } else {
        return Err(WireError::BadDataOffset);
    };
    let mig = parse_options(head.get(HEADER_LEN..).unwrap_or(&[]))?;
    Ok(Segment {
        hdr: Header {
            sport: f(0)?,
            dport: f(2)?,
            shnode: f(4)?,
            dhnode: f(6)?,
            seq: g(8)?,
            ack: g(12)?,
            flags: Flags(buf.get(17).copied().ok_or(WireError::Short)?),
            window: f(18)?,
            cksum: f(20)?,
            urgptr: f(22)?,
            mig,
        },
        payload,
    })
}

/// Parses a segment and, if `verify` (the sender is on another node),
/// checks its checksum.
pub fn parse_checked(buf: &[u8], verify: bool) -> Result<Segment<'_>, WireError> {
    let seg = parse(buf)?;
    if verify && checksum(buf) != seg.hdr.cksum {
        return Err(WireError::BadChecksum);
    }
    Ok(seg)
}

fn parse_options(mut opts: &[u8]) -> Result<Option<MigOpt>, WireError> {
    let mut mig = None;
    while let Some((&kind, rest)) = opts.split_first() {
        match kind {
            0 => break,
            1 => opts = rest,
            _ => {
                let len = usize::from(*rest.first().ok_or(WireError::OptionsPastEnd)?);
                if len < 2 {
                    return Err(WireError::BadOption);
                }
                let (opt, next) = if len <= opts.len() {
                    opts.split_at(len)
                } else {
                    return Err(WireError::OptionsPastEnd);
                };
                if kind == OPT_KIND_MIG && be16(opt, 2) == Some(OPT_EXID_MIG) {
                    if len != OPT_LEN_MIG || mig.is_some() {
                        return Err(WireError::BadOption);
                    }
                    mig = Some(MigOpt {
                        node: be16(opt, 4).ok_or(WireError::BadOption)?,
                        epoch: be16(opt, 6).ok_or(WireError::BadOption)?,
                        echo: be16(opt, 8).ok_or(WireError::BadOption)?,
                        req: opt.get(10).is_some_and(|f| f & MIG_FLAG_REQ != 0),
                    });
                }
                opts = next;
            }
        }
    }
    Ok(mig)
}

/// Ones'-complement sum of `data` as big-endian 16-bit words, folded, not
/// complemented, starting from `sum`.
fn sum16(sum: u32, data: &[u8]) -> u32 {
    // One's complement sum of 16-bit big-endian words (RFC 1071), eight
    // bytes at a time: a 32-bit word is congruent to the sum of its two
    // halves modulo 0xffff, so 32-bit halves summed into 64 bits and folded
    // at the end give the same checksum.  A segment is far too short for
    // the 64-bit sum to overflow.
    let mut acc = u64::from(sum);
    let mut wide = data.chunks_exact(8);
    for c in &mut wide {
        let w = <[u8; 8]>::try_from(c).map_or(0, u64::from_be_bytes);
        acc = acc.wrapping_add(w >> 32).wrapping_add(w & 0xffff_ffff);
    }
    let mut pairs = wide.remainder().chunks_exact(2);
    for c in &mut pairs {
        let w = <[u8; 2]>::try_from(c).map_or(0, u16::from_be_bytes);
        acc = acc.wrapping_add(u64::from(w));
    }
    if let Some(&last) = pairs.remainder().first() {
        acc = acc.wrapping_add(u64::from(last) << 8);
    }
    while acc >> 16 != 0 {
        acc = (acc & 0xffff).wrapping_add(acc >> 16);
    }
    acc as u32
}

/// Checksum of a whole segment (header and data) with the checksum field
/// taken as zero (thesis `ms_cksum_calc()`).
pub fn checksum(segment: &[u8]) -> u16 {
    let head = segment.get(..CKSUM_OFFSET).unwrap_or(segment);
    let tail = segment.get(CKSUM_OFFSET.saturating_add(2)..).unwrap_or(&[]);
    let s = sum16(sum16(0, head), tail);
    !((s & 0xffff) as u16)
}

/// Computes the checksum of `segment` and stores it in its header.
pub fn set_checksum(segment: &mut [u8]) -> Result<(), WireError> {
    let c = checksum(segment);
    let f = segment
        .get_mut(CKSUM_OFFSET..CKSUM_OFFSET.saturating_add(2))
        .ok_or(WireError::Short)?;
    copy_bytes(f, &c.to_be_bytes());
    Ok(())
}

/// Writes header and payload to `out`, with a checksum if `cksum` (the
/// receiver is on another node) and zero otherwise; returns the length.
pub fn encode(
    hdr: &Header,
    payload: &[u8],
    out: &mut [u8],
    cksum: bool,
) -> Result<usize, WireError> {
    let hlen = hdr.len();
    let total = hlen.checked_add(payload.len()).ok_or(WireError::TooLong)?;
    if total > MAX_SEGMENT {
        return Err(WireError::TooLong);
    }
    let out = out.get_mut(..total).ok_or(WireError::Short)?;
    let mut h = *hdr;
    h.cksum = 0;
    h.write(out)?;
    copy_bytes(out.get_mut(hlen..).ok_or(WireError::Short)?, payload);
    if cksum {
        set_checksum(out)?;
    }
    Ok(total)
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

    fn sample() -> Header {
        Header {
            sport: 1001,
            dport: 1000,
            shnode: 2,
            dhnode: 3,
            seq: 0xdead_beef,
            ack: 0x0102_0304,
            flags: Flags::ACK.with(Flags::PSH),
            window: 4096,
            cksum: 0,
            urgptr: 0,
            mig: None,
        }
    }

    #[test]
    fn layout_is_tcp_plus_home_nodes() {
        let mut b = [0u8; 64];
        let n = encode(&sample(), b"hi", &mut b, false).unwrap();
        assert_eq!(n, 26);
        assert_eq!(&b[..8], &[0x03, 0xe9, 0x03, 0xe8, 0, 2, 0, 3]);
        assert_eq!(&b[8..16], &[0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4]);
        assert_eq!(b[16], 6 << 4);
        assert_eq!(b[17], 0x18);
        assert_eq!(&b[18..20], &[0x10, 0]);
        assert_eq!(&b[24..26], b"hi");
    }

    #[test]
    fn round_trip_with_option_and_checksum() {
        let mut h = sample();
        h.mig = Some(MigOpt {
            node: 7,
            epoch: 3,
            echo: 2,
            req: true,
        });
        let mut b = [0u8; 128];
        let n = encode(&h, b"payload", &mut b, true).unwrap();
        assert_eq!(b[16] >> 4, 9);
        let s = parse_checked(&b[..n], true).unwrap();
        assert_eq!(s.payload, b"payload");
        let mut want = h;
        want.cksum = s.hdr.cksum;
        assert_eq!(s.hdr, want);
        assert_eq!(s.seqlen(), 7);
        // Any flipped bit is caught.
        for i in 0..n {
            let mut c = b;
            c[i] ^= 0x40;
            assert!(parse_checked(&c[..n], true).is_err(), "byte {i}");
        }
        // ... but not when both ends are on the same node.
        b[30] ^= 1;
        assert!(parse_checked(&b[..n], false).is_ok());
    }

    #[test]
    fn malformed_inputs_are_typed() {
        let mut b = [0u8; 64];
        let n = encode(&sample(), &[], &mut b, false).unwrap();
        assert_eq!(parse(&b[..n - 1]), Err(WireError::Short));
        let mut c = b;
        c[16] = 5 << 4;
        assert_eq!(parse(&c[..n]), Err(WireError::BadDataOffset));
        c[16] = 7 << 4;
        assert_eq!(parse(&c[..n]), Err(WireError::BadDataOffset));
        // Options: length running past the header.
        c[24..28].copy_from_slice(&[1, 30, 5, 0]);
        assert_eq!(parse(&c[..28]), Err(WireError::OptionsPastEnd));
        c[24..28].copy_from_slice(&[1, 1, 1, 9]);
        assert_eq!(parse(&c[..28]), Err(WireError::OptionsPastEnd));
        c[24..28].copy_from_slice(&[9, 1, 0, 0]);
        assert_eq!(parse(&c[..28]), Err(WireError::BadOption));
        // Unknown option skipped, EOL stops.
        c[24..28].copy_from_slice(&[9, 2, 0, 0xff]);
        assert_eq!(parse(&c[..28]).unwrap().hdr.mig, None);
        // A migration option of the wrong length.
        c[16] = 9 << 4;
        let mut d = [0u8; 36];
        d[..24].copy_from_slice(&c[..24]);
        d[24..36].copy_from_slice(&[253, 8, 0x4d, 0x53, 0, 1, 0, 0, 1, 1, 1, 1]);
        assert_eq!(parse(&d), Err(WireError::BadOption));
        d[24..36].copy_from_slice(&[253, 12, 0x4d, 0x53, 0, 9, 0, 1, 0, 4, 0, 0]);
        assert_eq!(
            parse(&d).unwrap().hdr.mig,
            Some(MigOpt {
                node: 9,
                epoch: 1,
                echo: 4,
                req: false,
            })
        );
        // Two of them.
        let mut e = [0u8; 48];
        e[..36].copy_from_slice(&d);
        e[16] = 12 << 4;
        e[36..48].copy_from_slice(&d[24..36]);
        assert_eq!(parse(&e), Err(WireError::BadOption));
        // Another experiment under kind 253 is skipped.
        d[26] = 0x12;
        assert_eq!(parse(&d).unwrap().hdr.mig, None);
        let big = [0u8; MAX_SEGMENT + 1];
        assert_eq!(parse(&big), Err(WireError::TooLong));
    }

    #[test]
    fn wide_sum_matches_word_by_word() {
        fn reference(data: &[u8]) -> u32 {
            let mut sum = 0u32;
            for c in data.chunks(2) {
                let w = u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0));
                sum += w;
                sum = (sum & 0xffff) + (sum >> 16);
            }
            sum
        }
        let mut x = 0x1234_5678u32;
        let mut data = [0u8; 1500];
        for b in data.iter_mut() {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
            *b = (x >> 24) as u8;
        }
        for len in (0..64).chain([255, 256, 1023, 1400, 1499, 1500]) {
            assert_eq!(sum16(0, &data[..len]), reference(&data[..len]), "len {len}");
        }
        assert_eq!(sum16(0, &[0xff; 1400]), reference(&[0xff; 1400]));
        assert_eq!(sum16(0, &[0; 9]), 0);
    }

    #[test]
    fn checksum_known_vector() {
        // RFC 1071 example words 0001 f203 f4f5 f6f7 sum to ddf2 (~ = 220d),
        // placed outside the checksum field.
        let mut b = [0u8; 32];
        b[24..32].copy_from_slice(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]);
        assert_eq!(checksum(&b), 0x220d);
        // Odd length pads with zero.
        assert_eq!(checksum(&[0u8; 21]), 0xffff);
        set_checksum(&mut b).unwrap();
        assert_eq!(u16::from_be_bytes([b[20], b[21]]), 0x220d);
    }

    #[test]
    fn output_too_small() {
        let mut b = [0u8; 10];
        assert_eq!(encode(&sample(), &[], &mut b, false), Err(WireError::Short));
        assert_eq!(sample().write(&mut b), Err(WireError::Short));
    }
}
