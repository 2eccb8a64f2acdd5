//! Where the bit-exact integer path loses against the float quantizer: each of its
//! approximations alone, on top of the float pruned log quantizer, through the whole encoder.
//!
//! ```text
//! make model
//! cargo run --release -p encode --example ablation -- [PASSAGES.txt ...]
//! ```
//!
//! Steps (each changes one thing against `quantized`, the float softmax with the float codebook
//! on float V; `model` has them all):
//! - `int8 V`: V to int8 per lane (`model::quantize_v`) and the 16-bit integer weights.
//! - `int8 Q/K`: the codes of the float softmax of the int8 Q and K (`quantize_rows`), float
//!   levels and V: what int8 scores cost.
//! - `front end`: the codes of the fixed-point front end (`model::frontend::front_end`: int8 Q,
//!   K and the exp2/log2 tables), float levels and V.
//! - `model`: the integer path (`ModelPath`), what the board computes.

use anyhow::Result;
use encode::backend::{weighted, Attention, HeadOut, ModelPath, Quantized};
use encode::report::{compare, run_backend};
use encode::text::{read_passages, TextTokenizer};
use encode::{cached_model, Bert, ModelDir};
use model::frontend::{codes_float, front_end, quantize_rows, FrontEndParams};
use model::{accumulate, dequantize, dequantize_renormalized, quantize_v, Codebook};
use ndarray::{Array2, ArrayView2, ArrayView3, Axis};

#[derive(Clone, Copy, PartialEq)]
enum Step {
    Int8V,
    Int8Qk,
    FrontEnd,
}

struct Ablate {
    step: Step,
    cb: Codebook,
    fe: FrontEndParams,
    renormalize: bool,
}

fn dequantized(x: ArrayView2<f32>) -> Result<Array2<f32>> {
    let (xq, s) = quantize_rows(x, 8)?;
    Ok(Array2::from_shape_fn(xq.dim(), |(r, c)| {
        (xq[[r, c]] as f64 * s[r]) as f32
    }))
}

impl Ablate {
    fn head(&self, q: ArrayView2<f32>, k: ArrayView2<f32>, v: ArrayView2<f32>) -> Result<HeadOut> {
        let n = k.nrows();
        let levels = |c: &Array2<u8>| c.mapv(|x| self.cb.level(x));
        let (codes, out) = match self.step {
            Step::Int8V => {
                let codes = codes_float(&self.cb, q, k, n)?;
                let qv = quantize_v(v)?;
                let w = self.cb.weights();
                let acc = accumulate(codes.view(), qv.vq.view(), &w.w);
                let out = if self.renormalize {
                    dequantize_renormalized(&acc, &qv.scales)
                } else {
                    dequantize(&acc, &qv.scales, w.scale)
                };
                (codes, out)
            }
            Step::Int8Qk => {
                let (qd, kd) = (dequantized(q)?, dequantized(k)?);
                let codes = codes_float(&self.cb, qd.view(), kd.view(), n)?;
                let out = weighted(&levels(&codes), v, self.renormalize);
                (codes, out)
            }
            Step::FrontEnd => {
                let codes = front_end(&self.fe, &self.cb, q, k, n)?.ints.codes;
                let out = weighted(&levels(&codes), v, self.renormalize);
                (codes, out)
            }
        };
        Ok(HeadOut {
            out,
            codes: Some(codes),
            cycles: None,
        })
    }
}

impl Attention for Ablate {
    fn name(&self) -> &'static str {
        match self.step {
            Step::Int8V => "int8 V",
            Step::Int8Qk => "int8 Q/K",
            Step::FrontEnd => "front end",
        }
    }
    fn layer(
        &mut self,
        _: usize,
        q: ArrayView3<f32>,
        k: ArrayView3<f32>,
        v: ArrayView3<f32>,
    ) -> Result<Vec<HeadOut>> {
        (0..q.len_of(Axis(0)))
            .map(|h| {
                self.head(
                    q.index_axis(Axis(0), h),
                    k.index_axis(Axis(0), h),
                    v.index_axis(Axis(0), h),
                )
            })
            .collect()
    }
}

fn main() -> Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files: Vec<std::path::PathBuf> = std::env::args().skip(1).map(Into::into).collect();
    if files.is_empty() {
        files = ["passages.txt", "short.txt"]
            .iter()
            .map(|f| root.join("tests/fixtures/passages").join(f))
            .collect();
    }
    let dir = ModelDir::open(&cached_model()?)?;
    let bert = Bert::load(&dir)?;
    let tok = TextTokenizer::load(&dir.tokenizer, dir.max_seq_length)?;
    let d = dir.config.head_dim();
    for (cb, what) in [
        (Codebook::log(3, 1e-3)?, "log t = 1e-3"),
        (Codebook::octave(3)?, "octave"),
    ] {
        let cfg = model::link::DeviceConfig::head(d, 512, &cb)?;
        let fe = FrontEndParams::hardware(d, 512);
        for file in &files {
            let passages = read_passages(file)?;
            let toks = passages
                .iter()
                .map(|p| tok.tokens(p))
                .collect::<Result<Vec<_>>>()?;
            let float = run_backend(&bert, &toks, &mut encode::backend::Float, &cb, &mut || {})?;
            println!(
                "\n{what}, {} ({} passages): mean(1 - cos), min cos; x = mean(1 - cos) / quantized's",
                file.file_name().unwrap_or_default().to_string_lossy(),
                passages.len()
            );
            println!(
                "{:<12} {:>10} {:>9} {:>7}   {:>10} {:>9} {:>7}",
                "", "plain", "min", "x", "renorm", "min", "x"
            );
            let mut base = [0.0; 2];
            for name in ["quantized", "int8 V", "int8 Q/K", "front end", "model"] {
                let mut row = format!("{name:<12}");
                for (i, renormalize) in [false, true].into_iter().enumerate() {
                    let mut att: Box<dyn Attention> = match name {
                        "quantized" => Box::new(Quantized {
                            cb: cb.clone(),
                            renormalize,
                        }),
                        "model" => Box::new(ModelPath::new(cfg.clone(), renormalize)?),
                        _ => Box::new(Ablate {
                            step: match name {
                                "int8 V" => Step::Int8V,
                                "int8 Q/K" => Step::Int8Qk,
                                _ => Step::FrontEnd,
                            },
                            cb: cb.clone(),
                            fe,
                            renormalize,
                        }),
                    };
                    let r = run_backend(&bert, &toks, att.as_mut(), &cb, &mut || {})?;
                    let a = compare(&float.embeddings, &r.embeddings);
                    if name == "quantized" {
                        base[i] = a.one_minus_cos_mean;
                    }
                    row += &format!(
                        " {:>10.3e} {:>9.5} {:>7.3}  ",
                        a.one_minus_cos_mean,
                        a.cosine_min,
                        a.one_minus_cos_mean / base[i]
                    );
                }
                println!("{}", row.trim_end());
            }
        }
    }
    Ok(())
}
