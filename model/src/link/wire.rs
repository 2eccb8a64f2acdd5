//! The frame formats: request and response headers and payloads, their bytes on the wire, and
//! the constants of the protocol (`docs/link.md`).

use crate::{AccRows, Codebook, CodebookKind};
use ndarray::{Array1, Array2};

/// First two bytes of a request ("LA").
pub const REQ_MAGIC: [u8; 2] = *b"LA";
/// First two bytes of a response ("AL").
pub const RSP_MAGIC: [u8; 2] = *b"AL";
/// Protocol version carried in every frame.
pub const VERSION: u8 = 1;
/// Request header bytes, its CRC included.
pub const REQ_HEADER_LEN: usize = 44;
/// Response header bytes, its CRC included.
pub const RSP_HEADER_LEN: usize = 24;
/// Bytes of one accumulator on the wire (two's complement, sign-extended).
pub const ACC_BYTES: usize = 5;
/// The octave codebook's weights `w[1..8]` (`2^(c-1)`), the only ones an octave board computes
/// with.
pub const OCTAVE_WEIGHTS: [u16; 7] = [1, 2, 4, 8, 16, 32, 64];
/// Sequence number of a response to a header that failed its CRC (the real one is unknown).
pub const SEQ_UNKNOWN: u16 = 0xFFFF;

/// CRC-32 (IEEE, reflected, as zlib and Ethernet).
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// What a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// A whole head from integer Q, K, V (the on-chip front end).
    Head = 1,
    /// Codes and V (the AttnV core alone).
    Codes = 2,
    /// The board's configuration.
    Info = 3,
}

impl Kind {
    pub(super) fn from_u8(b: u8) -> Option<Self> {
        match b {
            1 => Some(Kind::Head),
            2 => Some(Kind::Codes),
            3 => Some(Kind::Info),
            _ => None,
        }
    }
}

/// A response's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Status {
    /// Done; the payload holds the result.
    Ok = 0,
    /// The frame's CRC failed: nothing was computed.
    BadCrc = 1,
    /// The header failed its CRC, or names an unknown version or kind.
    BadHeader = 2,
    /// n, rows, d, bits or the payload length exceed what the board is built for.
    Overflow = 3,
    /// A well-formed request the board cannot serve (another codebook's front end, a kind it
    /// lacks).
    Unsupported = 4,
}

impl Status {
    pub(super) fn from_u8(b: u8) -> Option<Self> {
        match b {
            0 => Some(Status::Ok),
            1 => Some(Status::BadCrc),
            2 => Some(Status::BadHeader),
            3 => Some(Status::Overflow),
            4 => Some(Status::Unsupported),
            _ => None,
        }
    }
}

/// The codebook a board's front end compares against, on the wire: the log codebook's
/// threshold as f32 bits, or 0 for the octave codebook.
pub fn codebook_tag(cb: &Codebook) -> u32 {
    match cb.kind() {
        CodebookKind::Octave => 0,
        CodebookKind::Log => (cb.threshold() as f32).to_bits(),
    }
}

/// A [`codebook_tag`] in words.
pub fn describe_tag(tag: u32) -> String {
    if tag == 0 {
        "the octave codebook".into()
    } else {
        format!("the log codebook with t = {}", f32::from_bits(tag))
    }
}

/// A head's integer inputs (what the front end takes; `docs/numerics.md` §6.1).
#[derive(Clone, Debug, PartialEq)]
pub struct HeadPayload {
    /// Kq `[n, d]`.
    pub kq: Array2<i8>,
    /// Key multipliers (n).
    pub mk: Vec<u16>,
    /// Vq `[n, d]`.
    pub vq: Array2<i8>,
    /// Qq `[rows, d]`.
    pub qq: Array2<i8>,
    /// Query multipliers (rows).
    pub mq: Vec<u16>,
    /// The head's right shift, 0..=63.
    pub shift: u8,
    /// Keys at or past this are masked.
    pub valid_len: u16,
}

/// Codes and V for the core alone.
#[derive(Clone, Debug, PartialEq)]
pub struct CodesPayload {
    /// Vq `[n, d]`.
    pub vq: Array2<i8>,
    /// Codes `[rows, n]`, each below 8.
    pub codes: Array2<u8>,
}

/// What a request carries.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    Head(HeadPayload),
    Codes(CodesPayload),
    Info,
}

