//! `logattn run`: every head of Q, K, V (or of P and V) through a board, outputs to .npy.

use crate::connect::{Connection, LinkArgs};
use crate::driver::{Done, Job, LinkStats};
use crate::jobs;
use crate::transport::faults::FaultCounts;
use crate::CodebookArgs;
use anyhow::{anyhow, bail, Context, Result};
use model::link::{DeviceConfig, DeviceInfo, Response};
use model::{npy, Codebook};
use ndarray::{Array3, ArrayD, Axis, IxDyn};
use serde::Serialize;
use std::path::PathBuf;

/// Arguments of `logattn run`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Queries `[..., rows, d]`, float32.
    #[arg(long, requires_all = ["k", "v"], conflicts_with = "probs")]
    pub q: Option<PathBuf>,
    /// Keys `[..., n, d]`, float32, the leading axes of Q.
    #[arg(long)]
    pub k: Option<PathBuf>,
    /// Values `[..., n, d]`, float32.
    #[arg(long)]
    pub v: PathBuf,
    /// Attention probabilities `[..., rows, n]` instead of Q and K: the codes path (a board
    /// built for codes).
    #[arg(long)]
    pub probs: Option<PathBuf>,
    /// Keys at or past this index are masked (default: none).
    #[arg(long)]
    pub valid_len: Option<usize>,
    #[command(flatten)]
    pub codebook: CodebookArgs,
    #[command(flatten)]
    pub link: LinkArgs,
    /// Output `[..., rows, d]`, float32. Written only when every head succeeded.
    #[arg(long)]
    pub out: PathBuf,
    /// Recompute every head with the model and fail on any difference (integers and compute
    /// cycles).
    #[arg(long)]
    pub verify: bool,
    /// Write a JSON report (`-`: to standard output, instead of the summary).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// One head in the report.
#[derive(Clone, Debug, Serialize)]
pub struct HeadReport {
    pub name: String,
    pub rows: usize,
    pub n: usize,
    /// Compute cycles the board reported.
    pub cycles: u32,
    /// Compute cycles the model predicts (with `--verify`).
    pub cycles_model: Option<u32>,
    pub attempts: u32,
    pub latency_us: f64,
    /// Board cycles simulated from the first send to the response (simulated transports).
    pub sim_cycles: Option<u64>,
}

/// The JSON report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub transport: String,
    pub board: InfoReport,
    pub codebook: String,
    pub kind: &'static str,
    pub heads: Vec<HeadReport>,
    pub verified: bool,
    pub cycles: u64,
    pub link: LinkStats,
    pub faults: Option<FaultCounts>,
    pub wall_s: f64,
}

/// A board's info block for reports.
#[derive(Clone, Debug, Serialize)]
pub struct InfoReport {
    pub d: u16,
    pub n_max: u16,
    pub bits: u8,
    pub variant: &'static str,
    pub acc_bits: u8,
    pub rsum_bits: u8,
    pub codebook: String,
    pub front_end: bool,
    pub codes: bool,
    pub version: u8,
}

impl From<&DeviceInfo> for InfoReport {
    fn from(i: &DeviceInfo) -> Self {
        Self {
            d: i.d,
            n_max: i.n_max,
            bits: i.bits,
            variant: match i.variant {
                0 => "general",
                1 => "octave",
                2 => "dense",
                _ => "unknown",
            },
            acc_bits: i.acc_bits,
            rsum_bits: i.rsum_bits,
            codebook: if i.front_end == 1 {
                model::link::describe_tag(i.codebook)
            } else {
                "none (codes come from the host)".into()
            },
            front_end: i.front_end == 1,
            codes: i.codes == 1,
            version: i.version,
        }
    }
}

/// Names of the heads of leading shape `lead`: `head [l, h]`.
pub fn head_names(lead: &[usize]) -> Vec<String> {
    if lead.is_empty() {
        return vec!["head".into()];
    }
    let count: usize = lead.iter().product();
    (0..count)
        .map(|mut i| {
            let mut ix = vec![0; lead.len()];
            for (a, &s) in lead.iter().enumerate().rev() {
                ix[a] = i % s;
                i /= s;
            }
            format!("head {ix:?}")
        })
        .collect()
}

/// A simulated board fitting heads of dimension `d` (codes: a codes board) with `cb`: hdl's
/// compiled configuration for `d` ([`hdl::Build::head_board`], [`hdl::Build::codes_board`]).
pub fn sim_config_for(d: usize, cb: &Codebook, codes: bool) -> Result<DeviceConfig> {
    Ok(if codes {
        hdl::Build::codes_board(d, model::Variant::for_codebook(cb))?
    } else {
        hdl::Build::head_board(d, cb)?
    })
}

/// A progress bar over `len` jobs, hidden when `quiet` (indicatif draws only on a terminal).
pub fn progress(len: u64, quiet: bool, what: &str) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let pb = indicatif::ProgressBar::new(len);
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta})",
        )
        .expect("a valid template"),
    );
    pb.set_message(what.to_string());
    pb
}

