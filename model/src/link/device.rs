//! [`Device`]: the behavioural reference of a board, and [`DeviceConfig`], what a board is built as.

use super::decoder::{Decoder, Direction, Event};
use super::wire::*;
use crate::frontend::{front_end_ints, FrontEndParams};
use crate::{accumulate, Codebook, CoreParams, ModelError, Variant};
use ndarray::Array1;
/// What a board's link design computes.
#[derive(Clone, Debug, PartialEq)]
pub enum Datapath {
    /// The whole head: integer Q, K and V in ([`Kind::Head`]), codes made on chip by the front
    /// end `front_end`, comparing against `codebook`'s edges.
    Head {
        front_end: FrontEndParams,
        codebook: Codebook,
    },
    /// The AttnV core alone: codes and V in ([`Kind::Codes`]).
    Codes,
}

/// What a board is built as: its AttnV core, the core's variant and its datapath. Made by
/// [`DeviceConfig::head`], [`DeviceConfig::codes`] or [`DeviceConfig::from_info`].
#[derive(Clone, Debug, PartialEq)]
pub struct DeviceConfig {
    pub core: CoreParams,
    pub variant: Variant,
    pub datapath: Datapath,
}

impl DeviceConfig {
    /// A whole-head board at (D, N_MAX) whose front end compares against `codebook`: the
    /// hardware's W and k ([`CoreParams::hardware`]), the default front end
    /// ([`FrontEndParams::hardware`]) and the variant the codebook needs
    /// ([`Variant::for_codebook`]).
    pub fn head(d: usize, n_max: usize, codebook: &Codebook) -> Result<Self, ModelError> {
        if codebook.bits() != crate::HW_CODE_BITS {
            return Err(ModelError::BadParams(format!(
                "a head board compares against {}-bit codebooks, got {} ({} bits)",
                crate::HW_CODE_BITS,
                codebook.describe(),
                codebook.bits()
            )));
        }
        Ok(Self {
            core: CoreParams::hardware(d, n_max)?,
            variant: Variant::for_codebook(codebook),
            datapath: Datapath::Head {
                front_end: FrontEndParams::hardware(d, n_max),
                codebook: codebook.clone(),
            },
        })
    }

    /// A codes board (the core alone) at (D, N_MAX) with `variant` lanes and the hardware's W
    /// and k.
    pub fn codes(d: usize, n_max: usize, variant: Variant) -> Result<Self, ModelError> {
        Ok(Self {
            core: CoreParams::hardware(d, n_max)?,
            variant,
            datapath: Datapath::Codes,
        })
    }

    /// The configuration a board's info block describes, with `codebook` (the one the user
    /// asked for) as its front end's. Errors name what does not fit: `codebook`'s width or tag
    /// not the board's, an unknown variant, a datapath that is both or neither.
    pub fn from_info(info: &DeviceInfo, codebook: &Codebook) -> Result<Self, ModelError> {
        let bad = |what: String| Err(ModelError::Invalid(what));
        if codebook.bits() != info.bits as u32 {
            return bad(format!(
                "the board takes {}-bit codes; the codebook asked for ({}) has {} bits",
                info.bits,
                codebook.describe(),
                codebook.bits()
            ));
        }
        let Some(variant) = Variant::from_wire_tag(info.variant) else {
            return bad(format!(
                "the board reports an unknown core variant {}",
                info.variant
            ));
        };
        let (d, n_max) = (info.d as usize, info.n_max as usize);
        let core = CoreParams::new(d, n_max, crate::HW_CODES_PER_CYCLE, info.bits as u32)?;
        let datapath = match (info.front_end, info.codes) {
            (1, 0) if info.codebook != codebook_tag(codebook) => {
                return bad(format!(
                    "the board's front end was built for {}; you asked for {} (pass {})",
                    describe_tag(info.codebook),
                    codebook.describe(),
                    if info.codebook == 0 {
                        "--octave".to_string()
                    } else {
                        format!("--threshold {}", f32::from_bits(info.codebook))
                    }
                ))
            }
            (1, 0) => Datapath::Head {
                front_end: FrontEndParams::hardware(d, n_max),
                codebook: codebook.clone(),
            },
            (0, 1) => Datapath::Codes,
            (f, c) => {
                return bad(format!(
                    "the board reports front end = {f} and codes = {c}: a board has exactly one of the two"
                ))
            }
        };
        Self {
            core,
            variant,
            datapath,
        }
        .with_parallelism(info.keys_per_cycle as usize, info.nnz_per_cycle as usize)
    }

