//! `sim heads`: cycles per whole head (front end + AttnV) for n = 128 and 512 at D = 32 and 64,
//! n query rows, and where the time goes.

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
    let rows = crate::headbench::run(&mut cores, seed)?;
    println!("One head, n query rows, t = 1e-3, random Q, K, V (seed {seed}); general core:");
    print!("{}", crate::headbench::table(&rows));
    println!(
        "load: K and V in parallel; phase: the slowest row stage + 1; phases: (n + 2) x phase; \
         util: rows*n (one score per cycle) / cycles"
    );
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
