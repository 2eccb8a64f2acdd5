//! The `sim` binary's commands, one module each, shaped like the host's (`logattn`): each has
//! its arguments (`Args`, a [`clap::Args`]) and a `run` that prints its report and returns an
//! error when any check fails (the binary then exits non-zero).
//!
//! Unlike `logattn`'s commands, these print as they go (a regression or a stress run takes
//! minutes): the lines before a failure stay on standard output.
//!
//! - Without a subcommand ([`DataArgs`]): [`regression`] (the default), real attention from
//!   the host's codes through the core ([`probs`], `--probs P --v V`), or whole heads from float
//!   Q, K, V through the on-chip front end and the core ([`qkv`], `--q Q --k K --v V`).
//! - [`heads`]: cycles per whole head; [`attnv`]: random jobs for one configuration of the
//!   core; [`stress`]: many random jobs over every variant and width; [`speed`]: rust-hdl's
//!   native simulator against Verilator.

pub mod attnv;
pub mod heads;
pub mod probs;
pub mod qkv;
pub mod regression;
pub mod speed;
pub mod stress;

use anyhow::{bail, Result};
use clap::ValueEnum;
use model::output::Outputs;
use model::{Codebook, Variant};
use std::path::PathBuf;

/// The flags of `sim` without a subcommand: the regression, or real attention through the core
/// (`--probs` and `--v`) or through the whole on-chip head (`--q`, `--k` and `--v`).
#[derive(clap::Args, Debug)]
pub struct DataArgs {
    /// Attention probabilities [..., rows, n] (float32); runs every head through the core.
    #[arg(long, requires = "v", conflicts_with_all = ["q", "k"])]
    pub probs: Option<PathBuf>,
    /// Queries [..., rows, d] (float32): runs every head through the on-chip front end + core.
    #[arg(long, requires_all = ["k", "v"])]
    pub q: Option<PathBuf>,
    /// Keys [..., n, d] (float32), Q's leading axes.
    #[arg(long, requires_all = ["q", "v"])]
    pub k: Option<PathBuf>,
    /// Values [..., n, d] (float32), the leading axes of P (or Q); d must be a configured width.
    #[arg(long)]
    pub v: Option<PathBuf>,
    /// With --q: keys j >= L are masked (key padding), L in 1..=n; default n.
    #[arg(long, requires = "q", conflicts_with = "probs")]
    pub valid_len: Option<usize>,
    /// With --q: quantize Q and K to this many bits (2..=8) per row.
    #[arg(long, requires = "q", conflicts_with = "probs", default_value_t = 8)]
    pub qk_bits: u32,
    /// With --q: the front end scores P keys a cycle (1, 2, 4 or 8; what the head's row of
    /// `hdl::configs` is built for).
    #[arg(long, requires = "q", conflicts_with = "probs", default_value_t = 1)]
    pub keys_per_cycle: usize,
    /// With --q: the head's AttnV core issues K non-zero codes a cycle (1 or 2).
    #[arg(long, requires = "q", conflicts_with = "probs", default_value_t = 1)]
    pub nnz_per_cycle: usize,
    /// Code width: the core is built for k = 3.
    #[arg(long, default_value_t = 3)]
    pub bits: u32,
    /// Pruning threshold t in (0, 1) (default 1e-3).
    #[arg(long, conflicts_with = "octave")]
    pub threshold: Option<f64>,
    /// The octave codebook (t = 2^-7) on the shift-only core.
    #[arg(long)]
    pub octave: bool,
    /// Write per-head and total figures as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// With --probs: write a VCD of the first head (builds a traced model).
    #[arg(long, conflicts_with = "q")]
    pub vcd: Option<PathBuf>,
    /// RNG seed of the regression's synthetic cases.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl DataArgs {
    /// Runs what the flags select: [`probs`] with `--probs`, [`qkv`] with `--q`, else the
    /// [`regression`].
    pub fn run(&self) -> Result<()> {
        match (&self.probs, &self.q, &self.v) {
            (Some(_), _, _) => probs::run(self),
            (None, Some(_), _) => qkv::run(self),
            (None, None, Some(_)) => bail!("--v needs --probs, or --q and --k"),
            (None, None, None) => regression::run(self.seed),
        }
    }

    /// The codebook of `--bits`, `--threshold` and `--octave`; the core is built for
    /// [`model::HW_CODE_BITS`]-bit codes only.
    pub fn codebook(&self) -> Result<Codebook> {
        if self.bits != model::HW_CODE_BITS {
            bail!(
                "--bits {}: the core is built for k = {} bit codes",
                self.bits,
                model::HW_CODE_BITS
            );
        }
        Ok(if self.octave {
            Codebook::octave(self.bits)?
        } else {
            Codebook::log(self.bits, self.threshold.unwrap_or(1e-3))?
        })
    }

    /// The outputs of a data run (`--json`, `--vcd`), staged together: none may be an input or
    /// the other, and a missing folder is refused before anything runs.
    pub fn outputs(&self) -> Result<Outputs> {
        let mut o = Outputs::new();
        o.inputs(
            [&self.probs, &self.q, &self.k, &self.v]
                .into_iter()
                .flatten()
                .map(|p| p.as_path()),
        );
        for p in [&self.json, &self.vcd].into_iter().flatten() {
            o.claim(p)?;
        }
        Ok(o)
    }
}

/// A datapath variant on the command line (`general`, `octave`, `dense`).
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum VariantArg {
    General,
    Octave,
    Dense,
}

impl From<VariantArg> for Variant {
    fn from(v: VariantArg) -> Self {
        match v {
            VariantArg::General => Variant::General,
            VariantArg::Octave => Variant::Octave,
            VariantArg::Dense => Variant::Dense,
        }
    }
}
