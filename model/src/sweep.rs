//! The accuracy sweep behind two figures of the results page: output error and code agreement
//! against code width (bits) and pruning threshold, for the log, linear, boolean and octave
//! quantizers, measured on real attention (Q, K, V and the model's own probabilities P).
//!
//! For every point of the sweep, over every head:
//!
//! - **kept**: the fraction of probabilities whose dequantized value is non-zero.
//! - **output error**: `sqrt(sum_heads ||P~ V - P V||_F^2 / sum_heads ||P V||_F^2)`, `P~` the
//!   method's dequantized probabilities ([`Method::apply_row`]), `P` the given probabilities, V
//!   in float; all in f64. This is the method's own error (the "float-quantized vs float"
//!   column of `docs/numerics.md` §6.1), not that of int8 V or of the fixed-point front end.
//! - **code agreement** (log and octave only, the codebooks the hardware runs): the fraction of
//!   codes the bit-exact fixed-point front end ([`crate::frontend::front_end`], from Q and K)
//!   makes equal to the float quantizer's codes of the float softmax of Q and K
//!   ([`crate::frontend::codes_float`]), pooled over all heads: what `sim/src/qkv.rs` reports
//!   as "agree". The model's front end takes every codebook (k in `1..=4`); the RTL front end
//!   (`hdl/src/front_end.rs`) is built for k = 3 only, so at other k this is the agreement the
//!   bit-exact model would have.

use crate::analysis::Method;
use crate::codebook::{check_prob, Codebook};
use crate::contract::rel_err_of_sums as ratio;
use crate::frontend::{check_finite, front_end, log2_probs_float, FrontEndParams, Tables};
use crate::ModelError;
use ndarray::{Array3, ArrayView2, ArrayViewD, Axis};
use serde::Serialize;
use std::path::Path;

/// Code widths of the results page's sweep (the codebook takes `1..=4`,
/// [`crate::codebook::MAX_CODE_BITS`]).
pub const SWEEP_BITS: [u32; 3] = [2, 3, 4];

/// Pruning thresholds of the results page's sweep (a 1-3 series from 1e-5 to 1e-1).
pub const SWEEP_THRESHOLDS: [f64; 9] = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1];

/// N_MAX of the front end when the heads have at most this many keys (`sim/src/qkv.rs` builds
/// its D = 32 and 64 heads with 512). N_MAX sets widths only, never a code.
pub const SWEEP_N_MAX: usize = 512;

/// One point of the sweep.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SweepPoint {
    /// The quantizer's family: `"log"`, `"linear"`, `"boolean"` or `"octave"`
    /// ([`SweepPoint::quantizer`] gives the full [`Method`], whose [`Method::name`] also holds
    /// the parameters).
    pub method: String,
    /// Code width k (1 for boolean, whose output does not depend on it).
    pub bits: u32,
    /// Pruning threshold t: the swept one, or for octave its implied `2^-(2^k - 1)`.
    pub threshold: f64,
    /// Fraction of probabilities left non-zero, over all heads.
    pub kept: f64,
    /// Relative Frobenius error of `P~ V` against `P V` (P the given probabilities, V in f64),
    /// pooled over all heads: `sqrt(sum ||P~ V - P V||^2 / sum ||P V||^2)`.
    pub output_error: f64,
    /// Log and octave: fraction of codes (over all heads) the bit-exact front end makes from Q
    /// and K equal to the float quantizer's codes of the f64 softmax of Q and K. `None` for
    /// linear and boolean (no hardware path), and where the front end cannot make the codebook
    /// (see [`front_end_params`] and [`front_end_tables`]).
    pub code_agreement: Option<f64>,
}

impl SweepPoint {
    /// The [`Method`] this point measured.
    pub fn quantizer(&self) -> Method {
        let (bits, threshold) = (self.bits, self.threshold);
        match self.method.as_str() {
            "log" => Method::Log { bits, threshold },
            "linear" => Method::Linear { bits, threshold },
            "octave" => Method::Octave { bits },
            "log-noprune" => Method::LogNoPrune { bits, threshold },
            _ => Method::Boolean { threshold },
        }
    }
}

