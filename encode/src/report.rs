//! Running the passages through a backend, and how its embeddings and heads compare with the
//! float reference: cosine per passage, nearest-neighbour agreement, Spearman correlation of the
//! pairwise similarities; per layer: zero codes, code agreement with the float quantizer,
//! output error per head, cycles.

use crate::backend::Attention;
use crate::bert::{Bert, LayerIo};
use crate::text::Tokens;
use anyhow::Result;
use model::frontend::{agreement, attention_float, codes_float};
use model::Codebook;
use ndarray::{Array2, ArrayView1, ArrayView2, Axis};
use serde::Serialize;
use std::time::Instant;

/// One layer's figures, pooled over the passages.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LayerStats {
    pub layer: usize,
    /// Fraction of zero codes (pruned entries), if the backend has codes.
    pub zero_codes: Option<f64>,
    /// Fraction of codes equal to the float quantizer's on the same Q and K.
    pub code_agreement: Option<f64>,
    /// Per head: `||out - float|| / ||float||` (Frobenius, pooled over the passages), float
    /// being float softmax attention of the same Q, K, V.
    pub rel_err_per_head: Vec<f64>,
    /// The same pooled over the layer's heads.
    pub rel_err: f64,
    /// Compute cycles of the layer's heads over every passage.
    pub cycles: Option<u64>,
    #[serde(skip)]
    acc: Acc,
}

#[derive(Clone, Debug, Default)]
struct Acc {
    zeros: u64,
    coded: u64,
    agree: u64,
    num: Vec<f64>,
    den: Vec<f64>,
    cycles: u64,
    has_cycles: bool,
}

/// One head's cycles, with its length (for projections).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct HeadCycles {
    pub passage: usize,
    pub layer: usize,
    pub head: usize,
    pub n: usize,
    pub cycles: u32,
}

/// A backend's run over the passages.
#[derive(Clone, Debug)]
pub struct BackendRun {
    pub name: &'static str,
    /// `[passages, hidden]`.
    pub embeddings: Array2<f32>,
    pub layers: Vec<LayerStats>,
    /// Every head's cycles (backends that report cycles).
    pub head_cycles: Vec<HeadCycles>,
    pub wall_s: f64,
}

impl BackendRun {
    /// Cycles per passage (empty without cycles).
    pub fn passage_cycles(&self, passages: usize) -> Vec<u64> {
        if self.head_cycles.is_empty() {
            return Vec::new();
        }
        let mut v = vec![0u64; passages];
        for h in &self.head_cycles {
            v[h.passage] += h.cycles as u64;
        }
        v
    }
}

