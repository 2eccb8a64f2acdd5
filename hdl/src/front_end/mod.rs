//! `FrontEnd`: integer Q and K to 3-bit log codes on chip (scores, log-domain softmax, codes).

pub mod beat_queue;
pub mod code_of;
pub mod dot_product;
pub mod exp2_neg;
pub mod log2_sum;
pub mod scale_shift;
mod twin_delay;

use crate::front_end::beat_queue::BeatQueue;
use crate::front_end::code_of::CodeOf;
use crate::front_end::dot_product::DotProduct;
use crate::front_end::exp2_neg::Exp2Neg;
use crate::front_end::log2_sum::Log2Sum;
use crate::front_end::scale_shift::{ScaleShift, XB};
use model::frontend::{FrontEndParams, Tables};
use model::Codebook;
use rust_hdl::prelude::*;

/// The score and log-softmax front end, bit-exactly `model::frontend::front_end` from the
/// quantized inputs on (`docs/numerics.md` §6): for each query row, `x_j = sat(round(s_j mk_j
/// mq >> shift))` with `s_j = Qq . Kq[j]`, `m = max x_j`, `L = log2 sum 2^(x_j - m)`, and the
/// code of `y_j = x_j - m - L`; keys `j >= valid_len` are masked (code 0).
///
/// Const parameters (checked by [`FrontEnd::new`]): `KW = 8 D`, `A = log2 N_MAX`,
/// `SB = log2(D) + 16` (score width), `SUMB = FrontEndParams::sum_bits()`.
///
/// Inputs: `clock`; `reset` (synchronous, active high); key stream `s_axis_k_tdata` (`KW`,
/// `Kq[j]` byte l at `[8l+7:8l]`), `s_axis_k_tuser` (16, the key multiplier `mk[j]`),
/// `s_axis_k_tvalid`, `s_axis_k_tlast` (the last key: n = the number of keys); query stream
/// `s_axis_q_tdata` (`KW`, `Qq[i]`), `s_axis_q_tuser` (40: `[15:0]` the query multiplier
/// `mq[i]`, `[21:16]` the shift, `[39:24]` the valid length), `s_axis_q_tvalid`;
/// `m_axis_c_tready`.
/// Outputs: `s_axis_k_tready`, `s_axis_q_tready`; code stream `m_axis_c_tdata` (48, 16 codes,
/// code m at `[3m+2:3m]`), `m_axis_c_tvalid`, `m_axis_c_tlast` (the row's last beat);
/// `busy` (a row is in a stage or a beat is queued).
///
/// Microarchitecture: three row stages run in lock step on three x banks (block RAMs of
/// `N_MAX x 25` bits) that rotate at each phase advance:
/// - S1 (scores): one key per cycle from the key RAM through [`DotProduct`] (D multipliers)
///   and [`ScaleShift`] into the row's x bank; the running maximum is kept on the way;
/// - S2 (sum): one x per cycle (bank read and a register) through [`Exp2Neg`] into the exp2
///   sum; then [`Log2Sum`];
/// - S3 (codes): one x per cycle (bank read and a register) through [`CodeOf`], 16 codes packed per beat into a
///   4-deep [`BeatQueue`]; a beat's 16 positions are issued only when the queue is sure to
///   have room for it (credits: queued beats plus beats in flight below 4).
///
/// A query row is accepted into a hold register (when it is empty); a phase advances when every
/// occupied stage is done: S3 takes the row of S2, S2 that of S1, and S1 the held row if there
/// is one (else S1 stays empty and the pipe drains). The key RAM is loaded (addresses 0, 1,
/// ...) only while S1 and the hold are empty; a key beat offered then has priority over a
/// query beat. `model::timing::head_cycles` models all of
/// this cycle by cycle.
#[derive(LogicBlock)]
pub struct FrontEnd<const KW: usize, const A: usize, const SB: usize, const SUMB: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub s_axis_k_tdata: Signal<In, Bits<KW>>,
    pub s_axis_k_tuser: Signal<In, Bits<16>>,
    pub s_axis_k_tvalid: Signal<In, Bit>,
    pub s_axis_k_tready: Signal<Out, Bit>,
    pub s_axis_k_tlast: Signal<In, Bit>,
    pub s_axis_q_tdata: Signal<In, Bits<KW>>,
    pub s_axis_q_tuser: Signal<In, Bits<40>>,
    pub s_axis_q_tvalid: Signal<In, Bit>,
    pub s_axis_q_tready: Signal<Out, Bit>,
    pub m_axis_c_tdata: Signal<Out, Bits<48>>,
    pub m_axis_c_tvalid: Signal<Out, Bit>,
    pub m_axis_c_tready: Signal<In, Bit>,
    pub m_axis_c_tlast: Signal<Out, Bit>,
    pub busy: Signal<Out, Bit>,
    kram: RAM<Bits<KW>, A>,
    mkram: RAM<Bits<16>, A>,
    xram0: RAM<Bits<XB>, A>,
    xram1: RAM<Bits<XB>, A>,
    xram2: RAM<Bits<XB>, A>,
    dot: DotProduct<KW, SB>,
    scale: ScaleShift<SB>,
    exp: Exp2Neg,
    logs: Log2Sum<SUMB>,
    codeof: CodeOf,
    queue: BeatQueue,
    k_addr: DFF<Bits<16>>,
    k_loading: DFF<Bit>,
    k_n: DFF<Bits<16>>,
    ph: DFF<Bits<2>>,
    s1_occ: DFF<Bit>,
    s1_done: DFF<Bit>,
    s1_j: DFF<Bits<16>>,
    s1_rd: DFF<Bit>,
    s1_out: DFF<Bits<16>>,
    s1_n: DFF<Bits<16>>,
    s1_vlen: DFF<Bits<16>>,
    s1_nm1: DFF<Bits<16>>,
    s1_vlm1: DFF<Bits<16>>,
    s1_vok: DFF<Bit>,
    q_hold: DFF<Bit>,
    q_hold_data: DFF<Bits<KW>>,
    q_hold_user: DFF<Bits<40>>,
    q_reg: DFF<Bits<KW>>,
    mq: DFF<Bits<16>>,
    shift: DFF<Bits<6>>,
    s1_max: DFF<Bits<XB>>,
    s1_any: DFF<Bit>,
    s2_occ: DFF<Bit>,
    s2_done: DFF<Bit>,
    s2_j: DFF<Bits<16>>,
    s2_rd: DFF<Bit>,
    s2_rd2: DFF<Bit>,
    s2_xr: DFF<Bits<XB>>,
    s2_out: DFF<Bits<16>>,
    s2_n: DFF<Bits<16>>,
    s2_vlen: DFF<Bits<16>>,
    s2_nm1: DFF<Bits<16>>,
    s2_vlm1: DFF<Bits<16>>,
    s2_vok: DFF<Bit>,
    s2_m: DFF<Bits<XB>>,
    s2_sum: DFF<Bits<SUMB>>,
    s2_lgo: DFF<Bit>,
    s2_l: DFF<Bits<XB>>,
    s3_occ: DFF<Bit>,
    s3_done: DFF<Bit>,
    s3_p: DFF<Bits<16>>,
    s3_rd: DFF<Bit>,
    s3_rd2: DFF<Bit>,
    s3_xr: DFF<Bits<XB>>,
    s3_mask: DFF<Bit>,
    s3_mask2: DFF<Bit>,
    s3_out: DFF<Bits<16>>,
    s3_n: DFF<Bits<16>>,
    s3_vlen: DFF<Bits<16>>,
    s3_end: DFF<Bits<16>>,
    s3_endm1: DFF<Bits<16>>,
    s3_m: DFF<Bits<XB>>,
    s3_l: DFF<Bits<XB>>,
    pack: DFF<Bits<48>>,
    inflight: DFF<Bits<3>>,
    all_done: Signal<Local, Bit>,
    adv: Signal<Local, Bit>,
    k_fire: Signal<Local, Bit>,
    q_fire: Signal<Local, Bit>,
    s1_issue: Signal<Local, Bit>,
    s2_issue: Signal<Local, Bit>,
    s3_issue: Signal<Local, Bit>,
    s3_group: Signal<Local, Bit>,
    s2_x: Signal<Local, Bits<XB>>,
    s3_x: Signal<Local, Bits<XB>>,
    pack_next: Signal<Local, Bits<48>>,
    push: Signal<Local, Bit>,
    room: Signal<Local, Bits<3>>,
}

