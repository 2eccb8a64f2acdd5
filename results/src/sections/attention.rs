//! §1 Attention statistics of a real transformer: sparsity, top-k mass and JSD of the MiniLM
//! fixture's attention; per-head histograms and sparsity against the threshold.

use super::format::{md_table, thou};
use super::per_head;
use crate::fig::{self, Lines, Scale, Series};
use crate::Page;
use anyhow::{Context, Result};
use model::analysis::{analyze, log_bin, sparsity, Method, Report, JSD_BINS, JSD_LOG10_MIN};
use ndarray::{Array2, ArrayD, Axis};
use plotters::prelude::SeriesLabelPosition;

/// The methods compared at k = 3, t = 1e-3, with their names in the JSD table.
fn methods() -> [(Method, &'static str); 5] {
    let (bits, threshold) = (3, 1e-3);
    [
        (
            Method::Log { bits, threshold },
            "log, t = 1e-3 (the hardware's)",
        ),
        (
            Method::Octave { bits },
            "octave, t = 2^-7 (shift-only hardware)",
        ),
        (
            Method::LogNoPrune { bits, threshold },
            "log without pruning",
        ),
        (
            Method::Linear { bits, threshold },
            "linear (Algorithm 1), t = 1e-3",
        ),
        (Method::Boolean { threshold }, "boolean, t = 1e-3"),
    ]
}

/// §1: sparsity, top-k mass, JSD and memory of the fixture's attention; per-head histograms.
pub fn run(page: &mut Page) -> Result<()> {
    page.log("§1 attention statistics of the MiniLM fixture");
    let fx = page.fixture()?;
    let p = &fx.probs;
    let methods = methods().map(|m| m.0);
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
    sparsity_table(page, &report)?;
    top_k(page, &report)?;
    jsd_table(page, &report);
    page.record("attention_report", &report)?;
    histograms(page, &flat, heads)?;
    sparsity_figure(page, p, layers)
}

/// The fraction below each threshold, overall and per layer.
fn sparsity_table(page: &mut Page, report: &Report) -> Result<()> {
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
    Ok(())
}

/// Keys holding half a row's mass: the mean, its spread, and the layers at either end.
fn top_k(page: &mut Page, report: &Report) -> Result<()> {
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
    Ok(())
}

/// The JSD of each method against the float probabilities.
fn jsd_table(page: &mut Page, report: &Report) {
    let rows: Vec<Vec<String>> = methods()
        .iter()
        .enumerate()
        .map(|(i, (_, n))| {
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
}

/// Per-head histograms and cumulative histograms of the probabilities (log-binned).
fn histograms(page: &Page, flat: &Array2<f32>, heads: usize) -> Result<()> {
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
    )
}

/// The fraction below t against t, a curve per layer.
fn sparsity_figure(page: &Page, p: &ArrayD<f32>, layers: usize) -> Result<()> {
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
    )
}