    /// The same board scoring `p` keys a cycle (P, [`crate::frontend::KEYS_PER_CYCLE`]; 1 on a
    /// codes board) and issuing `k` non-zero codes a cycle (K, [`crate::params::NNZ_PER_CYCLE`]).
    pub fn with_parallelism(mut self, p: usize, k: usize) -> Result<Self, ModelError> {
        self.core = self.core.with_nnz_per_cycle(k)?;
        match &mut self.datapath {
            Datapath::Head { front_end, .. } => *front_end = front_end.with_keys_per_cycle(p)?,
            Datapath::Codes if p != 1 => {
                return Err(ModelError::BadParams(format!(
                    "a codes board has no front end: P must be 1, got {p}"
                )))
            }
            Datapath::Codes => {}
        }
        Ok(self)
    }

    /// P: keys the front end scores a cycle (1 on a codes board).
    pub fn keys_per_cycle(&self) -> usize {
        self.front_end().map_or(1, |(fe, _)| fe.keys_per_cycle)
    }

    /// The front end and its codebook, on a whole-head board.
    pub fn front_end(&self) -> Option<(&FrontEndParams, &Codebook)> {
        match &self.datapath {
            Datapath::Head {
                front_end,
                codebook,
            } => Some((front_end, codebook)),
            Datapath::Codes => None,
        }
    }

    /// The board takes codes jobs ([`Kind::Codes`]).
    pub fn takes_codes(&self) -> bool {
        self.datapath == Datapath::Codes
    }
}

/// The behavioural reference of a board: request bytes in, response bytes out.
///
/// Every complete request gets exactly one response, in order: `Ok` with the model's result and
/// the compute cycles `model::timing` predicts, or a status naming what was wrong
/// ([`Device::verdict`]). Nothing is computed for a frame whose CRC failed. Garbage between
/// frames is skipped silently, except a magic followed by a bad header, which is answered with
/// `BadHeader` and [`SEQ_UNKNOWN`].
///
/// Cycles: a head job's are counted from its first Q row offered to its last result row, with
/// its K and V already loaded (they load while the frame is still arriving):
/// [`crate::timing::head_compute_cycles`]; a codes job's are [`crate::timing::job_cycles`].
#[derive(Clone, Debug)]
pub struct Device {
    cfg: DeviceConfig,
    decoder: Decoder,
}

impl Device {
    /// A device built as `cfg`.
    pub fn new(cfg: DeviceConfig) -> Self {
        Self {
            decoder: Decoder::new(Direction::Requests, Self::max_payload(&cfg.core)),
            cfg,
        }
    }

    /// The longest payload a board built for `core` reads (longer ones are skipped as
    /// `Overflow`): the larger of a head and a codes job of `n = rows = N_MAX`.
    pub fn max_payload(core: &CoreParams) -> usize {
        let (d, n) = (core.d, core.n_max);
        head_payload_len(n, n, d).max(codes_payload_len(n, n, d))
    }

