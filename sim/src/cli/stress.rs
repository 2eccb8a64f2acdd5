//! `sim stress`: many random jobs over every variant at D = 32 and D = 64 (N_MAX = 512),
//! several shapes and densities, with and without idle cycles and back-pressure; every output
//! checked against `model::accumulate` and, without stalls, every cycle count against
//! `model::timing`.

use crate::attnv::{AttnvJob, AttnvSim, DriveConfig, ResetSpec};
use crate::verilator::BuildOptions;
use anyhow::{bail, Result};
use model::{CoreParams, Variant};
use std::time::Instant;

/// Arguments of `sim stress`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Random jobs per configuration and stimulus.
    #[arg(long, default_value_t = 3)]
    pub jobs: usize,
    /// RNG seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

/// Job shapes: (keys n, query rows, density of non-zero codes).
const SHAPES: [(usize, usize, f64); 6] = [
    (1, 1, 1.0),
    (17, 4, 0.5),
    (100, 6, 0.03),
    (512, 8, 0.25),
    (512, 4, 1.0),
    (256, 16, 0.0),
];

/// Stimuli: (probability that an input idles, probability of back-pressure) in a cycle.
const STIMULI: [(f64, f64); 3] = [(0.0, 0.0), (0.2, 0.3), (0.7, 0.8)];

/// What the run has done so far.
#[derive(Default)]
struct Tally {
    runs: usize,
    failed: usize,
    cycles: u64,
    cpu: f64,
}

/// Runs every configuration; prints each failure and the totals; fails if any job failed.
pub fn run(a: &Args) -> Result<()> {
    let mut tally = Tally::default();
    for d in [32usize, 64] {
        for variant in [Variant::General, Variant::Octave, Variant::Dense] {
            configuration(a, d, variant, &mut tally)?;
        }
    }
    let Tally {
        runs,
        failed,
        cycles,
        cpu,
    } = tally;
    println!(
        "{} passed, {failed} failed ({cycles} cycles simulated, {:.2} M cycles/s per CPU second)",
        runs - failed,
        cycles as f64 / cpu.max(1e-9) / 1e6
    );
    if failed > 0 {
        bail!("{failed} of {runs} regression runs failed");
    }
    Ok(())
}

/// Every shape and stimulus, `a.jobs` random jobs each, on one core.
fn configuration(a: &Args, d: usize, variant: Variant, tally: &mut Tally) -> Result<()> {
    let params = CoreParams::new(d, 512, 16, model::HW_CODE_BITS)?;
    let t = Instant::now();
    let mut sim = AttnvSim::new(
        &hdl::attnv_verilog(&params, variant)?,
        "top",
        params,
        &ResetSpec::default(),
        &BuildOptions::default(),
    )?;
    println!(
        "{variant:?} D={d}: model ready in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    for (si, &(n, rows, density)) in SHAPES.iter().enumerate() {
        for (ti, &(idle, bp)) in STIMULI.iter().enumerate() {
            for k in 0..a.jobs {
                let s = a.seed.wrapping_add((si * 100 + ti * 10 + k) as u64);
                let job = AttnvJob::random_for(&params, variant, n, rows, density, s);
                let cfg = DriveConfig {
                    seed: s,
                    idle_prob: idle,
                    backpressure_prob: bp,
                    ..Default::default()
                };
                let what = format!("{variant:?} D={d} n={n} rows={rows} density={density} idle={idle} bp={bp} seed={s}");
                tally.runs += 1;
                if let Err(e) = one_job(&mut sim, &params, variant, &job, &cfg, tally) {
                    println!("FAIL {what}: {e:#}");
                    tally.failed += 1;
                }
            }
        }
    }
    Ok(())
}

/// One job: its outputs against `model::accumulate` and, without stalls, its cycles against
/// `model::timing`. Adds what it simulated to `tally` (unless the run itself failed).
fn one_job(
    sim: &mut AttnvSim,
    params: &CoreParams,
    variant: Variant,
    job: &AttnvJob,
    cfg: &DriveConfig,
    tally: &mut Tally,
) -> Result<()> {
    let run = sim.run(job, cfg)?;
    tally.cycles += run.total_cycles;
    tally.cpu += run.cpu.unwrap_or(run.wall).as_secs_f64();
    crate::check::check_job(job, params, &run.out)?;
    if cfg.idle_prob == 0.0 && cfg.backpressure_prob == 0.0 {
        let want = model::timing::job_cycles(params, variant, job.codes.view()) as u64;
        if want != run.cycles {
            bail!("{} cycles, model::timing predicts {want}", run.cycles);
        }
    }
    Ok(())
}
