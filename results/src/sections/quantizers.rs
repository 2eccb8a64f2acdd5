//! §1 Quantizers: the output error and code agreement of each quantizer over bits and
//! thresholds on the MiniLM fixture (`model::sweep`), and the memory an attention matrix takes
//! in each format.

use super::format::{md_table, pct};
use super::per_head;
use crate::fig::{self, Lines, Scale};
use crate::Page;
use anyhow::{Context, Result};
use model::analysis::MemoryFigures;
use model::sweep::SweepPoint;
use model::Codebook;
use ndarray::{Array2, ArrayD};
use plotters::prelude::SeriesLabelPosition;

/// Code widths swept.
const BITS: [u32; 3] = [2, 3, 4];

/// Pruning thresholds swept.
const THRESHOLDS: [f64; 9] = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1];

/// `a` equals `b` up to rounding.
fn near(a: f64, b: f64) -> bool {
    (a - b).abs() < b * 1e-9
}

/// §1: the quantizers compared over bits and thresholds; the memory table.
pub fn run(page: &mut Page) -> Result<()> {
    page.log("§1 quantizers: error and code agreement vs bits and threshold");
    let fx = page.fixture()?;
    let (q, k, v, p) = (&fx.q, &fx.k, &fx.v, &fx.probs);
    let points = model::sweep::sweep(q.view(), k.view(), v.view(), p.view(), &BITS, &THRESHOLDS)
        .map_err(|e| anyhow::anyhow!("quantizer sweep: {e}"))?;
    page.record("quantizer_sweep", &points)?;
    figures(page, &points)?;
    k3_table(page, &points)?;
    memory_table(page, p, &points)
}

/// Output error and code agreement against the threshold, a curve per method and width (the
/// octave codebook, one threshold a width, as dots).
fn figures(page: &Page, points: &[SweepPoint]) -> Result<()> {
    let curve = |method: &str, b: u32, f: &dyn Fn(&SweepPoint) -> Option<f64>| -> Vec<(f64, f64)> {
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
    for b in BITS {
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
    )
}

/// The k = 3 points (and boolean) at t = 1e-4, 1e-3, 1e-2 as a table; the headline errors at
/// t = 1e-3.
fn k3_table(page: &mut Page, points: &[SweepPoint]) -> Result<()> {
    let mut rows = Vec::new();
    for x in points
        .iter()
        .filter(|x| x.bits == 3 || x.method == "boolean")
    {
        if x.method != "octave" && ![1e-4, 1e-3, 1e-2].iter().any(|&t| near(x.threshold, t)) {
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
            .find(|x| x.method == m && x.bits == b && near(x.threshold, t))
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
    Ok(())
}

/// Memory per attention matrix on the fixture: float, dense codes, and sparse codes per
/// codebook with the output error each costs.
fn memory_table(page: &mut Page, p: &ArrayD<f32>, points: &[SweepPoint]) -> Result<()> {
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
        let f = sparse_figures(&flat, rows_total, n, &cb);
        let err = points
            .iter()
            .find(|x| {
                x.method == m && x.bits == 3 && (m == "octave" || near(x.threshold, cb.threshold()))
            })
            .map_or("-".into(), |x| format!("{:.3}", x.output_error));
        mem_rows.push(vec![
            format!(
                "sparse ({}-bit index, 3-bit code) + row counts, {label} ({} kept)",
                7,
                pct(f.nnz as f64 / f.values as f64)
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

/// The memory figures of `flat`'s codes under `cb`.
fn sparse_figures(flat: &Array2<f32>, rows: u64, n: u64, cb: &Codebook) -> MemoryFigures {
    let nnz = flat.iter().filter(|&&x| cb.code(x) != 0).count() as u64;
    MemoryFigures::new(rows, n, nnz, 3)
}
