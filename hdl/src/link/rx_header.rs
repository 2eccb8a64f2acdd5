//! `RxHeader`: the request header of [`crate::link::rx_framer::RxFramer`], its fields, and the
//! checks of the verdict.

use crate::link::small_mul::SmallMul;
use model::link::{codebook_tag, Device, DeviceConfig, Kind, Status, OCTAVE_WEIGHTS, VERSION};
use model::Variant;
use rust_hdl::prelude::*;

/// The request header's first 40 bytes (magic to payload length, `docs/link.md`) in a shift
/// register, its fields, and the checks `model::link::Device::verdict` makes of them, pipelined
/// while the header's CRC arrives: `status` is that verdict (when the header CRC is good and
/// the payload not too long) once the register has held the whole header for four cycles,
/// which it has in the cycle after the header CRC's last byte (the framer's `Check`), the
/// fifth after the 40th header byte.
///
/// The register shifts a byte in at the top (`push`), so after 40 pushes byte `i` sits at
/// bits `8 i + 7 .. 8 i`; `load` starts it as if `"LA"` had been pushed (the framer sees
/// the magic before it knows a header begins).
///
/// Inputs: `clock`; `data` (8, the byte); `load` (the magic was seen); `push` (`data` is
/// the next header byte).
/// Outputs: the fields `kind` (8), `seq` (16), `n` (16), `rows` (16), `shift` (6), `vlen` (16),
/// `plen` (32, the payload length), `weights` (128: `w[0..8]`, 16 bits each, `w[0]` at the
/// bottom); and the registered checks `kind_ok` (the version and the kind are known),
/// `too_long` (the payload is longer than the board's longest job), `status` (3, the verdict
/// of a good header, `model::link::Status`).
#[derive(LogicBlock)]
pub struct RxHeader {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// The byte.
    pub data: Signal<In, Bits<8>>,
    /// The magic was seen: start the register as if it had been pushed.
    pub load: Signal<In, Bit>,
    /// `data` is the next header byte.
    pub push: Signal<In, Bit>,
    /// Byte 3: the kind (`model::link::Kind`).
    pub kind: Signal<Out, Bits<8>>,
    /// Bytes 4..6: the sequence number.
    pub seq: Signal<Out, Bits<16>>,
    /// Bytes 6..8: n, the keys.
    pub n: Signal<Out, Bits<16>>,
    /// Bytes 8..10: the query rows.
    pub rows: Signal<Out, Bits<16>>,
    /// Byte 13, its low 6 bits: a head job's shift.
    pub shift: Signal<Out, Bits<6>>,
    /// Bytes 14..16: the valid length.
    pub vlen: Signal<Out, Bits<16>>,
    /// Bytes 36..40: the payload length.
    pub plen: Signal<Out, Bits<32>>,
    /// Bytes 16..32: the codebook weights `w[0..8]`.
    pub weights: Signal<Out, Bits<128>>,
    /// Registered: the version and the kind are known.
    pub kind_ok: Signal<Out, Bit>,
    /// Registered: the payload is longer than the board's longest job.
    pub too_long: Signal<Out, Bit>,
    /// The verdict of a good header (`model::link::Status`), from registered checks.
    pub status: Signal<Out, Bits<3>>,
    /// `rows * ceil(n / 16)`, the code beats of a codes job.
    beats: SmallMul<7>,
    /// The board's D.
    c_d: Constant<Bits<16>>,
    /// `log2 D`.
    c_ld: Constant<Bits<4>>,
    /// `log2 D + 1`.
    c_ld1: Constant<Bits<4>>,
    /// The board's N_MAX.
    c_nmax: Constant<Bits<16>>,
    /// The code bits the board takes.
    c_bits: Constant<Bits<8>>,
    /// The protocol version.
    c_version: Constant<Bits<8>>,
    /// The longest payload the board takes ([`Device::max_payload`]).
    c_maxp: Constant<Bits<32>>,
    /// The codebook tag of the board's front end (0 without one).
    c_tag: Constant<Bits<32>>,
    /// The board has a front end (takes head jobs).
    c_fe: Constant<Bit>,
    /// The board has the codes path (takes codes jobs).
    c_codes: Constant<Bit>,
    /// The board's lanes are shift-only (octave).
    c_oct: Constant<Bit>,
    /// The octave weights `w[1..8]`, as at header bytes 18..32.
    c_octw: Constant<Bits<112>>,
    /// The register after the magic alone: `"LA"` at its top.
    c_magic: Constant<Bits<320>>,
    /// Kind: a head job.
    c_head: Constant<Bits<8>>,
    /// Kind: a codes job.
    c_codes_kind: Constant<Bits<8>>,
    /// Kind: an info request.
    c_info: Constant<Bits<8>>,
    /// Status: ok.
    c_ok: Constant<Bits<3>>,
    /// Status: bad header.
    c_bad_header: Constant<Bits<3>>,
    /// Status: overflow.
    c_overflow: Constant<Bits<3>>,
    /// Status: unsupported.
    c_unsupported: Constant<Bits<3>>,
    /// The header bytes, byte `i` at bits `8 i + 7 .. 8 i` once all are in.
    hdr: DFF<Bits<320>>,
    /// The version and the kind are known.
    kind_ok_r: DFF<Bit>,
    /// The payload is longer than the board's longest job.
    too_long_r: DFF<Bit>,
    /// n or rows is 0 or above N_MAX, d is not D, or the code bits are not the board's.
    shape_bad: DFF<Bit>,
    /// A head job's payload length: `n (2 D + 2) + rows (D + 2)`.
    head_len: DFF<Bits<32>>,
    /// A head job's payload length is not `head_len`.
    head_len_bad: DFF<Bit>,
    /// A head job the front end cannot take: none, another codebook, or a shift above 63.
    head_bad: DFF<Bit>,
    /// `ceil(n / 16)`, the code beats of a row.
    words: DFF<Bits<16>>,
    /// `rows`, registered beside `words`, so that the product `beats` starts at flops next to
    /// it and not at the header register.
    rows_r: DFF<Bits<16>>,
    /// `rows * ceil(n / 16)`, the code beats of a codes job.
    beats_r: DFF<Bits<32>>,
    /// A codes job's payload length is not `n D + 6 rows ceil(n / 16)`.
    codes_len_bad: DFF<Bit>,
    /// Shift-only lanes, and the weights are not the octave ones.
    weights_bad: DFF<Bit>,
    /// `status`, registered from the checks (the framer reads it a cycle after the header
    /// CRC's last byte).
    status_r: DFF<Bits<3>>,
}

