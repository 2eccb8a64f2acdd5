//! The BERT encoder's forward pass in candle (embeddings, layers, pooling), with the scaled
//! dot-product attention of every layer handed to an [`Attention`] backend, head by head.
//!
//! One passage at a time, at its own length: no padding, so no attention mask and nothing a
//! padded position could change.

use crate::backend::{Attention, HeadOut};
use crate::config::{ModelDir, Pooling};
use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear};
use ndarray::{Array1, Array3, ArrayView3};
use std::collections::HashMap;

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attn_out: Linear,
    attn_norm: LayerNorm,
    inter: Linear,
    out: Linear,
    out_norm: LayerNorm,
}

/// A loaded BERT encoder.
pub struct Bert {
    pub dir: ModelDir,
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    emb_norm: LayerNorm,
    layers: Vec<Layer>,
    dev: Device,
}

/// The inputs of one layer's attention and what the backend made of them.
pub struct LayerIo<'a> {
    pub layer: usize,
    /// Q, K, V `[heads, n, d]` as the backend received them.
    pub q: ArrayView3<'a, f32>,
    pub k: ArrayView3<'a, f32>,
    pub v: ArrayView3<'a, f32>,
    /// One per head.
    pub heads: &'a [HeadOut],
}

struct Weights {
    map: HashMap<String, Tensor>,
    prefix: &'static str,
    path: String,
}

impl Weights {
    fn get(&self, name: &str, shape: &[usize]) -> Result<Tensor> {
        let key = format!("{}{name}", self.prefix);
        let t = self
            .map
            .get(&key)
            .with_context(|| format!("{}: no tensor {key}", self.path))?;
        if t.dims() != shape {
            bail!(
                "{}: {key} has shape {:?}, config.json implies {shape:?}",
                self.path,
                t.dims()
            );
        }
        Ok(t.to_dtype(DType::F32)?)
    }

    fn linear(&self, name: &str, out: usize, inp: usize) -> Result<Linear> {
        Ok(Linear::new(
            self.get(&format!("{name}.weight"), &[out, inp])?,
            Some(self.get(&format!("{name}.bias"), &[out])?),
        ))
    }

    fn norm(&self, name: &str, h: usize, eps: f64) -> Result<LayerNorm> {
        Ok(LayerNorm::new(
            self.get(&format!("{name}.weight"), &[h])?,
            self.get(&format!("{name}.bias"), &[h])?,
            eps,
        ))
    }
}

impl Bert {
    /// Loads the weights of a checked model folder (`model.safetensors`; tensor names with or
    /// without a `bert.` prefix).
    pub fn load(dir: &ModelDir) -> Result<Self> {
        let dev = Device::Cpu;
        let path = dir.weights.display().to_string();
        let map = candle_core::safetensors::load(&dir.weights, &dev)
            .with_context(|| format!("{path}: not a readable safetensors file"))?;
        let prefix = if map.contains_key("bert.embeddings.word_embeddings.weight") {
            "bert."
        } else {
            ""
        };
        let w = Weights { map, prefix, path };
        let c = &dir.config;
        let (h, eps) = (c.hidden_size, c.layer_norm_eps);
        let emb = |name: &str, rows: usize| -> Result<Embedding> {
            Ok(Embedding::new(
                w.get(&format!("embeddings.{name}.weight"), &[rows, h])?,
                h,
            ))
        };
        let mut layers = Vec::new();
        for l in 0..c.num_hidden_layers {
            let p = format!("encoder.layer.{l}");
            layers.push(Layer {
                query: w.linear(&format!("{p}.attention.self.query"), h, h)?,
                key: w.linear(&format!("{p}.attention.self.key"), h, h)?,
                value: w.linear(&format!("{p}.attention.self.value"), h, h)?,
                attn_out: w.linear(&format!("{p}.attention.output.dense"), h, h)?,
                attn_norm: w.norm(&format!("{p}.attention.output.LayerNorm"), h, eps)?,
                inter: w.linear(&format!("{p}.intermediate.dense"), c.intermediate_size, h)?,
                out: w.linear(&format!("{p}.output.dense"), h, c.intermediate_size)?,
                out_norm: w.norm(&format!("{p}.output.LayerNorm"), h, eps)?,
            });
        }
        Ok(Self {
            word: emb("word_embeddings", c.vocab_size)?,
            position: emb("position_embeddings", c.max_position_embeddings)?,
            token_type: emb("token_type_embeddings", c.type_vocab_size)?,
            emb_norm: w.norm("embeddings.LayerNorm", h, eps)?,
            layers,
            dir: dir.clone(),
            dev,
        })
    }

