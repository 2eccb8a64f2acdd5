//! §9: a whole pretrained transformer through the accelerator's numerics: `logattn encode` on
//! the passage fixture (all-MiniLM-L6-v2 from `make model`), every head of every layer on the
//! float quantizer, the bit-exact model path, and (on a few passages) the Verilated board.

use crate::fig::{self, Lines, Scale, Series};
use crate::Page;
use anyhow::{ensure, Context, Result};
use ndarray::Array2;
use plotters::prelude::SeriesLabelPosition;
use serde_json::Value;

#[derive(clap::Parser)]
struct EncodeCli {
    #[command(flatten)]
    a: host::encode::Args,
}

/// `logattn encode ARGS --quiet --json -` in-process, as JSON.
fn encode(args: &str) -> Result<Value> {
    use clap::Parser;
    let line = format!("encode {args} --quiet --json -");
    let cli = EncodeCli::try_parse_from(line.split_whitespace()).with_context(|| line.clone())?;
    let text = host::encode::run(&cli.a).with_context(|| line.clone())?;
    serde_json::from_str(&text).with_context(|| line.clone())
}

fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for r in rows {
        s += &format!("| {} |\n", r.join(" | "));
    }
    s.trim_end().to_string()
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

/// §9: the encoder on the passage fixture.
pub fn encode_section(page: &mut Page) -> Result<()> {
    page.log("§9 encode: all-MiniLM-L6-v2 end to end, every head quantized");
    let model = encode::cached_model()?;
    let fx = page.root.join("tests/fixtures/passages");
    let tmp = std::env::temp_dir().join(format!("logattn-results-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let out = |name: &str| tmp.join(name).display().to_string();
    let m = model.display();
    let passages = fx.join("passages.txt");
    let short = fx.join("short.txt");
    let mut runs = Vec::new();
    for (file, label) in [(&passages, "passages"), (&short, "short")] {
        for renorm in ["", " --renormalize"] {
            let args = format!(
                "--model {m} --text {} --attention quantized,model --out {}{renorm}",
                file.display(),
                out(&format!(
                    "{label}{}_{{}}.npy",
                    if renorm.is_empty() { "" } else { "_renorm" }
                ))
            );
            page.log(&format!("  logattn encode {args}"));
            runs.push((label, !renorm.is_empty(), args.clone(), encode(&args)?));
        }
    }
    // A few passages through the Verilated board: the same embeddings as the model path.
    let lines: Vec<String> = std::fs::read_to_string(&passages)?
        .lines()
        .take(6)
        .map(String::from)
        .collect();
    let six = tmp.join("six.txt");
    std::fs::write(&six, lines.join("\n") + "\n")?;
    let bargs = format!(
        "--model {m} --text {} --attention model,board --verify --renormalize --out {}",
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
    let _ = std::fs::remove_dir_all(&tmp);

    let mut acc = Vec::new();
    for (label, renorm, _, rep) in &runs {
        let name = format!(
            "{} ({} passages){}",
            label,
            rep["passages"],
            if *renorm { ", renormalized" } else { "" }
        );
        rows(rep, &name, &mut acc)?;
    }
    page.set(
        "encode_table",
        table(
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
    // The ratios the issue bounds.
    let get = |label: &str, renorm: bool| -> Result<&Value> {
        Ok(&runs
            .iter()
            .find(|r| r.0 == label && r.1 == renorm)
            .context("a run")?
            .3)
    };
    let mut worst_ratio: f64 = 0.0;
    let mut min_renorm: f64 = 1.0;
    for label in ["passages", "short"] {
        for renorm in [false, true] {
            let rep = get(label, renorm)?;
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

    // Per layer on the fixture (model path, plain).
    let plain = get("passages", false)?;
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
            crate::sections::thou(l["cycles"].as_u64().unwrap_or(0)),
        ]);
    }
    page.set(
        "encode_layer_table",
        table(
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
        crate::sections::thou(mb["cycles_total"].as_u64().unwrap_or(0)),
    );
    page.set(
        "encode_tokens",
        plain["tokens"]
            .as_array()
            .map_or(0, |t| t.iter().filter_map(Value::as_u64).sum::<u64>())
            .to_string(),
    );
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
        table(
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

    // Figure: cosine to float per passage against its length.
    let mut dots: Vec<Series> = Vec::new();
    for (label, renorm, _, rep) in &runs {
        if *label != "passages" {
            continue;
        }
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
                format!("{b}{}", if *renorm { ", renormalized" } else { "" }),
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
    )?;
    // Recorded without this machine's paths.
    let root = page.root.display().to_string();
    let tmps = tmp.display().to_string();
    let local = |v: Value| -> Result<Value> {
        let s = v.to_string().replace(&tmps, "$TMP").replace(&root, ".");
        Ok(serde_json::from_str(&s)?)
    };
    let record: Vec<Value> = runs
        .iter()
        .map(|(label, renorm, args, rep)| {
            local(serde_json::json!({"passages": label, "renormalize": renorm, "args": args, "report": rep}))
        })
        .collect::<Result<_>>()?;
    page.record("encode", &record)?;
    page.record("encode_board", local(brep)?)?;
    Ok(())
}
