//! The whole head's cycle behaviour: the front end (`hdl/src/front_end/`), the head's
//! sequencing (`hdl/src/attn_head.rs`) and the core ([`super::core`]), cycle by cycle.
//!
//! The front end scores P keys a cycle (P = [`crate::frontend::FrontEndParams::keys_per_cycle`],
//! 1, 2, 4 or 8) in three elastic row stages that each take a row as soon as they are free:
//!
//! - **S1** (scores) takes the held query row when a row slot ([`X_BANKS`]) is free and issues
//!   its `ceil(n/P)` key groups, one a cycle; a group's x values are written
//!   [`s1_latency`] edges later, and the row's maximum is known [`tree_latency`] edges after
//!   its last group's x;
//! - **S2** (sum) takes a row whose maximum is known and issues its `ceil(n/P)` groups of x from
//!   the row's bank, one a cycle: [`BANK_READ_LATENCY`], [`EXP_LATENCY`], the adder tree and
//!   the running sum ([`tree_latency`]) and [`LOG_LATENCY`] later the row's L is known;
//! - **S3** (codes) takes a row whose L is known and issues `ceil(n/16) 16/P` groups, a 16-code
//!   beat every 16/P groups, a beat's first group only while queued plus in-flight beats are
//!   below [`BEAT_QUEUE_DEPTH`]; a beat reaches the queue [`BANK_READ_LATENCY`] +
//!   [`CODE_LATENCY`] edges after its last group, and leaves it into the core ([`CoreTiming`]).
//!
//! A stage hands its next row on in the cycle of its current row's last group, so in steady
//! state a row costs the slowest stage's issue cycles (`ceil(n/P)` for S1 and S2,
//! `16/P ceil(n/16)` for S3) or the core's, with no per-row fill or drain; the row slots bound
//! the rows in flight (see [`X_BANKS`]).

use super::core::{beats_of, row_issue_cycles, Beat, CoreTiming};
use crate::{CoreParams, Variant};
use ndarray::ArrayView2;
use std::collections::VecDeque;

/// Edges through `ScaleShift` (score times multipliers, round, shift, saturate).
pub const SCALE_LATENCY: usize = 11;
/// Edges from a key bank's read address to its data (the block RAM's output register).
pub const KEY_READ_LATENCY: usize = 1;
/// Edges from an x bank's read address to its registered data (the block RAM, then a
/// register).
pub const BANK_READ_LATENCY: usize = 2;
/// Edges through `Exp2Neg`.
pub const EXP_LATENCY: usize = 3;
/// Edges through `Log2Sum`.
pub const LOG_LATENCY: usize = 3;
/// Edges through `CodeOf`.
pub const CODE_LATENCY: usize = 2;
/// Depth of the front end's output queue of code beats. A beat holds its credit from its
/// first group's issue to its handshake with the core, about 6 cycles, so at P = 8 (a beat
/// every 2 cycles) about 3 credits are in use; a deeper queue gains nothing on MiniLM heads or
/// on sparse rows that leave the core idle (this model, depth 8 against 4).
pub const BEAT_QUEUE_DEPTH: usize = 4;
/// Rows the front end holds at once (its x banks): a row takes a bank when S1 takes it and
/// frees it when S3 has read its last group. A row lives about `3 ceil(n/P)` cycles plus the
/// pipelines' fill (about 34 cycles at D = 64, P = 8), so 8 banks keep S1 busy down to
/// `ceil(n/P)` of about 7; with 4, S1 would wait for a bank whenever `ceil(n/P)` is below the
/// fill (n = 128 at P = 8: 20.5 cycles a row instead of 16).
pub const X_BANKS: usize = 8;
/// Weight beats a head takes (one per code, k = 3): its Q rows wait for all of them.
pub const WEIGHT_BEATS: usize = 8;

/// Edges through the score unit `DotProduct` for head dimension `d` (a power of two): three for
/// the input registers, two for the products (the multiplier's and the fabric's), one per two
/// adder-tree levels: `5 + ceil(log2(d) / 2)`.
pub fn score_latency(d: usize) -> usize {
    assert!(
        d.is_power_of_two(),
        "timing: D must be a power of two, got {d}"
    );
    5 + (d.trailing_zeros() as usize).div_ceil(2)
}

