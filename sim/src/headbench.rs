//! `sim heads`: cycles per whole head on chip at D = 64 for P = 1, 2, 4, 8 keys a cycle and
//! K = 1, 2 non-zero codes a cycle in the core, the general (log t = 1e-3) and octave heads:
//! one random head at n = 128 and 512 (self-attention: n query rows; [`run`]), and every MiniLM fixture head (n = 128, padded to D = 64;
//! [`minilm`]), measured in Verilator, checked against `model::timing::head_cycles`, and split
//! into where the time goes (`model::timing::head_breakdown`); and the MiniLM heads' cycles
//! against the pruning threshold for every P ([`threshold_sweep`], from the model).

use crate::attnv::DriveConfig;
use crate::qkv::{run_head, HeadCores};
use anyhow::Result;
use model::frontend::front_end;
use model::timing::{head_breakdown, HeadBreakdown};
use model::{Codebook, Variant};
use ndarray::{s, Array2, ArrayView2, Axis};
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::fmt::Write;

/// The head dimension measured.
pub const D: usize = 64;

/// One head's float Q `[rows, D]`, K `[n, D]`, V `[n, D]`.
pub type Qkv = (Array2<f32>, Array2<f32>, Array2<f32>);
/// The keys per cycle measured: every P the front end is built for.
pub const PS: [usize; 4] = model::frontend::KEYS_PER_CYCLE;
/// The core's non-zeros per cycle measured: every K the core is built for.
pub const KS: [usize; 2] = model::params::NNZ_PER_CYCLE;

/// One configuration's figures, summed over its heads (JSON keys as the fields).
#[derive(Clone, Debug, Serialize)]
pub struct HeadCycles {
    /// `random` (one head, uniform Q, K, V) or `minilm` (every fixture head).
    pub set: String,
    pub d: usize,
    pub n: usize,
    /// Keys scored per cycle.
    pub p: usize,
    /// Non-zero codes the core issues per cycle.
    pub k: usize,
    /// `general` (log codes, t = 1e-3) or `octave`.
    pub variant: String,
    /// Heads run.
    pub heads: usize,
    /// Query rows per head.
    pub rows: usize,
    /// Measured cycles, all heads (each from its first weight, K and V beat to its last output).
    pub cycles: u64,
    /// `model::timing::head_cycles`, all heads.
    #[serde(rename = "model_cycles")]
    pub cycles_model: Option<u64>,
    pub bit_exact: bool,
    /// Mean cycles a head.
    pub cycles_per_head: f64,
    /// Non-zero codes, as a fraction of all.
    pub kept: f64,
    /// From the model, summed over the heads: the K/V/weight load, S1's, S2's and S3's issue
    /// cycles, the core's issue cycles (up to K tokens a cycle).
    pub load: usize,
    pub s1: usize,
    pub s2: usize,
    pub s3: usize,
    pub core: usize,
    /// The busiest unit (of S1, S2, S3, core).
    pub bound: String,
    /// Cycles beyond the load and the busiest unit: fill, drain, and rows where the paces
    /// differ.
    pub overhead: usize,
    /// Microseconds a head at 100 MHz.
    pub us_at_100mhz: f64,
}

fn codebook(v: Variant) -> Codebook {
    if v == Variant::Octave {
        Codebook::octave(3).expect("octave k = 3")
    } else {
        Codebook::log(3, 1e-3).expect("log k = 3")
    }
}

