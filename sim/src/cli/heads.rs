//! `sim heads`: cycles per whole head (front end + AttnV) at D = 64 for P = 1, 2, 4, 8, K = 1, 2, general
//! and octave: random heads (n = 128, 512) and the MiniLM fixture's heads, and where the time
//! goes.

use crate::qkv::HeadCores;
use anyhow::{bail, Result};
use std::path::PathBuf;

/// Arguments of `sim heads`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// RNG seed of the random Q, K, V.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write the figures as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Runs the head bench; prints its table; fails unless every head is bit-exact and on the
/// cycle count `model::timing` predicts.
pub fn run(a: &Args) -> Result<()> {
    let seed = a.seed;
    let mut cores = HeadCores::default();
    let mut rows = crate::headbench::run(&mut cores, seed)?;
    rows.extend(crate::headbench::minilm(&mut cores)?);
    println!(
        "Whole heads, n query rows (random Q, K, V: seed {seed}; MiniLM heads padded to D = 64):"
    );
    print!("{}", crate::headbench::table(&rows));
    if let Some(p) = &a.json {
        model::output::write_text_atomic(p, &serde_json::to_string_pretty(&rows)?)?;
    }
    if let Some(r) = rows
        .iter()
        .find(|r| !r.bit_exact || r.cycles_model != Some(r.cycles))
    {
        bail!(
            "D = {} n = {}: not bit-exact or not on the predicted cycle count",
            r.d,
            r.n
        );
    }
    Ok(())
}
