//! Attention backends: what computes `softmax(q k^T / sqrt(d)) v` for every head of a layer.
//!
//! - [`Float`]: the reference, plain float softmax attention (`model::frontend::attention_float`).
//! - [`Quantized`]: the paper's method in float: the float softmax, pruned and log-quantized by
//!   the float codebook (`model::frontend::codes_float`, `Codebook::level`), float V.
//! - [`ModelPath`]: the bit-exact integer path of the hardware, as `model` defines it: int8 Q and
//!   K and the fixed-point front end (`model::frontend::front_end`), int8 V per lane
//!   (`model::quantize_v`), exact accumulation (`model::accumulate`), dequantization. The same
//!   integers and cycles a board built as its [`DeviceConfig`] returns.
//!
//! The board backend (every head through the board driver) lives in `host`.

use anyhow::{anyhow, bail, Result};
use model::frontend::{attention_float, codes_float, front_end};
use model::link::DeviceConfig;
use model::{accumulate, dequantize, dequantize_renormalized, quantize_v, Codebook};
use ndarray::{Array2, ArrayView2, ArrayView3, Axis};

/// One head's result.
#[derive(Clone, Debug)]
pub struct HeadOut {
    /// The attention output `[n, d]`.
    pub out: Array2<f32>,
    /// The codes the head used, `[n, n]` (quantizing backends that know them).
    pub codes: Option<Array2<u8>>,
    /// Compute cycles (from the board's response, or `model::timing`).
    pub cycles: Option<u32>,
}

/// A backend computing every head of a layer.
pub trait Attention {
    /// Its name in reports: float, quantized, model, board.
    fn name(&self) -> &'static str;
    /// Every head of layer `layer`: Q, K, V `[heads, n, d]`; one [`HeadOut`] a head, in order.
    fn layer(
        &mut self,
        layer: usize,
        q: ArrayView3<f32>,
        k: ArrayView3<f32>,
        v: ArrayView3<f32>,
    ) -> Result<Vec<HeadOut>>;
}

fn heads<'a>(
    q: &'a ArrayView3<f32>,
    k: &'a ArrayView3<f32>,
    v: &'a ArrayView3<f32>,
) -> impl Iterator<
    Item = (
        ArrayView2<'a, f32>,
        ArrayView2<'a, f32>,
        ArrayView2<'a, f32>,
    ),
> {
    q.axis_iter(Axis(0))
        .zip(k.axis_iter(Axis(0)))
        .zip(v.axis_iter(Axis(0)))
        .map(|((q, k), v)| (q, k, v))
}

/// Plain float softmax attention (f64 inside).
pub struct Float;

impl Attention for Float {
    fn name(&self) -> &'static str {
        "float"
    }
    fn layer(
        &mut self,
        _: usize,
        q: ArrayView3<f32>,
        k: ArrayView3<f32>,
        v: ArrayView3<f32>,
    ) -> Result<Vec<HeadOut>> {
        heads(&q, &k, &v)
            .map(|(q, k, v)| {
                Ok(HeadOut {
                    out: attention_float(q, k, v, k.nrows())?,
                    codes: None,
                    cycles: None,
                })
            })
            .collect()
    }
}

/// `sum_j w_ij v_j` in f64, each row divided by `sum_j w_ij` when `renormalize` (a row of
/// zeros stays zero).
pub fn weighted(w: &Array2<f64>, v: ArrayView2<f32>, renormalize: bool) -> Array2<f32> {
    let mut out = w.dot(&v.mapv(|x| x as f64));
    if renormalize {
        for (mut o, wr) in out.rows_mut().into_iter().zip(w.rows()) {
            let s: f64 = wr.sum();
            if s > 0.0 {
                o /= s;
            }
        }
    }
    out.mapv(|x| x as f32)
}

/// The float pruned log quantizer: `level(code(softmax))` weights on float V.
pub struct Quantized {
    pub cb: Codebook,
    pub renormalize: bool,
}

impl Attention for Quantized {
    fn name(&self) -> &'static str {
        "quantized"
    }
    fn layer(
        &mut self,
        _: usize,
        q: ArrayView3<f32>,
        k: ArrayView3<f32>,
        v: ArrayView3<f32>,
    ) -> Result<Vec<HeadOut>> {
        heads(&q, &k, &v)
            .map(|(q, k, v)| {
                let codes = codes_float(&self.cb, q, k, k.nrows())?;
                let w = codes.mapv(|c| self.cb.level(c));
                Ok(HeadOut {
                    out: weighted(&w, v, self.renormalize),
                    codes: Some(codes),
                    cycles: None,
                })
            })
            .collect()
    }
}

