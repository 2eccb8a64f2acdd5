//! Real Q, K, V through the whole on-chip path (front end + AttnV): bit-exactness against the
//! model, cycles against `model::timing::head_cycles`, and accuracy against float attention.

use crate::attnv::DriveConfig;
use crate::head::{HeadJob, HeadSim};
use crate::verilator::BuildOptions;
use anyhow::{bail, Context, Result};
use model::frontend::{
    agreement, attention_float, attention_float_quantized, codes_float, front_end, FrontEndParams,
};
use model::{accumulate, dequantize, quantize_v, Codebook, CoreParams, Variant};
use ndarray::{ArrayD, ArrayView2, Axis};
use serde::Serialize;
use std::collections::HashMap;

/// The head configuration for head dimension `d` (the N_MAX hdl compiles for it,
/// [`hdl::Build::n_max_for`]), or an error naming the compiled widths.
pub fn head_params(d: usize) -> Result<(CoreParams, FrontEndParams)> {
    let n_max = hdl::Build::Head.n_max_for(d)?;
    Ok((
        CoreParams::hardware(d, n_max)?,
        FrontEndParams::hardware(d, n_max),
    ))
}

/// Built heads, one per (D, P, K, variant, codebook); the Q/K precision the model quantizes to,
/// the keys per cycle P and the core's non-zeros per cycle K of the heads runs use (1 unless
/// set).
pub struct HeadCores {
    sims: HashMap<(usize, usize, usize, Variant, String), HeadSim>,
    qk_bits: u32,
    keys_per_cycle: usize,
    nnz_per_cycle: usize,
}

impl Default for HeadCores {
    fn default() -> Self {
        Self {
            sims: HashMap::new(),
            qk_bits: 8,
            keys_per_cycle: 1,
            nnz_per_cycle: 1,
        }
    }
}

impl HeadCores {
    /// Quantize Q and K to `bits` (2..=8) instead of int8; the hardware is the same (its lanes
    /// take any width up to 8).
    pub fn with_qk_bits(mut self, bits: u32) -> Result<Self> {
        if !(2..=8).contains(&bits) {
            bail!("Q/K bits must be in 2..=8, got {bits}");
        }
        self.qk_bits = bits;
        Ok(self)
    }

    /// Run heads scoring `p` keys a cycle (P: 1, 2, 4 or 8) from now on.
    pub fn with_keys_per_cycle(mut self, p: usize) -> Result<Self> {
        self.set_keys_per_cycle(p)?;
        Ok(self)
    }

    /// Run heads scoring `p` keys a cycle (P: 1, 2, 4 or 8) from now on.
    pub fn set_keys_per_cycle(&mut self, p: usize) -> Result<()> {
        FrontEndParams::default().with_keys_per_cycle(p)?;
        self.keys_per_cycle = p;
        Ok(())
    }

    /// The keys per cycle P of the heads runs use.
    pub fn keys_per_cycle(&self) -> usize {
        self.keys_per_cycle
    }

    /// Run heads whose core issues `k` non-zero codes a cycle (K: 1 or 2) from now on.
    pub fn with_nnz_per_cycle(mut self, k: usize) -> Result<Self> {
        self.set_nnz_per_cycle(k)?;
        Ok(self)
    }

    /// Run heads whose core issues `k` non-zero codes a cycle (K: 1 or 2) from now on.
    pub fn set_nnz_per_cycle(&mut self, k: usize) -> Result<()> {
        CoreParams::default().with_nnz_per_cycle(k)?;
        self.nnz_per_cycle = k;
        Ok(())
    }

    /// The core's non-zeros per cycle K of the heads runs use.
    pub fn nnz_per_cycle(&self) -> usize {
        self.nnz_per_cycle
    }

    /// The core and front-end parameters of a `d` head at the current P and K.
    pub fn params(&self, d: usize) -> Result<(CoreParams, FrontEndParams)> {
        let (core, fe) = head_params(d)?;
        Ok((
            core.with_nnz_per_cycle(self.nnz_per_cycle)?,
            fe.with_keys_per_cycle(self.keys_per_cycle)?,
        ))
    }

