//! # host: the `logattn` command-line tool and, later, the board driver
//!
//! Principal pieces:
//! - [`CodebookArgs`]: `--bits`, `--threshold` / `--octave`, shared by every command.
//! - [`quantize`], [`analyze`], [`attend`]: the software commands (see `logattn --help`).
//! - [`plot`]: the paper's histograms as SVG (`logattn analyze --plot DIR`).

pub mod analyze;
pub mod attend;
pub mod plot;
pub mod quantize;

use anyhow::{bail, Result};
use model::Codebook;

/// Codebook options shared by the commands.
#[derive(clap::Args, Clone, Debug)]
pub struct CodebookArgs {
    /// Code width k (1..=4).
    #[arg(long, default_value_t = 3)]
    pub bits: u32,
    /// Pruning threshold t in (0, 1).
    #[arg(long, conflicts_with = "octave")]
    pub threshold: Option<f64>,
    /// Use the octave codebook, t = 2^-(2^k - 1): powers of two, shift-only hardware.
    #[arg(long)]
    pub octave: bool,
}

/// The default threshold, as in the paper.
pub const DEFAULT_THRESHOLD: f64 = 1e-3;

impl CodebookArgs {
    /// The codebook these options select, with a clear error for illegal values.
    pub fn codebook(&self) -> Result<Codebook> {
        let cb = if self.octave {
            Codebook::octave(self.bits)
        } else {
            Codebook::log(self.bits, self.threshold.unwrap_or(DEFAULT_THRESHOLD))
        };
        match cb {
            Ok(cb) => Ok(cb),
            Err(e) => bail!("{e}"),
        }
    }
}
