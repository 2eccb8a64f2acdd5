//! `sim attnv`: random jobs through the AttnV core (hdl's generated Verilog, or a Verilog file
//! of one's own), checked against the model.

use super::VariantArg;
use crate::attnv::{AttnvJob, AttnvSim, DriveConfig, ResetSpec};
use crate::verilator::BuildOptions;
use anyhow::{bail, Context, Result};
use model::{CoreParams, Variant};
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `sim attnv`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Head dimension D (lanes).
    #[arg(long, default_value_t = 64)]
    pub d: usize,
    /// N_MAX (V rows the core holds).
    #[arg(long, default_value_t = 512)]
    pub n_max: usize,
    /// Datapath variant.
    #[arg(long, value_enum, default_value_t = VariantArg::General)]
    pub variant: VariantArg,
    /// Keys per job (rows of V), at most N_MAX.
    #[arg(long, default_value_t = 512)]
    pub n: usize,
    /// Query rows per job.
    #[arg(long, default_value_t = 64)]
    pub rows: usize,
    /// Probability that a code is non-zero.
    #[arg(long, default_value_t = 0.25)]
    pub density: f64,
    /// Number of jobs (each with its own seed).
    #[arg(long, default_value_t = 1)]
    pub jobs: usize,
    /// Probability that an input stream idles in a cycle.
    #[arg(long, default_value_t = 0.0)]
    pub idle: f64,
    /// Probability that m_axis_tready is low in a cycle.
    #[arg(long, default_value_t = 0.0)]
    pub backpressure: f64,
    /// RNG seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulate this Verilog file (top module `--top`) instead of hdl's generated core.
    #[arg(long)]
    pub verilog: Option<PathBuf>,
    /// Top module of `--verilog`.
    #[arg(long, default_value = "top")]
    pub top: String,
    /// Also write the simulated Verilog here.
    #[arg(long)]
    pub save_verilog: Option<PathBuf>,
    /// Write a VCD of the first job here (builds a traced model).
    #[arg(long)]
    pub vcd: Option<PathBuf>,
    /// Parallel C++ compile jobs.
    #[arg(long, default_value_t = 2)]
    pub cxx_jobs: usize,
}

/// Cycles and time simulated so far, and the checks failed.
#[derive(Default)]
struct Tally {
    failed: usize,
    cycles: u64,
    cpu: f64,
    wall: f64,
}

/// Builds the model, runs `a.jobs` random jobs, prints a line each and the simulator's speed;
/// fails if any output differs from the model or (for hdl's core, without stalls) any cycle
/// count from `model::timing`.
pub fn run(a: &Args) -> Result<()> {
    let params = CoreParams::hardware(a.d, a.n_max)?;
    let variant = Variant::from(a.variant);
    let mut sim = model(a, params, variant)?;
    let mut tally = Tally::default();
    for i in 0..a.jobs {
        job(a, &mut sim, &params, variant, i, &mut tally)?;
    }
    let Tally {
        failed,
        cycles,
        cpu,
        wall,
    } = tally;
    println!(
        "{:.2} M cycles/s per CPU second ({:.2} M per wall second) over {cycles} cycles",
        cycles as f64 / cpu / 1e6,
        cycles as f64 / wall / 1e6
    );
    if failed > 0 {
        bail!("{failed} check(s) failed");
    }
    Ok(())
}

/// The Verilated core (hdl's, or `--verilog`'s), saved with `--save-verilog`, tracing into
/// `--vcd`; prints how it was built.
fn model(a: &Args, params: CoreParams, variant: Variant) -> Result<AttnvSim> {
    let source = match &a.verilog {
        Some(p) => {
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
        }
        None => hdl::attnv_verilog(&params, variant)?,
    };
    if let Some(p) = &a.save_verilog {
        std::fs::write(p, &source).with_context(|| format!("writing {}", p.display()))?;
    }
    let opts = BuildOptions {
        trace: a.vcd.is_some(),
        jobs: a.cxx_jobs,
        ..Default::default()
    };
    let t = Instant::now();
    let mut sim = AttnvSim::new(&source, &a.top, params, &ResetSpec::default(), &opts)?;
    let r = sim.model().build_report().clone();
    println!(
        "model: {} KiB Verilog, {} in {:.1} s (verilate {:.1} s, compile {:.1} s), {}",
        source.len() / 1024,
        if r.cache_hit { "cache hit" } else { "built" },
        t.elapsed().as_secs_f64(),
        r.verilate_secs,
        r.compile_secs,
        r.dir.display()
    );
    if let Some(p) = &a.vcd {
        sim.model().trace_open(p)?;
    }
    Ok(sim)
}

/// Job `i` (seeded `a.seed + i`, stimulus `a.seed + 1000 + i`): runs it, checks it, prints its
/// line and adds it to `tally`.
fn job(
    a: &Args,
    sim: &mut AttnvSim,
    params: &CoreParams,
    variant: Variant,
    i: usize,
    tally: &mut Tally,
) -> Result<()> {
    let (n, rows, density) = (a.n, a.rows, a.density);
    let job = AttnvJob::random_for(
        params,
        variant,
        n,
        rows,
        density,
        a.seed.wrapping_add(i as u64),
    );
    let cfg = DriveConfig {
        seed: a.seed.wrapping_add(1000 + i as u64),
        idle_prob: a.idle,
        backpressure_prob: a.backpressure,
        ..Default::default()
    };
    let run = sim.run(&job, &cfg)?;
    if i == 0 && a.vcd.is_some() {
        sim.model().trace_close();
    }
    tally.cycles += run.total_cycles;
    tally.cpu += run.cpu.unwrap_or(run.wall).as_secs_f64();
    tally.wall += run.wall.as_secs_f64();
    let check = crate::check::check_job(&job, params, &run.out);
    let timing = if a.idle == 0.0 && a.backpressure == 0.0 {
        // model::timing is exact for hdl's core when nothing idles or back-pressures.
        let want = model::timing::job_cycles(params, variant, job.codes.view()) as u64;
        if want == run.cycles {
            "(= model::timing)".to_string()
        } else {
            if a.verilog.is_none() {
                tally.failed += 1;
            }
            format!("(model::timing predicts {want})")
        }
    } else {
        String::new()
    };
    println!(
        "job {i}: n={n} rows={rows} density={density}: {} cycles {timing}, {} total, {:.2} M cycles/s: {}",
        run.cycles,
        run.total_cycles,
        run.cycles_per_sec() / 1e6,
        match &check {
            Ok(()) => "outputs match model::accumulate".to_string(),
            Err(e) => format!("MISMATCH {e}"),
        }
    );
    if check.is_err() {
        tally.failed += 1;
    }
    Ok(())
}
