//! Cycle model of the hdl crate's AttnV core (zero-skipping scanner + 5-stage datapath).
//!
//! The model mirrors the core's control logic cycle by cycle (it tracks only counts, not data),
//! so it is exact for the case it covers:
//!
//! - the core is idle (weights and V loaded, nothing in flight) when cycle 0 starts;
//! - the code stream is valid from cycle 0 on with no gaps (each beat presented right after the
//!   previous one is accepted), V and weight streams are idle, `m_axis_tready` is always high;
//! - the job's cycles are counted from cycle 0 to the cycle of the last row's output handshake,
//!   inclusive.
//!
//! Microarchitecture modelled (see `hdl/src/code_scanner.rs`, `hdl/src/attnv.rs`):
//! - a code beat is accepted when the 8-entry FIFO's registered count is below 8; an all-zero
//!   beat is dropped unless it ends the row (then it is a one-token row-end marker); the dense
//!   variant keeps every beat with all 16 positions;
//! - each cycle the FIFO head issues one token (its lowest remaining non-zero position); the
//!   entry pops with its last token; a row-end token issues only if no earlier row's result is
//!   still waiting (issued and not yet handed over on `m_axis`): a one-row output credit;
//! - a token issued in cycle t reaches the accumulator in cycle t+5, and a row-end token's result
//!   is valid on `m_axis` in cycle t+6 ([`ISSUE_TO_OUTPUT`]); so row ends issue at least
//!   [`MIN_ROW_PERIOD`] = 7 cycles apart.

use crate::{CoreParams, Variant};
use ndarray::ArrayView2;
use std::collections::VecDeque;

/// Depth of the scanner's non-zero beat FIFO.
pub const FIFO_DEPTH: usize = 8;
/// Cycles from a row-end token's issue to its output beat's handshake (when ready is high).
pub const ISSUE_TO_OUTPUT: usize = 6;
/// Smallest distance in cycles between two row-end issues (one-row output credit).
pub const MIN_ROW_PERIOD: usize = ISSUE_TO_OUTPUT + 1;
/// Cycles of a one-beat, one-token job: accept (cycle 0), issue (1), output (7).
pub const MIN_JOB_CYCLES: usize = 1 + ISSUE_TO_OUTPUT + 1;

/// One code beat as the scanner sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Beat {
    /// Tokens the beat issues if kept: its non-zero codes (all W positions in the dense variant).
    pub tokens: usize,
    /// The beat ends a query row.
    pub last: bool,
}

/// The beats of code rows `[rows, n]` (n >= 1) for `params` and `variant`.
pub fn beats_of(params: &CoreParams, variant: Variant, codes: ArrayView2<u8>) -> Vec<Beat> {
    let n = codes.ncols();
    assert!(n >= 1, "timing: rows must have n >= 1 positions");
    let w = params.codes_per_cycle;
    let words = params.words_per_row(n);
    let mut beats = Vec::with_capacity(codes.nrows() * words);
    for row in codes.rows() {
        for b in 0..words {
            let nz = (b * w..((b + 1) * w).min(n))
                .filter(|&j| row[j] != 0)
                .count();
            let tokens = if variant == Variant::Dense { w } else { nz };
            beats.push(Beat {
                tokens,
                last: b + 1 == words,
            });
        }
    }
    beats
}

/// The AttnV core's control, cycle by cycle, for composition with a producer of code beats
/// (see the module doc; [`job_cycles_of_beats`] and [`head_cycles`] drive it).
#[derive(Clone, Debug, Default)]
pub struct CoreTiming {
    /// FIFO entries: (tokens left, ends the row).
    fifo: VecDeque<(usize, bool)>,
    /// Pipeline stages T1..T5 (ISSUE_TO_OUTPUT - 1 of them): (valid, row end).
    stages: [(bool, bool); ISSUE_TO_OUTPUT - 1],
    out_valid: bool,
    busy: bool,
}

impl CoreTiming {
    /// An idle core.
    pub fn new() -> Self {
        Self::default()
    }

