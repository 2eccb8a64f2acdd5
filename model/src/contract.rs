//! The integer contract of the hardware: int8 V, integer code weights, exact accumulation.
//!
//! `acc[i][l] = sum_j w[code[i][j]] * Vq[j][l]` and `r[i] = sum_j w[code[i][j]]` are exact
//! integers; the float output is `acc * g * s_v[l]` (or `acc * s_v[l] / r` renormalized).

use crate::codebook::{check_prob, Codebook, IntWeights};
use crate::ModelError;
use ndarray::{Array1, Array2, Array3, ArrayD, ArrayView2, Zip};

/// V quantized to int8, one symmetric scale per column (lane).
#[derive(Clone, Debug, PartialEq)]
pub struct QuantV {
    /// `Vq[j][l] = round(V[j][l] / s_v[l])`, in `[-127, 127]`.
    pub vq: Array2<i8>,
    /// `s_v[l] = max_j |V[j][l]| / 127`, or 1 when the column is all zero.
    pub scales: Array1<f64>,
}

/// Quantizes V `[n, d]` per column (lane): the symmetric int8 rule of
/// [`crate::frontend::quantize_rows`] applied to `V^T`. Rounding is to nearest, ties away from
/// zero, computed in f64.
pub fn quantize_v(v: ArrayView2<f32>) -> Result<QuantV, ModelError> {
    let (vq_t, scales) = crate::frontend::quantize_rows(v.t(), crate::V_BITS)?;
    Ok(QuantV {
        vq: vq_t.reversed_axes().as_standard_layout().into_owned(),
        scales,
    })
}

/// Splits P `[..., rows, n]` and V `[..., n, d]` (same leading axes) into per-head arrays
/// `[heads, rows, n]` and `[heads, n, d]`; the error names both shapes and what is wrong.
pub fn split_heads(
    p: &ArrayD<f32>,
    v: &ArrayD<f32>,
) -> Result<(Array3<f32>, Array3<f32>), ModelError> {
    let (ps, vs) = (p.shape(), v.shape());
    if ps.len() < 2 || vs.len() != ps.len() {
        return Err(ModelError::Shape(format!(
            "P has shape {ps:?} and V has shape {vs:?}: expected P [..., rows, n] and V [..., n, d] of the same rank >= 2"
        )));
    }
    let r = ps.len();
    if ps[..r - 2] != vs[..r - 2] || ps[r - 1] != vs[r - 2] {
        return Err(ModelError::Shape(format!(
            "P has shape {ps:?} but V has shape {vs:?}: V must be [..., n, d] with P's leading axes and n = {}",
            ps[r - 1]
        )));
    }
    let heads: usize = ps[..r - 2].iter().product();
    let to3 = |a: &ArrayD<f32>, s: [usize; 3]| -> Array3<f32> {
        a.to_shape(s).expect("same number of elements").into_owned()
    };
    Ok((
        to3(p, [heads, ps[r - 2], ps[r - 1]]),
        to3(v, [heads, vs[r - 2], vs[r - 1]]),
    ))
}

/// Per-head Q `[heads, rows, d]`, K `[heads, n, d]` and V `[heads, n, d]`.
pub type QkvHeads = (Array3<f32>, Array3<f32>, Array3<f32>);

