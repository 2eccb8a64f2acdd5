//! `RxRouter`: routes a job's payload as it arrives (part of
//! [`crate::link::rx_framer::RxFramer`]).

use model::link::DeviceConfig;
use rust_hdl::prelude::*;

/// Routes a good job's payload, a byte at a time, as `model::link::Request::encode` lays it
/// out: the codebook weights (from the header) and a head job's K rows (D bytes of Kq, then
/// mk) and V rows (D bytes) into the head, or a codes job's V rows into the core; a head job's
/// Q rows (D bytes of Qq, then mq) or a codes job's code beats (6 bytes, 16 codes) into the job
/// buffer.
///
/// A job starts with `start` at the end of its header; every payload byte (`take`) shifts into
/// the row register, and a row's last byte sends it on. The streams hold one row each: a row
/// whose stream still holds the one before makes the framer wait (`hold`), and so does a Q row
/// or code beat while the weights, K and V are not all in the head (`drained` low) or the job
/// buffer still holds the previous job (`q_held`). The weights go out first, `w[0]` as 0 (code
/// 0 is a zero); V waits for them. `stop` ends the job (its verdict is made).
///
/// Const parameters: `KW = 8 D` (a row of int8), `QW = KW + 16` (the row register: a Q row
/// and its multiplier).
///
/// Inputs: `clock`; `reset` (synchronous); `start` (with `codes`, `weights` (128), `n` (16),
/// `rows` (16) from the header: a job's payload follows); `stop` (the job's verdict is made);
/// `take` (`data` (8) is the job's next payload byte); `q_held` (the job buffer holds the
/// previous job); `m_axis_w_tready`, `m_axis_k_tready`, `m_axis_v_tready`.
/// Outputs: `job` (from `start` to `stop`); `hold` (the byte offered must wait); `drained`
/// (no weight, K row or V row waits to be taken); weights `m_axis_w_tdata` (16),
/// `m_axis_w_tuser` (3, the code), `m_axis_w_tvalid`; keys `m_axis_k_tdata` (`KW`),
/// `m_axis_k_tuser` (16, mk), `m_axis_k_tvalid`, `m_axis_k_tlast`; values `m_axis_v_tdata`
/// (`KW`), `m_axis_v_tvalid`, `m_axis_v_tlast`; the job buffer's write port `q_we`, `q_waddr`
/// (16), `q_wdata` (`QW`: a Q row, Qq at `[KW-1:0]` and mq above, or a code beat at
/// `[QW-1:QW-48]`).
#[derive(LogicBlock)]
pub struct RxRouter<const KW: usize, const QW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// A good job's header has ended: its payload follows.
    pub start: Signal<In, Bit>,
    /// With `start`: a codes job (V rows, then code beats), else a head job (K, V, Q rows).
    pub codes: Signal<In, Bit>,
    /// With `start`: the weights `w[0..8]`, `w[c]` at `[16c+15:16c]`.
    pub weights: Signal<In, Bits<128>>,
    /// With `start`: keys, n.
    pub n: Signal<In, Bits<16>>,
    /// With `start`: query rows.
    pub rows: Signal<In, Bits<16>>,
    /// The job's verdict is made.
    pub stop: Signal<In, Bit>,
    /// `data` is the next payload byte.
    pub take: Signal<In, Bit>,
    /// The payload byte.
    pub data: Signal<In, Bits<8>>,
    /// The job buffer holds the previous job.
    pub q_held: Signal<In, Bit>,
    /// A job's payload is being routed (from `start` to `stop`).
    pub job: Signal<Out, Bit>,
    /// The payload byte offered must wait.
    pub hold: Signal<Out, Bit>,
    /// No weight, K row or V row waits to be taken.
    pub drained: Signal<Out, Bit>,
    /// Weight `w[c]` (`w[0]` as 0).
    pub m_axis_w_tdata: Signal<Out, Bits<16>>,
    /// Its code c.
    pub m_axis_w_tuser: Signal<Out, Bits<3>>,
    /// A weight is offered.
    pub m_axis_w_tvalid: Signal<Out, Bit>,
    /// The weight is taken.
    pub m_axis_w_tready: Signal<In, Bit>,
    /// A K row (Kq).
    pub m_axis_k_tdata: Signal<Out, Bits<KW>>,
    /// Its multiplier mk.
    pub m_axis_k_tuser: Signal<Out, Bits<16>>,
    /// A K row is offered.
    pub m_axis_k_tvalid: Signal<Out, Bit>,
    /// The job's last K row.
    pub m_axis_k_tlast: Signal<Out, Bit>,
    /// The K row is taken.
    pub m_axis_k_tready: Signal<In, Bit>,
    /// A V row (Vq).
    pub m_axis_v_tdata: Signal<Out, Bits<KW>>,
    /// A V row is offered (after the weights).
    pub m_axis_v_tvalid: Signal<Out, Bit>,
    /// The job's last V row.
    pub m_axis_v_tlast: Signal<Out, Bit>,
    /// The V row is taken.
    pub m_axis_v_tready: Signal<In, Bit>,
    /// Write a job buffer entry.
    pub q_we: Signal<Out, Bit>,
    /// Its address: the Q row or code beat.
    pub q_waddr: Signal<Out, Bits<16>>,
    /// The entry: a Q row and mq, or a code beat at the top.
    pub q_wdata: Signal<Out, Bits<QW>>,
    /// D - 2.
    c_dm2: Constant<Bits<8>>,
    /// D.
    c_d: Constant<Bits<8>>,
    /// `KW`: where mk and mq sit in a row.
    c_kw: Constant<Bits<16>>,
    /// The bit where a byte enters the row register (`QW - 8`).
    c_top: Constant<Bits<16>>,
    /// A job's payload is being routed.
    is_job: DFF<Bit>,
    /// A codes job.
    is_codes: DFF<Bit>,
    /// The section being received: 0 K rows, 1 V rows, 2 Q rows, 3 after them, 4 code beats.
    sect: DFF<Bits<3>>,
    /// The row (or code beat) being received within its section.
    r: DFF<Bits<16>>,
    /// The byte within the row.
    bi: DFF<Bits<8>>,
    /// n - 1: the last K or V row.
    nm1: DFF<Bits<16>>,
    /// rows - 1: the last Q row.
    rowsm1: DFF<Bits<16>>,
    /// The row register: each byte enters at the top, so a row's last byte leaves it whole.
    rowsr: DFF<Bits<QW>>,
    /// The weights are being sent.
    wsend: DFF<Bit>,
    /// The code of the weight offered.
    wi: DFF<Bits<3>>,
    /// The weights still to send, the one offered at the bottom.
    wsh: DFF<Bits<128>>,
    /// The K row offered.
    kdata: DFF<Bits<KW>>,
    /// Its mk.
    kuser: DFF<Bits<16>>,
    /// A K row is offered.
    kvalid: DFF<Bit>,
    /// It is the last.
    klast: DFF<Bit>,
    /// The V row offered.
    vdata: DFF<Bits<KW>>,
    /// A V row is offered.
    vvalid: DFF<Bit>,
    /// It is the last.
    vlast: DFF<Bit>,
    /// Write the job buffer.
    qwe: DFF<Bit>,
    /// The entry's address.
    qwaddr: DFF<Bits<16>>,
    /// The entry.
    qwdata: DFF<Bits<QW>>,
    /// The row register with the byte offered in.
    rowsr_next: Signal<Local, Bits<QW>>,
    /// The byte offered ends a K row (D + 2 bytes): a register, set by the take of the byte
    /// before, so that `hold` and the take's logic do not wait for a compare of `bi`.
    k_end: DFF<Bit>,
    /// ... a V row (D bytes).
    v_end: DFF<Bit>,
    /// ... a Q row (D + 2 bytes).
    q_end: DFF<Bit>,
    /// ... a code beat (6 bytes).
    c_end: DFF<Bit>,
    /// The next byte taken makes the row one byte short of its end (K, V, Q rows, code beats).
    k_pre: Signal<Local, Bit>,
    v_pre: Signal<Local, Bit>,
    q_pre: Signal<Local, Bit>,
    c_pre: Signal<Local, Bit>,
    /// The byte offered ends a row of some section.
    any_end: Signal<Local, Bit>,
}

