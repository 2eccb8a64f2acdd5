//! The paper's measurements on attention probabilities, and the quantizers it compares.
//!
//! - [`Method`]: pruned log (the hardware's), octave, log without pruning, linear, boolean.
//! - [`sparsity`], [`top_k_for_mass`], [`jsd_row`] (Jensen-Shannon divergence of log-binned
//!   histograms), [`MemoryFigures`].
//! - [`analyze`]: all of it over an array `[..., rows, n]`, per layer and head when the array
//!   has those axes (`[layer, head, rows, n]`, or `[head, rows, n]`).

use crate::codebook::{check_prob, Codebook};
use crate::ModelError;
use ndarray::{ArrayViewD, Axis, IxDyn};
use serde::Serialize;

/// A quantization method, for analysis (only [`Method::Log`] and [`Method::Octave`] run on the
/// hardware).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Method {
    /// Prune below t, log-quantize the rest to 2^k - 1 levels (the hardware's codebook).
    Log { bits: u32, threshold: f64 },
    /// The octave codebook, `t = 2^-(2^k-1)`.
    Octave { bits: u32 },
    /// Log quantization without pruning: 2^k log-spaced levels over `[t, 1]`; values below t
    /// (and zeros) map to the lowest level instead of to zero.
    LogNoPrune { bits: u32, threshold: f64 },
    /// The paper's linear quantizer (Algorithm 1): prune below t, then 2^k - 1 equal-width bins
    /// over `[t, 1]`, each represented by its midpoint.
    Linear { bits: u32, threshold: f64 },
    /// Boolean: values at or above t become `1 / m` (m = how many in the row survive), others 0.
    Boolean { threshold: f64 },
}

impl Method {
    /// Short name for tables.
    pub fn name(&self) -> String {
        match self {
            Method::Log { bits, threshold } => format!("log{bits} t={threshold:e}"),
            Method::Octave { bits } => format!("octave{bits}"),
            Method::LogNoPrune { bits, threshold } => format!("log{bits}-noprune t={threshold:e}"),
            Method::Linear { bits, threshold } => format!("linear{bits} t={threshold:e}"),
            Method::Boolean { threshold } => format!("boolean t={threshold:e}"),
        }
    }

    /// The paper's comparison set at `bits` and `threshold`.
    pub fn comparison_set(bits: u32, threshold: f64) -> Vec<Method> {
        vec![
            Method::Log { bits, threshold },
            Method::Octave { bits },
            Method::LogNoPrune { bits, threshold },
            Method::Linear { bits, threshold },
            Method::Boolean { threshold },
        ]
    }

    /// Checks the parameters (bits in 1..=4, t in (0, 1)).
    pub fn validate(&self) -> Result<(), ModelError> {
        match *self {
            Method::Log { bits, threshold }
            | Method::LogNoPrune { bits, threshold }
            | Method::Linear { bits, threshold } => Codebook::log(bits, threshold).map(|_| ()),
            Method::Octave { bits } => Codebook::octave(bits).map(|_| ()),
            Method::Boolean { threshold } => Codebook::log(1, threshold).map(|_| ()),
        }
    }

    /// Quantizes then dequantizes one row of probabilities (values already validated).
    pub fn apply_row(&self, row: &[f32], out: &mut Vec<f64>) {
        out.clear();
        match *self {
            Method::Log { bits, threshold } => {
                let cb = Codebook::log(bits, threshold).expect("validated");
                let lv = cb.levels();
                out.extend(row.iter().map(|&a| lv[cb.code(a) as usize]));
            }
            Method::Octave { bits } => {
                let cb = Codebook::octave(bits).expect("validated");
                let lv = cb.levels();
                out.extend(row.iter().map(|&a| lv[cb.code(a) as usize]));
            }
            Method::LogNoPrune { bits, threshold } => {
                let n = (1u32 << bits) as f64;
                let lt = threshold.log2();
                let q = -lt / n;
                out.extend(row.iter().map(|&a| {
                    let c = if a as f64 <= threshold {
                        0.0
                    } else {
                        ((a as f64).log2() - lt).div_euclid(q).clamp(0.0, n - 1.0)
                    };
                    (lt + (c + 0.5) * q).exp2()
                }));
            }
            Method::Linear { bits, threshold } => {
                let top = ((1u32 << bits) - 1) as f64;
                let q = (1.0 - threshold) / top;
                out.extend(row.iter().map(|&a| {
                    let a = a as f64;
                    if a < threshold {
                        0.0
                    } else {
                        let c = (1.0 + ((a - threshold) / q).floor()).clamp(1.0, top);
                        threshold + (c - 0.5) * q
                    }
                }));
            }
            Method::Boolean { threshold } => {
                let m = row.iter().filter(|&&a| a as f64 >= threshold).count();
                let v = if m == 0 { 0.0 } else { 1.0 / m as f64 };
                out.extend(
                    row.iter()
                        .map(|&a| if a as f64 >= threshold { v } else { 0.0 }),
                );
            }
        }
    }
}