    /// The head for `d`, `variant` and the edges of `cb` at the current P and K, built on first
    /// use.
    pub fn get(&mut self, d: usize, variant: Variant, cb: &Codebook) -> Result<&mut HeadSim> {
        let (p, k) = (self.keys_per_cycle, self.nnz_per_cycle);
        let key = (d, p, k, variant, cb.describe());
        if !self.sims.contains_key(&key) {
            let (core, fe) = self.params(d)?;
            let sim = HeadSim::new(
                &hdl::head_verilog(&core, variant, &fe, cb)?,
                core,
                &BuildOptions::default(),
            )
            .with_context(|| format!("building the D = {d}, P = {p}, K = {k} {variant:?} head"))?;
            self.sims.insert(key.clone(), sim);
        }
        Ok(self.sims.get_mut(&key).expect("inserted"))
    }
}

/// One head's figures (JSON keys as the fields).
#[derive(Clone, Debug, Serialize)]
pub struct QkvHead {
    pub name: String,
    pub rows: usize,
    pub n: usize,
    pub d: usize,
    /// Keys scored per cycle (P).
    pub p: usize,
    /// Non-zero codes the core issues per cycle (K).
    pub k: usize,
    pub valid_len: usize,
    /// Every output integer equals `model::frontend` + `model::accumulate`.
    pub bit_exact: bool,
    /// Cycles from the first weight, K and V beat to the last output row.
    pub cycles: u64,
    /// `model::timing::head_cycles` (`None` when the run had idle inputs or back-pressure,
    /// which the model does not cover).
    pub cycles_model: Option<u64>,
    /// Fraction of codes equal to the float path's (f64 softmax, float quantizer).
    pub code_agreement: f64,
    /// `||out - out_fq|| / ||out_fq||`: against the float pruned-and-quantized output.
    pub rel_err_vs_float_quantized: f64,
    /// `||out - out_f|| / ||out_f||`: against float attention.
    pub rel_err_vs_float: f64,
    /// `||out_fq - out_f|| / ||out_f||`: the quantization method's own error.
    pub rel_err_float_quantized_vs_float: f64,
    /// Non-zero codes.
    pub nnz: usize,
    /// Saturated x values (should be 0).
    pub saturated: usize,
    /// First problem found, if any.
    pub error: Option<String>,
    #[serde(skip)]
    sums: ErrSums,
}

#[derive(Clone, Copy, Debug, Default)]
struct ErrSums {
    agree: usize,
    codes: usize,
    /// (||a - b||^2, ||b||^2) for out vs fq, out vs f, fq vs f.
    q: (f64, f64),
    f: (f64, f64),
    m: (f64, f64),
}

fn sq(a: ArrayView2<f32>, b: ArrayView2<f32>) -> (f64, f64) {
    a.iter().zip(b.iter()).fold((0.0, 0.0), |(n, d), (&x, &y)| {
        (n + (x as f64 - y as f64).powi(2), d + (y as f64).powi(2))
    })
}

fn ratio((n, d): (f64, f64)) -> f64 {
    if d == 0.0 {
        if n == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        (n / d).sqrt()
    }
}

impl QkvHead {
    /// The run's totals: codes and errors pooled over every head (Frobenius over all outputs;
    /// n, d and the valid length of the first head, 0 without heads).
    pub fn total(heads: &[QkvHead]) -> QkvHead {
        let mut s = ErrSums::default();
        let add = |a: (f64, f64), b: (f64, f64)| (a.0 + b.0, a.1 + b.1);
        for h in heads {
            s.agree += h.sums.agree;
            s.codes += h.sums.codes;
            s.q = add(s.q, h.sums.q);
            s.f = add(s.f, h.sums.f);
            s.m = add(s.m, h.sums.m);
        }
        let first = |f: fn(&QkvHead) -> usize| heads.first().map_or(0, f);
        QkvHead {
            name: "total".into(),
            rows: heads.iter().map(|h| h.rows).sum(),
            n: first(|h| h.n),
            d: first(|h| h.d),
            p: first(|h| h.p),
            k: first(|h| h.k),
            valid_len: first(|h| h.valid_len),
            bit_exact: heads.iter().all(|h| h.bit_exact),
            cycles: heads.iter().map(|h| h.cycles).sum(),
            cycles_model: heads.iter().map(|h| h.cycles_model).sum(),
            code_agreement: s.agree as f64 / s.codes.max(1) as f64,
            rel_err_vs_float_quantized: ratio(s.q),
            rel_err_vs_float: ratio(s.f),
            rel_err_float_quantized_vs_float: ratio(s.m),
            nnz: heads.iter().map(|h| h.nnz).sum(),
            saturated: heads.iter().map(|h| h.saturated).sum(),
            error: heads.iter().find_map(|h| h.error.clone()),
            sums: s,
        }
    }

