//! SVG figures (plotters' SVG backend: text as SVG text, no system fonts needed): line plots
//! with optional log axes, small multiples, scatter-over-lines and grouped bars.

use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// A named curve.
pub type Series = (String, Vec<(f64, f64)>);

/// Axis scale.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Scale {
    Linear,
    /// log10 (the data must be > 0; points that are not are left out).
    Log,
}

/// What a line plot shows.
pub struct Lines<'a> {
    pub title: &'a str,
    pub x: &'a str,
    pub y: &'a str,
    pub x_scale: Scale,
    pub y_scale: Scale,
    /// Fixed y range, or `None` for the data's.
    pub y_range: Option<(f64, f64)>,
    pub series: &'a [Series],
    /// Drawn as dots, not lines (in the colours after the lines').
    pub dots: &'a [Series],
    /// Where the legend goes.
    pub legend: SeriesLabelPosition,
}

fn err(path: &Path) -> impl Fn(&dyn std::fmt::Display) -> anyhow::Error + '_ {
    move |e| anyhow!("{}: {e}", path.display())
}

fn color(i: usize) -> RGBColor {
    // Colour-blind-safe palette (Okabe-Ito), then black.
    const C: [(u8, u8, u8); 8] = [
        (0, 114, 178),
        (213, 94, 0),
        (0, 158, 115),
        (204, 121, 167),
        (230, 159, 0),
        (86, 180, 233),
        (120, 120, 120),
        (0, 0, 0),
    ];
    let (r, g, b) = C[i % C.len()];
    RGBColor(r, g, b)
}

/// A tick label: `100`, `0.25`, `1e-5`.
fn compact(v: &f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e6).contains(&a) {
        format!("{v:.0e}")
    } else if (v - v.round()).abs() < 1e-9 * a.max(1.0) {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The range of the points' coordinate `f` that a `scale` axis can show, padded.
fn range(points: impl Iterator<Item = f64>, scale: Scale) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in points.filter(|v| v.is_finite() && (scale == Scale::Linear || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (if scale == Scale::Log { 0.1 } else { 0.0 }, 1.0);
    }
    match scale {
        Scale::Linear => {
            let pad = ((hi - lo) * 0.05).max(1e-9);
            (
                if lo >= 0.0 {
                    0f64.max(lo - pad)
                } else {
                    lo - pad
                },
                hi + pad,
            )
        }
        Scale::Log => {
            let (lo, hi) = if hi <= lo {
                (lo / 2.0, hi * 2.0)
            } else {
                (lo, hi)
            };
            (lo / 1.2, hi * 1.2)
        }
    }
}

/// A line plot (with optional dots) into `path`, 800 x 500.
pub fn lines(path: &Path, p: &Lines) -> Result<()> {
    let root = SVGBackend::new(path, (800, 500)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(path)(&e))?;
    draw_lines(&root, p, 22, true).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    root.present().map_err(|e| err(path)(&e))?;
    Ok(())
}

/// Small multiples: one panel per `(title, series)`, `cols` panels a row, shared axes' kinds.
#[allow(clippy::too_many_arguments)]
pub fn grid(
    path: &Path,
    title: &str,
    cols: usize,
    panel_size: (u32, u32),
    x: &str,
    y: &str,
    x_scale: Scale,
    y_range: Option<(f64, f64)>,
    panels: &[(String, Vec<Series>)],
) -> Result<()> {
    let rows = panels.len().div_ceil(cols).max(1);
    let size = (panel_size.0 * cols as u32, panel_size.1 * rows as u32 + 40);
    let root = SVGBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(path)(&e))?;
    let root = root
        .titled(&format!("{title}  (x: {x}; y: {y})"), ("sans-serif", 20))
        .map_err(|e| err(path)(&e))?;
    let areas = root.split_evenly((rows, cols));
    for ((name, series), area) in panels.iter().zip(areas.iter()) {
        let l = Lines {
            title: name,
            x: "",
            y: "",
            x_scale,
            y_scale: Scale::Linear,
            y_range,
            series,
            dots: &[],
            legend: SeriesLabelPosition::LowerRight,
        };
        draw_lines(area, &l, 12, false).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    }
    root.present().map_err(|e| err(path)(&e))?;
    Ok(())
}

