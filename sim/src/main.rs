//! # sim: run the AttnV core in Verilator against the model
//!
//! - `sim`: the regression table (synthetic densities, edge cases, stalls, reset, the golden
//!   vectors, every head of the real-attention fixture), zero-skipping core vs dense baseline.
//! - `sim --probs P.npy --v V.npy [--threshold T | --octave] [--json r.json] [--vcd t.vcd]`:
//!   real attention, head by head, codes from the host (the AttnV core alone).
//! - `sim --q Q.npy --k K.npy --v V.npy [--valid-len L] [--threshold T | --octave] [--json r.json]`:
//!   the whole head on chip (front end + AttnV): bit-exactness, cycles, code agreement with the
//!   float path, and the output's error against float attention.
//! - `sim heads [--json h.json]`: cycles per whole head at D = 64 for P = 1, 2, 4, 8, general
//!   and octave: random heads (n = 128, 512) and the MiniLM fixture's heads.
//! - `sim attnv ...`: random jobs for one configuration; `sim stress`: many random jobs over
//!   every variant and width.
//! - `sim speed [--json s.json]`: rust-hdl's native simulator against Verilator, same core and
//!   job (build with `--features native-bench`).
//!
//! Every output integer is checked against `model`; every stall-free cycle count against
//! `model::timing`. Exits non-zero on any mismatch.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use model::{Codebook, CoreParams, Variant};
use sim::attnv::{AttnvJob, AttnvSim, DriveConfig, ResetSpec};
use sim::bench::{Cores, Measured};
use sim::verilator::BuildOptions;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "sim",
    about = "Cycle-accurate Verilator simulation of logattn's Verilog against the model"
)]
struct Cli {
    /// What to run (default: the regression, or real data with --probs and --v).
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    data: DataArgs,
}

/// Real attention through the core.
#[derive(clap::Args)]
struct DataArgs {
    /// Attention probabilities [..., rows, n] (float32); runs every head through the core.
    #[arg(long, requires = "v", conflicts_with_all = ["q", "k"])]
    probs: Option<PathBuf>,
    /// Queries [..., rows, d] (float32): runs every head through the on-chip front end + core.
    #[arg(long, requires_all = ["k", "v"])]
    q: Option<PathBuf>,
    /// Keys [..., n, d] (float32), Q's leading axes.
    #[arg(long, requires_all = ["q", "v"])]
    k: Option<PathBuf>,
    /// Values [..., n, d] (float32), the leading axes of P (or Q); d must be a configured width.
    #[arg(long)]
    v: Option<PathBuf>,
    /// With --q: keys j >= L are masked (key padding); default n.
    #[arg(long, requires = "q")]
    valid_len: Option<usize>,
    /// With --q: quantize Q and K to this many bits (2..=8) per row.
    #[arg(long, requires = "q", default_value_t = 8)]
    qk_bits: u32,
    /// Code width: the core is built for k = 3.
    #[arg(long, default_value_t = 3)]
    bits: u32,
    /// Pruning threshold t in (0, 1) (default 1e-3).
    #[arg(long, conflicts_with = "octave")]
    threshold: Option<f64>,
    /// The octave codebook (t = 2^-7) on the shift-only core.
    #[arg(long)]
    octave: bool,
    /// Write per-head and total figures as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write a VCD of the first head (builds a traced model).
    #[arg(long)]
    vcd: Option<PathBuf>,
    /// RNG seed of the regression's synthetic cases.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum VariantArg {
    General,
    Octave,
    Dense,
}

