//! `SumStage`: S2, a row's exp2 sum over P x values a cycle, then its log-sum L.

use crate::front_end::exp2_neg::Exp2Neg;
use crate::front_end::exp_sum::ExpSum;
use crate::front_end::log2_sum::Log2Sum;
use crate::front_end::scale_shift::XB;
use crate::front_end::sum_lane::SumLane;
use crate::front_end::tag_line::TagLine;
use crate::front_end::x_ram::XRam;
use model::frontend::{FrontEndParams, Tables};
use rust_hdl::prelude::*;

/// S2 of the front end: P lanes ([`SumLane`]: S2's copy of the x banks and an [`Exp2Neg`]),
/// the row's exp2 sum ([`ExpSum`]) and [`Log2Sum`].
///
/// A row whose maximum is known is taken (`in_valid` and `in_ready`) with its bank, maximum
/// `m`, last group `groups_m1`, full groups `fg` and partial lane mask `pmask`; from the next
/// cycle on S2 issues groups 0 ..= `groups_m1` of the row's bank, one a cycle, and it is ready
/// for the next row in the cycle of the last group. The row's m and the lane masks travel with
/// the reads ([`TagLine`]); L leaves with `done` and the row's bank, [`SumStage::latency`]
/// edges after the last group's issue.
///
/// Inputs: `clock`; `reset`; the x writes of S1 (`x_we`, `x_bank` (3), `x_group` (16), `x`
/// (P values of 25 bits)); `in_valid`, `fg` (16), `pmask` (8), `groups_m1` (16), `m` (25),
/// `bank` (3).
/// Outputs: `in_ready`; `done`, `done_bank` (3), `done_l` (25).
#[derive(LogicBlock)]
pub struct SumStage<const SUMB: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub x_we: Signal<In, Bit>,
    pub x_bank: Signal<In, Bits<3>>,
    pub x_group: Signal<In, Bits<16>>,
    pub x: Vec<Signal<In, Bits<XB>>>,
    pub in_valid: Signal<In, Bit>,
    pub in_ready: Signal<Out, Bit>,
    pub fg: Signal<In, Bits<16>>,
    pub pmask: Signal<In, Bits<8>>,
    pub groups_m1: Signal<In, Bits<16>>,
    pub m: Signal<In, Bits<XB>>,
    pub bank: Signal<In, Bits<3>>,
    pub done: Signal<Out, Bit>,
    pub done_bank: Signal<Out, Bits<3>>,
    pub done_l: Signal<Out, Bits<XB>>,
    lanes: Vec<SumLane>,
    tag_r: TagLine<39>,
    tag_e: TagLine<14>,
    esum: ExpSum<SUMB>,
    logs: Log2Sum<SUMB>,
    tag_l: TagLine<3>,
    c_full: Constant<Bits<8>>,
    s_run: DFF<Bit>,
    at_last: DFF<Bit>,
    at_first: DFF<Bit>,
    g_inc: Signal<Local, Bits<16>>,
    g: DFF<Bits<16>>,
    gl: DFF<Bits<16>>,
    fg_r: DFF<Bits<16>>,
    pm_r: DFF<Bits<8>>,
    bank_r: DFF<Bits<3>>,
    m_r: DFF<Bits<XB>>,
    last: Signal<Local, Bit>,
    first: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    mask: Signal<Local, Bits<8>>,
    tag: Signal<Local, Bits<39>>,
}

impl<const SUMB: usize> SumStage<SUMB> {
    /// Edges from a row's last group issue to its `done`: [`XRam::LATENCY`],
    /// [`Exp2Neg::LATENCY`], the tree and running sum (`log2 P + 1`), [`Log2Sum::LATENCY`].
    pub fn latency(p: usize) -> usize {
        XRam::LATENCY
            + Exp2Neg::LATENCY
            + p.trailing_zeros() as usize
            + 1
            + Log2Sum::<SUMB>::LATENCY
    }

    /// S2 with `p` lanes (1, 2, 4 or 8; checked by the caller) for `params` and `tables`, x
    /// banks of `2^group_bits` groups.
    pub fn new(
        p: usize,
        params: &FrontEndParams,
        tables: &Tables,
        banks: usize,
        group_bits: usize,
    ) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            x_we: Default::default(),
            x_bank: Default::default(),
            x_group: Default::default(),
            x: (0..p).map(|_| Default::default()).collect(),
            in_valid: Default::default(),
            in_ready: Default::default(),
            fg: Default::default(),
            pmask: Default::default(),
            groups_m1: Default::default(),
            m: Default::default(),
            bank: Default::default(),
            done: Default::default(),
            done_bank: Default::default(),
            done_l: Default::default(),
            lanes: (0..p)
                .map(|_| SumLane::new(params, tables, banks, group_bits))
                .collect(),
            tag_r: TagLine::new(XRam::LATENCY),
            tag_e: TagLine::new(Exp2Neg::LATENCY),
            esum: ExpSum::new(p),
            logs: Log2Sum::new(params, tables),
            tag_l: TagLine::new(Log2Sum::<SUMB>::LATENCY),
            c_full: Constant::new(((1u64 << p) - 1).into()),
            s_run: Default::default(),
            at_last: Default::default(),
            at_first: Default::default(),
            g_inc: Default::default(),
            g: Default::default(),
            gl: Default::default(),
            fg_r: Default::default(),
            pm_r: Default::default(),
            bank_r: Default::default(),
            m_r: Default::default(),
            last: Default::default(),
            first: Default::default(),
            take: Default::default(),
            mask: Default::default(),
            tag: Default::default(),
        }
    }
}

