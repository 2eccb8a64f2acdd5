//! `ScoreStage`: S1, P scores a cycle into a row's x bank, and the row's maximum.

use crate::front_end::dot_product::DotProduct;
use crate::front_end::row_max::RowMax;
use crate::front_end::scale_shift::{ScaleShift, XB};
use crate::front_end::score_lane::ScoreLane;
use crate::front_end::tag_line::TagLine;
use rust_hdl::prelude::*;

/// S1 of the front end: the key banks and P score units ([`ScoreLane`]); the row's x values
/// out to the x banks, and the row's maximum ([`RowMax`]).
///
/// **Keys.** Key j (one a cycle, `k_fire`) goes to bank `j mod P` at address `j / P`; with the
/// last key (`k_last`) the stage latches the head's n (`kn`), its last key group
/// `kg1m1 = (n - 1) / P` and S3's last group `kg3m1 = 16/P ceil(n/16) - 1`. The caller loads
/// keys only while S1 is not issuing (`run` low).
///
/// **Rows.** A row is taken (`in_valid` and `in_ready`) with its query multiplier `mq`, shift,
/// full key groups `fg`, the lane mask of the partial group `pmask` and its x bank `bank`;
/// from the next cycle on S1 issues key group g = 0 .. `kg1m1`, one a cycle, and it is ready
/// for the next row in the cycle of the last group. The query row `q` is read in the cycle
/// group 0 issues (the caller keeps it for one cycle after the take). A group's lanes are
/// valid where `g < fg`, or `g == fg` and `pmask` (keys below the valid length and n).
///
/// Per-key tags travel with the data ([`TagLine`]): valid, first and last of the row, bank,
/// lane mask, group, and `mq` and the shift up to the [`ScaleShift`]s; so every row constant a
/// late stage uses belongs to the row in that stage, and rows follow each other with no gap.
///
/// Inputs: `clock`; `reset`; `k_fire`, `k_last`, `k_data` (`KW`), `k_user` (16, `mk`);
/// `in_valid`, `q` (`KW`), `mq` (16), `shift` (6), `fg` (16), `pmask` (8), `bank` (3).
/// Outputs: `kn`, `kg1m1`, `kg3m1` (16 each); `in_ready`; `run`; x out `x` (P values of 25
/// bits), `x_we`, `x_bank` (3), `x_group` (16); row maximum `done`, `done_bank` (3),
/// `done_m` (25).
#[derive(LogicBlock)]
pub struct ScoreStage<const KW: usize, const A: usize, const SB: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub k_fire: Signal<In, Bit>,
    pub k_last: Signal<In, Bit>,
    pub k_data: Signal<In, Bits<KW>>,
    pub k_user: Signal<In, Bits<16>>,
    pub kn: Signal<Out, Bits<16>>,
    pub kg1m1: Signal<Out, Bits<16>>,
    pub kg3m1: Signal<Out, Bits<16>>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub run: Signal<Out, Bit>,
    pub q: Signal<In, Bits<KW>>,
    pub mq: Signal<In, Bits<16>>,
    pub shift: Signal<In, Bits<6>>,
    pub fg: Signal<In, Bits<16>>,
    pub pmask: Signal<In, Bits<8>>,
    pub bank: Signal<In, Bits<3>>,
    pub x: Vec<Signal<Out, Bits<XB>>>,
    pub x_we: Signal<Out, Bit>,
    pub x_bank: Signal<Out, Bits<3>>,
    pub x_group: Signal<Out, Bits<16>>,
    pub done: Signal<Out, Bit>,
    pub done_bank: Signal<Out, Bits<3>>,
    pub done_m: Signal<Out, Bits<XB>>,
    lanes: Vec<ScoreLane<KW, A, SB>>,
    tag_a: TagLine<52>,
    tag_b: TagLine<30>,
    rmax: RowMax,
    c_full: Constant<Bits<8>>,
    c_oh_last: Constant<Bits<8>>,
    c_gpb_m1: Constant<Bits<16>>,
    k_oh: DFF<Bits<8>>,
    /// The key accepted at the last edge, written into its bank at the next one (so that a
    /// bank's write enable starts at a flop, not at the K handshake; keys load only while S1
    /// is idle, and S1 reads key 0 at least two edges after the last key is accepted).
    kw_oh: DFF<Bits<8>>,
    kw_addr: DFF<Bits<16>>,
    kw_data: DFF<Bits<KW>>,
    kw_user: DFF<Bits<16>>,
    k_addr: DFF<Bits<16>>,
    k_cnt: DFF<Bits<16>>,
    k_n: DFF<Bits<16>>,
    k_g1m1: DFF<Bits<16>>,
    k_g3m1: DFF<Bits<16>>,
    s_run: DFF<Bit>,
    at_last: DFF<Bit>,
    at_first: DFF<Bit>,
    g_inc: Signal<Local, Bits<16>>,
    at_first_next: Signal<Local, Bit>,
    g: DFF<Bits<16>>,
    gl: DFF<Bits<16>>,
    fg_r: DFF<Bits<16>>,
    pm_r: DFF<Bits<8>>,
    bank_r: DFF<Bits<3>>,
    q_reg: DFF<Bits<KW>>,
    /// `q_reg` loads this cycle (the row's first group issues): a register, decided a cycle
    /// ahead, so that the enable of the `8 D`-bit row that feeds every score unit comes
    /// straight from a flip-flop (out of context on the ECP5-85F, the P = 4, K = 2 octave head
    /// routed at 53.0-53.5 MHz with S1's group counter through the compare into that enable
    /// among its critical paths; 66.4 MHz with this register).
    q_load: DFF<Bit>,
    mq_r: DFF<Bits<16>>,
    sh_r: DFF<Bits<6>>,
    last: Signal<Local, Bit>,
    first: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    /// `g` of the next cycle.
    g_next: Signal<Local, Bits<16>>,
    /// `s_run` of the next cycle.
    s_run_next: Signal<Local, Bit>,
    mask: Signal<Local, Bits<8>>,
    tag: Signal<Local, Bits<52>>,
}

