//! §2 The AttnV core in cycle-accurate simulation: efficiency and speed-up over the dense
//! baseline against sparsity (random codes and every MiniLM head), and cycles per head against
//! n, in Verilator.

use super::format::{md_table, thou};
use crate::fig::{self, Lines, Scale, Series};
use crate::Page;
use anyhow::{bail, Result};
use model::{Codebook, Variant};
use ndarray::Array2;
use plotters::prelude::SeriesLabelPosition;
use serde_json::json;
use sim::attnv::AttnvJob;
use sim::bench::{measure, Cores, Measured, Stimulus};

/// Runs one random job through `variant` and the dense baseline; checks it.
fn job_measure(
    cores: &mut Cores,
    variant: Variant,
    d: usize,
    n: usize,
    rows: usize,
    density: f64,
    seed: u64,
) -> Result<Measured> {
    let params = sim::bench::params_for(d)?;
    let job = AttnvJob::random_for(&params, variant, n, rows, density, seed);
    let want = model::accumulate(job.codes.view(), job.vq.view(), &job.weights);
    let m = measure(
        cores,
        &format!("{variant:?} d{d} n{n} density {density}"),
        variant,
        &job,
        &want,
        Stimulus::default(),
    )?;
    if !m.ok() {
        bail!(
            "{}: {}",
            m.name,
            m.error
                .as_deref()
                .unwrap_or("not bit-exact or off the model's cycles")
        );
    }
    Ok(m)
}

/// The fraction of `m`'s codes that are zero.
fn zeros(m: &Measured) -> f64 {
    1.0 - m.nnz as f64 / (m.n * m.rows) as f64
}

/// Efficiency and speed-up, each as curves (random codes) and dots (the MiniLM heads).
#[derive(Default)]
struct Curves {
    eff: Vec<Series>,
    spd: Vec<Series>,
    dots_e: Vec<Series>,
    dots_s: Vec<Series>,
}

/// §2: efficiency and speed-up vs sparsity (synthetic and every MiniLM head), cycles vs n.
pub fn run(page: &mut Page) -> Result<()> {
    page.log("§2 AttnV: efficiency vs sparsity, cycles vs n (Verilator)");
    let mut cores = Cores::default();
    let mut curves = Curves::default();
    sparsity_sweep(page, &mut cores, &mut curves)?;
    minilm_heads(page, &mut cores, &mut curves)?;
    sparsity_figures(page, &curves)?;
    cycles_vs_n(page, &mut cores)
}

/// Random codes at densities from 1 to 0, D = 64, n = 512, 32 rows, on both zero-skipping
/// variants; the ideal speed-up.
fn sparsity_sweep(page: &mut Page, cores: &mut Cores, curves: &mut Curves) -> Result<()> {
    let densities = [
        1.0, 0.7, 0.5, 0.3, 0.2, 0.15, 0.1, 0.07, 0.05, 0.03, 0.02, 0.01, 0.0,
    ];
    let mut rec = Vec::new();
    for variant in [Variant::General, Variant::Octave] {
        let (mut e, mut s) = (Vec::new(), Vec::new());
        for (i, &dens) in densities.iter().enumerate() {
            let m = job_measure(cores, variant, 64, 512, 32, dens, page.seed + i as u64)?;
            let zeros = zeros(&m);
            e.push((zeros, m.efficiency()));
            s.push((zeros, m.speedup()));
            rec.push(json!({"variant": format!("{variant:?}"), "zeros": zeros, "cycles": m.cycles, "ideal": m.ideal_cycles, "dense": m.dense_cycles}));
        }
        curves.eff.push((
            format!("{variant:?} core, random codes (D = 64, n = 512)").to_lowercase(),
            e,
        ));
        curves
            .spd
            .push((format!("{variant:?} core, random codes").to_lowercase(), s));
    }
    page.record("attnv_sparsity_sweep", &rec)?;
    let ideal: Vec<(f64, f64)> = (0..=100)
        .map(|i| {
            let z = i as f64 / 100.0;
            (z, (1.0 / (1.0 - z).max(1e-9)).min(16.0))
        })
        .collect();
    curves
        .spd
        .push(("ideal: min(1 / (1 - zeros), W = 16)".into(), ideal));
    Ok(())
}

/// Every MiniLM head with both codebooks: the dots of the figures and the real-attention table.
fn minilm_heads(page: &mut Page, cores: &mut Cores, curves: &mut Curves) -> Result<()> {
    let fx = page.fixture()?;
    let (p, v) = (&fx.probs, &fx.v);
    let mut real_rows = Vec::new();
    for (label, cb) in [
        ("log k=3, t=1e-3", Codebook::log(3, 1e-3)?),
        ("octave k=3", Codebook::octave(3)?),
    ] {
        let heads = sim::bench::heads_of(p, v, &cb)?;
        let ms = sim::bench::run_heads(cores, &heads, &cb, None)?;
        if let Some(bad) = ms.iter().find(|m| !m.ok()) {
            bail!(
                "MiniLM {label} {}: {}",
                bad.name,
                bad.error.as_deref().unwrap_or("mismatch")
            );
        }
        let pts = |f: &dyn Fn(&Measured) -> f64| -> Vec<(f64, f64)> {
            ms.iter().map(|m| (zeros(m), f(m))).collect()
        };
        curves
            .dots_e
            .push((format!("MiniLM heads, {label}"), pts(&|m| m.efficiency())));
        curves
            .dots_s
            .push((format!("MiniLM heads, {label}"), pts(&|m| m.speedup())));
        real_rows.push(real_row(label, &cb, &ms));
    }
    page.set(
        "attnv_real_table",
        md_table(
            &[
                "codebook",
                "core",
                "nnz",
                "cycles",
                "ideal",
                "efficiency",
                "worst head",
                "dense cycles",
                "speed-up",
                "ideal speed-up",
            ],
            &real_rows,
        ),
    );
    Ok(())
}