/// Edges from a key group's issue (the key banks' read address) to its x values:
/// [`KEY_READ_LATENCY`] + [`score_latency`] + [`SCALE_LATENCY`] (20 at D = 64).
pub fn s1_latency(d: usize) -> usize {
    KEY_READ_LATENCY + score_latency(d) + SCALE_LATENCY
}

/// Edges through a tree over P lanes and the row's running register (the maximum in S1, the
/// exp2 sum in S2): one register per level, `log2 P`, and the running register.
pub fn tree_latency(p: usize) -> usize {
    assert!(
        crate::frontend::KEYS_PER_CYCLE.contains(&p),
        "timing: P must be one of {:?}, got {p}",
        crate::frontend::KEYS_PER_CYCLE
    );
    p.trailing_zeros() as usize + 1
}

/// Cycles before a head's first Q row can be accepted when K (n rows), V (n rows) and the
/// [`WEIGHT_BEATS`] weights are offered at once from cycle 0: `max(n, 8)`.
pub fn load_cycles(n: usize) -> usize {
    n.max(WEIGHT_BEATS)
}

/// A delay line of events (a pipeline's valid bits and tags).
struct Line<T: Copy>(VecDeque<Option<T>>);

impl<T: Copy> Line<T> {
    fn new(latency: usize) -> Self {
        assert!(latency >= 1, "timing: a line has latency >= 1");
        Self(std::iter::repeat_n(None, latency).collect())
    }
    /// What leaves the line in this cycle: what entered `latency` edges ago.
    fn out(&self) -> Option<T> {
        *self.0.back().expect("latency >= 1")
    }
    fn edge(&mut self, v: Option<T>) {
        self.0.pop_back();
        self.0.push_front(v);
    }
}

/// One row stage's issue side: running, next group, last group.
#[derive(Clone, Copy, Default)]
struct Stage {
    run: bool,
    g: usize,
    last: usize,
}

impl Stage {
    /// Edge: take a row (`take`, with `groups` groups), or advance by one issued group.
    fn edge(&mut self, take: bool, issue: bool, groups: usize) {
        if take {
            *self = Stage {
                run: true,
                g: 0,
                last: groups - 1,
            };
        } else if issue && self.g == self.last {
            self.run = false;
        } else if issue {
            self.g += 1;
        }
    }
}

/// Where a head's cycles go, from the same model ([`head_breakdown`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeadBreakdown {
    /// Cycles before the first Q row is accepted (K, V and the weights load at once:
    /// [`load_cycles`]).
    pub load: usize,
    /// Cycles S1 issued key groups (`rows ceil(n/P)`).
    pub s1: usize,
    /// Cycles S2 issued x groups (`rows ceil(n/P)`).
    pub s2: usize,
    /// Cycles S3 issued code groups (`rows 16/P ceil(n/16)`).
    pub s3: usize,
    /// Cycles S3 had a row but waited for queue credits (the core was slower).
    pub s3_credit_stall: usize,
    /// Cycles the core issued tokens, up to K a cycle ([`row_issue_cycles`] summed over the
    /// rows; with K = 1 its tokens).
    pub core: usize,
    /// All cycles ([`head_cycles`]).
    pub total: usize,
}

impl HeadBreakdown {
    /// The busiest unit and its cycles: `"S1"`, `"S2"`, `"S3"` or `"core"`.
    pub fn bound(&self) -> (&'static str, usize) {
        [
            ("S1", self.s1),
            ("S2", self.s2),
            ("S3", self.s3),
            ("core", self.core),
        ]
        .into_iter()
        .fold(("S1", 0), |a, b| if b.1 > a.1 { b } else { a })
    }

    /// Cycles beyond the load and the busiest unit: pipeline fill and drain, and the stalls
    /// where the stages' and the core's paces differ row by row.
    pub fn overhead(&self) -> usize {
        self.total - self.load - self.bound().1
    }
}

/// Exact cycles of one head on `hdl::attn_head::AttnHead` built with P = `keys_per_cycle`:
/// `codes [rows, n]` are the head's codes (masked keys 0), which set the core's share of the
/// time.
///
/// Assumptions: the head starts idle; from cycle 0 on, its 8 weights, K rows, V rows and Q
/// rows are all offered with no gaps (each beat right after the previous one is accepted) and
/// `m_axis_tready` is high. Counted from cycle 0 to the last output handshake, inclusive.
///
/// What it mirrors, cycle by cycle: K, V and the weights load at once; the first Q row is
/// accepted into the hold register in cycle [`load_cycles`] and each next one the cycle after
/// the hold empties; the row stages as in the module doc; beats leave the queue into
/// [`CoreTiming`].
pub fn head_cycles(
    params: &CoreParams,
    keys_per_cycle: usize,
    variant: Variant,
    codes: ArrayView2<u8>,
) -> usize {
    run(params, keys_per_cycle, variant, codes).total
}