    /// What the device reports to an info request.
    pub fn info(&self) -> DeviceInfo {
        let c = &self.cfg.core;
        DeviceInfo {
            d: c.d as u16,
            n_max: c.n_max as u16,
            bits: c.code_bits as u8,
            variant: self.cfg.variant.wire_tag(),
            acc_bits: c.acc_bits() as u8,
            rsum_bits: c.rsum_bits() as u8,
            codebook: self.cfg.front_end().map_or(0, |(_, cb)| codebook_tag(cb)),
            front_end: u8::from(self.cfg.front_end().is_some()),
            codes: u8::from(self.cfg.takes_codes()),
            version: VERSION,
            keys_per_cycle: self.cfg.keys_per_cycle() as u8,
            nnz_per_cycle: c.nnz_per_cycle as u8,
        }
    }

    /// The status of a request whose header and frame CRCs are good, from its header alone
    /// (the on-chip framer decides the same way, in this order):
    /// 1. info: `BadHeader` unless its payload is empty;
    /// 2. head or codes: `Overflow` if n or rows is 0 or above N_MAX, d is not D, or k is not
    ///    the board's;
    /// 3. codes on a board without the codes path: `Unsupported`;
    /// 4. a payload length other than the job's: `BadHeader`;
    /// 5. head: `Unsupported` without a front end, for another codebook's tag, or a shift
    ///    above 63;
    /// 6. an octave board (shift-only lanes): `Unsupported` unless the weights `w[1..8]` are
    ///    the octave codebook's ([`OCTAVE_WEIGHTS`]);
    /// 7. otherwise `Ok`.
    pub fn verdict(&self, h: &RequestHeader) -> Status {
        let c = &self.cfg.core;
        let (n, rows, d) = (h.n as usize, h.rows as usize, h.d as usize);
        let len = h.payload_len as usize;
        match h.kind {
            Kind::Info if len != 0 => return Status::BadHeader,
            Kind::Info => return Status::Ok,
            _ => {}
        }
        if n == 0 || n > c.n_max || rows == 0 || rows > c.n_max || d != c.d {
            return Status::Overflow;
        }
        if h.bits as u32 != c.code_bits {
            return Status::Overflow;
        }
        match h.kind {
            Kind::Codes if !self.cfg.takes_codes() => return Status::Unsupported,
            Kind::Codes if len != codes_payload_len(n, rows, d) => return Status::BadHeader,
            Kind::Head if len != head_payload_len(n, rows, d) => return Status::BadHeader,
            Kind::Head => match self.cfg.front_end() {
                Some((_, cb)) if h.codebook == codebook_tag(cb) && h.shift <= 63 => {}
                _ => return Status::Unsupported,
            },
            _ => {}
        }
        // Shift-only lanes compute with the octave weights whatever the header says.
        if self.cfg.variant == Variant::Octave && h.weights[1..] != OCTAVE_WEIGHTS {
            return Status::Unsupported;
        }
        Status::Ok
    }

