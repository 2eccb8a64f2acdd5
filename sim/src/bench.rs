//! Runs jobs through a zero-skipping core and the dense baseline on the same data, and reports
//! cycles, ideal cycles, efficiency, speed-up and bit-exactness.
//!
//! - [`Cores`]: the Verilated cores of one session, built (or loaded from the cache) on first use.
//! - [`Measured`]: one job's figures; [`Measured::total`] sums them.
//! - [`measure`]: one job through a sparse variant and the dense baseline.
//! - [`heads_of`]: real attention (`P [..., rows, n]`, `V [..., n, d]`) as one job per head.

use crate::attnv::{AttnvJob, AttnvSim, DriveConfig, ResetSpec};
use crate::verilator::BuildOptions;
use anyhow::{bail, Context, Result};
use model::{AccRows, Codebook, CoreParams, Variant};
use ndarray::{ArrayD, Axis};
use serde::Serialize;
use std::collections::HashMap;
use std::time::Instant;

/// The core parameters for head dimension `d`: the N_MAX hdl compiles for it
/// ([`hdl::Build::n_max_for`]), the hardware's W and k, K = 1.
pub fn params_for(d: usize) -> Result<CoreParams> {
    params_for_k(d, 1)
}

/// [`params_for`] with K = `k` non-zero codes a cycle (1 or 2).
pub fn params_for_k(d: usize, k: usize) -> Result<CoreParams> {
    Ok(CoreParams::hardware(d, hdl::Build::Core.n_max_for(d)?)?.with_nnz_per_cycle(k)?)
}

/// The cores of one session, keyed by (D, variant, K, traced).
pub struct Cores {
    cores: HashMap<(usize, Variant, usize, bool), AttnvSim>,
    /// Print build progress to stderr.
    pub verbose: bool,
}

impl Default for Cores {
    fn default() -> Self {
        Self {
            cores: HashMap::new(),
            verbose: true,
        }
    }
}

impl Cores {
    /// The core for `d` and `variant`, K = 1 (built or loaded on first use).
    pub fn get(&mut self, d: usize, variant: Variant, traced: bool) -> Result<&mut AttnvSim> {
        self.get_k(d, variant, 1, traced)
    }

    /// The core for `d`, `variant` and K = `k` (built or loaded on first use).
    pub fn get_k(
        &mut self,
        d: usize,
        variant: Variant,
        k: usize,
        traced: bool,
    ) -> Result<&mut AttnvSim> {
        let key = (d, variant, k, traced);
        if !self.cores.contains_key(&key) {
            let params = params_for_k(d, k)?;
            let t = Instant::now();
            let opts = BuildOptions {
                trace: traced,
                ..Default::default()
            };
            let mut sim = AttnvSim::new(
                &hdl::attnv_verilog(&params, variant)?,
                "top",
                params,
                &ResetSpec::default(),
                &opts,
            )
            .with_context(|| format!("building the {variant:?} core for D = {d}, K = {k}"))?;
            if self.verbose {
                let how = if sim.model().build_report().cache_hit {
                    "loaded from the cache"
                } else {
                    "verilated and compiled"
                };
                eprintln!(
                    "{variant:?} core D={d} K={k}{}: {how} in {:.1} s",
                    if traced { " (traced)" } else { "" },
                    t.elapsed().as_secs_f64()
                );
            }
            self.cores.insert(key, sim);
        }
        Ok(self.cores.get_mut(&key).expect("inserted"))
    }
}

/// Figures of one job (or a sum of jobs).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Measured {
    /// What ran (case name or head index).
    pub name: String,
    pub d: usize,
    /// Non-zero codes the zero-skipping core issues a cycle, K (0 in a default value).
    pub k: usize,
    pub n: usize,
    pub rows: usize,
    /// Non-zero codes.
    pub nnz: u64,
    /// Cycles of the zero-skipping core, first code beat to last output beat.
    pub cycles: u64,
    /// `sum_i max(ceil(nnz_i / K), ceil(n / W))`.
    pub ideal_cycles: u64,
    /// Cycles of the dense baseline on the same job.
    pub dense_cycles: u64,
    /// Both cores matched the model integer for integer.
    pub bit_exact: bool,
    /// Without stalls: the zero-skipping core's cycles equal `model::timing::job_cycles`.
    /// `None` when the case injects idle cycles or back-pressure.
    pub cycles_as_predicted: Option<bool>,
    /// Simulated cycles (both cores, including loads) and the CPU seconds they took.
    pub sim_cycles: u64,
    pub sim_cpu_seconds: f64,
    /// First mismatch or error, if any.
    pub error: Option<String>,
}

