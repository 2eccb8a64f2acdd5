//! `CodeScanner`: the zero-skipping front end: code beats in, one or two (position, code) tokens
//! per cycle out.

use crate::core::code_mask::CodeMask;
use crate::core::onehot_select::OneHotSelect;
use rust_hdl::prelude::*;

/// Codes per beat (W) supported by this scanner.
pub const SCAN_W: usize = 16;
/// Depth of the non-zero beat FIFO (`model::timing::FIFO_DEPTH`).
pub const SCAN_FIFO_DEPTH: usize = 8;

/// Zero-skipping code scanner for W = 16 codes of k = 3 bits per beat, issuing K = 1 or 2
/// non-zero codes a cycle (`params.nnz_per_cycle`).
///
/// Accepted beats whose codes are all zero are dropped, except a beat with `in_last` set, which
/// is kept as a row-end marker (mask 0). Other beats pass an intake register (the beat with its
/// non-zero mask, its count of non-zeros, its base position `beat * 16` and `in_last`, so that
/// the FIFO's write enables and flags come from registers) and enter, at the next edge, an
/// 8-entry FIFO: a head register (slot 0) and a
/// circular queue of 7 behind it, so that a pop loads only the head (from the queue's oldest
/// entry, or straight from the input) and moves two pointers, and the queue's slots never see
/// the pop (the pop is the scanner's critical loop; with a shift register it selected every
/// field of every slot, the D = 64 head's critical path on the ECP5). Each cycle
/// the head issues up to K tokens: the K lowest remaining non-zero positions (two priority
/// picks with K = 2: the lowest set bit, then the lowest of the rest; one-hot), then those bits
/// are cleared in place; the entry pops with its last tokens. A marker issues one token with
/// code 0. A row end (the last issue of a beat with `in_last`) issues only when `credit` is
/// high. `pop` depends only on registered flags (`fin` = at most K bits left, kept with a 5-bit
/// count of the bits left), so the critical loop is short; the one-hot -> (index, code) encode
/// is a separate pipeline stage (T2). The FIFO's occupancy is a thermometer code (bit i: more
/// than i entries), so `issue` and `space` each read one or two of its bits instead of
/// a compare of a binary count (one LUT level less in the issue loop and in the core's code
/// ready).
/// In the dense variant every beat is kept with mask all-ones (one token per position; K = 1
/// only).
///
/// Inputs: `clock`, `reset` (synchronous, active high), `in_accept` (a beat is taken this cycle;
/// the parent asserts it only when `space` is high), `in_codes` (48 bits, code m at `[3m+2:3m]`),
/// `in_last` (the beat ends a query row), `credit` (a row end may issue this cycle),
/// `busy_in` (the parent holds a row in flight after the next edge: its part of `busy`).
/// Outputs: `space` (from registers: the FIFO has a free slot besides the one the intake's beat
/// takes; so the FIFO and the intake hold 8 beats at most), `busy` (a register: entries or
/// tokens are in flight, or `busy_in` was high in the cycle before; registered from the
/// next-state values, so it is what their OR would be this cycle, and the parent's code and V
/// handshakes start at one flop),
/// `row_end_issued` (a row end issues this cycle), and the cycle's tokens at stage T2,
/// registered: `tok_valid`, `tok_last` (row end), the first token `tok_j` (position, `A` bits),
/// `tok_code` (3 bits, 0 for a marker or a dense zero) and the second `tok_j_b`, `tok_code_b`
/// (code 0 when there is none, and always with K = 1). A token's position is the read
/// address of the V RAM: it changes only with an issued non-zero code (a zero code keeps the
/// last one, 0 after reset), so no position past a row's end is ever read (its codes are zero).
/// Latency: a beat accepted at edge t is in the FIFO after edge t+1 (its first issue in the
/// cycle after, at the earliest); tokens issued from the FIFO at edge t are on `tok_*` after
/// t+1.
#[derive(LogicBlock)]
pub struct CodeScanner<const A: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub in_accept: Signal<In, Bit>,
    pub in_codes: Signal<In, Bits<48>>,
    pub in_last: Signal<In, Bit>,
    pub credit: Signal<In, Bit>,
    pub busy_in: Signal<In, Bit>,
    pub space: Signal<Out, Bit>,
    pub busy: Signal<Out, Bit>,
    pub row_end_issued: Signal<Out, Bit>,
    pub tok_valid: Signal<Out, Bit>,
    pub tok_j: Signal<Out, Bits<A>>,
    pub tok_code: Signal<Out, Bits<3>>,
    pub tok_j_b: Signal<Out, Bits<A>>,
    pub tok_code_b: Signal<Out, Bits<3>>,
    pub tok_last: Signal<Out, Bit>,
    /// `busy`, registered from the next-state values.
    busy_r: DFF<Bit>,
    /// Not `space`, registered from the next-state values (inverted, so that it powers up as
    /// the empty FIFO's `space`).
    full_r: DFF<Bit>,
    nz: CodeMask<16, 48>,
    sel: OneHotSelect<16, 48, 4>,
    sel_b: OneHotSelect<16, 48, 4>,
    dense: Constant<Bit>,
    two: Constant<Bit>,
    k_cnt: Constant<Bits<5>>,
    k2_cnt: Constant<Bits<5>>,
    all_ones: Constant<Bits<16>>,
    ones48: Constant<Bits<48>>,
    one7: Constant<Bits<7>>,
    sixteen: Constant<Bits<5>>,
    beat: DFF<Bits<A>>,
    i_push: DFF<Bit>,
    i_codes: DFF<Bits<48>>,
    i_mask: DFF<Bits<16>>,
    i_cnt: DFF<Bits<5>>,
    i_base: DFF<Bits<A>>,
    i_last: DFF<Bit>,
    occ: DFF<Bits<8>>,
    /// The queue's read slot, one-hot with bit 0 inverted (so that power-up, all zeros, is
    /// slot 0).
    rd_n: DFF<Bits<7>>,
    wr: DFF<Bits<3>>,
    s0_codes: DFF<Bits<48>>,
    s0_mask: DFF<Bits<16>>,
    s0_fin: DFF<Bit>,
    s0_cnt: DFF<Bits<5>>,
    s0_base: DFF<Bits<A>>,
    s0_last: DFF<Bit>,
    q0_codes: DFF<Bits<48>>,
    q0_mask: DFF<Bits<16>>,
    q0_fin: DFF<Bit>,
    q0_cnt: DFF<Bits<5>>,
    q0_base: DFF<Bits<A>>,
    q0_last: DFF<Bit>,
    q1_codes: DFF<Bits<48>>,
    q1_mask: DFF<Bits<16>>,
    q1_fin: DFF<Bit>,
    q1_cnt: DFF<Bits<5>>,
    q1_base: DFF<Bits<A>>,
    q1_last: DFF<Bit>,
    q2_codes: DFF<Bits<48>>,
    q2_mask: DFF<Bits<16>>,
    q2_fin: DFF<Bit>,
    q2_cnt: DFF<Bits<5>>,
    q2_base: DFF<Bits<A>>,
    q2_last: DFF<Bit>,
    q3_codes: DFF<Bits<48>>,
    q3_mask: DFF<Bits<16>>,
    q3_fin: DFF<Bit>,
    q3_cnt: DFF<Bits<5>>,
    q3_base: DFF<Bits<A>>,
    q3_last: DFF<Bit>,
    q4_codes: DFF<Bits<48>>,
    q4_mask: DFF<Bits<16>>,
    q4_fin: DFF<Bit>,
    q4_cnt: DFF<Bits<5>>,
    q4_base: DFF<Bits<A>>,
    q4_last: DFF<Bit>,
    q5_codes: DFF<Bits<48>>,
    q5_mask: DFF<Bits<16>>,
    q5_fin: DFF<Bit>,
    q5_cnt: DFF<Bits<5>>,
    q5_base: DFF<Bits<A>>,
    q5_last: DFF<Bit>,
    q6_codes: DFF<Bits<48>>,
    q6_mask: DFF<Bits<16>>,
    q6_fin: DFF<Bit>,
    q6_cnt: DFF<Bits<5>>,
    q6_base: DFF<Bits<A>>,
    q6_last: DFF<Bit>,
    t1_valid: DFF<Bit>,
    t1_oh: DFF<Bits<16>>,
    t1_oh_b: DFF<Bits<16>>,
    t1_codes: DFF<Bits<48>>,
    t1_base: DFF<Bits<A>>,
    t1_last: DFF<Bit>,
    t2_valid: DFF<Bit>,
    t2_j: DFF<Bits<A>>,
    t2_code: DFF<Bits<3>>,
    t2_j_b: DFF<Bits<A>>,
    t2_code_b: DFF<Bits<3>>,
    t2_last: DFF<Bit>,
    in_mask: Signal<Local, Bits<16>>,
    in_push: Signal<Local, Bit>,
    i_fin: Signal<Local, Bit>,
    in_cnt: Signal<Local, Bits<5>>,
    rd_codes: Signal<Local, Bits<48>>,
    rd_mask: Signal<Local, Bits<16>>,
    rd_fin: Signal<Local, Bit>,
    rd_cnt: Signal<Local, Bits<5>>,
    rd_base: Signal<Local, Bits<A>>,
    rd_last: Signal<Local, Bit>,
    rd_oh: Signal<Local, Bits<7>>,
    sel0: Signal<Local, Bits<48>>,
    sel1: Signal<Local, Bits<48>>,
    sel2: Signal<Local, Bits<48>>,
    sel3: Signal<Local, Bits<48>>,
    sel4: Signal<Local, Bits<48>>,
    sel5: Signal<Local, Bits<48>>,
    sel6: Signal<Local, Bits<48>>,
    lowest: Signal<Local, Bits<16>>,
    rest: Signal<Local, Bits<16>>,
    lowest_b: Signal<Local, Bits<16>>,
    rest_b: Signal<Local, Bits<16>>,
    rest_fin: Signal<Local, Bit>,
    row_end: Signal<Local, Bit>,
    issue: Signal<Local, Bit>,
    pop: Signal<Local, Bit>,
    empty: Signal<Local, Bit>,
    more: Signal<Local, Bit>,
    queue: Signal<Local, Bit>,
}
impl<const A: usize> CodeScanner<A> {
    /// A scanner for `params` (W must be 16, k must be 3, `A = log2 N_MAX`, K =
    /// `params.nnz_per_cycle` 1 or 2); `dense` keeps every position (the baseline without zero
    /// skipping, K = 1 only).
    pub fn new(params: &model::CoreParams, dense: bool) -> Self {
        let k = params.nnz_per_cycle;
        assert!(
            k == 1 || k == 2,
            "CodeScanner: K (non-zeros per cycle) must be 1 or 2, got {k}"
        );
        assert!(
            !dense || k == 1,
            "CodeScanner: the dense baseline issues one code a cycle (K = 1), got K = {k}"
        );
        assert_eq!(
            params.codes_per_cycle, SCAN_W,
            "CodeScanner: W (codes per cycle) must be 16"
        );
        assert_eq!(params.code_bits, 3, "CodeScanner: k (code bits) must be 3");
        assert_eq!(
            params.addr_bits() as usize,
            A,
            "CodeScanner: A must be log2(N_MAX)"
        );
        assert!(
            params.n_max >= SCAN_W,
            "CodeScanner: N_MAX must be at least W = 16"
        );
        assert_eq!(
            SCAN_FIFO_DEPTH,
            model::timing::FIFO_DEPTH,
            "CodeScanner: FIFO depth disagrees with model::timing"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            in_accept: Default::default(),
            in_codes: Default::default(),
            in_last: Default::default(),
            credit: Default::default(),
            space: Default::default(),
            busy: Default::default(),
            busy_in: Default::default(),
            busy_r: Default::default(),
            full_r: Default::default(),
            row_end_issued: Default::default(),
            tok_valid: Default::default(),
            tok_j: Default::default(),
            tok_code: Default::default(),
            tok_j_b: Default::default(),
            tok_code_b: Default::default(),
            tok_last: Default::default(),
            nz: Default::default(),
            sel: Default::default(),
            sel_b: Default::default(),
            dense: Constant::new(dense),
            two: Constant::new(k == 2),
            k_cnt: Constant::new((k as u64).into()),
            k2_cnt: Constant::new((2 * k as u64).into()),
            all_ones: Constant::new(0xFFFFu64.into()),
            ones48: Constant::new(((1u64 << 48) - 1).into()),
            one7: Constant::new(1u64.into()),
            sixteen: Constant::new(16u64.into()),
            beat: Default::default(),
            i_push: Default::default(),
            i_codes: Default::default(),
            i_mask: Default::default(),
            i_cnt: Default::default(),
            i_base: Default::default(),
            i_last: Default::default(),
            occ: Default::default(),
            rd_n: Default::default(),
            wr: Default::default(),
            s0_codes: Default::default(),
            s0_mask: Default::default(),
            s0_fin: Default::default(),
            s0_cnt: Default::default(),
            s0_base: Default::default(),
            s0_last: Default::default(),
            q0_codes: Default::default(),
            q0_mask: Default::default(),
            q0_fin: Default::default(),
            q0_cnt: Default::default(),
            q0_base: Default::default(),
            q0_last: Default::default(),
            q1_codes: Default::default(),
            q1_mask: Default::default(),
            q1_fin: Default::default(),
            q1_cnt: Default::default(),
            q1_base: Default::default(),
            q1_last: Default::default(),
            q2_codes: Default::default(),
            q2_mask: Default::default(),
            q2_fin: Default::default(),
            q2_cnt: Default::default(),
            q2_base: Default::default(),
            q2_last: Default::default(),
            q3_codes: Default::default(),
            q3_mask: Default::default(),
            q3_fin: Default::default(),
            q3_cnt: Default::default(),
            q3_base: Default::default(),
            q3_last: Default::default(),
            q4_codes: Default::default(),
            q4_mask: Default::default(),
            q4_fin: Default::default(),
            q4_cnt: Default::default(),
            q4_base: Default::default(),
            q4_last: Default::default(),
            q5_codes: Default::default(),
            q5_mask: Default::default(),
            q5_fin: Default::default(),
            q5_cnt: Default::default(),
            q5_base: Default::default(),
            q5_last: Default::default(),
            q6_codes: Default::default(),
            q6_mask: Default::default(),
            q6_fin: Default::default(),
            q6_cnt: Default::default(),
            q6_base: Default::default(),
            q6_last: Default::default(),
            t1_valid: Default::default(),
            t1_oh: Default::default(),
            t1_oh_b: Default::default(),
            t1_codes: Default::default(),
            t1_base: Default::default(),
            t1_last: Default::default(),
            t2_valid: Default::default(),
            t2_j: Default::default(),
            t2_code: Default::default(),
            t2_j_b: Default::default(),
            t2_code_b: Default::default(),
            t2_last: Default::default(),
            in_mask: Default::default(),
            in_push: Default::default(),
            i_fin: Default::default(),
            in_cnt: Default::default(),
            rd_codes: Default::default(),
            rd_mask: Default::default(),
            rd_fin: Default::default(),
            rd_cnt: Default::default(),
            rd_base: Default::default(),
            rd_last: Default::default(),
            rd_oh: Default::default(),
            sel0: Default::default(),
            sel1: Default::default(),
            sel2: Default::default(),
            sel3: Default::default(),
            sel4: Default::default(),
            sel5: Default::default(),
            sel6: Default::default(),
            lowest: Default::default(),
            rest: Default::default(),
            lowest_b: Default::default(),
            rest_b: Default::default(),
            rest_fin: Default::default(),
            row_end: Default::default(),
            issue: Default::default(),
            pop: Default::default(),
            empty: Default::default(),
            more: Default::default(),
            queue: Default::default(),
        }
    }
}

