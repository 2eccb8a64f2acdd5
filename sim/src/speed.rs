//! `sim speed`: simulation speed of rust-hdl's native simulator against the Verilator harness,
//! on the same design (hdl's AttnV core, D = 64, N_MAX = 512) and the same job.
//!
//! The native side drives `hdl::verify::testbench::run_attnv` (built with hdl's `native-bench` feature,
//! enabled by this crate's `native-bench` feature); the Verilator side drives [`crate::attnv::AttnvSim`]. Both
//! outputs are checked against `model::accumulate` and both stall-free code cycle counts against
//! `model::timing`. The two drivers differ slightly before the codes (the native testbench offers
//! weights and V together, the Verilator driver one after the other), so their total cycles differ
//! by a few cycles; the speed of each is its own total cycles over its own time.
//!
//! Times are CPU time of the simulating thread (`CLOCK_THREAD_CPUTIME_ID`) and wall time; the
//! job's beats are packed inside the timed region on both sides, the model builds are not timed.
//! One native run is timed; the Verilator run, ~1000x shorter, is repeated on the same job until
//! it has taken `verilator_min_secs` of CPU time.

use crate::attnv::AttnvJob;
use crate::bench::Cores;
use crate::check;
use anyhow::{bail, Result};
use model::{CoreParams, Variant};
use serde::Serialize;

/// What to measure.
#[derive(Clone, Debug)]
pub struct SpeedOptions {
    pub variants: Vec<Variant>,
    /// Keys (V rows), at most 512.
    pub n: usize,
    /// Query rows.
    pub rows: usize,
    /// Probability that a code is non-zero.
    pub density: f64,
    pub seed: u64,
    /// Repeat the Verilator run until it has used this much CPU time.
    pub verilator_min_secs: f64,
}

/// One simulator's figures on one job.
#[derive(Clone, Debug, Serialize)]
pub struct SimFigures {
    /// Clock cycles simulated per run (from the end of reset to the last output handshake).
    pub total_cycles: u64,
    /// Cycles from the first code beat to the last output handshake.
    pub code_cycles: u64,
    /// Runs timed (the same job each time).
    pub runs: u64,
    /// Wall and thread CPU seconds of all timed runs.
    pub wall_secs: f64,
    pub cpu_secs: f64,
    /// `runs * total_cycles` over `cpu_secs` and over `wall_secs`.
    pub cycles_per_cpu_sec: f64,
    pub cycles_per_wall_sec: f64,
    /// Every output integer equals `model::accumulate`.
    pub bit_exact: bool,
    /// `code_cycles == model::timing::job_cycles`.
    pub cycles_as_predicted: bool,
}

impl SimFigures {
    fn new(total: u64, code: u64, runs: u64, wall: f64, cpu: f64, exact: bool, want: u64) -> Self {
        let cycles = (total * runs) as f64;
        Self {
            total_cycles: total,
            code_cycles: code,
            runs,
            wall_secs: wall,
            cpu_secs: cpu,
            cycles_per_cpu_sec: cycles / cpu.max(1e-9),
            cycles_per_wall_sec: cycles / wall.max(1e-9),
            bit_exact: exact,
            cycles_as_predicted: code == want,
        }
    }
}

/// One variant's comparison.
#[derive(Clone, Debug, Serialize)]
pub struct SpeedResult {
    pub variant: String,
    pub d: usize,
    pub n_max: usize,
    pub n: usize,
    pub rows: usize,
    pub density: f64,
    pub seed: u64,
    /// Non-zero codes of the job.
    pub nnz: u64,
    /// `model::timing::job_cycles` of the job.
    pub model_code_cycles: u64,
    /// Seconds to construct and connect the native core (not timed below).
    pub native_build_secs: f64,
    pub native: SimFigures,
    pub verilator: SimFigures,
    /// Verilator cycles/s over native cycles/s, CPU based and wall based.
    pub ratio_cpu: f64,
    pub ratio_wall: f64,
    /// Both outputs bit-exact and both code cycle counts equal to model::timing.
    pub ok: bool,
}

/// Runs the comparison for every variant in `opts`.
pub fn run(opts: &SpeedOptions) -> Result<Vec<SpeedResult>> {
    if !cfg!(feature = "native-bench") {
        native_missing()?;
    }
    let params = crate::bench::params_for(64)?;
    if !(1..=params.n_max).contains(&opts.n) || opts.rows == 0 {
        bail!(
            "need 1 <= n <= {} and rows >= 1 (got n = {}, rows = {})",
            params.n_max,
            opts.n,
            opts.rows
        );
    }
    let mut cores = Cores::default();
    let mut out = vec![];
    for &variant in &opts.variants {
        out.push(one(&mut cores, &params, variant, opts)?);
    }
    Ok(out)
}

