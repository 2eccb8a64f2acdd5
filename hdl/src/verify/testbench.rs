//! Test helpers: clocking rust-hdl's native simulator by hand, and driving a whole AttnV job.
//! Built for tests, and with the `native-bench` feature for `sim speed`.

use crate::core::attnv::AttnV;
use model::{CoreParams, Variant};
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_hdl::prelude::*;

/// Settles the circuit (inputs set by the caller) with the clock low.
pub fn settle<B: Block>(uut: &mut B) {
    assert!(simulate(uut, 200), "circuit did not settle");
}

/// One rising clock edge: call after `settle` and after sampling the handshakes of the cycle.
pub fn rise<B: Block>(uut: &mut B, clock: fn(&mut B) -> &mut Signal<In, Clock>) {
    clock(uut).next = Clock { clk: true };
    assert!(simulate(uut, 200), "circuit did not settle after the edge");
    clock(uut).next = Clock { clk: false };
}

/// Two's complement value of the `bits`-bit field at `lo` of `x`.
pub fn signed_field<const N: usize>(x: Bits<N>, lo: usize, bits: usize) -> i64 {
    let mut v: u64 = 0;
    for b in 0..bits {
        if x.get_bit(lo + b) {
            v |= 1 << b;
        }
    }
    if bits < 64 && (v >> (bits - 1)) & 1 == 1 {
        (v | (u64::MAX << bits)) as i64
    } else {
        v as i64
    }
}

/// A bus of `N` bits with `fields[i]` (each `width` bits) at `i * width`.
pub fn pack<const N: usize>(fields: &[u64], width: usize) -> Bits<N> {
    let mut b = Bits::<N>::default();
    for (i, &f) in fields.iter().enumerate() {
        for k in 0..width {
            if (f >> k) & 1 == 1 {
                b = b | (bit_cast::<N, 1>(true.into()) << ((i * width + k) as u64));
            }
        }
    }
    b
}

/// One head's job for the core.
#[derive(Clone, Debug)]
pub struct Job {
    /// Weights of codes 0..8 (`w[0]` is sent too and must be ignored): the weights the job
    /// computes with.
    pub w: Vec<u32>,
    /// The codes whose weights are sent, in order (all eight, 7 down to 0, from
    /// [`Job::random`]); the others must keep the previous job's (which `w` must then hold).
    pub w_sent: Vec<usize>,
    /// Vq `[n, d]`.
    pub vq: Array2<i8>,
    /// Codes `[rows, n]`.
    pub codes: Array2<u8>,
}

impl Job {
    /// A random job: weights < 2^16 (octave: 2^(c-1)), Vq in [-127, 127] (extremes likely),
    /// codes with the given percentage of non-zeros.
    pub fn random(
        rng: &mut StdRng,
        variant: Variant,
        d: usize,
        n: usize,
        rows: usize,
        density: u32,
    ) -> Self {
        let w: Vec<u32> = (0..8)
            .map(|c| match (variant, c) {
                (_, 0) => rng.gen_range(0..65536), // must be ignored
                (Variant::Octave, c) => 1 << (c - 1),
                _ => {
                    if rng.gen_bool(0.2) {
                        65535
                    } else {
                        rng.gen_range(0..65536)
                    }
                }
            })
            .collect();
        let vq = Array2::from_shape_fn((n, d), |_| match rng.gen_range(0..10) {
            0 => 127,
            1 => -127,
            _ => rng.gen_range(-127..=127),
        });
        let codes = Array2::from_shape_fn((rows, n), |_| {
            if rng.gen_range(0..100) < density {
                rng.gen_range(1..8)
            } else {
                0
            }
        });
        Self {
            w,
            w_sent: (0..8).rev().collect(),
            vq,
            codes,
        }
    }

    /// The exact result: `model::accumulate` with `w[0] = 0`.
    pub fn expected(&self) -> (Array2<i64>, Vec<u64>) {
        let mut w = self.w.clone();
        w[0] = 0;
        let r = model::accumulate(self.codes.view(), self.vq.view(), &w);
        (r.acc, r.rsum.to_vec())
    }
}

