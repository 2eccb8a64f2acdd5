//! `logattn bench`: synthetic heads through a board: throughput, latency, link and compute,
//! and a projection to a real board from the simulated cycles.
//!
//! Heads are random Gaussian Q, K, V with Q scaled (a softmax temperature) so that the
//! model's codes reach each requested sparsity (fraction of zero codes), found by bisection
//! on the first head of each configuration.

use crate::connect::{Kind, LinkArgs};
use crate::driver::LinkStats;
use crate::jobs;
use crate::run::{progress, run_jobs, sim_config_for};
use crate::CodebookArgs;
use anyhow::{bail, Context, Result};
use model::frontend::{front_end, FrontEndParams};
use model::link::DeviceConfig;
use model::output::Outputs;
use model::Codebook;
use ndarray::{Array2, Array3, Axis};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Instant;

/// Arguments of `logattn bench`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Keys per head (comma-separated list).
    #[arg(long, value_delimiter = ',', default_values_t = [128usize, 512])]
    pub n: Vec<usize>,
    /// Head dimension (default: the board's D; a simulated board without --board is built
    /// for 64).
    #[arg(long)]
    pub d: Option<usize>,
    /// Query rows per head (default: n).
    #[arg(long)]
    pub rows: Option<usize>,
    /// Heads per configuration.
    #[arg(long, default_value_t = 4)]
    pub heads: usize,
    /// Target fractions of zero codes (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [0.8f64])]
    pub sparsity: Vec<f64>,
    /// Seed of the synthetic heads.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub codebook: CodebookArgs,
    #[command(flatten)]
    pub link: LinkArgs,
    /// Project board figures for this board (ulx3s, alchitry_cu, xem7010) from the cycles
    /// measured here, its design clock and its link (default: `--board`, if given).
    #[arg(long)]
    pub project: Option<String>,
    /// Also recompute every head with the model (integers and cycles).
    #[arg(long)]
    pub verify: bool,
    /// Write a JSON report (`-`: to standard output, instead of the table).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Min, median, max.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(mut v: Vec<f64>) -> Self {
        v.sort_by(|a, b| a.total_cmp(b));
        let n = v.len();
        Self {
            min: v[0],
            median: if n % 2 == 1 {
                v[n / 2]
            } else {
                (v[n / 2 - 1] + v[n / 2]) / 2.0
            },
            max: v[n - 1],
        }
    }
}

/// A board's figures projected from measured cycles: stated as a projection, with its
/// assumptions.
#[derive(Clone, Debug, Serialize)]
pub struct Projection {
    pub board: String,
    /// The clock the head computes on, MHz: the design clock (a PLL output), or the link
    /// design's own clock where the board gives it one (the XEM7010's MMCM,
    /// `hdl::boards::Board::head_clock_hz`).
    pub clock_mhz: f64,
    /// The routed Fmax of the compute clock in its committed bitstream, MHz, if there is one.
    pub fmax_mhz: Option<f64>,
    /// The link: e.g. `UART 3000000 baud 8N1, full duplex`.
    pub link: String,
    /// Payload bytes per second each way.
    pub link_bytes_per_s: f64,
    pub full_duplex: bool,
    /// One head alone: request transfer + compute + response transfer, microseconds.
    pub latency_us: Spread,
    /// Heads back to back: the slowest of receive, compute and send bounds the rate.
    pub heads_per_s: f64,
    /// What bounds it: "link in", "link out", "link" (half duplex) or "compute".
    pub bound: &'static str,
    /// Compute time over the whole per-head time (latency), median.
    pub compute_share: f64,
    /// P, keys the board's front end scores a cycle (1 on a codes design).
    pub keys_per_cycle: usize,
    /// K, non-zero codes the board's core issues a cycle.
    pub nnz_per_cycle: usize,
    /// Where the cycles come from: `measured` (on a device built with the board's P and K) or
    /// `model` (`model::link::Device` at the board's P and K, which the RTL's cycles equal).
    pub cycles_from: &'static str,
    /// The board's assumed power, W (`hdl::boards::Resources::assumed_power_w`).
    pub assumed_power_w: f64,
    /// Energy a head alone (median latency x the assumed power), mJ.
    pub energy_mj: f64,
    /// Energy of a head's compute alone (median compute time x the assumed power), mJ.
    pub compute_energy_mj: f64,
}