/// A request frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Echoed by the response.
    pub seq: u16,
    /// Code width k.
    pub bits: u8,
    /// The codebook's integer weights `w[0..8]` (`w[0]` is ignored).
    pub weights: [u16; 8],
    /// [`codebook_tag`] of the codebook the codes (or the board's front end) use.
    pub codebook: u32,
    pub payload: Payload,
}

impl Request {
    /// A head job for a board whose front end uses `codebook` (its k, integer weights and tag).
    pub fn head(seq: u16, codebook: &Codebook, payload: HeadPayload) -> Self {
        let w = codebook.weights().w;
        Self {
            seq,
            bits: codebook.bits() as u8,
            weights: std::array::from_fn(|i| w.get(i).map_or(0, |&x| x as u16)),
            codebook: codebook_tag(codebook),
            payload: Payload::Head(payload),
        }
    }

    /// An info request.
    pub fn info(seq: u16) -> Self {
        Self {
            seq,
            bits: 0,
            weights: [0; 8],
            codebook: 0,
            payload: Payload::Info,
        }
    }
}

/// The fixed fields of a request header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestHeader {
    pub kind: Kind,
    pub seq: u16,
    pub n: u16,
    pub rows: u16,
    pub d: u16,
    pub bits: u8,
    pub shift: u8,
    pub valid_len: u16,
    pub weights: [u16; 8],
    pub codebook: u32,
    pub payload_len: u32,
}

/// Payload bytes of a head of `n` keys, `rows` queries, `d` lanes: K rows with their
/// multipliers, V rows, Q rows with theirs.
pub fn head_payload_len(n: usize, rows: usize, d: usize) -> usize {
    n * (d + 2) + n * d + rows * (d + 2)
}

/// Payload bytes of a codes job: V rows, then each row's codes, 16 per 6-byte beat.
pub fn codes_payload_len(n: usize, rows: usize, d: usize) -> usize {
    n * d + rows * n.div_ceil(16) * 6
}

impl RequestHeader {
    fn encode(&self) -> [u8; REQ_HEADER_LEN] {
        let mut h = [0u8; REQ_HEADER_LEN];
        h[0..2].copy_from_slice(&REQ_MAGIC);
        h[2] = VERSION;
        h[3] = self.kind as u8;
        h[4..6].copy_from_slice(&self.seq.to_le_bytes());
        h[6..8].copy_from_slice(&self.n.to_le_bytes());
        h[8..10].copy_from_slice(&self.rows.to_le_bytes());
        h[10..12].copy_from_slice(&self.d.to_le_bytes());
        h[12] = self.bits;
        h[13] = self.shift;
        h[14..16].copy_from_slice(&self.valid_len.to_le_bytes());
        for (c, w) in self.weights.iter().enumerate() {
            h[16 + 2 * c..18 + 2 * c].copy_from_slice(&w.to_le_bytes());
        }
        h[32..36].copy_from_slice(&self.codebook.to_le_bytes());
        h[36..40].copy_from_slice(&self.payload_len.to_le_bytes());
        let crc = crc32(&h[..40]);
        h[40..44].copy_from_slice(&crc.to_le_bytes());
        h
    }

    /// Parses a header whose magic, version, kind and CRC are good.
    pub(super) fn decode(h: &[u8]) -> Option<Self> {
        if h[0..2] != REQ_MAGIC || h[2] != VERSION || crc32(&h[..40]) != le32(&h[40..44]) {
            return None;
        }
        let mut weights = [0u16; 8];
        for (c, w) in weights.iter_mut().enumerate() {
            *w = le16(&h[16 + 2 * c..]);
        }
        Some(Self {
            kind: Kind::from_u8(h[3])?,
            seq: le16(&h[4..]),
            n: le16(&h[6..]),
            rows: le16(&h[8..]),
            d: le16(&h[10..]),
            bits: h[12],
            shift: h[13],
            valid_len: le16(&h[14..]),
            weights,
            codebook: le32(&h[32..36]),
            payload_len: le32(&h[36..40]),
        })
    }
}

pub(super) fn le16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

pub(super) fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Why a request cannot be encoded.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncodeError {
    #[error("{0} does not fit the frame's 16-bit field")]
    TooLarge(String),
    #[error("inconsistent payload: {0}")]
    Inconsistent(String),
}

