//! `FrontEnd`: integer Q and K to 3-bit log codes on chip (scores, log-domain softmax, codes),
//! P keys a cycle in three elastic row stages.

pub mod beat_pack;
pub mod beat_queue;
pub mod code_lane;
pub mod code_of;
pub mod code_stage;
pub mod dot_product;
pub mod exp2_neg;
pub mod exp_sum;
pub mod hold_row;
pub mod key_ram;
pub mod log2_sum;
pub mod row_max;
pub mod row_table;
pub mod scale_shift;
pub mod score_lane;
pub mod score_stage;
pub mod sum_lane;
pub mod sum_stage;
pub mod tag_line;
mod twin_delay;
pub mod x_ram;

use crate::front_end::code_stage::CodeStage;
use crate::front_end::dot_product::DotProduct;
use crate::front_end::hold_row::HoldRow;
use crate::front_end::row_table::RowTable;
use crate::front_end::scale_shift::XB;
use crate::front_end::score_stage::ScoreStage;
use crate::front_end::sum_stage::SumStage;
use model::frontend::{FrontEndParams, Tables, KEYS_PER_CYCLE};
use model::Codebook;
use rust_hdl::prelude::*;

/// Rows the front end holds at once: its x banks (`model::timing::X_BANKS`).
pub const X_BANKS: usize = 8;

/// The score and log-softmax front end, bit-exactly `model::frontend::front_end` from the
/// quantized inputs on (`docs/numerics.md` §6): for each query row, `x_j = sat(round(s_j mk_j
/// mq >> shift))` with `s_j = Qq . Kq[j]`, `m = max x_j`, `L = log2 sum 2^(x_j - m)`, and the
/// code of `y_j = x_j - m - L`; keys `j >= valid_len` are masked (code 0).
///
/// Const parameters (checked by [`FrontEnd::new`]): `KW = 8 D`, `A = log2 N_MAX`,
/// `SB = log2(D) + 16` (score width), `SUMB = FrontEndParams::sum_bits()`. P, the keys scored a
/// cycle (`FrontEndParams::keys_per_cycle`: 1, 2, 4 or 8), is a run-time parameter: the length
/// of the per-key units' lists.
///
/// Inputs: `clock`; `reset` (synchronous, active high); key stream `s_axis_k_tdata` (`KW`,
/// `Kq[j]` byte l at `[8l+7:8l]`), `s_axis_k_tuser` (16, the key multiplier `mk[j]`),
/// `s_axis_k_tvalid`, `s_axis_k_tlast` (the last key: n = the number of keys); query stream
/// `s_axis_q_tdata` (`KW`, `Qq[i]`), `s_axis_q_tuser` (40: `[15:0]` the query multiplier
/// `mq[i]`, `[21:16]` the shift, `[39:24]` the valid length), `s_axis_q_tvalid`;
/// `m_axis_c_tready`.
/// Outputs: `s_axis_k_tready`, `s_axis_q_tready`; code stream `m_axis_c_tdata` (48, 16 codes,
/// code m at `[3m+2:3m]`), `m_axis_c_tvalid`, `m_axis_c_tlast` (the row's last beat);
/// `busy` (a row is held or in a stage, or a beat is in flight or queued).
///
/// Microarchitecture (`docs/architecture.md`, "The front end"): three elastic row stages,
/// each with P lanes, that hand a row on as soon as the next stage is free:
/// - S1 ([`ScoreStage`]): P key banks (key j in bank `j mod P` at `j / P`), P [`DotProduct`]s
///   and `ScaleShift`s: a key group a cycle into the row's x bank, and the row's maximum;
/// - S2 ([`SumStage`]): P exp2 units on S2's copy of the x banks, an adder tree into the
///   row's sum, then `Log2Sum`;
/// - S3 ([`CodeStage`]): P code comparators on S3's copy of the x banks, 16 codes packed per
///   beat (a beat every 16 / P groups) into a credit-checked 4-deep queue.
///
/// A query row is accepted into a hold register when it is empty (and no key is loading or
/// offered; the register loads the offered row on every cycle it is empty, and the handshake
/// only marks it full); S1 takes it when one of the [`X_BANKS`] x banks is free. A row's bank is its
/// number mod 8; the stages count the rows they have taken and finished (S1 finishes with the
/// maximum, S2 with L, S3 with its last group's read, which frees the bank), and a stage takes
/// the next row when the stage before has finished it. A row's constants live in three
/// [`RowTable`]s indexed by bank: its full key groups, partial lane mask and group counts
/// (written when S1 takes it), its maximum (S1) and L (S2). Keys are loaded (addresses 0,
/// 1, ...) only while S1 issues nothing and the hold is empty, i.e. while the rows of the
/// previous head, if any, are past S1; a key beat offered then has priority over a query
/// beat. `model::timing::head_cycles` models all of this cycle by cycle.
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
    s1: ScoreStage<KW, A, SB>,
    s2: SumStage<SUMB>,
    s3: CodeStage,
    desc: RowTable<56>,
    mtab: RowTable<XB>,
    ltab: RowTable<XB>,
    c_logp: Constant<Bits<4>>,
    c_pm1: Constant<Bits<16>>,
    c_one8: Constant<Bits<8>>,
    k_loading: DFF<Bit>,
    hold: HoldRow<KW>,
    hold_mq: DFF<Bits<16>>,
    hold_sh: DFF<Bits<6>>,
    hold_fg: DFF<Bits<16>>,
    hold_pm: DFF<Bits<8>>,
    c1s: DFF<Bits<4>>,
    c1: DFF<Bits<4>>,
    c2s: DFF<Bits<4>>,
    c2: DFF<Bits<4>>,
    c3s: DFF<Bits<4>>,
    c3: DFF<Bits<4>>,
    k_fire: Signal<Local, Bit>,
    q_fire: Signal<Local, Bit>,
    vlen: Signal<Local, Bits<16>>,
    lim: Signal<Local, Bits<16>>,
    lim_lo: Signal<Local, Bits<16>>,
    /// Rows taken by S1 and not finished by S3 (`c1s - c3`, kept as a register so that S1's
    /// take starts at flops).
    rows_in: DFF<Bits<4>>,
    s3_finish: Signal<Local, Bit>,
    s1_take: Signal<Local, Bit>,
    s2_take: Signal<Local, Bit>,
    s3_take: Signal<Local, Bit>,
}