/// The compute cycles of `jobs` on board `b` as its design is built: `measured` (read back
/// from device `ran`) when `ran` is built with the board's P and K; otherwise the model
/// board's at the board's P and K ([`model::link::Device`], whose cycles the RTL's equal, as
/// `sim heads` checks). The second value says which: `measured` or `model`.
pub fn board_cycles(
    b: &hdl::boards::Board,
    ran: &DeviceConfig,
    jobs: &[crate::driver::Job],
    measured: &[u32],
) -> Result<(Vec<u32>, &'static str)> {
    check_jobs_fit(b, ran.core.d, ran.front_end().is_some())?;
    let want = b.device_config();
    let pk = |c: &DeviceConfig| (c.keys_per_cycle(), c.core.nnz_per_cycle);
    if pk(ran) == pk(&want) {
        return Ok((measured.to_vec(), "measured"));
    }
    let model = model::link::Device::new(want);
    jobs.iter()
        .map(|j| {
            let r = model.serve(&j.request);
            if r.status != model::link::Status::Ok {
                bail!(
                    "--project {}: the model of its `{}` design refuses {}: {:?}",
                    b.name,
                    b.design.name,
                    j.name,
                    r.status
                );
            }
            Ok(r.cycles)
        })
        .collect::<Result<Vec<u32>>>()
        .map(|c| (c, "model"))
}

/// One configuration's results.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub n: usize,
    pub rows: usize,
    pub d: usize,
    pub target_sparsity: f64,
    /// Fraction of zero codes the heads actually had (model).
    pub sparsity: f64,
    pub heads: usize,
    pub bytes_in_per_head: usize,
    pub bytes_out_per_head: usize,
    /// Compute cycles read back from the board.
    pub cycles: Spread,
    /// Wall clock through this transport.
    pub heads_per_s: f64,
    pub mb_per_s_to_board: f64,
    pub mb_per_s_from_board: f64,
    pub latency_us: Spread,
    /// Simulated transports: board cycles per head with the link at one byte a cycle each
    /// way, and the compute share of them.
    pub sim_cycles_per_head: Option<f64>,
    pub compute_share_of_sim_cycles: Option<f64>,
    pub link: LinkStats,
    pub projection: Option<Projection>,
}

/// The JSON report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub transport: String,
    pub codebook: String,
    pub rows: Vec<Row>,
}

/// A standard normal sample (Box-Muller).
fn gaussian(rng: &mut impl Rng) -> f32 {
    let u: f64 = rng.gen_range(f64::MIN_POSITIVE..1.0);
    let v: f64 = rng.gen();
    ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
}

fn random(rng: &mut StdRng, r: usize, c: usize) -> Array2<f32> {
    Array2::from_shape_simple_fn((r, c), || gaussian(rng))
}

/// Fraction of zero codes the model gives Q `[rows, d]` and K.
fn sparsity_of(
    fe: &FrontEndParams,
    cb: &Codebook,
    q: &Array2<f32>,
    k: &Array2<f32>,
) -> Result<f64> {
    let t = front_end(fe, cb, q.view(), k.view(), k.nrows())?;
    Ok(t.codes.iter().filter(|&&c| c == 0).count() as f64 / t.codes.len() as f64)
}

/// The scale in 2^-6..2^8 at which `sparsity(scale)` (rising with the scale) reaches `target`:
/// bisection on log2 of the scale.
fn scale_for(target: f64, mut sparsity: impl FnMut(f64) -> Result<f64>) -> Result<f64> {
    let (mut lo, mut hi) = (-6.0f64, 8.0f64);
    for _ in 0..30 {
        let mid = (lo + hi) / 2.0;
        if sparsity(mid.exp2())? < target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(((lo + hi) / 2.0).exp2())
}

/// The Q scale at which the model's codes reach `target` sparsity.
fn temperature(
    fe: &FrontEndParams,
    cb: &Codebook,
    q: &Array2<f32>,
    k: &Array2<f32>,
    target: f64,
) -> Result<f64> {
    scale_for(target, |s| {
        sparsity_of(fe, cb, &q.mapv(|x| x * s as f32), k)
    })
}

/// `Err` naming both unless jobs of `d` lanes (`whole_heads`: Q, K and V; otherwise codes) are
/// what `b`'s design computes.
fn check_jobs_fit(b: &hdl::boards::Board, d: usize, whole_heads: bool) -> Result<()> {
    let what = |fe: bool| if fe { "whole heads" } else { "codes" };
    let design = &b.design;
    if design.front_end != whole_heads || design.d != d {
        bail!(
            "--project {}: its `{}` design is built for {} at D = {}; these jobs are {} at d = {d}",
            b.name,
            design.name,
            what(design.front_end),
            design.d,
            what(whole_heads)
        );
    }
    Ok(())
}

/// One clock of a bitstream manifest (`scripts/bitstream.sh`): its role, its target and its
/// routed Fmax, MHz.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ManifestClock {
    /// `"design"` (the manifest's one clock), or `"UART"` / `"head"` where the link design has
    /// its own clock.
    pub role: &'static str,
    /// The clock's constraint, MHz.
    pub target_mhz: f64,
    /// nextpnr's Fmax for it, MHz.
    pub fmax_mhz: f64,
}