impl<const KW: usize, const A: usize, const SB: usize> ScoreStage<KW, A, SB> {
    /// Edges from a group's issue to its x values: the key bank, [`DotProduct`],
    /// [`ScaleShift`].
    pub fn latency() -> usize {
        1 + DotProduct::<KW, SB>::latency() + ScaleShift::<SB>::LATENCY
    }

    /// S1 with `p` lanes (1, 2, 4 or 8; checked by the caller).
    pub fn new(p: usize) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            k_fire: Default::default(),
            k_last: Default::default(),
            k_data: Default::default(),
            k_user: Default::default(),
            kn: Default::default(),
            kg1m1: Default::default(),
            kg3m1: Default::default(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            run: Default::default(),
            q: Default::default(),
            mq: Default::default(),
            shift: Default::default(),
            fg: Default::default(),
            pmask: Default::default(),
            bank: Default::default(),
            x: (0..p).map(|_| Default::default()).collect(),
            x_we: Default::default(),
            x_bank: Default::default(),
            x_group: Default::default(),
            done: Default::default(),
            done_bank: Default::default(),
            done_m: Default::default(),
            lanes: (0..p).map(|_| Default::default()).collect(),
            tag_a: TagLine::new(1 + DotProduct::<KW, SB>::latency()),
            tag_b: TagLine::new(ScaleShift::<SB>::LATENCY),
            rmax: RowMax::new(p),
            c_full: Constant::new(((1u64 << p) - 1).into()),
            c_oh_last: Constant::new((1u64 << (p - 1)).into()),
            c_gpb_m1: Constant::new((16 / p as u64 - 1).into()),
            k_oh: Default::default(),
            kw_oh: Default::default(),
            kw_addr: Default::default(),
            kw_data: Default::default(),
            kw_user: Default::default(),
            k_addr: Default::default(),
            k_cnt: Default::default(),
            k_n: Default::default(),
            k_g1m1: Default::default(),
            k_g3m1: Default::default(),
            s_run: Default::default(),
            at_last: Default::default(),
            at_first: Default::default(),
            g_inc: Default::default(),
            at_first_next: Default::default(),
            g: Default::default(),
            gl: Default::default(),
            fg_r: Default::default(),
            pm_r: Default::default(),
            bank_r: Default::default(),
            q_reg: Default::default(),
            q_load: Default::default(),
            mq_r: Default::default(),
            sh_r: Default::default(),
            last: Default::default(),
            first: Default::default(),
            take: Default::default(),
            g_next: Default::default(),
            s_run_next: Default::default(),
            mask: Default::default(),
            tag: Default::default(),
        }
    }

    /// The same stage with `per_unit[i]` of score unit i's D products built in LUTs
    /// ([`ScoreLane::with_lut_products`]). Panics unless there is one count per unit, each
    /// at most D.
    pub fn with_lut_products(mut self, per_unit: &[usize]) -> Self {
        assert_eq!(
            per_unit.len(),
            self.lanes.len(),
            "ScoreStage: one LUT product count per score unit (P = {})",
            self.lanes.len()
        );
        self.lanes = std::mem::take(&mut self.lanes)
            .into_iter()
            .zip(per_unit)
            .map(|(l, &n)| l.with_lut_products(n))
            .collect();
        self
    }

    /// The products built in LUTs of each score unit.
    pub fn lut_products(&self) -> Vec<usize> {
        self.lanes.iter().map(|l| l.lut_products()).collect()
    }
}