impl Measured {
    /// `ideal / cycles`.
    pub fn efficiency(&self) -> f64 {
        self.ideal_cycles as f64 / self.cycles.max(1) as f64
    }

    /// `dense / cycles`.
    pub fn speedup(&self) -> f64 {
        self.dense_cycles as f64 / self.cycles.max(1) as f64
    }

    /// The speed-up that ideal zero skipping would give: `n * rows / ideal`.
    pub fn ideal_speedup(&self) -> f64 {
        (self.n * self.rows) as f64 / self.ideal_cycles.max(1) as f64
    }

    /// Simulated cycles per CPU second.
    pub fn sim_cycles_per_second(&self) -> f64 {
        self.sim_cycles as f64 / self.sim_cpu_seconds.max(1e-9)
    }

    /// Everything passed.
    pub fn ok(&self) -> bool {
        self.bit_exact && self.cycles_as_predicted != Some(false) && self.error.is_none()
    }

    /// The sum of several jobs (`n` and `d` of the first).
    pub fn total(name: &str, items: &[Measured]) -> Measured {
        let mut t = Measured {
            name: name.into(),
            bit_exact: true,
            ..Default::default()
        };
        if let Some(f) = items.first() {
            t.d = f.d;
            t.k = f.k;
            t.n = f.n;
        }
        for m in items {
            t.rows += m.rows;
            t.nnz += m.nnz;
            t.cycles += m.cycles;
            t.ideal_cycles += m.ideal_cycles;
            t.dense_cycles += m.dense_cycles;
            t.bit_exact &= m.bit_exact;
            t.sim_cycles += m.sim_cycles;
            t.sim_cpu_seconds += m.sim_cpu_seconds;
            if t.error.is_none() {
                t.error = m.error.clone();
            }
        }
        let preds = items.iter().filter_map(|m| m.cycles_as_predicted);
        t.cycles_as_predicted = preds.reduce(|a, b| a && b);
        t
    }
}

/// How a job is driven.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stimulus {
    pub idle: f64,
    pub backpressure: f64,
    pub seed: u64,
}

/// Runs `job` through the `variant` core (K = 1) and the dense baseline (both D =
/// `job.vq.ncols()`), checks both against `want` integer for integer, and measures.
pub fn measure(
    cores: &mut Cores,
    name: &str,
    variant: Variant,
    job: &AttnvJob,
    want: &AccRows,
    stim: Stimulus,
) -> Result<Measured> {
    measure_k(cores, name, variant, 1, job, want, stim)
}

/// [`measure`] with the `variant` core issuing K = `k` non-zero codes a cycle (the dense
/// baseline always issues one).
pub fn measure_k(
    cores: &mut Cores,
    name: &str,
    variant: Variant,
    k: usize,
    job: &AttnvJob,
    want: &AccRows,
    stim: Stimulus,
) -> Result<Measured> {
    let d = job.vq.ncols();
    let params = params_for_k(d, k)?;
    job.validate(&params)?;
    let (rows, n) = job.codes.dim();
    let mut m = Measured {
        name: name.into(),
        d,
        k,
        n,
        rows,
        nnz: job.codes.iter().filter(|&&c| c != 0).count() as u64,
        ideal_cycles: job
            .codes
            .rows()
            .into_iter()
            .map(|r| params.ideal_row_cycles(r.iter().filter(|&&c| c != 0).count(), n) as u64)
            .sum(),
        bit_exact: true,
        ..Default::default()
    };
    let cfg = DriveConfig {
        seed: stim.seed,
        idle_prob: stim.idle,
        backpressure_prob: stim.backpressure,
        ..Default::default()
    };
    let stalls = stim.idle > 0.0 || stim.backpressure > 0.0;
    for (i, v) in [variant, Variant::Dense].into_iter().enumerate() {
        let sim = if i == 0 {
            cores.get_k(d, v, k, false)?
        } else {
            cores.get(d, v, false)?
        };
        match sim.run(job, &cfg) {
            Ok(run) => {
                m.sim_cycles += run.total_cycles;
                m.sim_cpu_seconds += run.cpu.unwrap_or(run.wall).as_secs_f64();
                if let Err(e) = crate::check::compare(&run.out, want) {
                    m.bit_exact = false;
                    m.error.get_or_insert(format!("{v:?}: {e:#}"));
                }
                if i == 0 {
                    m.cycles = run.cycles;
                    if !stalls {
                        let want_cycles =
                            model::timing::job_cycles(&params, v, job.codes.view()) as u64;
                        m.cycles_as_predicted = Some(want_cycles == run.cycles);
                        if want_cycles != run.cycles {
                            m.error.get_or_insert(format!(
                                "{v:?}: {} cycles, model::timing predicts {want_cycles}",
                                run.cycles
                            ));
                        }
                    }
                } else {
                    m.dense_cycles = run.cycles;
                }
            }
            Err(e) => {
                m.bit_exact = false;
                m.error.get_or_insert(format!("{v:?}: {e:#}"));
            }
        }
    }
    Ok(m)
}

