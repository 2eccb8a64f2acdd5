//! `logattn run`: every head of Q, K, V (or of P and V) through a board, outputs to .npy.

use crate::connect::{Connection, LinkArgs};
use crate::driver::{Done, Job, LinkStats, Outcome};
use crate::jobs;
use crate::transport::faults::FaultCounts;
use crate::CodebookArgs;
use anyhow::{anyhow, bail, Context, Result};
use model::link::{DeviceConfig, DeviceInfo, Response};
use model::output::Outputs;
use model::{npy, Codebook};
use ndarray::{Array3, ArrayD, Axis, CowArray, Ix3, IxDyn};
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
    /// Output `[..., rows, d]`, float32. A head that fails (out of attempts, or `--verify`
    /// finds a difference) does not stop the run: the others are written, the failed heads
    /// NaN, and logattn exits with code 3 naming them.
    #[arg(long)]
    pub out: PathBuf,
    /// Run only the heads of an earlier `--out` that are NaN (failed), keep the others, and
    /// replace `--out` with the whole (a missing `--out`: run every head).
    #[arg(long)]
    pub resume: bool,
    /// Recompute every head with the model and fail on any difference (integers and compute
    /// cycles).
    #[arg(long)]
    pub verify: bool,
    /// Write a JSON report, a status per head (`-`: to standard output, instead of the
    /// summary). Written together with `--out`, or neither is.
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
    /// `ok`; `failed` (its output is NaN; `error` says why); `kept` (`--resume`: taken from
    /// the earlier output, not run again).
    pub status: &'static str,
    pub error: Option<String>,
    pub rows: usize,
    pub n: usize,
    /// Compute cycles the board reported (0 unless `ok`).
    pub cycles: u32,
    /// Compute cycles the model predicts (with `--verify`).
    pub cycles_model: Option<u32>,
    pub attempts: u32,
    pub latency_us: f64,
    /// Board cycles simulated from the first send to the response (simulated transports).
    pub sim_cycles: Option<u64>,
}

impl HeadReport {
    /// A job's verified result.
    fn done(job: &Job, d: &Done, cycles_model: Option<u32>) -> Self {
        let (rows, n) = match &job.request.payload {
            model::link::Payload::Head(h) => (h.qq.nrows(), h.kq.nrows()),
            model::link::Payload::Codes(c) => (c.codes.nrows(), c.codes.ncols()),
            model::link::Payload::Info => (0, 0),
        };
        Self {
            name: job.name.clone(),
            status: "ok",
            error: None,
            rows,
            n,
            cycles: d.response.cycles,
            cycles_model,
            attempts: d.attempts,
            latency_us: d.latency.as_secs_f64() * 1e6,
            sim_cycles: d.sim_cycles,
        }
    }

    fn failed(name: &str, rows: usize, n: usize, why: &str) -> Self {
        Self {
            status: "failed",
            error: Some(why.to_string()),
            ..Self::kept(name, rows, n)
        }
    }

    fn kept(name: &str, rows: usize, n: usize) -> Self {
        Self {
            name: name.to_string(),
            status: "kept",
            error: None,
            rows,
            n,
            cycles: 0,
            cycles_model: None,
            attempts: 0,
            latency_us: 0.0,
            sim_cycles: None,
        }
    }
}

/// The JSON report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub transport: String,
    pub board: InfoReport,
    pub codebook: String,
    pub kind: &'static str,
    /// Heads verified this run, failed (NaN in the output), and kept from an earlier output
    /// (`--resume`).
    pub heads_ok: usize,
    pub heads_failed: usize,
    pub heads_kept: usize,
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
    // As a board's info would refuse it (`DeviceConfig::from_info`), whichever board it is.
    if cb.bits() != model::HW_CODE_BITS {
        bail!(
            "the board takes {}-bit codes; the codebook asked for ({}) has {} bits",
            model::HW_CODE_BITS,
            cb.describe(),
            cb.bits()
        );
    }
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

