//! # host: the `logattn` board driver and command-line tool
//!
//! Principal pieces:
//! - [`transport::Transport`]: a byte stream to a board: the Verilated board
//!   ([`transport::sim`]), a serial port ([`transport::uart`]), FrontPanel pipes
//!   ([`transport::frontpanel`]), and fault injection around any of them
//!   ([`transport::faults`]).
//! - [`driver::Driver`]: jobs in, CRC-checked responses out, with pipelining, sequence
//!   numbers, loss detection and bounded retries.
//! - [`jobs`]: tensors to link requests and results back to floats; the model's expected
//!   response for `--verify`.
//! - [`connect::LinkArgs`]: `--transport`, `--board`, `--device`, `--inject`, ... shared by
//!   [`run`], [`mod@bench`] and [`devices`] (`info`, `devices`).
//! - [`CodebookArgs`]: `--bits`, `--threshold` / `--octave`, shared by every command.
//! - [`quantize`], [`analyze`], [`attend`]: the software commands (see `logattn --help`).
//! - [`encode`]: a pretrained BERT encoder with every attention head on a backend (float,
//!   quantized, the bit-exact model, the board), against float (`logattn encode`).
//! - [`plot`]: the paper's histograms as SVG (`logattn analyze --plot DIR`).

pub mod analyze;
pub mod attend;
pub mod bench;
pub mod connect;
pub mod devices;
pub mod driver;
pub mod encode;
pub mod jobs;
pub mod plot;
pub mod quantize;
pub mod run;
pub mod transport;

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
pub use model::DEFAULT_THRESHOLD;

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