fn draw_lines(
    area: &DrawingArea<SVGBackend, Shift>,
    p: &Lines,
    font: u32,
    legend: bool,
) -> Result<(), String> {
    let all = || {
        p.series
            .iter()
            .chain(p.dots.iter())
            .flat_map(|s| s.1.iter())
    };
    let (x0, x1) = range(all().map(|q| q.0), p.x_scale);
    let (y0, y1) = p
        .y_range
        .unwrap_or_else(|| range(all().map(|q| q.1), p.y_scale));
    let small = font < 16;
    let mut b = ChartBuilder::on(area);
    b.caption(p.title, ("sans-serif", font))
        .margin(if small { 4 } else { 12 })
        .x_label_area_size(if small { 18 } else { 45 })
        .y_label_area_size(if small { 30 } else { 70 });
    macro_rules! body {
        ($chart:expr) => {{
            let mut chart = $chart.map_err(|e| e.to_string())?;
            let mut mesh = chart.configure_mesh();
            mesh.x_desc(p.x)
                .y_desc(p.y)
                .x_label_formatter(&compact)
                .y_label_formatter(&compact);
            if small {
                mesh.x_labels(4)
                    .y_labels(3)
                    .label_style(("sans-serif", 9))
                    .disable_mesh();
            }
            mesh.draw().map_err(|e| e.to_string())?;
            for (i, (name, pts)) in p.series.iter().enumerate() {
                let c = color(i);
                let keep = pts
                    .iter()
                    .copied()
                    .filter(|&(x, y)| {
                        x.is_finite()
                            && y.is_finite()
                            && (p.x_scale == Scale::Linear || x > 0.0)
                            && (p.y_scale == Scale::Linear || y > 0.0)
                    })
                    .collect::<Vec<_>>();
                let s = chart
                    .draw_series(LineSeries::new(keep, c.stroke_width(2)))
                    .map_err(|e| e.to_string())?;
                if legend {
                    s.label(name.clone()).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                    });
                }
            }
            for (i, (name, pts)) in p.dots.iter().enumerate() {
                let c = color(p.series.len() + i);
                let keep = pts
                    .iter()
                    .copied()
                    .filter(|&(x, y)| {
                        (p.x_scale == Scale::Linear || x > 0.0)
                            && (p.y_scale == Scale::Linear || y > 0.0)
                    })
                    .collect::<Vec<_>>();
                let s = chart
                    .draw_series(keep.into_iter().map(|q| Circle::new(q, 3, c.filled())))
                    .map_err(|e| e.to_string())?;
                if legend {
                    s.label(name.clone())
                        .legend(move |(x, y)| Circle::new((x + 8, y), 3, c.filled()));
                }
            }
            if legend && !(p.series.is_empty() && p.dots.is_empty()) {
                chart
                    .configure_series_labels()
                    .position(p.legend.clone())
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .draw()
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        }};
    }
    match (p.x_scale, p.y_scale) {
        (Scale::Linear, Scale::Linear) => body!(b.build_cartesian_2d(x0..x1, y0..y1)),
        (Scale::Log, Scale::Linear) => body!(b.build_cartesian_2d((x0..x1).log_scale(), y0..y1)),
        (Scale::Linear, Scale::Log) => body!(b.build_cartesian_2d(x0..x1, (y0..y1).log_scale())),
        (Scale::Log, Scale::Log) => {
            body!(b.build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale()))
        }
    }
}

/// Grouped horizontal-label bars: one group per category, one bar per series in it, into
/// `path` (`width` x 520), the y axis up to `y_max` if given. `y_scale` Log draws bars from the
/// axis' bottom.
#[allow(clippy::too_many_arguments)]
pub fn bars(
    path: &Path,
    title: &str,
    y: &str,
    y_scale: Scale,
    categories: &[String],
    series: &[(String, Vec<f64>)],
    width: u32,
    y_max: Option<f64>,
) -> Result<()> {
    let root = SVGBackend::new(path, (width, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| err(path)(&e))?;
    let nser = series.len().max(1);
    let values = || series.iter().flat_map(|s| s.1.iter().copied());
    let (mut y0, mut y1) = range(values(), y_scale);
    if let Some(m) = y_max {
        y1 = m;
    }
    if y_scale == Scale::Linear {
        y0 = y0.min(0.0);
    }
    let ncat = categories.len().max(1);
    let mut b = ChartBuilder::on(&root);
    b.caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(60)
        .y_label_area_size(80);
    let label = |x: &f64| -> String {
        let i = x.floor() as usize;
        if (x - x.floor() - 0.5).abs() < 1e-6 && i < categories.len() {
            categories[i].clone()
        } else {
            String::new()
        }
    };
    macro_rules! body {
        ($chart:expr, $base:expr) => {{
            let mut chart = $chart.map_err(|e| err(path)(&e))?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .x_labels(ncat * 2 + 1)
                .x_label_formatter(&label)
                .x_label_style(("sans-serif", 12))
                .y_label_formatter(&compact)
                .y_desc(y)
                .draw()
                .map_err(|e| err(path)(&e))?;
            for (j, (name, vals)) in series.iter().enumerate() {
                let c = color(j);
                let w = 0.8 / nser as f64;
                let rects = vals.iter().enumerate().filter_map(|(i, &v)| {
                    if !v.is_finite() || (y_scale == Scale::Log && v <= 0.0) {
                        return None;
                    }
                    let x = i as f64 + 0.1 + w * j as f64;
                    Some(Rectangle::new([(x, $base), (x + w * 0.95, v)], c.filled()))
                });
                chart
                    .draw_series(rects)
                    .map_err(|e| err(path)(&e))?
                    .label(name.clone())
                    .legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled())
                    });
            }
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(|e| err(path)(&e))?;
        }};
    }
    match y_scale {
        Scale::Linear => body!(b.build_cartesian_2d(0f64..ncat as f64, y0..y1), 0.0),
        Scale::Log => body!(
            b.build_cartesian_2d(0f64..ncat as f64, (y0..y1).log_scale()),
            y0
        ),
    }
    root.present().map_err(|e| err(path)(&e))?;
    Ok(())
}