/// Number of log-spaced histogram bins used for the Jensen-Shannon divergence.
pub const JSD_BINS: usize = 100;
/// The histogram spans `[10^JSD_LOG10_MIN, 1]`; smaller values (and zeros) fall in the first bin.
pub const JSD_LOG10_MIN: f64 = -10.0;

/// Histogram bin of a value: 100 bins of equal width in log10 over `[1e-10, 1]`; values below
/// 1e-10 (including 0) go to bin 0, 1 goes to the last bin.
#[inline]
pub fn log_bin(x: f64) -> usize {
    if x <= 0.0 {
        return 0;
    }
    let f = (x.log10() - JSD_LOG10_MIN) / -JSD_LOG10_MIN * JSD_BINS as f64;
    (f.floor().max(0.0) as usize).min(JSD_BINS - 1)
}

/// Jensen-Shannon divergence (base 2, in `[0, 1]`) between the log-binned histograms of two rows.
pub fn jsd_row(before: impl Iterator<Item = f64>, after: impl Iterator<Item = f64>) -> f64 {
    let mut p = [0f64; JSD_BINS];
    let mut q = [0f64; JSD_BINS];
    let mut np = 0usize;
    for x in before {
        p[log_bin(x)] += 1.0;
        np += 1;
    }
    let mut nq = 0usize;
    for x in after {
        q[log_bin(x)] += 1.0;
        nq += 1;
    }
    if np == 0 || nq == 0 {
        return 0.0;
    }
    js_divergence(
        p.iter()
            .zip(&q)
            .map(|(&a, &b)| (a / np as f64, b / nq as f64)),
    )
}

/// `sum 1/2 a log2(a/m) + 1/2 b log2(b/m)`, `m = (a + b) / 2`, over pairs of probabilities.
fn js_divergence(pairs: impl Iterator<Item = (f64, f64)>) -> f64 {
    let mut js = 0.0;
    for (a, b) in pairs {
        let m = 0.5 * (a + b);
        if a > 0.0 {
            js += 0.5 * a * (a / m).log2();
        }
        if b > 0.0 {
            js += 0.5 * b * (b / m).log2();
        }
    }
    js.max(0.0)
}

/// Jensen-Shannon divergence (base 2) between a row and its quantized version, both read as
/// distributions over the keys (each normalized to sum to one; an all-zero row is uniform).
pub fn jsd_distribution(p: &[f32], q: &[f64]) -> f64 {
    let sp: f64 = p.iter().map(|&x| x as f64).sum();
    let sq: f64 = q.iter().sum();
    let n = p.len().max(1) as f64;
    let norm = |x: f64, s: f64| if s > 0.0 { x / s } else { 1.0 / n };
    js_divergence(
        p.iter()
            .zip(q)
            .map(|(&a, &b)| (norm(a as f64, sp), norm(b, sq))),
    )
}

/// Fraction of `values` strictly below each threshold.
pub fn sparsity<'a>(values: impl Iterator<Item = &'a f32>, thresholds: &[f64]) -> Vec<f64> {
    let mut below = vec![0usize; thresholds.len()];
    let mut n = 0usize;
    for &v in values {
        n += 1;
        for (b, &t) in below.iter_mut().zip(thresholds) {
            if (v as f64) < t {
                *b += 1;
            }
        }
    }
    below
        .iter()
        .map(|&b| if n == 0 { 0.0 } else { b as f64 / n as f64 })
        .collect()
}

/// How many of a row's largest values it takes to reach `mass` of the row's total.
pub fn top_k_for_mass(row: &[f32], mass: f64, scratch: &mut Vec<f32>) -> usize {
    scratch.clear();
    scratch.extend_from_slice(row);
    scratch.sort_unstable_by(|a, b| b.total_cmp(a));
    let total: f64 = row.iter().map(|&x| x as f64).sum();
    let goal = mass * total;
    let mut acc = 0.0;
    for (i, &x) in scratch.iter().enumerate() {
        acc += x as f64;
        if acc >= goal {
            return i + 1;
        }
    }
    scratch.len()
}

