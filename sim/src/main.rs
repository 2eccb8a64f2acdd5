//! # sim: run the AttnV core in Verilator against the model
//!
//! - `sim`: the regression table (synthetic densities, edge cases, stalls, reset, the golden
//!   vectors, every head of the real-attention fixture), zero-skipping core vs dense baseline.
//! - `sim --probs P.npy --v V.npy [--threshold T | --octave] [--json r.json] [--vcd t.vcd]`:
//!   real attention, head by head, codes from the host (the AttnV core alone).
//! - `sim --q Q.npy --k K.npy --v V.npy [--valid-len L] [--threshold T | --octave] [--keys-per-cycle P] [--json r.json]`:
//!   the whole head on chip (front end + AttnV): bit-exactness, cycles, code agreement with the
//!   float path, and the output's error against float attention.
//! - `sim heads [--json h.json]`: cycles per whole head at D = 64 for P = 1, 2, 4, 8, general
//!   and octave: random heads (n = 128, 512) and the MiniLM fixture's heads.
//! - `sim attnv ...`: random jobs for one configuration; `sim stress`: many random jobs over
//!   every variant and width.
//! - `sim speed [--json s.json]`: rust-hdl's native simulator against Verilator, same core and
//!   job (build with `--features native-bench`).
//!
//! Every output integer is checked against `model`; every stall-free cycle count against
//! `model::timing`. Exits non-zero on any mismatch.
//!
//! Each command is a module of `sim::cli` (its arguments and its `run`); this file only
//! parses the command line and dispatches.

use clap::{Parser, Subcommand};
use sim::cli::{attnv, heads, speed, stress, DataArgs};

#[derive(Parser)]
#[command(
    name = "sim",
    about = "Cycle-accurate Verilator simulation of logattn's Verilog against the model"
)]
struct Cli {
    /// What to run (default: the regression, or real data with --probs and --v).
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Subcommand)]
enum Cmd {
    /// Cycles per head of the whole on-chip head (front end + AttnV) at D = 64 for P = 1, 2, 4
    /// and 8, general and octave (random heads, n = 128 and 512, and the MiniLM heads), and
    /// where the time goes.
    Heads(heads::Args),
    /// Many random jobs: every variant at D = 32 and D = 64 (N_MAX = 512), several shapes and
    /// densities, with and without idle cycles and back-pressure; every output checked against
    /// model::accumulate and, without stalls, every cycle count against model::timing.
    Stress(stress::Args),
    /// Random jobs through the AttnV core, checked against the model.
    Attnv(Box<attnv::Args>),
    /// Simulation speed: rust-hdl's native simulator against the Verilator harness on the same
    /// core (D = 64, N_MAX = 512) and the same random job, outputs checked against the model.
    /// Needs `--features native-bench`.
    Speed(speed::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match &cli.cmd {
        None => cli.data.run(),
        Some(Cmd::Heads(a)) => heads::run(a),
        Some(Cmd::Stress(a)) => stress::run(a),
        Some(Cmd::Attnv(a)) => attnv::run(a),
        Some(Cmd::Speed(a)) => speed::run(a),
    }
}
