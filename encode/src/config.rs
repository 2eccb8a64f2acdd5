//! A model folder: `config.json` (the BERT architecture, checked), the sentence-transformers
//! modules (pooling, normalization, maximum sequence length), and the paths of the weights and
//! the tokenizer. Everything that is not a plain BERT encoder is refused with a reason.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The hyper-parameters of a BERT encoder (`config.json`).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    pub layer_norm_eps: f64,
}

impl BertConfig {
    /// The head dimension, `hidden_size / num_attention_heads`.
    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads
    }
}

/// How token states become one sentence embedding (`1_Pooling/config.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// The mean over the tokens (`pooling_mode_mean_tokens`).
    Mean,
    /// The first token, `[CLS]` (`pooling_mode_cls_token`).
    Cls,
    /// The element-wise maximum over the tokens (`pooling_mode_max_tokens`).
    Max,
    /// The sum over the tokens divided by the square root of their number
    /// (`pooling_mode_mean_sqrt_len_tokens`).
    MeanSqrtLen,
}

/// A model folder, checked.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ModelDir {
    pub dir: PathBuf,
    pub config: BertConfig,
    pub pooling: Pooling,
    /// A `Normalize` module follows the pooling: embeddings are divided by their L2 norm.
    pub normalize: bool,
    /// The longest input in tokens, `[CLS]` and `[SEP]` included: sentence-transformers'
    /// `max_seq_length` (`sentence_bert_config.json`), else `max_position_embeddings`.
    pub max_seq_length: usize,
    /// Where that number came from.
    pub max_seq_length_from: String,
    pub weights: PathBuf,
    pub tokenizer: PathBuf,
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not valid JSON", path.display()))
}

fn need_file(dir: &Path, name: &str, what: &str) -> Result<PathBuf> {
    let p = dir.join(name);
    if !p.is_file() {
        bail!(
            "{}: missing {name} ({what}); a Hugging Face / sentence-transformers model folder has config.json, model.safetensors and tokenizer.json",
            dir.display()
        );
    }
    Ok(p)
}

/// Reads and checks `config.json`: a BERT encoder (`model_type` "bert"), absolute position
/// embeddings, the exact (erf) GELU, no decoder; the error names what is refused and why.
pub fn bert_config(path: &Path) -> Result<BertConfig> {
    let v = read_json(path)?;
    let p = path.display();
    let model_type = v["model_type"].as_str().unwrap_or("");
    if model_type != "bert" {
        bail!(
            "{p}: model_type is {:?}: only the BERT architecture (model_type \"bert\", e.g. MiniLM, BERT-base) is supported; \
             other families differ in their embeddings (RoBERTa's position offset, DistilBERT's missing token types), \
             their normalization or attention (ALBERT's shared layers, DeBERTa's relative attention) and their weight names, \
             and this forward pass is written for BERT only",
            v["model_type"].as_str().unwrap_or("missing")
        );
    }
    let pos = v["position_embedding_type"].as_str().unwrap_or("absolute");
    if pos != "absolute" {
        bail!("{p}: position_embedding_type {pos:?} is not supported: relative position scores are added inside the attention, which the accelerator does not compute (only \"absolute\")");
    }
    let act = v["hidden_act"].as_str().unwrap_or("gelu");
    if act != "gelu" {
        bail!(
            "{p}: hidden_act {act:?} is not supported (only \"gelu\", the exact erf GELU of BERT)"
        );
    }
    if v["is_decoder"].as_bool() == Some(true) || v["add_cross_attention"].as_bool() == Some(true) {
        bail!("{p}: a decoder (is_decoder or add_cross_attention) is not an encoder: its causal mask and cross-attention are not supported");
    }
    let get = |k: &str| -> Result<usize> {
        v[k].as_u64()
            .filter(|&x| x > 0)
            .map(|x| x as usize)
            .with_context(|| format!("{p}: {k} is missing or not a positive integer"))
    };
    let c = BertConfig {
        vocab_size: get("vocab_size")?,
        hidden_size: get("hidden_size")?,
        num_hidden_layers: get("num_hidden_layers")?,
        num_attention_heads: get("num_attention_heads")?,
        intermediate_size: get("intermediate_size")?,
        max_position_embeddings: get("max_position_embeddings")?,
        type_vocab_size: get("type_vocab_size")?,
        layer_norm_eps: v["layer_norm_eps"].as_f64().unwrap_or(1e-12),
    };
    if c.hidden_size % c.num_attention_heads != 0 {
        bail!(
            "{p}: hidden_size {} is not a multiple of num_attention_heads {}",
            c.hidden_size,
            c.num_attention_heads
        );
    }
    Ok(c)
}