fn one(
    cores: &mut Cores,
    params: &CoreParams,
    variant: Variant,
    o: &SpeedOptions,
) -> Result<SpeedResult> {
    let job = AttnvJob::random_for(params, variant, o.n, o.rows, o.density, o.seed);
    let want = check::expected(&job, params)?;
    let model_cycles = model::timing::job_cycles(params, variant, job.codes.view()) as u64;
    let nnz = job.codes.iter().filter(|&&c| c != 0).count() as u64;

    // Verilator: the first run is checked, then the same job is repeated for a stable time.
    let sim = cores.get(params.d, variant, false)?;
    let cfg = crate::attnv::DriveConfig::default();
    let (mut runs, mut cpu, mut wall) = (0u64, 0f64, 0f64);
    let (mut total, mut code, mut exact) = (0u64, 0u64, true);
    while runs == 0 || cpu < o.verilator_min_secs {
        let r = sim.run(&job, &cfg)?;
        if runs == 0 {
            total = r.total_cycles;
            code = r.cycles;
            exact = check::compare(&r.out, &want).is_ok();
        } else if r.total_cycles != total || r.cycles != code {
            bail!("Verilator run {runs} took a different number of cycles");
        }
        runs += 1;
        cpu += r.cpu.unwrap_or(r.wall).as_secs_f64();
        wall += r.wall.as_secs_f64();
    }
    let verilator = SimFigures::new(total, code, runs, wall, cpu, exact, model_cycles);

    let (native, native_build_secs) = native(params, variant, &job, &want, model_cycles)?;
    let ok = native.bit_exact
        && verilator.bit_exact
        && native.cycles_as_predicted
        && verilator.cycles_as_predicted;
    Ok(SpeedResult {
        variant: format!("{variant:?}").to_lowercase(),
        d: params.d,
        n_max: params.n_max,
        n: o.n,
        rows: o.rows,
        density: o.density,
        seed: o.seed,
        nnz,
        model_code_cycles: model_cycles,
        native_build_secs,
        ratio_cpu: verilator.cycles_per_cpu_sec / native.cycles_per_cpu_sec.max(1e-9),
        ratio_wall: verilator.cycles_per_wall_sec / native.cycles_per_wall_sec.max(1e-9),
        native,
        verilator,
        ok,
    })
}

#[cfg(feature = "native-bench")]
fn native(
    params: &CoreParams,
    variant: Variant,
    job: &AttnvJob,
    want: &model::AccRows,
    model_cycles: u64,
) -> Result<(SimFigures, f64)> {
    use crate::attnv::thread_cpu_time;
    use hdl::verify::testbench::{attnv_64x512, run_attnv, Env, Job};
    use std::time::Instant;
    let t = Instant::now();
    let mut uut = attnv_64x512(params, variant);
    let build = t.elapsed().as_secs_f64();
    let hjob = Job {
        w: job.weights.clone(),
        w_sent: (0..8).rev().collect(),
        vq: job.vq.clone(),
        codes: job.codes.clone(),
    };
    let wall = Instant::now();
    let cpu0 = thread_cpu_time();
    let r = run_attnv(&mut uut, params, std::slice::from_ref(&hjob), Env::NO_STALL);
    let cpu1 = thread_cpu_time();
    let wall = wall.elapsed().as_secs_f64();
    let cpu = match (cpu0, cpu1) {
        (Some(a), Some(b)) => b.saturating_sub(a).as_secs_f64(),
        _ => wall,
    };
    let (acc, rsum) = r.results.into_iter().next().expect("one job");
    let got = model::AccRows {
        acc,
        rsum: rsum.into(),
    };
    let exact = check::compare(&got, want).is_ok();
    Ok((
        SimFigures::new(
            r.total_cycles as u64,
            r.code_cycles[0] as u64,
            1,
            wall,
            cpu,
            exact,
            model_cycles,
        ),
        build,
    ))
}

#[cfg(not(feature = "native-bench"))]
fn native(
    _: &CoreParams,
    _: Variant,
    _: &AttnvJob,
    _: &model::AccRows,
    _: u64,
) -> Result<(SimFigures, f64)> {
    native_missing()
}

fn native_missing<T>() -> Result<T> {
    bail!(
        "sim was built without rust-hdl's native simulator: rebuild with `--features native-bench` \
         (cargo run --release -p sim --features native-bench -- speed)"
    )
}

/// The comparison as a text table.
pub fn table(rs: &[SpeedResult]) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<8} {:<9} {:>8} {:>8} {:>5} {:>10} {:>10} {:>14} {:>14} {:>6}",
        "variant",
        "simulator",
        "cycles",
        "code cyc",
        "runs",
        "cpu s",
        "wall s",
        "cycles/cpu s",
        "cycles/wall s",
        "exact"
    );
    for r in rs {
        for (name, f) in [("native", &r.native), ("verilator", &r.verilator)] {
            let _ = writeln!(
                s,
                "{:<8} {:<9} {:>8} {:>8} {:>5} {:>10.3} {:>10.3} {:>14.0} {:>14.0} {:>6}",
                r.variant,
                name,
                f.total_cycles,
                f.code_cycles,
                f.runs,
                f.cpu_secs,
                f.wall_secs,
                f.cycles_per_cpu_sec,
                f.cycles_per_wall_sec,
                if f.bit_exact { "yes" } else { "NO" }
            );
        }
        let _ = writeln!(
            s,
            "{:<8} Verilator/native: {:.0}x per CPU second, {:.0}x per wall second; model::timing \
             {} code cycles ({}); native core built in {:.1} s",
            r.variant,
            r.ratio_cpu,
            r.ratio_wall,
            r.model_code_cycles,
            if r.native.cycles_as_predicted && r.verilator.cycles_as_predicted {
                "both agree"
            } else {
                "MISMATCH"
            },
            r.native_build_secs
        );
    }
    s.trim_end().to_string()
}