/// The lowest Fmax over a bitstream manifest's clocks, MHz.
pub fn manifest_fmax(m: &serde_json::Value) -> Option<f64> {
    m["fmax_mhz"]
        .as_object()
        .and_then(|o| o.values().filter_map(|v| v.as_f64()).reduce(f64::min))
}

/// A manifest's clocks, the design clock first: one clock (the slowest Fmax if nextpnr named
/// several), or the UART's and the head's own where the link design has one (`head_clock_hz`;
/// the manifest's `targets_mhz` says which is which). Empty if the manifest has no Fmax or
/// target.
pub fn manifest_clocks(m: &serde_json::Value) -> Vec<ManifestClock> {
    let fmax = m["fmax_mhz"].as_object();
    let targets = m["targets_mhz"].as_object();
    let head_mhz = m["head_clock_hz"].as_f64().map(|h| h / 1e6);
    match (fmax, targets, head_mhz) {
        (Some(f), Some(t), Some(h)) if f.len() > 1 => {
            let mut v: Vec<ManifestClock> = f
                .iter()
                .filter_map(|(clk, x)| {
                    let target_mhz = t.get(clk)?.as_f64()?;
                    let role = if (target_mhz - h).abs() < 0.5 {
                        "head"
                    } else {
                        "UART"
                    };
                    Some(ManifestClock {
                        role,
                        target_mhz,
                        fmax_mhz: x.as_f64()?,
                    })
                })
                .collect();
            v.sort_by_key(|c| c.role == "head");
            v
        }
        _ => match (m["target_mhz"].as_f64(), manifest_fmax(m)) {
            (Some(target_mhz), Some(fmax_mhz)) => vec![ManifestClock {
                role: "design",
                target_mhz,
                fmax_mhz,
            }],
            _ => vec![],
        },
    }
}

/// Board figures from compute cycles measured on a design of head dimension `d` taking whole
/// heads (`whole_heads`) or codes, and per-head bytes. Fails unless `b` (a board as it carries
/// one of its link designs, [`hdl::boards::Board::for_design`]) is built for that.
pub fn project(
    b: &hdl::boards::Board,
    d: usize,
    whole_heads: bool,
    cycles: &[u32],
    bytes_in: usize,
    bytes_out: usize,
) -> Result<Projection> {
    let board = b.name;
    let design = &b.design;
    check_jobs_fit(b, d, whole_heads)?;
    if cycles.is_empty() {
        bail!("no cycles to project from");
    }
    let clock = b.head_clock_hz() as f64;
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(format!("bitstreams/{board}/{}.manifest.json", design.name));
    let fmax_mhz = std::fs::read_to_string(&manifest)
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .and_then(|v| {
            // The compute clock's: the head's own where it has one, else the one clock.
            let clocks = manifest_clocks(&v);
            clocks
                .iter()
                .find(|c| c.role == "head")
                .or(clocks.first())
                .map(|c| c.fmax_mhz)
        });
    let (link, rate, full) = match (&b.uart(), &b.frontpanel()) {
        (Some(u), _) => {
            let baud = b.baud().expect("a UART board has a baud rate");
            (
                format!("UART {baud} baud 8N1 ({}), full duplex", u.chip),
                baud as f64 / crate::transport::uart::BITS_PER_BYTE,
                true,
            )
        }
        (None, Some(f)) => (
            format!(
                "FrontPanel {} pipes at an assumed {:.0} MB/s, half duplex",
                f.bus,
                crate::transport::frontpanel::USB2_PIPE_BYTES_PER_S / 1e6
            ),
            crate::transport::frontpanel::USB2_PIPE_BYTES_PER_S,
            false,
        ),
        _ => bail!("the {board} has no host link"),
    };
    let (t_in, t_out) = (bytes_in as f64 / rate, bytes_out as f64 / rate);
    let lat: Vec<f64> = cycles
        .iter()
        .map(|&c| (t_in + c as f64 / clock + t_out) * 1e6)
        .collect();
    let mut comp: Vec<f64> = cycles.iter().map(|&c| c as f64 / clock).collect();
    comp.sort_by(|a, b| a.total_cmp(b));
    let t_c = comp[comp.len() / 2];
    let (bound_t, bound) = if full {
        [(t_in, "link in"), (t_out, "link out"), (t_c, "compute")]
            .into_iter()
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .expect("three")
    } else if t_in + t_out >= t_c {
        (t_in + t_out, "link")
    } else {
        (t_c, "compute")
    };
    Ok(Projection {
        board: if design.name == "link" {
            board.to_string()
        } else {
            format!("{board} ({} design)", design.name)
        },
        clock_mhz: clock / 1e6,
        fmax_mhz,
        link,
        link_bytes_per_s: rate,
        full_duplex: full,
        latency_us: Spread::of(lat),
        heads_per_s: 1.0 / bound_t,
        bound,
        compute_share: t_c / (t_in + t_c + t_out),
        keys_per_cycle: design.keys_per_cycle,
        nnz_per_cycle: design.nnz_per_cycle,
        cycles_from: "measured",
        assumed_power_w: b.assumed_power_w,
        energy_mj: (t_in + t_c + t_out) * b.assumed_power_w * 1e3,
        compute_energy_mj: t_c * b.assumed_power_w * 1e3,
    })
}