impl<const KW: usize, const A: usize, const SB: usize, const SUMB: usize>
    FrontEnd<KW, A, SB, SUMB>
{
    /// Edges from a key's RAM address to its x in the bank: the key RAM, [`DotProduct`],
    /// [`ScaleShift`].
    pub fn s1_latency() -> usize {
        1 + DotProduct::<KW, SB>::latency() + ScaleShift::<SB>::LATENCY
    }

    /// The front end for `params` and the edges of `codebook`; panics with a clear message if
    /// the const parameters disagree with `params` or the build is not supported (int8 lanes,
    /// 16-bit multipliers, F = 10, 64- and 256-entry tables, k = 3, N_MAX a power of two
    /// in 16..=32768).
    pub fn new(params: &FrontEndParams, codebook: &Codebook) -> Self {
        assert_eq!(KW, 8 * params.d, "FrontEnd: KW must be 8 * D");
        assert!(
            params.n_max.is_power_of_two() && (16..=1 << 15).contains(&params.n_max),
            "FrontEnd: N_MAX must be a power of two in 16..=32768, got {}",
            params.n_max
        );
        assert_eq!(1usize << A, params.n_max, "FrontEnd: A must be log2(N_MAX)");
        assert_eq!(
            SB,
            DotProduct::<KW, SB>::min_score_bits(params.d),
            "FrontEnd: SB must be log2(D) + 16"
        );
        assert_eq!(
            SUMB,
            params.sum_bits() as usize,
            "FrontEnd: SUMB must be params.sum_bits()"
        );
        assert_eq!(
            params.scale_bits, 16,
            "FrontEnd: the multipliers must be 16 bits"
        );
        assert_eq!(codebook.bits(), 3, "FrontEnd: the codebook must have k = 3");
        let t = Tables::new(params, codebook);
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_axis_k_tdata: Default::default(),
            s_axis_k_tuser: Default::default(),
            s_axis_k_tvalid: Default::default(),
            s_axis_k_tready: Default::default(),
            s_axis_k_tlast: Default::default(),
            s_axis_q_tdata: Default::default(),
            s_axis_q_tuser: Default::default(),
            s_axis_q_tvalid: Default::default(),
            s_axis_q_tready: Default::default(),
            m_axis_c_tdata: Default::default(),
            m_axis_c_tvalid: Default::default(),
            m_axis_c_tready: Default::default(),
            m_axis_c_tlast: Default::default(),
            busy: Default::default(),
            kram: Default::default(),
            mkram: Default::default(),
            xram0: Default::default(),
            xram1: Default::default(),
            xram2: Default::default(),
            dot: Default::default(),
            scale: Default::default(),
            exp: Exp2Neg::new(params, &t),
            logs: Log2Sum::new(params, &t),
            codeof: CodeOf::new(&t),
            queue: Default::default(),
            k_addr: Default::default(),
            k_loading: Default::default(),
            k_n: Default::default(),
            ph: Default::default(),
            s1_occ: Default::default(),
            s1_done: Default::default(),
            s1_j: Default::default(),
            s1_rd: Default::default(),
            s1_out: Default::default(),
            s1_n: Default::default(),
            s1_vlen: Default::default(),
            s1_nm1: Default::default(),
            s1_vlm1: Default::default(),
            s1_vok: Default::default(),
            q_hold: Default::default(),
            q_hold_data: Default::default(),
            q_hold_user: Default::default(),
            q_reg: Default::default(),
            mq: Default::default(),
            shift: Default::default(),
            s1_max: Default::default(),
            s1_any: Default::default(),
            s2_occ: Default::default(),
            s2_done: Default::default(),
            s2_j: Default::default(),
            s2_rd: Default::default(),
            s2_rd2: Default::default(),
            s2_xr: Default::default(),
            s2_out: Default::default(),
            s2_n: Default::default(),
            s2_vlen: Default::default(),
            s2_nm1: Default::default(),
            s2_vlm1: Default::default(),
            s2_vok: Default::default(),
            s2_m: Default::default(),
            s2_sum: Default::default(),
            s2_lgo: Default::default(),
            s2_l: Default::default(),
            s3_occ: Default::default(),
            s3_done: Default::default(),
            s3_p: Default::default(),
            s3_rd: Default::default(),
            s3_rd2: Default::default(),
            s3_xr: Default::default(),
            s3_mask: Default::default(),
            s3_mask2: Default::default(),
            s3_out: Default::default(),
            s3_n: Default::default(),
            s3_vlen: Default::default(),
            s3_end: Default::default(),
            s3_endm1: Default::default(),
            s3_m: Default::default(),
            s3_l: Default::default(),
            pack: Default::default(),
            inflight: Default::default(),
            all_done: Default::default(),
            adv: Default::default(),
            k_fire: Default::default(),
            q_fire: Default::default(),
            s1_issue: Default::default(),
            s2_issue: Default::default(),
            s3_issue: Default::default(),
            s3_group: Default::default(),
            s2_x: Default::default(),
            s3_x: Default::default(),
            pack_next: Default::default(),
            push: Default::default(),
            room: Default::default(),
        }
    }
}