/// One job's result in a run: its response and report, or why it failed.
pub type JobResult = std::result::Result<(Response, HeadReport), String>;

/// Every job of a run, each accounted for exactly once ([`run_jobs_each`]).
pub struct Ran {
    /// Per job, in job order.
    pub results: Vec<JobResult>,
    /// What ended the run before every job was tried, if anything did (the link failed, the
    /// board refused a job); the jobs it left unfinished have failed with it.
    pub stopped: Option<anyhow::Error>,
}

impl Ran {
    /// The indices and reasons of the jobs that failed.
    pub fn failed(&self) -> Vec<(usize, &str)> {
        self.results
            .iter()
            .enumerate()
            .filter_map(|(i, r)| r.as_ref().err().map(|e| (i, e.as_str())))
            .collect()
    }
}

/// Runs jobs over a connection and checks each result against the model when `verify`.
/// Returns the responses in job order and per-head reports; fails at the first job that
/// fails (see [`run_jobs_each`] to keep going).
pub fn run_jobs(
    conn: &mut Connection,
    cfg: &DeviceConfig,
    jobs: &[Job],
    verify: bool,
    pb: &indicatif::ProgressBar,
) -> Result<(Vec<Response>, Vec<HeadReport>)> {
    let ran = run_jobs_each(conn, cfg, jobs, verify, false, pb)?;
    if let Some(e) = ran.stopped {
        return Err(e);
    }
    ran.results
        .into_iter()
        .map(|r| r.map_err(anyhow::Error::msg))
        .collect::<Result<Vec<_>>>()
        .map(|v| v.into_iter().unzip())
}

/// Runs jobs over a connection, checking each result against the model when `verify`, and
/// accounts for every job exactly once: a second result for a job, or a job without one, is
/// an error (a fault of the driver), never an overwrite. With `keep_going`, a job that runs
/// out of attempts or fails verification is recorded as failed and the others go on, and an
/// error of the link ends the run with the finished results kept ([`Ran::stopped`]);
/// without, the first failure ends the run with an error.
pub fn run_jobs_each(
    conn: &mut Connection,
    cfg: &DeviceConfig,
    jobs: &[Job],
    verify: bool,
    keep_going: bool,
    pb: &indicatif::ProgressBar,
) -> Result<Ran> {
    let mut ledger = Ledger::new(jobs);
    let ran = conn.driver.run_each(jobs, |o: Outcome| {
        let j = o.job();
        let job = jobs
            .get(j)
            .ok_or_else(|| anyhow!("the driver returned a result for job {j} of {}", jobs.len()))?;
        let result = match o {
            Outcome::Failed { attempts, why, .. } => {
                let e = format!("no verified response after {attempts} attempts; last: {why}");
                if !keep_going {
                    bail!("{}: {e}; nothing was written for it", job.name);
                }
                Err(e)
            }
            Outcome::Done(d) => {
                let checked = if verify {
                    let want = jobs::expected(cfg, &job.request);
                    jobs::verify(&job.name, &d.response, &want).map(|()| Some(want.cycles))
                } else {
                    Ok(None)
                };
                match checked {
                    Err(e) if keep_going => Err(e
                        .to_string()
                        .trim_start_matches(&format!("{}: ", job.name))
                        .to_string()),
                    Err(e) => return Err(e),
                    Ok(cycles_model) => {
                        let rep = HeadReport::done(job, &d, cycles_model);
                        Ok((d.response, rep))
                    }
                }
            }
        };
        ledger.record(j, result)?;
        pb.inc(1);
        Ok(())
    });
    let stopped = match ran {
        Ok(()) => None,
        Err(e) if keep_going && ledger.any() => Some(e),
        Err(e) => return Err(e),
    };
    let results = ledger.finish(stopped.as_ref())?;
    Ok(Ran { results, stopped })
}