impl RxHeader {
    /// The header checks of a board built as `cfg`. Panics with a clear message unless D is a
    /// power of two, N_MAX is at most 1024 (a row of codes is at most 64 beats: `beats` takes
    /// 7 bits of it) and codes are 3 bits (16 to a 6-byte beat).
    pub fn new(cfg: &DeviceConfig) -> Self {
        let d = cfg.core.d;
        assert!(
            d.is_power_of_two() && d < 1 << 15,
            "RxHeader: D must be a power of two below 2^15, got {d}"
        );
        assert!(
            cfg.core.n_max <= 1024,
            "RxHeader: N_MAX must be at most 1024 (a row of codes is at most 64 beats), got {}",
            cfg.core.n_max
        );
        assert_eq!(
            cfg.core.code_bits, 3,
            "RxHeader: codes must be 3 bits (16 to a 6-byte beat)"
        );
        let tag = cfg.front_end().map_or(0, |(_, cb)| codebook_tag(cb));
        let ld = d.trailing_zeros() as u64;
        let octw = OCTAVE_WEIGHTS
            .iter()
            .enumerate()
            .fold(Bits::<112>::default(), |a, (i, &w)| {
                a | (Bits::<112>::from(w as u64) << (16 * i as u64))
            });
        let [m0, m1] = model::link::REQ_MAGIC;
        let magic =
            (Bits::<320>::from(m0 as u64) << 304u64) | (Bits::<320>::from(m1 as u64) << 312u64);
        Self {
            clock: Default::default(),
            data: Default::default(),
            load: Default::default(),
            push: Default::default(),
            kind: Default::default(),
            seq: Default::default(),
            n: Default::default(),
            rows: Default::default(),
            shift: Default::default(),
            vlen: Default::default(),
            plen: Default::default(),
            weights: Default::default(),
            kind_ok: Default::default(),
            too_long: Default::default(),
            status: Default::default(),
            beats: Default::default(),
            c_d: Constant::new((d as u64).into()),
            c_ld: Constant::new(ld.into()),
            c_ld1: Constant::new((ld + 1).into()),
            c_nmax: Constant::new((cfg.core.n_max as u64).into()),
            c_bits: Constant::new((cfg.core.code_bits as u64).into()),
            c_version: Constant::new((VERSION as u64).into()),
            c_maxp: Constant::new((Device::max_payload(&cfg.core) as u64).into()),
            c_tag: Constant::new((tag as u64).into()),
            c_fe: Constant::new(cfg.front_end().is_some()),
            c_codes: Constant::new(cfg.takes_codes()),
            c_oct: Constant::new(cfg.variant == Variant::Octave),
            c_octw: Constant::new(octw),
            c_magic: Constant::new(magic),
            c_head: Constant::new((Kind::Head as u64).into()),
            c_codes_kind: Constant::new((Kind::Codes as u64).into()),
            c_info: Constant::new((Kind::Info as u64).into()),
            c_ok: Constant::new((Status::Ok as u64).into()),
            c_bad_header: Constant::new((Status::BadHeader as u64).into()),
            c_overflow: Constant::new((Status::Overflow as u64).into()),
            c_unsupported: Constant::new((Status::Unsupported as u64).into()),
            hdr: Default::default(),
            kind_ok_r: Default::default(),
            too_long_r: Default::default(),
            shape_bad: Default::default(),
            head_len: Default::default(),
            head_len_bad: Default::default(),
            head_bad: Default::default(),
            words: Default::default(),
            beats_r: Default::default(),
            rows_r: Default::default(),
            status_r: Default::default(),
            codes_len_bad: Default::default(),
            weights_bad: Default::default(),
        }
    }
}