impl<const KW: usize, const QW: usize> RxRouter<KW, QW> {
    /// The payload router of a board built as `cfg`. Panics with a clear message unless D is
    /// a power of two in 4..=128, `KW = 8 D` and `QW = KW + 16`.
    pub fn new(cfg: &DeviceConfig) -> Self {
        let d = cfg.core.d;
        assert!(
            d.is_power_of_two() && (4..=128).contains(&d),
            "RxRouter: D must be a power of two in 4..=128, got {d}"
        );
        assert_eq!(KW, 8 * d, "RxRouter: KW must be 8 * D");
        assert_eq!(QW, KW + 16, "RxRouter: QW must be KW + 16");
        Self {
            clock: Default::default(),
            reset: Default::default(),
            start: Default::default(),
            codes: Default::default(),
            weights: Default::default(),
            n: Default::default(),
            rows: Default::default(),
            stop: Default::default(),
            take: Default::default(),
            data: Default::default(),
            q_held: Default::default(),
            job: Default::default(),
            hold: Default::default(),
            drained: Default::default(),
            m_axis_w_tdata: Default::default(),
            m_axis_w_tuser: Default::default(),
            m_axis_w_tvalid: Default::default(),
            m_axis_w_tready: Default::default(),
            m_axis_k_tdata: Default::default(),
            m_axis_k_tuser: Default::default(),
            m_axis_k_tvalid: Default::default(),
            m_axis_k_tlast: Default::default(),
            m_axis_k_tready: Default::default(),
            m_axis_v_tdata: Default::default(),
            m_axis_v_tvalid: Default::default(),
            m_axis_v_tlast: Default::default(),
            m_axis_v_tready: Default::default(),
            q_we: Default::default(),
            q_waddr: Default::default(),
            q_wdata: Default::default(),
            c_dm2: Constant::new((d as u64 - 2).into()),
            c_d: Constant::new((d as u64).into()),
            c_kw: Constant::new((KW as u64).into()),
            c_top: Constant::new(((QW - 8) as u64).into()),
            is_job: Default::default(),
            is_codes: Default::default(),
            sect: Default::default(),
            r: Default::default(),
            bi: Default::default(),
            nm1: Default::default(),
            rowsm1: Default::default(),
            rowsr: Default::default(),
            wsend: Default::default(),
            wi: Default::default(),
            wsh: Default::default(),
            kdata: Default::default(),
            kuser: Default::default(),
            kvalid: Default::default(),
            klast: Default::default(),
            vdata: Default::default(),
            vvalid: Default::default(),
            vlast: Default::default(),
            qwe: Default::default(),
            qwaddr: Default::default(),
            qwdata: Default::default(),
            rowsr_next: Default::default(),
            k_end: Default::default(),
            v_end: Default::default(),
            q_end: Default::default(),
            c_end: Default::default(),
            k_pre: Default::default(),
            v_pre: Default::default(),
            q_pre: Default::default(),
            c_pre: Default::default(),
            any_end: Default::default(),
        }
    }
}