/// Runs `heads` (Q, K, V of D columns) at P = `p`, K = `k` and sums their figures.
fn measure(
    cores: &mut HeadCores,
    set: &str,
    (p, k): (usize, usize),
    variant: Variant,
    heads: &[Qkv],
) -> Result<HeadCycles> {
    let cb = codebook(variant);
    cores.set_keys_per_cycle(p)?;
    cores.set_nnz_per_cycle(k)?;
    let (core, fe) = cores.params(D)?;
    let (mut cycles, mut model_cycles, mut exact) = (0u64, Some(0u64), true);
    let (mut nz, mut all) = (0usize, 0usize);
    let mut sum = HeadBreakdown {
        load: 0,
        s1: 0,
        s2: 0,
        s3: 0,
        s3_credit_stall: 0,
        core: 0,
        total: 0,
    };
    for (i, (q, k, v)) in heads.iter().enumerate() {
        let n = k.nrows();
        let h = run_head(
            cores,
            &format!("{set} {i}"),
            &cb,
            q.view(),
            k.view(),
            v.view(),
            n,
            &DriveConfig::default(),
        )?;
        cycles += h.cycles;
        model_cycles = model_cycles.zip(h.cycles_model).map(|(a, b)| a + b);
        exact &= h.bit_exact && h.error.is_none();
        let codes = front_end(&fe, &cb, q.view(), k.view(), n)?.ints.codes;
        nz += codes.iter().filter(|&&c| c != 0).count();
        all += codes.len();
        let b = head_breakdown(&core, p, variant, codes.view());
        sum.load += b.load;
        sum.s1 += b.s1;
        sum.s2 += b.s2;
        sum.s3 += b.s3;
        sum.s3_credit_stall += b.s3_credit_stall;
        sum.core += b.core;
        sum.total += b.total;
    }
    let per_head = cycles as f64 / heads.len() as f64;
    Ok(HeadCycles {
        set: set.into(),
        d: D,
        n: heads[0].1.nrows(),
        p,
        k,
        variant: if variant == Variant::Octave {
            "octave"
        } else {
            "general"
        }
        .into(),
        heads: heads.len(),
        rows: heads[0].0.nrows(),
        cycles,
        cycles_model: model_cycles,
        bit_exact: exact,
        cycles_per_head: per_head,
        kept: nz as f64 / all.max(1) as f64,
        load: sum.load,
        s1: sum.s1,
        s2: sum.s2,
        s3: sum.s3,
        core: sum.core,
        bound: sum.bound().0.into(),
        overhead: sum.overhead(),
        us_at_100mhz: per_head / 100.0,
    })
}

/// `x [rows, d]` widened to D columns with zeros, times `scale`.
fn pad(x: ArrayView2<f32>, scale: f32) -> Array2<f32> {
    let mut o = Array2::zeros((x.nrows(), D));
    o.slice_mut(s![.., ..x.ncols()])
        .assign(&x.mapv(|a| a * scale));
    o
}

/// The MiniLM fixture's heads (d = 32, n = 128) as D = 64 heads with the same scores: Q and K
/// padded with zero columns and Q scaled by `sqrt(64 / 32)` (the `1/sqrt(d)` of the softmax
/// changes with d), V padded with zero lanes.
pub fn minilm_heads() -> Result<Vec<Qkv>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/minilm");
    let read = |f: &str| model::npy::read_finite_f32(&dir.join(f));
    let (q, k, v) = (read("q.npy")?, read("k.npy")?, read("v.npy")?);
    let (q3, k3, v3) = model::contract::split_qkv(&q, &k, &v)?;
    let d = q3.len_of(Axis(2));
    let scale = ((D / d) as f32).sqrt();
    Ok((0..q3.len_of(Axis(0)))
        .map(|h| {
            (
                pad(q3.index_axis(Axis(0), h), scale),
                pad(k3.index_axis(Axis(0), h), 1.0),
                pad(v3.index_axis(Axis(0), h), 1.0),
            )
        })
        .collect())
}

/// One random head (Q, K uniform in +-3, V in +-2) at n = 128 and 512, for each P and
/// variant.
pub fn run(cores: &mut HeadCores, seed: u64) -> Result<Vec<HeadCycles>> {
    let mut out = Vec::new();
    for variant in [Variant::General, Variant::Octave] {
        for n in [128usize, 512] {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed + n as u64);
            let mut gen = |r: usize, s: f32| {
                Array2::from_shape_fn((r, D), |_| rng.gen_range(-1.0f32..1.0) * s)
            };
            let head = [(gen(n, 3.0), gen(n, 3.0), gen(n, 2.0))];
            for k in KS {
                for p in PS {
                    out.push(measure(cores, "random", (p, k), variant, &head)?);
                }
            }
        }
    }
    Ok(out)
}

/// Every MiniLM fixture head ([`minilm_heads`]), for each P and variant.
pub fn minilm(cores: &mut HeadCores) -> Result<Vec<HeadCycles>> {
    let heads = minilm_heads()?;
    let mut out = Vec::new();
    for variant in [Variant::General, Variant::Octave] {
        for k in KS {
            for p in PS {
                out.push(measure(cores, "minilm", (p, k), variant, &heads)?);
            }
        }
    }
    Ok(out)
}