// The status is a chain of `else if`s in `Device::verdict`'s order, one status per check, even
// where two neighbours give the same status.
#[allow(clippy::if_same_then_else)]
impl Logic for RxHeader {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            hdr,
            kind_ok_r,
            too_long_r,
            shape_bad,
            head_len,
            head_len_bad,
            head_bad,
            words,
            rows_r,
            beats_r,
            codes_len_bad,
            weights_bad,
            status_r
        );
        if self.load.val() {
            // "L" and "A" land at bytes 0 and 1 after 38 more pushes.
            self.hdr.d.next = self.c_magic.val();
        } else if self.push.val() {
            self.hdr.d.next =
                (self.hdr.q.val() >> 8) | (bit_cast::<320, 8>(self.data.val()) << 312);
        }
        self.kind.next = self.hdr.q.val().get_bits::<8>(24);
        self.seq.next = self.hdr.q.val().get_bits::<16>(32);
        self.n.next = self.hdr.q.val().get_bits::<16>(48);
        self.rows.next = self.hdr.q.val().get_bits::<16>(64);
        self.shift.next = self.hdr.q.val().get_bits::<6>(104);
        self.vlen.next = self.hdr.q.val().get_bits::<16>(112);
        self.weights.next = self.hdr.q.val().get_bits::<128>(128);
        self.plen.next = self.hdr.q.val().get_bits::<32>(288);

        // The checks of `Device::verdict`, registered while the header CRC arrives.
        self.kind_ok_r.d.next = (self.hdr.q.val().get_bits::<8>(16) == self.c_version.val())
            & ((self.kind.val() == self.c_head.val())
                | (self.kind.val() == self.c_codes_kind.val())
                | (self.kind.val() == self.c_info.val()));
        self.too_long_r.d.next = self.plen.val() > self.c_maxp.val();
        self.shape_bad.d.next = (self.n.val() == 0)
            | (self.n.val() > self.c_nmax.val())
            | (self.rows.val() == 0)
            | (self.rows.val() > self.c_nmax.val())
            | (self.hdr.q.val().get_bits::<16>(80) != self.c_d.val())
            | (self.hdr.q.val().get_bits::<8>(96) != self.c_bits.val());
        // n (2 D + 2) + rows (D + 2) bytes, in two steps.
        self.head_len.d.next = (bit_cast::<32, 16>(self.n.val()) << self.c_ld1.val())
            + (bit_cast::<32, 16>(self.n.val()) << 1)
            + (bit_cast::<32, 16>(self.rows.val()) << self.c_ld.val())
            + (bit_cast::<32, 16>(self.rows.val()) << 1);
        self.head_len_bad.d.next = self.plen.val() != self.head_len.q.val();
        self.head_bad.d.next = !self.c_fe.val()
            | (self.hdr.q.val().get_bits::<32>(256) != self.c_tag.val())
            | (self.hdr.q.val().get_bits::<8>(104) > 63);
        // A codes job: n D + 6 rows ceil(n / 16) bytes (rows ceil(n / 16) by shift-and-add
        // over 7 bits of ceil(n / 16): with n above N_MAX the verdict is overflow whatever
        // this says), in three steps.
        self.words.d.next = (self.n.val() + 15) >> 4;
        self.rows_r.d.next = self.rows.val();
        self.beats.a.next = self.rows_r.q.val();
        self.beats.b.next = self.words.q.val();
        self.beats_r.d.next = self.beats.p.val();
        self.codes_len_bad.d.next = self.plen.val()
            != (bit_cast::<32, 16>(self.n.val()) << self.c_ld.val())
                + (self.beats_r.q.val() << 2)
                + (self.beats_r.q.val() << 1);
        // Shift-only lanes take the octave weights only (w[1..8] at header bytes 18..32).
        self.weights_bad.d.next =
            self.c_oct.val() & (self.hdr.q.val().get_bits::<112>(144) != self.c_octw.val());

        self.kind_ok.next = self.kind_ok_r.q.val();
        self.too_long.next = self.too_long_r.q.val();
        // Registered: valid a cycle after the checks it reads.
        self.status_r.d.next = self.c_ok.val();
        if self.kind.val() == self.c_info.val() {
            if self.plen.val().any() {
                self.status_r.d.next = self.c_bad_header.val();
            }
        } else if self.shape_bad.q.val() {
            self.status_r.d.next = self.c_overflow.val();
        } else if (self.kind.val() == self.c_codes_kind.val()) & !self.c_codes.val() {
            self.status_r.d.next = self.c_unsupported.val();
        } else if (self.kind.val() == self.c_codes_kind.val()) & self.codes_len_bad.q.val() {
            self.status_r.d.next = self.c_bad_header.val();
        } else if (self.kind.val() == self.c_head.val()) & self.head_len_bad.q.val() {
            self.status_r.d.next = self.c_bad_header.val();
        } else if (self.kind.val() == self.c_head.val()) & self.head_bad.q.val() {
            self.status_r.d.next = self.c_unsupported.val();
        } else if self.weights_bad.q.val() {
            self.status_r.d.next = self.c_unsupported.val();
        }
        self.status.next = self.status_r.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{rise, settle};
    use model::link::{
        codebook_tag, codes_payload_len, head_payload_len, Kind, RequestHeader, OCTAVE_WEIGHTS,
        VERSION,
    };
    use model::{Codebook, CoreParams, Variant};

    fn head_cfg() -> DeviceConfig {
        DeviceConfig::head(4, 64, &Codebook::log(3, 1e-3).unwrap()).unwrap()
    }

    #[test]
    #[should_panic(expected = "RxHeader: D must be a power of two below 2^15, got 12")]
    fn rejects_a_d_not_a_power_of_two() {
        let mut c = DeviceConfig::codes(4, 64, Variant::General).unwrap();
        c.core = CoreParams::new(12, 64, 16, 3).unwrap();
        let _ = RxHeader::new(&c);
    }

    #[test]
    #[should_panic(expected = "RxHeader: codes must be 3 bits (16 to a 6-byte beat)")]
    fn rejects_other_code_widths() {
        let mut c = DeviceConfig::codes(4, 64, Variant::General).unwrap();
        c.core = CoreParams::new(4, 64, 16, 2).unwrap();
        let _ = RxHeader::new(&c);
    }

    #[test]
    #[should_panic(
        expected = "RxHeader: N_MAX must be at most 1024 (a row of codes is at most 64 beats), got 2048"
    )]
    fn rejects_a_large_n_max() {
        let mut c = DeviceConfig::codes(4, 64, Variant::General).unwrap();
        c.core = CoreParams::new(4, 2048, 16, 3).unwrap();
        let _ = RxHeader::new(&c);
    }

    /// Header bytes 0..40 of `h` (as `RequestHeader::encode` lays them out), version `ver`.
    fn bytes(h: &RequestHeader, ver: u8) -> Vec<u8> {
        let mut b = vec![0x4C, 0x41, ver, h.kind as u8];
        for x in [h.seq, h.n, h.rows, h.d] {
            b.extend(x.to_le_bytes());
        }
        b.extend([h.bits, h.shift]);
        b.extend(h.valid_len.to_le_bytes());
        for w in h.weights {
            b.extend(w.to_le_bytes());
        }
        b.extend(h.codebook.to_le_bytes());
        b.extend(h.payload_len.to_le_bytes());
        b
    }

    /// Loads `b` (40 bytes) as the framer does, then waits the 4 cycles of the header's CRC:
    /// (status, kind_ok, too_long) as the framer reads them in the cycle after the CRC's last
    /// byte (its `Check`), the fifth after the last push.
    fn check(uut: &mut RxHeader, b: &[u8]) -> (u64, bool, bool) {
        for cycle in 0..43 {
            uut.load.next = cycle == 0;
            uut.push.next = (1..39).contains(&cycle);
            uut.data.next = (b[(cycle + 1).min(39)] as u64).into();
            settle(uut);
            rise(uut, |u| &mut u.clock);
        }
        uut.push.next = false;
        settle(uut);
        assert_eq!(
            uut.seq.val().to_u64(),
            u16::from_le_bytes([b[4], b[5]]) as u64
        );
        assert_eq!(
            uut.plen.val().to_u64(),
            u32::from_le_bytes([b[36], b[37], b[38], b[39]]) as u64
        );
        (
            uut.status.val().to_u64(),
            uut.kind_ok.val(),
            uut.too_long.val(),
        )
    }

    #[test]
    fn gives_the_devices_verdict() {
        let cb = Codebook::log(3, 1e-3).unwrap();
        let mut w = [0u16; 8];
        for (c, x) in cb.weights().w.iter().enumerate() {
            w[c] = *x as u16;
        }
        let head = RequestHeader {
            kind: Kind::Head,
            seq: 0x1234,
            n: 20,
            rows: 9,
            d: 4,
            bits: 3,
            shift: 25,
            valid_len: 20,
            weights: w,
            codebook: codebook_tag(&cb),
            payload_len: head_payload_len(20, 9, 4) as u32,
        };
        let codes = RequestHeader {
            kind: Kind::Codes,
            n: 33,
            rows: 5,
            codebook: 0,
            payload_len: codes_payload_len(33, 5, 4) as u32,
            ..head
        };
        let mut oct = [0u16; 8];
        oct[1..].copy_from_slice(&OCTAVE_WEIGHTS);
        let info = RequestHeader {
            kind: Kind::Info,
            n: 0,
            rows: 0,
            d: 0,
            payload_len: 0,
            ..head
        };
        let cases: Vec<RequestHeader> = vec![
            head,
            RequestHeader { n: 0, ..head },
            RequestHeader { rows: 65, ..head },
            RequestHeader { d: 8, ..head },
            RequestHeader { bits: 4, ..head },
            RequestHeader {
                codebook: 0,
                ..head
            },
            RequestHeader { shift: 64, ..head },
            RequestHeader {
                payload_len: head.payload_len + 1,
                ..head
            },
            codes,
            RequestHeader {
                payload_len: codes.payload_len - 6,
                ..codes
            },
            RequestHeader {
                weights: oct,
                ..codes
            },
            info,
            RequestHeader {
                payload_len: 3,
                ..info
            },
        ];
        for cfg in [
            head_cfg(),
            DeviceConfig::codes(4, 64, Variant::General).unwrap(),
            DeviceConfig::codes(4, 64, Variant::Octave).unwrap(),
        ] {
            let dev = Device::new(cfg.clone());
            let mut uut = RxHeader::new(&cfg);
            uut.connect_all();
            for h in &cases {
                let want = dev.verdict(h) as u64;
                assert_eq!(
                    check(&mut uut, &bytes(h, VERSION)),
                    (want, true, false),
                    "{h:?}"
                );
            }
            // An unknown version or kind, a payload longer than any job's.
            assert!(!check(&mut uut, &bytes(&head, 2)).1);
            let mut b = bytes(&head, VERSION);
            b[3] = 4;
            assert!(!check(&mut uut, &b).1);
            let long = Device::max_payload(&cfg.core) as u32 + 1;
            let b = bytes(
                &RequestHeader {
                    payload_len: long,
                    ..head
                },
                VERSION,
            );
            assert!(check(&mut uut, &b).2);
        }
    }

    #[test]
    fn lints_clean() {
        let mut uut = RxHeader::new(&head_cfg());
        uut.connect_all();
        verilator_lint("rx_header", &generate_verilog(&uut)).unwrap();
    }
}
