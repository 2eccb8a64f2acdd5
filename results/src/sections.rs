//! The page's sections: each measures, sets its placeholders and writes its figures.

use crate::fig::{self, Lines, Scale, Series};
use crate::Page;
use anyhow::{bail, ensure, Context, Result};
use model::analysis::{analyze, log_bin, sparsity, MemoryFigures, Method, JSD_BINS, JSD_LOG10_MIN};
use model::{Codebook, Variant};
use ndarray::{Array2, ArrayD, Axis, IxDyn};
use plotters::prelude::SeriesLabelPosition;
use serde_json::{json, Value};
use sim::attnv::AttnvJob;
use sim::bench::{measure, Cores, Stimulus};
use std::fmt::Write;

/// `1234567` as `1,234,567`.
pub fn thou(x: u64) -> String {
    let s = x.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Microseconds, as µs or ms.
fn us(x: f64) -> String {
    if x >= 1000.0 {
        format!("{:.2} ms", x / 1e3)
    } else {
        format!("{x:.1} µs")
    }
}

/// Microjoules, as µJ or mJ.
fn uj(x: f64) -> String {
    if x >= 1000.0 {
        format!("{:.2} mJ", x / 1e3)
    } else {
        format!("{x:.1} µJ")
    }
}

/// `a / b` as a factor: `18.2x`, `5278x`, or `1/2.9` when below one.
fn x(a: f64, b: f64) -> String {
    let r = a / b;
    if r >= 100.0 {
        format!("{r:.0}x")
    } else if r >= 1.0 {
        format!("{r:.1}x")
    } else {
        format!("1/{:.1}", 1.0 / r)
    }
}

/// A markdown table.
fn md_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for r in rows {
        let cells: Vec<String> = r.iter().map(|c| c.replace('|', "\\|")).collect();
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
    s.trim_end().to_string()
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// The fixture's directory.
fn fixture(page: &Page) -> std::path::PathBuf {
    page.root.join("tests/fixtures/minilm")
}

/// `[layer, head, rows, n]` probabilities as `[layer * head, rows * n]`.
fn per_head(p: &ArrayD<f32>) -> Result<(usize, usize, Array2<f32>)> {
    let s = p.shape();
    ensure!(
        s.len() == 4,
        "the fixture's probabilities are [layer, head, rows, n], got {s:?}"
    );
    let (l, h) = (s[0], s[1]);
    let flat = p
        .to_shape(IxDyn(&[l * h, s[2] * s[3]]))
        .context("reshaping the fixture")?
        .into_dimensionality()?
        .to_owned();
    Ok((l, h, flat))
}

// ---------------------------------------------------------------------------------------------
// §1 Attention statistics

/// §1: sparsity, top-k mass, JSD and memory of the fixture's attention; per-head histograms.
pub fn attention(page: &mut Page) -> Result<()> {
    page.log("§1 attention statistics of the MiniLM fixture");
    let fx = page.fixture()?;
    let p = &fx.probs;
    let (bits, t) = (3, 1e-3);
    let methods = vec![
        Method::Log { bits, threshold: t },
        Method::Octave { bits },
        Method::LogNoPrune { bits, threshold: t },
        Method::Linear { bits, threshold: t },
        Method::Boolean { threshold: t },
    ];
    let report = analyze(p.view(), &methods).map_err(|e| anyhow::anyhow!("fixture: {e}"))?;
    let (layers, heads, flat) = per_head(p)?;
    page.set(
        "fixture_shape",
        format!(
            "{layers} layers x {heads} heads of {} x {}",
            p.shape()[2],
            p.shape()[3]
        ),
    );
    page.set("fixture_values", thou(p.len() as u64));

    // Sparsity table.
    let mut header = vec!["fraction below".to_string()];
    header.extend(report.thresholds.iter().map(|t| format!("{t:e}")));
    let mut rows = vec![{
        let mut r = vec!["all layers".to_string()];
        r.extend(report.overall.sparsity.iter().map(|s| format!("{s:.3}")));
        r
    }];
    for g in &report.per_layer {
        let mut r = vec![format!("layer {}", g.layer.unwrap_or(0))];
        r.extend(g.sparsity.iter().map(|s| format!("{s:.3}")));
        rows.push(r);
    }
    let h: Vec<&str> = header.iter().map(|s| s.as_str()).collect();
    page.set("sparsity_table", md_table(&h, &rows));
    let at = |th: f64| {
        report
            .thresholds
            .iter()
            .position(|&x| (x - th).abs() < th * 1e-9)
            .map(|i| report.overall.sparsity[i])
    };
    page.set(
        "below_1e3",
        format!("{:.3}", at(1e-3).context("threshold 1e-3 in the report")?),
    );
    page.set(
        "below_1e2",
        format!("{:.3}", at(1e-2).context("threshold 1e-2 in the report")?),
    );
    let topk = report.overall.top_k_half_mass;
    page.set("topk_mean", format!("{:.1}", topk.mean));
    page.set("topk_std", format!("{:.1}", topk.std));
    let by_layer: Vec<(usize, f64)> = report
        .per_layer
        .iter()
        .map(|g| (g.layer.unwrap_or(0), g.top_k_half_mass.mean))
        .collect();
    let lo = by_layer
        .iter()
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .context("layers")?;
    let hi = by_layer
        .iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .context("layers")?;
    page.set("topk_layer_min", format!("layer {}: {:.1}", lo.0, lo.1));
    page.set("topk_layer_max", format!("layer {}: {:.1}", hi.0, hi.1));

    // JSD table.
    let names = [
        "log, t = 1e-3 (the hardware's)",
        "octave, t = 2^-7 (shift-only hardware)",
        "log without pruning",
        "linear (Algorithm 1), t = 1e-3",
        "boolean, t = 1e-3",
    ];
    let rows: Vec<Vec<String>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            vec![
                n.to_string(),
                format!("{:.3}", report.overall.jsd[i]),
                format!("{:.3}", report.overall.jsd_distribution[i]),
            ]
        })
        .collect();
    page.set(
        "jsd_table",
        md_table(
            &["method", "log-binned histograms", "rows as distributions"],
            &rows,
        ),
    );
    page.record("attention_report", &report)?;

    // Figures: per-head histograms and cumulative histograms, sparsity vs threshold per layer.
    let x_of = |b: usize| JSD_LOG10_MIN + (b as f64 + 0.5) * (-JSD_LOG10_MIN / JSD_BINS as f64);
    let mut hist_panels = Vec::new();
    let mut cum_panels = Vec::new();
    for (i, row) in flat.outer_iter().enumerate() {
        let mut hcount = vec![0f64; JSD_BINS];
        for &x in row.iter() {
            hcount[log_bin(x as f64)] += 1.0;
        }
        let total = row.len() as f64;
        let pts: Vec<(f64, f64)> = hcount
            .iter()
            .enumerate()
            .map(|(b, &c)| (x_of(b), c / total))
            .collect();
        let mut acc = 0.0;
        let cum: Vec<(f64, f64)> = pts
            .iter()
            .map(|&(x, y)| {
                acc += y;
                (x, acc)
            })
            .collect();
        let name = format!("L{} H{}", i / heads, i % heads);
        hist_panels.push((name.clone(), vec![(String::new(), pts)]));
        cum_panels.push((name, vec![(String::new(), cum)]));
    }
    fig::grid(
        &page.figure("attention_histograms.svg"),
        "Histograms of attention probabilities per head (MiniLM, 128 tokens)",
        heads,
        (150, 110),
        "log10(alpha), -10..0; values below 1e-10 in the first bin",
        "fraction of values, each panel its own scale",
        Scale::Linear,
        None,
        &hist_panels,
    )?;
    fig::grid(
        &page.figure("attention_cumulative.svg"),
        "Cumulative histograms of attention probabilities per head",
        heads,
        (150, 110),
        "log10(alpha), -10..0",
        "fraction below",
        Scale::Linear,
        Some((0.0, 1.0)),
        &cum_panels,
    )?;
    let thresholds: Vec<f64> = (0..=36)
        .map(|i| 10f64.powf(-6.0 + i as f64 / 6.0))
        .collect();
    let p4 = p.view().into_dimensionality::<ndarray::Ix4>()?;
    let series: Vec<Series> = (0..layers)
        .map(|l| {
            let s = sparsity(p4.index_axis(Axis(0), l).iter(), &thresholds);
            (
                format!("layer {l}"),
                thresholds.iter().copied().zip(s).collect(),
            )
        })
        .collect();
    fig::lines(
        &page.figure("sparsity_vs_threshold.svg"),
        &Lines {
            title: "Fraction of attention probabilities below t, per layer",
            x: "threshold t",
            y: "fraction pruned",
            x_scale: Scale::Log,
            y_scale: Scale::Linear,
            y_range: Some((0.0, 1.0)),
            series: &series,
            dots: &[],
            legend: SeriesLabelPosition::LowerRight,
        },
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// §1 Quantizers: error and code agreement vs bits and threshold; memory

/// §1: the quantizers compared over bits and thresholds; the memory table.
pub fn quantizers(page: &mut Page) -> Result<()> {
    page.log("§1 quantizers: error and code agreement vs bits and threshold");
    let fx = page.fixture()?;
    let (q, k, v, p) = (&fx.q, &fx.k, &fx.v, &fx.probs);
    let bits = [2u32, 3, 4];
    let thresholds: Vec<f64> = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1].to_vec();
    let points = model::sweep::sweep(q.view(), k.view(), v.view(), p.view(), &bits, &thresholds)
        .map_err(|e| anyhow::anyhow!("quantizer sweep: {e}"))?;
    page.record("quantizer_sweep", &points)?;
    let curve = |method: &str,
                 b: u32,
                 f: &dyn Fn(&model::sweep::SweepPoint) -> Option<f64>|
     -> Vec<(f64, f64)> {
        points
            .iter()
            .filter(|x| x.method == method && x.bits == b)
            .filter_map(|x| f(x).map(|y| (x.threshold, y)))
            .collect()
    };
    let mut err_series = Vec::new();
    let mut agree_series = Vec::new();
    let mut dots_err = Vec::new();
    let mut dots_agree = Vec::new();
    for &b in &bits {
        err_series.push((
            format!("log, k = {b}"),
            curve("log", b, &|x| Some(x.output_error)),
        ));
        err_series.push((
            format!("linear, k = {b}"),
            curve("linear", b, &|x| Some(x.output_error)),
        ));
        agree_series.push((
            format!("log, k = {b}"),
            curve("log", b, &|x| x.code_agreement),
        ));
        dots_err.push((
            format!("octave, k = {b}"),
            curve("octave", b, &|x| Some(x.output_error)),
        ));
        dots_agree.push((
            format!("octave, k = {b}"),
            curve("octave", b, &|x| x.code_agreement),
        ));
    }
    let boolean: Vec<(f64, f64)> = points
        .iter()
        .filter(|x| x.method == "boolean")
        .map(|x| (x.threshold, x.output_error))
        .collect();
    err_series.push(("boolean".into(), boolean));
    dots_agree.retain(|s| !s.1.is_empty());
    fig::lines(
        &page.figure("quantizer_error.svg"),
        &Lines {
            title: "Output error of P~ V against float P V (MiniLM, all heads)",
            x: "pruning threshold t",
            y: "relative Frobenius error",
            x_scale: Scale::Log,
            y_scale: Scale::Log,
            y_range: None,
            series: &err_series,
            dots: &dots_err,
            legend: SeriesLabelPosition::UpperRight,
        },
    )?;
    fig::lines(
        &page.figure("code_agreement.svg"),
        &Lines {
            title: "Codes of the bit-exact front end equal to the float quantizer's",
            x: "pruning threshold t",
            y: "code agreement",
            x_scale: Scale::Log,
            y_scale: Scale::Linear,
            y_range: None,
            series: &agree_series,
            dots: &dots_agree,
            legend: SeriesLabelPosition::LowerRight,
        },
    )?;
    // The k = 3 rows as a table.
    let mut rows = Vec::new();
    for x in points
        .iter()
        .filter(|x| x.bits == 3 || x.method == "boolean")
    {
        if x.method != "octave"
            && ![1e-4, 1e-3, 1e-2]
                .iter()
                .any(|t| (t - x.threshold).abs() < t * 1e-9)
        {
            continue;
        }
        rows.push(vec![
            x.method.clone(),
            if x.method == "boolean" {
                "1".into()
            } else {
                x.bits.to_string()
            },
            format!("{:e}", x.threshold),
            pct(x.kept),
            format!("{:.4}", x.output_error),
            x.code_agreement
                .map_or("-".into(), |a| format!("{:.2}%", 100.0 * a)),
        ]);
    }
    page.set(
        "quantizer_table",
        md_table(
            &["method", "k", "t", "kept", "output error", "code agreement"],
            &rows,
        ),
    );
    let find = |m: &str, b: u32, t: f64| {
        points
            .iter()
            .find(|x| x.method == m && x.bits == b && (x.threshold - t).abs() < t * 1e-9)
    };
    let log3 = find("log", 3, 1e-3).context("log k = 3 t = 1e-3 in the sweep")?;
    page.set("log3_err", format!("{:.3}", log3.output_error));
    page.set(
        "log3_agree",
        format!(
            "{:.2}%",
            100.0 * log3.code_agreement.context("log has code agreement")?
        ),
    );
    let lin3 = find("linear", 3, 1e-3).context("linear k = 3 in the sweep")?;
    page.set("lin3_err", format!("{:.3}", lin3.output_error));
    let boo = points
        .iter()
        .find(|x| x.method == "boolean" && (x.threshold - 1e-3).abs() < 1e-12)
        .context("boolean t = 1e-3 in the sweep")?;
    page.set("bool_err", format!("{:.3}", boo.output_error));

    // Memory per attention matrix on the fixture, per codebook.
    let (_, _, flat) = per_head(p)?;
    let s = p.shape();
    let (rows_total, n) = ((s[0] * s[1] * s[2]) as u64, s[3] as u64);
    let mut mem_rows = Vec::new();
    let mib = |b: u64| format!("{:.3}", b as f64 / 8.0 / 1024.0 / 1024.0);
    let base = MemoryFigures::new(rows_total, n, 0, 3);
    mem_rows.push(vec![
        "fp32".into(),
        mib(base.fp32_bits),
        "100%".into(),
        "-".into(),
        "-".into(),
    ]);
    mem_rows.push(vec![
        "fp16".into(),
        mib(base.fp16_bits),
        pct(0.5),
        "-".into(),
        "-".into(),
    ]);
    mem_rows.push(vec![
        "dense 3-bit codes".into(),
        mib(base.dense_code_bits),
        pct(base.dense_code_bits as f64 / base.fp32_bits as f64),
        "-".into(),
        "-".into(),
    ]);
    let mut best: (f64, String) = (0.0, String::new());
    for (label, cb, m) in [
        ("log t = 1e-3", Codebook::log(3, 1e-3)?, "log"),
        ("log t = 1e-2", Codebook::log(3, 1e-2)?, "log"),
        ("octave (t = 2^-7)", Codebook::octave(3)?, "octave"),
    ] {
        let nnz = flat.iter().filter(|&&x| cb.code(x) != 0).count() as u64;
        let f = MemoryFigures::new(rows_total, n, nnz, 3);
        let err = points
            .iter()
            .find(|x| {
                x.method == m
                    && x.bits == 3
                    && (m == "octave"
                        || (x.threshold - cb.threshold()).abs() < cb.threshold() * 1e-9)
            })
            .map_or("-".into(), |x| format!("{:.3}", x.output_error));
        mem_rows.push(vec![
            format!(
                "sparse ({}-bit index, 3-bit code) + row counts, {label} ({} kept)",
                7,
                pct(nnz as f64 / f.values as f64)
            ),
            mib(f.sparse_code_bits),
            pct(f.sparse_code_bits as f64 / f.fp32_bits as f64),
            pct(f.best_saving_vs_fp32),
            err,
        ]);
        if f.best_saving_vs_fp32 > best.0 {
            best = (f.best_saving_vs_fp32, label.to_string());
        }
        page.record(&format!("memory {label}"), &f)?;
    }
    page.set(
        "memory_table",
        md_table(
            &[
                "format",
                "MiB",
                "vs fp32",
                "best saving (sparse or dense codes)",
                "output error (k = 3)",
            ],
            &mem_rows,
        ),
    );
    page.set("memory_best", format!("{} ({})", pct(best.0), best.1));
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// §2 The AttnV core: efficiency vs sparsity, cycles vs n

/// Runs one random job through `variant` and the dense baseline; checks it.
fn job_measure(
    cores: &mut Cores,
    variant: Variant,
    d: usize,
    n: usize,
    rows: usize,
    density: f64,
    seed: u64,
) -> Result<sim::bench::Measured> {
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

/// §2: efficiency and speed-up vs sparsity (synthetic and every MiniLM head), cycles vs n.
pub fn attnv(page: &mut Page) -> Result<()> {
    page.log("§2 AttnV: efficiency vs sparsity, cycles vs n (Verilator)");
    let mut cores = Cores::default();
    let densities = [
        1.0, 0.7, 0.5, 0.3, 0.2, 0.15, 0.1, 0.07, 0.05, 0.03, 0.02, 0.01, 0.0,
    ];
    let mut eff: Vec<Series> = Vec::new();
    let mut spd: Vec<Series> = Vec::new();
    let mut rec = Vec::new();
    for variant in [Variant::General, Variant::Octave] {
        let (mut e, mut s) = (Vec::new(), Vec::new());
        for (i, &dens) in densities.iter().enumerate() {
            let m = job_measure(&mut cores, variant, 64, 512, 32, dens, page.seed + i as u64)?;
            let zeros = 1.0 - m.nnz as f64 / (m.n * m.rows) as f64;
            e.push((zeros, m.efficiency()));
            s.push((zeros, m.speedup()));
            rec.push(json!({"variant": format!("{variant:?}"), "zeros": zeros, "cycles": m.cycles, "ideal": m.ideal_cycles, "dense": m.dense_cycles}));
        }
        eff.push((
            format!("{variant:?} core, random codes (D = 64, n = 512)").to_lowercase(),
            e,
        ));
        spd.push((format!("{variant:?} core, random codes").to_lowercase(), s));
    }
    page.record("attnv_sparsity_sweep", &rec)?;
    let ideal: Vec<(f64, f64)> = (0..=100)
        .map(|i| {
            let z = i as f64 / 100.0;
            (z, (1.0 / (1.0 - z).max(1e-9)).min(16.0))
        })
        .collect();
    spd.push(("ideal: min(1 / (1 - zeros), W = 16)".into(), ideal));

    // Every MiniLM head, both codebooks.
    let fx = page.fixture()?;
    let (p, v) = (&fx.probs, &fx.v);
    let mut dots_e = Vec::new();
    let mut dots_s = Vec::new();
    let mut real_rows = Vec::new();
    for (label, cb) in [
        ("log k=3, t=1e-3", Codebook::log(3, 1e-3)?),
        ("octave k=3", Codebook::octave(3)?),
    ] {
        let heads = sim::bench::heads_of(p, v, &cb)?;
        let ms = sim::bench::run_heads(&mut cores, &heads, &cb, None)?;
        if let Some(bad) = ms.iter().find(|m| !m.ok()) {
            bail!(
                "MiniLM {label} {}: {}",
                bad.name,
                bad.error.as_deref().unwrap_or("mismatch")
            );
        }
        let pts = |f: &dyn Fn(&sim::bench::Measured) -> f64| -> Vec<(f64, f64)> {
            ms.iter()
                .map(|m| (1.0 - m.nnz as f64 / (m.n * m.rows) as f64, f(m)))
                .collect()
        };
        dots_e.push((format!("MiniLM heads, {label}"), pts(&|m| m.efficiency())));
        dots_s.push((format!("MiniLM heads, {label}"), pts(&|m| m.speedup())));
        let t = sim::bench::Measured::total(label, &ms);
        let worst = ms
            .iter()
            .map(|m| m.efficiency())
            .fold(f64::INFINITY, f64::min);
        real_rows.push(vec![
            label.to_string(),
            format!(
                "{}, D = {}",
                format!("{:?}", model::Variant::for_codebook(&cb)).to_lowercase(),
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
        ]);
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
    fig::lines(
        &page.figure("attnv_efficiency.svg"),
        &Lines {
            title: "AttnV zero-skipping efficiency (ideal cycles / cycles) vs sparsity",
            x: "fraction of zero codes",
            y: "efficiency",
            x_scale: Scale::Linear,
            y_scale: Scale::Linear,
            y_range: Some((0.8, 1.05)),
            series: &eff,
            dots: &dots_e,
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
            series: &spd,
            dots: &dots_s,
            legend: SeriesLabelPosition::UpperLeft,
        },
    )?;

    // Cycles per head vs n: rows = n keys, D = 64.
    let ns = [16usize, 32, 64, 128, 256, 512];
    let head_params = sim::bench::params_for(64)?;
    let mut s80 = Vec::new();
    let mut s95 = Vec::new();
    let mut dense = Vec::new();
    let mut whole = Vec::new();
    let mut rows = Vec::new();
    for (i, &n) in ns.iter().enumerate() {
        let a = job_measure(
            &mut cores,
            Variant::General,
            64,
            n,
            n,
            0.2,
            page.seed + 100 + i as u64,
        )?;
        let b = job_measure(
            &mut cores,
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

// ---------------------------------------------------------------------------------------------
// §2 and §5: the regression tables

/// §2 and §5: the simulator's regression (`cargo run -p sim`) as tables.
pub fn regression(page: &mut Page) -> Result<()> {
    page.log("§2/§5 the regression: AttnV cases and whole heads (Verilator)");
    let fx = fixture(page);
    let mut cores = Cores::default();
    let outcomes = sim::regression::run(&mut cores, page.seed, &fx)?;
    let mut rows = Vec::new();
    for o in &outcomes {
        let m = &o.measured;
        ensure!(
            m.ok(),
            "regression case {}: {}",
            m.name,
            m.error.as_deref().unwrap_or("failed")
        );
        rows.push(vec![
            m.name.clone(),
            format!("{:?}", o.variant).to_lowercase(),
            m.n.to_string(),
            m.d.to_string(),
            m.nnz.to_string(),
            m.cycles.to_string(),
            m.ideal_cycles.to_string(),
            format!("{:.3}", m.efficiency()),
            m.dense_cycles.to_string(),
            format!("{:.2}", m.speedup()),
            format!("{:.2}", m.ideal_speedup()),
            "yes".into(),
            o.note.clone(),
        ]);
    }
    page.set("regression_cases", outcomes.len().to_string());
    page.set(
        "regression_table",
        md_table(
            &[
                "case", "variant", "n", "D", "nnz", "cycles", "ideal", "eff", "dense", "speed-up",
                "ideal×", "exact", "note",
            ],
            &rows,
        ),
    );
    let mut heads = sim::qkv::HeadCores::default();
    let on_chip = sim::regression::on_chip(&mut heads, page.seed, &fx)?;
    let mut rows = Vec::new();
    for h in &on_chip {
        ensure!(
            h.ok(),
            "whole head {}: {}",
            h.name,
            h.error.as_deref().unwrap_or("cycles differ from the model")
        );
        rows.push(vec![
            h.name.clone(),
            thou(h.rows as u64),
            h.n.to_string(),
            h.d.to_string(),
            h.valid_len.to_string(),
            thou(h.cycles),
            h.cycles_model.map_or("-".into(), thou),
            "yes".into(),
            format!("{:.3}%", 100.0 * h.code_agreement),
            format!("{:.4}", h.rel_err_vs_float_quantized),
            format!("{:.4}", h.rel_err_vs_float),
            format!("{:.4}", h.rel_err_float_quantized_vs_float),
        ]);
    }
    page.set(
        "head_table",
        md_table(
            &[
                "case", "rows", "n", "D", "valid", "cycles", "model", "exact", "agree", "err/fq",
                "err/f", "fq/f",
            ],
            &rows,
        ),
    );
    let minilm = on_chip
        .iter()
        .find(|h| h.name.starts_with("MiniLM log") && !h.name.contains("valid"))
        .context("the regression's MiniLM log head row")?;
    page.set(
        "minilm_head_agree",
        format!("{:.2}%", 100.0 * minilm.code_agreement),
    );
    page.set("minilm_head_err", format!("{:.4}", minilm.rel_err_vs_float));
    page.set(
        "minilm_head_ratio",
        format!(
            "{:.3}",
            minilm.rel_err_vs_float / minilm.rel_err_float_quantized_vs_float
        ),
    );
    let hb = sim::headbench::run(&mut heads, page.seed)?;
    let mut rows = Vec::new();
    for r in &hb {
        ensure!(
            r.bit_exact && r.cycles_model == Some(r.cycles),
            "head bench D = {} n = {}: not exact",
            r.d,
            r.n
        );
        rows.push(vec![
            r.d.to_string(),
            r.n.to_string(),
            r.p.to_string(),
            r.variant.clone(),
            thou(r.cycles),
            r.load.to_string(),
            r.bound.clone(),
            thou(r.overhead as u64),
            thou(r.us_at_100mhz.round() as u64),
        ]);
    }
    page.set(
        "head_cycles_table",
        md_table(
            &[
                "D",
                "n",
                "P",
                "variant",
                "cycles",
                "load",
                "bound",
                "overhead",
                "µs at 100 MHz",
            ],
            &rows,
        ),
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// §3 Simulator speed

/// §3: rust-hdl's native simulator against Verilator, side by side.
pub fn speed(page: &mut Page) -> Result<()> {
    page.log("§3 simulator speed: rust-hdl native vs Verilator (the native simulator runs a few thousand cycles a second)");
    let opts = sim::speed::SpeedOptions {
        variants: vec![Variant::General, Variant::Octave],
        n: 512,
        rows: 64,
        density: 0.25,
        seed: page.seed,
        verilator_min_secs: 2.0,
    };
    let rs = sim::speed::run(&opts)?;
    let mut rows = Vec::new();
    for r in &rs {
        ensure!(
            r.ok,
            "speed {}: outputs or cycles differ from the model",
            r.variant
        );
        rows.push(vec![
            r.variant.to_lowercase(),
            format!(
                "{} cycles/s",
                thou(r.native.cycles_per_cpu_sec.round() as u64)
            ),
            format!("{:.2} M cycles/s", r.verilator.cycles_per_cpu_sec / 1e6),
            format!("{:.0}x", r.ratio_cpu),
        ]);
    }
    page.set(
        "speed_job",
        format!(
            "D = 64, N_MAX = 512, n = {} keys x {} rows, {:.0}% non-zero codes",
            opts.n,
            opts.rows,
            100.0 * opts.density
        ),
    );
    page.set(
        "speed_table",
        md_table(&["variant", "rust-hdl native", "Verilator", "ratio"], &rows),
    );
    page.record("simulator_speed", &rs)?;
    let cats: Vec<String> = rs.iter().map(|r| r.variant.to_lowercase()).collect();
    fig::bars(
        &page.figure("simulator_speed.svg"),
        "Simulated cycles per CPU second, same core and job, one run",
        "cycles per CPU second",
        Scale::Log,
        &cats,
        &[
            (
                "rust-hdl native".into(),
                rs.iter().map(|r| r.native.cycles_per_cpu_sec).collect(),
            ),
            (
                "Verilator (sim crate)".into(),
                rs.iter().map(|r| r.verilator.cycles_per_cpu_sec).collect(),
            ),
        ],
        700,
        None,
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// §4-§6 Synthesis and bitstreams (committed records)

fn read_json(path: &std::path::Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))
}

/// One resource record: name, (resource, used, available)..., target and Fmax.
struct Usage {
    name: String,
    res: Vec<(&'static str, u64, u64)>,
    target: Option<f64>,
    fmax: Option<f64>,
}

/// §4-§6: the bitstreams' manifests and the out-of-context synthesis records as tables and
/// figures.
pub fn hardware(page: &mut Page) -> Result<()> {
    page.log("§4-§6 synthesis records and bitstream manifests");
    let mut usages = Vec::new();
    let mut rows = Vec::new();
    for board in ["ulx3s", "alchitry_cu"] {
        let b = hdl::boards::board(board).context("known board")?;
        for design in b.link_designs().iter().chain(["echo"].iter()) {
            let path = page
                .root
                .join(format!("bitstreams/{board}/{design}.manifest.json"));
            let m = read_json(&path)?;
            let r = &m["resources"];
            let g = |k: &str| {
                (
                    r[k]["used"].as_u64().unwrap_or(0),
                    r[k]["available"].as_u64().unwrap_or(0),
                )
            };
            let fmax = m["fmax_mhz"]
                .as_object()
                .and_then(|o| o.values().filter_map(|v| v.as_f64()).reduce(f64::min));
            let target = m["target_mhz"].as_f64();
            let (logic, bram, dsp, res) = if board == "ulx3s" {
                let (l, la) = g("lut4");
                let (br, bra) = g("bram_dp16kd");
                let (d, da) = g("dsp_mult18x18d");
                let (f, fa) = g("ff");
                (
                    format!(
                        "{} / {} LUT4 ({})",
                        thou(l),
                        thou(la),
                        pct(l as f64 / la as f64)
                    ),
                    format!("{br} / {bra} DP16KD"),
                    format!("{d} / {da} MULT18X18D"),
                    vec![
                        ("LUT", l, la),
                        ("FF", f, fa),
                        ("BRAM", br, bra),
                        ("DSP", d, da),
                    ],
                )
            } else {
                let (l, la) = g("logic_cells");
                let (br, bra) = g("bram_ram40_4k");
                let (f, _) = g("ff");
                (
                    format!(
                        "{} / {} LC ({})",
                        thou(l),
                        thou(la),
                        pct(l as f64 / la as f64)
                    ),
                    format!("{br} / {bra} RAM40_4K"),
                    "none on the part".into(),
                    vec![("LUT", l, la), ("FF", f, la), ("BRAM", br, bra)],
                )
            };
            rows.push(vec![
                format!("{board}/{design}"),
                if *design == "echo" {
                    format!("{}: UART echo (bring-up)", b.device)
                } else {
                    let bd = b.for_design(design).map_err(anyhow::Error::msg)?;
                    format!(
                        "{}: {}, D = {}",
                        b.device,
                        if bd.design.front_end {
                            "whole head"
                        } else {
                            "AttnV core (codes in)"
                        },
                        bd.design.d
                    )
                },
                logic,
                thou(g("ff").0),
                bram,
                dsp,
                target.map_or("-".into(), |t| format!("{t:.0} MHz")),
                fmax.map_or("-".into(), |f| format!("**{f:.1} MHz**")),
                if m["timing_met"].as_bool() == Some(true) {
                    "yes".into()
                } else {
                    "**no**".into()
                },
            ]);
            usages.push(Usage {
                name: format!("{board}/{design}"),
                res,
                target,
                fmax,
            });
        }
    }
    page.set(
        "bitstream_table",
        md_table(
            &[
                "bitstream",
                "design",
                "logic",
                "FF",
                "block RAM",
                "DSP",
                "target",
                "Fmax (nextpnr)",
                "met",
            ],
            &rows,
        ),
    );
    let core = read_json(&page.root.join("bitstreams/ulx3s/core.manifest.json"))?;
    page.set(
        "ulx3s_core_fmax",
        format!(
            "{:.1} MHz",
            core["fmax_mhz"]
                .as_object()
                .and_then(|o| o.values().filter_map(|v| v.as_f64()).reduce(f64::min))
                .context("core manifest Fmax")?
        ),
    );
    page.set(
        "ulx3s_core_lut",
        thou(core["resources"]["lut4"]["used"].as_u64().unwrap_or(0)),
    );
    page.set(
        "ulx3s_core_mult",
        core["resources"]["dsp_mult18x18d"]["used"]
            .as_u64()
            .unwrap_or(0)
            .to_string(),
    );
    page.set(
        "ulx3s_core_bram",
        core["resources"]["bram_dp16kd"]["used"]
            .as_u64()
            .unwrap_or(0)
            .to_string(),
    );

    // Out-of-context ECP5 runs and the XC7A50T estimates (docs/data/synthesis.json).
    let syn = read_json(&page.root.join("docs/data/synthesis.json"))?;
    let mut ooc_rows = Vec::new();
    for r in syn["ecp5_out_of_context"]
        .as_array()
        .context("synthesis.json: ecp5_out_of_context")?
    {
        let u = |k: &str| r[k].as_u64().unwrap_or(0);
        let name = r["name"].as_str().unwrap_or("?").to_string();
        ooc_rows.push(vec![
            name.clone(),
            format!("{} ({})", thou(u("lut4")), pct(u("lut4") as f64 / 83_640.0)),
            format!("{} ({})", thou(u("ff")), pct(u("ff") as f64 / 83_640.0)),
            format!("{} ({})", u("mult18"), pct(u("mult18") as f64 / 156.0)),
            format!("{} ({})", u("dp16kd"), pct(u("dp16kd") as f64 / 208.0)),
            format!("**{:.1} MHz**", r["fmax_mhz"].as_f64().unwrap_or(0.0)),
            if r["fmax_mhz"].as_f64().unwrap_or(0.0) >= r["target_mhz"].as_f64().unwrap_or(f64::MAX)
            {
                "met".into()
            } else {
                "not met".into()
            },
        ]);
        usages.push(Usage {
            name: format!(
                "OOC {}",
                name.replace(", D = ", " D")
                    .replace("general", "gen")
                    .replace("octave", "oct")
                    .replace("dense baseline", "dense")
            ),
            res: vec![
                ("LUT", u("lut4"), 83_640),
                ("FF", u("ff"), 83_640),
                ("BRAM", u("dp16kd"), 208),
                ("DSP", u("mult18"), 156),
            ],
            target: r["target_mhz"].as_f64(),
            fmax: r["fmax_mhz"].as_f64(),
        });
    }
    page.set(
        "ooc_table",
        md_table(
            &[
                "ECP5-85F, out of context, 100 MHz target",
                "LUT4",
                "FF",
                "MULT18X18D",
                "DP16KD",
                "Fmax after routing",
                "100 MHz",
            ],
            &ooc_rows,
        ),
    );
    let avail = &syn["xc7_available"];
    let mut xrows = Vec::new();
    for r in syn["xc7_estimates"]
        .as_array()
        .context("synthesis.json: xc7_estimates")?
    {
        let u = |k: &str| r[k].as_u64().unwrap_or(0);
        let of = |k: &str| pct(u(k) as f64 / avail[k].as_f64().unwrap_or(f64::MAX));
        let fits = u("lut") <= avail["lut"].as_u64().unwrap_or(0)
            && u("ff") <= avail["ff"].as_u64().unwrap_or(0)
            && u("dsp48e1") <= avail["dsp48e1"].as_u64().unwrap_or(0);
        xrows.push(vec![
            r["name"].as_str().unwrap_or("?").to_string(),
            format!("{} ({})", thou(u("lut")), of("lut")),
            format!("{} ({})", thou(u("ff")), of("ff")),
            if fits {
                format!("{} ({})", u("dsp48e1"), of("dsp48e1"))
            } else {
                format!("**{} ({})**", u("dsp48e1"), of("dsp48e1"))
            },
            r["bram"].as_str().unwrap_or("?").to_string(),
            if fits { "yes".into() } else { "**no**".into() },
        ]);
    }
    page.set(
        "xc7_table",
        md_table(
            &[
                "XC7A50T (synth_xilinx estimate)",
                "LUT",
                "FF",
                "DSP48E1",
                "block RAM",
                "fits",
            ],
            &xrows,
        ),
    );
    // The AttnV variants per board: ECP5 and XC7A50T core rows, the iCE40 link designs.
    let find = |arr: &str, name: &str| -> Result<Value> {
        syn[arr]
            .as_array()
            .and_then(|a| a.iter().find(|r| r["name"] == name).cloned())
            .with_context(|| format!("synthesis.json: {arr} has no `{name}`"))
    };
    let mut ecp5 = vec![
        "ULX3S, LFE5U-85F".to_string(),
        "the D = 64 core, out of context, 100 MHz target (§4)".to_string(),
    ];
    let mut xc7 = vec![
        "XEM7010, XC7A50T".to_string(),
        "the D = 64 core, `synth_xilinx` estimate (§4; no open place and route)".to_string(),
    ];
    let mut ice = vec![
        "Alchitry Cu, iCE40-HX8K".to_string(),
        "the board's link design (D = 8, N_MAX = 64: UART, framer, buffers, core), 60 MHz"
            .to_string(),
    ];
    let cu = read_json(&page.root.join("bitstreams/alchitry_cu/link.manifest.json"))?;
    for (v, key) in [
        ("general", "general"),
        ("octave", "octave"),
        ("dense", "dense baseline"),
    ] {
        let r = find("ecp5_out_of_context", &format!("core, {key}, D = 64"))?;
        ecp5.push(format!(
            "{} LUT4, {} MULT18, {} DP16KD: **{:.1} MHz**",
            thou(r["lut4"].as_u64().unwrap_or(0)),
            r["mult18"],
            r["dp16kd"],
            r["fmax_mhz"].as_f64().unwrap_or(0.0)
        ));
        let r = find("xc7_estimates", &format!("core, {key}, D = 64"))?;
        xc7.push(format!(
            "{} LUT, {} DSP48E1",
            thou(r["lut"].as_u64().unwrap_or(0)),
            r["dsp48e1"]
        ));
        if v == "octave" {
            let lc = &cu["resources"]["logic_cells"];
            let (u, a) = (
                lc["used"].as_u64().unwrap_or(0),
                lc["available"].as_u64().unwrap_or(1),
            );
            let fmax = cu["fmax_mhz"]
                .as_object()
                .and_then(|o| o.values().filter_map(|v| v.as_f64()).reduce(f64::min))
                .context("alchitry_cu manifest Fmax")?;
            ice.push(format!(
                "{} LC ({:.0}%), {} RAM: **{fmax:.1} MHz** (the bitstream)",
                thou(u),
                100.0 * u as f64 / a as f64,
                cu["resources"]["bram_ram40_4k"]["used"]
            ));
        } else {
            let r = syn["ice40_variants"]
                .as_array()
                .and_then(|a| a.iter().find(|r| r["variant"] == v).cloned())
                .with_context(|| format!("synthesis.json: ice40_variants has no {v}"))?;
            let (u, a) = (
                r["logic_cells"].as_u64().unwrap_or(0),
                r["available"].as_u64().unwrap_or(1),
            );
            ice.push(format!(
                "{} LC ({:.0}%): **{}**",
                thou(u),
                100.0 * u as f64 / a as f64,
                if r["fits"].as_bool() == Some(true) {
                    "fits"
                } else {
                    "does not fit"
                }
            ));
        }
    }
    page.set(
        "variants_table",
        md_table(
            &[
                "board, part",
                "what is built",
                "general",
                "octave",
                "dense baseline",
            ],
            &[ecp5, ice, xc7],
        ),
    );
    page.set(
        "xc7_provenance",
        syn["xc7_provenance"].as_str().unwrap_or("").to_string(),
    );
    page.set(
        "synthesis_provenance",
        syn["provenance"].as_str().unwrap_or("").to_string(),
    );
    let est = read_json(&page.root.join("bitstreams/xem7010/estimate.json"))?;
    let r = &est["resources"];
    let g = |k: &str| {
        (
            r[k]["used"].as_u64().unwrap_or(0),
            r[k]["available"].as_u64().unwrap_or(0),
        )
    };
    let (l, la) = g("lut");
    let (f, fa) = g("ff");
    let (d, da) = g("dsp48e1");
    page.set(
        "xem_lut",
        format!("{} ({})", thou(l), pct(l as f64 / la.max(1) as f64)),
    );
    page.set(
        "xem_ff",
        format!("{} ({})", thou(f), pct(f as f64 / fa.max(1) as f64)),
    );
    page.set(
        "xem_dsp",
        format!("{d} ({})", pct(d as f64 / da.max(1) as f64)),
    );
    let bram = |k: &str| r["block_ram"][k].as_f64().unwrap_or(0.0).round() as u64;
    usages.push(Usage {
        name: "xem7010 (est.)".into(),
        res: vec![
            ("LUT", l, la),
            ("FF", f, fa),
            ("BRAM", bram("used"), bram("available")),
            ("DSP", d, da),
        ],
        target: Some(48.0),
        fmax: None,
    });

    // Figures: utilization per design and resource; Fmax against target.
    let kinds = ["LUT", "FF", "BRAM", "DSP"];
    let cats: Vec<String> = usages.iter().map(|u| u.name.clone()).collect();
    let series: Vec<(String, Vec<f64>)> = kinds
        .iter()
        .map(|k| {
            (
                format!("{k} % of the part"),
                usages
                    .iter()
                    .map(|u| {
                        u.res
                            .iter()
                            .find(|r| r.0 == *k)
                            .map_or(f64::NAN, |r| 100.0 * r.1 as f64 / r.2.max(1) as f64)
                    })
                    .collect(),
            )
        })
        .collect();
    fig::bars(
        &page.figure("resources.svg"),
        "Resource use per design (% of the part)",
        "% used",
        Scale::Linear,
        &cats,
        &series,
        1500,
        Some(115.0),
    )?;
    let timed: Vec<&Usage> = usages.iter().filter(|u| u.fmax.is_some()).collect();
    fig::bars(
        &page.figure("fmax.svg"),
        "Fmax after routing (nextpnr) against the target clock",
        "MHz",
        Scale::Linear,
        &timed.iter().map(|u| u.name.clone()).collect::<Vec<_>>(),
        &[
            (
                "target".into(),
                timed.iter().map(|u| u.target.unwrap_or(f64::NAN)).collect(),
            ),
            (
                "Fmax".into(),
                timed.iter().map(|u| u.fmax.unwrap_or(f64::NAN)).collect(),
            ),
        ],
        1500,
        Some(130.0),
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// §7 Bench and projections

/// Assumed board power while computing, W (not measured: no board has run here). ULX3S and
/// Alchitry Cu are powered from USB 2.0 (at most 2.5 W); the XEM7010 from its own supply.
pub const BOARD_POWER_W: [(&str, f64); 3] =
    [("ulx3s", 1.0), ("alchitry_cu", 0.5), ("xem7010", 2.5)];

#[derive(clap::Parser)]
struct BenchCli {
    #[command(flatten)]
    a: host::bench::Args,
}

/// `logattn bench ARGS --verify --quiet --json -` in-process, as JSON.
fn bench(args: &str) -> Result<Value> {
    use clap::Parser;
    let line = format!("bench {args} --verify --quiet --json -");
    let cli = BenchCli::try_parse_from(line.split_whitespace()).with_context(|| line.clone())?;
    let text = host::bench::run(&cli.a).with_context(|| line.clone())?;
    serde_json::from_str(&text).with_context(|| line.clone())
}

/// §7: every board design on the simulated board through the host driver; projections per
/// board next to the GPU reference.
pub fn projection(page: &mut Page) -> Result<()> {
    page.log("§7 bench: every board design through the host driver (Verilated boards)");
    let gpu = read_json(&page.root.join("docs/data/gpu_h100.json"))?;
    let runs = [
        (
            "ulx3s",
            "link",
            "--board ulx3s --n 128,512 --heads 2 --sparsity 0.8",
        ),
        (
            "ulx3s",
            "core",
            "--board ulx3s --design core --n 128,512 --heads 2 --sparsity 0.8,0.95",
        ),
        (
            "alchitry_cu",
            "link",
            "--board alchitry_cu --octave --n 64 --heads 2 --sparsity 0.8,0.95",
        ),
        (
            "xem7010",
            "link",
            "--board xem7010 --octave --n 128,512 --heads 2 --sparsity 0.9",
        ),
    ];
    let mut rows = Vec::new();
    // (board/design, n, target zeros) -> (compute µs, latency µs, watts).
    type Key = (String, u64, f64);
    let mut at: Vec<(Key, (f64, f64, f64))> = Vec::new();
    let mut all = Vec::new();
    for (board, design, args) in runs {
        page.log(&format!("  logattn bench {args}"));
        let rep = bench(args)?;
        let b = hdl::boards::board(board)
            .context("board")?
            .for_design(design)
            .map_err(anyhow::Error::msg)?;
        let watts = BOARD_POWER_W
            .iter()
            .find(|x| x.0 == board)
            .map(|x| x.1)
            .context("power")?;
        for r in rep["rows"].as_array().context("bench rows")? {
            let p = &r["projection"];
            let cyc = r["cycles"]["median"].as_f64().context("cycles")?;
            let clock = p["clock_mhz"].as_f64().context("clock")? * 1e6;
            let compute_us = cyc / clock * 1e6;
            let lat_us = p["latency_us"]["median"].as_f64().context("latency")?;
            let n = r["n"].as_u64().unwrap_or(0);
            at.push((
                (
                    format!("{board}/{design}"),
                    n,
                    r["target_sparsity"].as_f64().unwrap_or(0.0),
                ),
                (compute_us, lat_us, watts),
            ));
            rows.push(vec![
                format!("{board}/{design}"),
                format!(
                    "{}, D = {}",
                    if b.design.front_end {
                        "whole head"
                    } else {
                        "codes + V"
                    },
                    b.design.d
                ),
                format!("{n}"),
                format!("{:.2}", r["sparsity"].as_f64().unwrap_or(0.0)),
                thou(cyc as u64),
                format!("{:.0} MHz", clock / 1e6),
                us(compute_us),
                us(lat_us),
                format!("{:.1}", p["heads_per_s"].as_f64().unwrap_or(0.0)),
                p["bound"].as_str().unwrap_or("?").to_string(),
                uj(lat_us * watts),
                uj(compute_us * watts),
            ]);
        }
        all.push(json!({"board": board, "design": design, "args": args, "report": rep}));
    }
    page.record("bench", &all)?;
    let mut grows = Vec::new();
    let mut gpu_b1_us = 0.0;
    let mut gpu_b1_uj = 0.0;
    let mut gpu_bat_us = 0.0;
    let mut gpu_bat_uj = 0.0;
    for r in gpu["energy"].as_array().context("gpu_h100.json: energy")? {
        let n = r["n"].as_u64().unwrap_or(0);
        let batch = r["heads_per_call"].as_u64().unwrap_or(0);
        let us = r["us_per_head"].as_f64().unwrap_or(0.0);
        let uj = r["uj_per_head"].as_f64().unwrap_or(0.0);
        if n == 128 && batch == 1 {
            (gpu_b1_us, gpu_b1_uj) = (us, uj);
        }
        if n == 128 && batch > 1 {
            (gpu_bat_us, gpu_bat_uj) = (us, uj);
        }
        grows.push(vec![
            "H100 (torch SDPA, fp16)".to_string(),
            format!("{batch} head{} a call", if batch == 1 { "" } else { "s" }),
            n.to_string(),
            "64".into(),
            if us < 1.0 {
                format!("{:.3} µs", us)
            } else {
                format!("{:.1} µs", us)
            },
            thou((1e6 / us).round() as u64),
            format!("{:.0} W", r["avg_power_w"].as_f64().unwrap_or(0.0)),
            if uj < 1000.0 {
                format!("{uj:.0} µJ")
            } else {
                format!("{:.2} mJ", uj / 1e3)
            },
        ]);
    }
    let (mut pv_b1_us, mut pv_bat_us) = (0.0, 0.0);
    for r in gpu["latency"]
        .as_array()
        .context("gpu_h100.json: latency")?
    {
        if r["n"].as_u64() == Some(128) {
            let heads = r["heads"].as_f64().unwrap_or(1.0);
            let us = r["quant_alpha_v_us"].as_f64().unwrap_or(0.0) / heads;
            if heads == 1.0 {
                pv_b1_us = us;
            } else {
                pv_bat_us = us;
            }
        }
    }
    ensure!(
        pv_b1_us > 0.0 && pv_bat_us > 0.0,
        "gpu_h100.json: no quant_alpha_v_us at n = 128"
    );
    ensure!(
        gpu_b1_us > 0.0 && gpu_bat_us > 0.0,
        "gpu_h100.json: no n = 128 rows"
    );
    page.set(
        "projection_table",
        md_table(
            &[
                "board/design",
                "takes",
                "n = rows",
                "zeros",
                "compute cycles",
                "clock",
                "compute",
                "latency a head (link + compute)",
                "heads/s",
                "bound",
                "energy a head",
                "compute energy",
            ],
            &rows,
        ),
    );
    page.set(
        "gpu_table",
        md_table(
            &[
                "GPU",
                "batch",
                "n",
                "d",
                "time a head",
                "heads/s",
                "power",
                "energy a head",
            ],
            &grows,
        ),
    );
    page.set(
        "board_power",
        BOARD_POWER_W
            .iter()
            .map(|(b, w)| format!("{b} {w} W"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let get = |bd: &str, n: u64, z: f64| {
        at.iter()
            .find(|(k, _)| k.0 == bd && k.1 == n && (k.2 - z).abs() < 1e-9)
            .map(|(_, v)| *v)
            .with_context(|| format!("bench row {bd} n = {n} zeros {z}"))
    };
    let xem = get("xem7010/link", 128, 0.9)?;
    let ulx = get("ulx3s/link", 128, 0.8)?;
    let c80 = get("ulx3s/core", 128, 0.8)?;
    let c95 = get("ulx3s/core", 128, 0.95)?;
    // The GPU's quantized P x V at its batch-1 and batched power (an estimate: the reference
    // measured power for SDPA only).
    let pv_b1_uj = pv_b1_us * gpu_b1_uj / gpu_b1_us;
    let pv_bat_uj = pv_bat_us * gpu_bat_uj / gpu_bat_us;
    // A board's row: compute and with the link, time and energy.
    let board_row = |label: &str, (c, l, w): (f64, f64, f64)| -> Vec<String> {
        vec![
            String::new(),
            label.into(),
            us(c),
            uj(c * w),
            us(l),
            uj(l * w),
        ]
    };
    let cmp_rows = vec![
        vec![
            "whole head (scores, softmax, P V)".into(),
            "H100, batch 1".into(),
            us(gpu_b1_us),
            uj(gpu_b1_uj),
            "-".into(),
            "-".into(),
        ],
        vec![
            "".into(),
            "H100, 4096 heads a call".into(),
            format!("{gpu_bat_us:.3} µs"),
            uj(gpu_bat_uj),
            "-".into(),
            "-".into(),
        ],
        board_row("XEM7010 (D = 64, octave), 48 MHz", xem),
        board_row("ULX3S `link` (D = 32), 45 MHz", ulx),
        vec![
            "P V only (pruned 3-bit codes in)".into(),
            "H100, batch 1 (quantized P x V)".into(),
            us(pv_b1_us),
            format!("~{} (est.)", uj(pv_b1_uj)),
            "-".into(),
            "-".into(),
        ],
        vec![
            "".into(),
            "H100, 4096 heads a call".into(),
            format!("{pv_bat_us:.3} µs"),
            format!("~{} (est.)", uj(pv_bat_uj)),
            "-".into(),
            "-".into(),
        ],
        board_row("ULX3S `core` (D = 64), 80% zeros", c80),
        board_row("ULX3S `core` (D = 64), 95% zeros", c95),
    ];
    page.set(
        "compare_table",
        md_table(
            &[
                "work a head, n = 128",
                "on",
                "compute",
                "compute energy",
                "with the link",
                "energy with the link",
            ],
            &cmp_rows,
        ),
    );
    // Figures: time and energy a head at n = 128, log scale.
    let cats: Vec<String> = [
        "H100 batch 1",
        "H100 batched",
        "XEM7010 head",
        "ULX3S head (D 32)",
        "H100 P V b1",
        "H100 P V batched",
        "ULX3S core 80%",
        "ULX3S core 95%",
    ]
    .map(String::from)
    .to_vec();
    let gpu_pts = [(gpu_b1_us, gpu_b1_uj), (gpu_bat_us, gpu_bat_uj)];
    let pv_pts = [(pv_b1_us, pv_b1_uj), (pv_bat_us, pv_bat_uj)];
    let boards_head = [xem, ulx];
    let boards_core = [c80, c95];
    let series = |f: &dyn Fn((f64, f64, f64)) -> f64, g: &dyn Fn((f64, f64)) -> f64| -> Vec<f64> {
        gpu_pts
            .iter()
            .map(|&p| g(p))
            .chain(boards_head.iter().map(|&b| f(b)))
            .chain(pv_pts.iter().map(|&p| g(p)))
            .chain(boards_core.iter().map(|&b| f(b)))
            .collect()
    };
    fig::bars(
        &page.figure("time_per_head.svg"),
        "Time a head, n = 128 (boards: projected from measured cycles; H100: measured elsewhere)",
        "µs (log scale)",
        Scale::Log,
        &cats,
        &[
            ("compute".into(), series(&|b| b.0, &|p| p.0)),
            (
                "with the board's link".into(),
                series(&|b| b.1, &|_| f64::NAN),
            ),
        ],
        1200,
        Some(3e6),
    )?;
    fig::bars(
        &page.figure("energy_per_head.svg"),
        "Energy a head, n = 128 (boards: assumed power; H100 P V: estimated)",
        "µJ (log scale)",
        Scale::Log,
        &cats,
        &[
            ("compute".into(), series(&|b| b.0 * b.2, &|p| p.1)),
            (
                "with the board's link".into(),
                series(&|b| b.1 * b.2, &|_| f64::NAN),
            ),
        ],
        1200,
        Some(3e6),
    )?;
    page.set("gpu_b1_us", us(gpu_b1_us));
    page.set("gpu_b1_mj", uj(gpu_b1_uj));
    page.set("gpu_bat_uj", uj(gpu_bat_uj));
    page.set("pv_b1_us", us(pv_b1_us));
    page.set("pv_b1_uj", uj(pv_b1_uj));
    page.set("pv_bat_uj", uj(pv_bat_uj));
    page.set("xem_compute", us(xem.0));
    page.set("xem_compute_x", x(xem.0, gpu_b1_us));
    page.set("xem_link", us(xem.1));
    page.set("xem_energy", uj(xem.0 * xem.2));
    page.set("xem_energy_x", x(gpu_b1_uj, xem.0 * xem.2));
    page.set("xem_link_energy", uj(xem.1 * xem.2));
    page.set("xem_link_energy_x", x(xem.1 * xem.2, gpu_b1_uj));
    page.set("xem_batched_x", x(xem.0 * xem.2, gpu_bat_uj));
    page.set("core95_compute", us(c95.0));
    page.set("core95_compute_x", x(c95.0, pv_b1_us));
    page.set("core95_energy", uj(c95.0 * c95.2));
    page.set("core95_energy_x", x(pv_b1_uj, c95.0 * c95.2));
    page.set("core95_batched_x", x(c95.0 * c95.2, pv_bat_uj));
    page.set("ulx_link", us(ulx.1));
    page.set("ulx_link_x", x(ulx.1, gpu_b1_us));
    Ok(())
}