impl From<VariantArg> for Variant {
    fn from(v: VariantArg) -> Self {
        match v {
            VariantArg::General => Variant::General,
            VariantArg::Octave => Variant::Octave,
            VariantArg::Dense => Variant::Dense,
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Cycles per head of the whole on-chip head (front end + AttnV) for n = 128 and 512 at
    /// D = 32 and 64, n query rows, and where the time goes.
    Heads {
        /// RNG seed of the random Q, K, V.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write the figures as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
    },
    /// Many random jobs: every variant at D = 32 and D = 64 (N_MAX = 512), several shapes and
    /// densities, with and without idle cycles and back-pressure; every output checked against
    /// model::accumulate and, without stalls, every cycle count against model::timing.
    Stress {
        /// Random jobs per configuration and stimulus.
        #[arg(long, default_value_t = 3)]
        jobs: usize,
        /// RNG seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Random jobs through the AttnV core, checked against the model.
    Attnv {
        /// Head dimension D (lanes).
        #[arg(long, default_value_t = 64)]
        d: usize,
        /// N_MAX (V rows the core holds).
        #[arg(long, default_value_t = 512)]
        n_max: usize,
        /// Datapath variant.
        #[arg(long, value_enum, default_value_t = VariantArg::General)]
        variant: VariantArg,
        /// Keys per job (rows of V), at most N_MAX.
        #[arg(long, default_value_t = 512)]
        n: usize,
        /// Query rows per job.
        #[arg(long, default_value_t = 64)]
        rows: usize,
        /// Probability that a code is non-zero.
        #[arg(long, default_value_t = 0.25)]
        density: f64,
        /// Number of jobs (each with its own seed).
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// Probability that an input stream idles in a cycle.
        #[arg(long, default_value_t = 0.0)]
        idle: f64,
        /// Probability that m_axis_tready is low in a cycle.
        #[arg(long, default_value_t = 0.0)]
        backpressure: f64,
        /// RNG seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Simulate this Verilog file (top module `--top`) instead of hdl's generated core.
        #[arg(long)]
        verilog: Option<PathBuf>,
        /// Top module of `--verilog`.
        #[arg(long, default_value = "top")]
        top: String,
        /// Also write the simulated Verilog here.
        #[arg(long)]
        save_verilog: Option<PathBuf>,
        /// Write a VCD of the first job here (builds a traced model).
        #[arg(long)]
        vcd: Option<PathBuf>,
        /// Parallel C++ compile jobs.
        #[arg(long, default_value_t = 2)]
        cxx_jobs: usize,
    },
    /// Simulation speed: rust-hdl's native simulator against the Verilator harness on the same
    /// core (D = 64, N_MAX = 512) and the same random job, outputs checked against the model.
    /// Needs `--features native-bench`.
    Speed {
        /// Datapath variants, one comparison each.
        #[arg(
            long,
            value_enum,
            value_delimiter = ',',
            default_value = "general,octave"
        )]
        variant: Vec<VariantArg>,
        /// Keys (V rows), at most 512.
        #[arg(long, default_value_t = 512)]
        n: usize,
        /// Query rows (160: ~20k cycles, ~15 s in the native simulator).
        #[arg(long, default_value_t = 160)]
        rows: usize,
        /// Probability that a code is non-zero.
        #[arg(long, default_value_t = 0.25)]
        density: f64,
        /// RNG seed of the job.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Repeat the (short) Verilator run until it has taken this many CPU seconds.
        #[arg(long, default_value_t = 2.0)]
        verilator_secs: f64,
        /// Write the figures as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let Some(cmd) = cli.cmd else {
        let d = &cli.data;
        return match (&d.probs, &d.q, &d.v) {
            (Some(_), _, _) => real_data(d),
            (None, Some(_), _) => qkv_data(d),
            (None, None, Some(_)) => bail!("--v needs --probs, or --q and --k"),
            (None, None, None) => regression(d.seed),
        };
    };
    match cmd {
        Cmd::Stress { jobs, seed } => regress(jobs, seed),
        Cmd::Heads { seed, json } => {
            let mut cores = sim::qkv::HeadCores::default();
            let mut rows = sim::headbench::run(&mut cores, seed)?;
            rows.extend(sim::headbench::minilm(&mut cores)?);
            println!(
                "Whole heads, n query rows (random Q, K, V: seed {seed}; MiniLM heads padded to D = 64):"
            );
            print!("{}", sim::headbench::table(&rows));
            if let Some(p) = &json {
                model::output::write_text_atomic(p, &serde_json::to_string_pretty(&rows)?)?;
            }
            if let Some(r) = rows
                .iter()
                .find(|r| !r.bit_exact || r.cycles_model != Some(r.cycles))
            {
                bail!(
                    "D = {} n = {}: not bit-exact or not on the predicted cycle count",
                    r.d,
                    r.n
                );
            }
            Ok(())
        }
        Cmd::Speed {
            variant,
            n,
            rows,
            density,
            seed,
            verilator_secs,
            json,
        } => {
            let opts = sim::speed::SpeedOptions {
                variants: variant.into_iter().map(Variant::from).collect(),
                n,
                rows,
                density,
                seed,
                verilator_min_secs: verilator_secs,
            };
            let rs = sim::speed::run(&opts)?;
            println!(
                "AttnV D = 64, N_MAX = 512: one job of n = {n} keys x {rows} rows, density {density}, seed {seed}"
            );
            println!("{}", sim::speed::table(&rs));
            if let Some(p) = &json {
                model::output::write_text_atomic(p, &serde_json::to_string_pretty(&rs)?)?;
            }
            if let Some(r) = rs.iter().find(|r| !r.ok) {
                bail!(
                    "{}: outputs or cycle counts disagree with the model",
                    r.variant
                );
            }
            Ok(())
        }
        Cmd::Attnv {
            d,
            n_max,
            variant,
            n,
            rows,
            density,
            jobs,
            idle,
            backpressure,
            seed,
            verilog,
            top,
            save_verilog,
            vcd,
            cxx_jobs,
        } => {
            let params = CoreParams::hardware(d, n_max)?;
            let variant = Variant::from(variant);
            let source = match &verilog {
                Some(p) => std::fs::read_to_string(p)
                    .with_context(|| format!("reading {}", p.display()))?,
                None => hdl::attnv_verilog(&params, variant)?,
            };
            if let Some(p) = &save_verilog {
                std::fs::write(p, &source).with_context(|| format!("writing {}", p.display()))?;
            }
            let opts = BuildOptions {
                trace: vcd.is_some(),
                jobs: cxx_jobs,
                ..Default::default()
            };
            let t = Instant::now();
            let mut sim = AttnvSim::new(&source, &top, params, &ResetSpec::default(), &opts)?;
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
            if let Some(p) = &vcd {
                sim.model().trace_open(p)?;
            }
            let mut failed = 0;
            let (mut total_cycles, mut total_cpu, mut total_wall) = (0u64, 0f64, 0f64);
            for i in 0..jobs {
                let job = AttnvJob::random_for(
                    &params,
                    variant,
                    n,
                    rows,
                    density,
                    seed.wrapping_add(i as u64),
                );
                let cfg = DriveConfig {
                    seed: seed.wrapping_add(1000 + i as u64),
                    idle_prob: idle,
                    backpressure_prob: backpressure,
                    ..Default::default()
                };
                let run = sim.run(&job, &cfg)?;
                if i == 0 && vcd.is_some() {
                    sim.model().trace_close();
                }
                total_cycles += run.total_cycles;
                total_cpu += run.cpu.unwrap_or(run.wall).as_secs_f64();
                total_wall += run.wall.as_secs_f64();
                let check = sim::check::check_job(&job, &params, &run.out);
                let timing = if idle == 0.0 && backpressure == 0.0 {
                    // model::timing is exact for hdl's core when nothing idles or back-pressures.
                    let want = model::timing::job_cycles(&params, variant, job.codes.view()) as u64;
                    if want == run.cycles {
                        "(= model::timing)".to_string()
                    } else {
                        if verilog.is_none() {
                            failed += 1;
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
                    failed += 1;
                }
            }
            println!(
                "{:.2} M cycles/s per CPU second ({:.2} M per wall second) over {total_cycles} cycles",
                total_cycles as f64 / total_cpu / 1e6,
                total_cycles as f64 / total_wall / 1e6
            );
            if failed > 0 {
                bail!("{failed} check(s) failed");
            }
            Ok(())
        }
    }
}

/// The default run: the regression table.
fn regression(seed: u64) -> Result<()> {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/minilm");
    let mut cores = Cores::default();
    let t = Instant::now();
    let outcomes = sim::regression::run(&mut cores, seed, &fixture)?;
    println!("{}", sim::regression::table(&outcomes));
    let mut heads = sim::qkv::HeadCores::default();
    let on_chip = sim::regression::on_chip(&mut heads, seed, &fixture)?;
    println!("The whole head on chip (front end + AttnV), from float Q, K, V:");
    let on_chip_total = sim::qkv::QkvHead::total(&on_chip);
    print!("{}", sim::qkv::table(&on_chip, &on_chip_total));
    println!(
        "agree: codes equal to the float path's; err/fq, err/f: output error against the float \
         pruned-and-quantized output and float attention; fq/f: the quantization method's own error\n"
    );
    let on_chip_failed: Vec<&sim::qkv::QkvHead> = on_chip.iter().filter(|h| !h.ok()).collect();
    for h in &on_chip_failed {
        println!(
            "FAIL {}: {}",
            h.name,
            h.error
                .as_deref()
                .unwrap_or("cycles differ from model::timing")
        );
    }
    let link = sim::regression::link(seed)?;
    println!(
        "The board design (link framer + buffers + head) on its byte streams, against \
         model::link::Device: each golden head as info, head, head with a flipped bit (bad \
         CRC), head; cycles: compute cycles reported in the responses:"
    );
    print!("{}", sim::board::link_table(&link));
    println!();
    let link_failed: Vec<&sim::board::LinkCase> = link
        .iter()
        .filter(|c| !c.byte_exact || c.cycles != c.cycles_model)
        .collect();
    for c in &link_failed {
        println!(
            "FAIL {}: {}",
            c.name,
            c.error
                .as_deref()
                .unwrap_or("cycles differ from model::timing")
        );
    }
    let all: Vec<Measured> = outcomes.iter().map(|o| o.measured.clone()).collect();
    let total = Measured::total("all", &all);
    let failed: Vec<&Measured> = all.iter().filter(|m| !m.ok()).collect();
    for m in &failed {
        println!(
            "FAIL {}: {}",
            m.name,
            m.error.as_deref().unwrap_or("mismatch")
        );
    }
    println!(
        "simulated {} cycles at {:.2} M cycles per CPU second ({:.0} s wall in all)",
        total.sim_cycles,
        total.sim_cycles_per_second() / 1e6,
        t.elapsed().as_secs_f64()
    );
    let (cases, bad) = (
        all.len() + on_chip.len() + link.len(),
        failed.len() + on_chip_failed.len() + link_failed.len(),
    );
    println!("{} passed, {} failed", cases - bad, bad);
    if bad > 0 {
        bail!("{bad} of {cases} regression cases failed");
    }
    Ok(())
}

/// `--probs P --v V`: every head of real attention through the core.
fn real_data(a: &DataArgs) -> Result<()> {
    let (pp, vp) = (
        a.probs.as_ref().expect("checked"),
        a.v.as_ref().expect("checked"),
    );
    let cb = codebook(a)?;
    let p = model::npy::read_probs(pp)?;
    let v = model::npy::read_finite_f32(vp)?;
    let heads = sim::bench::heads_of(&p, &v, &cb)
        .with_context(|| format!("{} and {}", pp.display(), vp.display()))?;
    let mut cores = Cores::default();
    let ms = sim::bench::run_heads(&mut cores, &heads, &cb, a.vcd.as_deref())?;
    let total = Measured::total("total", &ms);
    let worst = ms
        .iter()
        .min_by(|x, y| x.efficiency().total_cmp(&y.efficiency()))
        .expect("at least one head");
    println!(
        "{} on {} heads of {} (D = {}, n = {})",
        cb.describe(),
        ms.len(),
        pp.display(),
        total.d,
        total.n
    );
    let variant = model::Variant::for_codebook(&cb);
    let rows = [
        total.clone(),
        Measured {
            name: format!("worst: {}", worst.name),
            ..worst.clone()
        },
    ]
    .map(|measured| sim::regression::CaseOutcome {
        measured,
        variant,
        note: String::new(),
    });
    print!("{}", sim::regression::table(&rows));
    println!(
        "simulation: {:.2} M cycles per CPU second",
        total.sim_cycles_per_second() / 1e6
    );
    if let Some(path) = &a.json {
        let head = |m: &Measured| {
            serde_json::json!({
                "name": m.name, "rows": m.rows, "n": m.n, "d": m.d, "nnz": m.nnz, "cycles": m.cycles,
                "ideal_cycles": m.ideal_cycles, "efficiency": m.efficiency(), "dense_cycles": m.dense_cycles,
                "speedup": m.speedup(), "ideal_speedup": m.ideal_speedup(), "bit_exact": m.bit_exact,
                "cycles_as_predicted": m.cycles_as_predicted, "sim_cycles_per_second": m.sim_cycles_per_second(),
            })
        };
        let report = serde_json::json!({
            "codebook": cb.describe(),
            "variant": format!("{:?}", model::Variant::for_codebook(&cb)).to_lowercase(),
            "probs": pp.display().to_string(),
            "v": vp.display().to_string(),
            "total": head(&total),
            "heads": ms.iter().map(head).collect::<Vec<_>>(),
        });
        model::output::write_text_atomic(path, &serde_json::to_string_pretty(&report)?)?;
    }
    let bad: Vec<&Measured> = ms.iter().filter(|m| !m.ok()).collect();
    if let Some(m) = bad.first() {
        bail!(
            "{} of {} heads failed; first: {}: {}",
            bad.len(),
            ms.len(),
            m.name,
            m.error.as_deref().unwrap_or("mismatch")
        );
    }
    Ok(())
}

/// `--q Q --k K --v V`: every head through the whole on-chip path.
fn qkv_data(a: &DataArgs) -> Result<()> {
    let (qp, kp, vp) = (
        a.q.as_ref().expect("checked"),
        a.k.as_ref().expect("checked"),
        a.v.as_ref().expect("checked"),
    );
    let cb = codebook(a)?;
    let q = model::npy::read_finite_f32(qp)?;
    let k = model::npy::read_finite_f32(kp)?;
    let v = model::npy::read_finite_f32(vp)?;
    let mut cores = sim::qkv::HeadCores::default().with_qk_bits(a.qk_bits)?;
    let heads = sim::qkv::run_all(&mut cores, &cb, &q, &k, &v, a.valid_len)
        .with_context(|| format!("{}, {} and {}", qp.display(), kp.display(), vp.display()))?;
    let total = sim::qkv::QkvHead::total(&heads);
    println!(
        "{} on {} heads of {} (D = {}, n = {}, valid length {}, int{} Q/K), front end + {:?} core",
        cb.describe(),
        heads.len(),
        qp.display(),
        total.d,
        total.n,
        total.valid_len,
        a.qk_bits,
        model::Variant::for_codebook(&cb)
    );
    print!("{}", sim::qkv::table(&heads, &total));
    println!(
        "err/fq: against the float pruned-and-quantized output; err/f: against float attention; \
         fq/f: the quantization method's own error (ratio err/f : fq/f = {:.4})",
        total.rel_err_vs_float / total.rel_err_float_quantized_vs_float
    );
    if let Some(path) = &a.json {
        let report = serde_json::json!({
            "codebook": cb.describe(),
            "variant": format!("{:?}", model::Variant::for_codebook(&cb)).to_lowercase(),
            "qk_bits": a.qk_bits,
            "q": qp.display().to_string(),
            "k": kp.display().to_string(),
            "v": vp.display().to_string(),
            "total": total,
            "heads": heads,
        });
        model::output::write_text_atomic(path, &serde_json::to_string_pretty(&report)?)?;
    }
    let bad: Vec<_> = heads.iter().filter(|h| !h.ok()).collect();
    if let Some(h) = bad.first() {
        bail!(
            "{} of {} heads failed; first: {}: {}",
            bad.len(),
            heads.len(),
            h.name,
            h.error.clone().unwrap_or_else(|| format!(
                "{} cycles, model::timing predicts {:?}",
                h.cycles, h.cycles_model
            ))
        );
    }
    Ok(())
}

fn codebook(a: &DataArgs) -> Result<Codebook> {
    if a.bits != model::HW_CODE_BITS {
        bail!(
            "--bits {}: the core is built for k = {} bit codes",
            a.bits,
            model::HW_CODE_BITS
        );
    }
    Ok(if a.octave {
        Codebook::octave(a.bits)?
    } else {
        Codebook::log(a.bits, a.threshold.unwrap_or(1e-3))?
    })
}

/// See [`Cmd::Stress`].
fn regress(jobs: usize, seed: u64) -> Result<()> {
    let shapes: [(usize, usize, f64); 6] = [
        (1, 1, 1.0),
        (17, 4, 0.5),
        (100, 6, 0.03),
        (512, 8, 0.25),
        (512, 4, 1.0),
        (256, 16, 0.0),
    ];
    let stimuli = [(0.0, 0.0), (0.2, 0.3), (0.7, 0.8)];
    let (mut runs, mut failed, mut cycles, mut cpu) = (0usize, 0usize, 0u64, 0f64);
    for d in [32usize, 64] {
        for variant in [Variant::General, Variant::Octave, Variant::Dense] {
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
            for (si, &(n, rows, density)) in shapes.iter().enumerate() {
                for (ti, &(idle, bp)) in stimuli.iter().enumerate() {
                    for k in 0..jobs {
                        let s = seed.wrapping_add((si * 100 + ti * 10 + k) as u64);
                        let job = AttnvJob::random_for(&params, variant, n, rows, density, s);
                        let cfg = DriveConfig {
                            seed: s,
                            idle_prob: idle,
                            backpressure_prob: bp,
                            ..Default::default()
                        };
                        let what = format!("{variant:?} D={d} n={n} rows={rows} density={density} idle={idle} bp={bp} seed={s}");
                        runs += 1;
                        let run = match sim.run(&job, &cfg) {
                            Ok(r) => r,
                            Err(e) => {
                                println!("FAIL {what}: {e:#}");
                                failed += 1;
                                continue;
                            }
                        };
                        cycles += run.total_cycles;
                        cpu += run.cpu.unwrap_or(run.wall).as_secs_f64();
                        if let Err(e) = sim::check::check_job(&job, &params, &run.out) {
                            println!("FAIL {what}: {e:#}");
                            failed += 1;
                        } else if idle == 0.0 && bp == 0.0 {
                            let want = model::timing::job_cycles(&params, variant, job.codes.view())
                                as u64;
                            if want != run.cycles {
                                println!(
                                    "FAIL {what}: {} cycles, model::timing predicts {want}",
                                    run.cycles
                                );
                                failed += 1;
                            }
                        }
                    }
                }
            }
        }
    }
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
