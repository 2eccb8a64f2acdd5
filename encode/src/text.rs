//! Passages in (one a line, UTF-8) and tokens out: the model's own `tokenizer.json` (WordPiece
//! for BERT) with its padding and truncation switched off; truncation is ours, with a warning.

use anyhow::{anyhow, bail, Context, Result};
use std::path::Path;
use tokenizers::{Tokenizer, TruncationDirection, TruncationParams, TruncationStrategy};

/// Reads passages: one a line, UTF-8. An empty (or blank) line, a file that is not UTF-8 and a
/// file with no passage are errors naming the file and the line.
pub fn read_passages(path: &Path) -> Result<Vec<String>> {
    let bytes = std::fs::read(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let upto = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = upto.iter().filter(|&&b| b == b'\n').count() + 1;
        anyhow!("{}: line {line} is not UTF-8", path.display())
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            bail!(
                "{}: line {} is empty: one passage a line, no blank lines",
                path.display(),
                i + 1
            );
        }
        out.push(line.to_string());
    }
    if out.is_empty() {
        bail!("{}: no passages (one a line)", path.display());
    }
    Ok(out)
}

/// One passage's tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokens {
    /// Token ids, `[CLS] ... [SEP]`.
    pub ids: Vec<u32>,
    /// Token type ids (all 0 for one segment).
    pub type_ids: Vec<u32>,
    /// The passage's length before truncation, if it was truncated.
    pub truncated_from: Option<usize>,
}

/// The model's tokenizer without padding; truncation to `max_tokens` as sentence-transformers
/// does it (the text's tokens are cut, `[CLS]` and `[SEP]` kept).
pub struct TextTokenizer {
    full: Tokenizer,
    cut: Tokenizer,
    pub max_tokens: usize,
}

impl TextTokenizer {
    /// Loads `tokenizer.json`; `max_tokens` counts `[CLS]` and `[SEP]` (at least 2).
    pub fn load(path: &Path, max_tokens: usize) -> Result<Self> {
        if max_tokens < 2 {
            bail!("--max-tokens {max_tokens}: at least 2 ([CLS] and [SEP])");
        }
        let mut full = Tokenizer::from_file(path)
            .map_err(|e| anyhow!("{}: not a tokenizer: {e}", path.display()))?;
        full.with_padding(None);
        full.with_truncation(None)
            .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        let mut cut = full.clone();
        cut.with_truncation(Some(TruncationParams {
            direction: TruncationDirection::Right,
            max_length: max_tokens,
            strategy: TruncationStrategy::LongestFirst,
            stride: 0,
        }))
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
        Ok(Self {
            full,
            cut,
            max_tokens,
        })
    }

    /// Tokenizes one passage.
    pub fn tokens(&self, text: &str) -> Result<Tokens> {
        let full = self
            .full
            .encode(text, true)
            .map_err(|e| anyhow!("tokenizer: {e}"))?;
        let n = full.get_ids().len();
        let (enc, truncated_from) = if n > self.max_tokens {
            let e = self
                .cut
                .encode(text, true)
                .map_err(|e| anyhow!("tokenizer: {e}"))?;
            (e, Some(n))
        } else {
            (full, None)
        };
        Ok(Tokens {
            ids: enc.get_ids().to_vec(),
            type_ids: enc.get_type_ids().to_vec(),
            truncated_from,
        })
    }
}