    /// Bit-exact, on the predicted cycle count, no error.
    pub fn ok(&self) -> bool {
        self.bit_exact && self.cycles_model.is_none_or(|c| c == self.cycles) && self.error.is_none()
    }
}

/// Runs one head of float Q `[rows, d]`, K `[n, d]`, V `[n, d]` through the on-chip path.
#[allow(clippy::too_many_arguments)]
pub fn run_head(
    cores: &mut HeadCores,
    name: &str,
    cb: &Codebook,
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    v: ArrayView2<f32>,
    valid_len: usize,
    cfg: &DriveConfig,
) -> Result<QkvHead> {
    run_head_checked(cores, name, cb, q, k, v, valid_len, cfg, None)
}

/// [`run_head`], also checking the front end's integers, the codes and the hardware's output
/// against a golden case's files (`tests/golden/head`).
#[allow(clippy::too_many_arguments)]
pub fn run_head_checked(
    cores: &mut HeadCores,
    name: &str,
    cb: &Codebook,
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    v: ArrayView2<f32>,
    valid_len: usize,
    cfg: &DriveConfig,
    golden: Option<&model::golden::HeadCase>,
) -> Result<QkvHead> {
    let d = q.ncols();
    let (p, mut fe) = cores.params(d)?;
    fe.bits_qk = cores.qk_bits;
    let kpc = cores.keys_per_cycle;
    let variant = model::Variant::for_codebook(cb);
    let t = front_end(&fe, cb, q, k, valid_len).with_context(|| name.to_string())?;
    let qv = quantize_v(v)?;
    let weights = cb.weights();
    let want = accumulate(t.codes.view(), qv.vq.view(), &weights.w);
    let job =
        HeadJob::from_trace(&t, qv.vq.clone(), valid_len).with_context(|| name.to_string())?;
    let sim = cores.get(d, variant, cb)?;
    let run = sim.run(&weights.w, std::slice::from_ref(&job), cfg)?;
    let got = &run.out[0];
    let mut error = (got != &want).then(|| {
        let bad = got
            .acc
            .indexed_iter()
            .find(|(ix, &a)| a != want.acc[*ix])
            .map(|((i, l), &a)| format!("acc[{i}][{l}] = {a}, model {}", want.acc[[i, l]]))
            .unwrap_or_else(|| "row sums differ".into());
        format!("{name}: {bad}")
    });
    if let Some(g) = golden {
        let files = [
            ("qq", g.qq == t.qq),
            ("kq", g.kq == t.kq),
            ("mq", g.mq == t.mq.m.to_vec()),
            ("mk", g.mk == t.mk.m.to_vec()),
            ("shift", g.shift == t.shift),
            ("codes", g.codes == t.codes),
            ("vq", g.vq == qv.vq),
            ("acc/rsum (hardware)", &g.expected == got),
        ];
        if let Some((what, _)) = files.iter().find(|(_, ok)| !ok) {
            error.get_or_insert(format!(
                "{name}: {what} differs from tests/golden/head/{}",
                g.name
            ));
        }
    }
    let out = dequantize(got, &qv.scales, weights.scale);
    let out_f = attention_float(q, k, v, valid_len)?;
    let out_fq = attention_float_quantized(cb, q, k, v, valid_len)?;
    let cf = codes_float(cb, q, k, valid_len)?;
    let agree = (agreement(t.codes.view(), cf.view()) * cf.len() as f64).round() as usize;
    let sums = ErrSums {
        agree,
        codes: cf.len(),
        q: sq(out.view(), out_fq.view()),
        f: sq(out.view(), out_f.view()),
        m: sq(out_fq.view(), out_f.view()),
    };
    let stalled = cfg.idle_prob > 0.0 || cfg.backpressure_prob > 0.0;
    let predicted =
        (!stalled).then(|| model::timing::head_cycles(&p, kpc, variant, t.codes.view()) as u64);
    Ok(QkvHead {
        name: name.into(),
        rows: q.nrows(),
        n: k.nrows(),
        d,
        p: kpc,
        k: p.nnz_per_cycle,
        valid_len,
        bit_exact: error.is_none(),
        cycles: run.cycles,
        cycles_model: predicted,
        code_agreement: sums.agree as f64 / sums.codes.max(1) as f64,
        rel_err_vs_float_quantized: ratio(sums.q),
        rel_err_vs_float: ratio(sums.f),
        rel_err_float_quantized_vs_float: ratio(sums.m),
        nnz: t.codes.iter().filter(|&&c| c != 0).count(),
        saturated: t.saturated,
        error,
        sums,
    })
}