/// Splits Q `[..., rows, d]`, K `[..., n, d]`, V `[..., n, d]` (same leading axes) into per-head
/// arrays; the error names the shapes and what is wrong.
pub fn split_qkv(
    q: &ArrayD<f32>,
    k: &ArrayD<f32>,
    v: &ArrayD<f32>,
) -> Result<QkvHeads, ModelError> {
    let (qs, ks, vs) = (q.shape(), k.shape(), v.shape());
    let r = qs.len();
    if r < 2 || ks.len() != r || vs.len() != r {
        return Err(ModelError::Shape(format!(
            "Q {qs:?}, K {ks:?} and V {vs:?} must all be [..., rows|n, d] of the same rank >= 2"
        )));
    }
    if qs[..r - 2] != ks[..r - 2] || ks[..r - 2] != vs[..r - 2] {
        return Err(ModelError::Shape(format!(
            "Q {qs:?}, K {ks:?} and V {vs:?} must share their leading (head) axes"
        )));
    }
    if qs[r - 1] != ks[r - 1] {
        return Err(ModelError::Shape(format!(
            "Q {qs:?} and K {ks:?} must have the same d"
        )));
    }
    if ks[r - 2] != vs[r - 2] {
        return Err(ModelError::Shape(format!(
            "K {ks:?} and V {vs:?} must have the same number of keys n"
        )));
    }
    if vs[r - 1] != ks[r - 1] {
        return Err(ModelError::Shape(format!(
            "V {vs:?} must have the d of Q and K ({}): the core has one lane per column",
            ks[r - 1]
        )));
    }
    let heads: usize = qs[..r - 2].iter().product();
    let to3 = |a: &ArrayD<f32>| -> Array3<f32> {
        let s = a.shape();
        a.to_shape([heads, s[r - 2], s[r - 1]])
            .expect("same number of elements")
            .into_owned()
    };
    Ok((to3(q), to3(k), to3(v)))
}

/// Exact integer result of one head: what the hardware emits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccRows {
    /// `acc[i][l]`, `[rows, d]`.
    pub acc: Array2<i64>,
    /// Row weight sums `r[i]`.
    pub rsum: Array1<u64>,
}

/// `acc = W(codes) @ Vq` exactly. `codes` is `[rows, n]`, `vq` is `[n, d]`, `w` has one weight per
/// code value. Panics if shapes disagree or a code has no weight (callers validate input).
pub fn accumulate(codes: ArrayView2<u8>, vq: ArrayView2<i8>, w: &[u32]) -> AccRows {
    assert_eq!(
        codes.ncols(),
        vq.nrows(),
        "codes [rows, n] and Vq [n, d] disagree on n"
    );
    let (rows, d) = (codes.nrows(), vq.ncols());
    let mut acc = Array2::<i64>::zeros((rows, d));
    let mut rsum = Array1::<u64>::zeros(rows);
    for (i, crow) in codes.rows().into_iter().enumerate() {
        let mut arow = acc.row_mut(i);
        for (j, &c) in crow.iter().enumerate() {
            if c == 0 {
                continue;
            }
            let wc = w[c as usize] as i64;
            rsum[i] += wc as u64;
            for (a, &x) in arow.iter_mut().zip(vq.row(j)) {
                *a += wc * x as i64;
            }
        }
    }
    AccRows { acc, rsum }
}

/// Dequantizes: `out[i][l] = acc[i][l] * g * s_v[l]`.
pub fn dequantize(acc: &AccRows, scales: &Array1<f64>, g: f64) -> Array2<f32> {
    let mut out = Array2::<f32>::zeros(acc.acc.raw_dim());
    Zip::from(out.rows_mut())
        .and(acc.acc.rows())
        .for_each(|mut o, a| {
            for ((o, &a), &s) in o.iter_mut().zip(a).zip(scales) {
                *o = (a as f64 * g * s) as f32;
            }
        });
    out
}

/// Renormalized dequantization: `out[i][l] = acc[i][l] * s_v[l] / r[i]` (0 when `r[i] = 0`):
/// the row's surviving weights are rescaled to sum to one, winning back the pruned mass.
pub fn dequantize_renormalized(acc: &AccRows, scales: &Array1<f64>) -> Array2<f32> {
    let mut out = Array2::<f32>::zeros(acc.acc.raw_dim());
    Zip::from(out.rows_mut())
        .and(acc.acc.rows())
        .and(&acc.rsum)
        .for_each(|mut o, a, &r| {
            if r == 0 {
                return;
            }
            for ((o, &a), &s) in o.iter_mut().zip(a).zip(scales) {
                *o = (a as f64 * s / r as f64) as f32;
            }
        });
    out
}

/// Quantizes a probability matrix to codes, checking every value.
pub fn quantize_probs(probs: ArrayView2<f32>, cb: &Codebook) -> Result<Array2<u8>, ModelError> {
    let mut codes = Array2::<u8>::zeros(probs.raw_dim());
    for (c, &p) in codes.iter_mut().zip(probs.iter()) {
        check_prob(p)?;
        *c = cb.code(p);
    }
    Ok(codes)
}

