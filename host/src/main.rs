//! `logattn`: run and bench attention heads on a board (or the Verilated board), and the
//! software commands: quantize, analyze, attend.

use clap::{Parser, Subcommand};
use host::{analyze, attend, bench, devices, encode, quantize, run};

/// Sparse, log-quantized attention on an FPGA: the board driver, and the software path of the
/// logattn hardware.
#[derive(Parser, Debug)]
#[command(name = "logattn", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Stream every head of Q/K/V (or P and V) through a board; write O (float32 .npy).
    Run(Box<run::Args>),
    /// Synthetic heads through a board: throughput, latency, link and compute, projections.
    Bench(Box<bench::Args>),
    /// The boards reachable from here.
    Devices(devices::DevicesArgs),
    /// The configuration a board reports through the link.
    Info(Box<devices::InfoArgs>),
    /// Quantize attention probabilities to k-bit log codes (uint8 .npy of the same shape).
    Quantize(quantize::Args),
    /// Sparsity, top-k mass, JSD per quantization method, and memory figures.
    Analyze(analyze::Args),
    /// Quantize P and V as the hardware does and compute the output exactly (float32 .npy).
    Attend(attend::Args),
    /// A pretrained BERT encoder with every attention head on a backend, against float.
    Encode(Box<encode::Args>),
}

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(a) => run::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Devices(a) => devices::devices(a),
        Command::Info(a) => devices::info(a),
        Command::Quantize(a) => quantize::run(a),
        Command::Analyze(a) => analyze::run(a),
        Command::Attend(a) => attend::run(a),
        Command::Encode(a) => encode::run(a),
    };
    match result {
        Ok(text) => {
            use std::io::Write;
            // A closed pipe (`logattn ... | head`) is not an error worth a panic.
            let _ = writeln!(std::io::stdout(), "{text}");
        }
        Err(e) => {
            // A run that wrote its output with some heads failed (NaN) exits with its own code.
            if let Some(i) = e.downcast_ref::<run::Incomplete>() {
                if let Some(text) = &i.stdout {
                    use std::io::Write;
                    let _ = writeln!(std::io::stdout(), "{text}");
                }
                eprintln!("error: {i}");
                std::process::exit(run::Incomplete::EXIT_CODE);
            }
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