    /// One cycle: `offer` is the code beat presented on `s_axis_c` (if any), `m_ready` the
    /// level of `m_axis_tready`. Returns (the beat was accepted, an output beat was handed over),
    /// both at the cycle's closing clock edge.
    pub fn cycle(&mut self, offer: Option<Beat>, m_ready: bool) -> (bool, bool) {
        // Combinational decisions of the cycle.
        let accept = offer.is_some() && self.fifo.len() != FIFO_DEPTH;
        let push = offer.filter(|b| accept && (b.tokens > 0 || b.last));
        let (issue, pop, row_end) = match self.fifo.front() {
            Some(&(left, last)) => {
                let row_end = last && left <= 1;
                let issue = !row_end || !self.busy;
                (issue, issue && left <= 1, row_end)
            }
            None => (false, false, false),
        };
        let m_fire = self.out_valid && m_ready;
        // Clock edge.
        if pop {
            self.fifo.pop_front();
        } else if issue {
            self.fifo[0].0 -= 1;
        }
        if let Some(b) = push {
            self.fifo.push_back((b.tokens, b.last));
        }
        let (v4, l4) = self.stages[ISSUE_TO_OUTPUT - 2];
        self.stages.rotate_right(1);
        self.stages[0] = (issue, issue && row_end);
        self.out_valid = if v4 && l4 {
            true
        } else {
            self.out_valid && !m_fire
        };
        self.busy = if issue && row_end {
            true
        } else {
            self.busy && !m_fire
        };
        (accept, m_fire)
    }
}

/// Exact cycles of a job given as its beats (see the module doc for the assumptions).
pub fn job_cycles_of_beats(beats: &[Beat]) -> usize {
    let rows = beats.iter().filter(|b| b.last).count();
    assert!(
        rows > 0 && beats.last().is_some_and(|b| b.last),
        "timing: the job must end with a row end"
    );
    let mut core = CoreTiming::new();
    let (mut next, mut done) = (0, 0);
    for t in 0.. {
        let (accepted, fired) = core.cycle(beats.get(next).copied(), true);
        if fired {
            done += 1;
            if done == rows {
                return t + 1;
            }
        }
        if accepted {
            next += 1;
        }
    }
    unreachable!()
}

/// Exact cycles of a job: code rows `[rows, n]` (see the module doc for the assumptions).
pub fn job_cycles(params: &CoreParams, variant: Variant, codes: ArrayView2<u8>) -> usize {
    job_cycles_of_beats(&beats_of(params, variant, codes))
}

/// Tokens a row issues: its non-zero codes, plus one if its last beat is all zero (the row-end
/// marker); `ceil(n/W) * W` in the dense variant.
pub fn row_tokens(params: &CoreParams, variant: Variant, row: &[u8]) -> usize {
    let w = params.codes_per_cycle;
    if variant == Variant::Dense {
        return params.words_per_row(row.len()) * w;
    }
    let nnz = row.iter().filter(|&&c| c != 0).count();
    let last_start = (params.words_per_row(row.len()) - 1) * w;
    nnz + usize::from(row[last_start..].iter().all(|&c| c == 0))
}

/// An upper bound on a job's cycles from per-row counts alone:
/// `1 + ISSUE_TO_OUTPUT + W + sum_i max(tokens_i, beats_i + 1, MIN_ROW_PERIOD)`, with
/// `tokens_i` from [`row_tokens`] (at most `nnz_i + 1`) and `beats_i = ceil(n_i / W)`.
/// So a row costs at most `max(nnz_i, ceil(n_i/W)) + 1` cycles once that is at least 5, and
/// [`MIN_ROW_PERIOD`] otherwise, plus a one-time `1 + ISSUE_TO_OUTPUT + W` (pipeline fill and
/// drain; the last beat's up to W tokens cannot issue before it arrives). Checked against
/// [`job_cycles`] by randomized tests (uniform and clustered codes), not proved.
pub fn job_cycles_bound(params: &CoreParams, variant: Variant, codes: ArrayView2<u8>) -> usize {
    let per_row: usize = codes
        .rows()
        .into_iter()
        .map(|r| {
            let r = r.to_vec();
            row_tokens(params, variant, &r)
                .max(params.words_per_row(r.len()) + 1)
                .max(MIN_ROW_PERIOD)
        })
        .sum();
    1 + ISSUE_TO_OUTPUT + params.codes_per_cycle + per_row
}