/// The cycle-by-cycle run behind [`head_cycles`] and [`head_breakdown`].
fn run(
    params: &CoreParams,
    keys_per_cycle: usize,
    variant: Variant,
    codes: ArrayView2<u8>,
) -> HeadBreakdown {
    let p = keys_per_cycle;
    let lt = tree_latency(p);
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
    let w = params.codes_per_cycle;
    let beats = beats_of(params, variant, codes);
    let g12 = n.div_ceil(p);
    let per_beat = w / p;
    let g3 = params.words_per_row(n) * per_beat;
    let load = load_cycles(n);
    let mut core = CoreTiming::new(params);
    let mut queue: VecDeque<Beat> = VecDeque::with_capacity(BEAT_QUEUE_DEPTH);
    let (mut next_beat, mut inflight, mut outputs) = (0usize, 0usize, 0usize);
    let (mut q_left, mut hold) = (rows, false);
    // Rows taken and finished by each stage.
    let (mut c1s, mut c1, mut c2s, mut c2, mut c3s, mut c3) = (0, 0, 0, 0, 0, 0);
    let (mut s1, mut s2, mut s3) = (Stage::default(), Stage::default(), Stage::default());
    // A row's last group, on its way to the row's maximum, L, or a beat (end, row end).
    let mut line1 = Line::<()>::new(s1_latency(params.d) + lt);
    let mut line2 = Line::<()>::new(BANK_READ_LATENCY + EXP_LATENCY + lt + LOG_LATENCY);
    let mut line3 = Line::<bool>::new(BANK_READ_LATENCY + CODE_LATENCY);
    let mut b = HeadBreakdown {
        load,
        s1: 0,
        s2: 0,
        s3: 0,
        s3_credit_stall: 0,
        core: codes
            .rows()
            .into_iter()
            .map(|r| row_issue_cycles(params, variant, &r.to_vec()))
            .sum(),
        total: 0,
    };
    for t in 0.. {
        // Combinational decisions of cycle t.
        let q_fire = q_left > 0 && t >= load && !hold;
        let s1_issue = s1.run;
        let s1_take = hold && c1s - c3 < X_BANKS && (!s1.run || s1.g == s1.last);
        let s2_issue = s2.run;
        let s2_take = c1 > c2s && (!s2.run || s2.g == s2.last);
        let beat_start = s3.g % per_beat == 0;
        let s3_issue = s3.run && (!beat_start || queue.len() + inflight < BEAT_QUEUE_DEPTH);
        let s3_last = s3_issue && s3.g == s3.last;
        let s3_take = c2 > c3s && (!s3.run || s3_last);
        let push = line3.out();
        let (accepted, fired) = core.cycle(queue.front().copied(), true);
        if fired {
            outputs += 1;
            if outputs == rows {
                b.total = t + 1;
                return b;
            }
        }
        b.s1 += usize::from(s1_issue);
        b.s2 += usize::from(s2_issue);
        b.s3 += usize::from(s3_issue);
        b.s3_credit_stall += usize::from(s3.run && !s3_issue);
        // Clock edge.
        if accepted {
            queue.pop_front();
        }
        if push.is_some() {
            queue.push_back(beats[next_beat]);
            next_beat += 1;
        }
        inflight = inflight + usize::from(s3_issue && beat_start) - usize::from(push.is_some());
        c1 += usize::from(line1.out().is_some());
        c2 += usize::from(line2.out().is_some());
        c3 += usize::from(s3_last);
        line1.edge((s1_issue && s1.g == s1.last).then_some(()));
        line2.edge((s2_issue && s2.g == s2.last).then_some(()));
        let beat_end = s3.g % per_beat == per_beat - 1;
        line3.edge((s3_issue && beat_end).then_some(s3_last));
        s1.edge(s1_take, s1_issue, g12);
        s2.edge(s2_take, s2_issue, g12);
        s3.edge(s3_take, s3_issue, g3);
        c1s += usize::from(s1_take);
        c2s += usize::from(s2_take);
        c3s += usize::from(s3_take);
        if s1_take {
            hold = false;
        }
        if q_fire {
            hold = true;
            q_left -= 1;
        }
    }
    unreachable!()
}