fn u16_of(v: usize, what: &str) -> Result<u16, EncodeError> {
    u16::try_from(v).map_err(|_| EncodeError::TooLarge(format!("{what} = {v}")))
}

impl Request {
    /// The header this request encodes to.
    pub fn header(&self) -> Result<RequestHeader, EncodeError> {
        let (kind, n, rows, d, shift, valid_len, len) = match &self.payload {
            Payload::Head(h) => {
                let (n, d) = h.kq.dim();
                let rows = h.qq.nrows();
                if h.vq.dim() != (n, d) || h.qq.ncols() != d {
                    return Err(EncodeError::Inconsistent(format!(
                        "K {:?}, V {:?} and Q {:?} must be [n, d], [n, d], [rows, d]",
                        h.kq.dim(),
                        h.vq.dim(),
                        h.qq.dim()
                    )));
                }
                if h.mk.len() != n || h.mq.len() != rows {
                    return Err(EncodeError::Inconsistent(format!(
                        "{} key and {} query multipliers for {n} keys and {rows} rows",
                        h.mk.len(),
                        h.mq.len()
                    )));
                }
                (
                    Kind::Head,
                    n,
                    rows,
                    d,
                    h.shift,
                    h.valid_len,
                    head_payload_len(n, rows, d),
                )
            }
            Payload::Codes(c) => {
                let (n, d) = c.vq.dim();
                let rows = c.codes.nrows();
                if c.codes.ncols() != n {
                    return Err(EncodeError::Inconsistent(format!(
                        "codes {:?} must be [rows, n] with V's n = {n}",
                        c.codes.dim()
                    )));
                }
                if let Some(&bad) = c.codes.iter().find(|&&x| x > 7) {
                    return Err(EncodeError::Inconsistent(format!("code {bad} exceeds 7")));
                }
                let n16 = u16_of(n, "n")?;
                (
                    Kind::Codes,
                    n,
                    rows,
                    d,
                    0,
                    n16,
                    codes_payload_len(n, rows, d),
                )
            }
            Payload::Info => (Kind::Info, 0, 0, 0, 0, 0, 0),
        };
        Ok(RequestHeader {
            kind,
            seq: self.seq,
            n: u16_of(n, "n")?,
            rows: u16_of(rows, "rows")?,
            d: u16_of(d, "d")?,
            bits: self.bits,
            shift,
            valid_len,
            weights: self.weights,
            codebook: self.codebook,
            payload_len: u32::try_from(len)
                .map_err(|_| EncodeError::TooLarge(format!("payload of {len} bytes")))?,
        })
    }