impl<const KW: usize, const QW: usize> Logic for RxRouter<KW, QW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, is_job, is_codes, sect, r, bi, nm1, rowsm1, rowsr, wsend, wi, wsh, kdata,
            kuser, kvalid, klast, vdata, vvalid, vlast, qwe, qwaddr, qwdata, k_end, v_end, q_end,
            c_end
        );
        self.job.next = self.is_job.q.val();
        // Sections: 0 K rows (D + 2 bytes), 1 V rows (D), 2 Q rows (D + 2), 4 code beats (6).
        // A row's last byte is at bi = D + 1 (K, Q), D - 1 (V), 5 (code beats): its flag is set
        // when the byte before is taken (bi = D, D - 2, 4; no row is shorter than 4 bytes, so
        // the byte after a row's end never ends one) and cleared by the next take, `start`
        // or `stop`.
        self.k_pre.next =
            self.is_job.q.val() & (self.sect.q.val() == 0) & (self.bi.q.val() == self.c_d.val());
        self.v_pre.next =
            self.is_job.q.val() & (self.sect.q.val() == 1) & (self.bi.q.val() == self.c_dm2.val());
        self.q_pre.next =
            self.is_job.q.val() & (self.sect.q.val() == 2) & (self.bi.q.val() == self.c_d.val());
        self.c_pre.next = self.is_job.q.val() & (self.sect.q.val() == 4) & (self.bi.q.val() == 4);
        self.any_end.next =
            self.k_end.q.val() | self.v_end.q.val() | self.q_end.q.val() | self.c_end.q.val();
        if self.take.val() {
            self.k_end.d.next = self.k_pre.val() & !self.any_end.val();
            self.v_end.d.next = self.v_pre.val() & !self.any_end.val();
            self.q_end.d.next = self.q_pre.val() & !self.any_end.val();
            self.c_end.d.next = self.c_pre.val() & !self.any_end.val();
        }
        if self.start.val() | self.stop.val() | self.reset.val() {
            self.k_end.d.next = false;
            self.v_end.d.next = false;
            self.q_end.d.next = false;
            self.c_end.d.next = false;
        }
        self.drained.next = !self.kvalid.q.val() & !self.vvalid.q.val() & !self.wsend.q.val();
        // A row waits for its stream; a Q row or code beat for K and V to be in and the job
        // buffer to be free.
        self.hold.next = (self.k_end.q.val() & self.kvalid.q.val())
            | (self.v_end.q.val() & self.vvalid.q.val())
            | ((self.q_end.q.val() | self.c_end.q.val())
                & (!self.drained.val() | self.q_held.val()));
        self.rowsr_next.next =
            (self.rowsr.q.val() >> 8) | (bit_cast::<QW, 8>(self.data.val()) << self.c_top.val());

        // The streams.
        self.m_axis_w_tdata.next = 0.into();
        if self.wi.q.val().any() {
            self.m_axis_w_tdata.next = self.wsh.q.val().get_bits::<16>(0);
        }
        self.m_axis_w_tuser.next = self.wi.q.val();
        self.m_axis_w_tvalid.next = self.wsend.q.val();
        if self.wsend.q.val() & self.m_axis_w_tready.val() {
            self.wi.d.next = self.wi.q.val() + 1;
            self.wsh.d.next = self.wsh.q.val() >> 16;
            if self.wi.q.val() == 7 {
                self.wsend.d.next = false;
            }
        }
        self.m_axis_k_tdata.next = self.kdata.q.val();
        self.m_axis_k_tuser.next = self.kuser.q.val();
        self.m_axis_k_tvalid.next = self.kvalid.q.val();
        self.m_axis_k_tlast.next = self.klast.q.val();
        if self.kvalid.q.val() & self.m_axis_k_tready.val() {
            self.kvalid.d.next = false;
        }
        self.m_axis_v_tdata.next = self.vdata.q.val();
        // V after the weights: the head closes both once its V is in.
        self.m_axis_v_tvalid.next = self.vvalid.q.val() & !self.wsend.q.val();
        self.m_axis_v_tlast.next = self.vlast.q.val();
        if self.vvalid.q.val() & !self.wsend.q.val() & self.m_axis_v_tready.val() {
            self.vvalid.d.next = false;
        }
        self.q_we.next = self.qwe.q.val();
        self.q_waddr.next = self.qwaddr.q.val();
        self.q_wdata.next = self.qwdata.q.val();
        self.qwe.d.next = false;

        if self.start.val() {
            self.is_job.d.next = true;
            self.is_codes.d.next = self.codes.val();
            self.nm1.d.next = self.n.val() - 1;
            self.rowsm1.d.next = self.rows.val() - 1;
            self.wsend.d.next = true;
            self.wi.d.next = 0.into();
            self.wsh.d.next = self.weights.val();
            // A head job starts with its K rows, a codes job with its V rows.
            self.sect.d.next = 0.into();
            if self.codes.val() {
                self.sect.d.next = 1.into();
            }
            self.r.d.next = 0.into();
            self.bi.d.next = 0.into();
        }
        if self.stop.val() {
            self.is_job.d.next = false;
        }
        // A stream's row register loads the row with its last byte while the flag says the byte
        // offered ends a row and the register is free, taken or not (an untaken row is not
        // valid, and is loaded again): so the wide registers' enables come from registers,
        // not from the take (whose logic runs through `hold` and the framer).
        if self.k_end.q.val() & !self.kvalid.q.val() {
            self.kdata.d.next = self.rowsr_next.val().get_bits::<KW>(0);
            self.kuser.d.next = self
                .rowsr_next
                .val()
                .get_bits::<16>(self.c_kw.val().index());
            self.klast.d.next = self.r.q.val() == self.nm1.q.val();
        }
        if self.v_end.q.val() & !self.vvalid.q.val() {
            self.vdata.d.next = self.rowsr_next.val().get_bits::<KW>(16);
            self.vlast.d.next = self.r.q.val() == self.nm1.q.val();
        }
        if self.q_end.q.val() | self.c_end.q.val() {
            self.qwaddr.d.next = self.r.q.val();
            self.qwdata.d.next = self.rowsr_next.val();
        }
        if self.take.val() {
            self.rowsr.d.next = self.rowsr_next.val();
            self.bi.d.next = self.bi.q.val() + 1;
            if self.k_end.q.val() {
                self.kvalid.d.next = true;
                self.bi.d.next = 0.into();
                self.r.d.next = self.r.q.val() + 1;
                if self.r.q.val() == self.nm1.q.val() {
                    self.r.d.next = 0.into();
                    self.sect.d.next = 1.into();
                }
            }
            if self.v_end.q.val() {
                self.vvalid.d.next = true;
                self.bi.d.next = 0.into();
                self.r.d.next = self.r.q.val() + 1;
                if self.r.q.val() == self.nm1.q.val() {
                    self.r.d.next = 0.into();
                    self.sect.d.next = 2.into();
                    if self.is_codes.q.val() {
                        self.sect.d.next = 4.into();
                    }
                }
            }
            if self.q_end.q.val() {
                self.qwe.d.next = true;
                self.bi.d.next = 0.into();
                self.r.d.next = self.r.q.val() + 1;
                if self.r.q.val() == self.rowsm1.q.val() {
                    self.sect.d.next = 3.into();
                }
            }
            if self.c_end.q.val() {
                // A code beat (6 bytes, now at the top of the row register).
                self.qwe.d.next = true;
                self.bi.d.next = 0.into();
                self.r.d.next = self.r.q.val() + 1;
            }
        }
        if self.reset.val() {
            self.is_job.d.next = false;
            self.kvalid.d.next = false;
            self.vvalid.d.next = false;
            self.wsend.d.next = false;
            self.qwe.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{rise, settle};
    use model::{Codebook, CoreParams, Variant};

    fn cfg() -> DeviceConfig {
        DeviceConfig::head(4, 64, &Codebook::log(3, 1e-3).unwrap()).unwrap()
    }

    #[test]
    #[should_panic(expected = "RxRouter: D must be a power of two in 4..=128, got 12")]
    fn rejects_a_d_not_a_power_of_two() {
        let mut c = DeviceConfig::codes(4, 64, Variant::General).unwrap();
        c.core = CoreParams::new(12, 64, 16, 3).unwrap();
        let _ = RxRouter::<96, 112>::new(&c);
    }

    #[test]
    #[should_panic(expected = "RxRouter: KW must be 8 * D")]
    fn rejects_a_wrong_row_width() {
        let _ = RxRouter::<16, 32>::new(&cfg());
    }

    #[test]
    #[should_panic(expected = "RxRouter: QW must be KW + 16")]
    fn rejects_a_wrong_q_width() {
        let _ = RxRouter::<32, 40>::new(&cfg());
    }

    /// What came out of the router's streams.
    #[derive(Debug, Default, PartialEq)]
    struct Routed {
        w: Vec<(u64, u64)>,
        k: Vec<(u64, u64, bool)>,
        v: Vec<(u64, bool)>,
        q: Vec<(u64, u64)>,
    }

    /// Routes `payload` of a job (n = 2, rows = 2; weights w[c] = 100 + c), a byte offered
    /// each cycle the router does not `hold` it, every stream ready every other cycle.
    fn route(codes: bool, payload: &[u8]) -> Routed {
        let mut uut = RxRouter::<32, 48>::new(&cfg());
        uut.connect_all();
        let weights = (0..8u64).fold(Bits::<128>::default(), |a, c| {
            a | (Bits::<128>::from(100 + c) << (16 * c))
        });
        let (mut at, mut got) = (0, Routed::default());
        for cycle in 0..4 * payload.len() + 20 {
            uut.reset.next = cycle == 0;
            uut.start.next = cycle == 1;
            uut.codes.next = codes;
            uut.weights.next = weights;
            uut.n.next = 2.into();
            uut.rows.next = 2.into();
            uut.stop.next = false;
            uut.q_held.next = false;
            let ready = cycle % 2 == 0;
            uut.m_axis_w_tready.next = ready;
            uut.m_axis_k_tready.next = ready;
            uut.m_axis_v_tready.next = ready;
            uut.data.next = (*payload.get(at).unwrap_or(&0) as u64).into();
            uut.take.next = false;
            settle(&mut uut);
            if cycle >= 2 && at < payload.len() && !uut.hold.val() {
                uut.take.next = true;
                at += 1;
                settle(&mut uut);
            }
            if uut.m_axis_w_tvalid.val() && ready {
                got.w.push((
                    uut.m_axis_w_tuser.val().to_u64(),
                    uut.m_axis_w_tdata.val().to_u64(),
                ));
            }
            if uut.m_axis_k_tvalid.val() && ready {
                got.k.push((
                    uut.m_axis_k_tdata.val().to_u64(),
                    uut.m_axis_k_tuser.val().to_u64(),
                    uut.m_axis_k_tlast.val(),
                ));
            }
            if uut.m_axis_v_tvalid.val() && ready {
                got.v
                    .push((uut.m_axis_v_tdata.val().to_u64(), uut.m_axis_v_tlast.val()));
            }
            if uut.q_we.val() {
                got.q
                    .push((uut.q_waddr.val().to_u64(), uut.q_wdata.val().to_u64()));
            }
            rise(&mut uut, |u| &mut u.clock);
        }
        assert_eq!(at, payload.len(), "every byte is taken");
        assert!(uut.job.val() && uut.drained.val());
        got
    }

    #[test]
    fn routes_a_head_job() {
        let payload: Vec<u8> = [
            &[1, 2, 3, 4, 0x10, 0x20][..], // K row 0, mk
            &[5, 6, 7, 8, 0x30, 0x40],     // K row 1, mk
            &[9, 10, 11, 12],              // V rows
            &[13, 14, 15, 16],
            &[17, 18, 19, 20, 0x50, 0x60], // Q rows, mq
            &[21, 22, 23, 24, 0x70, 0x80],
        ]
        .concat();
        let got = route(false, &payload);
        let w: Vec<(u64, u64)> = (0..8)
            .map(|c| (c, if c == 0 { 0 } else { 100 + c }))
            .collect();
        assert_eq!(got.w, w, "w[0] goes as 0");
        assert_eq!(
            got.k,
            [(0x04030201, 0x2010, false), (0x08070605, 0x4030, true)]
        );
        assert_eq!(got.v, [(0x0C0B0A09, false), (0x100F0E0D, true)]);
        assert_eq!(got.q, [(0, 0x6050_14131211), (1, 0x8070_18171615)]);
    }

    #[test]
    fn routes_a_codes_job() {
        let payload: Vec<u8> = [
            &[9, 10, 11, 12][..], // V rows
            &[13, 14, 15, 16],
            &[1, 2, 3, 4, 5, 6], // a code beat per row (n = 2)
            &[7, 8, 9, 10, 11, 12],
        ]
        .concat();
        let got = route(true, &payload);
        assert!(got.k.is_empty());
        assert_eq!(got.v, [(0x0C0B0A09, false), (0x100F0E0D, true)]);
        // The beats at the top of the 48-bit entry.
        assert_eq!(got.q, [(0, 0x0605_04030201), (1, 0x0C0B_0A090807)]);
    }

    #[test]
    fn lints_clean() {
        let mut uut = RxRouter::<32, 48>::new(&cfg());
        uut.connect_all();
        verilator_lint("rx_router", &generate_verilog(&uut)).unwrap();
    }
}