// ---------------------------------------------------------------------------------------
// The whole head: front end (hdl/src/front_end.rs) + sequencing (hdl/src/attn_head.rs) + core.

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
pub fn head_cycles(params: &CoreParams, variant: Variant, codes: ArrayView2<u8>) -> usize {
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
    let mut core = CoreTiming::new();
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
pub fn head_compute_cycles(params: &CoreParams, variant: Variant, codes: ArrayView2<u8>) -> usize {
    head_cycles(params, variant, codes) - codes.ncols()
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
    variant: Variant,
    codes: ArrayView2<u8>,
) -> HeadBreakdown {
    HeadBreakdown {
        load: codes.ncols(),
        phase: phase_cycles(params, codes.ncols()),
        total: head_cycles(params, variant, codes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn p() -> CoreParams {
        CoreParams::new(4, 64, 16, 3).unwrap()
    }

    #[test]
    fn one_token_job() {
        let mut c = Array2::<u8>::zeros((1, 16));
        c[[0, 3]] = 5;
        assert_eq!(job_cycles(&p(), Variant::General, c.view()), MIN_JOB_CYCLES);
        // An all-zero row still issues its marker.
        let z = Array2::<u8>::zeros((1, 40));
        assert_eq!(
            job_cycles(&p(), Variant::General, z.view()),
            1 + 3 + ISSUE_TO_OUTPUT
        );
    }

    #[test]
    fn long_rows_run_at_max_of_tokens_and_beats() {
        let pp = CoreParams::default();
        // 512 positions, 3% density spread out: beat-bound, 32 beats per row.
        let mut c = Array2::<u8>::zeros((8, 512));
        for i in 0..8 {
            for j in (0..512).step_by(33) {
                c[[i, j]] = 1 + (j % 7) as u8;
            }
        }
        let t = job_cycles(&pp, Variant::General, c.view());
        assert!(t <= 8 * 32 + 8, "{t}");
        // Dense: 512 tokens per row.
        let td = job_cycles(&pp, Variant::Dense, c.view());
        assert_eq!(td, 1 + 8 * 512 + ISSUE_TO_OUTPUT);
        // Full density: token-bound.
        let f = Array2::<u8>::from_elem((4, 512), 3);
        assert_eq!(
            job_cycles(&pp, Variant::General, f.view()),
            1 + 4 * 512 + ISSUE_TO_OUTPUT
        );
    }

    #[test]
    fn bound_holds_on_random_jobs() {
        let mut s = 0x1234_5678_9abc_def0u64;
        let mut rnd = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for _ in 0..3000 {
            let n = 1 + (rnd() % 200) as usize;
            let rows = 1 + (rnd() % 6) as usize;
            let density = rnd() % 101;
            let c = Array2::from_shape_fn((rows, n), |_| {
                if rnd() % 100 < density {
                    1 + (rnd() % 7) as u8
                } else {
                    0
                }
            });
            for v in [Variant::General, Variant::Dense] {
                let t = job_cycles(&p(), v, c.view());
                let b = job_cycles_bound(&p(), v, c.view());
                assert!(
                    t <= b,
                    "{v:?} n={n} rows={rows} density={density}: {t} > bound {b}"
                );
                // Lower bounds: one token issues and one beat enters per cycle at most.
                let pp = p();
                let tokens: usize = c
                    .rows()
                    .into_iter()
                    .map(|r| row_tokens(&pp, v, &r.to_vec()))
                    .sum();
                let beats = rows * pp.words_per_row(n);
                assert!(
                    t > tokens.max(beats),
                    "{v:?}: {t} <= max({tokens}, {beats})"
                );
            }
        }
    }

    #[test]
    fn near_ideal_on_long_rows() {
        // 64 rows of n = 512 with uniform random codes: within 1% of sum max(nnz, n/16) (rows
        // overlap through the FIFO, so a job can even beat that sum).
        let pp = CoreParams::default();
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        };
        for density in [1u64, 3, 6, 10, 30, 100] {
            let c = Array2::from_shape_fn((64, 512), |_| {
                if rnd() % 100 < density {
                    1 + (rnd() % 7) as u8
                } else {
                    0
                }
            });
            let ideal: usize = c
                .rows()
                .into_iter()
                .map(|r| pp.ideal_row_cycles(r.iter().filter(|&&x| x != 0).count(), 512))
                .sum();
            let t = job_cycles(&pp, Variant::General, c.view());
            let ratio = t as f64 / ideal as f64;
            eprintln!("density {density}%: {t} cycles, ideal {ideal}, ratio {ratio:.4}");
            assert!(ratio < 1.01, "density {density}%: ratio {ratio}");
        }
    }

    #[test]
    fn head_cycles_follow_the_phases() {
        // Without core stalls a head is load + (rows + 2) phases + a short drain.
        let pp = CoreParams::default();
        for (n, rows) in [(16usize, 1usize), (37, 3), (128, 8), (512, 4)] {
            let c = Array2::from_shape_fn((rows, n), |(i, j)| ((i + j) % 3 == 0) as u8 * 2);
            let b = head_breakdown(&pp, Variant::General, c.view());
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