impl<const SUMB: usize> Logic for SumStage<SUMB> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, s_run, at_last, at_first, g, gl, fg_r, pm_r, bank_r, m_r);
        self.tag_r.clock.next = self.clock.val();
        self.tag_e.clock.next = self.clock.val();
        self.esum.clock.next = self.clock.val();
        self.logs.clock.next = self.clock.val();
        self.tag_l.clock.next = self.clock.val();
        self.tag_r.reset.next = self.reset.val();
        self.tag_e.reset.next = self.reset.val();
        self.esum.reset.next = self.reset.val();
        self.logs.reset.next = self.reset.val();
        self.tag_l.reset.next = self.reset.val();

        // Rows: take, then issue groups 0 ..= gl, one a cycle. `at_first` (g == 0) and
        // `at_last` (g == gl) are registers, so that the take -> load chain starts at flops.
        self.first.next = self.at_first.q.val();
        self.last.next = self.s_run.q.val() & self.at_last.q.val();
        self.g_inc.next = self.g.q.val() + 1;
        self.in_ready.next = !self.s_run.q.val() | self.last.val();
        self.take.next = self.in_valid.val() & self.in_ready.val();
        if self.take.val() {
            self.s_run.d.next = true;
            self.g.d.next = 0.into();
            self.gl.d.next = self.groups_m1.val();
            self.fg_r.d.next = self.fg.val();
            self.pm_r.d.next = self.pmask.val();
            self.bank_r.d.next = self.bank.val();
            self.m_r.d.next = self.m.val();
            self.at_first.d.next = true;
            self.at_last.d.next = self.groups_m1.val() == 0;
        } else if self.last.val() {
            self.s_run.d.next = false;
        } else if self.s_run.q.val() {
            self.g.d.next = self.g_inc.val();
            self.at_first.d.next = false;
            self.at_last.d.next = self.g_inc.val() == self.gl.q.val();
        }
        self.mask.next = 0.into();
        if self.g.q.val() < self.fg_r.q.val() {
            self.mask.next = self.c_full.val();
        } else if self.g.q.val() == self.fg_r.q.val() {
            self.mask.next = self.pm_r.q.val();
        }
        // Tag: [0] valid, [1] first, [2] last, [5:3] bank, [13:6] lane mask, [38:14] m.
        self.tag.next = bit_cast::<39, 1>(self.s_run.q.val().into())
            | (bit_cast::<39, 1>(self.first.val().into()) << 1)
            | (bit_cast::<39, 1>(self.last.val().into()) << 2)
            | (bit_cast::<39, 3>(self.bank_r.q.val()) << 3)
            | (bit_cast::<39, 8>(self.mask.val()) << 6)
            | (bit_cast::<39, XB>(self.m_r.q.val()) << 14);
        self.tag_r.d.next = self.tag.val();
        self.tag_e.d.next = self.tag_r.q.val().get_bits::<14>(0);

        for b in 0..self.lanes.len() {
            self.lanes[b].clock.next = self.clock.val();
            self.lanes[b].reset.next = self.reset.val();
            self.lanes[b].we.next = self.x_we.val();
            self.lanes[b].wbank.next = self.x_bank.val();
            self.lanes[b].wgroup.next = self.x_group.val();
            self.lanes[b].wdata.next = self.x[b].val();
            self.lanes[b].rbank.next = self.bank_r.q.val();
            self.lanes[b].rgroup.next = self.g.q.val();
            self.lanes[b].m.next = self.tag_r.q.val().get_bits::<XB>(14);
            self.esum.e[b].next = self.lanes[b].e.val();
        }
        self.esum.valid.next = self.tag_e.q.val().get_bit(0);
        self.esum.first.next = self.tag_e.q.val().get_bit(1);
        self.esum.last.next = self.tag_e.q.val().get_bit(2);
        self.esum.bank.next = self.tag_e.q.val().get_bits::<3>(3);
        self.esum.mask.next = self.tag_e.q.val().get_bits::<8>(6);
        self.logs.sum.next = self.esum.sum.val();
        self.logs.valid_in.next = self.esum.done.val();
        self.tag_l.d.next = self.esum.done_bank.val();
        self.done.next = self.logs.valid_out.val();
        self.done_bank.next = self.tag_l.q.val();
        self.done_l.next = self.logs.l.val();
        if self.reset.val() {
            self.s_run.d.next = false;
        }
    }
}
