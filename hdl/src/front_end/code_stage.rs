//! `CodeStage`: S3, P codes a cycle packed into 16-code beats, and the beat queue.

use crate::front_end::beat_pack::BeatPack;
use crate::front_end::beat_queue::{BeatQueue, QUEUE_DEPTH};
use crate::front_end::code_lane::CodeLane;
use crate::front_end::scale_shift::XB;
use crate::front_end::tag_line::TagLine;
use crate::front_end::x_ram::XRam;
use model::frontend::Tables;
use rust_hdl::prelude::*;

/// S3 of the front end: P lanes ([`CodeLane`]: S3's copy of the x banks and a
/// [`crate::front_end::code_of::CodeOf`]), the beat packer ([`BeatPack`]) and the output
/// queue ([`BeatQueue`]).
///
/// A row whose L is known is taken (`in_valid` and `in_ready`) with its bank, m, L, last group
/// `groups_m1` (`16/P ceil(n/16) - 1`: the row's beats, padding included), full groups `fg`
/// and partial lane mask `pmask`; from the next cycle on S3 issues groups 0 ..= `groups_m1`,
/// one a cycle, a 16-code beat every `16 / P` groups, and it is ready for the next row in the
/// cycle of the last group. A beat's first group issues only when the queue is sure to have
/// room for the beat (credits: queued plus in-flight beats below the queue's depth), so no
/// register ever holds: back-pressure on `m_axis_c` pauses S3 between beats. Codes of masked
/// keys (past the valid length or n, including a last beat's padding) are 0. `finish` rises
/// with a row's last group: its bank may be written again from the next cycle.
///
/// Inputs: `clock`; `reset`; S1's x writes (`x_we`, `x_bank` (3), `x_group` (16), `x` (P
/// values of 25 bits)); `in_valid`, `fg` (16), `pmask` (8), `groups_m1` (16), `m`, `l` (25),
/// `bank` (3); `m_axis_c_tready`.
/// Outputs: `in_ready`; `m_axis_c_tdata` (48), `m_axis_c_tvalid`, `m_axis_c_tlast` (the row's
/// last beat); `finish`; `busy` (beats in flight or queued).
#[derive(LogicBlock)]
pub struct CodeStage {
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
    pub l: Signal<In, Bits<XB>>,
    pub bank: Signal<In, Bits<3>>,
    pub m_axis_c_tdata: Signal<Out, Bits<48>>,
    pub m_axis_c_tvalid: Signal<Out, Bit>,
    pub m_axis_c_tready: Signal<In, Bit>,
    pub m_axis_c_tlast: Signal<Out, Bit>,
    pub finish: Signal<Out, Bit>,
    pub busy: Signal<Out, Bit>,
    lanes: Vec<CodeLane>,
    tag_r: TagLine<61>,
    tag_c: TagLine<3>,
    pack: BeatPack,
    queue: BeatQueue,
    c_full: Constant<Bits<8>>,
    c_gpb_m1: Constant<Bits<16>>,
    c_depth: Constant<Bits<3>>,
    s_run: DFF<Bit>,
    g: DFF<Bits<16>>,
    gl: DFF<Bits<16>>,
    fg_r: DFF<Bits<16>>,
    pm_r: DFF<Bits<8>>,
    bank_r: DFF<Bits<3>>,
    m_r: DFF<Bits<XB>>,
    l_r: DFF<Bits<XB>>,
    held: DFF<Bits<3>>,
    at_last: DFF<Bit>,
    beat_start: Signal<Local, Bit>,
    beat_end: Signal<Local, Bit>,
    start: Signal<Local, Bit>,
    pop: Signal<Local, Bit>,
    g_inc: Signal<Local, Bits<16>>,
    issue: Signal<Local, Bit>,
    last: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    mask: Signal<Local, Bits<8>>,
    tag: Signal<Local, Bits<61>>,
}

impl CodeStage {
    /// Edges from a group's issue to its codes at the packer: [`XRam::LATENCY`],
    /// [`crate::front_end::code_of::CodeOf::LATENCY`].
    pub const LATENCY: usize = XRam::LATENCY + crate::front_end::code_of::CodeOf::LATENCY;

    /// S3 with `p` lanes (1, 2, 4 or 8; checked by the caller) for the edge constants of
    /// `tables`, x banks of `2^group_bits` groups.
    pub fn new(p: usize, tables: &Tables, banks: usize, group_bits: usize) -> Self {
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
            l: Default::default(),
            bank: Default::default(),
            m_axis_c_tdata: Default::default(),
            m_axis_c_tvalid: Default::default(),
            m_axis_c_tready: Default::default(),
            m_axis_c_tlast: Default::default(),
            finish: Default::default(),
            busy: Default::default(),
            lanes: (0..p)
                .map(|_| CodeLane::new(tables, banks, group_bits))
                .collect(),
            tag_r: TagLine::new(XRam::LATENCY),
            tag_c: TagLine::new(crate::front_end::code_of::CodeOf::LATENCY),
            pack: BeatPack::new(p),
            queue: Default::default(),
            c_full: Constant::new(((1u64 << p) - 1).into()),
            c_gpb_m1: Constant::new((16 / p as u64 - 1).into()),
            c_depth: Constant::new((QUEUE_DEPTH as u64).into()),
            s_run: Default::default(),
            g: Default::default(),
            gl: Default::default(),
            fg_r: Default::default(),
            pm_r: Default::default(),
            bank_r: Default::default(),
            m_r: Default::default(),
            l_r: Default::default(),
            held: Default::default(),
            at_last: Default::default(),
            beat_start: Default::default(),
            beat_end: Default::default(),
            start: Default::default(),
            pop: Default::default(),
            g_inc: Default::default(),
            issue: Default::default(),
            last: Default::default(),
            take: Default::default(),
            mask: Default::default(),
            tag: Default::default(),
        }
    }
}