/// One configuration's synthetic jobs: a head each of `names`, `rows` query rows of `n` keys,
/// `target` the fraction of zero codes asked for.
#[derive(Clone, Copy)]
struct Batch<'a> {
    cfg: &'a DeviceConfig,
    cb: &'a Codebook,
    rows: usize,
    n: usize,
    target: f64,
    names: &'a [String],
}

/// `heads` random heads (Gaussian Q, K, V; Q scaled so that the model's codes of the first
/// reach `target` sparsity) as jobs for a whole-head board, and their mean fraction of zero codes.
fn synthetic_heads(
    rng: &mut StdRng,
    batch: Batch,
    fe: &FrontEndParams,
) -> Result<(Vec<crate::driver::Job>, f64)> {
    let Batch {
        cfg,
        cb,
        rows,
        n,
        target,
        names,
    } = batch;
    let heads = names.len();
    let d = cfg.core.d;
    let mut q = Array3::<f32>::zeros((heads, rows, d));
    let mut k = Array3::<f32>::zeros((heads, n, d));
    let mut v = Array3::<f32>::zeros((heads, n, d));
    for h in 0..heads {
        q.index_axis_mut(Axis(0), h).assign(&random(rng, rows, d));
        k.index_axis_mut(Axis(0), h).assign(&random(rng, n, d));
        v.index_axis_mut(Axis(0), h).assign(&random(rng, n, d));
    }
    let tau = temperature(
        fe,
        cb,
        &q.index_axis(Axis(0), 0).to_owned(),
        &k.index_axis(Axis(0), 0).to_owned(),
        target,
    )?;
    q.mapv_inplace(|x| x * tau as f32);
    let mut zeros = 0.0;
    for h in 0..heads {
        zeros += sparsity_of(
            fe,
            cb,
            &q.index_axis(Axis(0), h).to_owned(),
            &k.index_axis(Axis(0), h).to_owned(),
        )?;
    }
    let (js, _) = jobs::head_jobs(cfg, q.view(), k.view(), v.view(), n, names)?;
    Ok((js, zeros / heads as f64))
}

/// Row-wise softmax of `scores * tau`.
fn softmax_rows(scores: &Array2<f32>, tau: f64) -> Array2<f32> {
    let mut p = scores.mapv(|x| (x as f64 * tau) as f32);
    for mut row in p.rows_mut() {
        let m = row.fold(f32::NEG_INFINITY, |a, &b| a.max(b));
        row.mapv_inplace(|x| (x - m).exp());
        let s: f32 = row.sum();
        row.mapv_inplace(|x| x / s);
    }
    p
}

