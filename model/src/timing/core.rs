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
/// (see the module doc; [`job_cycles_of_beats`] and [`super::head::head_cycles`] drive it).
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
}