/// The table, with a legend.
pub fn table(rows: &[HeadCycles]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<7} {:>3} {:>4} {:>2} {:>2} {:<8} {:>5} {:>10} {:>10} {:>6} {:>9} {:>6} {:>4} {:>8} {:>9} {:>9} {:>9} {:>5} {:>8} {:>9}",
        "set", "D", "n", "P", "K", "variant", "heads", "cycles", "model", "exact", "per head", "kept",
        "load", "S1", "S2", "S3", "core", "bound", "overhead", "us@100MHz"
    );
    for r in rows {
        let per = |x: usize| x / r.heads;
        let _ = writeln!(
            s,
            "{:<7} {:>3} {:>4} {:>2} {:>2} {:<8} {:>5} {:>10} {:>10} {:>6} {:>9.1} {:>6.3} {:>4} {:>8} {:>9} {:>9} {:>9} {:>5} {:>8} {:>9.1}",
            r.set,
            r.d,
            r.n,
            r.p,
            r.k,
            r.variant,
            r.heads,
            r.cycles,
            r.cycles_model.map_or("-".into(), |c| c.to_string()),
            if r.bit_exact { "yes" } else { "NO" },
            r.cycles_per_head,
            r.kept,
            per(r.load),
            per(r.s1),
            per(r.s2),
            per(r.s3),
            per(r.core),
            r.bound,
            per(r.overhead),
            r.us_at_100mhz
        );
    }
    let _ = writeln!(
        s,
        "cycles, model: all heads; per head and the breakdown: a head's mean. load: weights, K and V \
         at once (max(n, 8)); S1, S2: ceil(n/P) a row; S3: 16/P ceil(n/16) a row; core: its \
         issue cycles (up to K tokens a cycle); overhead: cycles beyond the load and the bound"
    );
    s
}

/// One point of [`threshold_sweep`]: means over the MiniLM heads (D = 64, n = 128).
#[derive(Clone, Debug, Serialize)]
pub struct SweepPoint {
    /// `none` (nothing pruned: every code non-zero), `1e-4`, `1e-3`, `1e-2` (log codebooks)
    /// or `octave` (t = 2^-7).
    pub label: String,
    /// The pruning threshold (0 for `none`).
    pub threshold: f64,
    /// Keys scored per cycle.
    pub p: usize,
    /// Non-zero codes the core issues per cycle.
    pub k: usize,
    /// Fraction of the codes that are zero.
    pub zeros: f64,
    /// `model::timing::head_cycles`, mean a head.
    pub cycles_per_head: f64,
    /// The core's issue cycles (up to K tokens a cycle), mean a head: its bound.
    pub core_per_head: f64,
    /// S1's issue cycles, mean a head: `rows ceil(n/P)`, the bound when nothing is pruned.
    pub s1_per_head: f64,
}

/// The thresholds of [`threshold_sweep`]: (label, codebook); `None` is "nothing pruned".
pub fn sweep_codebooks() -> Result<Vec<(String, Option<Codebook>)>> {
    let mut v = vec![("none".to_string(), None)];
    for t in [1e-4, 1e-3, 1e-2] {
        v.push((format!("{t:e}"), Some(Codebook::log(3, t)?)));
    }
    v.push(("octave".into(), Some(Codebook::octave(3)?)));
    Ok(v)
}

