//! `logattn encode`: a pretrained BERT-family sentence encoder (the `encode` crate) with every
//! attention head of every layer computed by a chosen backend, compared with float attention
//! run in the same process; the `board` backend streams every head through the board driver.

use crate::connect::{Connection, LinkArgs};
use crate::jobs;
use crate::run::{progress, run_jobs, sim_config_for};
use crate::CodebookArgs;
use anyhow::{bail, Context, Result};
use encode::backend::{Attention, Float, HeadOut, ModelPath, Quantized};
use encode::report::{compare, run_backend, Agreement, BackendRun, HeadCycles, LayerStats};
use encode::text::{read_passages, TextTokenizer, Tokens};
use encode::{Bert, ModelDir};
use model::link::{codebook_tag, DeviceConfig, HeadPayload, Request};
use model::output::Outputs;
use model::{dequantize_renormalized, Codebook};
use ndarray::{Array2, ArrayView3, Axis};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The attention backends.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Backend {
    /// Plain float softmax attention: the reference.
    Float,
    /// Float softmax, pruned and log-quantized by the float codebook (the paper's method).
    Quantized,
    /// The bit-exact integer path (`model`): int8 Q, K, V, the fixed-point front end, AttnV.
    Model,
    /// Every head through the board driver (the Verilated board unless --transport says
    /// otherwise).
    Board,
}

/// Arguments of `logattn encode`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// A Hugging Face / sentence-transformers BERT folder (config.json, model.safetensors,
    /// tokenizer.json, modules.json and 1_Pooling/config.json where present).
    #[arg(long)]
    pub model: PathBuf,
    /// Passages, one a line (UTF-8, no blank lines).
    #[arg(long)]
    pub text: PathBuf,
    /// Sentence embeddings `[passages, hidden]`, float32. With several backends, a path with
    /// `{}`, replaced by each backend's name.
    #[arg(long)]
    pub out: PathBuf,
    /// Backends (comma-separated): float, quantized, model, board. Float also runs as the
    /// reference every other is compared with.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = [Backend::Model])]
    pub attention: Vec<Backend>,
    #[command(flatten)]
    pub codebook: CodebookArgs,
    #[command(flatten)]
    pub link: LinkArgs,
    /// Divide each attention row by its surviving weight sum (quantized, model, board).
    #[arg(long)]
    pub renormalize: bool,
    /// Tokens per passage at most, the two special tokens included (default: the model's
    /// max_seq_length); longer passages are truncated with a warning.
    #[arg(long)]
    pub max_tokens: Option<usize>,
    /// Write a JSON report (`-`: to standard output, instead of the table).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// board: recompute every head with the model and fail on any difference (integers and
    /// compute cycles).
    #[arg(long)]
    pub verify: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// The board backend: every head of a layer as a head job through the driver.
pub struct BoardBackend {
    pub conn: Connection,
    pub cfg: DeviceConfig,
    pub renormalize: bool,
    pub verify: bool,
    passage: usize,
}

impl Attention for BoardBackend {
    fn name(&self) -> &'static str {
        "board"
    }
    fn layer(
        &mut self,
        layer: usize,
        q: ArrayView3<f32>,
        k: ArrayView3<f32>,
        v: ArrayView3<f32>,
    ) -> Result<Vec<HeadOut>> {
        if layer == 0 {
            self.passage += 1;
        }
        let names: Vec<String> = (0..q.len_of(Axis(0)))
            .map(|h| format!("passage {}, layer {layer}, head {h}", self.passage))
            .collect();
        let n = k.len_of(Axis(1));
        let (js, dq) = jobs::head_jobs(&self.cfg, q, k, v, n, &names)?;
        let hidden = indicatif::ProgressBar::hidden();
        let (resps, _) = run_jobs(&mut self.conn, &self.cfg, &js, self.verify, &hidden)?;
        Ok(resps
            .iter()
            .zip(&dq)
            .map(|(r, d)| {
                let acc = r.result.as_ref().expect("an Ok head response has a result");
                HeadOut {
                    out: if self.renormalize {
                        dequantize_renormalized(acc, &d.scales)
                    } else {
                        d.apply(acc)
                    },
                    codes: None,
                    cycles: Some(r.cycles),
                }
            })
            .collect())
    }
}

