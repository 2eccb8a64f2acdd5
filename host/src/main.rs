//! `logattn`: quantize, analyze and attend on attention tensors (.npy).

use clap::{Parser, Subcommand};
use host::{analyze, attend, quantize};

/// Sparse, log-quantized attention: analysis and the software path of the logattn hardware.
#[derive(Parser, Debug)]
#[command(name = "logattn", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Quantize attention probabilities to k-bit log codes (uint8 .npy of the same shape).
    Quantize(quantize::Args),
    /// Sparsity, top-k mass, JSD per quantization method, and memory figures.
    Analyze(analyze::Args),
    /// Quantize P and V as the hardware does and compute the output exactly (float32 .npy).
    Attend(attend::Args),
}

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Quantize(a) => quantize::run(a),
        Command::Analyze(a) => analyze::run(a),
        Command::Attend(a) => attend::run(a),
    };
    match result {
        Ok(text) => println!("{text}"),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