/// The results of a run's jobs, each recorded exactly once.
struct Ledger<'a> {
    jobs: &'a [Job],
    got: Vec<Option<JobResult>>,
}

impl<'a> Ledger<'a> {
    fn new(jobs: &'a [Job]) -> Self {
        Self {
            jobs,
            got: vec![None; jobs.len()],
        }
    }

    /// Records job `j`'s result; a job out of range or recorded before is an error.
    fn record(&mut self, j: usize, result: JobResult) -> Result<()> {
        let Some(slot) = self.got.get_mut(j) else {
            bail!(
                "a result for job {j}, but there are {} jobs",
                self.jobs.len()
            );
        };
        if slot.is_some() {
            bail!("{}: a second result for it", self.jobs[j].name);
        }
        *slot = Some(result);
        Ok(())
    }

    fn any(&self) -> bool {
        self.got.iter().any(Option::is_some)
    }

    /// Every job's result. A job without one failed with `stopped` when the run stopped
    /// early; otherwise it is an error.
    fn finish(self, stopped: Option<&anyhow::Error>) -> Result<Vec<JobResult>> {
        self.jobs
            .iter()
            .zip(self.got)
            .map(|(job, g)| match (g, stopped) {
                (Some(r), _) => Ok(r),
                (None, Some(e)) => Ok(Err(format!("not finished: the run stopped early ({e:#})"))),
                (None, None) => bail!("{}: the run ended without a result for it", job.name),
            })
            .collect()
    }
}

/// The heads `todo` of `a` (`[heads, ...]`): a copy only when they are not all of them.
fn heads_of<'a>(a: &'a Array3<f32>, todo: &[usize]) -> CowArray<'a, f32, Ix3> {
    if todo.len() == a.len_of(Axis(0)) {
        a.view().into()
    } else {
        a.select(Axis(0), todo).into()
    }
}

/// The heads of `out` (`[heads, rows, d]`) that hold a NaN: those a run left unfinished.
pub fn unfinished_heads(out: &Array3<f32>) -> Vec<usize> {
    out.outer_iter()
        .enumerate()
        .filter(|(_, h)| h.iter().any(|x| x.is_nan()))
        .map(|(i, _)| i)
        .collect()
}

/// A run that finished with some heads failed: the output is written, those heads NaN.
/// `logattn` exits with [`Incomplete::EXIT_CODE`].
#[derive(Debug)]
pub struct Incomplete {
    /// The one-line message (names the failed heads).
    pub message: String,
    /// What goes to standard output all the same (`--json -`).
    pub stdout: Option<String>,
}

impl Incomplete {
    /// The exit code of a run that wrote its output with some heads failed.
    pub const EXIT_CODE: i32 = 3;
}