impl<const KW: usize, const A: usize, const SB: usize> Logic for ScoreStage<KW, A, SB> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, k_oh, kw_oh, kw_addr, kw_data, kw_user, k_addr, k_cnt, k_n, k_g1m1,
            k_g3m1, s_run, at_last, at_first, g, gl, fg_r, pm_r, bank_r, q_reg, q_load, mq_r, sh_r
        );
        self.tag_a.clock.next = self.clock.val();
        self.tag_b.clock.next = self.clock.val();
        self.rmax.clock.next = self.clock.val();
        self.tag_a.reset.next = self.reset.val();
        self.tag_b.reset.next = self.reset.val();
        self.rmax.reset.next = self.reset.val();
        self.kn.next = self.k_n.q.val();
        self.kg1m1.next = self.k_g1m1.q.val();
        self.kg3m1.next = self.k_g3m1.q.val();

        // Keys: bank j mod P (a rotating one-hot), address j / P.
        if self.k_fire.val() {
            if self.k_last.val() {
                self.k_oh.d.next = 1.into();
                self.k_addr.d.next = 0.into();
                self.k_cnt.d.next = 0.into();
                self.k_n.d.next = self.k_cnt.q.val() + 1;
                self.k_g1m1.d.next = self.k_addr.q.val();
                self.k_g3m1.d.next = self.k_addr.q.val() | self.c_gpb_m1.val();
            } else {
                self.k_cnt.d.next = self.k_cnt.q.val() + 1;
                if self.k_oh.q.val() == self.c_oh_last.val() {
                    self.k_oh.d.next = 1.into();
                    self.k_addr.d.next = self.k_addr.q.val() + 1;
                } else {
                    self.k_oh.d.next = self.k_oh.q.val() << 1;
                }
            }
        }

        // Rows: take, then issue groups 0 ..= gl, one a cycle.
        self.run.next = self.s_run.q.val();
        // `at_first` (g == 0 once a row is taken) and `at_last` (g == gl) are registers, so
        // that the take -> load chain starts at flops.
        self.first.next = self.at_first.q.val();
        self.last.next = self.s_run.q.val() & self.at_last.q.val();
        self.g_inc.next = self.g.q.val() + 1;
        self.at_first_next.next = self.at_first.q.val();
        self.in_ready.next = !self.s_run.q.val() | self.last.val();
        self.take.next = self.in_valid.val() & self.in_ready.val();
        self.g_next.next = self.g.q.val();
        self.s_run_next.next = self.s_run.q.val();
        if self.take.val() {
            self.s_run_next.next = true;
            self.g_next.next = 0.into();
            self.at_first_next.next = true;
            self.at_last.d.next = self.k_g1m1.q.val() == 0;
            self.gl.d.next = self.k_g1m1.q.val();
            self.fg_r.d.next = self.fg.val();
            self.pm_r.d.next = self.pmask.val();
            self.bank_r.d.next = self.bank.val();
            self.mq_r.d.next = self.mq.val();
            self.sh_r.d.next = self.shift.val();
        } else if self.last.val() {
            self.s_run_next.next = false;
        } else if self.s_run.q.val() {
            self.g_next.next = self.g_inc.val();
            self.at_first_next.next = false;
            self.at_last.d.next = self.g_inc.val() == self.gl.q.val();
        }
        if self.reset.val() {
            self.s_run_next.next = false;
        }
        self.g.d.next = self.g_next.val();
        self.s_run.d.next = self.s_run_next.val();
        self.at_first.d.next = self.at_first_next.val();
        // The query row meets group 0's keys one edge after it issues: `q_load` is set exactly
        // in the cycles where `s_run & first`.
        self.q_load.d.next = self.s_run_next.val() & self.at_first_next.val();
        if self.q_load.q.val() {
            self.q_reg.d.next = self.q.val();
        }
        self.mask.next = 0.into();
        if self.g.q.val() < self.fg_r.q.val() {
            self.mask.next = self.c_full.val();
        } else if self.g.q.val() == self.fg_r.q.val() {
            self.mask.next = self.pm_r.q.val();
        }
        // Tag: [0] valid, [1] first, [2] last, [5:3] bank, [13:6] lane mask, [29:14] group,
        // [45:30] mq, [51:46] shift.
        self.tag.next = bit_cast::<52, 1>(self.s_run.q.val().into())
            | (bit_cast::<52, 1>(self.first.val().into()) << 1)
            | (bit_cast::<52, 1>(self.last.val().into()) << 2)
            | (bit_cast::<52, 3>(self.bank_r.q.val()) << 3)
            | (bit_cast::<52, 8>(self.mask.val()) << 6)
            | (bit_cast::<52, 16>(self.g.q.val()) << 14)
            | (bit_cast::<52, 16>(self.mq_r.q.val()) << 30)
            | (bit_cast::<52, 6>(self.sh_r.q.val()) << 46);
        self.tag_a.d.next = self.tag.val();
        self.tag_b.d.next = self.tag_a.q.val().get_bits::<30>(0);

        self.kw_oh.d.next = 0.into();
        if self.k_fire.val() {
            self.kw_oh.d.next = self.k_oh.q.val();
        }
        self.kw_addr.d.next = self.k_addr.q.val();
        self.kw_data.d.next = self.k_data.val();
        self.kw_user.d.next = self.k_user.val();
        for b in 0..self.lanes.len() {
            self.lanes[b].clock.next = self.clock.val();
            self.lanes[b].reset.next = self.reset.val();
            self.lanes[b].k_we.next = self.kw_oh.q.val().get_bit(b);
            self.lanes[b].k_addr.next = self.kw_addr.q.val();
            self.lanes[b].k_data.next = self.kw_data.q.val();
            self.lanes[b].k_user.next = self.kw_user.q.val();
            self.lanes[b].rd_addr.next = self.g.q.val();
            self.lanes[b].q.next = self.q_reg.q.val();
            self.lanes[b].mq.next = self.tag_a.q.val().get_bits::<16>(30);
            self.lanes[b].shift.next = self.tag_a.q.val().get_bits::<6>(46);
            self.x[b].next = self.lanes[b].x.val();
            self.rmax.x[b].next = self.lanes[b].x.val();
        }
        self.x_we.next = self.tag_b.q.val().get_bit(0);
        self.x_bank.next = self.tag_b.q.val().get_bits::<3>(3);
        self.x_group.next = self.tag_b.q.val().get_bits::<16>(14);
        self.rmax.valid.next = self.tag_b.q.val().get_bit(0);
        self.rmax.first.next = self.tag_b.q.val().get_bit(1);
        self.rmax.last.next = self.tag_b.q.val().get_bit(2);
        self.rmax.bank.next = self.tag_b.q.val().get_bits::<3>(3);
        self.rmax.mask.next = self.tag_b.q.val().get_bits::<8>(6);
        self.done.next = self.rmax.done.val();
        self.done_bank.next = self.rmax.done_bank.val();
        self.done_m.next = self.rmax.m.val();
        if self.reset.val() {
            self.k_oh.d.next = 1.into();
            self.k_addr.d.next = 0.into();
            self.k_cnt.d.next = 0.into();
        }
    }
}