/// Family name of a method: `"log"`, `"octave"`, `"log-noprune"`, `"linear"` or `"boolean"`.
pub fn family(m: &Method) -> &'static str {
    match m {
        Method::Log { .. } => "log",
        Method::Octave { .. } => "octave",
        Method::LogNoPrune { .. } => "log-noprune",
        Method::Linear { .. } => "linear",
        Method::Boolean { .. } => "boolean",
    }
}

/// The front end's parameters for heads of dimension `d` with `n` keys: the defaults (int8
/// Q/K, F = 10, 64-entry exp2 and 256-entry log2 tables, as in `sim/src/qkv.rs`) with this `d`
/// and `N_MAX = max(n, 512)`; `None` where the front end does not go (`d > 256`,
/// `n > 65536`, or either 0).
pub fn front_end_params(d: usize, n: usize) -> Option<FrontEndParams> {
    let p = FrontEndParams::default();
    FrontEndParams::new(
        d,
        n.max(SWEEP_N_MAX),
        p.bits_qk,
        p.scale_bits,
        p.frac_bits,
        p.exp_table_bits,
        p.log_table_bits,
    )
    .ok()
    .filter(|_| n > 0)
}

/// The front end's tables for `cb`, or `None` if its fixed point cannot make the codebook: two
/// integer edges `ceil(2^F log2 e_m)` coincide, so a code could never be produced (at F = 10
/// only for thresholds within about 1% of 1).
pub fn front_end_tables(p: &FrontEndParams, cb: &Codebook) -> Option<Tables> {
    let t = Tables::new(p, cb);
    t.edge.windows(2).all(|w| w[0] < w[1]).then_some(t)
}

/// One point to measure.
struct Plan {
    method: Method,
    /// Levels by code for log and octave (the quantization done without [`Method::apply_row`]'s
    /// per-row codebook), `None` for the others.
    codebook: Option<(Codebook, Vec<f64>)>,
    /// Front-end tables, for the points with a code agreement.
    tables: Option<Tables>,
}

impl Plan {
    fn new(method: Method, fe: Option<&FrontEndParams>) -> Result<Self, ModelError> {
        method.validate()?;
        let cb = match method {
            Method::Log { bits, threshold } => Some(Codebook::log(bits, threshold)?),
            Method::Octave { bits } => Some(Codebook::octave(bits)?),
            _ => None,
        };
        let tables = match (&cb, fe) {
            (Some(cb), Some(p)) => front_end_tables(p, cb),
            _ => None,
        };
        Ok(Self {
            method,
            codebook: cb.map(|cb| {
                let lv = cb.levels();
                (cb, lv)
            }),
            tables,
        })
    }

    /// Quantizes then dequantizes one row into `out` (the same values as
    /// [`Method::apply_row`]).
    #[inline]
    fn apply_row(&self, row: &[f32], out: &mut Vec<f64>) {
        match &self.codebook {
            Some((cb, lv)) => {
                out.clear();
                out.extend(row.iter().map(|&a| lv[cb.code(a) as usize]));
            }
            None => self.method.apply_row(row, out),
        }
    }