/// Every head of Q, K, V (`[..., rows|n, d]`) through the on-chip path; `valid_len` masks keys
/// (default: all n). Errors on bad shapes, no heads, no rows, n > N_MAX, an unsupported d or a
/// valid length outside 1..=n.
pub fn run_all(
    cores: &mut HeadCores,
    cb: &Codebook,
    q: &ArrayD<f32>,
    k: &ArrayD<f32>,
    v: &ArrayD<f32>,
    valid_len: Option<usize>,
) -> Result<Vec<QkvHead>> {
    let (q3, k3, v3) = model::contract::split_qkv(q, k, v)?;
    let (n, d) = (k3.len_of(Axis(1)), k3.len_of(Axis(2)));
    if q3.len_of(Axis(0)) == 0 {
        bail!(
            "no heads: the leading axes {:?} hold none",
            &q.shape()[..q.ndim() - 2]
        );
    }
    let (p, _) = head_params(d)?;
    if n == 0 || n > p.n_max {
        bail!(
            "n = {n} keys: the D = {d} head takes 1..={} (N_MAX)",
            p.n_max
        );
    }
    if q3.len_of(Axis(1)) == 0 {
        bail!("Q has no rows");
    }
    let vlen = valid_len.unwrap_or(n);
    if vlen > n {
        bail!("valid length {vlen} exceeds n = {n}");
    }
    if vlen == 0 {
        bail!("valid length 0: at least one key must be valid (1..=n = {n})");
    }
    let mut out = Vec::with_capacity(q3.len_of(Axis(0)));
    for h in 0..q3.len_of(Axis(0)) {
        out.push(run_head(
            cores,
            &format!("head {h}"),
            cb,
            q3.index_axis(Axis(0), h),
            k3.index_axis(Axis(0), h),
            v3.index_axis(Axis(0), h),
            vlen,
            &DriveConfig::default(),
        )?);
    }
    Ok(out)
}

/// Per-head table rows (and the total).
pub fn table(heads: &[QkvHead], total: &QkvHead) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<34} {:>5} {:>4} {:>3} {:>2} {:>6} {:>9} {:>9} {:>6} {:>8} {:>9} {:>9} {:>9}",
        "head",
        "rows",
        "n",
        "d",
        "p",
        "valid",
        "cycles",
        "model",
        "exact",
        "agree",
        "err/fq",
        "err/f",
        "fq/f"
    );
    for h in heads.iter().chain(std::iter::once(total)) {
        let _ = writeln!(
            s,
            "{:<34} {:>5} {:>4} {:>3} {:>2} {:>6} {:>9} {:>9} {:>6} {:>7.3}% {:>9.4} {:>9.4} {:>9.4}",
            h.name,
            h.rows,
            h.n,
            h.d,
            h.p,
            h.valid_len,
            h.cycles,
            h.cycles_model.map_or("-".to_string(), |c| c.to_string()),
            if h.bit_exact { "yes" } else { "NO" },
            100.0 * h.code_agreement,
            h.rel_err_vs_float_quantized,
            h.rel_err_vs_float,
            h.rel_err_float_quantized_vs_float
        );
    }
    s
}
