//! The whole head's cycle behaviour: the front end (`hdl/src/front_end/`), the head's
//! sequencing (`hdl/src/attn_head.rs`) and the core ([`super::core`]), cycle by cycle.

use super::core::{beats_of, Beat, CoreTiming};
use crate::{CoreParams, Variant};
use ndarray::ArrayView2;
use std::collections::VecDeque;

/// Edges through `ScaleShift` (score times multipliers, round, shift, saturate).
pub const SCALE_LATENCY: usize = 8;
/// Edges from an x bank's read address to its registered data (the block RAM, then a
/// register).
pub const BANK_READ_LATENCY: usize = 2;
/// Edges through `Exp2Neg`.
pub const EXP_LATENCY: usize = 3;
/// Edges through `Log2Sum`.
pub const LOG_LATENCY: usize = 3;
/// Edges through `CodeOf`.
pub const CODE_LATENCY: usize = 2;
/// Depth of the front end's output queue of code beats.
pub const BEAT_QUEUE_DEPTH: usize = 4;

/// Edges through the score unit `DotProduct` for head dimension `d` (a power of two): two for
/// the input registers, one for the products, one per two adder-tree levels:
/// `3 + ceil(log2(d) / 2)`.
pub fn score_latency(d: usize) -> usize {
    assert!(
        d.is_power_of_two(),
        "timing: D must be a power of two, got {d}"
    );
    3 + (d.trailing_zeros() as usize).div_ceil(2)
}

/// A delay line of valid bits (a leaf's pipeline).
struct Line(VecDeque<bool>);

impl Line {
    fn new(latency: usize) -> Self {
        Self(std::iter::repeat_n(false, latency).collect())
    }
    fn out(&self) -> bool {
        *self.0.back().expect("latency >= 1")
    }
    fn edge(&mut self, v: bool) {
        self.0.pop_back();
        self.0.push_front(v);
    }
}

/// One row stage of the front end: occupied, done, issue counter, issue delayed by the RAM,
/// output counter.
#[derive(Clone, Copy, Default)]
struct Stage {
    occ: bool,
    done: bool,
    j: usize,
    rd: bool,
    rd2: bool,
    out: usize,
}

/// Exact cycles of one head on `hdl::attn_head::AttnHead`: `codes [rows, n]` are the head's
/// codes (masked keys 0), which set the core's share of the time.
///
/// Assumptions: the head starts idle with its weights loaded; from cycle 0 on, its K rows, V rows
/// and Q rows are all offered with no gaps (each beat right after the previous one is accepted)
/// and `m_axis_tready` is high. Counted from cycle 0 to the last output handshake, inclusive.
///
/// What it mirrors, cycle by cycle: K and V load in parallel (cycles `0..n`); the first Q row
/// is accepted into the hold register in cycle n and each next one as soon as the hold is
/// empty; the three row stages run in lock step and a phase advances (taking the held row)
/// when every occupied stage is done: S1 issues n keys and is done when the last x is written
/// (`1 + score_latency + SCALE_LATENCY` edges later); S2 issues n, sums them
/// (`EXP_LATENCY`) and computes L (`LOG_LATENCY`); S3 issues `16 ceil(n/16)` positions in
/// groups of 16, a group starting only while queued plus in-flight beats are below
/// [`BEAT_QUEUE_DEPTH`], and is done with its last code (`CODE_LATENCY`); beats leave the queue
/// into [`CoreTiming`].
pub fn head_cycles(
    params: &CoreParams,
    keys_per_cycle: usize,
    variant: Variant,
    codes: ArrayView2<u8>,
) -> usize {
    assert_eq!(
        keys_per_cycle, 1,
        "timing: the head model covers P = 1 so far"
    );
    let (rows, n) = codes.dim();
    assert!(
        rows >= 1 && n >= 1,
        "timing: a head needs rows >= 1 and n >= 1"
    );
    assert!(
        n <= params.n_max,
        "timing: n = {n} exceeds N_MAX = {}",
        params.n_max
    );
    let beats = beats_of(params, variant, codes);
    let end = params.codes_per_cycle * params.words_per_row(n);
    let w = params.codes_per_cycle;
    let mut core = CoreTiming::new(params);
    let mut queue: VecDeque<Beat> = VecDeque::with_capacity(BEAT_QUEUE_DEPTH);
    let (mut next_beat, mut inflight, mut outputs, mut q_left) = (0usize, 0usize, 0usize, rows);
    let (mut s1, mut s2, mut s3) = (Stage::default(), Stage::default(), Stage::default());
    let (mut lgo, mut hold) = (false, false);
    let mut dot = Line::new(score_latency(params.d));
    let mut scale = Line::new(SCALE_LATENCY);
    let mut exp = Line::new(EXP_LATENCY);
    let mut logs = Line::new(LOG_LATENCY);
    let mut codeof = Line::new(CODE_LATENCY);
    for t in 0.. {
        // Combinational decisions of cycle t.
        let kv_loaded = t >= n;
        let all_done = (!s1.occ || s1.done) && (!s2.occ || s2.done) && (!s3.occ || s3.done);
        let q_fire = q_left > 0 && kv_loaded && !hold;
        let adv = all_done && (s1.occ || s2.occ || s3.occ || hold);
        let s1_issue = s1.occ && s1.j < n;
        let x_valid = scale.out();
        let s2_issue = s2.occ && s2.j < n;
        let (e_valid, l_valid) = (exp.out(), logs.out());
        let group = s3.j % w == 0;
        let s3_issue =
            s3.occ && s3.j < end && (!group || queue.len() + inflight < BEAT_QUEUE_DEPTH);
        let c_valid = codeof.out();
        let push = c_valid && s3.out % w == w - 1;
        let (accepted, fired) = core.cycle(queue.front().copied(), true);
        if fired {
            outputs += 1;
            if outputs == rows {
                return t + 1;
            }
        }
        // Clock edge.
        if accepted {
            queue.pop_front();
        }
        if push {
            queue.push_back(beats[next_beat]);
            next_beat += 1;
        }
        inflight = inflight + usize::from(s3_issue && group) - usize::from(push);
        let (dot_out, s1_rd, lgo_q) = (dot.out(), s1.rd, lgo);
        dot.edge(s1_rd);
        scale.edge(dot_out);
        exp.edge(s2.rd2);
        logs.edge(lgo_q);
        codeof.edge(s3.rd2);
        s2.rd2 = s2.rd;
        s3.rd2 = s3.rd;
        s1.j += usize::from(s1_issue);
        s1.rd = s1_issue;
        if x_valid {
            s1.done |= s1.out + 1 == n;
            s1.out += 1;
        }
        s2.j += usize::from(s2_issue);
        s2.rd = s2_issue;
        lgo = e_valid && s2.out + 1 == n;
        if e_valid {
            s2.out += 1;
        }
        s2.done |= l_valid;
        s3.j += usize::from(s3_issue);
        s3.rd = s3_issue;
        if c_valid {
            s3.done |= s3.out + 1 == end;
            s3.out += 1;
        }
        if adv {
            let fresh = |occ: bool, old: &Stage| Stage {
                occ,
                rd: old.rd,
                rd2: old.rd2,
                ..Stage::default()
            };
            s3 = fresh(s2.occ, &s3);
            s2 = fresh(s1.occ, &s2);
            s1 = fresh(hold, &s1);
            hold = false;
        }
        if q_fire {
            hold = true;
            q_left -= 1;
        }
    }
    unreachable!()
}

