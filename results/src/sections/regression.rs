//! §2 and §5: the simulator's regression (`cargo run -p sim`) as tables: the AttnV core's
//! cases against the dense baseline, whole heads on chip from float Q, K, V, cycles per whole
//! head, and the MiniLM heads' cycles against the pruning threshold.

use super::format::{md_table, thou};
use crate::fig::{self, Lines, Scale};
use crate::Page;
use anyhow::{ensure, Context, Result};
use plotters::prelude::SeriesLabelPosition;
use sim::bench::Cores;
use sim::qkv::HeadCores;
use std::path::Path;

/// §2 and §5: the simulator's regression (`cargo run -p sim`) as tables.
pub fn run(page: &mut Page) -> Result<()> {
    page.log("§2/§5 the regression: AttnV cases and whole heads (Verilator)");
    let fx = page.fixture_dir();
    core_cases(page, &fx)?;
    let mut heads = HeadCores::default();
    on_chip(page, &mut heads, &fx)?;
    head_cycles(page, &mut heads)
}

/// §2: the AttnV core's cases, each against the dense baseline.
fn core_cases(page: &mut Page, fx: &Path) -> Result<()> {
    let mut cores = Cores::default();
    let outcomes = sim::regression::run(&mut cores, page.seed, fx)?;
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
            m.k.to_string(),
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
                "case", "variant", "K", "n", "D", "nnz", "cycles", "ideal", "eff", "dense",
                "speed-up", "ideal×", "exact", "note",
            ],
            &rows,
        ),
    );
    Ok(())
}

/// §5: whole heads on chip (front end + AttnV) from float Q, K, V; the MiniLM head's figures.
fn on_chip(page: &mut Page, heads: &mut HeadCores, fx: &Path) -> Result<()> {
    let on_chip = sim::regression::on_chip(heads, page.seed, fx)?;
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
    Ok(())
}

/// §5: cycles per whole head (`sim heads`: random heads and every MiniLM head, P = 1, 2, 4, 8,
/// general and octave) and where the time goes.
fn head_cycles(page: &mut Page, heads: &mut HeadCores) -> Result<()> {
    let mut hb = sim::headbench::run(heads, page.seed)?;
    hb.extend(sim::headbench::minilm(heads)?);
    let mut rows = Vec::new();
    for r in &hb {
        ensure!(
            r.bit_exact && r.cycles_model == Some(r.cycles),
            "head bench {} D = {} n = {} P = {} K = {} {}: not bit-exact or not on the model's cycles",
            r.set,
            r.d,
            r.n,
            r.p,
            r.k,
            r.variant
        );
        let per = |x: usize| thou((x / r.heads) as u64);
        rows.push(vec![
            r.set.clone(),
            r.d.to_string(),
            r.n.to_string(),
            r.p.to_string(),
            r.k.to_string(),
            r.variant.clone(),
            r.heads.to_string(),
            thou(r.cycles_per_head.round() as u64),
            format!("{:.3}", r.kept),
            per(r.s1),
            per(r.s3),
            per(r.core),
            r.bound.clone(),
            per(r.overhead),
            format!("{:.1}", r.us_at_100mhz),
        ]);
    }
    page.set(
        "head_cycles_table",
        md_table(
            &[
                "set",
                "D",
                "n",
                "P",
                "K",
                "variant",
                "heads",
                "cycles a head",
                "kept",
                "S1",
                "S3",
                "core issues",
                "bound",
                "overhead",
                "µs at 100 MHz",
            ],
            &rows,
        ),
    );
    let find = |set: &str, p: usize, k: usize, variant: &str| {
        hb.iter()
            .find(|r| r.set == set && r.n == 128 && r.p == p && r.k == k && r.variant == variant)
            .ok_or_else(|| anyhow::anyhow!("head bench: no {set} P = {p} K = {k} {variant} row"))
    };
    let log1 = find("minilm", 1, 1, "general")?;
    let log8 = find("minilm", 8, 1, "general")?;
    let oct8 = find("minilm", 8, 1, "octave")?;
    let log8k2 = find("minilm", 8, 2, "general")?;
    let oct8k2 = find("minilm", 8, 2, "octave")?;
    let log4k2 = find("minilm", 4, 2, "general")?;
    let oct4k2 = find("minilm", 4, 2, "octave")?;
    let log2k2 = find("minilm", 2, 2, "general")?;
    let per_head = |r: &sim::headbench::HeadCycles| thou(r.cycles_per_head.round() as u64);
    for (name, r) in [
        ("minilm_head_p1_log", log1),
        ("minilm_head_p8_log", log8),
        ("minilm_head_p8_octave", oct8),
        ("minilm_head_p8_k2_log", log8k2),
        ("minilm_head_p8_k2_octave", oct8k2),
        ("minilm_head_p4_k2_log", log4k2),
        ("minilm_head_p4_k2_octave", oct4k2),
        ("minilm_head_p2_k2_log", log2k2),
    ] {
        page.set(name, per_head(r));
    }
    page.set(
        "minilm_head_p8_core_log",
        thou((log8.core / log8.heads) as u64),
    );
    // Ratios of mean cycles a head: (placeholder, decimals, numerator, denominator).
    for (name, digits, a, b) in [
        ("minilm_head_p8_ratio", 2, oct8, log8),
        ("minilm_head_p8_speedup_octave", 1, log1, oct8),
        ("minilm_head_p8_k2_ratio", 2, oct8k2, log8k2),
        ("minilm_head_k2_gain_log", 2, log8, log8k2),
        ("minilm_head_k2_gain_octave", 2, oct8, oct8k2),
    ] {
        let x = a.cycles_per_head / b.cycles_per_head;
        page.set(name, format!("{x:.digits$}"));
    }
    threshold_sweep(page, &hb)
}