/// A codebook's row of the real-attention table: the total over the heads, and the worst
/// head's efficiency.
fn real_row(label: &str, cb: &Codebook, ms: &[Measured]) -> Vec<String> {
    let t = Measured::total(label, ms);
    let worst = ms
        .iter()
        .map(|m| m.efficiency())
        .fold(f64::INFINITY, f64::min);
    vec![
        label.to_string(),
        format!(
            "{}, D = {}",
            format!("{:?}", Variant::for_codebook(cb)).to_lowercase(),
            t.d
        ),
        thou(t.nnz),
        thou(t.cycles),
        thou(t.ideal_cycles),
        format!("**{:.3}**", t.efficiency()),
        format!("{worst:.3}"),
        thou(t.dense_cycles),
        format!("{:.2}", t.speedup()),
        format!("{:.2}", t.ideal_speedup()),
    ]
}

/// Efficiency and speed-up against the fraction of zero codes.
fn sparsity_figures(page: &Page, curves: &Curves) -> Result<()> {
    fig::lines(
        &page.figure("attnv_efficiency.svg"),
        &Lines {
            title: "AttnV zero-skipping efficiency (ideal cycles / cycles) vs sparsity",
            x: "fraction of zero codes",
            y: "efficiency",
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            y_range: Some((0.8, 1.05)),
            series: &curves.eff,
            dots: &curves.dots_e,
            legend: SeriesLabelPosition::LowerLeft,
        },
    )?;
    fig::lines(
        &page.figure("attnv_speedup.svg"),
        &Lines {
            title: "AttnV speed-up over the dense baseline (same job, Verilator) vs sparsity",
            x: "fraction of zero codes",
            y: "speed-up (dense cycles / cycles)",
            x_scale: Scale::Linear,
            y_scale: Scale::Log,
            y_range: Some((0.8, 20.0)),
            series: &curves.spd,
            dots: &curves.dots_s,
            legend: SeriesLabelPosition::UpperLeft,
        },
    )
}

/// Cycles per head against n (n query rows of n keys, D = 64): the zero-skipping core at 80%
/// and 95% zeros, the dense baseline, and the whole head as `model::timing` predicts it.
fn cycles_vs_n(page: &mut Page, cores: &mut Cores) -> Result<()> {
    let ns = [16usize, 32, 64, 128, 256, 512];
    let head_params = sim::bench::params_for(64)?;
    let mut s80 = Vec::new();
    let mut s95 = Vec::new();
    let mut dense = Vec::new();
    let mut whole = Vec::new();
    let mut rows = Vec::new();
    for (i, &n) in ns.iter().enumerate() {
        let a = job_measure(
            cores,
            Variant::General,
            64,
            n,
            n,
            0.2,
            page.seed + 100 + i as u64,
        )?;
        let b = job_measure(
            cores,
            Variant::General,
            64,
            n,
            n,
            0.05,
            page.seed + 200 + i as u64,
        )?;
        let codes = Array2::<u8>::zeros((n, n));
        let h = model::timing::head_cycles(&head_params, 1, Variant::General, codes.view()) as f64;
        s80.push((n as f64, a.cycles as f64));
        s95.push((n as f64, b.cycles as f64));
        dense.push((n as f64, a.dense_cycles as f64));
        whole.push((n as f64, h));
        rows.push(vec![
            n.to_string(),
            thou(a.cycles),
            thou(b.cycles),
            thou(a.dense_cycles),
            format!("{:.2} / {:.2}", a.speedup(), b.speedup()),
            thou(h as u64),
        ]);
    }
    page.set(
        "cycles_vs_n_table",
        md_table(
            &[
                "n = rows",
                "AttnV, 80% zeros",
                "AttnV, 95% zeros",
                "dense baseline",
                "speed-up 80% / 95%",
                "whole head (front end + AttnV), model",
            ],
            &rows,
        ),
    );
    let series = vec![
        ("AttnV zero-skipping, 80% zeros".to_string(), s80),
        ("AttnV zero-skipping, 95% zeros".to_string(), s95),
        ("AttnV dense baseline (one code a cycle)".to_string(), dense),
        (
            "whole head: front end (one key a cycle) + AttnV".to_string(),
            whole,
        ),
    ];
    fig::lines(
        &page.figure("cycles_vs_n.svg"),
        &Lines {
            title: "Cycles per head (n query rows of n keys, D = 64)",
            x: "n",
            y: "cycles",
            x_scale: Scale::Log,
            y_scale: Scale::Log,
            y_range: None,
            series: &series,
            dots: &[],
            legend: SeriesLabelPosition::LowerRight,
        },
    )?;
    Ok(())
}