/// Fraction of the probabilities `p` that `cb` codes as zero.
fn zero_codes(p: &Array2<f32>, cb: &Codebook) -> f64 {
    p.iter().filter(|&&x| cb.code(x) == 0).count() as f64 / p.len() as f64
}

/// `heads` random attention matrices (softmax of Gaussian scores at the temperature that gives
/// the first `target` zero codes) and Gaussian V as jobs for a codes board, and their mean
/// fraction of zero codes.
fn synthetic_codes(rng: &mut StdRng, batch: Batch) -> Result<(Vec<crate::driver::Job>, f64)> {
    let Batch {
        cfg,
        cb,
        rows,
        n,
        target,
        names,
    } = batch;
    let heads = names.len();
    let d = cfg.core.d;
    let scores: Vec<Array2<f32>> = (0..heads).map(|_| random(rng, rows, n)).collect();
    let tau = scale_for(target, |t| Ok(zero_codes(&softmax_rows(&scores[0], t), cb)))?;
    let mut p = Array3::<f32>::zeros((heads, rows, n));
    let mut v = Array3::<f32>::zeros((heads, n, d));
    let mut zeros = 0.0;
    for (h, sc) in scores.iter().enumerate() {
        let ph = softmax_rows(sc, tau);
        zeros += zero_codes(&ph, cb);
        p.index_axis_mut(Axis(0), h).assign(&ph);
        v.index_axis_mut(Axis(0), h).assign(&random(rng, n, d));
    }
    let (js, _) = jobs::codes_jobs(cfg, cb, p.view(), v.view(), names)?;
    Ok((js, zeros / heads as f64))
}

/// The most memory the synthetic heads of one configuration may take (bench builds them all
/// before sending them).
pub const MAX_SYNTHETIC_BYTES: u128 = 4 << 30;

/// Bytes the synthetic data of `heads` heads take while a configuration runs: the float
/// tensors and the jobs made from them (whole heads: Q, K, V; codes: scores, P and V).
pub fn synthetic_bytes(whole_heads: bool, heads: usize, rows: usize, n: usize, d: usize) -> u128 {
    let (heads, rows, n, d) = (heads as u128, rows as u128, n as u128, d as u128);
    let per_head = if whole_heads {
        // f32 Q, K, V; int8 Qq, Kq, Vq and the u16 multipliers in the job.
        (rows + 2 * n) * d * 5 + 2 * (rows + n)
    } else {
        // f32 scores and P, f32 V; u8 codes and int8 Vq in the job.
        rows * n * 9 + n * d * 5
    };
    heads * per_head
}