/// The int8 multipliers an ECP5-85F can hold at most (issue 18's estimate: its 156
/// MULT18X18D plus radix-4 Booth products in the LUTs left), for the multiplier bound.
const ECP5_85F_MULTIPLIERS: usize = 376;

/// §5: the MiniLM heads' cycles against the pruning threshold for P = 1, 2, 4, 8
/// (`sim::headbench::threshold_sweep`, from the model), checked against the heads measured on
/// chip where both exist (t = 1e-3 and octave), as a table and a figure.
fn threshold_sweep(page: &mut Page, measured: &[sim::headbench::HeadCycles]) -> Result<()> {
    use sim::headbench::{KS, PS};
    let pts = sim::headbench::threshold_sweep()?;
    for x in &pts {
        let variant = match x.label.as_str() {
            "1e-3" => "general",
            "octave" => "octave",
            _ => continue,
        };
        let m = measured
            .iter()
            .find(|r| r.set == "minilm" && r.p == x.p && r.k == x.k && r.variant == variant)
            .with_context(|| format!("no measured MiniLM {variant} P = {} K = {} row", x.p, x.k))?;
        ensure!(
            m.cycles_per_head == x.cycles_per_head,
            "threshold sweep {} P = {} K = {}: the model's {} cycles a head, measured {}",
            x.label,
            x.p,
            x.k,
            x.cycles_per_head,
            m.cycles_per_head
        );
    }
    let labels: Vec<String> = {
        let mut l: Vec<String> = pts.iter().map(|x| x.label.clone()).collect();
        l.dedup();
        l
    };
    let at_k = |l: &str, p: usize, k: usize| {
        pts.iter()
            .find(|x| x.label == l && x.p == p && x.k == k)
            .with_context(|| format!("threshold sweep: no point {l} P = {p} K = {k}"))
    };
    let at = |l: &str, p: usize| at_k(l, p, 1);
    let mut rows = Vec::new();
    for l in &labels {
        let first = at(l, 1)?;
        let mut row = vec![
            match l.as_str() {
                "none" => "none (nothing pruned)".to_string(),
                "octave" => "octave (2^-7)".to_string(),
                t => format!("log, t = {t}"),
            },
            format!("{:.3}", first.zeros),
        ];
        for k in KS {
            for p in PS {
                row.push(thou(at_k(l, p, k)?.cycles_per_head.round() as u64));
            }
        }
        row.push(thou(first.core_per_head.round() as u64));
        row.push(thou(at_k(l, 1, 2)?.core_per_head.round() as u64));
        rows.push(row);
    }
    page.set(
        "head_threshold_table",
        md_table(
            &[
                "threshold",
                "zeros",
                "P = 1, K = 1",
                "P = 2, K = 1",
                "P = 4, K = 1",
                "P = 8, K = 1",
                "P = 1, K = 2",
                "P = 2, K = 2",
                "P = 4, K = 2",
                "P = 8, K = 2",
                "core bound, K = 1",
                "core bound, K = 2",
            ],
            &rows,
        ),
    );
    let (rows_q, n, d) = (128usize, 128usize, sim::headbench::D);
    let mult_bound = (rows_q * n * d) as f64 / ECP5_85F_MULTIPLIERS as f64;
    page.set("head_mult_bound", thou(mult_bound.round() as u64));
    page.set("ecp5_85f_multipliers", ECP5_85F_MULTIPLIERS.to_string());
    page.set(
        "head_t1e2_p8",
        thou(at("1e-2", 8)?.cycles_per_head.round() as u64),
    );
    page.set(
        "head_t1e2_p8_k2",
        thou(at_k("1e-2", 8, 2)?.cycles_per_head.round() as u64),
    );
    page.set(
        "head_none_p8",
        thou(at("none", 8)?.cycles_per_head.round() as u64),
    );
    let mut sorted: Vec<&String> = labels.iter().collect();
    sorted.sort_by(|a, b| at(a, 1).unwrap().zeros.total_cmp(&at(b, 1).unwrap().zeros));
    let mut series: Vec<fig::Series> = KS
        .iter()
        .flat_map(|&k| {
            PS.iter()
                .filter(move |&&p| k == 1 || p == 8)
                .map(move |&p| (p, k))
        })
        .map(|(p, k)| {
            (
                format!("P = {p}, K = {k}"),
                sorted
                    .iter()
                    .map(|l| {
                        let x = at_k(l, p, k).expect("every label has every P and K");
                        (x.zeros, x.cycles_per_head)
                    })
                    .collect(),
            )
        })
        .collect();
    for k in KS {
        series.push((
            format!("core bound, K = {k}"),
            sorted
                .iter()
                .map(|l| {
                    let x = at_k(l, 1, k).expect("every label has P = 1");
                    (x.zeros, x.core_per_head)
                })
                .collect(),
        ));
    }
    series.push((
        format!("multiplier bound, ECP5-85F ({ECP5_85F_MULTIPLIERS} int8 multipliers)"),
        vec![(0.0, mult_bound), (1.0, mult_bound)],
    ));
    fig::lines(
        &page.figure("head_cycles_vs_threshold.svg"),
        &Lines {
            title: "Whole-head cycles vs pruning (MiniLM heads, D = 64, n = 128; model::timing)",
            x: "fraction of zero codes (t = 0, 1e-4, 1e-3, octave 2^-7, 1e-2)",
            y: "cycles a head",
            x_scale: Scale::Linear,
            y_scale: Scale::Log,
            y_range: Some((1000.0, 25000.0)),
            series: &series,
            dots: &[],
            legend: SeriesLabelPosition::LowerLeft,
        },
    )
}