/// Runs jobs over a connection with the board's verified results, checking each against the
/// model when `verify`. Returns the responses in job order and per-head reports.
pub fn run_jobs(
    conn: &mut Connection,
    cfg: &DeviceConfig,
    jobs: &[Job],
    verify: bool,
    pb: &indicatif::ProgressBar,
) -> Result<(Vec<Response>, Vec<HeadReport>)> {
    let mut got: Vec<Option<(Response, HeadReport)>> = vec![None; jobs.len()];
    conn.driver.run(jobs, |d: Done| {
        let job = &jobs[d.job];
        let cycles_model = if verify {
            let want = jobs::expected(cfg, &job.request);
            jobs::verify(&job.name, &d.response, &want)?;
            Some(want.cycles)
        } else {
            None
        };
        let (rows, n) = match &job.request.payload {
            model::link::Payload::Head(h) => (h.qq.nrows(), h.kq.nrows()),
            model::link::Payload::Codes(c) => (c.codes.nrows(), c.codes.ncols()),
            model::link::Payload::Info => (0, 0),
        };
        let rep = HeadReport {
            name: job.name.clone(),
            rows,
            n,
            cycles: d.response.cycles,
            cycles_model,
            attempts: d.attempts,
            latency_us: d.latency.as_secs_f64() * 1e6,
            sim_cycles: d.sim_cycles,
        };
        got[d.job] = Some((d.response, rep));
        pb.inc(1);
        Ok(())
    })?;
    Ok(got
        .into_iter()
        .map(|g| g.expect("every job completed"))
        .unzip())
}

/// Runs the command; returns the summary to print.
pub fn run(args: &Args) -> Result<String> {
    let t0 = std::time::Instant::now();
    let cb = args.codebook.codebook()?;
    let v = npy::read_finite_f32(&args.v)?;
    let codes = args.probs.is_some();
    // Split into heads: [h, rows, d] and friends, and the output's shape.
    let (a3, b3, v3, out_lead, rows) = if let Some(p) = &args.probs {
        let p = npy::read_probs(p)?;
        let (p3, v3) = model::contract::split_heads(&p, &v).map_err(|e| {
            anyhow!(
                "{} and {}: {e}",
                args.probs.as_ref().unwrap().display(),
                args.v.display()
            )
        })?;
        let r = p.ndim();
        let rows = p.shape()[r - 2];
        (p3, None, v3, p.shape()[..r - 2].to_vec(), rows)
    } else {
        let (Some(qp), Some(kp)) = (&args.q, &args.k) else {
            bail!("give --q, --k and --v (a whole head), or --probs and --v (codes)");
        };
        let q = npy::read_finite_f32(qp)?;
        let k = npy::read_finite_f32(kp)?;
        let (q3, k3, v3) = model::contract::split_qkv(&q, &k, &v)?;
        let r = q.ndim();
        (
            q3,
            Some(k3),
            v3,
            q.shape()[..r - 2].to_vec(),
            q.shape()[r - 2],
        )
    };
    if args.valid_len.is_some() && codes {
        bail!("--valid-len applies to Q/K/V runs (codes carry their own zeros)");
    }
    let (n, d) = (v3.len_of(Axis(1)), v3.len_of(Axis(2)));
    if let Some(l) = args.valid_len.filter(|&l| l > n) {
        bail!("valid length {l} exceeds n = {n} keys");
    }
    let names = head_names(&out_lead);
    let mut conn = args.link.connect(|| sim_config_for(d, &cb, codes))?;
    let info = conn
        .driver
        .info()
        .context("asking the board for its configuration")?;
    let cfg = DeviceConfig::from_info(&info, &cb)?;
    let (jobs, dequants) = match &b3 {
        Some(k3) => jobs::head_jobs(
            &cfg,
            a3.view(),
            k3.view(),
            v3.view(),
            args.valid_len.unwrap_or(n),
            &names,
        )?,
        None => jobs::codes_jobs(&cfg, &cb, a3.view(), v3.view(), &names)?,
    };
    let pb = progress(jobs.len() as u64, args.quiet, "heads");
    let (responses, heads) = run_jobs(&mut conn, &cfg, &jobs, args.verify, &pb)?;
    pb.finish_and_clear();
    let mut out = Array3::<f32>::zeros((jobs.len(), rows, d));
    for (h, (r, dq)) in responses.iter().zip(&dequants).enumerate() {
        let acc = r.result.as_ref().expect("an Ok head response has a result");
        out.index_axis_mut(Axis(0), h).assign(&dq.apply(acc));
    }
    let mut shape = out_lead.clone();
    shape.extend([rows, d]);
    let out: ArrayD<f32> = out
        .into_shape_with_order(IxDyn(&shape))
        .expect("same number of elements");
    npy::write_atomic(&args.out, &out)?;
    let report = Report {
        transport: conn.driver.link_ref().describe(),
        board: InfoReport::from(&info),
        codebook: cb.describe(),
        kind: if codes { "codes" } else { "head" },
        cycles: heads.iter().map(|h| h.cycles as u64).sum(),
        heads,
        verified: args.verify,
        link: conn.driver.stats(),
        faults: conn.faults.as_ref().map(|f| f.get()),
        wall_s: t0.elapsed().as_secs_f64(),
    };
    if let Some(j) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        if j.as_os_str() == "-" {
            return Ok(text);
        }
        model::output::write_text_atomic(j, &text)?;
    }
    Ok(format!(
        "{} heads on {}: {} compute cycles, {} frames sent, {} retries{} -> {}",
        report.heads.len(),
        report.transport,
        report.cycles,
        report.link.frames_sent,
        report.link.retries,
        if args.verify {
            "; every head bit-exact against the model, cycles included"
        } else {
            ""
        },
        args.out.display()
    ))
}