/// Runs the command; returns the table to print (or the JSON when `--json -`).
pub fn run(args: &Args) -> Result<String> {
    let cb = args.codebook.codebook()?;
    if args.heads == 0 || args.n.is_empty() || args.sparsity.is_empty() {
        bail!("--heads, --n and --sparsity need at least one value each");
    }
    if let Some(s) = args.sparsity.iter().find(|s| !(0.0..1.0).contains(*s)) {
        bail!("--sparsity {s}: a fraction of zero codes in [0, 1)");
    }
    let mut outputs = Outputs::new();
    if let Some(j) = args.json.as_ref().filter(|j| j.as_os_str() != "-") {
        outputs.claim(j)?;
    }
    let project_to = match &args.project {
        Some(name) => Some(
            LinkArgs {
                board: Some(name.clone()),
                ..args.link.clone()
            }
            .board()?
            .expect("a board name was given"),
        ),
        None if args.link.transport == Kind::Sim => args.link.board()?,
        None => None,
    };
    let mut conn = args
        .link
        .connect(|| sim_config_for(args.d.unwrap_or(64), &cb, false))?;
    let info = conn
        .driver
        .info()
        .context("asking the board for its configuration")?;
    let cfg = DeviceConfig::from_info(&info, &cb)?;
    let fe = cfg.front_end().map(|f| *f.0);
    let d = args.d.unwrap_or(cfg.core.d);
    if d != cfg.core.d {
        bail!("--d {d}: the board is built for D = {}", cfg.core.d);
    }
    // Every limit before anything is built.
    for &n in &args.n {
        let rows = args.rows.unwrap_or(n);
        jobs::check_dims(&cfg, rows, n, d)?;
        let need = synthetic_bytes(fe.is_some(), args.heads, rows, n, d);
        if need > MAX_SYNTHETIC_BYTES {
            bail!(
                "--heads {}: the synthetic heads of one configuration (n = {n}, rows = {rows}, d = {d}) would take {:.3e} bytes; bench holds at most {} GiB: ask for fewer heads",
                args.heads,
                need as f64,
                MAX_SYNTHETIC_BYTES >> 30
            );
        }
    }
    let mut rng = StdRng::seed_from_u64(args.seed);
    let mut rows_out = Vec::new();
    let total = (args.n.len() * args.sparsity.len() * args.heads) as u64;
    let pb = progress(total, args.quiet, "bench");
    for &n in &args.n {
        let rows = args.rows.unwrap_or(n);
        for &target in &args.sparsity {
            let names: Vec<String> = (0..args.heads)
                .map(|h| format!("n = {n}, sparsity {target}, head {h}"))
                .collect();
            let batch = Batch {
                cfg: &cfg,
                cb: &cb,
                rows,
                n,
                target,
                names: &names,
            };
            let (js, zeros) = match &fe {
                Some(fe) => synthetic_heads(&mut rng, batch, fe)?,
                None => synthetic_codes(&mut rng, batch)?,
            };
            let bytes_in = js[0].request.encode().map(|b| b.len()).unwrap_or(0);
            let bytes_out = crate::driver::response_len(&js[0].request);
            let before = conn.driver.stats();
            let c0 = conn.driver.link_ref().sim_cycles();
            let t0 = Instant::now();
            let (_, heads) = run_jobs(&mut conn, &cfg, &js, args.verify, &pb)?;
            let wall = t0.elapsed().as_secs_f64();
            let sim_total = c0
                .zip(conn.driver.link_ref().sim_cycles())
                .map(|(a, b)| (b - a) as f64);
            let after = conn.driver.stats();
            let link = after.since(&before);
            let cycles: Vec<u32> = heads.iter().map(|h| h.cycles).collect();
            let compute: f64 = cycles.iter().map(|&c| c as f64).sum();
            let projection = project_to
                .as_ref()
                .map(|b| -> Result<Projection> {
                    let (at_board, from) = board_cycles(b, &cfg, &js, &cycles)?;
                    let p = project(b, d, fe.is_some(), &at_board, bytes_in, bytes_out)?;
                    Ok(Projection {
                        cycles_from: from,
                        ..p
                    })
                })
                .transpose()?;
            rows_out.push(Row {
                n,
                rows,
                d,
                target_sparsity: target,
                sparsity: zeros,
                heads: args.heads,
                bytes_in_per_head: bytes_in,
                bytes_out_per_head: bytes_out,
                cycles: Spread::of(cycles.iter().map(|&c| c as f64).collect()),
                heads_per_s: args.heads as f64 / wall,
                mb_per_s_to_board: link.bytes_sent as f64 / wall / 1e6,
                mb_per_s_from_board: link.bytes_received as f64 / wall / 1e6,
                latency_us: Spread::of(heads.iter().map(|h| h.latency_us).collect()),
                sim_cycles_per_head: sim_total.map(|t| t / args.heads as f64),
                compute_share_of_sim_cycles: sim_total.map(|t| compute / t),
                link,
                projection,
            });
        }
    }
    pb.finish_and_clear();
    let report = Report {
        transport: conn.driver.link_ref().describe(),
        codebook: cb.describe(),
        rows: rows_out,
    };
    if let Some(j) = &args.json {
        let text = serde_json::to_string_pretty(&report)?;
        if j.as_os_str() == "-" {
            return Ok(text);
        }
        outputs.text(j, &text)?;
        outputs.commit()?;
    }
    Ok(table(&report))
}