/// Exact cycles of one head's compute on a board whose K and V are already loaded (the link
/// framer streams them in while the frame arrives): from the first Q row offered (and accepted
/// at once) to the last output handshake, inclusive, with the Q rows offered back to back and
/// `m_axis_tready` high: [`head_cycles`] less its K/V load of n cycles.
pub fn head_compute_cycles(
    params: &CoreParams,
    keys_per_cycle: usize,
    variant: Variant,
    codes: ArrayView2<u8>,
) -> usize {
    head_cycles(params, keys_per_cycle, variant, codes) - codes.ncols()
}

/// Where a head's cycles go, from the same model: the K/V load, the front end's phases
/// (`rows + 2` of them, each as long as its slowest stage) and the drain after the last phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeadBreakdown {
    /// Cycles before the first Q row is accepted (K and V load in parallel: n).
    pub load: usize,
    /// Stall-free cycles of one phase for rows of length n: the slowest of S1
    /// (`n + 1 + score_latency + SCALE_LATENCY`), S2
    /// (`n + BANK_READ_LATENCY + EXP_LATENCY + 1 + LOG_LATENCY`) and S3
    /// (`16 ceil(n/16) + BANK_READ_LATENCY + CODE_LATENCY`), plus the advance cycle.
    pub phase: usize,
    /// All cycles ([`head_cycles`]).
    pub total: usize,
}

/// The stall-free phase length for rows of `n` keys at head dimension `d`.
pub fn phase_cycles(params: &CoreParams, n: usize) -> usize {
    let s1 = n + 1 + score_latency(params.d) + SCALE_LATENCY;
    let s2 = n + BANK_READ_LATENCY + EXP_LATENCY + 1 + LOG_LATENCY;
    let s3 = params.codes_per_cycle * params.words_per_row(n) + BANK_READ_LATENCY + CODE_LATENCY;
    s1.max(s2).max(s3) + 1
}

/// [`head_cycles`] with its breakdown.
pub fn head_breakdown(
    params: &CoreParams,
    keys_per_cycle: usize,
    variant: Variant,
    codes: ArrayView2<u8>,
) -> HeadBreakdown {
    HeadBreakdown {
        load: codes.ncols(),
        phase: phase_cycles(params, codes.ncols()),
        total: head_cycles(params, keys_per_cycle, variant, codes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn head_cycles_follow_the_phases() {
        // Without core stalls a head is load + (rows + 2) phases + a short drain.
        let pp = CoreParams::default();
        for (n, rows) in [(16usize, 1usize), (37, 3), (128, 8), (512, 4)] {
            let c = Array2::from_shape_fn((rows, n), |(i, j)| ((i + j) % 3 == 0) as u8 * 2);
            let b = head_breakdown(&pp, 1, Variant::General, c.view());
            let lo = n + (rows + 2) * b.phase - b.phase;
            let hi = n + (rows + 2) * b.phase + 16;
            assert!(
                (lo..=hi).contains(&b.total),
                "n={n} rows={rows}: {} not in {lo}..={hi} (phase {})",
                b.total,
                b.phase
            );
        }
        assert_eq!(score_latency(64), 6);
        assert_eq!(score_latency(32), 6);
        assert_eq!(score_latency(4), 4);
    }
}