    /// The frame's bytes: header (with its CRC), payload, frame CRC.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let h = self.header()?;
        let mut out = Vec::with_capacity(REQ_HEADER_LEN + h.payload_len as usize + 4);
        out.extend_from_slice(&h.encode());
        match &self.payload {
            Payload::Head(p) => {
                for (row, &m) in p.kq.rows().into_iter().zip(&p.mk) {
                    out.extend(row.iter().map(|&x| x as u8));
                    out.extend_from_slice(&m.to_le_bytes());
                }
                out.extend(p.vq.iter().map(|&x| x as u8));
                for (row, &m) in p.qq.rows().into_iter().zip(&p.mq) {
                    out.extend(row.iter().map(|&x| x as u8));
                    out.extend_from_slice(&m.to_le_bytes());
                }
            }
            Payload::Codes(c) => {
                out.extend(c.vq.iter().map(|&x| x as u8));
                let n = c.codes.ncols();
                for row in c.codes.rows() {
                    for b in 0..n.div_ceil(16) {
                        let mut beat = 0u64;
                        for m in 0..16 {
                            if let Some(&code) = row.get(16 * b + m) {
                                beat |= (code as u64) << (3 * m);
                            }
                        }
                        out.extend_from_slice(&beat.to_le_bytes()[..6]);
                    }
                }
            }
            Payload::Info => {}
        }
        let crc = crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        Ok(out)
    }

    /// The request of a decoded frame (header and payload bytes).
    pub fn from_frame(h: &RequestHeader, payload: &[u8]) -> Result<Self, String> {
        let (n, rows, d) = (h.n as usize, h.rows as usize, h.d as usize);
        let payload = match h.kind {
            Kind::Head => {
                if payload.len() != head_payload_len(n, rows, d) {
                    return Err(format!(
                        "a head of n = {n}, rows = {rows}, d = {d} has {} payload bytes, not {}",
                        head_payload_len(n, rows, d),
                        payload.len()
                    ));
                }
                let mut at = 0;
                let mut rows_of = |count: usize| {
                    let mut a = Array2::<i8>::zeros((count, d));
                    let mut m = Vec::with_capacity(count);
                    for r in 0..count {
                        for l in 0..d {
                            a[[r, l]] = payload[at + l] as i8;
                        }
                        m.push(le16(&payload[at + d..]));
                        at += d + 2;
                    }
                    (a, m)
                };
                let (kq, mk) = rows_of(n);
                let vstart = n * (d + 2);
                let vq = Array2::from_shape_fn((n, d), |(j, l)| payload[vstart + j * d + l] as i8);
                let qstart = vstart + n * d;
                let mut qq = Array2::<i8>::zeros((rows, d));
                let mut mq = Vec::with_capacity(rows);
                for i in 0..rows {
                    let o = qstart + i * (d + 2);
                    for l in 0..d {
                        qq[[i, l]] = payload[o + l] as i8;
                    }
                    mq.push(le16(&payload[o + d..]));
                }
                Payload::Head(HeadPayload {
                    kq,
                    mk,
                    vq,
                    qq,
                    mq,
                    shift: h.shift,
                    valid_len: h.valid_len,
                })
            }
            Kind::Codes => {
                if payload.len() != codes_payload_len(n, rows, d) {
                    return Err(format!(
                        "a codes job of n = {n}, rows = {rows}, d = {d} has {} payload bytes, not {}",
                        codes_payload_len(n, rows, d),
                        payload.len()
                    ));
                }
                let vq = Array2::from_shape_fn((n, d), |(j, l)| payload[j * d + l] as i8);
                let words = n.div_ceil(16);
                let cstart = n * d;
                let codes = Array2::from_shape_fn((rows, n), |(i, j)| {
                    let o = cstart + (i * words + j / 16) * 6;
                    let mut b = [0u8; 8];
                    b[..6].copy_from_slice(&payload[o..o + 6]);
                    ((u64::from_le_bytes(b) >> (3 * (j % 16))) & 7) as u8
                });
                Payload::Codes(CodesPayload { vq, codes })
            }
            Kind::Info => {
                if !payload.is_empty() {
                    return Err(format!(
                        "an info request has no payload, not {} bytes",
                        payload.len()
                    ));
                }
                Payload::Info
            }
        };
        Ok(Self {
            seq: h.seq,
            bits: h.bits,
            weights: h.weights,
            codebook: h.codebook,
            payload,
        })
    }
}

/// What a board reports about itself (the payload of an `Info` response, 16 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// Lanes D.
    pub d: u16,
    /// Largest n.
    pub n_max: u16,
    /// Code width k.
    pub bits: u8,
    /// 0 general, 1 octave, 2 dense.
    pub variant: u8,
    /// Accumulator width.
    pub acc_bits: u8,
    /// Row-sum width.
    pub rsum_bits: u8,
    /// [`codebook_tag`] of the front end's codebook.
    pub codebook: u32,
    /// 1 if the board has the Q/K front end (takes [`Kind::Head`]).
    pub front_end: u8,
    /// 1 if the board takes codes jobs ([`Kind::Codes`]).
    pub codes: u8,
    /// The design's version.
    pub version: u8,
    /// P: keys the front end scores a cycle (1 on a codes board).
    pub keys_per_cycle: u8,
    /// K: non-zero codes the core issues a cycle.
    pub nnz_per_cycle: u8,
}

impl DeviceInfo {
    /// The 16 bytes of an info response's payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(16);
        b.extend_from_slice(&self.d.to_le_bytes());
        b.extend_from_slice(&self.n_max.to_le_bytes());
        b.extend_from_slice(&[self.bits, self.variant, self.acc_bits, self.rsum_bits]);
        b.extend_from_slice(&self.codebook.to_le_bytes());
        let parallel = (self.keys_per_cycle & 0xF) | (self.nnz_per_cycle << 4);
        b.extend_from_slice(&[self.front_end, self.version, self.codes, parallel]);
        b
    }
    fn decode(b: &[u8]) -> Option<Self> {
        (b.len() == 16).then(|| Self {
            d: le16(b),
            n_max: le16(&b[2..]),
            bits: b[4],
            variant: b[5],
            acc_bits: b[6],
            rsum_bits: b[7],
            codebook: le32(&b[8..]),
            front_end: b[12],
            version: b[13],
            codes: b[14],
            // A 0 nibble (designs before the field) means 1.
            keys_per_cycle: (b[15] & 0xF).max(1),
            nnz_per_cycle: (b[15] >> 4).max(1),
        })
    }
}

