//! §9 A whole transformer through the accelerator's numerics: `logattn encode` on the passage
//! fixture (all-MiniLM-L6-v2 from `make model`), every head of every layer on the float
//! quantizer, the bit-exact model path, and (on a few passages) the Verilated board.

use super::format::{md_table, thou};
use super::logattn;
use crate::fig::{self, Lines, Scale, Series};
use crate::Page;
use anyhow::{ensure, Context, Result};
use ndarray::Array2;
use plotters::prelude::SeriesLabelPosition;
use serde_json::Value;
use std::path::Path;

/// `logattn encode ARGS --quiet --json -` in-process, as JSON.
fn encode(args: &str) -> Result<Value> {
    logattn(
        &format!("encode {args} --quiet --json -"),
        host::encode::run,
    )
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

/// The backend named `name` of a report.
fn backend<'a>(rep: &'a Value, name: &str) -> Result<&'a Value> {
    rep["backends"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["name"] == name))
        .with_context(|| format!("no {name} backend in the report"))
}

/// One `logattn encode` run on a fixture.
struct Run {
    /// `passages` or `short`.
    label: &'static str,
    /// With `--renormalize`.
    renorm: bool,
    args: String,
    report: Value,
}

/// The run of `label`'s fixture, renormalized or not.
fn find<'a>(runs: &'a [Run], label: &str, renorm: bool) -> Result<&'a Value> {
    Ok(&runs
        .iter()
        .find(|r| r.label == label && r.renorm == renorm)
        .context("a run")?
        .report)
}