/// Reads `1_Pooling/config.json`: exactly one of the mean, CLS, max and mean-sqrt-len modes.
pub fn pooling_config(path: &Path) -> Result<Pooling> {
    let v = read_json(path)?;
    let on = |k: &str| v[k].as_bool() == Some(true);
    for k in ["pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"] {
        if on(k) {
            bail!(
                "{}: {k} is not supported (mean, cls, max and mean_sqrt_len pooling are)",
                path.display()
            );
        }
    }
    let modes: Vec<Pooling> = [
        ("pooling_mode_mean_tokens", Pooling::Mean),
        ("pooling_mode_cls_token", Pooling::Cls),
        ("pooling_mode_max_tokens", Pooling::Max),
        ("pooling_mode_mean_sqrt_len_tokens", Pooling::MeanSqrtLen),
    ]
    .into_iter()
    .filter(|(k, _)| on(k))
    .map(|(_, m)| m)
    .collect();
    match modes.as_slice() {
        [m] => Ok(*m),
        [] => bail!("{}: no pooling mode is on", path.display()),
        _ => bail!(
            "{}: several pooling modes at once ({modes:?}; sentence-transformers concatenates them) are not supported",
            path.display()
        ),
    }
}

impl ModelDir {
    /// Checks a model folder. Without `modules.json` (a plain Hugging Face model) the
    /// embedding is the mean over the tokens, not normalized: sentence-transformers' default
    /// for such a model.
    pub fn open(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            bail!("{}: no such model folder", dir.display());
        }
        let config = bert_config(&need_file(dir, "config.json", "the architecture")?)?;
        let weights = need_file(dir, "model.safetensors", "the weights")?;
        let tokenizer = need_file(dir, "tokenizer.json", "the tokenizer")?;
        let (mut pooling, mut normalize) = (Pooling::Mean, false);
        let modules = dir.join("modules.json");
        if modules.is_file() {
            let v = read_json(&modules)?;
            let list = v
                .as_array()
                .with_context(|| format!("{}: not a list of modules", modules.display()))?;
            for m in list {
                let ty = m["type"].as_str().unwrap_or("");
                let sub = m["path"].as_str().unwrap_or("");
                match ty.rsplit('.').next().unwrap_or("") {
                    "Transformer" => {}
                    "Pooling" => {
                        pooling = pooling_config(&dir.join(sub).join("config.json"))?;
                    }
                    "Normalize" => normalize = true,
                    other => bail!(
                        "{}: module {other:?} ({ty}) is not supported (Transformer, Pooling and Normalize are)",
                        modules.display()
                    ),
                }
            }
        } else if dir.join("1_Pooling/config.json").is_file() {
            pooling = pooling_config(&dir.join("1_Pooling/config.json"))?;
        }
        let st = dir.join("sentence_bert_config.json");
        let (max_seq_length, max_seq_length_from) = match st.is_file() {
            true => {
                let v = read_json(&st)?;
                let m = v["max_seq_length"]
                    .as_u64()
                    .with_context(|| format!("{}: max_seq_length is missing", st.display()))?
                    as usize;
                (m, "sentence_bert_config.json max_seq_length".to_string())
            }
            false => (
                config.max_position_embeddings,
                "config.json max_position_embeddings".to_string(),
            ),
        };
        if !(2..=config.max_position_embeddings).contains(&max_seq_length) {
            bail!(
                "{}: max_seq_length {max_seq_length} is outside 2..={} (the position embeddings)",
                st.display(),
                config.max_position_embeddings
            );
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            config,
            pooling,
            normalize,
            max_seq_length,
            max_seq_length_from,
            weights,
            tokenizer,
        })
    }

    /// Every file read from the folder (for refusing an output path equal to an input).
    pub fn inputs(&self) -> Vec<PathBuf> {
        let mut v = vec![
            self.dir.join("config.json"),
            self.weights.clone(),
            self.tokenizer.clone(),
        ];
        for f in [
            "modules.json",
            "sentence_bert_config.json",
            "1_Pooling/config.json",
        ] {
            v.push(self.dir.join(f));
        }
        v
    }
}