/// The attention of a run on one board, projected from its cycles as `logattn bench` projects
/// a head (request transfer, compute, response transfer), head by head.
#[derive(Clone, Debug, Serialize)]
pub struct Projection {
    pub board: String,
    pub clock_mhz: f64,
    pub link: String,
    pub assumed_power_w: f64,
    pub heads: usize,
    /// Compute alone, every head one after another.
    pub compute_s: f64,
    pub compute_j: f64,
    /// One head at a time: transfer in, compute, transfer out.
    pub latency_s: f64,
    pub latency_j: f64,
    /// Heads back to back: the slowest of receive, compute and send bounds each.
    pub streamed_s: f64,
    pub streamed_j: f64,
}

/// One backend in the report.
#[derive(Clone, Debug, Serialize)]
pub struct BackendReport {
    pub name: &'static str,
    pub out: String,
    pub agreement: Agreement,
    pub layers: Vec<LayerStats>,
    pub cycles_per_passage: Vec<u64>,
    pub cycles_total: Option<u64>,
    pub projections: Vec<Projection>,
    pub wall_s: f64,
}

/// A truncated passage.
#[derive(Clone, Debug, Serialize)]
pub struct Truncated {
    pub line: usize,
    pub tokens: usize,
}

/// The JSON report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub model: String,
    pub config: encode::config::BertConfig,
    pub pooling: encode::config::Pooling,
    pub normalize: bool,
    pub max_tokens: usize,
    pub max_tokens_from: String,
    pub passages: usize,
    pub tokens: Vec<usize>,
    pub truncated: Vec<Truncated>,
    pub codebook: String,
    pub renormalize: bool,
    /// The design the model and board backends compute as: D, N_MAX, variant.
    pub design: Option<String>,
    pub transport: Option<String>,
    pub float_wall_s: f64,
    pub backends: Vec<BackendReport>,
    /// Boards whose designs cannot run these heads, and why.
    pub not_projected: Vec<String>,
}

/// The output paths: `--out` (with `{}` per backend when there are several) and `--json`,
/// claimed in a staging set that refuses one equal to an input or to another output.
fn output_paths(
    args: &Args,
    backends: &[Backend],
    inputs: &[PathBuf],
) -> Result<(Vec<(Backend, PathBuf)>, Outputs)> {
    let out = args.out.to_string_lossy();
    let outs: Vec<(Backend, PathBuf)> = if backends.len() == 1 {
        vec![(backends[0], args.out.clone())]
    } else {
        if !out.contains("{}") {
            bail!(
                "--out {out}: with several backends, give a path with {{}} (replaced by each backend's name), e.g. E_{{}}.npy"
            );
        }
        backends
            .iter()
            .map(|b| (*b, PathBuf::from(out.replace("{}", backend_name(*b)))))
            .collect()
    };
    let mut outputs = Outputs::new();
    outputs.inputs(inputs.iter().map(|p| p.as_path()));
    for (_, o) in &outs {
        outputs.claim(o)?;
    }
    if let Some(j) = args.json.as_ref().filter(|j| j.as_os_str() != "-") {
        outputs.claim(j)?;
    }
    Ok((outs, outputs))
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Float => "float",
        Backend::Quantized => "quantized",
        Backend::Model => "model",
        Backend::Board => "board",
    }
}

/// The bytes of a head job of `n` rows and keys at head dimension `d` each way.
fn head_bytes(cb: &Codebook, n: usize, d: usize) -> Result<(usize, usize)> {
    let z = Array2::<i8>::zeros((n, d));
    let req = Request::head(
        0,
        cb,
        HeadPayload {
            kq: z.clone(),
            mk: vec![0; n],
            vq: z.clone(),
            qq: z,
            mq: vec![0; n],
            shift: 0,
            valid_len: n as u16,
        },
    );
    Ok((
        req.encode().map_err(anyhow::Error::msg)?.len(),
        crate::driver::response_len(&req),
    ))
}