impl<const KW: usize, const A: usize, const SB: usize, const SUMB: usize>
    FrontEnd<KW, A, SB, SUMB>
{
    /// Edges from a key group's issue to its x in the banks: the key bank, [`DotProduct`],
    /// `ScaleShift`.
    pub fn s1_latency() -> usize {
        ScoreStage::<KW, A, SB>::latency()
    }

    /// The front end for `params` (P = `params.keys_per_cycle` keys a cycle) and the edges of
    /// `codebook`; panics with a clear message if the const parameters disagree with `params`
    /// or the build is not supported (P in 1, 2, 4, 8, int8 lanes, 16-bit multipliers,
    /// F = 10, 64- and 256-entry tables, k = 3, N_MAX a power of two in 16..=32768).
    pub fn new(params: &FrontEndParams, codebook: &Codebook) -> Self {
        let p = params.keys_per_cycle;
        assert!(
            KEYS_PER_CYCLE.contains(&p),
            "FrontEnd: keys per cycle P must be one of {KEYS_PER_CYCLE:?}, got {p}"
        );
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
        let logp = p.trailing_zeros() as usize;
        // Each x bank holds N_MAX / P groups of P keys.
        let group_bits = A - logp;
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
            s1: ScoreStage::new(p),
            s2: SumStage::new(p, params, &t, X_BANKS, group_bits),
            s3: CodeStage::new(p, &t, X_BANKS, group_bits),
            desc: Default::default(),
            mtab: Default::default(),
            ltab: Default::default(),
            c_logp: Constant::new((logp as u64).into()),
            c_pm1: Constant::new((p as u64 - 1).into()),
            c_one8: Constant::new(1.into()),
            k_loading: Default::default(),
            hold: Default::default(),
            hold_mq: Default::default(),
            hold_sh: Default::default(),
            hold_fg: Default::default(),
            hold_pm: Default::default(),
            c1s: Default::default(),
            c1: Default::default(),
            c2s: Default::default(),
            c2: Default::default(),
            c3s: Default::default(),
            c3: Default::default(),
            k_fire: Default::default(),
            q_fire: Default::default(),
            vlen: Default::default(),
            lim: Default::default(),
            lim_lo: Default::default(),
            rows_in: Default::default(),
            s3_finish: Default::default(),
            s1_take: Default::default(),
            s2_take: Default::default(),
            s3_take: Default::default(),
        }
    }

    /// The same front end with `per_unit[i]` of score unit i's D products built in LUTs and
    /// the rest in DSP blocks ([`crate::front_end::dot_product::DotProduct::with_lut_products`];
    /// [`crate::configs::MultiplierSplit::score_luts_per_unit`] picks them for a part): the same
    /// codes and cycles. Panics unless there is one count per score unit (P), each at most D.
    pub fn with_lut_products(mut self, per_unit: &[usize]) -> Self {
        self.s1 = self.s1.with_lut_products(per_unit);
        self
    }

    /// The products built in LUTs of each score unit.
    pub fn lut_products(&self) -> Vec<usize> {
        self.s1.lut_products()
    }
}