/// How the environment behaves.
#[derive(Clone, Copy, Debug)]
pub struct Env {
    /// Percent of cycles an input stream with data left withholds `tvalid` (when not already
    /// presenting a beat).
    pub idle_pct: u32,
    /// Percent of cycles `m_axis_tready` is low.
    pub stall_pct: u32,
    pub seed: u64,
}

impl Env {
    pub const NO_STALL: Env = Env {
        idle_pct: 0,
        stall_pct: 0,
        seed: 0,
    };
}

/// Result of running jobs through the core.
pub struct Run {
    /// Per job: acc rows `[rows, d]` and row sums.
    pub results: Vec<(Array2<i64>, Vec<u64>)>,
    /// Per job: cycles from the first cycle its first code beat was presented to its last output
    /// handshake, inclusive.
    pub code_cycles: Vec<usize>,
    /// Clock cycles simulated after the reset cycle, all jobs included.
    pub total_cycles: usize,
}

/// The full-size core D = 64, N_MAX = 512 in rust-hdl's native simulator.
pub type AttnV64x512 = AttnV<512, { 64 * 33 }, 9, 33, 25>;

/// An [`AttnV64x512`] for `params` (which must be D = 64, N_MAX = 512, W = 16, k = 3) and
/// `variant`, connected and ready for [`run_attnv`].
pub fn attnv_64x512(params: &CoreParams, variant: Variant) -> AttnV64x512 {
    let mut uut = AttnV64x512::new(params, variant);
    uut.connect_all();
    uut
}

/// Runs `jobs` back to back through `uut`: for each job, weights and V are offered (together;
/// V's last row once the weights are in), then its code rows; the next job's weights and V are offered as soon as the previous job's
/// last code beat is accepted (the core must hold them off until its rows have drained, or
/// with two V banks until the bank they go to is free).
pub fn run_attnv<
    const VW: usize,
    const OW: usize,
    const A: usize,
    const ACC: usize,
    const RS: usize,
>(
    uut: &mut AttnV<VW, OW, A, ACC, RS>,
    params: &CoreParams,
    jobs: &[Job],
    env: Env,
) -> Run {
    run_attnv_probed(uut, params, jobs, env, |_| {})
}

/// [`run_attnv`], calling `probe` with the core once a cycle, after the cycle's inputs have
/// settled and before its clock edge.
pub fn run_attnv_probed<
    const VW: usize,
    const OW: usize,
    const A: usize,
    const ACC: usize,
    const RS: usize,