/// Everything the hardware path produces for one head.
#[derive(Clone, Debug)]
pub struct HeadResult {
    /// The codes fed to the core, `[rows, n]`.
    pub codes: Array2<u8>,
    /// V as loaded into the core.
    pub v: QuantV,
    /// The weights loaded into the core.
    pub weights: IntWeights,
    /// The core's exact output.
    pub acc: AccRows,
    /// Dequantized float output `[rows, d]`.
    pub out: Array2<f32>,
}

/// The software path of the hardware contract for one head: quantize P `[rows, n]` with `cb`,
/// quantize V `[n, d]` to int8, accumulate exactly, dequantize (optionally renormalized).
pub fn attend_head(
    probs: ArrayView2<f32>,
    v: ArrayView2<f32>,
    cb: &Codebook,
    renormalize: bool,
) -> Result<HeadResult, ModelError> {
    if probs.ncols() != v.nrows() {
        return Err(ModelError::Shape(format!(
            "P has {} keys per row but V has {} rows",
            probs.ncols(),
            v.nrows()
        )));
    }
    let codes = quantize_probs(probs, cb)?;
    let qv = quantize_v(v)?;
    let weights = cb.weights();
    let acc = accumulate(codes.view(), qv.vq.view(), &weights.w);
    let out = if renormalize {
        dequantize_renormalized(&acc, &qv.scales)
    } else {
        dequantize(&acc, &qv.scales, weights.scale)
    };
    Ok(HeadResult {
        codes,
        v: qv,
        weights,
        acc,
        out,
    })
}

/// Frobenius relative error `||a - b|| / ||b||` in f64 (0 when both are zero).
pub fn rel_err(a: ArrayView2<f32>, b: ArrayView2<f32>) -> f64 {
    let (mut num, mut den) = (0f64, 0f64);
    for (&x, &y) in a.iter().zip(b.iter()) {
        num += (x as f64 - y as f64).powi(2);
        den += (y as f64).powi(2);
    }
    rel_err_of_sums(num, den)
}

/// `sqrt(num / den)` for sums of squares `num = ||a - b||^2`, `den = ||b||^2`: 0 for 0 / 0,
/// infinite for x / 0.
pub fn rel_err_of_sums(num: f64, den: f64) -> f64 {
    if den == 0.0 {
        if num == 0.0 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        (num / den).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn quantize_v_per_column() {
        let v = array![[1.0f32, 0.0, -2.0], [-0.5, 0.0, 1.0]];
        let q = quantize_v(v.view()).unwrap();
        assert_eq!(q.vq, array![[127i8, 0, -127], [-64, 0, 64]]); // -63.5 and 63.5 round away from 0
        assert_eq!(q.scales[1], 1.0);
        assert_eq!(q.scales[0], 1.0 / 127.0);
        assert!(quantize_v(array![[f32::NAN]].view()).is_err());
    }

    #[test]
    fn accumulate_small() {
        let codes = array![[0u8, 1, 2], [0, 0, 0]];
        let vq = array![[1i8, 2], [3, 4], [-5, 127]];
        let w = [0u32, 10, 100, 0, 0, 0, 0, 0];
        let r = accumulate(codes.view(), vq.view(), &w);
        assert_eq!(r.acc, array![[30 - 500, 40 + 12700], [0, 0]]);
        assert_eq!(r.rsum, array![110u64, 0]);
        let out = dequantize_renormalized(&r, &array![1.0, 1.0]);
        assert_eq!(out.row(1).to_vec(), vec![0.0, 0.0]);
    }

    #[test]
    fn attend_head_rejects_bad_input() {
        let cb = Codebook::log(3, 1e-3).unwrap();
        let p = array![[0.5f32, 0.5]];
        let e = attend_head(p.view(), Array2::zeros((3, 4)).view(), &cb, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "shape mismatch: P has 2 keys per row but V has 3 rows"
        );
        let p = array![[0.5f32, f32::INFINITY]];
        assert!(attend_head(p.view(), Array2::zeros((2, 4)).view(), &cb, false).is_err());
    }
}