impl std::fmt::Display for Incomplete {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Incomplete {}

/// The failed heads, named, for a one-line message: the first few and how many more.
fn name_failed(failed: &[(String, String)]) -> String {
    const SHOWN: usize = 3;
    let mut s: Vec<String> = failed
        .iter()
        .take(SHOWN)
        .map(|(n, why)| format!("{n} ({why})"))
        .collect();
    if failed.len() > SHOWN {
        s.push(format!("and {} more", failed.len() - SHOWN));
    }
    s.join(", ")
}

/// Runs the command; returns the summary to print. A run in which some heads failed writes
/// the others and returns [`Incomplete`].
pub fn run(args: &Args) -> Result<String> {
    let t0 = std::time::Instant::now();
    let cb = args.codebook.codebook()?;
    let mut outputs = Outputs::new();
    // With --resume, --out is read and then replaced: it is not an input to protect.
    outputs.inputs(
        [&args.q, &args.k, &args.probs]
            .into_iter()
            .flatten()
            .chain([&args.v])
            .map(|p| p.as_path()),
    );
    outputs.claim(&args.out)?;
    let json_file = args.json.as_ref().filter(|j| j.as_os_str() != "-");
    if let Some(j) = json_file {
        outputs.claim(j)?;
    }
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
    let (heads, n, d) = (v3.len_of(Axis(0)), v3.len_of(Axis(1)), v3.len_of(Axis(2)));
    if heads == 0 {
        bail!(
            "{}: no heads (its leading axes {out_lead:?} hold none): nothing to run",
            args.v.display()
        );
    }
    match args.valid_len {
        Some(0) => bail!("--valid-len 0: at least one key must be valid (1..=n = {n})"),
        Some(l) if l > n => bail!("valid length {l} exceeds n = {n} keys"),
        _ => {}
    }
    let mut shape = out_lead.clone();
    shape.extend([rows, d]);
    // --resume: the heads of an earlier output left NaN (failed) run again, the rest are kept.
    let mut out = Array3::<f32>::from_elem((heads, rows, d), f32::NAN);
    let todo: Vec<usize> = match args.resume.then(|| args.out.exists()) {
        Some(true) => {
            let prev = npy::read::<f32>(&args.out)?;
            if prev.shape() != shape.as_slice() {
                bail!(
                    "--resume: {} has shape {:?}; this run's output is {shape:?}",
                    args.out.display(),
                    prev.shape()
                );
            }
            out = prev
                .into_shape_with_order((heads, rows, d))
                .expect("same number of elements");
            let todo = unfinished_heads(&out);
            if todo.is_empty() {
                return Ok(format!(
                    "--resume: every head of {} is complete; nothing to run",
                    args.out.display()
                ));
            }
            todo
        }
        _ => (0..heads).collect(),
    };
    let names = head_names(&out_lead);
    let mut conn = args.link.connect(|| sim_config_for(d, &cb, codes))?;
    let info = conn
        .driver
        .info()
        .context("asking the board for its configuration")?;
    let cfg = DeviceConfig::from_info(&info, &cb)?;
    let pick = |a| heads_of(a, &todo);
    let todo_names: Vec<String> = todo.iter().map(|&h| names[h].clone()).collect();
    let (jobs, dequants) = match &b3 {
        Some(k3) => jobs::head_jobs(
            &cfg,
            pick(&a3).view(),
            pick(k3).view(),
            pick(&v3).view(),
            args.valid_len.unwrap_or(n),
            &todo_names,
        )?,
        None => jobs::codes_jobs(&cfg, &cb, pick(&a3).view(), pick(&v3).view(), &todo_names)?,
    };
    let pb = progress(jobs.len() as u64, args.quiet, "heads");
    let ran = run_jobs_each(&mut conn, &cfg, &jobs, args.verify, true, &pb)?;
    pb.finish_and_clear();
    let failed: Vec<(String, String)> = ran
        .failed()
        .into_iter()
        .map(|(i, why)| (jobs[i].name.clone(), why.to_string()))
        .collect();
    if failed.len() == heads {
        // Nothing finished and nothing kept: nothing to write.
        if let Some(e) = ran.stopped {
            return Err(e);
        }
        bail!(
            "every head failed, nothing was written: {}",
            name_failed(&failed)
        );
    }
    let mut heads_report: Vec<HeadReport> = (0..heads)
        .map(|h| HeadReport::kept(&names[h], rows, n))
        .collect();
    for ((&h, result), dq) in todo.iter().zip(&ran.results).zip(&dequants) {
        let mut o = out.index_axis_mut(Axis(0), h);
        match result {
            Ok((r, rep)) => {
                let acc = r
                    .result
                    .as_ref()
                    .ok_or_else(|| anyhow!("{}: an Ok response without a result", names[h]))?;
                o.assign(&dq.apply(acc));
                heads_report[h] = rep.clone();
            }
            Err(why) => {
                o.fill(f32::NAN);
                heads_report[h] = HeadReport::failed(&names[h], rows, n, why);
            }
        }
    }
    let out: ArrayD<f32> = out
        .into_shape_with_order(IxDyn(&shape))
        .expect("same number of elements");
    let report = Report {
        transport: conn.driver.link_ref().describe(),
        board: InfoReport::from(&info),
        codebook: cb.describe(),
        kind: if codes { "codes" } else { "head" },
        cycles: heads_report.iter().map(|h| h.cycles as u64).sum(),
        heads_ok: heads_report.iter().filter(|h| h.status == "ok").count(),
        heads_failed: failed.len(),
        heads_kept: heads - todo.len(),
        heads: heads_report,
        verified: args.verify,
        link: conn.driver.stats(),
        faults: conn.faults.as_ref().map(|f| f.get()),
        wall_s: t0.elapsed().as_secs_f64(),
    };
    let json_text = args
        .json
        .as_ref()
        .map(|_| serde_json::to_string_pretty(&report))
        .transpose()?;
    outputs.npy(&args.out, &out)?;
    if let (Some(j), Some(text)) = (json_file, &json_text) {
        outputs.text(j, text)?;
    }
    outputs.commit()?;
    let stdout = json_text.filter(|_| json_file.is_none());
    if !failed.is_empty() {
        return Err(Incomplete {
            message: format!(
                "{}{} of {} heads failed: {}; the other {} are in {} (the failed heads are NaN{}); run again with --resume to run only them",
                ran.stopped
                    .as_ref()
                    .map(|e| format!("the run stopped early ({e:#}): "))
                    .unwrap_or_default(),
                failed.len(),
                heads,
                name_failed(&failed),
                heads - failed.len(),
                args.out.display(),
                json_file
                    .map(|j| format!("; per-head status in {}", j.display()))
                    .unwrap_or_default()
            ),
            stdout,
        }
        .into());
    }
    if let Some(text) = stdout {
        return Ok(text);
    }
    Ok(format!(
        "{} heads{} on {}: {} compute cycles, {} frames sent, {} retries{} -> {}",
        todo.len(),
        if report.heads_kept > 0 {
            format!(" ({} more kept from the earlier output)", report.heads_kept)
        } else {
            String::new()
        },
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

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(n: usize) -> Vec<Job> {
        (0..n)
            .map(|i| Job {
                name: format!("head [{i}]"),
                request: model::link::Request::info(0),
            })
            .collect()
    }

    /// Every job is accounted for exactly once: a second result, a result for a job that does
    /// not exist, or a job without a result is an error, never an overwrite or a panic.
    #[test]
    fn the_ledger_takes_each_job_exactly_once() {
        let js = jobs(3);
        let mut l = Ledger::new(&js);
        l.record(0, Err("lost".into())).unwrap();
        l.record(2, Err("lost".into())).unwrap();
        let e = l.record(2, Err("again".into())).unwrap_err().to_string();
        assert_eq!(e, "head [2]: a second result for it");
        let e = l.record(3, Err("x".into())).unwrap_err().to_string();
        assert_eq!(e, "a result for job 3, but there are 3 jobs");
        let e = l.finish(None).unwrap_err().to_string();
        assert_eq!(e, "head [1]: the run ended without a result for it");
        // A run stopped early: the jobs it did not finish fail with its reason.
        let mut l = Ledger::new(&js);
        l.record(1, Err("lost".into())).unwrap();
        let r = l.finish(Some(&anyhow!("the link failed"))).unwrap();
        assert_eq!(
            r[0].as_ref().unwrap_err(),
            "not finished: the run stopped early (the link failed)"
        );
        assert_eq!(r[1].as_ref().unwrap_err(), "lost");
    }

    #[test]
    fn unfinished_heads_are_the_ones_holding_nan() {
        let mut o = Array3::<f32>::zeros((4, 2, 3));
        o[[1, 1, 2]] = f32::NAN;
        o.index_axis_mut(Axis(0), 3).fill(f32::NAN);
        assert_eq!(unfinished_heads(&o), [1, 3]);
    }
}