/// Storage of an attention matrix in four formats, in bits.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MemoryFigures {
    /// Number of probabilities.
    pub values: u64,
    /// Non-zero codes.
    pub nnz: u64,
    pub fp32_bits: u64,
    pub fp16_bits: u64,
    /// k bits per value.
    pub dense_code_bits: u64,
    /// Per non-zero: a `ceil(log2 n)`-bit key index plus a k-bit code; per row: a
    /// `ceil(log2(n + 1))`-bit count.
    pub sparse_code_bits: u64,
    /// `1 - sparse / fp32`.
    pub sparse_saving_vs_fp32: f64,
    /// `1 - min(dense codes, sparse codes) / fp32`.
    pub best_saving_vs_fp32: f64,
}

impl MemoryFigures {
    /// Figures for `rows` rows of length `n` holding `nnz` non-zero k-bit codes.
    pub fn new(rows: u64, n: u64, nnz: u64, bits: u32) -> Self {
        let ceil_log2 = |x: u64| {
            if x <= 1 {
                0
            } else {
                64 - (x - 1).leading_zeros() as u64
            }
        };
        let values = rows * n;
        let fp32_bits = 32 * values;
        let dense_code_bits = bits as u64 * values;
        let sparse_code_bits = nnz * (ceil_log2(n).max(1) + bits as u64) + rows * ceil_log2(n + 1);
        let saving = |b: u64| {
            if fp32_bits == 0 {
                0.0
            } else {
                1.0 - b as f64 / fp32_bits as f64
            }
        };
        Self {
            values,
            nnz,
            fp32_bits,
            fp16_bits: 16 * values,
            dense_code_bits,
            sparse_code_bits,
            sparse_saving_vs_fp32: saving(sparse_code_bits),
            best_saving_vs_fp32: saving(sparse_code_bits.min(dense_code_bits)),
        }
    }
}

/// Thresholds the sparsity table reports.
pub const SPARSITY_THRESHOLDS: [f64; 5] = [1e-4, 1e-3, 1e-2, 1e-1, 0.5];

/// Mean and standard deviation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct MeanStd {
    pub mean: f64,
    pub std: f64,
}

impl MeanStd {
    fn of(xs: &[f64]) -> Self {
        if xs.is_empty() {
            return Self::default();
        }
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
        Self {
            mean,
            std: var.sqrt(),
        }
    }
}

/// Measurements over one group of rows (the whole array, a layer, or a head).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GroupStats {
    /// `None` for the whole array.
    pub layer: Option<usize>,
    pub head: Option<usize>,
    pub rows: usize,
    /// Fraction below each of [`SPARSITY_THRESHOLDS`].
    pub sparsity: Vec<f64>,
    /// Largest values per row needed to reach half the row's mass.
    pub top_k_half_mass: MeanStd,
    /// Mean JSD between each row's log-binned histogram before and after quantization, one entry
    /// per method of [`Report::methods`].
    pub jsd: Vec<f64>,
    /// Mean JSD between each row and its quantized version as distributions over the keys.
    pub jsd_distribution: Vec<f64>,
}

/// The whole analysis of one array of probabilities.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Report {
    pub shape: Vec<usize>,
    pub thresholds: Vec<f64>,
    pub methods: Vec<Method>,
    pub method_names: Vec<String>,
    pub overall: GroupStats,
    pub per_layer: Vec<GroupStats>,
    pub per_head: Vec<GroupStats>,
    /// Memory figures for the first method (the hardware's codebook).
    pub memory: MemoryFigures,
}

struct RowStats {
    group: usize,
    below: Vec<usize>,
    topk: f64,
    jsd: Vec<f64>,
    jsd_dist: Vec<f64>,
}