/// Projections of `heads` on every board design built for whole heads of dimension `d` with
/// codebook `cb`; and the designs that are not, with the reason.
pub fn projections(
    heads: &[HeadCycles],
    d: usize,
    cb: &Codebook,
) -> Result<(Vec<Projection>, Vec<String>)> {
    let (mut out, mut unfit) = (Vec::new(), Vec::new());
    if heads.is_empty() {
        return Ok((out, unfit));
    }
    let mut bytes: BTreeMap<usize, (usize, usize)> = BTreeMap::new();
    for h in heads {
        if let std::collections::btree_map::Entry::Vacant(e) = bytes.entry(h.n) {
            e.insert(head_bytes(cb, h.n, d)?);
        }
    }
    for name in hdl::boards::BOARDS {
        let base = hdl::boards::board(name).context("a known board")?;
        for design in base.link_designs() {
            let b = base.for_design(design).map_err(anyhow::Error::msg)?;
            let label = format!("{name}/{design}");
            let cfg = b.device_config();
            let Some((_, bcb)) = cfg.front_end() else {
                unfit.push(format!("{label}: takes codes, not whole heads"));
                continue;
            };
            if b.design.d != d {
                unfit.push(format!(
                    "{label}: built for D = {}, the model's heads have d = {d}",
                    b.design.d
                ));
                continue;
            }
            if codebook_tag(bcb) != codebook_tag(cb) {
                unfit.push(format!(
                    "{label}: built for {}, not {}",
                    bcb.describe(),
                    cb.describe()
                ));
                continue;
            }
            let watts = b.assumed_power_w;
            let (mut compute, mut latency, mut streamed) = (0.0, 0.0, 0.0);
            let mut first = None;
            for h in heads {
                let (bi, bo) = bytes[&h.n];
                let p = crate::bench::project(&b, d, true, &[h.cycles], bi, bo)?;
                compute += h.cycles as f64 / (p.clock_mhz * 1e6);
                latency += p.latency_us.median * 1e-6;
                streamed += 1.0 / p.heads_per_s;
                first.get_or_insert(p);
            }
            let p = first.expect("heads is not empty");
            out.push(Projection {
                board: p.board,
                clock_mhz: p.clock_mhz,
                link: p.link,
                assumed_power_w: watts,
                heads: heads.len(),
                compute_s: compute,
                compute_j: compute * watts,
                latency_s: latency,
                latency_j: latency * watts,
                streamed_s: streamed,
                streamed_j: streamed * watts,
            });
        }
    }
    Ok((out, unfit))
}