/// §9: the encoder on the passage fixture.
pub fn run(page: &mut Page) -> Result<()> {
    page.log("§9 encode: all-MiniLM-L6-v2 end to end, every head quantized");
    let model = encode::cached_model()?;
    let fx = page.root.join("tests/fixtures/passages");
    let tmp = std::env::temp_dir().join(format!("logattn-results-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let passages = fx.join("passages.txt");
    let runs = accuracy_runs(
        page,
        &model,
        &[(&passages, "passages"), (&fx.join("short.txt"), "short")],
        &tmp,
    )?;
    let brep = board_run(page, &model, &passages, &tmp)?;
    let _ = std::fs::remove_dir_all(&tmp);
    accuracy_table(page, &runs)?;
    ratios(page, &runs)?;
    let plain = find(&runs, "passages", false)?;
    layer_table(page, plain)?;
    projection_table(page, plain)?;
    cosine_figure(page, &runs)?;
    record(page, &runs, brep, &tmp)
}

/// The four accuracy runs: each fixture on the quantized and model paths, plain and
/// renormalized.
fn accuracy_runs(
    page: &Page,
    model: &Path,
    fixtures: &[(&Path, &'static str)],
    tmp: &Path,
) -> Result<Vec<Run>> {
    let m = model.display();
    let mut runs = Vec::new();
    for &(file, label) in fixtures {
        for renorm in ["", " --renormalize"] {
            let args = format!(
                "--model {m} --text {} --attention quantized,model --out {}{renorm}",
                file.display(),
                tmp.join(format!(
                    "{label}{}_{{}}.npy",
                    if renorm.is_empty() { "" } else { "_renorm" }
                ))
                .display()
            );
            page.log(&format!("  logattn encode {args}"));
            runs.push(Run {
                label,
                renorm: !renorm.is_empty(),
                report: encode(&args)?,
                args,
            });
        }
    }
    Ok(runs)
}

/// A few passages through the Verilated board: the same embeddings and cycles as the model
/// path. Returns the report.
fn board_run(page: &mut Page, model: &Path, passages: &Path, tmp: &Path) -> Result<Value> {
    let out = |name: &str| tmp.join(name).display().to_string();
    let lines: Vec<String> = std::fs::read_to_string(passages)?
        .lines()
        .take(6)
        .map(String::from)
        .collect();
    let six = tmp.join("six.txt");
    std::fs::write(&six, lines.join("\n") + "\n")?;
    let bargs = format!(
        "--model {} --text {} --attention model,board --verify --renormalize --out {}",
        model.display(),
        six.display(),
        out("six_{}.npy")
    );
    page.log(&format!("  logattn encode {bargs}"));
    let brep = encode(&bargs)?;
    let read = |b: &str| -> Result<Array2<f32>> {
        Ok(ndarray_npy::read_npy(out("six_{}.npy").replace("{}", b))?)
    };
    ensure!(
        read("model")? == read("board")?,
        "the board's embeddings differ from the model path's"
    );
    ensure!(
        backend(&brep, "model")?["cycles_per_passage"]
            == backend(&brep, "board")?["cycles_per_passage"],
        "the board's cycles differ from the model's"
    );
    page.set(
        "encode_board_passages",
        format!(
            "{} passages of {}-{} tokens",
            lines.len(),
            brep["tokens"]
                .as_array()
                .and_then(|t| t.iter().filter_map(Value::as_u64).min())
                .unwrap_or(0),
            brep["tokens"]
                .as_array()
                .and_then(|t| t.iter().filter_map(Value::as_u64).max())
                .unwrap_or(0)
        ),
    );
    Ok(brep)
}

/// Agreement with the float embeddings, a row per run and backend.
fn accuracy_table(page: &mut Page, runs: &[Run]) -> Result<()> {
    let mut acc = Vec::new();
    for r in runs {
        let name = format!(
            "{} ({} passages){}",
            r.label,
            r.report["passages"],
            if r.renorm { ", renormalized" } else { "" }
        );
        rows(&r.report, &name, &mut acc)?;
    }
    page.set(
        "encode_table",
        md_table(
            &[
                "passages",
                "backend",
                "cosine mean",
                "cosine min",
                "mean (1 - cos)",
                "NN agreement",
                "Spearman",
            ],
            &acc,
        ),
    );
    Ok(())
}

/// The accuracy rows of one run: a row per backend.
fn rows(rep: &Value, label: &str, out: &mut Vec<Vec<String>>) -> Result<()> {
    for b in rep["backends"].as_array().context("backends")? {
        let a = &b["agreement"];
        out.push(vec![
            label.to_string(),
            b["name"].as_str().unwrap_or("?").to_string(),
            format!("{:.4}", f(&a["cosine_mean"])),
            format!("{:.4}", f(&a["cosine_min"])),
            format!("{:.2e}", f(&a["one_minus_cos_mean"])),
            format!("{:.3}", f(&a["nn_agreement"])),
            format!("{:.4}", f(&a["spearman"])),
        ]);
    }
    Ok(())
}

/// The bounds on the model path: its mean (1 - cos) against the quantized path's, and its
/// lowest cosine when renormalized.
fn ratios(page: &mut Page, runs: &[Run]) -> Result<()> {
    let mut worst_ratio: f64 = 0.0;
    let mut min_renorm: f64 = 1.0;
    for label in ["passages", "short"] {
        for renorm in [false, true] {
            let rep = find(runs, label, renorm)?;
            let r = f(&backend(rep, "model")?["agreement"]["one_minus_cos_mean"])
                / f(&backend(rep, "quantized")?["agreement"]["one_minus_cos_mean"]);
            worst_ratio = worst_ratio.max(r);
            if renorm {
                min_renorm = min_renorm.min(f(&backend(rep, "model")?["agreement"]["cosine_min"]));
            }
        }
    }
    ensure!(
        worst_ratio <= 1.25,
        "model path: mean (1 - cos) {worst_ratio:.3}x the quantized path's"
    );
    ensure!(
        min_renorm >= 0.98,
        "model path renormalized: min cosine {min_renorm:.4}"
    );
    page.set("encode_worst_ratio", format!("{worst_ratio:.3}x"));
    page.set("encode_min_renorm", format!("{min_renorm:.4}"));
    Ok(())
}

/// Per layer on the fixture (model path, plain): codes, errors and cycles.
fn layer_table(page: &mut Page, plain: &Value) -> Result<()> {
    let mb = backend(plain, "model")?;
    let qb = backend(plain, "quantized")?;
    let mut lrows = Vec::new();
    for (l, q) in mb["layers"]
        .as_array()
        .context("layers")?
        .iter()
        .zip(qb["layers"].as_array().context("layers")?)
    {
        let heads: Vec<f64> = l["rel_err_per_head"]
            .as_array()
            .map(|h| h.iter().map(f).collect())
            .unwrap_or_default();
        lrows.push(vec![
            l["layer"].to_string(),
            format!("{:.1}%", 100.0 * f(&l["zero_codes"])),
            format!("{:.2}%", 100.0 * f(&l["code_agreement"])),
            format!("{:.4}", f(&q["rel_err"])),
            format!("{:.4}", f(&l["rel_err"])),
            format!(
                "{:.3}-{:.3}",
                heads.iter().cloned().fold(f64::INFINITY, f64::min),
                heads.iter().cloned().fold(0.0, f64::max)
            ),
            thou(l["cycles"].as_u64().unwrap_or(0)),
        ]);
    }
    page.set(
        "encode_layer_table",
        md_table(
            &[
                "layer",
                "zero codes",
                "codes = float quantizer's",
                "err, quantized",
                "err, model",
                "err per head, model",
                "cycles",
            ],
            &lrows,
        ),
    );
    page.set(
        "encode_cycles",
        thou(mb["cycles_total"].as_u64().unwrap_or(0)),
    );
    page.set(
        "encode_tokens",
        plain["tokens"]
            .as_array()
            .map_or(0, |t| t.iter().filter_map(Value::as_u64).sum::<u64>())
            .to_string(),
    );
    Ok(())
}

/// The boards' projections for the encoder's heads, and what could not be projected.
fn projection_table(page: &mut Page, plain: &Value) -> Result<()> {
    let mb = backend(plain, "model")?;
    let mut prows = Vec::new();
    for p in mb["projections"].as_array().context("projections")? {
        prows.push(vec![
            p["board"].as_str().unwrap_or("?").to_string(),
            format!("{:.0} MHz", f(&p["clock_mhz"])),
            p["heads"].to_string(),
            format!("{:.2} s", f(&p["compute_s"])),
            format!("{:.2} J", f(&p["compute_j"])),
            format!("{:.0} s", f(&p["latency_s"])),
            format!("{:.0} s", f(&p["streamed_s"])),
            format!("{:.0} J", f(&p["streamed_j"])),
        ]);
    }
    ensure!(
        !prows.is_empty(),
        "no board projection for the encoder's heads"
    );
    page.set(
        "encode_projection_table",
        md_table(
            &[
                "board",
                "clock",
                "heads",
                "compute",
                "compute energy",
                "one head at a time, with the link",
                "streamed",
                "streamed energy",
            ],
            &prows,
        ),
    );
    page.set(
        "encode_not_projected",
        plain["not_projected"]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join("; ")
            })
            .unwrap_or_default(),
    );
    Ok(())
}

/// Cosine to float per passage against its length.
fn cosine_figure(page: &Page, runs: &[Run]) -> Result<()> {
    let mut dots: Vec<Series> = Vec::new();
    for r in runs.iter().filter(|r| r.label == "passages") {
        let (renorm, rep) = (r.renorm, &r.report);
        let tokens: Vec<f64> = rep["tokens"]
            .as_array()
            .map(|t| t.iter().map(f).collect())
            .unwrap_or_default();
        for b in ["quantized", "model"] {
            let cos: Vec<f64> = backend(rep, b)?["agreement"]["cosine"]
                .as_array()
                .map(|c| c.iter().map(f).collect())
                .unwrap_or_default();
            dots.push((
                format!("{b}{}", if renorm { ", renormalized" } else { "" }),
                tokens.iter().cloned().zip(cos).collect(),
            ));
        }
    }
    fig::lines(
        &page.figure("encode_cosine.svg"),
        &Lines {
            title:
                "all-MiniLM-L6-v2, every head quantized: cosine to the float embedding per passage",
            x: "passage length (tokens)",
            y: "cosine to float",
            x_scale: Scale::Log,
            y_scale: Scale::Linear,
            y_range: None,
            series: &[],
            dots: &dots,
            legend: SeriesLabelPosition::LowerRight,
        },
    )
}

/// The reports in results.json, without this machine's paths.
fn record(page: &mut Page, runs: &[Run], brep: Value, tmp: &Path) -> Result<()> {
    let root = page.root.display().to_string();
    let tmps = tmp.display().to_string();
    let local = |v: Value| -> Result<Value> {
        let s = v.to_string().replace(&tmps, "$TMP").replace(&root, ".");
        Ok(serde_json::from_str(&s)?)
    };
    let record: Vec<Value> = runs
        .iter()
        .map(|r| {
            local(serde_json::json!({"passages": r.label, "renormalize": r.renorm, "args": r.args, "report": r.report}))
        })
        .collect::<Result<_>>()?;
    page.record("encode", &record)?;
    page.record("encode_board", local(brep)?)?;
    Ok(())
}
