//! `logattn quantize`: probabilities to k-bit codes.

use crate::CodebookArgs;
use anyhow::Result;
use model::npy;
use model::output::Outputs;
use ndarray::ArrayD;
use std::path::PathBuf;

/// Arguments of `logattn quantize`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Attention probabilities, float32 of any rank, last axis = keys.
    #[arg(long)]
    pub probs: PathBuf,
    #[command(flatten)]
    pub codebook: CodebookArgs,
    /// Output codes, uint8 of the same shape.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs the command; returns the line to print.
pub fn run(args: &Args) -> Result<String> {
    let cb = args.codebook.codebook()?;
    let mut outputs = Outputs::new();
    outputs.input(&args.probs).claim(&args.out)?;
    let p = npy::read_probs(&args.probs)?;
    let codes: ArrayD<u8> = p.mapv(|a| cb.code(a));
    outputs.npy(&args.out, &codes)?;
    outputs.commit()?;
    let nnz = codes.iter().filter(|&&c| c != 0).count();
    let mut hist = vec![0usize; cb.num_codes()];
    for &c in &codes {
        hist[c as usize] += 1;
    }
    Ok(format!(
        "{}: {} values, {} kept ({:.2}% pruned), codes 0..{} counts {:?} -> {}",
        cb.describe(),
        codes.len(),
        nnz,
        100.0 * (1.0 - nnz as f64 / codes.len().max(1) as f64),
        cb.max_code(),
        hist,
        args.out.display()
    ))
}