/// The report as text.
pub fn table(r: &Report) -> String {
    let mut s = format!("{} ({})\n", r.transport, r.codebook);
    s += &format!(
        "{:>5} {:>5} {:>6} {:>6} {:>9} {:>9} {:>9} {:>8} {:>8} {:>8} {:>20} {:>11}  {}\n",
        "n",
        "rows",
        "target",
        "zeros",
        "bytes in",
        "bytes out",
        "cycles",
        "heads/s",
        "MB/s in",
        "MB/s out",
        "lat min/med/max ms",
        "sim cyc/hd",
        "compute share"
    );
    for x in &r.rows {
        s += &format!(
            "{:>5} {:>5} {:>6.2} {:>6.3} {:>9} {:>9} {:>9.0} {:>8.1} {:>8.2} {:>8.2} {:>20} {:>11}  {}\n",
            x.n,
            x.rows,
            x.target_sparsity,
            x.sparsity,
            x.bytes_in_per_head,
            x.bytes_out_per_head,
            x.cycles.median,
            x.heads_per_s,
            x.mb_per_s_to_board,
            x.mb_per_s_from_board,
            format!(
                "{:.1}/{:.1}/{:.1}",
                x.latency_us.min / 1e3,
                x.latency_us.median / 1e3,
                x.latency_us.max / 1e3
            ),
            x.sim_cycles_per_head.map_or("-".into(), |c| format!("{c:.0}")),
            x.compute_share_of_sim_cycles
                .map_or("-".into(), |c| format!("{:.1}%", 100.0 * c)),
        );
    }
    if r.rows
        .iter()
        .any(|x| (x.sparsity - x.target_sparsity).abs() > 0.05)
    {
        s += "(zeros far from the target: no softmax temperature reaches it for these heads and this codebook)\n";
    }
    s += "(wall-clock figures are this transport's: for sim, the simulator's speed, not a board's)\n";
    let projected: Vec<&Row> = r.rows.iter().filter(|x| x.projection.is_some()).collect();
    if let Some(p0) = projected.first().and_then(|x| x.projection.as_ref()) {
        s += &format!(
            "\nPROJECTION for the {} (not measured on a board): P = {}, K = {} ({}); compute clock {:.1} MHz{}; link {}; energy at an assumed {} W\n",
            p0.board,
            p0.keys_per_cycle,
            p0.nnz_per_cycle,
            match p0.cycles_from {
                "measured" => "the cycles measured here",
                _ => "the model's cycles at the board's P and K; the device here is built otherwise",
            },
            p0.clock_mhz,
            p0.fmax_mhz
                .map_or(String::from(" (no routed bitstream manifest found)"), |f| format!(
                    " (routed Fmax {f:.1} MHz)"
                )),
            p0.link,
            p0.assumed_power_w
        );
        s += &format!(
            "{:>5} {:>6} {:>12} {:>12} {:>12} {:>10} {:>9} {:>10}\n",
            "n", "target", "lat min ms", "lat med ms", "lat max ms", "heads/s", "bound", "mJ/head"
        );
        for x in projected {
            let p = x.projection.as_ref().expect("filtered");
            s += &format!(
                "{:>5} {:>6.2} {:>12.3} {:>12.3} {:>12.3} {:>10.1} {:>9} {:>10.3}  (compute {:.2}% of a head's latency, {:.4} mJ)\n",
                x.n,
                x.target_sparsity,
                p.latency_us.min / 1e3,
                p.latency_us.median / 1e3,
                p.latency_us.max / 1e3,
                p.heads_per_s,
                p.bound,
                p.energy_mj,
                100.0 * p.compute_share,
                p.compute_energy_mj
            );
        }
    }
    s.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_adds_link_and_compute_and_names_the_bound() {
        // ULX3S: 3 Mbaud 8N1 = 300,000 bytes/s each way, full duplex; the head computes on its
        // own 100 MHz clock.
        let board = |n: &str| hdl::boards::board(n).unwrap();
        let p = project(
            &board("ulx3s"),
            32,
            true,
            &[45_000, 90_000, 450_000],
            30_000,
            60_000,
        )
        .unwrap();
        assert_eq!(p.link_bytes_per_s, 300_000.0);
        assert!(p.full_duplex && p.link.contains("3000000 baud"));
        let clock = hdl::boards::board("ulx3s").unwrap().head_clock_hz() as f64;
        assert_eq!((clock, p.clock_mhz), (100e6, 100.0));
        let lat = |c: f64| (0.1 + c / clock + 0.2) * 1e6;
        assert!((p.latency_us.min - lat(45_000.0)).abs() < 1e-6);
        assert!((p.latency_us.median - lat(90_000.0)).abs() < 1e-6);
        assert!((p.latency_us.max - lat(450_000.0)).abs() < 1e-6);
        // Sending 60 kB back takes 0.2 s, longer than receiving (0.1 s) or computing (2 ms).
        assert_eq!(p.bound, "link out");
        assert!((p.heads_per_s - 5.0).abs() < 1e-9);
        // XEM7010: half duplex, so both directions add up.
        // Its head computes on its own 100 MHz clock, not ti_clk's 48 MHz: 48,000 cycles are
        // 0.48 ms.
        let p = project(&board("xem7010"), 64, true, &[48_000], 3_200_000, 3_200_000).unwrap();
        assert_eq!((p.bound, p.full_duplex), ("link", false));
        assert!((p.heads_per_s - 5.0).abs() < 1e-9);
        assert_eq!(p.clock_mhz, 100.0);
        let rate = p.link_bytes_per_s;
        assert!((p.latency_us.min - (6_400_000.0 / rate + 48_000.0 / 100e6) * 1e6).abs() < 1e-6);
        assert_eq!(p.fmax_mhz, None, "no routed XEM7010 bitstream exists");
    }

    #[test]
    fn projection_refuses_a_board_of_another_shape() {
        let board = |n: &str| hdl::boards::board(n).unwrap();
        let e = project(&board("alchitry_cu"), 8, true, &[1], 1, 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("its `link` design is built for codes at D = 8; these jobs are whole heads at d = 8"),
            "{e}"
        );
        let e = project(&board("ulx3s"), 64, true, &[1], 1, 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("whole heads at D = 32; these jobs are whole heads at d = 64"),
            "{e}"
        );
        let core = board("ulx3s").for_design("core").unwrap();
        let e = project(&core, 64, true, &[1], 1, 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("its `core` design is built for codes at D = 64"),
            "{e}"
        );
        // The ULX3S core design: its own 30 MHz clock (not the link design's 100 MHz head clock), its own
        // manifest's Fmax, met.
        let p = project(&core, 64, false, &[45_000], 300, 300).unwrap();
        assert_eq!(
            (p.clock_mhz, p.board.as_str()),
            (30.0, "ulx3s (core design)")
        );
        assert!(p.fmax_mhz.unwrap() > 30.0, "the core design's routed Fmax");
    }

    #[test]
    fn projection_takes_the_boards_p_and_k() {
        // Heads measured on a device of P = 4, K = 2 project to the ULX3S `link` design (P = 1,
        // K = 1) with the model's cycles at P = 1, K = 1; measured on a device built as the
        // board, with the measured ones.
        let b = hdl::boards::board("ulx3s").unwrap();
        let built = b.device_config();
        assert_eq!((b.design.keys_per_cycle, b.design.nnz_per_cycle), (1, 1));
        let ran = built.clone().with_parallelism(4, 2).unwrap();
        let (fe, cb) = ran.front_end().map(|(f, c)| (*f, c.clone())).unwrap();
        let names: Vec<String> = (0..3).map(|h| format!("head {h}")).collect();
        let batch = Batch {
            cfg: &ran,
            cb: &cb,
            rows: 24,
            n: 96,
            target: 0.8,
            names: &names,
        };
        let (js, _) = synthetic_heads(&mut StdRng::seed_from_u64(5), batch, &fe).unwrap();
        let serve = |cfg: &DeviceConfig| -> Vec<u32> {
            let dev = model::link::Device::new(cfg.clone());
            js.iter().map(|j| dev.serve(&j.request).cycles).collect()
        };
        let (fast, slow) = (serve(&ran), serve(&built));
        for (f, s) in fast.iter().zip(&slow) {
            assert!(
                *f > 0 && f < s,
                "P = 4, K = 2 takes fewer cycles than P = 1, K = 1: {f} vs {s}"
            );
        }
        let (c, from) = board_cycles(&b, &ran, &js, &fast).unwrap();
        assert_eq!((c, from), (slow.clone(), "model"));
        let (c, from) = board_cycles(&b, &built, &js, &[7, 8, 9]).unwrap();
        assert_eq!((c, from), (vec![7, 8, 9], "measured"));
        // The projection names P and K, and its energy is the latency at the assumed power.
        let p = project(&b, 32, true, &slow, 1000, 1000).unwrap();
        assert_eq!((p.keys_per_cycle, p.nnz_per_cycle), (1, 1));
        let e = p.latency_us.median * 1e-6 * b.assumed_power_w * 1e3;
        assert!((p.energy_mj - e).abs() < 1e-9 * e, "{} vs {e}", p.energy_mj);
        assert!(p.compute_energy_mj < p.energy_mj);
    }

    #[test]
    fn spread_is_min_median_max() {
        let s = Spread::of(vec![3.0, 1.0, 2.0, 10.0]);
        assert_eq!((s.min, s.median, s.max), (1.0, 2.5, 10.0));
    }
}
