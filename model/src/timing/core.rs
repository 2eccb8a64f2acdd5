//! The AttnV core's cycle behaviour (zero-skipping scanner + datapath), cycle by cycle.
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
//! Microarchitecture modelled (see `hdl/src/core/code_scanner.rs`, `hdl/src/core/attnv.rs`), for
//! K = `CoreParams::nnz_per_cycle` non-zero codes a cycle (1 or 2):
//! - a code beat is accepted when the 8-entry FIFO and the intake register in front of it hold
//!   fewer than 8 beats; an all-zero beat is dropped unless it ends the row (then it is a
//!   one-token row-end marker); the dense variant (K = 1 only) keeps every beat with all 16
//!   positions; a kept beat spends [`INTAKE_LATENCY`] cycle in the intake and enters the FIFO
//!   at the next edge;
//! - each cycle the FIFO head issues up to K tokens (its K lowest remaining non-zero
//!   positions); the entry pops with its last tokens, so a kept beat of t tokens issues for
//!   `max(1, ceil(t / K))` cycles; the row end (the last issue of a beat that ends a row) issues
//!   only if no earlier row's result is still waiting (issued and not yet handed over on
//!   `m_axis`): a one-row output credit;
//! - tokens issued in cycle t reach the accumulator in cycle t+5 (whatever K: the lanes add
//!   both products in the same stage), and a row end's result is valid on `m_axis` in cycle
//!   t+6 ([`ISSUE_TO_OUTPUT`]); so row ends issue at least [`MIN_ROW_PERIOD`] = 7 cycles apart.

use crate::{CoreParams, Variant};
use ndarray::ArrayView2;
use std::collections::VecDeque;

/// Depth of the scanner's non-zero beat FIFO.
pub const FIFO_DEPTH: usize = 8;
/// Cycles a kept beat spends in the scanner's intake register before it enters the FIFO.
pub const INTAKE_LATENCY: usize = 1;
/// Cycles from a row-end token's issue to its output beat's handshake (when ready is high).
pub const ISSUE_TO_OUTPUT: usize = 6;
/// Smallest distance in cycles between two row-end issues (one-row output credit).
pub const MIN_ROW_PERIOD: usize = ISSUE_TO_OUTPUT + 1;
/// Cycles of a one-beat, one-token job: accept (cycle 0), intake (1), issue (2), output (8).
pub const MIN_JOB_CYCLES: usize = 1 + INTAKE_LATENCY + ISSUE_TO_OUTPUT + 1;

/// One code beat as the scanner sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Beat {
    /// Tokens the beat issues if kept: its non-zero codes (all W positions in the dense variant).
    pub tokens: usize,
    /// The beat ends a query row.
    pub last: bool,
}