    fn point(&self, acc: &Acc, den: f64, values: usize) -> SweepPoint {
        let (bits, threshold) = match self.method {
            Method::Log { bits, threshold }
            | Method::LogNoPrune { bits, threshold }
            | Method::Linear { bits, threshold } => (bits, threshold),
            Method::Octave { .. } => {
                let (cb, _) = self.codebook.as_ref().expect("octave has a codebook");
                (cb.bits(), cb.threshold())
            }
            Method::Boolean { threshold } => (1, threshold),
        };
        let frac = |x: u64| x as f64 / values.max(1) as f64;
        SweepPoint {
            method: family(&self.method).into(),
            bits,
            threshold,
            kept: frac(acc.nnz),
            output_error: ratio(acc.err, den),
            code_agreement: self.tables.as_ref().map(|_| frac(acc.agree)),
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Acc {
    err: f64,
    nnz: u64,
    agree: u64,
}

/// Checks the shapes: Q `[..., rows, d]`, K `[..., n, d]`, V `[..., n, d_v]`, P
/// `[..., rows, n]`, one rank >= 2, the same leading (head) axes, no empty axis. Returns
/// `(heads, rows, n, d, d_v)`; the error names all four shapes.
fn check_shapes(
    q: &[usize],
    k: &[usize],
    v: &[usize],
    p: &[usize],
) -> Result<(usize, usize, usize, usize, usize), ModelError> {
    let bad = |why: String| {
        Err(ModelError::Shape(format!(
            "Q {q:?}, K {k:?}, V {v:?} and P {p:?}: {why}"
        )))
    };
    let r = q.len();
    if r < 2 || k.len() != r || v.len() != r || p.len() != r {
        return bad(
            "expected Q [..., rows, d], K [..., n, d], V [..., n, d_v] and P [..., rows, n] of one rank >= 2"
                .into(),
        );
    }
    let lead = &q[..r - 2];
    if k[..r - 2] != *lead || v[..r - 2] != *lead || p[..r - 2] != *lead {
        return bad("Q, K, V and P must share their leading (head) axes".into());
    }
    let (rows, d, n, dv) = (q[r - 2], q[r - 1], k[r - 2], v[r - 1]);
    if k[r - 1] != d {
        return bad(format!("Q has d = {d} but K has d = {}", k[r - 1]));
    }
    if v[r - 2] != n {
        return bad(format!("K has n = {n} keys but V has {} rows", v[r - 2]));
    }
    if p[r - 2] != rows || p[r - 1] != n {
        return bad(format!(
            "P must be [..., rows, n] = [..., {rows}, {n}] (rows of Q, keys of K)"
        ));
    }
    if q.contains(&0) || k.contains(&0) || v.contains(&0) {
        return bad("an axis is empty".into());
    }
    Ok((lead.iter().product(), rows, n, d, dv))
}

/// `[..., a, b]` as an owned standard-layout `[heads, a, b]`.
fn heads3(x: &ArrayViewD<f32>, heads: usize) -> Result<Array3<f32>, ModelError> {
    let s = x.shape();
    let r = s.len();
    let c = x
        .to_shape((heads, s[r - 2], s[r - 1]))
        .map_err(|e| ModelError::Shape(e.to_string()))?;
    Ok(c.as_standard_layout().into_owned())
}

/// The points the sweep measures, in the order it reports them: log (each bits, each
/// threshold), linear (same), boolean (each threshold; bits play no part), octave (each bits;
/// no free threshold).
pub fn sweep_methods(bits: &[u32], thresholds: &[f64]) -> Vec<Method> {
    let pairs = || {
        bits.iter()
            .flat_map(|&b| thresholds.iter().map(move |&t| (b, t)))
    };
    let mut m: Vec<Method> = pairs()
        .map(|(bits, threshold)| Method::Log { bits, threshold })
        .collect();
    m.extend(pairs().map(|(bits, threshold)| Method::Linear { bits, threshold }));
    m.extend(
        thresholds
            .iter()
            .map(|&threshold| Method::Boolean { threshold }),
    );
    m.extend(bits.iter().map(|&bits| Method::Octave { bits }));
    m
}

/// The sweep over `bits` x `thresholds` for the log, linear, boolean and octave quantizers
/// (points in the order of [`sweep_methods`]).
///
/// `q [..., rows, d]`, `k [..., n, d]`, `v [..., n, d_v]`, `probs [..., rows, n]` with the same
/// leading axes (the fixture's `[layer, head, ...]`); `probs` are the probabilities the output
/// error quantizes, Q and K what the front end (and its float reference) starts from.
///
/// Errors, before any work: shapes that do not fit (the message names all four), an empty axis,
/// bits outside `1..=4`, a threshold outside `(0, 1)`, a non-finite Q, K or V, a probability
/// that is not finite or outside `[0, 1]`.
pub fn sweep(
    q: ArrayViewD<f32>,
    k: ArrayViewD<f32>,
    v: ArrayViewD<f32>,
    probs: ArrayViewD<f32>,
    bits: &[u32],
    thresholds: &[f64],
) -> Result<Vec<SweepPoint>, ModelError> {
    let (heads, rows, n, d, dv) = check_shapes(q.shape(), k.shape(), v.shape(), probs.shape())?;
    let fe = front_end_params(d, n);
    let plans = sweep_methods(bits, thresholds)
        .into_iter()
        .map(|m| Plan::new(m, fe.as_ref()))
        .collect::<Result<Vec<_>, _>>()?;
    check_finite(q.iter().chain(k.iter()).chain(v.iter()))?;
    for &p in probs.iter() {
        check_prob(p)?;
    }
    let (q3, k3, v3, p3) = (
        heads3(&q, heads)?,
        heads3(&k, heads)?,
        heads3(&v, heads)?,
        heads3(&probs, heads)?,
    );
    // y does not depend on the codebook (only the edge constants do): one front-end run per
    // head serves every point.
    let fe_cb = Codebook::octave(crate::HW_CODE_BITS)?;
    let need_fe = plans.iter().any(|p| p.tables.is_some());

    let mut accs = vec![Acc::default(); plans.len()];
    let mut den = 0f64;
    let mut vf = vec![0f64; n * dv];
    let mut of = vec![0f64; rows * dv];
    let mut orow = vec![0f64; dv];
    let mut buf: Vec<f64> = Vec::with_capacity(n);
    let mut pf: Vec<f32> = Vec::with_capacity(rows * n);
    for h in 0..heads {
        let ph = p3.index_axis(Axis(0), h);
        let ph = ph.as_slice().expect("standard layout");
        for (o, &x) in vf.iter_mut().zip(v3.index_axis(Axis(0), h).iter()) {
            *o = x as f64;
        }
        // Float output P V.
        of.fill(0.0);
        for (prow, orow) in ph.chunks_exact(n).zip(of.chunks_exact_mut(dv)) {
            axpy_row(prow.iter().map(|&a| a as f64), &vf, dv, orow);
        }
        den += of.iter().map(|x| x * x).sum::<f64>();
        // Front end and its float reference, once per head.
        let ys = if need_fe {
            let p = fe.as_ref().expect("tables imply front-end parameters");
            let (qh, kh) = (q3.index_axis(Axis(0), h), k3.index_axis(Axis(0), h));
            let tr = front_end(p, &fe_cb, qh, kh, n)?;
            pf.clear();
            pf.extend(
                log2_probs_float(qh, kh, n)?
                    .iter()
                    .map(|&y| y.exp2() as f32),
            );
            Some(tr.ints.y)
        } else {
            None
        };
        for (plan, acc) in plans.iter().zip(accs.iter_mut()) {
            for (prow, ofrow) in ph.chunks_exact(n).zip(of.chunks_exact(dv)) {
                plan.apply_row(prow, &mut buf);
                orow.fill(0.0);
                acc.nnz += axpy_row(buf.iter().copied(), &vf, dv, &mut orow) as u64;
                acc.err += orow
                    .iter()
                    .zip(ofrow)
                    .map(|(a, b)| (a - b) * (a - b))
                    .sum::<f64>();
            }
            if let (Some(t), Some(y), Some((cb, _))) = (&plan.tables, &ys, &plan.codebook) {
                acc.agree += agree_count(t, cb, y.view(), &pf);
            }
        }
    }
    let values = heads * rows * n;
    Ok(plans
        .iter()
        .zip(&accs)
        .map(|(p, a)| p.point(a, den, values))
        .collect())
}

/// `out += sum_j w_j v[j]` over the non-zero weights (`v` row-major `[n, dv]`); returns how many
/// weights were non-zero.
#[inline]
fn axpy_row(w: impl Iterator<Item = f64>, v: &[f64], dv: usize, out: &mut [f64]) -> usize {
    let mut nnz = 0;
    for (wj, vj) in w.zip(v.chunks_exact(dv)) {
        if wj != 0.0 {
            nnz += 1;
            for (o, &x) in out.iter_mut().zip(vj) {
                *o += wj * x;
            }
        }
    }
    nnz
}

/// How many front-end codes `t.code(y)` equal the float codes `cb.code(pf)` (`pf` the f64
/// softmax rounded to f32, as [`crate::frontend::codes_float`] has it).
fn agree_count(t: &Tables, cb: &Codebook, y: ArrayView2<i64>, pf: &[f32]) -> u64 {
    y.iter()
        .zip(pf)
        .filter(|(&y, &a)| t.code(y) == cb.code(a))
        .count() as u64
}

/// [`sweep`] on a directory holding `q.npy`, `k.npy`, `v.npy` and `probs.npy` (float32, e.g.
/// `tests/fixtures/minilm/`); errors name the file.
pub fn sweep_dir(
    dir: &Path,
    bits: &[u32],
    thresholds: &[f64],
) -> Result<Vec<SweepPoint>, ModelError> {
    let read = |name: &str| crate::npy::read_finite_f32(&dir.join(name));
    let (q, k, v) = (read("q.npy")?, read("k.npy")?, read("v.npy")?);
    let probs = crate::npy::read_probs(&dir.join("probs.npy"))?;
    sweep(q.view(), k.view(), v.view(), probs.view(), bits, thresholds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::codes_fixed;
    use ndarray::{Array2, Array3};

    /// A deterministic pseudo-random stream in [-1, 1).
    fn lcg(seed: &mut u64) -> f32 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((*seed >> 40) as f64 / (1u64 << 23) as f64 - 1.0) as f32
    }

    #[test]
    fn sweep_quantizer_equals_apply_row() {
        let mut s = 7u64;
        let mut row: Vec<f32> = (0..200).map(|_| (lcg(&mut s).abs()).powi(6)).collect();
        row.extend([0.0, 1.0, 1e-3, 2f32.powi(-7), 2f32.powi(-6)]);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for m in sweep_methods(&[1, 2, 3, 4], &[1e-5, 1e-3, 0.1, 0.5]) {
            let plan = Plan::new(m.clone(), None).unwrap();
            plan.apply_row(&row, &mut a);
            m.apply_row(&row, &mut b);
            assert_eq!(a, b, "{}", m.name());
        }
    }

    #[test]
    fn sweep_front_end_shortcut_equals_front_end_codes() {
        let mut s = 11u64;
        let (rows, n, d) = (6, 20, 8);
        let q = Array2::from_shape_fn((rows, d), |_| 3.0 * lcg(&mut s));
        let k = Array2::from_shape_fn((n, d), |_| 3.0 * lcg(&mut s));
        let p = front_end_params(d, n).unwrap();
        let y = front_end(&p, &Codebook::octave(3).unwrap(), q.view(), k.view(), n)
            .unwrap()
            .ints
            .y;
        for cb in [
            Codebook::log(2, 1e-4).unwrap(),
            Codebook::log(3, 1e-3).unwrap(),
            Codebook::log(4, 0.1).unwrap(),
            Codebook::octave(4).unwrap(),
        ] {
            let t = front_end_tables(&p, &cb).unwrap();
            let want = codes_fixed(&p, &cb, q.view(), k.view(), n).unwrap();
            assert_eq!(y.mapv(|y| t.code(y)), want, "{}", cb.describe());
        }
    }

    #[test]
    fn sweep_front_end_limits() {
        assert!(front_end_params(32, 128).is_some());
        assert!(front_end_params(257, 128).is_none());
        assert!(front_end_params(32, (1 << 16) + 1).is_none());
        let p = front_end_params(32, 128).unwrap();
        // q = -log2(t) / 15 below one LSB of 2^-10: edges collide.
        assert!(front_end_tables(&p, &Codebook::log(4, 0.9995).unwrap()).is_none());
        assert!(front_end_tables(&p, &Codebook::log(4, 0.9).unwrap()).is_some());
    }

    #[test]
    fn sweep_point_round_trips_its_method() {
        let z = Array3::<f32>::zeros((1, 2, 2));
        let p = Array3::<f32>::from_elem((1, 2, 2), 0.5);
        let pts = sweep(
            z.view().into_dyn(),
            z.view().into_dyn(),
            z.view().into_dyn(),
            p.view().into_dyn(),
            &[3],
            &[1e-3],
        )
        .unwrap();
        let methods = sweep_methods(&[3], &[1e-3]);
        assert_eq!(pts.len(), methods.len());
        for (pt, m) in pts.iter().zip(&methods) {
            assert_eq!(&pt.quantizer(), m);
            // V = 0: no output, no error.
            assert_eq!(pt.output_error, 0.0);
        }
    }
}