>(
    uut: &mut AttnV<VW, OW, A, ACC, RS>,
    params: &CoreParams,
    jobs: &[Job],
    env: Env,
    mut probe: impl FnMut(&AttnV<VW, OW, A, ACC, RS>),
) -> Run {
    let d = params.d;
    assert!(
        jobs.iter().all(|j| !j.w_sent.is_empty()),
        "run_attnv: every job sends at least one weight"
    );
    let mut rng = StdRng::seed_from_u64(env.seed);
    let w_beats: Vec<Vec<(u64, u64)>> = jobs
        .iter()
        .map(|j| {
            j.w_sent
                .iter()
                .map(|&c| (j.w[c] as u64, c as u64))
                .collect()
        })
        .collect();
    let code_beats: Vec<Vec<(Bits<48>, bool)>> = jobs
        .iter()
        .map(|j| {
            let n = j.codes.ncols();
            let words = params.words_per_row(n);
            let mut v = vec![];
            for row in j.codes.rows() {
                for b in 0..words {
                    let f: Vec<u64> = (0..16)
                        .map(|m| b * 16 + m)
                        .map(|p| if p < n { row[p] as u64 } else { 0 })
                        .collect();
                    v.push((pack::<48>(&f, 3), b + 1 == words));
                }
            }
            v
        })
        .collect();
    let v_beats: Vec<Vec<Bits<VW>>> = jobs
        .iter()
        .map(|j| {
            j.vq.rows()
                .into_iter()
                .map(|r| pack::<VW>(&r.iter().map(|&x| x as u8 as u64).collect::<Vec<_>>(), 8))
                .collect()
        })
        .collect();
    let mut results: Vec<(Array2<i64>, Vec<u64>)> = jobs
        .iter()
        .map(|j| {
            (
                Array2::zeros((j.codes.nrows(), d)),
                vec![0; j.codes.nrows()],
            )
        })
        .collect();
    let mut code_cycles = vec![0; jobs.len()];
    let mut code_start = vec![None; jobs.len()];
    // Stream positions: (job, index).
    let (mut wj, mut wi, mut vj, mut vi, mut cj, mut ci, mut oj, mut oi) = (0, 0, 0, 0, 0, 0, 0, 0);
    let (mut w_on, mut v_on, mut c_on) = (false, false, false);
    uut.clock.next = Clock { clk: false };
    uut.reset.next = true;
    settle(uut);
    rise(uut, |u| &mut u.clock);
    uut.reset.next = false;
    let mut cycle = 0usize;
    while oj < jobs.len() {
        assert!(cycle < 200_000, "simulation ran away");
        // Offer beats. Weights/V of job k are offered once job k-1's codes are all accepted.
        let may_load = |j: usize| j < jobs.len() && (j == 0 || cj >= j);
        let want = |on: bool, rng: &mut StdRng| {
            on || env.idle_pct == 0 || rng.gen_range(0..100) >= env.idle_pct
        };
        w_on = may_load(wj) && want(w_on, &mut rng);
        // A job's last V row (tlast) waits for its weights: with two V banks, tlast makes
        // them the ones the next code rows use.
        let v_may = vj < jobs.len() && (vi + 1 < v_beats[vj].len() || wj > vj);
        v_on = may_load(vj) && v_may && want(v_on, &mut rng);
        // Codes of job k are offered once its weights and V are fully accepted.
        c_on = cj < jobs.len() && vj > cj && wj > cj && want(c_on, &mut rng);
        uut.s_axis_w_tvalid.next = w_on;
        if w_on {
            uut.s_axis_w_tdata.next = w_beats[wj][wi].0.into();
            uut.s_axis_w_tuser.next = w_beats[wj][wi].1.into();
        }
        uut.s_axis_v_tvalid.next = v_on;
        if v_on {
            uut.s_axis_v_tdata.next = v_beats[vj][vi];
            uut.s_axis_v_tlast.next = vi + 1 == v_beats[vj].len();
        }
        uut.s_axis_c_tvalid.next = c_on;
        if c_on {
            uut.s_axis_c_tdata.next = code_beats[cj][ci].0;
            uut.s_axis_c_tlast.next = code_beats[cj][ci].1;
            if code_start[cj].is_none() {
                code_start[cj] = Some(cycle);
            }
        }
        let ready = env.stall_pct == 0 || rng.gen_range(0..100) >= env.stall_pct;
        uut.m_axis_tready.next = ready;
        settle(uut);
        probe(uut);
        // Handshakes of this cycle.
        if w_on && uut.s_axis_w_tready.val() {
            w_on = false;
            wi += 1;
            if wi == w_beats[wj].len() {
                wi = 0;
                wj += 1;
            }
        }
        if v_on && uut.s_axis_v_tready.val() {
            v_on = false;
            vi += 1;
            if vi == v_beats[vj].len() {
                vi = 0;
                vj += 1;
            }
        }
        if c_on && uut.s_axis_c_tready.val() {
            c_on = false;
            ci += 1;
            if ci == code_beats[cj].len() {
                ci = 0;
                cj += 1;
            }
        }
        if ready && uut.m_axis_tvalid.val() {
            let data = uut.m_axis_tdata.val();
            for l in 0..d {
                results[oj].0[[oi, l]] = signed_field(data, ACC * l, ACC);
            }
            results[oj].1[oi] = uut.m_axis_tuser.val().to_u64();
            oi += 1;
            if oi == jobs[oj].codes.nrows() {
                code_cycles[oj] = cycle + 1 - code_start[oj].expect("output before codes");
                oi = 0;
                oj += 1;
            }
        }
        rise(uut, |u| &mut u.clock);
        cycle += 1;
    }
    Run {
        results,
        code_cycles,
        total_cycles: cycle,
    }
}