/// One head of real attention as a core job, with the model's result.
pub struct Head {
    pub job: AttnvJob,
    pub want: AccRows,
}

/// Splits `P [..., rows, n]` and `V [..., n, d]` (same leading axes) into one job per head,
/// quantized with `cb` exactly as `model::attend_head` does. Errors name the problem (shapes,
/// no heads, no rows, n beyond N_MAX, a d no core is built for).
pub fn heads_of(p: &ArrayD<f32>, v: &ArrayD<f32>, cb: &Codebook) -> Result<Vec<Head>> {
    let (p3, v3) = model::contract::split_heads(p, v)?;
    let (heads, rows) = (p3.len_of(Axis(0)), p3.len_of(Axis(1)));
    let (n, d) = (v3.len_of(Axis(1)), v3.len_of(Axis(2)));
    if heads == 0 {
        bail!(
            "no heads: P's leading axes {:?} hold none",
            &p.shape()[..p.ndim() - 2]
        );
    }
    if rows == 0 {
        bail!("P has no query rows (shape {:?})", p.shape());
    }
    let params = params_for(d);
    let n_max = params
        .as_ref()
        .map_or(CoreParams::default().n_max, |p| p.n_max);
    if n == 0 || n > n_max {
        bail!("n = {n} keys: the core takes 1..={n_max} (N_MAX)");
    }
    params?;
    p3.outer_iter()
        .zip(v3.outer_iter())
        .enumerate()
        .map(|(h, (ph, vh))| {
            let res = model::attend_head(ph, vh, cb, false).with_context(|| format!("head {h}"))?;
            Ok(Head {
                job: AttnvJob {
                    weights: res.weights.w.clone(),
                    vq: res.v.vq.clone(),
                    codes: res.codes,
                },
                want: res.acc,
            })
        })
        .collect()
}

/// Leading-axis count of heads in `[..., rows, n]`.
pub fn head_count(shape: &[usize]) -> usize {
    shape[..shape.len().saturating_sub(2)].iter().product()
}

/// Runs every head of real attention through the `cb`-appropriate core (K = 1) and the dense
/// baseline.
pub fn run_heads(
    cores: &mut Cores,
    heads: &[Head],
    cb: &Codebook,
    vcd: Option<&std::path::Path>,
) -> Result<Vec<Measured>> {
    run_heads_k(cores, heads, cb, 1, vcd)
}

/// [`run_heads`] on the core issuing K = `k` non-zero codes a cycle.
pub fn run_heads_k(
    cores: &mut Cores,
    heads: &[Head],
    cb: &Codebook,
    k: usize,
    vcd: Option<&std::path::Path>,
) -> Result<Vec<Measured>> {
    let variant = Variant::for_codebook(cb);
    if let (Some(path), Some(first)) = (vcd, heads.first()) {
        let sim = cores.get_k(first.job.vq.ncols(), variant, k, true)?;
        sim.model().trace_open(path)?;
        let run = sim.run(&first.job, &DriveConfig::default());
        sim.model().trace_close();
        let run = run?;
        crate::check::compare(&run.out, &first.want).context("traced run of head 0")?;
    }
    heads
        .iter()
        .enumerate()
        .map(|(h, head)| {
            measure_k(
                cores,
                &format!("head {h}"),
                variant,
                k,
                &head.job,
                &head.want,
                Stimulus::default(),
            )
        })
        .collect()
}