/// Runs every passage through `bert` with `att`; for a backend other than float, every head's
/// output is compared with float attention of the same inputs and its codes with the float
/// quantizer `cb`'s. `tick` is called after each passage.
pub fn run_backend(
    bert: &Bert,
    passages: &[Tokens],
    att: &mut dyn Attention,
    cb: &Codebook,
    tick: &mut dyn FnMut(),
) -> Result<BackendRun> {
    let t0 = Instant::now();
    let c = &bert.dir.config;
    let is_float = att.name() == "float";
    let mut layers: Vec<LayerStats> = (0..c.num_hidden_layers)
        .map(|l| LayerStats {
            layer: l,
            acc: Acc {
                num: vec![0.0; c.num_attention_heads],
                den: vec![0.0; c.num_attention_heads],
                ..Default::default()
            },
            ..Default::default()
        })
        .collect();
    let mut emb = Array2::<f32>::zeros((passages.len(), c.hidden_size));
    let mut head_cycles = Vec::new();
    for (p, tok) in passages.iter().enumerate() {
        let mut probe = |io: &LayerIo| -> Result<()> {
            let a = &mut layers[io.layer].acc;
            for (h, ho) in io.heads.iter().enumerate() {
                if let Some(cy) = ho.cycles {
                    a.cycles += cy as u64;
                    a.has_cycles = true;
                    head_cycles.push(HeadCycles {
                        passage: p,
                        layer: io.layer,
                        head: h,
                        n: io.k.len_of(Axis(1)),
                        cycles: cy,
                    });
                }
                if is_float {
                    continue;
                }
                let (q, k, v) = (
                    io.q.index_axis(Axis(0), h),
                    io.k.index_axis(Axis(0), h),
                    io.v.index_axis(Axis(0), h),
                );
                let n = k.nrows();
                if let Some(codes) = &ho.codes {
                    let fc = codes_float(cb, q, k, n)?;
                    a.zeros += codes.iter().filter(|&&x| x == 0).count() as u64;
                    a.coded += codes.len() as u64;
                    a.agree +=
                        (agreement(codes.view(), fc.view()) * codes.len() as f64).round() as u64;
                }
                let f = attention_float(q, k, v, n)?;
                let (num, den) = sq_err(ho.out.view(), f.view());
                a.num[h] += num;
                a.den[h] += den;
            }
            Ok(())
        };
        let e = bert.embed(&tok.ids, &tok.type_ids, att, &mut probe)?;
        emb.row_mut(p).assign(&e);
        tick();
    }
    for l in &mut layers {
        let a = &l.acc;
        if a.coded > 0 {
            l.zero_codes = Some(a.zeros as f64 / a.coded as f64);
            l.code_agreement = Some(a.agree as f64 / a.coded as f64);
        }
        l.rel_err_per_head = a
            .num
            .iter()
            .zip(&a.den)
            .map(|(&n, &d)| model::contract::rel_err_of_sums(n, d))
            .collect();
        l.rel_err = model::contract::rel_err_of_sums(a.num.iter().sum(), a.den.iter().sum());
        l.cycles = a.has_cycles.then_some(a.cycles);
    }
    Ok(BackendRun {
        name: att.name(),
        embeddings: emb,
        layers,
        head_cycles,
        wall_s: t0.elapsed().as_secs_f64(),
    })
}

/// `(||a - b||^2, ||b||^2)` in f64.
fn sq_err(a: ArrayView2<f32>, b: ArrayView2<f32>) -> (f64, f64) {
    a.iter().zip(b.iter()).fold((0.0, 0.0), |(n, d), (&x, &y)| {
        let (x, y) = (x as f64, y as f64);
        (n + (x - y).powi(2), d + y * y)
    })
}

/// Cosine similarity in f64 (0 if either is zero).
pub fn cosine(a: ArrayView1<f32>, b: ArrayView1<f32>) -> f64 {
    let (mut ab, mut aa, mut bb) = (0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b.iter()) {
        let (x, y) = (x as f64, y as f64);
        ab += x * y;
        aa += x * x;
        bb += y * y;
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        ab / (aa.sqrt() * bb.sqrt())
    }
}

/// The pairwise cosine similarities `[p, p]`.
pub fn similarities(e: &Array2<f32>) -> Array2<f64> {
    let p = e.nrows();
    Array2::from_shape_fn((p, p), |(i, j)| cosine(e.row(i), e.row(j)))
}

/// Each passage's nearest neighbour among the others (the lowest index on a tie); `None` for a
/// single passage.
pub fn nearest(sim: &Array2<f64>) -> Vec<Option<usize>> {
    (0..sim.nrows())
        .map(|i| {
            (0..sim.ncols())
                .filter(|&j| j != i)
                .fold(None, |best: Option<usize>, j| match best {
                    Some(b) if sim[[i, b]] >= sim[[i, j]] => Some(b),
                    _ => Some(j),
                })
        })
        .collect()
}