/// Runs the command; returns the table to print (or the JSON with `--json -`).
pub fn run(args: &Args) -> Result<String> {
    let cb = args.codebook.codebook()?;
    let backends = args.attention.clone();
    if backends.is_empty() {
        bail!("--attention: name at least one backend");
    }
    let mut seen = backends.clone();
    seen.sort();
    seen.dedup();
    if seen.len() != backends.len() {
        bail!("--attention: a backend is named twice");
    }
    let dir = ModelDir::open(&args.model)?;
    let mut inputs = dir.inputs();
    inputs.push(args.text.clone());
    let (outs, mut outputs) = output_paths(args, &backends, &inputs)?;
    if !backends.contains(&Backend::Board)
        && (args.verify || args.link.transport != crate::connect::Kind::Sim)
    {
        bail!("--verify and --transport are for the board backend (--attention board)");
    }
    let c = dir.config.clone();
    let d = c.head_dim();
    let (max_tokens, max_from) = match args.max_tokens {
        Some(m) => {
            if !(2..=c.max_position_embeddings).contains(&m) {
                bail!(
                    "--max-tokens {m}: the model takes 2..={} tokens (max_position_embeddings)",
                    c.max_position_embeddings
                );
            }
            (m, "--max-tokens".to_string())
        }
        None => (dir.max_seq_length, dir.max_seq_length_from.clone()),
    };
    let passages = read_passages(&args.text)?;
    let tok = TextTokenizer::load(&dir.tokenizer, max_tokens)?;
    let mut tokens: Vec<Tokens> = Vec::new();
    let mut truncated = Vec::new();
    for (i, p) in passages.iter().enumerate() {
        let t = tok
            .tokens(p)
            .with_context(|| format!("{}: line {}", args.text.display(), i + 1))?;
        if let Some(n) = t.truncated_from {
            eprintln!(
                "warning: {} line {}: {n} tokens, truncated to {max_tokens} ({max_from})",
                args.text.display(),
                i + 1
            );
            truncated.push(Truncated {
                line: i + 1,
                tokens: n,
            });
        }
        tokens.push(t);
    }
    let bert = Bert::load(&dir)?;
    // The design the integer paths compute as: the board's, or one built for the data.
    let needs_design = backends
        .iter()
        .any(|b| matches!(b, Backend::Model | Backend::Board));
    let mut board: Option<BoardBackend> = None;
    let mut design: Option<DeviceConfig> = None;
    if backends.contains(&Backend::Board) {
        let conn = args.link.connect(|| sim_config_for(d, &cb, false))?;
        let mut conn = conn;
        let info = conn
            .driver
            .info()
            .context("asking the board for its configuration")?;
        let cfg = DeviceConfig::from_info(&info, &cb)?;
        board = Some(BoardBackend {
            conn,
            cfg: cfg.clone(),
            renormalize: args.renormalize,
            verify: args.verify,
            passage: 0,
        });
        design = Some(cfg);
    } else if needs_design {
        design = Some(match args.link.board()? {
            Some(b) => b.device_config(),
            None => sim_config_for(d, &cb, false)?,
        });
    }
    if let Some(cfg) = &design {
        let Some((_, dcb)) = cfg.front_end() else {
            bail!("the design takes codes, not whole heads: the encoder needs a whole-head design (Q, K, V)");
        };
        if codebook_tag(dcb) != codebook_tag(&cb) {
            bail!(
                "the design was built for {}; you asked for {}",
                dcb.describe(),
                cb.describe()
            );
        }
        if cfg.core.d != d {
            bail!(
                "the design is built for D = {}, the model's heads have d = {d}",
                cfg.core.d
            );
        }
        if max_tokens > cfg.core.n_max {
            bail!(
                "--max-tokens {max_tokens}: the design takes at most N_MAX = {} keys",
                cfg.core.n_max
            );
        }
    }
    let total = (passages.len()
        * (backends.len() + usize::from(!backends.contains(&Backend::Float))))
        as u64;
    let pb = progress(total, args.quiet, "passages");
    let mut tick = || pb.inc(1);
    let float = run_backend(&bert, &tokens, &mut Float, &cb, &mut tick)?;
    let mut runs: Vec<BackendRun> = Vec::new();
    for b in &backends {
        let r = match b {
            Backend::Float => float.clone(),
            Backend::Quantized => run_backend(
                &bert,
                &tokens,
                &mut Quantized {
                    cb: cb.clone(),
                    renormalize: args.renormalize,
                },
                &cb,
                &mut tick,
            )?,
            Backend::Model => run_backend(
                &bert,
                &tokens,
                &mut ModelPath::new(design.clone().expect("set above"), args.renormalize)?,
                &cb,
                &mut tick,
            )?,
            Backend::Board => run_backend(
                &bert,
                &tokens,
                board.as_mut().expect("connected above"),
                &cb,
                &mut tick,
            )?,
        };
        runs.push(r);
    }
    pb.finish_and_clear();
    let mut reports = Vec::new();
    let mut not_projected = Vec::new();
    for (r, (_, path)) in runs.iter().zip(&outs) {
        let (projections, unfit) = projections(&r.head_cycles, d, &cb)?;
        if !unfit.is_empty() {
            not_projected = unfit;
        }
        let pc = r.passage_cycles(passages.len());
        reports.push(BackendReport {
            name: r.name,
            out: path.display().to_string(),
            agreement: compare(&float.embeddings, &r.embeddings),
            layers: r.layers.clone(),
            cycles_total: (!pc.is_empty()).then(|| pc.iter().sum()),
            cycles_per_passage: pc,
            projections,
            wall_s: r.wall_s,
        });
    }
    let report = Report {
        model: dir.dir.display().to_string(),
        config: c.clone(),
        pooling: dir.pooling,
        normalize: dir.normalize,
        max_tokens,
        max_tokens_from: max_from,
        passages: passages.len(),
        tokens: tokens.iter().map(|t| t.ids.len()).collect(),
        truncated,
        codebook: cb.describe(),
        renormalize: args.renormalize,
        design: design.as_ref().map(|c| {
            format!(
                "D = {}, N_MAX = {}, {:?} lanes",
                c.core.d, c.core.n_max, c.variant
            )
        }),
        transport: board.as_ref().map(|b| b.conn.driver.link_ref().describe()),
        float_wall_s: float.wall_s,
        backends: reports,
        not_projected,
    };
    // Everything computed: write the outputs.
    for (r, (_, path)) in runs.iter().zip(&outs) {
        outputs.npy(path, &r.embeddings)?;
    }
    let mut text = table(&report);
    if let Some(j) = &args.json {
        let js = serde_json::to_string_pretty(&report)?;
        if j.as_os_str() == "-" {
            text = js;
        } else {
            outputs.text(j, &js)?;
        }
    }
    outputs.commit()?;
    Ok(text)
}

fn opt(x: Option<f64>, prec: usize) -> String {
    x.map_or("-".into(), |v| format!("{v:.prec$}"))
}