impl<const KW: usize, const A: usize, const SB: usize, const SUMB: usize> Logic
    for FrontEnd<KW, A, SB, SUMB>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, k_loading, hold_mq, hold_sh, hold_fg, hold_pm, c1s, c1, c2s, c2, c3s, c3,
            rows_in
        );
        self.s1.clock.next = self.clock.val();
        self.s2.clock.next = self.clock.val();
        self.s3.clock.next = self.clock.val();
        self.desc.clock.next = self.clock.val();
        self.mtab.clock.next = self.clock.val();
        self.ltab.clock.next = self.clock.val();
        self.s1.reset.next = self.reset.val();
        self.s2.reset.next = self.reset.val();
        self.s3.reset.next = self.reset.val();

        // Keys, while S1 issues nothing and no query row is held.
        self.s_axis_k_tready.next = !self.reset.val()
            & (self.k_loading.q.val() | (!self.s1.run.val() & !self.hold.full.val()));
        self.k_fire.next = self.s_axis_k_tvalid.val() & self.s_axis_k_tready.val();
        self.s1.k_fire.next = self.k_fire.val();
        self.s1.k_last.next = self.s_axis_k_tlast.val();
        self.s1.k_data.next = self.s_axis_k_tdata.val();
        self.s1.k_user.next = self.s_axis_k_tuser.val();
        if self.k_fire.val() {
            self.k_loading.d.next = !self.s_axis_k_tlast.val();
        }

        // A query row into the hold register, with its valid keys min(valid length, n) as
        // full groups and the lane mask of the partial group.
        self.s_axis_q_tready.next = !self.reset.val()
            & !self.hold.full.val()
            & !self.k_loading.q.val()
            & !self.s_axis_k_tvalid.val();
        self.q_fire.next = self.s_axis_q_tvalid.val() & self.s_axis_q_tready.val();
        self.vlen.next = self.s_axis_q_tuser.val().get_bits::<16>(24);
        self.lim.next = self.s1.kn.val();
        if self.vlen.val() < self.s1.kn.val() {
            self.lim.next = self.vlen.val();
        }
        self.lim_lo.next = self.lim.val() & self.c_pm1.val();
        // The hold registers load on every cycle the hold is empty, taken or not (their
        // enable is the hold flag, a register, not the handshake: that fanned out from the
        // input ports to the 8 D + 46 bits across the die); the take keeps what they loaded.
        // The query row's own flag copies are in `HoldRow`.
        self.hold.clock.next = self.clock.val();
        self.hold.reset.next = self.reset.val();
        self.hold.d.next = self.s_axis_q_tdata.val();
        self.hold.take.next = self.q_fire.val();
        if !self.hold.full.val() {
            self.hold_mq.d.next = self.s_axis_q_tuser.val().get_bits::<16>(0);
            self.hold_sh.d.next = self.s_axis_q_tuser.val().get_bits::<6>(16);
            self.hold_fg.d.next = self.lim.val() >> self.c_logp.val();
            self.hold_pm.d.next = (self.c_one8.val() << self.lim_lo.val()) - self.c_one8.val();
        }

        // S1 takes the held row when a bank is free (fewer than 8 rows taken and not
        // finished by S3).
        self.s1.in_valid.next = self.hold.full.val() & !self.rows_in.q.val().get_bit(3);
        self.s1_take.next = self.s1.in_valid.val() & self.s1.in_ready.val();
        self.hold.done.next = self.s1_take.val();
        self.s1.q.next = self.hold.q.val();
        self.s1.mq.next = self.hold_mq.q.val();
        self.s1.shift.next = self.hold_sh.q.val();
        self.s1.fg.next = self.hold_fg.q.val();
        self.s1.pmask.next = self.hold_pm.q.val();
        self.s1.bank.next = self.c1s.q.val().get_bits::<3>(0);
        if self.s1_take.val() {
            self.c1s.d.next = self.c1s.q.val() + 1;
        }
        // Row table: [15:0] full groups, [23:16] partial lane mask, [39:24] S1/S2's last
        // group, [55:40] S3's last group.
        self.desc.we.next = self.s1_take.val();
        self.desc.wa.next = self.c1s.q.val().get_bits::<3>(0);
        self.desc.wd.next = bit_cast::<56, 16>(self.hold_fg.q.val())
            | (bit_cast::<56, 8>(self.hold_pm.q.val()) << 16)
            | (bit_cast::<56, 16>(self.s1.kg1m1.val()) << 24)
            | (bit_cast::<56, 16>(self.s1.kg3m1.val()) << 40);
        self.mtab.we.next = self.s1.done.val();
        self.mtab.wa.next = self.s1.done_bank.val();
        self.mtab.wd.next = self.s1.done_m.val();
        if self.s1.done.val() {
            self.c1.d.next = self.c1.q.val() + 1;
        }

        // S2 takes a row once S1 has its maximum.
        self.desc.ra0.next = self.c2s.q.val().get_bits::<3>(0);
        self.mtab.ra0.next = self.c2s.q.val().get_bits::<3>(0);
        self.s2.in_valid.next = self.c1.q.val() != self.c2s.q.val();
        self.s2_take.next = self.s2.in_valid.val() & self.s2.in_ready.val();
        self.s2.fg.next = self.desc.rd0.val().get_bits::<16>(0);
        self.s2.pmask.next = self.desc.rd0.val().get_bits::<8>(16);
        self.s2.groups_m1.next = self.desc.rd0.val().get_bits::<16>(24);
        self.s2.m.next = self.mtab.rd0.val();
        self.s2.bank.next = self.c2s.q.val().get_bits::<3>(0);
        if self.s2_take.val() {
            self.c2s.d.next = self.c2s.q.val() + 1;
        }
        self.ltab.we.next = self.s2.done.val();
        self.ltab.wa.next = self.s2.done_bank.val();
        self.ltab.wd.next = self.s2.done_l.val();
        if self.s2.done.val() {
            self.c2.d.next = self.c2.q.val() + 1;
        }

        // S3 takes a row once S2 has its L.
        self.desc.ra1.next = self.c3s.q.val().get_bits::<3>(0);
        self.mtab.ra1.next = self.c3s.q.val().get_bits::<3>(0);
        self.ltab.ra0.next = self.c3s.q.val().get_bits::<3>(0);
        self.ltab.ra1.next = self.c3s.q.val().get_bits::<3>(0);
        self.s3.in_valid.next = self.c2.q.val() != self.c3s.q.val();
        self.s3_take.next = self.s3.in_valid.val() & self.s3.in_ready.val();
        self.s3.fg.next = self.desc.rd1.val().get_bits::<16>(0);
        self.s3.pmask.next = self.desc.rd1.val().get_bits::<8>(16);
        self.s3.groups_m1.next = self.desc.rd1.val().get_bits::<16>(40);
        self.s3.m.next = self.mtab.rd1.val();
        self.s3.l.next = self.ltab.rd1.val();
        self.s3.bank.next = self.c3s.q.val().get_bits::<3>(0);
        if self.s3_take.val() {
            self.c3s.d.next = self.c3s.q.val() + 1;
        }
        self.s3_finish.next = self.s3.finish.val();
        if self.s3_finish.val() {
            self.c3.d.next = self.c3.q.val() + 1;
        }
        if self.s1_take.val() & !self.s3_finish.val() {
            self.rows_in.d.next = self.rows_in.q.val() + 1;
        } else if !self.s1_take.val() & self.s3_finish.val() {
            self.rows_in.d.next = self.rows_in.q.val() - 1;
        }

        // S1's x values into S2's and S3's copies of the banks.
        self.s2.x_we.next = self.s1.x_we.val();
        self.s2.x_bank.next = self.s1.x_bank.val();
        self.s2.x_group.next = self.s1.x_group.val();
        self.s3.x_we.next = self.s1.x_we.val();
        self.s3.x_bank.next = self.s1.x_bank.val();
        self.s3.x_group.next = self.s1.x_group.val();
        for b in 0..self.s1.x.len() {
            self.s2.x[b].next = self.s1.x[b].val();
            self.s3.x[b].next = self.s1.x[b].val();
        }

        // Codes out.
        self.s3.m_axis_c_tready.next = self.m_axis_c_tready.val();
        self.m_axis_c_tdata.next = self.s3.m_axis_c_tdata.val();
        self.m_axis_c_tvalid.next = self.s3.m_axis_c_tvalid.val();
        self.m_axis_c_tlast.next = self.s3.m_axis_c_tlast.val();
        self.busy.next = self.hold.full.val() | self.rows_in.q.val().any() | self.s3.busy.val();
        if self.reset.val() {
            self.k_loading.d.next = false;
            self.c1s.d.next = 0.into();
            self.c1.d.next = 0.into();
            self.c2s.d.next = 0.into();
            self.c2.d.next = 0.into();
            self.c3s.d.next = 0.into();
            self.c3.d.next = 0.into();
            self.rows_in.d.next = 0.into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::front_end::beat_queue::QUEUE_DEPTH;

    type Fe64 = FrontEnd<512, 9, 22, 25>;

    fn fe(d: usize, n_max: usize) -> FrontEndParams {
        FrontEndParams::hardware(d, n_max)
    }

    fn log3() -> Codebook {
        Codebook::log(3, 1e-3).unwrap()
    }

    #[test]
    fn latencies_are_the_ones_model_timing_uses() {
        use crate::front_end::code_of::CodeOf;
        use crate::front_end::exp2_neg::Exp2Neg;
        use crate::front_end::log2_sum::Log2Sum;
        use crate::front_end::row_max::RowMax;
        use crate::front_end::scale_shift::ScaleShift;
        use crate::front_end::x_ram::XRam;
        use model::timing as t;
        assert_eq!(DotProduct::<512, 22>::latency(), t::score_latency(64));
        assert_eq!(DotProduct::<256, 21>::latency(), t::score_latency(32));
        assert_eq!(DotProduct::<32, 18>::latency(), t::score_latency(4));
        assert_eq!(ScaleShift::<22>::LATENCY, t::SCALE_LATENCY);
        assert_eq!(Exp2Neg::LATENCY, t::EXP_LATENCY);
        assert_eq!(Log2Sum::<25>::LATENCY, t::LOG_LATENCY);
        assert_eq!(CodeOf::LATENCY, t::CODE_LATENCY);
        assert_eq!(XRam::LATENCY, t::BANK_READ_LATENCY);
        assert_eq!(QUEUE_DEPTH, t::BEAT_QUEUE_DEPTH);
        assert_eq!(X_BANKS, t::X_BANKS);
        assert_eq!(Fe64::s1_latency(), t::s1_latency(64));
        assert_eq!(FrontEnd::<32, 6, 18, 22>::s1_latency(), t::s1_latency(4));
        assert_eq!(CodeStage::LATENCY, t::BANK_READ_LATENCY + t::CODE_LATENCY);
        for p in KEYS_PER_CYCLE {
            assert_eq!(RowMax::new(p).latency(), t::tree_latency(p));
            assert_eq!(
                SumStage::<25>::latency(p),
                t::BANK_READ_LATENCY + t::EXP_LATENCY + t::tree_latency(p) + t::LOG_LATENCY
            );
        }
    }

    #[test]
    #[should_panic(expected = "FrontEnd: keys per cycle P must be one of [1, 2, 4, 8], got 3")]
    fn rejects_other_keys_per_cycle() {
        let p = FrontEndParams {
            keys_per_cycle: 3,
            ..fe(64, 512)
        };
        let _ = Fe64::new(&p, &log3());
    }

    #[test]
    #[should_panic(expected = "FrontEnd: keys per cycle P must be one of [1, 2, 4, 8], got 16")]
    fn rejects_sixteen_keys_per_cycle() {
        let p = FrontEndParams {
            keys_per_cycle: 16,
            ..fe(64, 512)
        };
        let _ = Fe64::new(&p, &log3());
    }

    #[test]
    fn builds_for_matching_parameters() {
        for p in KEYS_PER_CYCLE {
            let params = fe(64, 512).with_keys_per_cycle(p).unwrap();
            let _ = Fe64::new(&params, &log3());
            let _ = Fe64::new(&params, &Codebook::octave(3).unwrap());
        }
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