    /// Consumes request bytes; returns the bytes of every response they complete.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for ev in self.decoder.push(bytes) {
            let r = match ev {
                Event::Request(req) => self.serve(&req),
                Event::BadHeader => Response::status_only(SEQ_UNKNOWN, 0, Status::BadHeader),
                Event::BadCrc { seq, kind } => Response::status_only(seq, kind, Status::BadCrc),
                Event::Overflow { seq, kind, .. } => {
                    Response::status_only(seq, kind, Status::Overflow)
                }
                Event::Malformed {
                    seq, kind, header, ..
                } => Response::status_only(
                    seq,
                    kind,
                    header.map_or(Status::BadHeader, |h| self.verdict(&h)),
                ),
                Event::Response(_) => continue,
            };
            out.extend(r.encode());
        }
        out
    }

    /// Serves one request whose CRCs are good.
    pub fn serve(&self, req: &Request) -> Response {
        let c = &self.cfg.core;
        let header = match req.header() {
            Ok(h) => h,
            Err(_) => return Response::status_only(req.seq, 0, Status::Overflow),
        };
        let no = |s| Response::status_only(req.seq, header.kind as u8, s);
        match self.verdict(&header) {
            Status::Ok => {}
            s => return no(s),
        }
        let w: Vec<u32> = req.weights.iter().map(|&x| x as u32).collect();
        let mut w0 = w.clone();
        w0[0] = 0;
        match &req.payload {
            Payload::Info => Response {
                info: Some(self.info()),
                ..no(Status::Ok)
            },
            Payload::Codes(j) => {
                let acc = accumulate(j.codes.view(), j.vq.view(), &w0);
                let cycles = crate::timing::job_cycles(c, self.cfg.variant, j.codes.view());
                Response {
                    cycles: cycles as u32,
                    result: Some(acc),
                    ..no(Status::Ok)
                }
            }
            Payload::Head(h) => {
                let (fe, cb) = self.cfg.front_end().expect("checked by verdict");
                let mq = Array1::from_iter(h.mq.iter().map(|&m| m as u32));
                let mk = Array1::from_iter(h.mk.iter().map(|&m| m as u32));
                let t = front_end_ints(
                    fe,
                    cb,
                    h.qq.view(),
                    h.kq.view(),
                    &mq,
                    &mk,
                    h.shift as i32,
                    h.valid_len as usize,
                );
                let acc = accumulate(t.codes.view(), h.vq.view(), &w0);
                let cycles = crate::timing::head_compute_cycles(
                    c,
                    fe.keys_per_cycle,
                    self.cfg.variant,
                    t.codes.view(),
                );
                Response {
                    cycles: cycles as u32,
                    result: Some(acc),
                    ..no(Status::Ok)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(front_end: u8, tag: u32) -> DeviceInfo {
        DeviceInfo {
            d: 64,
            n_max: 512,
            bits: 3,
            variant: 1,
            acc_bits: 33,
            rsum_bits: 25,
            codebook: tag,
            front_end,
            codes: 1 - front_end,
            version: 1,
            keys_per_cycle: 1,
            nnz_per_cycle: 1,
        }
    }

    #[test]
    fn a_board_built_for_another_codebook_is_named() {
        let log = Codebook::log(3, 1e-3).unwrap();
        let e = DeviceConfig::from_info(&info(1, 0), &log)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("built for the octave codebook") && e.contains("(pass --octave)"),
            "{e}"
        );
        let oct = Codebook::octave(3).unwrap();
        let e = DeviceConfig::from_info(&info(1, codebook_tag(&log)), &oct)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--threshold 0.001"), "{e}");
        let e = DeviceConfig::from_info(&info(1, 0), &Codebook::octave(2).unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("the board takes 3-bit codes"), "{e}");
        let cfg = DeviceConfig::from_info(&info(1, 0), &oct).unwrap();
        assert_eq!(
            (cfg.core.d, cfg.core.n_max, cfg.variant),
            (64, 512, Variant::Octave)
        );
        assert!(cfg.front_end().is_some() && !cfg.takes_codes());
        // A codes board takes any codebook of its width here; codes_jobs checks that its
        // lanes can weigh it.
        assert!(DeviceConfig::from_info(&info(0, 0), &log)
            .unwrap()
            .takes_codes());
    }

    #[test]
    fn a_board_is_either_a_head_or_a_codes_board() {
        let log = Codebook::log(3, 1e-3).unwrap();
        for (front_end, codes) in [(0, 0), (1, 1)] {
            let e = DeviceConfig::from_info(
                &DeviceInfo {
                    front_end,
                    codes,
                    ..info(0, 0)
                },
                &log,
            )
            .unwrap_err()
            .to_string();
            assert!(e.contains("a board has exactly one of the two"), "{e}");
        }
        let e = DeviceConfig::head(8, 64, &Codebook::octave(2).unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("3-bit codebooks"), "{e}");
        let h = DeviceConfig::head(8, 64, &Codebook::octave(3).unwrap()).unwrap();
        assert_eq!(h.variant, Variant::Octave);
        assert_eq!(
            DeviceConfig::head(8, 64, &log).unwrap().variant,
            Variant::General
        );
        assert!(DeviceConfig::codes(8, 64, Variant::Octave)
            .unwrap()
            .takes_codes());
    }
}