/// Exact cycles of one head's compute on a board whose weights, K and V are already loaded
/// (the link framer streams them in while the frame arrives): from the first Q row offered (and
/// accepted at once) to the last output handshake, inclusive, with the Q rows offered back to
/// back and `m_axis_tready` high: [`head_cycles`] less its [`load_cycles`].
pub fn head_compute_cycles(
    params: &CoreParams,
    keys_per_cycle: usize,
    variant: Variant,
    codes: ArrayView2<u8>,
) -> usize {
    head_cycles(params, keys_per_cycle, variant, codes) - load_cycles(codes.ncols())
}

/// [`head_cycles`] with where the cycles go: the load, each stage's issue cycles, the core's
/// tokens and the total.
pub fn head_breakdown(
    params: &CoreParams,
    keys_per_cycle: usize,
    variant: Variant,
    codes: ArrayView2<u8>,
) -> HeadBreakdown {
    run(params, keys_per_cycle, variant, codes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    fn rnd(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed;
        move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s
        }
    }

    #[test]
    fn latencies() {
        assert_eq!(score_latency(64), 8);
        assert_eq!(score_latency(32), 8);
        assert_eq!(score_latency(4), 6);
        assert_eq!(s1_latency(64), 20);
        assert_eq!([1usize, 2, 4, 8].map(tree_latency), [1, 2, 3, 4]);
        assert_eq!(load_cycles(3), 8);
        assert_eq!(load_cycles(128), 128);
    }

    #[test]
    fn rows_cost_the_slowest_stage_with_no_per_row_overhead() {
        // Sparse enough that the core never binds: a row costs ceil(n/P) (S1, S2) or
        // 16/P ceil(n/16) (S3), whichever is larger, plus a one-time fill (the first row
        // through S1 and S2) and drain.
        let pp = CoreParams::default();
        for p in [1usize, 2, 4, 8] {
            for (n, rows) in [(128usize, 64usize), (100, 40), (512, 8), (37, 30)] {
                let c = Array2::from_shape_fn((rows, n), |(i, j)| u8::from((i + j) % 29 == 0));
                let b = head_breakdown(&pp, p, Variant::General, c.view());
                let per_row = n
                    .div_ceil(p)
                    .max(16 / p * n.div_ceil(16))
                    .max(crate::timing::MIN_ROW_PERIOD);
                let fill = b.total - b.load - rows * per_row;
                let g = n.div_ceil(p);
                assert!(
                    (2 * g + 20..=2 * g + 60).contains(&fill),
                    "P={p} n={n}: {} cycles, {per_row} a row, fill and drain {fill}",
                    b.total
                );
                assert_eq!(b.s1, rows * n.div_ceil(p));
                assert_eq!(b.s3, rows * 16 / p * n.div_ceil(16));
            }
        }
    }

    #[test]
    fn the_core_binds_dense_rows() {
        // Every code non-zero: the core issues n tokens a row, one a cycle, whatever P.
        let pp = CoreParams::default();
        let c = Array2::from_elem((32, 128), 3u8);
        for p in [2usize, 4, 8] {
            let b = head_breakdown(&pp, p, Variant::General, c.view());
            assert_eq!(b.bound(), ("core", 32 * 128));
            assert!(b.overhead() < 2 * 128 / p + 60, "P={p}: {b:?}");
        }
    }

    #[test]
    fn more_keys_a_cycle_never_costs_cycles() {
        let pp = CoreParams::new(4, 64, 16, 3).unwrap();
        let mut r = rnd(0x5eed);
        for _ in 0..300 {
            let n = 1 + (r() % 64) as usize;
            let rows = 1 + (r() % 9) as usize;
            let density = r() % 101;
            let c = Array2::from_shape_fn((rows, n), |_| {
                if r() % 100 < density {
                    1 + (r() % 7) as u8
                } else {
                    0
                }
            });
            let t: Vec<usize> = [1, 2, 4, 8]
                .iter()
                .map(|&p| head_cycles(&pp, p, Variant::General, c.view()))
                .collect();
            assert!(
                t.windows(2).all(|w| w[1] <= w[0]),
                "n={n} rows={rows} density={density}: {t:?}"
            );
            assert_eq!(
                head_compute_cycles(&pp, 2, Variant::General, c.view()),
                t[1] - load_cycles(n)
            );
        }
    }
}
