//! `logattn attend`: the software path of the hardware contract, head by head.

use crate::CodebookArgs;
use anyhow::{anyhow, Result};
use model::contract::{attend_head, rel_err, split_heads};
use model::npy;
use model::output::Outputs;
use ndarray::{Array2, ArrayView2, Axis, IxDyn};
use serde::Serialize;
use std::path::PathBuf;

/// Arguments of `logattn attend`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Attention probabilities `[..., rows, n]`, float32.
    #[arg(long)]
    pub probs: PathBuf,
    /// Values `[..., n, d]`, float32, same leading axes as P.
    #[arg(long)]
    pub v: PathBuf,
    #[command(flatten)]
    pub codebook: CodebookArgs,
    /// Divide each row by its surviving weight sum r, winning back the pruned mass.
    #[arg(long)]
    pub renormalize: bool,
    /// Output `[..., rows, d]`, float32.
    #[arg(long)]
    pub out: PathBuf,
    /// Write a JSON report (per head: kept codes, relative errors). Written together with
    /// `--out`, or neither is.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Per-head figures.
#[derive(Serialize, Debug)]
pub struct HeadFigures {
    pub head: usize,
    pub nnz: usize,
    pub values: usize,
    /// `||out - P V|| / ||P V||` against the float attention output.
    pub rel_err_vs_float: f64,
    /// Against the float pruned-and-quantized output `level(code(P)) V`: what int8 V costs.
    pub rel_err_vs_float_quantized: f64,
}

/// The JSON report.
#[derive(Serialize, Debug)]
pub struct Report {
    pub codebook: String,
    pub weights: Vec<u32>,
    pub weight_scale: f64,
    pub renormalize: bool,
    pub heads: Vec<HeadFigures>,
    pub rel_err_vs_float: f64,
    pub rel_err_vs_float_quantized: f64,
}

fn matmul_f64(p: ArrayView2<f64>, v: ArrayView2<f32>) -> Array2<f32> {
    p.dot(&v.mapv(|x| x as f64)).mapv(|x| x as f32)
}

/// Runs the command; returns the summary to print.
pub fn run(args: &Args) -> Result<String> {
    let cb = args.codebook.codebook()?;
    let mut outputs = Outputs::new();
    outputs.input(&args.probs).input(&args.v);
    outputs.claim(&args.out)?;
    if let Some(j) = &args.json {
        outputs.claim(j)?;
    }
    let p = npy::read_probs(&args.probs)?;
    let v = npy::read_finite_f32(&args.v)?;
    let (p3, v3) = split_heads(&p, &v)
        .map_err(|e| anyhow!("{} and {}: {e}", args.probs.display(), args.v.display()))?;
    let (ps, vs) = (p.shape(), v.shape());
    let r = ps.len();
    let (rows, d) = (ps[r - 2], vs[r - 1]);
    let mut out = ndarray::Array3::<f32>::zeros((p3.len_of(Axis(0)), rows, d));
    let levels = cb.levels();
    let mut heads = Vec::new();
    let (mut num_f, mut num_q, mut den_f, mut den_q) = (0.0, 0.0, 0.0, 0.0);
    for (h, (ph, vh)) in p3.outer_iter().zip(v3.outer_iter()).enumerate() {
        let res = attend_head(ph, vh, &cb, args.renormalize)?;
        let float = matmul_f64(ph.mapv(|x| x as f64).view(), vh);
        let mut lq = res.codes.mapv(|c| levels[c as usize]);
        if args.renormalize {
            for mut row in lq.rows_mut() {
                let s: f64 = row.sum();
                if s > 0.0 {
                    row /= s;
                }
            }
        }
        let fq = matmul_f64(lq.view(), vh);
        let (ef, eq) = (
            rel_err(res.out.view(), float.view()),
            rel_err(res.out.view(), fq.view()),
        );
        let sq = |a: &Array2<f32>| a.iter().map(|&x| (x as f64).powi(2)).sum::<f64>();
        den_f += sq(&float);
        den_q += sq(&fq);
        num_f += (ef * ef) * sq(&float);
        num_q += (eq * eq) * sq(&fq);
        heads.push(HeadFigures {
            head: h,
            nnz: res.codes.iter().filter(|&&c| c != 0).count(),
            values: res.codes.len(),
            rel_err_vs_float: ef,
            rel_err_vs_float_quantized: eq,
        });
        out.index_axis_mut(Axis(0), h).assign(&res.out);
    }
    let mut oshape = ps[..r - 1].to_vec();
    oshape.push(d);
    let out = out
        .into_shape_with_order(IxDyn(&oshape))
        .expect("same size");
    let ratio = |n: f64, d: f64| if d > 0.0 { (n / d).sqrt() } else { 0.0 };
    let w = cb.weights();
    let report = Report {
        codebook: cb.describe(),
        weights: w.w.clone(),
        weight_scale: w.scale,
        renormalize: args.renormalize,
        rel_err_vs_float: ratio(num_f, den_f),
        rel_err_vs_float_quantized: ratio(num_q, den_q),
        heads,
    };
    outputs.npy(&args.out, &out)?;
    if let Some(j) = &args.json {
        outputs.text(j, &serde_json::to_string_pretty(&report)?)?;
    }
    outputs.commit()?;
    let nnz: usize = report.heads.iter().map(|h| h.nnz).sum();
    let vals: usize = report.heads.iter().map(|h| h.values).sum();
    Ok(format!(
        "{}{}: {} heads, {:.2}% of codes kept; relative error vs float attention {:.4}, vs float quantized {:.5} -> {}",
        report.codebook,
        if args.renormalize { " (renormalized)" } else { "" },
        report.heads.len(),
        100.0 * nnz as f64 / vals.max(1) as f64,
        report.rel_err_vs_float,
        report.rel_err_vs_float_quantized,
        args.out.display()
    ))
}
