//! `sim heads`: cycles per head of the whole on-chip head for n = 128 and 512 at D = 32 and 64
//! (self-attention: n query rows), measured in Verilator, checked against
//! `model::timing::head_cycles`, and split into where the time goes.

use crate::attnv::DriveConfig;
use crate::qkv::{run_head, HeadCores};
use anyhow::Result;
use model::timing::phase_cycles;
use model::Codebook;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::fmt::Write;

/// One configuration's figures (JSON keys as the fields).
#[derive(Clone, Debug, Serialize)]
pub struct HeadCycles {
    pub d: usize,
    pub n: usize,
    pub rows: usize,
    /// Measured cycles for one head (K/V load to the last output).
    pub cycles: u64,
    /// `model::timing::head_cycles`.
    pub cycles_model: Option<u64>,
    pub bit_exact: bool,
    /// K and V load (in parallel): n cycles.
    pub load: usize,
    /// One phase: the slowest row stage plus the advance.
    pub phase: usize,
    /// `rows + 2` phases (the pipe fills and drains through three stages).
    pub phases: usize,
    /// The rest: the core's drain after the last codes.
    pub drain: i64,
    /// The score unit's bound at one score per cycle: `rows * n`.
    pub score_bound: usize,
    /// `score_bound / cycles`.
    pub score_unit_utilization: f64,
    /// Microseconds per head at 100 MHz.
    pub us_at_100mhz: f64,
}

/// Runs one random head (Q, K, V uniform in +-3, t = 1e-3) per (D, n).
pub fn run(cores: &mut HeadCores, seed: u64) -> Result<Vec<HeadCycles>> {
    let cb = Codebook::log(3, 1e-3)?;
    let mut out = Vec::new();
    for &(d, n) in &[(32usize, 128usize), (64, 128), (32, 512), (64, 512)] {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed + (d * n) as u64);
        let mut gen = |r: usize, s: f32| {
            ndarray::Array2::from_shape_fn((r, d), |_| rng.gen_range(-1.0f32..1.0) * s)
        };
        let (q, k, v) = (gen(n, 3.0), gen(n, 3.0), gen(n, 2.0));
        let name = format!("D={d} n={n}");
        let h = run_head(
            cores,
            &name,
            &cb,
            q.view(),
            k.view(),
            v.view(),
            n,
            &DriveConfig::default(),
        )?;
        let (p, _) = crate::qkv::head_params(d)?;
        let phase = phase_cycles(&p, n);
        let phases = (n + 2) * phase;
        out.push(HeadCycles {
            d,
            n,
            rows: n,
            cycles: h.cycles,
            cycles_model: h.cycles_model,
            bit_exact: h.bit_exact,
            load: n,
            phase,
            phases,
            drain: h.cycles as i64 - (n + phases) as i64,
            score_bound: n * n,
            score_unit_utilization: (n * n) as f64 / h.cycles as f64,
            us_at_100mhz: h.cycles as f64 / 100.0,
        });
    }
    Ok(out)
}

/// The table.
pub fn table(rows: &[HeadCycles]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>3} {:>4} {:>9} {:>9} {:>6} {:>5} {:>6} {:>9} {:>6} {:>10} {:>6} {:>9}",
        "D",
        "n",
        "cycles",
        "model",
        "exact",
        "load",
        "phase",
        "phases",
        "drain",
        "rows*n",
        "util",
        "us@100MHz"
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{:>3} {:>4} {:>9} {:>9} {:>6} {:>5} {:>6} {:>9} {:>6} {:>10} {:>6.3} {:>9.1}",
            r.d,
            r.n,
            r.cycles,
            r.cycles_model.map_or("-".into(), |c| c.to_string()),
            if r.bit_exact { "yes" } else { "NO" },
            r.load,
            r.phase,
            r.phases,
            r.drain,
            r.score_bound,
            r.score_unit_utilization,
            r.us_at_100mhz
        );
    }
    s
}
