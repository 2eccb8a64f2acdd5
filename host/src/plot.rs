//! SVG plots of attention statistics (plotters, no system fonts needed).

use anyhow::{anyhow, Context, Result};
use model::analysis::{log_bin, Report, JSD_BINS, JSD_LOG10_MIN};
use model::output::Outputs;
use ndarray::{ArrayViewD, Axis, IxDyn};
use plotters::prelude::*;
use std::path::Path;

/// The plots [`write_all`] writes, in its folder.
pub const FILES: [&str; 3] = ["histogram.svg", "cumulative.svg", "sparsity.svg"];

/// Claims the plots in `dir` as outputs of `outputs` (refused if one is an input).
pub fn claim_all(outputs: &mut Outputs, dir: &Path) -> Result<()> {
    for f in FILES {
        outputs.claim(&dir.join(f))?;
    }
    Ok(())
}

/// Stages `histogram.svg`, `cumulative.svg` and `sparsity.svg` in `dir` (created if missing)
/// in `outputs` (claimed there now unless [`claim_all`] claimed them): one curve per layer (or one for the whole array when it has no layer axis).
pub fn write_all(
    outputs: &mut Outputs,
    dir: &Path,
    probs: &ArrayViewD<f32>,
    report: &Report,
) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("{}: cannot create", dir.display()))?;
    let mut staged = |name: &str| -> Result<(std::path::PathBuf, std::path::PathBuf)> {
        let user = dir.join(name);
        Ok((outputs.staged_path(&user)?, user))
    };
    let groups = layer_histograms(probs);
    let x_of = |b: usize| JSD_LOG10_MIN + (b as f64 + 0.5) * (-JSD_LOG10_MIN / JSD_BINS as f64);

    let series: Vec<(String, Vec<(f64, f64)>)> = groups
        .iter()
        .map(|(name, h)| {
            let total: f64 = h.iter().sum::<f64>().max(1.0);
            (
                name.clone(),
                h.iter()
                    .enumerate()
                    .map(|(b, &c)| (x_of(b), c / total))
                    .collect(),
            )
        })
        .collect();
    line_plot(
        staged(FILES[0])?,
        "Histogram of attention probabilities",
        "log10(alpha)",
        "fraction",
        &series,
    )?;

    let cumulative: Vec<(String, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(n, pts)| {
            let mut acc = 0.0;
            (
                n.clone(),
                pts.iter()
                    .map(|&(x, y)| {
                        acc += y;
                        (x, acc)
                    })
                    .collect(),
            )
        })
        .collect();
    line_plot(
        staged(FILES[1])?,
        "Cumulative histogram",
        "log10(alpha)",
        "fraction below",
        &cumulative,
    )?;

    let groups: Vec<&model::analysis::GroupStats> = if report.per_layer.is_empty() {
        vec![&report.overall]
    } else {
        report.per_layer.iter().collect()
    };
    let sparsity: Vec<(String, Vec<(f64, f64)>)> = groups
        .iter()
        .map(|g| {
            let name = g
                .layer
                .map(|l| format!("layer {l}"))
                .unwrap_or_else(|| "all".into());
            (
                name,
                report
                    .thresholds
                    .iter()
                    .zip(&g.sparsity)
                    .map(|(&t, &s)| (t.log10(), s))
                    .collect(),
            )
        })
        .collect();
    line_plot(
        staged(FILES[2])?,
        "Sparsity vs threshold",
        "log10(threshold)",
        "fraction pruned",
        &sparsity,
    )
}

/// Log-binned counts per layer.
fn layer_histograms(probs: &ArrayViewD<f32>) -> Vec<(String, Vec<f64>)> {
    let shape = probs.shape();
    let rank = shape.len();
    let (layers, per_layer) = if rank >= 4 {
        (
            shape[rank - 4],
            shape[rank - 3] * shape[rank - 2] * shape[rank - 1],
        )
    } else {
        (1, probs.len())
    };
    let outer = probs.len() / (layers * per_layer).max(1);
    let flat = probs
        .to_shape(IxDyn(&[outer, layers, per_layer]))
        .expect("contiguous reshape");
    (0..layers)
        .map(|l| {
            let mut h = vec![0f64; JSD_BINS];
            for &x in flat.index_axis(Axis(1), l).iter() {
                h[log_bin(x as f64)] += 1.0;
            }
            (
                if rank >= 4 {
                    format!("layer {l}")
                } else {
                    "all".into()
                },
                h,
            )
        })
        .collect()
}

/// Draws `series` into `tmp`; errors name `path`, the user's.
fn line_plot(
    (tmp, path): (std::path::PathBuf, std::path::PathBuf),
    title: &str,
    xlabel: &str,
    ylabel: &str,
    series: &[(String, Vec<(f64, f64)>)],
) -> Result<()> {
    let err = |e: &dyn std::fmt::Display| anyhow!("{}: {e}", path.display());
    let (mut x0, mut x1, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, 0f64);
    for (_, pts) in series {
        for &(x, y) in pts {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
    }
    if !x0.is_finite() || x1 <= x0 {
        (x0, x1) = (0.0, 1.0);
    }
    let root = SVGBackend::new(&tmp, (800, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(x0..x1, 0f64..(y1 * 1.05).max(1e-9))
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_desc(xlabel)
        .y_desc(ylabel)
        .draw()
        .map_err(|e| err(&e))?;
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(2)))
            .map_err(|e| err(&e))?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
