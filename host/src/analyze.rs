//! `logattn analyze`: the paper's measurements on attention probabilities.

use crate::{plot, CodebookArgs};
use anyhow::Result;
use model::analysis::{analyze, Method, Report};
use model::npy;
use model::output::Outputs;
use std::fmt::Write;
use std::path::PathBuf;

/// Arguments of `logattn analyze`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Attention probabilities `[..., rows, n]`: `[layer, head, rows, n]` gives per-layer and
    /// per-head figures.
    #[arg(long)]
    pub probs: PathBuf,
    /// Code width and threshold of the quantizers compared (the octave codebook is always
    /// included).
    #[command(flatten)]
    pub codebook: CodebookArgs,
    /// Write the full report (every layer and head) as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write SVG plots (histograms, cumulative histograms, sparsity vs threshold) into DIR
    /// (created if missing). Written together with `--json`, or none is.
    #[arg(long, value_name = "DIR")]
    pub plot: Option<PathBuf>,
}

/// Runs the command; returns the table to print.
pub fn run(args: &Args) -> Result<String> {
    let cb = args.codebook.codebook()?;
    let mut outputs = Outputs::new();
    outputs.input(&args.probs);
    if let Some(j) = &args.json {
        outputs.claim(j)?;
    }
    if let Some(dir) = args.plot.as_ref().filter(|d| d.is_dir()) {
        plot::claim_all(&mut outputs, dir)?;
    }
    let p = npy::read_probs(&args.probs)?;
    let (bits, t) = (cb.bits(), cb.threshold());
    let methods = if args.codebook.octave {
        vec![
            Method::Octave { bits },
            Method::Log { bits, threshold: t },
            Method::LogNoPrune { bits, threshold: t },
            Method::Linear { bits, threshold: t },
            Method::Boolean { threshold: t },
        ]
    } else {
        Method::comparison_set(bits, t)
    };
    let report = analyze(p.view(), &methods)
        .map_err(|e| anyhow::anyhow!("{}: {e}", args.probs.display()))?;
    if let Some(path) = &args.json {
        outputs.text(path, &serde_json::to_string_pretty(&report)?)?;
    }
    if let Some(dir) = &args.plot {
        plot::write_all(&mut outputs, dir, &p.view(), &report)?;
    }
    outputs.commit()?;
    Ok(format_report(&args.probs.display().to_string(), &report))
}

/// The readable table.
pub fn format_report(name: &str, r: &Report) -> String {
    let mut s = String::new();
    let th: Vec<String> = r.thresholds.iter().map(|t| format!("<{t:e}")).collect();
    let _ = writeln!(s, "{name}: shape {:?}, {} rows", r.shape, r.overall.rows);
    let _ = writeln!(
        s,
        "\nSparsity (fraction of probabilities below each threshold)"
    );
    let _ = writeln!(
        s,
        "{:<10}{}",
        "group",
        th.iter().map(|t| format!("{t:>10}")).collect::<String>()
    );
    let row = |s: &mut String, label: String, g: &model::analysis::GroupStats| {
        let _ = writeln!(
            s,
            "{label:<10}{}",
            g.sparsity
                .iter()
                .map(|x| format!("{:>10.4}", x))
                .collect::<String>()
        );
    };
    row(&mut s, "all".into(), &r.overall);
    for g in &r.per_layer {
        row(&mut s, format!("layer {}", g.layer.unwrap_or(0)), g);
    }
    let _ = writeln!(
        s,
        "\nLargest values per row needed to reach half the row's mass"
    );
    let _ = writeln!(s, "{:<10}{:>10}{:>10}", "group", "mean", "std");
    let _ = writeln!(
        s,
        "{:<10}{:>10.2}{:>10.2}",
        "all", r.overall.top_k_half_mass.mean, r.overall.top_k_half_mass.std
    );
    for g in &r.per_layer {
        let label = format!("layer {}", g.layer.unwrap_or(0));
        let _ = writeln!(
            s,
            "{label:<10}{:>10.2}{:>10.2}",
            g.top_k_half_mass.mean, g.top_k_half_mass.std
        );
    }
    let _ = writeln!(s, "\nJensen-Shannon divergence of each row's log-binned histogram (100 bins), before vs after");
    let w = r
        .method_names
        .iter()
        .map(|m| m.len())
        .max()
        .unwrap_or(8)
        .max(10)
        + 2;
    let table = |s: &mut String, pick: &dyn Fn(&model::analysis::GroupStats) -> &[f64]| {
        let names: String = r.method_names.iter().map(|m| format!("{m:>w$}")).collect();
        let _ = writeln!(s, "{:<10}{names}", "group");
        let groups = std::iter::once(("all".to_string(), &r.overall)).chain(
            r.per_layer
                .iter()
                .map(|g| (format!("layer {}", g.layer.unwrap_or(0)), g)),
        );
        for (label, g) in groups {
            let xs: String = pick(g).iter().map(|x| format!("{x:>w$.4}")).collect();
            let _ = writeln!(s, "{label:<10}{xs}");
        }
    };
    table(&mut s, &|g| &g.jsd);
    let _ = writeln!(s, "\nJensen-Shannon divergence between each row and its quantized version (as distributions over keys)");
    table(&mut s, &|g| &g.jsd_distribution);
    let m = &r.memory;
    let mib = |b: u64| b as f64 / 8.0 / 1024.0 / 1024.0;
    let _ = writeln!(
        s,
        "\nMemory for these probabilities ({}; {} of {} values kept)",
        r.method_names[0], m.nnz, m.values
    );
    let _ = writeln!(s, "{:<34}{:>12}{:>12}", "format", "MiB", "vs fp32");
    for (label, bits) in [
        ("fp32", m.fp32_bits),
        ("fp16", m.fp16_bits),
        ("dense k-bit codes", m.dense_code_bits),
        ("sparse (index, code) + row counts", m.sparse_code_bits),
    ] {
        let _ = writeln!(
            s,
            "{label:<34}{:>12.4}{:>11.1}%",
            mib(bits),
            100.0 * bits as f64 / m.fp32_bits.max(1) as f64
        );
    }
    let _ = write!(
        s,
        "best saving vs fp32: {:.1}%",
        100.0 * m.best_saving_vs_fp32
    );
    s
}