impl<const KW: usize, const A: usize, const SB: usize, const SUMB: usize> Logic
    for FrontEnd<KW, A, SB, SUMB>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            k_addr,
            k_loading,
            k_n,
            ph,
            s1_occ,
            s1_done,
            s1_j,
            s1_rd,
            s1_out,
            s1_n,
            s1_vlen,
            q_reg,
            mq,
            shift,
            s1_max,
            s1_any,
            s2_occ,
            s2_done,
            s2_j,
            s2_rd,
            s2_rd2,
            s2_xr,
            s2_out,
            s2_n,
            s2_vlen,
            s2_m,
            s2_sum,
            s2_lgo,
            s2_l,
            s3_occ,
            s3_done,
            s3_p,
            s3_rd,
            s3_rd2,
            s3_xr,
            s3_mask,
            s3_mask2,
            s3_out,
            s3_n,
            s3_vlen,
            s3_end,
            s3_m,
            s3_l,
            pack,
            inflight,
            s1_nm1,
            s1_vlm1,
            s1_vok,
            s2_nm1,
            s2_vlm1,
            s2_vok,
            s3_endm1,
            q_hold,
            q_hold_data,
            q_hold_user
        );
        self.dot.clock.next = self.clock.val();
        self.scale.clock.next = self.clock.val();
        self.exp.clock.next = self.clock.val();
        self.logs.clock.next = self.clock.val();
        self.codeof.clock.next = self.clock.val();
        self.queue.clock.next = self.clock.val();
        self.dot.reset.next = self.reset.val();
        self.scale.reset.next = self.reset.val();
        self.exp.reset.next = self.reset.val();
        self.logs.reset.next = self.reset.val();
        self.codeof.reset.next = self.reset.val();
        self.queue.reset.next = self.reset.val();
        self.kram.write_clock.next = self.clock.val();
        self.kram.read_clock.next = self.clock.val();
        self.mkram.write_clock.next = self.clock.val();
        self.mkram.read_clock.next = self.clock.val();
        self.xram0.write_clock.next = self.clock.val();
        self.xram0.read_clock.next = self.clock.val();
        self.xram1.write_clock.next = self.clock.val();
        self.xram1.read_clock.next = self.clock.val();
        self.xram2.write_clock.next = self.clock.val();
        self.xram2.read_clock.next = self.clock.val();

        // Handshakes and the phase advance.
        self.all_done.next = (!self.s1_occ.q.val() | self.s1_done.q.val())
            & (!self.s2_occ.q.val() | self.s2_done.q.val())
            & (!self.s3_occ.q.val() | self.s3_done.q.val());
        self.s_axis_k_tready.next = !self.reset.val()
            & (self.k_loading.q.val() | (!self.s1_occ.q.val() & !self.q_hold.q.val()));
        // A query row waits in the hold register for the next phase, so the advance (which
        // fans out to every stage register) depends on registers only.
        self.s_axis_q_tready.next = !self.reset.val()
            & !self.q_hold.q.val()
            & !self.k_loading.q.val()
            & !self.s_axis_k_tvalid.val();
        self.k_fire.next = self.s_axis_k_tvalid.val() & self.s_axis_k_tready.val();
        self.q_fire.next = self.s_axis_q_tvalid.val() & self.s_axis_q_tready.val();
        self.adv.next = self.all_done.val()
            & (self.s1_occ.q.val()
                | self.s2_occ.q.val()
                | self.s3_occ.q.val()
                | self.q_hold.q.val());
        self.busy.next = self.s1_occ.q.val()
            | self.s2_occ.q.val()
            | self.s3_occ.q.val()
            | self.q_hold.q.val()
            | self.queue.valid.val();
        if self.q_fire.val() {
            self.q_hold.d.next = true;
            self.q_hold_data.d.next = self.s_axis_q_tdata.val();
            self.q_hold_user.d.next = self.s_axis_q_tuser.val();
        }

        // Key load.
        self.kram.write_enable.next = self.k_fire.val();
        self.kram.write_address.next = self.k_addr.q.val().get_bits::<A>(0);
        self.kram.write_data.next = self.s_axis_k_tdata.val();
        self.mkram.write_enable.next = self.k_fire.val();
        self.mkram.write_address.next = self.k_addr.q.val().get_bits::<A>(0);
        self.mkram.write_data.next = self.s_axis_k_tuser.val();
        if self.k_fire.val() {
            if self.s_axis_k_tlast.val() {
                self.k_addr.d.next = 0.into();
                self.k_loading.d.next = false;
                self.k_n.d.next = self.k_addr.q.val() + 1;
            } else {
                self.k_addr.d.next = self.k_addr.q.val() + 1;
                self.k_loading.d.next = true;
            }
        }

        // S1: scores into the x bank of phase `ph`.
        self.s1_issue.next = self.s1_occ.q.val() & (self.s1_j.q.val() < self.s1_n.q.val());
        self.kram.read_address.next = self.s1_j.q.val().get_bits::<A>(0);
        self.mkram.read_address.next = self.s1_j.q.val().get_bits::<A>(0);
        if self.s1_issue.val() {
            self.s1_j.d.next = self.s1_j.q.val() + 1;
        }
        self.s1_rd.d.next = self.s1_issue.val();
        self.dot.q.next = self.q_reg.q.val();
        self.dot.k.next = self.kram.read_data.val();
        self.dot.side_in.next = self.mkram.read_data.val();
        self.dot.valid_in.next = self.s1_rd.q.val();
        self.scale.s.next = self.dot.s.val();
        self.scale.mk.next = self.dot.side_out.val();
        self.scale.mq.next = self.mq.q.val();
        self.scale.shift.next = self.shift.q.val();
        self.scale.valid_in.next = self.dot.valid_out.val();
        self.xram0.write_address.next = self.s1_out.q.val().get_bits::<A>(0);
        self.xram1.write_address.next = self.s1_out.q.val().get_bits::<A>(0);
        self.xram2.write_address.next = self.s1_out.q.val().get_bits::<A>(0);
        self.xram0.write_data.next = self.scale.x.val();
        self.xram1.write_data.next = self.scale.x.val();
        self.xram2.write_data.next = self.scale.x.val();
        self.xram0.write_enable.next = self.scale.valid_out.val() & (self.ph.q.val() == 0);
        self.xram1.write_enable.next = self.scale.valid_out.val() & (self.ph.q.val() == 1);
        self.xram2.write_enable.next = self.scale.valid_out.val() & (self.ph.q.val() == 2);
        if self.scale.valid_out.val() {
            self.s1_out.d.next = self.s1_out.q.val() + 1;
            if self.s1_out.q.val() == self.s1_nm1.q.val() {
                self.s1_done.d.next = true;
            }
            if self.s1_out.q.val() == self.s1_vlm1.q.val() {
                self.s1_vok.d.next = false;
            }
            if self.s1_vok.q.val()
                & (!self.s1_any.q.val() | (self.scale.x.val() > self.s1_max.q.val()))
            {
                self.s1_max.d.next = self.scale.x.val();
                self.s1_any.d.next = true;
            }
        }

        // Bank reads: S2 reads bank ph - 1, S3 bank ph - 2 (mod 3).
        self.xram0.read_address.next = 0.into();
        self.xram1.read_address.next = 0.into();
        self.xram2.read_address.next = 0.into();
        self.s2_x.next = self.xram2.read_data.val();
        self.s3_x.next = self.xram1.read_data.val();
        if self.ph.q.val() == 0 {
            self.xram2.read_address.next = self.s2_j.q.val().get_bits::<A>(0);
            self.xram1.read_address.next = self.s3_p.q.val().get_bits::<A>(0);
            self.s2_x.next = self.xram2.read_data.val();
            self.s3_x.next = self.xram1.read_data.val();
        } else if self.ph.q.val() == 1 {
            self.xram0.read_address.next = self.s2_j.q.val().get_bits::<A>(0);
            self.xram2.read_address.next = self.s3_p.q.val().get_bits::<A>(0);
            self.s2_x.next = self.xram0.read_data.val();
            self.s3_x.next = self.xram2.read_data.val();
        } else {
            self.xram1.read_address.next = self.s2_j.q.val().get_bits::<A>(0);
            self.xram0.read_address.next = self.s3_p.q.val().get_bits::<A>(0);
            self.s2_x.next = self.xram1.read_data.val();
            self.s3_x.next = self.xram0.read_data.val();
        }

        // S2: the exp2 sum over the valid keys, then L.
        self.s2_issue.next = self.s2_occ.q.val() & (self.s2_j.q.val() < self.s2_n.q.val());
        if self.s2_issue.val() {
            self.s2_j.d.next = self.s2_j.q.val() + 1;
        }
        self.s2_rd.d.next = self.s2_issue.val();
        // A register after the bank (a block RAM's clock-to-out is 5.8 ns on ECP5).
        self.s2_rd2.d.next = self.s2_rd.q.val();
        self.s2_xr.d.next = self.s2_x.val();
        self.exp.m.next = self.s2_m.q.val();
        self.exp.x.next = self.s2_xr.q.val();
        self.exp.valid_in.next = self.s2_rd2.q.val();
        self.s2_lgo.d.next = false;
        if self.exp.valid_out.val() {
            self.s2_out.d.next = self.s2_out.q.val() + 1;
            if self.s2_out.q.val() == self.s2_vlm1.q.val() {
                self.s2_vok.d.next = false;
            }
            if self.s2_vok.q.val() {
                self.s2_sum.d.next = self.s2_sum.q.val() + bit_cast::<SUMB, 16>(self.exp.e.val());
            }
            if self.s2_out.q.val() == self.s2_nm1.q.val() {
                self.s2_lgo.d.next = true;
            }
        }
        self.logs.sum.next = self.s2_sum.q.val();
        self.logs.valid_in.next = self.s2_lgo.q.val();
        if self.logs.valid_out.val() {
            self.s2_l.d.next = self.logs.l.val();
            self.s2_done.d.next = true;
        }

        // S3: codes, 16 per beat, into the queue.
        self.room.next = self.queue.count.val() + self.inflight.q.val();
        self.s3_group.next = self.s3_p.q.val().get_bits::<4>(0) == 0;
        self.s3_issue.next = self.s3_occ.q.val()
            & (self.s3_p.q.val() < self.s3_end.q.val())
            & (!self.s3_group.val() | (self.room.val() < 4));
        if self.s3_issue.val() {
            self.s3_p.d.next = self.s3_p.q.val() + 1;
        }
        self.s3_rd.d.next = self.s3_issue.val();
        self.s3_mask.d.next =
            (self.s3_p.q.val() >= self.s3_vlen.q.val()) | (self.s3_p.q.val() >= self.s3_n.q.val());
        self.s3_rd2.d.next = self.s3_rd.q.val();
        self.s3_xr.d.next = self.s3_x.val();
        self.s3_mask2.d.next = self.s3_mask.q.val();
        self.codeof.x.next = self.s3_xr.q.val();
        self.codeof.m.next = self.s3_m.q.val();
        self.codeof.l.next = self.s3_l.q.val();
        self.codeof.mask.next = self.s3_mask2.q.val();
        self.codeof.valid_in.next = self.s3_rd2.q.val();
        self.pack_next.next =
            (self.pack.q.val() >> 3) | (bit_cast::<48, 3>(self.codeof.code.val()) << 45);
        self.push.next = self.codeof.valid_out.val() & (self.s3_out.q.val().get_bits::<4>(0) == 15);
        if self.codeof.valid_out.val() {
            self.pack.d.next = self.pack_next.val();
            self.s3_out.d.next = self.s3_out.q.val() + 1;
            if self.s3_out.q.val() == self.s3_endm1.q.val() {
                self.s3_done.d.next = true;
            }
        }
        self.queue.push.next = self.push.val();
        self.queue.push_data.next = self.pack_next.val();
        self.queue.push_last.next = self.s3_out.q.val() == self.s3_endm1.q.val();
        if (self.s3_issue.val() & self.s3_group.val()) & !self.push.val() {
            self.inflight.d.next = self.inflight.q.val() + 1;
        } else if !(self.s3_issue.val() & self.s3_group.val()) & self.push.val() {
            self.inflight.d.next = self.inflight.q.val() - 1;
        }
        self.queue.pop.next = self.m_axis_c_tready.val() & self.queue.valid.val();
        self.m_axis_c_tvalid.next = self.queue.valid.val();
        self.m_axis_c_tdata.next = self.queue.head_data.val();
        self.m_axis_c_tlast.next = self.queue.head_last.val();

        // Phase advance: S3 <- S2 <- S1 <- the offered query row (if any).
        if self.adv.val() {
            if self.ph.q.val() == 2 {
                self.ph.d.next = 0.into();
            } else {
                self.ph.d.next = self.ph.q.val() + 1;
            }
            self.s1_occ.d.next = self.q_hold.q.val();
            self.q_hold.d.next = false;
            self.s1_done.d.next = false;
            self.s1_j.d.next = 0.into();
            self.s1_out.d.next = 0.into();
            self.s1_any.d.next = false;
            self.s1_max.d.next = 0.into();
            self.s1_n.d.next = self.k_n.q.val();
            self.q_reg.d.next = self.q_hold_data.q.val();
            self.mq.d.next = self.q_hold_user.q.val().get_bits::<16>(0);
            self.shift.d.next = self.q_hold_user.q.val().get_bits::<6>(16);
            self.s1_vlen.d.next = self.q_hold_user.q.val().get_bits::<16>(24);
            self.s1_nm1.d.next = self.k_n.q.val() - 1;
            self.s1_vlm1.d.next = self.q_hold_user.q.val().get_bits::<16>(24) - 1;
            self.s1_vok.d.next = self.q_hold_user.q.val().get_bits::<16>(24) != 0;
            self.s2_occ.d.next = self.s1_occ.q.val();
            self.s2_done.d.next = false;
            self.s2_j.d.next = 0.into();
            self.s2_out.d.next = 0.into();
            self.s2_sum.d.next = 0.into();
            self.s2_n.d.next = self.s1_n.q.val();
            self.s2_vlen.d.next = self.s1_vlen.q.val();
            self.s2_nm1.d.next = self.s1_nm1.q.val();
            self.s2_vlm1.d.next = self.s1_vlm1.q.val();
            self.s2_vok.d.next = self.s1_vlen.q.val() != 0;
            self.s2_m.d.next = self.s1_max.q.val();
            self.s3_occ.d.next = self.s2_occ.q.val();
            self.s3_done.d.next = false;
            self.s3_p.d.next = 0.into();
            self.s3_out.d.next = 0.into();
            self.s3_n.d.next = self.s2_n.q.val();
            self.s3_vlen.d.next = self.s2_vlen.q.val();
            self.s3_end.d.next = ((self.s2_n.q.val() + 15) >> 4) << 4;
            self.s3_endm1.d.next = (((self.s2_n.q.val() + 15) >> 4) << 4) - 1;
            self.s3_m.d.next = self.s2_m.q.val();
            self.s3_l.d.next = self.s2_l.q.val();
        }
        if self.reset.val() {
            self.k_addr.d.next = 0.into();
            self.k_loading.d.next = false;
            self.k_n.d.next = 0.into();
            self.ph.d.next = 0.into();
            self.q_hold.d.next = false;
            self.s1_occ.d.next = false;
            self.s2_occ.d.next = false;
            self.s3_occ.d.next = false;
            self.s1_done.d.next = false;
            self.s2_done.d.next = false;
            self.s3_done.d.next = false;
            self.s1_rd.d.next = false;
            self.s2_rd.d.next = false;
            self.s3_rd.d.next = false;
            self.s2_rd2.d.next = false;
            self.s3_rd2.d.next = false;
            self.s2_lgo.d.next = false;
            self.inflight.d.next = 0.into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front_end::beat_queue::QUEUE_DEPTH;

    type Fe64 = FrontEnd<512, 9, 22, 25>;

    fn fe(d: usize, n_max: usize) -> FrontEndParams {
        FrontEndParams {
            d,
            n_max,
            ..Default::default()
        }
    }

    fn log3() -> Codebook {
        Codebook::log(3, 1e-3).unwrap()
    }

    #[test]
    fn latencies_are_the_ones_model_timing_uses() {
        use model::timing as t;
        assert_eq!(DotProduct::<512, 22>::latency(), t::score_latency(64));
        assert_eq!(DotProduct::<256, 21>::latency(), t::score_latency(32));
        assert_eq!(DotProduct::<32, 18>::latency(), t::score_latency(4));
        assert_eq!(ScaleShift::<22>::LATENCY, t::SCALE_LATENCY);
        assert_eq!(Exp2Neg::LATENCY, t::EXP_LATENCY);
        assert_eq!(Log2Sum::<25>::LATENCY, t::LOG_LATENCY);
        assert_eq!(CodeOf::LATENCY, t::CODE_LATENCY);
        assert_eq!(QUEUE_DEPTH, t::BEAT_QUEUE_DEPTH);
        assert_eq!(Fe64::s1_latency(), 1 + 6 + 8);
        assert_eq!(t::BANK_READ_LATENCY, 2);
    }

    #[test]
    fn builds_for_matching_parameters() {
        let _ = Fe64::new(&fe(64, 512), &log3());
        let _ = Fe64::new(&fe(64, 512), &Codebook::octave(3).unwrap());
    }

    #[test]
    #[should_panic(expected = "FrontEnd: KW must be 8 * D")]
    fn rejects_other_d() {
        let _ = Fe64::new(&fe(32, 512), &log3());
    }

    #[test]
    #[should_panic(expected = "FrontEnd: A must be log2(N_MAX)")]
    fn rejects_other_n_max() {
        let _ = Fe64::new(&fe(64, 1024), &log3());
    }

    #[test]
    #[should_panic(expected = "FrontEnd: N_MAX must be a power of two in 16..=32768, got 500")]
    fn rejects_n_max_not_a_power_of_two() {
        let _ = Fe64::new(&fe(64, 500), &log3());
    }

    #[test]
    #[should_panic(expected = "FrontEnd: SB must be log2(D) + 16")]
    fn rejects_wrong_score_width() {
        let _ = FrontEnd::<512, 9, 21, 25>::new(&fe(64, 512), &log3());
    }

    #[test]
    #[should_panic(expected = "FrontEnd: the codebook must have k = 3")]
    fn rejects_other_k() {
        let _ = Fe64::new(&fe(64, 512), &Codebook::log(4, 1e-3).unwrap());
    }

    #[test]
    #[should_panic(expected = "FrontEnd: the multipliers must be 16 bits")]
    fn rejects_other_scale_bits() {
        let p = FrontEndParams {
            scale_bits: 12,
            ..fe(64, 512)
        };
        let _ = Fe64::new(&p, &log3());
    }

    #[test]
    #[should_panic(expected = "Exp2Neg: built for F = 10 and a 64-entry table")]
    fn rejects_other_fraction_bits() {
        let p = FrontEndParams {
            frac_bits: 12,
            ..fe(64, 512)
        };
        let _ = Fe64::new(&p, &log3());
    }

    #[test]
    #[should_panic(expected = "DotProduct: KW must be 8 * D with D a power of two, got 96")]
    fn dot_product_rejects_non_power_of_two_d() {
        let _ = DotProduct::<96, 20>::default();
    }
}