impl Logic for CodeStage {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, s_run, g, gl, fg_r, pm_r, bank_r, m_r, l_r, held, at_last);
        self.tag_r.clock.next = self.clock.val();
        self.tag_c.clock.next = self.clock.val();
        self.pack.clock.next = self.clock.val();
        self.queue.clock.next = self.clock.val();
        self.tag_r.reset.next = self.reset.val();
        self.tag_c.reset.next = self.reset.val();
        self.queue.reset.next = self.reset.val();

        // Rows: take, then issue groups 0 ..= gl, a beat's first group only with a credit.
        // `held` counts the beats queued or in flight (the credits used), `at_last` is
        // `g == gl`: both registers, so that the issue -> take -> load chain starts at flops.
        self.beat_start.next = (self.g.q.val() & self.c_gpb_m1.val()) == 0;
        self.beat_end.next = (self.g.q.val() & self.c_gpb_m1.val()) == self.c_gpb_m1.val();
        self.issue.next = self.s_run.q.val()
            & (!self.beat_start.val() | (self.held.q.val() < self.c_depth.val()));
        self.last.next = self.issue.val() & self.at_last.q.val();
        self.g_inc.next = self.g.q.val() + 1;
        self.in_ready.next = !self.s_run.q.val() | self.last.val();
        self.take.next = self.in_valid.val() & self.in_ready.val();
        self.finish.next = self.last.val();
        if self.take.val() {
            self.s_run.d.next = true;
            self.g.d.next = 0.into();
            self.gl.d.next = self.groups_m1.val();
            self.fg_r.d.next = self.fg.val();
            self.pm_r.d.next = self.pmask.val();
            self.bank_r.d.next = self.bank.val();
            self.m_r.d.next = self.m.val();
            self.l_r.d.next = self.l.val();
            self.at_last.d.next = self.groups_m1.val() == 0;
        } else if self.last.val() {
            self.s_run.d.next = false;
        } else if self.issue.val() {
            self.g.d.next = self.g_inc.val();
            self.at_last.d.next = self.g_inc.val() == self.gl.q.val();
        }
        self.mask.next = 0.into();
        if self.g.q.val() < self.fg_r.q.val() {
            self.mask.next = self.c_full.val();
        } else if self.g.q.val() == self.fg_r.q.val() {
            self.mask.next = self.pm_r.q.val();
        }
        // Tag: [0] valid, [1] beat end, [2] row end, [10:3] lane mask, [35:11] m, [60:36] L.
        self.tag.next = bit_cast::<61, 1>(self.issue.val().into())
            | (bit_cast::<61, 1>(self.beat_end.val().into()) << 1)
            | (bit_cast::<61, 1>(self.last.val().into()) << 2)
            | (bit_cast::<61, 8>(self.mask.val()) << 3)
            | (bit_cast::<61, XB>(self.m_r.q.val()) << 11)
            | (bit_cast::<61, XB>(self.l_r.q.val()) << 36);
        self.tag_r.d.next = self.tag.val();
        self.tag_c.d.next = self.tag_r.q.val().get_bits::<3>(0);

        for b in 0..self.lanes.len() {
            self.lanes[b].clock.next = self.clock.val();
            self.lanes[b].reset.next = self.reset.val();
            self.lanes[b].we.next = self.x_we.val();
            self.lanes[b].wbank.next = self.x_bank.val();
            self.lanes[b].wgroup.next = self.x_group.val();
            self.lanes[b].wdata.next = self.x[b].val();
            self.lanes[b].rbank.next = self.bank_r.q.val();
            self.lanes[b].rgroup.next = self.g.q.val();
            self.lanes[b].m.next = self.tag_r.q.val().get_bits::<XB>(11);
            self.lanes[b].l.next = self.tag_r.q.val().get_bits::<XB>(36);
            self.lanes[b].mask.next = !self.tag_r.q.val().get_bit(3 + b);
            self.pack.codes[b].next = self.lanes[b].code.val();
        }
        self.pack.valid.next = self.tag_c.q.val().get_bit(0);
        self.pack.beat_end.next = self.tag_c.q.val().get_bit(1);
        self.pack.last.next = self.tag_c.q.val().get_bit(2);
        self.queue.push.next = self.pack.push.val();
        self.queue.push_data.next = self.pack.push_data.val();
        self.queue.push_last.next = self.pack.push_last.val();
        self.start.next = self.issue.val() & self.beat_start.val();
        self.pop.next = self.m_axis_c_tready.val() & self.queue.valid.val();
        if self.start.val() & !self.pop.val() {
            self.held.d.next = self.held.q.val() + 1;
        } else if !self.start.val() & self.pop.val() {
            self.held.d.next = self.held.q.val() - 1;
        }
        self.queue.pop.next = self.pop.val();
        self.m_axis_c_tvalid.next = self.queue.valid.val();
        self.m_axis_c_tdata.next = self.queue.head_data.val();
        self.m_axis_c_tlast.next = self.queue.head_last.val();
        self.busy.next = self.held.q.val().any();
        if self.reset.val() {
            self.s_run.d.next = false;
            self.held.d.next = 0.into();
        }
    }
}