/// Whole-head cycles of every MiniLM head ([`minilm_heads`]) against the pruning threshold,
/// for P = 1, 2, 4, 8 and K = 1, 2: `model::timing::head_breakdown` on the codes of the bit-exact
/// front end (`model::frontend::front_end`) for each codebook of [`sweep_codebooks`]; for
/// `none`, the log t = 1e-3 codes with every zero made non-zero. The model is cycle-exact
/// against Verilator for every stall-free head (`sim heads` checks the t = 1e-3 and octave
/// points on chip); the other thresholds would each need their own head build.
pub fn threshold_sweep() -> Result<Vec<SweepPoint>> {
    let heads = minilm_heads()?;
    let (core, fe) = crate::qkv::head_params(D)?;
    let mut out = Vec::new();
    for (label, cb) in sweep_codebooks()? {
        let (cb_used, variant) = match &cb {
            Some(cb) => (cb.clone(), Variant::for_codebook(cb)),
            None => (Codebook::log(3, 1e-3)?, Variant::General),
        };
        let codes: Vec<Array2<u8>> = heads
            .iter()
            .map(|(q, k, _)| {
                let c = front_end(&fe, &cb_used, q.view(), k.view(), k.nrows())?
                    .ints
                    .codes;
                Ok(if cb.is_none() {
                    c.mapv(|x| x.max(1))
                } else {
                    c
                })
            })
            .collect::<Result<_>>()?;
        let all: usize = codes.iter().map(|c| c.len()).sum();
        let zeros: usize = codes
            .iter()
            .map(|c| c.iter().filter(|&&x| x == 0).count())
            .sum();
        let h = heads.len() as f64;
        for (k, p) in KS.into_iter().flat_map(|k| PS.map(|p| (k, p))) {
            let core = core.with_nnz_per_cycle(k)?;
            let (mut cycles, mut tokens, mut s1) = (0usize, 0usize, 0usize);
            for c in &codes {
                let b = head_breakdown(&core, p, variant, c.view());
                cycles += b.total;
                tokens += b.core;
                s1 += b.s1;
            }
            out.push(SweepPoint {
                label: label.clone(),
                threshold: cb.as_ref().map_or(0.0, |c| c.threshold()),
                p,
                k,
                zeros: zeros as f64 / all as f64,
                cycles_per_head: cycles as f64 / h,
                core_per_head: tokens as f64 / h,
                s1_per_head: s1 as f64 / h,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_threshold_sweep_is_ordered_and_bounded() {
        let pts = threshold_sweep().unwrap();
        let labels = ["none", "1e-4", "1e-3", "1e-2", "octave"];
        assert_eq!(pts.len(), labels.len() * PS.len() * KS.len());
        let at = |l: &str, p: usize, k: usize| {
            pts.iter()
                .find(|x| x.label == l && x.p == p && x.k == k)
                .unwrap_or_else(|| panic!("no point {l} P = {p} K = {k}"))
        };
        // Nothing pruned: no zero; then more zeros with every larger threshold.
        assert_eq!(at("none", 1, 1).zeros, 0.0);
        for w in ["none", "1e-4", "1e-3", "1e-2"].windows(2) {
            assert!(at(w[0], 1, 1).zeros < at(w[1], 1, 1).zeros, "{w:?}");
        }
        for l in labels {
            for k in KS {
                for w in PS.windows(2) {
                    // More keys a cycle never costs cycles.
                    assert!(at(l, w[1], k).cycles_per_head <= at(l, w[0], k).cycles_per_head);
                }
                for p in PS {
                    let x = at(l, p, k);
                    // No head is faster than its busiest unit.
                    assert!(
                        x.cycles_per_head >= x.core_per_head.max(x.s1_per_head),
                        "{x:?}"
                    );
                    // n = 128 rows of 128 keys: S1 issues ceil(128 / P) groups a row.
                    assert_eq!(x.s1_per_head, (128 * 128usize.div_ceil(p)) as f64);
                }
            }
            for p in PS {
                // Two non-zeros a cycle never cost cycles, and at least halve the core's
                // issue cycles up to a cycle a beat.
                let (k1, k2) = (at(l, p, 1), at(l, p, 2));
                assert!(k2.cycles_per_head <= k1.cycles_per_head, "{l} P = {p}");
                assert!(k2.core_per_head * 2.0 >= k1.core_per_head, "{l} P = {p}");
                assert!(k2.core_per_head < k1.core_per_head, "{l} P = {p}");
            }
        }
        // With nothing pruned the core issues every key: at P = 8, K = 1 it is the bound.
        let none8 = at("none", 8, 1);
        assert!(none8.core_per_head >= (128 * 128) as f64);
        assert!(none8.cycles_per_head >= none8.core_per_head);
        // Pruning pays at P = 8: at t = 1e-2 a head takes under half the unpruned time.
        assert!(at("1e-2", 8, 1).cycles_per_head < 0.5 * none8.cycles_per_head);
    }
}