/// A response frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub seq: u16,
    pub status: Status,
    /// The request's kind (0 when unknown: a bad header).
    pub kind: u8,
    /// Compute cycles of the job on the board (0 unless `Ok`).
    pub cycles: u32,
    /// The result rows of an `Ok` head or codes job.
    pub result: Option<AccRows>,
    /// The configuration, for an `Ok` info request.
    pub info: Option<DeviceInfo>,
}

impl Response {
    /// A response without payload (every status but `Ok`).
    pub fn status_only(seq: u16, kind: u8, status: Status) -> Self {
        Self {
            seq,
            status,
            kind,
            cycles: 0,
            result: None,
            info: None,
        }
    }

    /// The frame's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut payload = Vec::new();
        let (rows, d) = match (&self.result, &self.info) {
            (Some(r), _) => {
                let (rows, d) = r.acc.dim();
                for (acc, &rs) in r.acc.rows().into_iter().zip(&r.rsum) {
                    for &a in acc {
                        payload.extend_from_slice(&a.to_le_bytes()[..ACC_BYTES]);
                    }
                    payload.extend_from_slice(&(rs as u32).to_le_bytes());
                }
                (rows, d)
            }
            (None, Some(i)) => {
                payload = i.encode();
                (0, 0)
            }
            (None, None) => (0, 0),
        };
        let mut out = Vec::with_capacity(RSP_HEADER_LEN + payload.len() + 4);
        out.extend_from_slice(&RSP_MAGIC);
        out.push(VERSION);
        out.push(self.status as u8);
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.push(self.kind);
        out.push(ACC_BYTES as u8);
        out.extend_from_slice(&(rows as u16).to_le_bytes());
        out.extend_from_slice(&(d as u16).to_le_bytes());
        out.extend_from_slice(&self.cycles.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        let hc = crc32(&out);
        out.extend_from_slice(&hc.to_le_bytes());
        out.extend_from_slice(&payload);
        let crc = crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    pub(super) fn from_frame(h: &[u8], payload: &[u8]) -> Result<Self, String> {
        let status = Status::from_u8(h[3]).ok_or(format!("unknown status {}", h[3]))?;
        let (kind, acc_bytes) = (h[6], h[7] as usize);
        let (rows, d) = (le16(&h[8..]) as usize, le16(&h[10..]) as usize);
        let mut r = Self {
            seq: le16(&h[4..]),
            status,
            kind,
            cycles: le32(&h[12..]),
            result: None,
            info: None,
        };
        if status != Status::Ok || payload.is_empty() {
            return Ok(r);
        }
        if kind == Kind::Info as u8 {
            r.info = Some(DeviceInfo::decode(payload).ok_or("an info payload is 16 bytes")?);
            return Ok(r);
        }
        if !(1..=8).contains(&acc_bytes) || payload.len() != rows * (d * acc_bytes + 4) {
            return Err(format!(
                "{} payload bytes for {rows} rows of {d} accumulators of {acc_bytes} bytes",
                payload.len()
            ));
        }
        let mut acc = Array2::<i64>::zeros((rows, d));
        let mut rsum = Array1::<u64>::zeros(rows);
        let mut at = 0;
        for i in 0..rows {
            for l in 0..d {
                let mut b = [0u8; 8];
                b[..acc_bytes].copy_from_slice(&payload[at..at + acc_bytes]);
                let shift = 64 - 8 * acc_bytes as u32;
                acc[[i, l]] = (i64::from_le_bytes(b) << shift) >> shift;
                at += acc_bytes;
            }
            rsum[i] = le32(&payload[at..]) as u64;
            at += 4;
        }
        r.result = Some(AccRows { acc, rsum });
        Ok(r)
    }
}
