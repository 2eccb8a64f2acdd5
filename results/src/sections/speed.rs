//! §3 Simulator speed: rust-hdl's native simulator against Verilator on the same core and job
//! (`sim speed`).

use super::format::{md_table, thou};
use crate::fig::{self, Scale};
use crate::Page;
use anyhow::{ensure, Result};
use model::Variant;

/// §3: rust-hdl's native simulator against Verilator, side by side.
pub fn run(page: &mut Page) -> Result<()> {
    page.log("§3 simulator speed: rust-hdl native vs Verilator (the native simulator runs a few thousand cycles a second)");
    let opts = sim::speed::SpeedOptions {
        variants: vec![Variant::General, Variant::Octave],
        n: 512,
        rows: 64,
        density: 0.25,
        seed: page.seed,
        verilator_min_secs: 2.0,
    };
    let rs = sim::speed::run(&opts)?;
    let mut rows = Vec::new();
    for r in &rs {
        ensure!(
            r.ok,
            "speed {}: outputs or cycles differ from the model",
            r.variant
        );
        rows.push(vec![
            r.variant.to_lowercase(),
            format!(
                "{} cycles/s",
                thou(r.native.cycles_per_cpu_sec.round() as u64)
            ),
            format!("{:.2} M cycles/s", r.verilator.cycles_per_cpu_sec / 1e6),
            format!("{:.0}x", r.ratio_cpu),
        ]);
    }
    page.set(
        "speed_job",
        format!(
            "D = 64, N_MAX = 512, n = {} keys x {} rows, {:.0}% non-zero codes",
            opts.n,
            opts.rows,
            100.0 * opts.density
        ),
    );
    page.set(
        "speed_table",
        md_table(&["variant", "rust-hdl native", "Verilator", "ratio"], &rows),
    );
    page.record("simulator_speed", &rs)?;
    let cats: Vec<String> = rs.iter().map(|r| r.variant.to_lowercase()).collect();
    fig::bars(
        &page.figure("simulator_speed.svg"),
        "Simulated cycles per CPU second, same core and job, one run",
        "cycles per CPU second",
        Scale::Log,
        &cats,
        &[
            (
                "rust-hdl native".into(),
                rs.iter().map(|r| r.native.cycles_per_cpu_sec).collect(),
            ),
            (
                "Verilator (sim crate)".into(),
                rs.iter().map(|r| r.verilator.cycles_per_cpu_sec).collect(),
            ),
        ],
        700,
        None,
    )?;
    Ok(())
}