impl<const A: usize> Logic for CodeScanner<A> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, busy_r, full_r, beat, i_push, i_codes, i_mask, i_cnt, i_base, i_last, occ,
            rd_n, wr, s0_codes, s0_mask, s0_fin, s0_cnt, s0_base, s0_last, q0_codes, q0_mask,
            q0_fin, q0_cnt, q0_base, q0_last, q1_codes, q1_mask, q1_fin, q1_cnt, q1_base, q1_last,
            q2_codes, q2_mask, q2_fin, q2_cnt, q2_base, q2_last, q3_codes, q3_mask, q3_fin, q3_cnt,
            q3_base, q3_last, q4_codes, q4_mask, q4_fin, q4_cnt, q4_base, q4_last, q5_codes,
            q5_mask, q5_fin, q5_cnt, q5_base, q5_last, q6_codes, q6_mask, q6_fin, q6_cnt, q6_base,
            q6_last, t1_valid, t1_oh, t1_oh_b, t1_codes, t1_base, t1_last, t2_valid, t2_j, t2_code,
            t2_j_b, t2_code_b, t2_last
        );
        // Input: non-zero mask of the beat; drop all-zero beats unless they end a row.
        self.nz.codes.next = self.in_codes.val();
        if self.dense.val() {
            self.in_mask.next = self.all_ones.val();
            self.in_cnt.next = self.sixteen.val();
        } else {
            self.in_mask.next = self.nz.mask.val();
            self.in_cnt.next = self.nz.count.val();
        }
        self.in_push.next = self.in_accept.val() & (self.in_mask.val().any() | self.in_last.val());
        // Intake: the beat and its mask, count and base position are registered before the
        // FIFO, so that the FIFO's enables and the head's `fin` come from registers, not from
        // an OR and a popcount of the beat (the head clock's limit on the ULX3S board).
        self.i_push.d.next = self.in_push.val();
        self.i_codes.d.next = self.in_codes.val();
        self.i_mask.d.next = self.in_mask.val();
        self.i_cnt.d.next = self.in_cnt.val();
        self.i_base.d.next = self.beat.q.val();
        self.i_last.d.next = self.in_last.val();
        self.i_fin.next = self.i_cnt.q.val() <= self.k_cnt.val();
        if self.in_accept.val() {
            if self.in_last.val() {
                self.beat.d.next = 0.into();
            } else {
                self.beat.d.next = self.beat.q.val() + 16;
            }
        }
        // Popper on the head entry (slot 0): the lowest set bit, and with K = 2 the lowest of
        // the rest.
        self.lowest.next = self.s0_mask.q.val() & (!self.s0_mask.q.val() + 1);
        self.rest.next = self.s0_mask.q.val() & (self.s0_mask.q.val() - 1);
        self.lowest_b.next = self.rest.val() & (!self.rest.val() + 1);
        self.rest_b.next = self.rest.val() & (self.rest.val() - 1);
        // At most K bits left after this issue (which does not pop, so more than K are left):
        // the count is at most 2K (a 5-bit compare of a register, no carry chain in the pop
        // loop).
        self.rest_fin.next = self.s0_cnt.q.val() <= self.k2_cnt.val();
        self.row_end.next = self.s0_last.q.val() & self.s0_fin.q.val();
        self.issue.next = self.occ.q.val().get_bit(0) & (!self.row_end.val() | self.credit.val());
        self.pop.next = self.issue.val() & self.s0_fin.q.val();
        self.row_end_issued.next = self.issue.val() & self.row_end.val();
        // The entries behind the head: a circular queue of 7 (read at `rd`, written at `wr`).
        self.empty.next = !self.occ.q.val().get_bit(0);
        self.more.next = self.occ.q.val().get_bit(1);
        // The oldest entry, through AND-OR selects on the one-hot read slot (one LUT level
        // per pair of slots, not a priority chain of compares).
        self.rd_oh.next = self.rd_n.q.val() ^ self.one7.val();
        self.sel0.next = 0.into();
        if self.rd_oh.val().get_bit(0) {
            self.sel0.next = self.ones48.val();
        }
        self.sel1.next = 0.into();
        if self.rd_oh.val().get_bit(1) {
            self.sel1.next = self.ones48.val();
        }
        self.sel2.next = 0.into();
        if self.rd_oh.val().get_bit(2) {
            self.sel2.next = self.ones48.val();
        }
        self.sel3.next = 0.into();
        if self.rd_oh.val().get_bit(3) {
            self.sel3.next = self.ones48.val();
        }
        self.sel4.next = 0.into();
        if self.rd_oh.val().get_bit(4) {
            self.sel4.next = self.ones48.val();
        }
        self.sel5.next = 0.into();
        if self.rd_oh.val().get_bit(5) {
            self.sel5.next = self.ones48.val();
        }
        self.sel6.next = 0.into();
        if self.rd_oh.val().get_bit(6) {
            self.sel6.next = self.ones48.val();
        }
        self.rd_codes.next = (self.q0_codes.q.val() & self.sel0.val())
            | (self.q1_codes.q.val() & self.sel1.val())
            | (self.q2_codes.q.val() & self.sel2.val())
            | (self.q3_codes.q.val() & self.sel3.val())
            | (self.q4_codes.q.val() & self.sel4.val())
            | (self.q5_codes.q.val() & self.sel5.val())
            | (self.q6_codes.q.val() & self.sel6.val());
        self.rd_mask.next = (self.q0_mask.q.val() & bit_cast::<16, 48>(self.sel0.val()))
            | (self.q1_mask.q.val() & bit_cast::<16, 48>(self.sel1.val()))
            | (self.q2_mask.q.val() & bit_cast::<16, 48>(self.sel2.val()))
            | (self.q3_mask.q.val() & bit_cast::<16, 48>(self.sel3.val()))
            | (self.q4_mask.q.val() & bit_cast::<16, 48>(self.sel4.val()))
            | (self.q5_mask.q.val() & bit_cast::<16, 48>(self.sel5.val()))
            | (self.q6_mask.q.val() & bit_cast::<16, 48>(self.sel6.val()));
        self.rd_fin.next = (self.q0_fin.q.val() & self.sel0.val().get_bit(0))
            | (self.q1_fin.q.val() & self.sel1.val().get_bit(0))
            | (self.q2_fin.q.val() & self.sel2.val().get_bit(0))
            | (self.q3_fin.q.val() & self.sel3.val().get_bit(0))
            | (self.q4_fin.q.val() & self.sel4.val().get_bit(0))
            | (self.q5_fin.q.val() & self.sel5.val().get_bit(0))
            | (self.q6_fin.q.val() & self.sel6.val().get_bit(0));
        self.rd_cnt.next = (self.q0_cnt.q.val() & bit_cast::<5, 48>(self.sel0.val()))
            | (self.q1_cnt.q.val() & bit_cast::<5, 48>(self.sel1.val()))
            | (self.q2_cnt.q.val() & bit_cast::<5, 48>(self.sel2.val()))
            | (self.q3_cnt.q.val() & bit_cast::<5, 48>(self.sel3.val()))
            | (self.q4_cnt.q.val() & bit_cast::<5, 48>(self.sel4.val()))
            | (self.q5_cnt.q.val() & bit_cast::<5, 48>(self.sel5.val()))
            | (self.q6_cnt.q.val() & bit_cast::<5, 48>(self.sel6.val()));
        self.rd_base.next = (self.q0_base.q.val() & bit_cast::<A, 48>(self.sel0.val()))
            | (self.q1_base.q.val() & bit_cast::<A, 48>(self.sel1.val()))
            | (self.q2_base.q.val() & bit_cast::<A, 48>(self.sel2.val()))
            | (self.q3_base.q.val() & bit_cast::<A, 48>(self.sel3.val()))
            | (self.q4_base.q.val() & bit_cast::<A, 48>(self.sel4.val()))
            | (self.q5_base.q.val() & bit_cast::<A, 48>(self.sel5.val()))
            | (self.q6_base.q.val() & bit_cast::<A, 48>(self.sel6.val()));
        self.rd_last.next = (self.q0_last.q.val() & self.sel0.val().get_bit(0))
            | (self.q1_last.q.val() & self.sel1.val().get_bit(0))
            | (self.q2_last.q.val() & self.sel2.val().get_bit(0))
            | (self.q3_last.q.val() & self.sel3.val().get_bit(0))
            | (self.q4_last.q.val() & self.sel4.val().get_bit(0))
            | (self.q5_last.q.val() & self.sel5.val().get_bit(0))
            | (self.q6_last.q.val() & self.sel6.val().get_bit(0));
        // The head loads when it pops or is empty: the queue's oldest entry if there is one,
        // else the incoming beat (if none comes, the head stays empty). Only the head and the
        // pointers see `pop`: a queue slot is written whenever a beat arrives behind a valid
        // head, and `wr` moves past it unless the beat went straight into the head.
        if self.pop.val() | self.empty.val() {
            if self.more.val() {
                self.s0_codes.d.next = self.rd_codes.val();
                self.s0_mask.d.next = self.rd_mask.val();
                self.s0_fin.d.next = self.rd_fin.val();
                self.s0_cnt.d.next = self.rd_cnt.val();
                self.s0_base.d.next = self.rd_base.val();
                self.s0_last.d.next = self.rd_last.val();
                self.rd_n.d.next =
                    ((self.rd_oh.val() << 1) | (self.rd_oh.val() >> 6)) ^ self.one7.val();
            } else {
                self.s0_codes.d.next = self.i_codes.q.val();
                self.s0_mask.d.next = self.i_mask.q.val();
                self.s0_fin.d.next = self.i_fin.val();
                self.s0_cnt.d.next = self.i_cnt.q.val();
                self.s0_base.d.next = self.i_base.q.val();
                self.s0_last.d.next = self.i_last.q.val();
            }
        } else if self.issue.val() {
            if self.two.val() {
                self.s0_mask.d.next = self.rest_b.val();
            } else {
                self.s0_mask.d.next = self.rest.val();
            }
            self.s0_fin.d.next = self.rest_fin.val();
            self.s0_cnt.d.next = self.s0_cnt.q.val() - self.k_cnt.val();
        }
        self.queue.next = self.i_push.q.val() & !self.empty.val();
        if self.queue.val() & (self.wr.q.val() == 0) {
            self.q0_codes.d.next = self.i_codes.q.val();
            self.q0_mask.d.next = self.i_mask.q.val();
            self.q0_fin.d.next = self.i_fin.val();
            self.q0_cnt.d.next = self.i_cnt.q.val();
            self.q0_base.d.next = self.i_base.q.val();
            self.q0_last.d.next = self.i_last.q.val();
        }
        if self.queue.val() & (self.wr.q.val() == 1) {
            self.q1_codes.d.next = self.i_codes.q.val();
            self.q1_mask.d.next = self.i_mask.q.val();
            self.q1_fin.d.next = self.i_fin.val();
            self.q1_cnt.d.next = self.i_cnt.q.val();
            self.q1_base.d.next = self.i_base.q.val();
            self.q1_last.d.next = self.i_last.q.val();
        }
        if self.queue.val() & (self.wr.q.val() == 2) {
            self.q2_codes.d.next = self.i_codes.q.val();
            self.q2_mask.d.next = self.i_mask.q.val();
            self.q2_fin.d.next = self.i_fin.val();
            self.q2_cnt.d.next = self.i_cnt.q.val();
            self.q2_base.d.next = self.i_base.q.val();
            self.q2_last.d.next = self.i_last.q.val();
        }
        if self.queue.val() & (self.wr.q.val() == 3) {
            self.q3_codes.d.next = self.i_codes.q.val();
            self.q3_mask.d.next = self.i_mask.q.val();
            self.q3_fin.d.next = self.i_fin.val();
            self.q3_cnt.d.next = self.i_cnt.q.val();
            self.q3_base.d.next = self.i_base.q.val();
            self.q3_last.d.next = self.i_last.q.val();
        }
        if self.queue.val() & (self.wr.q.val() == 4) {
            self.q4_codes.d.next = self.i_codes.q.val();
            self.q4_mask.d.next = self.i_mask.q.val();
            self.q4_fin.d.next = self.i_fin.val();
            self.q4_cnt.d.next = self.i_cnt.q.val();
            self.q4_base.d.next = self.i_base.q.val();
            self.q4_last.d.next = self.i_last.q.val();
        }
        if self.queue.val() & (self.wr.q.val() == 5) {
            self.q5_codes.d.next = self.i_codes.q.val();
            self.q5_mask.d.next = self.i_mask.q.val();
            self.q5_fin.d.next = self.i_fin.val();
            self.q5_cnt.d.next = self.i_cnt.q.val();
            self.q5_base.d.next = self.i_base.q.val();
            self.q5_last.d.next = self.i_last.q.val();
        }
        if self.queue.val() & (self.wr.q.val() == 6) {
            self.q6_codes.d.next = self.i_codes.q.val();
            self.q6_mask.d.next = self.i_mask.q.val();
            self.q6_fin.d.next = self.i_fin.val();
            self.q6_cnt.d.next = self.i_cnt.q.val();
            self.q6_base.d.next = self.i_base.q.val();
            self.q6_last.d.next = self.i_last.q.val();
        }
        if self.queue.val() & (self.more.val() | !self.pop.val()) {
            if self.wr.q.val() == 6 {
                self.wr.d.next = 0.into();
            } else {
                self.wr.d.next = self.wr.q.val() + 1;
            }
        }
        if self.i_push.q.val() & !self.pop.val() {
            self.occ.d.next = (self.occ.q.val() << 1) | 1;
        }
        if !self.i_push.q.val() & self.pop.val() {
            self.occ.d.next = self.occ.q.val() >> 1;
        }
        // T1: the issued tokens, one-hot.
        self.t1_valid.d.next = self.issue.val();
        self.t1_oh.d.next = self.lowest.val();
        self.t1_oh_b.d.next = 0.into();
        if self.two.val() {
            self.t1_oh_b.d.next = self.lowest_b.val();
        }
        self.t1_codes.d.next = self.s0_codes.q.val();
        self.t1_base.d.next = self.s0_base.q.val();
        self.t1_last.d.next = self.row_end.val();
        // T2: positions and codes. A position (the V RAM's read address) moves only with a
        // non-zero code: markers, the dense variant's zeros and a missing second token read
        // a row already read.
        self.sel.onehot.next = self.t1_oh.q.val();
        self.sel.codes.next = self.t1_codes.q.val();
        self.sel_b.onehot.next = self.t1_oh_b.q.val();
        self.sel_b.codes.next = self.t1_codes.q.val();
        self.t2_valid.d.next = self.t1_valid.q.val();
        if self.t1_valid.q.val() & self.sel.code.val().any() {
            self.t2_j.d.next = self.t1_base.q.val() | bit_cast::<A, 4>(self.sel.idx.val());
        }
        if self.t1_valid.q.val() & self.sel_b.code.val().any() {
            self.t2_j_b.d.next = self.t1_base.q.val() | bit_cast::<A, 4>(self.sel_b.idx.val());
        }
        self.t2_code.d.next = self.sel.code.val();
        self.t2_code_b.d.next = self.sel_b.code.val();
        self.t2_last.d.next = self.t1_last.q.val() & self.t1_valid.q.val();
        if self.reset.val() {
            self.occ.d.next = 0.into();
            self.i_push.d.next = false;
            self.beat.d.next = 0.into();
            self.rd_n.d.next = 0.into();
            self.wr.d.next = 0.into();
            self.t1_valid.d.next = false;
            self.t2_valid.d.next = false;
            self.t2_j.d.next = 0.into();
            self.t2_j_b.d.next = 0.into();
        }
        // Outputs.
        // A beat accepted now enters the FIFO at the next edge: room for it and the intake's.
        self.space.next = !self.full_r.q.val();
        // After every assignment of the next-state values above (reset included).
        self.busy_r.d.next = self.occ.d.val().get_bit(0)
            | self.i_push.d.val()
            | self.t1_valid.d.val()
            | self.t2_valid.d.val()
            | self.busy_in.val();
        self.busy.next = self.busy_r.q.val();
        self.full_r.d.next =
            self.occ.d.val().get_bit(7) | (self.occ.d.val().get_bit(6) & self.i_push.d.val());
        self.tok_valid.next = self.t2_valid.q.val();
        self.tok_j.next = self.t2_j.q.val();
        self.tok_code.next = self.t2_code.q.val();
        self.tok_j_b.next = self.t2_j_b.q.val();
        self.tok_code_b.next = self.t2_code_b.q.val();
        self.tok_last.next = self.t2_last.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{pack, rise, settle};
    use model::CoreParams;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn params(k: usize) -> CoreParams {
        CoreParams::new(4, 64, 16, 3)
            .unwrap()
            .with_nnz_per_cycle(k)
            .unwrap()
    }

    /// A cycle's issue: the tokens' (j, code) (positions of zero codes left out: they are not
    /// read), the row end.
    type Issue = (Vec<(u64, u64)>, bool);

    /// The issues the scanner must make for `rows` (each of length n), K a cycle.
    fn expected(rows: &[Vec<u8>], dense: bool, k: usize) -> Vec<Issue> {
        let mut t = vec![];
        for r in rows {
            let words = r.len().div_ceil(16);
            for b in 0..words {
                let pos: Vec<usize> = (b * 16..b * 16 + 16)
                    .filter(|&j| dense || (j < r.len() && r[j] != 0))
                    .collect();
                let code = |j: usize| if j < r.len() { r[j] as u64 } else { 0 };
                let last_beat = b + 1 == words;
                if pos.is_empty() {
                    if last_beat {
                        t.push((vec![], true));
                    }
                    continue;
                }
                let chunks: Vec<&[usize]> = pos.chunks(k).collect();
                for (c, chunk) in chunks.iter().enumerate() {
                    let toks = chunk
                        .iter()
                        .filter(|&&j| code(j) != 0)
                        .map(|&j| (j as u64, code(j)))
                        .collect();
                    t.push((toks, last_beat && c + 1 == chunks.len()));
                }
            }
        }
        t
    }

    /// Feeds `rows` with random input idles and random credit; returns the issues and the
    /// largest read position seen in any cycle. Checks that no row end issues without credit
    /// and that a zero code's position is the port's previous one.
    fn run(
        rows: &[Vec<u8>],
        dense: bool,
        k: usize,
        idle_pct: u32,
        no_credit_pct: u32,
        seed: u64,
    ) -> (Vec<Issue>, u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut uut = CodeScanner::<6>::new(&params(k), dense);
        uut.connect_all();
        let mut beats = vec![];
        for r in rows {
            let words = r.len().div_ceil(16);
            for b in 0..words {
                let f: Vec<u64> = (b * 16..b * 16 + 16)
                    .map(|j| if j < r.len() { r[j] as u64 } else { 0 })
                    .collect();
                beats.push((pack::<48>(&f, 3), b + 1 == words));
            }
        }
        let want = expected(rows, dense, k).len();
        let mut issues = vec![];
        let mut next = 0;
        let mut credit_log = vec![];
        let (mut max_j, mut prev) = (0u64, [0u64; 2]);
        uut.clock.next = Clock { clk: false };
        uut.reset.next = true;
        settle(&mut uut);
        rise(&mut uut, |u| &mut u.clock);
        uut.reset.next = false;
        for cycle in 0..20_000 {
            if issues.len() == want {
                break;
            }
            assert!(cycle < 19_999, "scanner stalled");
            let offer = next < beats.len() && rng.gen_range(0..100) >= idle_pct;
            let credit = rng.gen_range(0..100) >= no_credit_pct;
            uut.credit.next = credit;
            uut.in_codes.next = if offer {
                beats[next].0
            } else {
                Bits::default()
            };
            uut.in_last.next = offer && beats[next].1;
            uut.in_accept.next = false;
            settle(&mut uut);
            let accept = offer && uut.space.val();
            uut.in_accept.next = accept;
            settle(&mut uut);
            credit_log.push(credit || !uut.row_end_issued.val());
            let ports = [
                (uut.tok_j.val().to_u64(), uut.tok_code.val().to_u64()),
                (uut.tok_j_b.val().to_u64(), uut.tok_code_b.val().to_u64()),
            ];
            for (p, &(j, c)) in ports.iter().enumerate() {
                max_j = max_j.max(j);
                if c == 0 || !uut.tok_valid.val() {
                    assert_eq!(
                        j, prev[p],
                        "port {p}: the read position moved without a code"
                    );
                }
                prev[p] = j;
            }
            if uut.tok_valid.val() {
                let toks = ports.iter().copied().filter(|&(_, c)| c != 0).collect();
                issues.push((toks, uut.tok_last.val()));
            }
            rise(&mut uut, |u| &mut u.clock);
            if accept {
                next += 1;
            }
        }
        assert!(
            credit_log.iter().all(|&ok| ok),
            "a row end issued without credit"
        );
        (issues, max_j)
    }

    fn random_rows(rng: &mut StdRng, rows: usize, n: usize, density: u32) -> Vec<Vec<u8>> {
        (0..rows)
            .map(|_| {
                (0..n)
                    .map(|_| {
                        if rng.gen_range(0..100) < density {
                            rng.gen_range(1..8)
                        } else {
                            0
                        }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn issues_every_nonzero_code_once_in_order() {
        let mut rng = StdRng::seed_from_u64(1);
        for k in [1, 2] {
            for (s, (n, dens)) in [(64, 5), (64, 50), (37, 20), (16, 100), (50, 0), (45, 70)]
                .into_iter()
                .enumerate()
            {
                let rows = random_rows(&mut rng, 4, n, dens);
                for (idle, nocredit) in [(0, 0), (40, 0), (20, 70)] {
                    let (got, max_j) = run(&rows, false, k, idle, nocredit, s as u64);
                    assert_eq!(
                        got,
                        expected(&rows, false, k),
                        "K={k} n={n} density={dens} idle={idle} nocredit={nocredit}"
                    );
                    assert!(max_j < n as u64, "K={k} n={n}: read position {max_j}");
                }
            }
        }
    }

    #[test]
    fn two_picks_take_the_two_lowest_positions() {
        // Beats with 1, 2, 3, 16 non-zeros and a marker: pairs from the lowest up.
        let mut row = vec![0u8; 80];
        row[5] = 1;
        row[16] = 2;
        row[31] = 3;
        for j in [33, 34, 40] {
            row[j] = 4;
        }
        for c in row[48..64].iter_mut() {
            *c = 7;
        }
        let (got, _) = run(&[row.clone()], false, 2, 0, 0, 0);
        let want: Vec<Issue> = vec![
            (vec![(5, 1)], false),
            (vec![(16, 2), (31, 3)], false),
            (vec![(33, 4), (34, 4)], false),
            (vec![(40, 4)], false),
        ]
        .into_iter()
        .chain((0..8).map(|p| (vec![(48 + 2 * p, 7), (49 + 2 * p, 7)], false)))
        .chain([(vec![], true)])
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn dense_issues_every_position_and_reads_none_past_n() {
        // n = 40: the last beat's positions 40..48 are padding (code 0). The dense core issues
        // them (cycle for cycle as before) but does not read V there: V rows past n may
        // never have been written (unknown in a 4-state simulator).
        let mut rng = StdRng::seed_from_u64(2);
        let rows = random_rows(&mut rng, 3, 40, 30);
        let (got, max_j) = run(&rows, true, 1, 30, 30, 5);
        assert_eq!(got.len(), 3 * 48);
        assert_eq!(got, expected(&rows, true, 1));
        assert!(
            max_j < 40,
            "the dense scanner read position {max_j} >= n = 40"
        );
    }

    #[test]
    fn holds_eight_beats_behind_a_row_end_without_credit() {
        // A one-beat row (its row end waits for credit) and then single-code beats offered
        // every cycle: the FIFO takes eight beats (the head and seven queued) and then has no
        // space; with credit it drains them in order, one a cycle once the row end has gone.
        for k in [1, 2] {
            let mut uut = CodeScanner::<6>::new(&params(k), false);
            uut.connect_all();
            uut.clock.next = Clock { clk: false };
            uut.reset.next = true;
            settle(&mut uut);
            rise(&mut uut, |u| &mut u.clock);
            uut.reset.next = false;
            uut.credit.next = false;
            let mut taken = 0;
            for beat in 0..20u64 {
                // Beat 0 ends a row (code 1 at position 0); the others carry code 2 at
                // position `beat % 16` of a longer row.
                let mut f = vec![0u64; 16];
                f[(beat % 16) as usize] = if beat == 0 { 1 } else { 2 };
                uut.in_codes.next = pack::<48>(&f, 3);
                uut.in_last.next = beat == 0;
                uut.in_accept.next = false;
                settle(&mut uut);
                let accept = uut.space.val();
                uut.in_accept.next = accept;
                settle(&mut uut);
                rise(&mut uut, |u| &mut u.clock);
                taken += accept as usize;
            }
            assert_eq!(taken, 8, "K={k}: the FIFO took {taken} beats, not 8");
            uut.in_accept.next = false;
            uut.credit.next = true;
            let mut got = vec![];
            for _ in 0..30 {
                settle(&mut uut);
                if uut.tok_valid.val() && uut.tok_code.val().to_u64() != 0 {
                    got.push((uut.tok_j.val().to_u64(), uut.tok_code.val().to_u64()));
                }
                rise(&mut uut, |u| &mut u.clock);
            }
            // Beat 0 at base 0; beats 1..7 at bases 0, 16, 32, ... (a new row; A = 6 bits of
            // position wrap at 64), position `beat` within each.
            let want: Vec<(u64, u64)> = [(0, 1)]
                .into_iter()
                .chain((1..8u64).map(|b| ((16 * (b - 1) + b) % 64, 2)))
                .collect();
            assert_eq!(got, want, "K={k}");
        }
    }

    #[test]
    fn scanner_verilog_lints_clean() {
        for (k, dense) in [(1, false), (2, false), (1, true)] {
            let mut uut = CodeScanner::<6>::new(&params(k), dense);
            uut.connect_all();
            verilator_lint(
                &format!("code_scanner_{k}_{dense}"),
                &generate_verilog(&uut),
            )
            .unwrap();
        }
    }

    #[test]
    #[should_panic(expected = "CodeScanner: k (code bits) must be 3")]
    fn rejects_k_other_than_3() {
        let _ = CodeScanner::<6>::new(&CoreParams::new(4, 64, 16, 2).unwrap(), false);
    }

    #[test]
    #[should_panic(
        expected = "CodeScanner: the dense baseline issues one code a cycle (K = 1), got K = 2"
    )]
    fn rejects_a_dense_scanner_of_two_codes_a_cycle() {
        let _ = CodeScanner::<6>::new(&params(2), true);
    }

    #[test]
    #[should_panic(expected = "CodeScanner: K (non-zeros per cycle) must be 1 or 2, got 3")]
    fn rejects_three_codes_a_cycle() {
        let mut p = params(1);
        p.nnz_per_cycle = 3;
        let _ = CodeScanner::<6>::new(&p, false);
    }
}