    /// `[n, hidden]` to `[heads, n, d]` as an ndarray.
    fn split_heads(&self, x: &Tensor) -> Result<Array3<f32>> {
        let c = &self.dir.config;
        let n = x.dim(0)?;
        let t = x
            .reshape((n, c.num_attention_heads, c.head_dim()))?
            .transpose(0, 1)?
            .contiguous()?;
        let v: Vec<f32> = t.flatten_all()?.to_vec1()?;
        Ok(Array3::from_shape_vec(
            (c.num_attention_heads, n, c.head_dim()),
            v,
        )?)
    }

    /// The sentence embedding of one passage (token ids and type ids), every layer's attention
    /// computed by `att`; `probe` sees each layer's attention inputs and outputs.
    pub fn embed(
        &self,
        ids: &[u32],
        type_ids: &[u32],
        att: &mut dyn Attention,
        probe: &mut dyn FnMut(&LayerIo) -> Result<()>,
    ) -> Result<Array1<f32>> {
        let c = &self.dir.config;
        let n = ids.len();
        if n == 0 || n > c.max_position_embeddings {
            bail!(
                "{n} tokens: the model takes 1..={}",
                c.max_position_embeddings
            );
        }
        if let Some(&bad) = ids.iter().find(|&&i| i as usize >= c.vocab_size) {
            bail!(
                "token id {bad} is outside the vocabulary of {}",
                c.vocab_size
            );
        }
        let ids_t = Tensor::new(ids, &self.dev)?;
        let types = Tensor::new(type_ids, &self.dev)?;
        let pos = Tensor::arange(0u32, n as u32, &self.dev)?;
        let mut x = (self.word.forward(&ids_t)?
            + self.position.forward(&pos)?
            + self.token_type.forward(&types)?)?;
        x = self.emb_norm.forward(&x)?;
        let (heads, d) = (c.num_attention_heads, c.head_dim());
        for (l, layer) in self.layers.iter().enumerate() {
            let q = self.split_heads(&layer.query.forward(&x)?)?;
            let k = self.split_heads(&layer.key.forward(&x)?)?;
            let v = self.split_heads(&layer.value.forward(&x)?)?;
            let outs = att
                .layer(l, q.view(), k.view(), v.view())
                .with_context(|| format!("layer {l}"))?;
            if outs.len() != heads || outs.iter().any(|o| o.out.dim() != (n, d)) {
                bail!(
                    "layer {l}: the {} backend returned a wrong shape",
                    att.name()
                );
            }
            probe(&LayerIo {
                layer: l,
                q: q.view(),
                k: k.view(),
                v: v.view(),
                heads: &outs,
            })?;
            // [heads, n, d] -> [n, heads * d], head h in columns h*d .. (h+1)*d.
            let mut ctx: Vec<f32> = Vec::with_capacity(n * heads * d);
            for i in 0..n {
                for o in &outs {
                    ctx.extend(o.out.row(i).iter());
                }
            }
            let ctx = Tensor::from_vec(ctx, (n, heads * d), &self.dev)?;
            let a = layer
                .attn_norm
                .forward(&(layer.attn_out.forward(&ctx)? + &x)?)?;
            let inter = layer.inter.forward(&a)?.gelu_erf()?;
            x = layer.out_norm.forward(&(layer.out.forward(&inter)? + a)?)?;
        }
        let pooled = match self.dir.pooling {
            Pooling::Mean => x.mean(0)?,
            Pooling::Cls => x.get(0)?,
            Pooling::Max => x.max(0)?,
            Pooling::MeanSqrtLen => (x.sum(0)? / (n as f64).sqrt())?,
        };
        let mut e = Array1::from(pooled.to_vec1::<f32>()?);
        if self.dir.normalize {
            // sentence-transformers' Normalize: x / max(||x||, 1e-12).
            let norm = e.iter().map(|&v| v * v).sum::<f32>().sqrt().max(1e-12);
            e.mapv_inplace(|v| v / norm);
        }
        Ok(e)
    }
}
