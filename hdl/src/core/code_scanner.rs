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
/// is kept as a row-end marker (mask 0). Other beats enter a 8-entry FIFO (shift register; head
/// = slot 0) with their non-zero mask, their base position `beat * 16`, and `in_last`. Each cycle
/// the head issues up to K tokens: the K lowest remaining non-zero positions (two priority
/// picks with K = 2: the lowest set bit, then the lowest of the rest; one-hot), then those bits
/// are cleared in place; the entry pops with its last tokens. A marker issues one token with
/// code 0. A row end (the last issue of a beat with `in_last`) issues only when `credit` is
/// high. `pop` depends only on registered flags (`fin` = at most K bits left, kept with a 5-bit
/// count of the bits left), so the critical loop is short; the one-hot -> (index, code) encode
/// is a separate pipeline stage (T2).
/// In the dense variant every beat is kept with mask all-ones (one token per position; K = 1
/// only).
///
/// Inputs: `clock`, `reset` (synchronous, active high), `in_accept` (a beat is taken this cycle;
/// the parent asserts it only when `space` is high), `in_codes` (48 bits, code m at `[3m+2:3m]`),
/// `in_last` (the beat ends a query row), `credit` (a row end may issue this cycle).
/// Outputs: `space` (registered: the FIFO has a free slot), `busy` (entries or tokens in flight),
/// `row_end_issued` (a row end issues this cycle), and the cycle's tokens at stage T2,
/// registered: `tok_valid`, `tok_last` (row end), the first token `tok_j` (position, `A` bits),
/// `tok_code` (3 bits, 0 for a marker or a dense zero) and the second `tok_j_b`, `tok_code_b`
/// (code 0 when there is none, and always with K = 1). A token's position is the read
/// address of the V RAM: it changes only with an issued non-zero code (a zero code keeps the
/// last one, 0 after reset), so no position past a row's end is ever read (its codes are zero).
/// Latency: tokens issued from the FIFO at edge t are on `tok_*` after t+1.
#[derive(LogicBlock)]
pub struct CodeScanner<const A: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub in_accept: Signal<In, Bit>,
    pub in_codes: Signal<In, Bits<48>>,
    pub in_last: Signal<In, Bit>,
    pub credit: Signal<In, Bit>,
    pub space: Signal<Out, Bit>,
    pub busy: Signal<Out, Bit>,
    pub row_end_issued: Signal<Out, Bit>,
    pub tok_valid: Signal<Out, Bit>,
    pub tok_j: Signal<Out, Bits<A>>,
    pub tok_code: Signal<Out, Bits<3>>,
    pub tok_j_b: Signal<Out, Bits<A>>,
    pub tok_code_b: Signal<Out, Bits<3>>,
    pub tok_last: Signal<Out, Bit>,
    nz: CodeMask<16, 48>,
    sel: OneHotSelect<16, 48, 4>,
    sel_b: OneHotSelect<16, 48, 4>,
    dense: Constant<Bit>,
    two: Constant<Bit>,
    k_cnt: Constant<Bits<5>>,
    k2_cnt: Constant<Bits<5>>,
    all_ones: Constant<Bits<16>>,
    sixteen: Constant<Bits<5>>,
    beat: DFF<Bits<A>>,
    count: DFF<Bits<4>>,
    s0_codes: DFF<Bits<48>>,
    s0_mask: DFF<Bits<16>>,
    s0_fin: DFF<Bit>,
    s0_cnt: DFF<Bits<5>>,
    s0_base: DFF<Bits<A>>,
    s0_last: DFF<Bit>,
    s1_codes: DFF<Bits<48>>,
    s1_mask: DFF<Bits<16>>,
    s1_fin: DFF<Bit>,
    s1_cnt: DFF<Bits<5>>,
    s1_base: DFF<Bits<A>>,
    s1_last: DFF<Bit>,
    s2_codes: DFF<Bits<48>>,
    s2_mask: DFF<Bits<16>>,
    s2_fin: DFF<Bit>,
    s2_cnt: DFF<Bits<5>>,
    s2_base: DFF<Bits<A>>,
    s2_last: DFF<Bit>,
    s3_codes: DFF<Bits<48>>,
    s3_mask: DFF<Bits<16>>,
    s3_fin: DFF<Bit>,
    s3_cnt: DFF<Bits<5>>,
    s3_base: DFF<Bits<A>>,
    s3_last: DFF<Bit>,
    s4_codes: DFF<Bits<48>>,
    s4_mask: DFF<Bits<16>>,
    s4_fin: DFF<Bit>,
    s4_cnt: DFF<Bits<5>>,
    s4_base: DFF<Bits<A>>,
    s4_last: DFF<Bit>,
    s5_codes: DFF<Bits<48>>,
    s5_mask: DFF<Bits<16>>,
    s5_fin: DFF<Bit>,
    s5_cnt: DFF<Bits<5>>,
    s5_base: DFF<Bits<A>>,
    s5_last: DFF<Bit>,
    s6_codes: DFF<Bits<48>>,
    s6_mask: DFF<Bits<16>>,
    s6_fin: DFF<Bit>,
    s6_cnt: DFF<Bits<5>>,
    s6_base: DFF<Bits<A>>,
    s6_last: DFF<Bit>,
    s7_codes: DFF<Bits<48>>,
    s7_mask: DFF<Bits<16>>,
    s7_fin: DFF<Bit>,
    s7_cnt: DFF<Bits<5>>,
    s7_base: DFF<Bits<A>>,
    s7_last: DFF<Bit>,
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
    in_fin: Signal<Local, Bit>,
    in_cnt: Signal<Local, Bits<5>>,
    lowest: Signal<Local, Bits<16>>,
    rest: Signal<Local, Bits<16>>,
    lowest_b: Signal<Local, Bits<16>>,
    rest_b: Signal<Local, Bits<16>>,
    rest_fin: Signal<Local, Bit>,
    row_end: Signal<Local, Bit>,
    issue: Signal<Local, Bit>,
    pop: Signal<Local, Bit>,
    wr_idx: Signal<Local, Bits<4>>,
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
            sixteen: Constant::new(16u64.into()),
            beat: Default::default(),
            count: Default::default(),
            s0_codes: Default::default(),
            s0_mask: Default::default(),
            s0_fin: Default::default(),
            s0_cnt: Default::default(),
            s0_base: Default::default(),
            s0_last: Default::default(),
            s1_codes: Default::default(),
            s1_mask: Default::default(),
            s1_fin: Default::default(),
            s1_cnt: Default::default(),
            s1_base: Default::default(),
            s1_last: Default::default(),
            s2_codes: Default::default(),
            s2_mask: Default::default(),
            s2_fin: Default::default(),
            s2_cnt: Default::default(),
            s2_base: Default::default(),
            s2_last: Default::default(),
            s3_codes: Default::default(),
            s3_mask: Default::default(),
            s3_fin: Default::default(),
            s3_cnt: Default::default(),
            s3_base: Default::default(),
            s3_last: Default::default(),
            s4_codes: Default::default(),
            s4_mask: Default::default(),
            s4_fin: Default::default(),
            s4_cnt: Default::default(),
            s4_base: Default::default(),
            s4_last: Default::default(),
            s5_codes: Default::default(),
            s5_mask: Default::default(),
            s5_fin: Default::default(),
            s5_cnt: Default::default(),
            s5_base: Default::default(),
            s5_last: Default::default(),
            s6_codes: Default::default(),
            s6_mask: Default::default(),
            s6_fin: Default::default(),
            s6_cnt: Default::default(),
            s6_base: Default::default(),
            s6_last: Default::default(),
            s7_codes: Default::default(),
            s7_mask: Default::default(),
            s7_fin: Default::default(),
            s7_cnt: Default::default(),
            s7_base: Default::default(),
            s7_last: Default::default(),
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
            in_fin: Default::default(),
            in_cnt: Default::default(),
            lowest: Default::default(),
            rest: Default::default(),
            lowest_b: Default::default(),
            rest_b: Default::default(),
            rest_fin: Default::default(),
            row_end: Default::default(),
            issue: Default::default(),
            pop: Default::default(),
            wr_idx: Default::default(),
        }
    }
}