/// The beats of code rows `[rows, n]` (n >= 1) for `params` and `variant` (the dense variant
/// issues one code a cycle: `params.nnz_per_cycle` must be 1).
pub fn beats_of(params: &CoreParams, variant: Variant, codes: ArrayView2<u8>) -> Vec<Beat> {
    let n = codes.ncols();
    assert!(n >= 1, "timing: rows must have n >= 1 positions");
    assert!(
        variant != Variant::Dense || params.nnz_per_cycle == 1,
        "timing: the dense baseline issues one code a cycle (K = 1), got K = {}",
        params.nnz_per_cycle
    );
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
/// (see the module doc; [`job_cycles_of_beats`] and [`super::head::head_cycles`] drive it).
#[derive(Clone, Debug)]
pub struct CoreTiming {
    /// Tokens issued a cycle at most, K.
    k: usize,
    /// FIFO entries: (tokens left, ends the row).
    fifo: VecDeque<(usize, bool)>,
    /// The kept beat in the intake register, if any: (tokens, ends the row).
    intake: Option<(usize, bool)>,
    /// Pipeline stages T1..T5 (ISSUE_TO_OUTPUT - 1 of them): (valid, row end).
    stages: [(bool, bool); ISSUE_TO_OUTPUT - 1],
    out_valid: bool,
    busy: bool,
}

impl CoreTiming {
    /// An idle core built for `params` (K = `params.nnz_per_cycle`, 1 or 2).
    pub fn new(params: &CoreParams) -> Self {
        let k = params.nnz_per_cycle;
        assert!(
            crate::params::NNZ_PER_CYCLE.contains(&k),
            "timing: K (non-zeros per cycle) must be 1 or 2, got {k}"
        );
        Self {
            k,
            fifo: VecDeque::with_capacity(FIFO_DEPTH),
            intake: None,
            stages: Default::default(),
            out_valid: false,
            busy: false,
        }
    }

    /// One cycle: `offer` is the code beat presented on `s_axis_c` (if any), `m_ready` the
    /// level of `m_axis_tready`. Returns (the beat was accepted, an output beat was handed over),
    /// both at the cycle's closing clock edge.
    pub fn cycle(&mut self, offer: Option<Beat>, m_ready: bool) -> (bool, bool) {
        // Combinational decisions of the cycle.
        let accept =
            offer.is_some() && self.fifo.len() + usize::from(self.intake.is_some()) != FIFO_DEPTH;
        let push = offer.filter(|b| accept && (b.tokens > 0 || b.last));
        let (issue, pop, row_end) = match self.fifo.front() {
            Some(&(left, last)) => {
                let row_end = last && left <= self.k;
                let issue = !row_end || !self.busy;
                (issue, issue && left <= self.k, row_end)
            }
            None => (false, false, false),
        };
        let m_fire = self.out_valid && m_ready;
        // Clock edge.
        if pop {
            self.fifo.pop_front();
        } else if issue {
            self.fifo[0].0 -= self.k;
        }
        if let Some(b) = self.intake.take() {
            self.fifo.push_back(b);
        }
        self.intake = push.map(|b| (b.tokens, b.last));
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

/// Exact cycles of a job given as its beats on a core built for `params` (see the module doc
/// for the assumptions).
pub fn job_cycles_of_beats(params: &CoreParams, beats: &[Beat]) -> usize {
    let rows = beats.iter().filter(|b| b.last).count();
    assert!(
        rows > 0 && beats.last().is_some_and(|b| b.last),
        "timing: the job must end with a row end"
    );
    let mut core = CoreTiming::new(params);
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
    job_cycles_of_beats(params, &beats_of(params, variant, codes))
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

/// Cycles a row issues for on a core of K = `params.nnz_per_cycle`: each kept beat issues for
/// `max(1, ceil(t / K))` cycles (t its non-zero codes; a row's all-zero last beat is kept as a
/// one-token marker, other all-zero beats are dropped). With K = 1, [`row_tokens`].
pub fn row_issue_cycles(params: &CoreParams, variant: Variant, row: &[u8]) -> usize {
    let (w, k) = (params.codes_per_cycle, params.nnz_per_cycle);
    if variant == Variant::Dense {
        return params.words_per_row(row.len()) * w.div_ceil(k);
    }
    let words = params.words_per_row(row.len());
    (0..words)
        .map(|b| {
            let t = row[b * w..((b + 1) * w).min(row.len())]
                .iter()
                .filter(|&&c| c != 0)
                .count();
            if t == 0 {
                usize::from(b + 1 == words)
            } else {
                t.div_ceil(k)
            }
        })
        .sum()
}

/// An upper bound on a job's cycles from per-row counts alone:
/// `1 + INTAKE_LATENCY + ISSUE_TO_OUTPUT + ceil(W / K) + sum_i max(issues_i, beats_i + 1,
/// MIN_ROW_PERIOD)`, with
/// `issues_i` from [`row_issue_cycles`] (with K = 1, [`row_tokens`], at most `nnz_i + 1`) and
/// `beats_i = ceil(n_i / W)`. So with K = 1 a row costs at most `max(nnz_i, ceil(n_i/W)) + 1`
/// cycles once that is at least 5, and [`MIN_ROW_PERIOD`] otherwise, plus a one-time
/// `1 + INTAKE_LATENCY + ISSUE_TO_OUTPUT + ceil(W / K)` (pipeline fill and drain; the last beat's
/// up to W tokens
/// cannot issue before it arrives). Checked against [`job_cycles`] by randomized tests (uniform
/// and clustered codes, K = 1 and 2), not proved.
pub fn job_cycles_bound(params: &CoreParams, variant: Variant, codes: ArrayView2<u8>) -> usize {
    let per_row: usize = codes
        .rows()
        .into_iter()
        .map(|r| {
            let r = r.to_vec();
            row_issue_cycles(params, variant, &r)
                .max(params.words_per_row(r.len()) + 1)
                .max(MIN_ROW_PERIOD)
        })
        .sum();
    1 + INTAKE_LATENCY
        + ISSUE_TO_OUTPUT
        + params.codes_per_cycle.div_ceil(params.nnz_per_cycle)
        + per_row
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn p() -> CoreParams {
        CoreParams::new(4, 64, 16, 3).unwrap()
    }

    fn p2() -> CoreParams {
        p().with_nnz_per_cycle(2).unwrap()
    }

    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    #[test]
    fn one_token_job() {
        let mut c = Array2::<u8>::zeros((1, 16));
        c[[0, 3]] = 5;
        let z = Array2::<u8>::zeros((1, 40));
        for pp in [p(), p2()] {
            assert_eq!(job_cycles(&pp, Variant::General, c.view()), MIN_JOB_CYCLES);
            // An all-zero row still issues its marker.
            assert_eq!(
                job_cycles(&pp, Variant::General, z.view()),
                1 + 3 + INTAKE_LATENCY + ISSUE_TO_OUTPUT
            );
        }
    }

    #[test]
    fn two_codes_a_cycle_halve_a_full_beat() {
        // One row of one full beat: 16 issues at K = 1, 8 at K = 2; 17 non-zeros over two
        // beats: 16 + 1 and 8 + 1.
        let f = Array2::<u8>::from_elem((1, 16), 3);
        assert_eq!(
            job_cycles(&p(), Variant::General, f.view()),
            16 + INTAKE_LATENCY + ISSUE_TO_OUTPUT + 1
        );
        assert_eq!(
            job_cycles(&p2(), Variant::General, f.view()),
            8 + INTAKE_LATENCY + ISSUE_TO_OUTPUT + 1
        );
        let mut g = Array2::<u8>::zeros((1, 32));
        g.row_mut(0).iter_mut().take(17).for_each(|c| *c = 1);
        assert_eq!(
            row_issue_cycles(&p(), Variant::General, &g.row(0).to_vec()),
            17
        );
        assert_eq!(
            row_issue_cycles(&p2(), Variant::General, &g.row(0).to_vec()),
            9
        );
        assert_eq!(
            job_cycles(&p2(), Variant::General, g.view()),
            9 + INTAKE_LATENCY + ISSUE_TO_OUTPUT + 1
        );
        // An odd beat wastes half an issue: 3 non-zeros in each of two beats take 2 + 2.
        let mut h = Array2::<u8>::zeros((1, 32));
        for j in [0, 1, 2, 16, 17, 18] {
            h[[0, j]] = 2;
        }
        assert_eq!(
            row_issue_cycles(&p2(), Variant::General, &h.row(0).to_vec()),
            4
        );
        assert_eq!(
            job_cycles(&p2(), Variant::General, h.view()),
            4 + INTAKE_LATENCY + ISSUE_TO_OUTPUT + 1
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
        let pk = pp.with_nnz_per_cycle(2).unwrap();
        assert_eq!(job_cycles(&pk, Variant::General, c.view()), t);
        // Dense: 512 tokens per row.
        let td = job_cycles(&pp, Variant::Dense, c.view());
        assert_eq!(td, 1 + 8 * 512 + INTAKE_LATENCY + ISSUE_TO_OUTPUT);
        // Full density: token-bound, K a cycle.
        let f = Array2::<u8>::from_elem((4, 512), 3);
        assert_eq!(
            job_cycles(&pp, Variant::General, f.view()),
            1 + 4 * 512 + INTAKE_LATENCY + ISSUE_TO_OUTPUT
        );
        assert_eq!(
            job_cycles(&pk, Variant::General, f.view()),
            1 + 4 * 256 + INTAKE_LATENCY + ISSUE_TO_OUTPUT
        );
    }

    #[test]
    #[should_panic(
        expected = "timing: the dense baseline issues one code a cycle (K = 1), got K = 2"
    )]
    fn the_dense_baseline_is_one_code_a_cycle() {
        let c = Array2::<u8>::zeros((1, 16));
        let _ = job_cycles(&p2(), Variant::Dense, c.view());
    }

    #[test]
    #[should_panic(expected = "timing: K (non-zeros per cycle) must be 1 or 2, got 3")]
    fn a_core_issues_one_or_two_codes_a_cycle() {
        let mut pp = p();
        pp.nnz_per_cycle = 3;
        let _ = CoreTiming::new(&pp);
    }

    #[test]
    fn bound_holds_on_random_jobs() {
        let mut rnd = rng(0x1234_5678_9abc_def0);
        for _ in 0..3000 {
            let n = 1 + (rnd() % 200) as usize;
            let rows = 1 + (rnd() % 6) as usize;
            let density = rnd() % 101;
            // Uniform, or clustered (runs of non-zeros).
            let clustered = rnd() % 2 == 0;
            let c = Array2::from_shape_fn((rows, n), |(_, j)| {
                let on = if clustered {
                    (j / 8) as u64 % 100 < density
                } else {
                    rnd() % 100 < density
                };
                if on {
                    1 + (rnd() % 7) as u8
                } else {
                    0
                }
            });
            for (pp, v) in [
                (p(), Variant::General),
                (p(), Variant::Dense),
                (p2(), Variant::General),
            ] {
                let k = pp.nnz_per_cycle;
                let t = job_cycles(&pp, v, c.view());
                let b = job_cycles_bound(&pp, v, c.view());
                assert!(
                    t <= b,
                    "{v:?} K={k} n={n} rows={rows} density={density}: {t} > bound {b}"
                );
                // Lower bounds: one beat's issues and one beat enter per cycle at most.
                let issues: usize = c
                    .rows()
                    .into_iter()
                    .map(|r| row_issue_cycles(&pp, v, &r.to_vec()))
                    .sum();
                let beats = rows * pp.words_per_row(n);
                assert!(
                    t > issues.max(beats),
                    "{v:?} K={k}: {t} <= max({issues}, {beats})"
                );
                if k == 1 {
                    let tokens: usize = c
                        .rows()
                        .into_iter()
                        .map(|r| row_tokens(&pp, v, &r.to_vec()))
                        .sum();
                    assert_eq!(tokens, issues);
                } else {
                    // Never slower than one code a cycle.
                    assert!(t <= job_cycles(&p(), v, c.view()));
                }
            }
        }
    }

    #[test]
    fn near_ideal_on_long_rows() {
        // 64 rows of n = 512 with uniform random codes: within 1% of sum max(nnz, n/16) at
        // K = 1 (rows overlap through the FIFO, so a job can even beat that sum); at K = 2
        // within 15% of sum max(ceil(nnz/2), n/16) (a beat with an odd count wastes half a
        // cycle).
        let mut rnd = rng(0x9e37_79b9_7f4a_7c15);
        for k in [1, 2] {
            let pp = CoreParams::default().with_nnz_per_cycle(k).unwrap();
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
                eprintln!(
                    "K = {k}, density {density}%: {t} cycles, ideal {ideal}, ratio {ratio:.4}"
                );
                let limit = if k == 1 { 1.01 } else { 1.15 };
                assert!(ratio < limit, "K = {k}, density {density}%: ratio {ratio}");
            }
        }
    }
}