/// The report as text.
pub fn table(r: &Report) -> String {
    let c = &r.config;
    let (tmin, tmax) = (
        r.tokens.iter().min().copied().unwrap_or(0),
        r.tokens.iter().max().copied().unwrap_or(0),
    );
    let mut s = format!(
        "{}: BERT, {} layers x {} heads, d = {}; {:?} pooling{}\n{} passages of {tmin}-{tmax} tokens (at most {}: {}; {} truncated); {}{}{}\n",
        r.model,
        c.num_hidden_layers,
        c.num_attention_heads,
        c.head_dim(),
        r.pooling,
        if r.normalize { ", L2-normalized" } else { "" },
        r.passages,
        r.max_tokens,
        r.max_tokens_from,
        r.truncated.len(),
        r.codebook,
        if r.renormalize { ", rows renormalized" } else { "" },
        r.design.as_ref().map_or(String::new(), |d| format!("; design {d}")),
    );
    if let Some(t) = &r.transport {
        s += &format!("board: {t}\n");
    }
    s += &format!(
        "\n{:<10} {:>9} {:>9} {:>11} {:>9} {:>9} {:>12} {:>8}\n",
        "backend", "cos mean", "cos min", "1-cos mean", "NN agree", "Spearman", "cycles", "wall s"
    );
    for b in &r.backends {
        let a = &b.agreement;
        s += &format!(
            "{:<10} {:>9.6} {:>9.6} {:>11.2e} {:>9} {:>9} {:>12} {:>8.1}\n",
            b.name,
            a.cosine_mean,
            a.cosine_min,
            a.one_minus_cos_mean,
            opt(a.nn_agreement, 3),
            opt(a.spearman, 4),
            b.cycles_total.map_or("-".into(), |c| c.to_string()),
            b.wall_s
        );
    }
    s += &format!(
        "(against float attention in the same run: {:.1} s)\n",
        r.float_wall_s
    );
    for b in r.backends.iter().filter(|b| b.name != "float") {
        s += &format!(
            "\n{}: per layer (pooled over passages; err = ||out - float|| / ||float|| of the same Q, K, V)\n{:>5} {:>10} {:>10} {:>8} {:>8} {:>8} {:>12}\n",
            b.name, "layer", "zero codes", "agree", "err", "head min", "head max", "cycles"
        );
        for l in &b.layers {
            let (hmin, hmax) = l
                .rel_err_per_head
                .iter()
                .fold((f64::INFINITY, 0f64), |(a, z), &e| (a.min(e), z.max(e)));
            s += &format!(
                "{:>5} {:>10} {:>10} {:>8.4} {:>8.4} {:>8.4} {:>12}\n",
                l.layer,
                l.zero_codes
                    .map_or("-".into(), |z| format!("{:.2}%", 100.0 * z)),
                l.code_agreement
                    .map_or("-".into(), |z| format!("{:.3}%", 100.0 * z)),
                l.rel_err,
                hmin,
                hmax,
                l.cycles.map_or("-".into(), |c| c.to_string())
            );
        }
    }
    if r.passages <= 60 {
        s += &format!(
            "\nper passage: cosine to float\n{:>4} {:>6}",
            "line", "tokens"
        );
        for b in &r.backends {
            s += &format!(" {:>10}", b.name);
        }
        let with_cycles: Vec<&BackendReport> = r
            .backends
            .iter()
            .filter(|b| !b.cycles_per_passage.is_empty())
            .collect();
        if let Some(b) = with_cycles.first() {
            s += &format!(" {:>12}", format!("{} cycles", b.name));
        }
        s += "\n";
        for i in 0..r.passages {
            s += &format!("{:>4} {:>6}", i + 1, r.tokens[i]);
            for b in &r.backends {
                s += &format!(" {:>10.6}", b.agreement.cosine[i]);
            }
            if let Some(b) = with_cycles.first() {
                s += &format!(" {:>12}", b.cycles_per_passage[i]);
            }
            s += "\n";
        }
    }
    if let Some(b) = r.backends.iter().rev().find(|b| !b.projections.is_empty()) {
        s += &format!(
            "\nPROJECTION of the attention ({} heads, the {} backend's cycles; not measured on a board; energy at an assumed board power)\n{:<14} {:>8} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}\n",
            b.projections[0].heads,
            b.name,
            "board",
            "clock",
            "compute",
            "energy",
            "one at a time",
            "energy",
            "streamed",
            "energy"
        );
        for p in &b.projections {
            s += &format!(
                "{:<14} {:>8} {:>12} {:>12} {:>12} {:>12} {:>12} {:>12}\n",
                p.board,
                format!("{:.1} MHz", p.clock_mhz),
                format!("{:.3} s", p.compute_s),
                format!("{:.3} J", p.compute_j),
                format!("{:.2} s", p.latency_s),
                format!("{:.2} J", p.latency_j),
                format!("{:.2} s", p.streamed_s),
                format!("{:.2} J", p.streamed_j),
            );
        }
        s += &format!("(link: {})\n", b.projections[0].link);
    }
    if !r.not_projected.is_empty() {
        s += &format!("not projected: {}\n", r.not_projected.join("; "));
    }
    s.trim_end().to_string()
}