impl<const A: usize> Logic for CodeScanner<A> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, beat, count, s0_codes, s0_mask, s0_fin, s0_cnt, s0_base, s0_last,
            s1_codes, s1_mask, s1_fin, s1_cnt, s1_base, s1_last, s2_codes, s2_mask, s2_fin, s2_cnt,
            s2_base, s2_last, s3_codes, s3_mask, s3_fin, s3_cnt, s3_base, s3_last, s4_codes,
            s4_mask, s4_fin, s4_cnt, s4_base, s4_last, s5_codes, s5_mask, s5_fin, s5_cnt, s5_base,
            s5_last, s6_codes, s6_mask, s6_fin, s6_cnt, s6_base, s6_last, s7_codes, s7_mask,
            s7_fin, s7_cnt, s7_base, s7_last, t1_valid, t1_oh, t1_oh_b, t1_codes, t1_base, t1_last,
            t2_valid, t2_j, t2_code, t2_j_b, t2_code_b, t2_last
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
        self.in_fin.next = self.in_cnt.val() <= self.k_cnt.val();
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
        self.issue.next = self.count.q.val().any() & (!self.row_end.val() | self.credit.val());
        self.pop.next = self.issue.val() & self.s0_fin.q.val();
        self.row_end_issued.next = self.issue.val() & self.row_end.val();
        if self.pop.val() {
            self.s0_codes.d.next = self.s1_codes.q.val();
            self.s0_mask.d.next = self.s1_mask.q.val();
            self.s0_fin.d.next = self.s1_fin.q.val();
            self.s0_cnt.d.next = self.s1_cnt.q.val();
            self.s0_base.d.next = self.s1_base.q.val();
            self.s0_last.d.next = self.s1_last.q.val();
            self.s1_codes.d.next = self.s2_codes.q.val();
            self.s1_mask.d.next = self.s2_mask.q.val();
            self.s1_fin.d.next = self.s2_fin.q.val();
            self.s1_cnt.d.next = self.s2_cnt.q.val();
            self.s1_base.d.next = self.s2_base.q.val();
            self.s1_last.d.next = self.s2_last.q.val();
            self.s2_codes.d.next = self.s3_codes.q.val();
            self.s2_mask.d.next = self.s3_mask.q.val();
            self.s2_fin.d.next = self.s3_fin.q.val();
            self.s2_cnt.d.next = self.s3_cnt.q.val();
            self.s2_base.d.next = self.s3_base.q.val();
            self.s2_last.d.next = self.s3_last.q.val();
            self.s3_codes.d.next = self.s4_codes.q.val();
            self.s3_mask.d.next = self.s4_mask.q.val();
            self.s3_fin.d.next = self.s4_fin.q.val();
            self.s3_cnt.d.next = self.s4_cnt.q.val();
            self.s3_base.d.next = self.s4_base.q.val();
            self.s3_last.d.next = self.s4_last.q.val();
            self.s4_codes.d.next = self.s5_codes.q.val();
            self.s4_mask.d.next = self.s5_mask.q.val();
            self.s4_fin.d.next = self.s5_fin.q.val();
            self.s4_cnt.d.next = self.s5_cnt.q.val();
            self.s4_base.d.next = self.s5_base.q.val();
            self.s4_last.d.next = self.s5_last.q.val();
            self.s5_codes.d.next = self.s6_codes.q.val();
            self.s5_mask.d.next = self.s6_mask.q.val();
            self.s5_fin.d.next = self.s6_fin.q.val();
            self.s5_cnt.d.next = self.s6_cnt.q.val();
            self.s5_base.d.next = self.s6_base.q.val();
            self.s5_last.d.next = self.s6_last.q.val();
            self.s6_codes.d.next = self.s7_codes.q.val();
            self.s6_mask.d.next = self.s7_mask.q.val();
            self.s6_fin.d.next = self.s7_fin.q.val();
            self.s6_cnt.d.next = self.s7_cnt.q.val();
            self.s6_base.d.next = self.s7_base.q.val();
            self.s6_last.d.next = self.s7_last.q.val();
            self.wr_idx.next = self.count.q.val() - 1;
        } else {
            self.wr_idx.next = self.count.q.val();
            if self.issue.val() {
                if self.two.val() {
                    self.s0_mask.d.next = self.rest_b.val();
                } else {
                    self.s0_mask.d.next = self.rest.val();
                }
                self.s0_fin.d.next = self.rest_fin.val();
                self.s0_cnt.d.next = self.s0_cnt.q.val() - self.k_cnt.val();
            }
        }
        if self.in_push.val() {
            if self.wr_idx.val() == 0 {
                self.s0_codes.d.next = self.in_codes.val();
                self.s0_mask.d.next = self.in_mask.val();
                self.s0_fin.d.next = self.in_fin.val();
                self.s0_cnt.d.next = self.in_cnt.val();
                self.s0_base.d.next = self.beat.q.val();
                self.s0_last.d.next = self.in_last.val();
            }
            if self.wr_idx.val() == 1 {
                self.s1_codes.d.next = self.in_codes.val();
                self.s1_mask.d.next = self.in_mask.val();
                self.s1_fin.d.next = self.in_fin.val();
                self.s1_cnt.d.next = self.in_cnt.val();
                self.s1_base.d.next = self.beat.q.val();
                self.s1_last.d.next = self.in_last.val();
            }
            if self.wr_idx.val() == 2 {
                self.s2_codes.d.next = self.in_codes.val();
                self.s2_mask.d.next = self.in_mask.val();
                self.s2_fin.d.next = self.in_fin.val();
                self.s2_cnt.d.next = self.in_cnt.val();
                self.s2_base.d.next = self.beat.q.val();
                self.s2_last.d.next = self.in_last.val();
            }
            if self.wr_idx.val() == 3 {
                self.s3_codes.d.next = self.in_codes.val();
                self.s3_mask.d.next = self.in_mask.val();
                self.s3_fin.d.next = self.in_fin.val();
                self.s3_cnt.d.next = self.in_cnt.val();
                self.s3_base.d.next = self.beat.q.val();
                self.s3_last.d.next = self.in_last.val();
            }
            if self.wr_idx.val() == 4 {
                self.s4_codes.d.next = self.in_codes.val();
                self.s4_mask.d.next = self.in_mask.val();
                self.s4_fin.d.next = self.in_fin.val();
                self.s4_cnt.d.next = self.in_cnt.val();
                self.s4_base.d.next = self.beat.q.val();
                self.s4_last.d.next = self.in_last.val();
            }
            if self.wr_idx.val() == 5 {
                self.s5_codes.d.next = self.in_codes.val();
                self.s5_mask.d.next = self.in_mask.val();
                self.s5_fin.d.next = self.in_fin.val();
                self.s5_cnt.d.next = self.in_cnt.val();
                self.s5_base.d.next = self.beat.q.val();
                self.s5_last.d.next = self.in_last.val();
            }
            if self.wr_idx.val() == 6 {
                self.s6_codes.d.next = self.in_codes.val();
                self.s6_mask.d.next = self.in_mask.val();
                self.s6_fin.d.next = self.in_fin.val();
                self.s6_cnt.d.next = self.in_cnt.val();
                self.s6_base.d.next = self.beat.q.val();
                self.s6_last.d.next = self.in_last.val();
            }
            if self.wr_idx.val() == 7 {
                self.s7_codes.d.next = self.in_codes.val();
                self.s7_mask.d.next = self.in_mask.val();
                self.s7_fin.d.next = self.in_fin.val();
                self.s7_cnt.d.next = self.in_cnt.val();
                self.s7_base.d.next = self.beat.q.val();
                self.s7_last.d.next = self.in_last.val();
            }
        }
        if self.in_push.val() & !self.pop.val() {
            self.count.d.next = self.count.q.val() + 1;
        }
        if !self.in_push.val() & self.pop.val() {
            self.count.d.next = self.count.q.val() - 1;
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
            self.count.d.next = 0.into();
            self.beat.d.next = 0.into();
            self.t1_valid.d.next = false;
            self.t2_valid.d.next = false;
            self.t2_j.d.next = 0.into();
            self.t2_j_b.d.next = 0.into();
        }
        // Outputs.
        self.space.next = self.count.q.val() != 8;
        self.busy.next = self.count.q.val().any() | self.t1_valid.q.val() | self.t2_valid.q.val();
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