/// The bit-exact integer path of a board built as `cfg` (a whole-head design: its front end's
/// parameters and codebook), computed by `model`.
pub struct ModelPath {
    pub cfg: DeviceConfig,
    pub renormalize: bool,
}

impl ModelPath {
    /// The integer path of a board built as `cfg`; fails unless it has a front end.
    pub fn new(cfg: DeviceConfig, renormalize: bool) -> Result<Self> {
        if cfg.front_end().is_none() {
            bail!("the model path needs a whole-head design (a front end): this one takes codes");
        }
        Ok(Self { cfg, renormalize })
    }

    /// One head: the exact integers and the dequantized output.
    pub fn head(
        &self,
        q: ArrayView2<f32>,
        k: ArrayView2<f32>,
        v: ArrayView2<f32>,
    ) -> Result<HeadOut> {
        let (fe, cb) = self.cfg.front_end().expect("checked in new");
        let c = &self.cfg.core;
        let n = k.nrows();
        if q.ncols() != c.d || n > c.n_max || q.nrows() > c.n_max {
            bail!(
                "a head of {} rows, {n} keys and d = {} does not fit the design (D = {}, N_MAX = {})",
                q.nrows(),
                q.ncols(),
                c.d,
                c.n_max
            );
        }
        let t = front_end(fe, cb, q, k, n)?;
        let qv = quantize_v(v)?;
        let w = cb.weights();
        let acc = accumulate(t.codes.view(), qv.vq.view(), &w.w);
        let out = if self.renormalize {
            dequantize_renormalized(&acc, &qv.scales)
        } else {
            dequantize(&acc, &qv.scales, w.scale)
        };
        let cycles = model::timing::head_compute_cycles(
            c,
            fe.keys_per_cycle,
            self.cfg.variant,
            t.codes.view(),
        );
        Ok(HeadOut {
            out,
            cycles: Some(u32::try_from(cycles).map_err(|_| anyhow!("cycle count overflow"))?),
            codes: Some(t.ints.codes),
        })
    }
}

impl Attention for ModelPath {
    fn name(&self) -> &'static str {
        "model"
    }
    fn layer(
        &mut self,
        _: usize,
        q: ArrayView3<f32>,
        k: ArrayView3<f32>,
        v: ArrayView3<f32>,
    ) -> Result<Vec<HeadOut>> {
        heads(&q, &k, &v)
            .map(|(q, k, v)| self.head(q, k, v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::frontend::attention_float_quantized;
    use ndarray::Array3;

    fn qkv(n: usize, d: usize, seed: u32) -> Array3<f32> {
        // A deterministic pseudo-random head (no rand dependency).
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
        Array3::from_shape_simple_fn((3, n, d), || {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32 - 0.5) * 6.0
        })
    }

    #[test]
    fn quantized_is_models_float_quantized_output() {
        let cb = Codebook::log(3, 1e-3).unwrap();
        let x = qkv(20, 8, 3);
        let (q, k, v) = (
            x.slice(ndarray::s![0..1, .., ..]),
            x.slice(ndarray::s![1..2, .., ..]),
            x.slice(ndarray::s![2..3, .., ..]),
        );
        let got = Quantized {
            cb: cb.clone(),
            renormalize: false,
        }
        .layer(0, q, k, v)
        .unwrap();
        let want = attention_float_quantized(
            &cb,
            q.index_axis(Axis(0), 0),
            k.index_axis(Axis(0), 0),
            v.index_axis(Axis(0), 0),
            20,
        )
        .unwrap();
        let diff = (&got[0].out - &want)
            .mapv(f32::abs)
            .fold(0f32, |a, &b| a.max(b));
        assert!(diff < 1e-5, "max |diff| {diff}");
    }

    #[test]
    fn renormalized_rows_have_unit_weight() {
        let w = ndarray::array![[0.2f64, 0.2, 0.0], [0.0, 0.0, 0.0]];
        let v = ndarray::array![[1.0f32], [3.0], [100.0]];
        let o = weighted(&w, v.view(), true);
        assert_eq!(o, ndarray::array![[2.0f32], [0.0]]);
        let o = weighted(&w, v.view(), false);
        assert!((o[[0, 0]] - 0.8).abs() < 1e-6);
    }
}