/// Ranks (1-based, ties get their mean rank).
pub fn ranks(x: &[f64]) -> Vec<f64> {
    let mut ix: Vec<usize> = (0..x.len()).collect();
    ix.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < ix.len() {
        let mut j = i;
        while j + 1 < ix.len() && x[ix[j + 1]] == x[ix[i]] {
            j += 1;
        }
        let mean = (i + j) as f64 / 2.0 + 1.0;
        for &k in &ix[i..=j] {
            r[k] = mean;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation (Pearson's of the ranks); `None` for fewer than two values or
/// a constant input.
pub fn spearman(a: &[f64], b: &[f64]) -> Option<f64> {
    if a.len() < 2 || a.len() != b.len() {
        return None;
    }
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let (mut ab, mut aa, mut bb) = (0.0, 0.0, 0.0);
    for (&x, &y) in ra.iter().zip(&rb) {
        ab += (x - ma) * (y - mb);
        aa += (x - ma).powi(2);
        bb += (y - mb).powi(2);
    }
    (aa > 0.0 && bb > 0.0).then(|| ab / (aa * bb).sqrt())
}

/// How a backend's embeddings compare with the float reference's.
#[derive(Clone, Debug, Serialize)]
pub struct Agreement {
    /// Per passage: cosine to the float embedding.
    pub cosine: Vec<f64>,
    pub cosine_mean: f64,
    pub cosine_min: f64,
    /// Mean of `1 - cosine`.
    pub one_minus_cos_mean: f64,
    /// Fraction of passages whose nearest neighbour (among the others) is the float one's.
    pub nn_agreement: Option<f64>,
    /// Spearman correlation of the pairwise similarities (pairs i < j) with the float ones.
    pub spearman: Option<f64>,
}

/// Compares `e` with the float embeddings `float` (both `[passages, hidden]`).
pub fn compare(float: &Array2<f32>, e: &Array2<f32>) -> Agreement {
    let cos: Vec<f64> = float
        .rows()
        .into_iter()
        .zip(e.rows())
        .map(|(a, b)| cosine(a, b))
        .collect();
    let p = cos.len();
    let (sf, se) = (similarities(float), similarities(e));
    let (nf, ne) = (nearest(&sf), nearest(&se));
    let nn = (p >= 2).then(|| nf.iter().zip(&ne).filter(|(a, b)| a == b).count() as f64 / p as f64);
    let upper = |s: &Array2<f64>| -> Vec<f64> {
        (0..p)
            .flat_map(|i| (i + 1..p).map(move |j| (i, j)))
            .map(|(i, j)| s[[i, j]])
            .collect()
    };
    let mean = cos.iter().sum::<f64>() / p as f64;
    Agreement {
        cosine_mean: mean,
        cosine_min: cos.iter().cloned().fold(f64::INFINITY, f64::min),
        one_minus_cos_mean: cos.iter().map(|c| 1.0 - c).sum::<f64>() / p as f64,
        nn_agreement: nn,
        spearman: spearman(&upper(&sf), &upper(&se)),
        cosine: cos,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn ranks_average_ties() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn spearman_of_monotone_and_reversed() {
        let a = [1.0, 2.0, 3.0, 4.0];
        assert!((spearman(&a, &[10.0, 20.0, 30.0, 400.0]).unwrap() - 1.0).abs() < 1e-12);
        assert!((spearman(&a, &[4.0, 3.0, 2.0, 1.0]).unwrap() + 1.0).abs() < 1e-12);
        assert_eq!(spearman(&a, &[1.0, 1.0, 1.0, 1.0]), None);
    }

    #[test]
    fn compare_identical_and_swapped() {
        let f = array![[1.0f32, 0.0], [0.9, 0.1], [0.0, 1.0]];
        let a = compare(&f, &f);
        assert_eq!(a.cosine_min, 1.0);
        assert_eq!(a.nn_agreement, Some(1.0));
        assert!((a.spearman.unwrap() - 1.0).abs() < 1e-12);
        // Passage 1 moves next to passage 2: its nearest neighbour changes (0 -> 2), the
        // others' stay.
        let g = array![[1.0f32, 0.0], [0.1, 0.9], [0.0, 1.0]];
        let b = compare(&f, &g);
        assert!(b.cosine[1] < 0.3);
        assert_eq!(b.nn_agreement, Some(2.0 / 3.0));
    }
}