/// Analyzes probabilities `[..., rows, n]` (rank >= 2). Leading axes are read as
/// `[layer, head]` (rank 4), `[head]` (rank 3), or `[..., layer, head]` (rank > 4: the extra
/// leading axes are pooled). `methods[0]` also sets the memory figures' codebook.
pub fn analyze(probs: ArrayViewD<f32>, methods: &[Method]) -> Result<Report, ModelError> {
    let shape = probs.shape().to_vec();
    let rank = shape.len();
    if rank < 2 {
        return Err(ModelError::Shape(format!(
            "probabilities need rank >= 2 ([..., rows, n]), got shape {shape:?}"
        )));
    }
    if methods.is_empty() {
        return Err(ModelError::Shape(
            "no quantization method to compare".into(),
        ));
    }
    for m in methods {
        m.validate()?;
    }
    for &p in probs.iter() {
        check_prob(p)?;
    }
    let n = shape[rank - 1];
    let rows_per_matrix = shape[rank - 2];
    let (layers, heads) = match rank {
        2 => (1, 1),
        3 => (1, shape[0]),
        _ => (shape[rank - 4], shape[rank - 3]),
    };
    let matrices: usize = shape[..rank - 2].iter().product();
    let flat = probs
        .to_shape(IxDyn(&[matrices, rows_per_matrix, n]))
        .map_err(|e| ModelError::Shape(e.to_string()))?;
    let thresholds = SPARSITY_THRESHOLDS.to_vec();
    let bits = match methods[0] {
        Method::Log { bits, .. }
        | Method::Octave { bits }
        | Method::LogNoPrune { bits, .. }
        | Method::Linear { bits, .. } => bits,
        Method::Boolean { .. } => 1,
    };

    let mut rows = Vec::with_capacity(matrices * rows_per_matrix);
    let (mut q, mut scratch, mut row) = (Vec::new(), Vec::new(), Vec::with_capacity(n));
    let mut nnz0 = 0u64;
    for (m, mat) in flat.axis_iter(Axis(0)).enumerate() {
        // Matrix m sits at layer (m / heads) % layers, head m % heads.
        let group = m % (layers * heads);
        for r in mat.axis_iter(Axis(0)) {
            row.clear();
            row.extend(r.iter().copied());
            let below = thresholds
                .iter()
                .map(|&t| row.iter().filter(|&&x| (x as f64) < t).count())
                .collect();
            let topk = top_k_for_mass(&row, 0.5, &mut scratch) as f64;
            let (mut jsd, mut jsd_dist) = (Vec::new(), Vec::new());
            for (k, meth) in methods.iter().enumerate() {
                meth.apply_row(&row, &mut q);
                if k == 0 {
                    nnz0 += q.iter().filter(|&&x| x != 0.0).count() as u64;
                }
                jsd.push(jsd_row(row.iter().map(|&x| x as f64), q.iter().copied()));
                jsd_dist.push(jsd_distribution(&row, &q));
            }
            rows.push(RowStats {
                group,
                below,
                topk,
                jsd,
                jsd_dist,
            });
        }
    }

    let summarize = |layer: Option<usize>, head: Option<usize>, sel: &dyn Fn(usize) -> bool| {
        let chosen: Vec<&RowStats> = rows.iter().filter(|r| sel(r.group)).collect();
        let count = chosen.len();
        let sparsity = (0..thresholds.len())
            .map(|k| {
                chosen.iter().map(|r| r.below[k]).sum::<usize>() as f64 / (count * n).max(1) as f64
            })
            .collect();
        let topk: Vec<f64> = chosen.iter().map(|r| r.topk).collect();
        let mean = |f: &dyn Fn(&RowStats) -> f64| {
            chosen.iter().map(|r| f(r)).sum::<f64>() / count.max(1) as f64
        };
        let jsd = (0..methods.len()).map(|k| mean(&|r| r.jsd[k])).collect();
        let jsd_distribution = (0..methods.len())
            .map(|k| mean(&|r| r.jsd_dist[k]))
            .collect();
        GroupStats {
            layer,
            head,
            rows: count,
            sparsity,
            top_k_half_mass: MeanStd::of(&topk),
            jsd,
            jsd_distribution,
        }
    };
    let overall = summarize(None, None, &|_| true);
    let per_layer = if rank >= 4 {
        (0..layers)
            .map(|l| summarize(Some(l), None, &|g| g / heads == l))
            .collect()
    } else {
        Vec::new()
    };
    let per_head = if rank >= 3 {
        (0..layers * heads)
            .map(|g| {
                let layer = (rank >= 4).then_some(g / heads);
                summarize(layer, Some(g % heads), &|x| x == g)
            })
            .collect()
    } else {
        Vec::new()
    };
    let memory = MemoryFigures::new((matrices * rows_per_matrix) as u64, n as u64, nnz0, bits);
    Ok(Report {
        shape,
        thresholds,
        method_names: methods.iter().map(Method::name).collect(),
        methods: methods.to_vec(),
        overall,
        per_layer,
        per_head,
        memory,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{array, Array4};

    #[test]
    fn jsd_bounds() {
        let a = [0.5, 0.5, 0.0];
        assert_eq!(jsd_row(a.iter().copied(), a.iter().copied()), 0.0);
        // Disjoint histograms: JSD = 1 bit.
        let b = [1e-12, 1e-12, 1e-12];
        let c = [1.0, 1.0, 1.0];
        assert!((jsd_row(b.iter().copied(), c.iter().copied()) - 1.0).abs() < 1e-12);
        assert_eq!(log_bin(0.0), 0);
        assert_eq!(log_bin(1.0), JSD_BINS - 1);
        assert_eq!(log_bin(1e-10), 0);
        assert_eq!(log_bin(0.1), 90);
    }

    #[test]
    fn jsd_distribution_bounds() {
        assert_eq!(jsd_distribution(&[0.5, 0.5], &[0.25, 0.25]), 0.0);
        assert!((jsd_distribution(&[1.0, 0.0], &[0.0, 1.0]) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn top_k_counts() {
        let mut s = Vec::new();
        assert_eq!(top_k_for_mass(&[0.1, 0.6, 0.3], 0.5, &mut s), 1);
        assert_eq!(top_k_for_mass(&[0.25; 4], 0.5, &mut s), 2);
    }

    #[test]
    fn quantizers_behave() {
        let row = [0.0f32, 5e-4, 0.002, 0.3, 0.6975];
        let mut out = Vec::new();
        Method::Linear {
            bits: 3,
            threshold: 1e-3,
        }
        .apply_row(&row, &mut out);
        assert_eq!(out[0], 0.0);
        assert_eq!(out[1], 0.0);
        let q = (1.0 - 1e-3) / 7.0;
        assert!((out[2] - (1e-3 + 0.5 * q)).abs() < 1e-12);
        Method::Boolean { threshold: 1e-3 }.apply_row(&row, &mut out);
        assert_eq!(out, vec![0.0, 0.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 3.0]);
        Method::LogNoPrune {
            bits: 3,
            threshold: 1e-3,
        }
        .apply_row(&row, &mut out);
        assert!(out.iter().all(|&x| x > 0.0), "nothing is pruned: {out:?}");
        Method::Log {
            bits: 3,
            threshold: 1e-3,
        }
        .apply_row(&row, &mut out);
        assert_eq!(out[1], 0.0);
        assert!((out[4] - 0.6105).abs() < 1e-3);
    }

    #[test]
    fn memory_figures() {
        let m = MemoryFigures::new(128, 128, 1000, 3);
        assert_eq!(m.fp32_bits, 32 * 128 * 128);
        assert_eq!(m.dense_code_bits, 3 * 128 * 128);
        assert_eq!(m.sparse_code_bits, 1000 * (7 + 3) + 128 * 8);
    }

    #[test]
    fn analyze_groups_layers_and_heads() {
        let mut p = Array4::<f32>::zeros((2, 3, 4, 4));
        for l in 0..2 {
            for h in 0..3 {
                for i in 0..4 {
                    // Layer 0: one-hot rows; layer 1: uniform rows.
                    if l == 0 {
                        p[[l, h, i, i]] = 1.0;
                    } else {
                        for j in 0..4 {
                            p[[l, h, i, j]] = 0.25;
                        }
                    }
                }
            }
        }
        let r = analyze(p.view().into_dyn(), &Method::comparison_set(3, 1e-3)).unwrap();
        assert_eq!(r.per_layer.len(), 2);
        assert_eq!(r.per_head.len(), 6);
        assert_eq!(r.per_layer[0].sparsity[1], 0.75);
        assert_eq!(r.per_layer[1].sparsity[1], 0.0);
        assert_eq!(r.overall.sparsity[1], 0.375);
        assert_eq!(r.per_layer[0].top_k_half_mass.mean, 1.0);
        assert_eq!(r.per_layer[1].top_k_half_mass.mean, 2.0);
        assert_eq!(r.memory.nnz, 3 * 4 + 3 * 16);
        let bad = array![[0.5f32, f32::NAN]];
        assert!(analyze(bad.view().into_dyn(), &Method::comparison_set(3, 1e-3)).is_err());
    }
}
