//! `sim speed`: rust-hdl's native simulator against the Verilator harness on the same core
//! (D = 64, N_MAX = 512) and the same random job, outputs checked against the model (the
//! native side needs the `native-bench` feature).

use super::VariantArg;
use crate::speed::SpeedOptions;
use anyhow::{bail, Result};
use model::Variant;
use std::path::PathBuf;

/// Arguments of `sim speed`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Datapath variants, one comparison each.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "general,octave"
    )]
    pub variant: Vec<VariantArg>,
    /// Keys (V rows), at most 512.
    #[arg(long, default_value_t = 512)]
    pub n: usize,
    /// Query rows (160: ~20k cycles, ~15 s in the native simulator).
    #[arg(long, default_value_t = 160)]
    pub rows: usize,
    /// Probability that a code is non-zero.
    #[arg(long, default_value_t = 0.25)]
    pub density: f64,
    /// RNG seed of the job.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Repeat the (short) Verilator run until it has taken this many CPU seconds.
    #[arg(long, default_value_t = 2.0)]
    pub verilator_secs: f64,
    /// Write the figures as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Runs the comparison; prints its table; fails if either simulator disagrees with the model.
pub fn run(a: &Args) -> Result<()> {
    let opts = SpeedOptions {
        variants: a.variant.iter().copied().map(Variant::from).collect(),
        n: a.n,
        rows: a.rows,
        density: a.density,
        seed: a.seed,
        verilator_min_secs: a.verilator_secs,
    };
    let rs = crate::speed::run(&opts)?;
    println!(
        "AttnV D = 64, N_MAX = 512: one job of n = {} keys x {} rows, density {}, seed {}",
        a.n, a.rows, a.density, a.seed
    );
    println!("{}", crate::speed::table(&rs));
    if let Some(p) = &a.json {
        model::output::write_text_atomic(p, &serde_json::to_string_pretty(&rs)?)?;
    }
    if let Some(r) = rs.iter().find(|r| !r.ok) {
        bail!(
            "{}: outputs or cycle counts disagree with the model",
            r.variant
        );
    }
    Ok(())
}
