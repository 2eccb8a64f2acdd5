//! The real AttnV core (`hdl::attnv_verilog`) in Verilator, driven by `sim::attnv` and checked
//! integer-for-integer against `model::accumulate`, and cycle-for-cycle against `model::timing`
//! when no stream idles or back-pressures.

use model::{CoreParams, Variant};
use sim::attnv::{AttnvJob, AttnvSim, DriveConfig, ResetSpec};
use sim::check::check_job;
use sim::verilator::BuildOptions;

fn core(p: CoreParams, v: Variant) -> anyhow::Result<AttnvSim> {
    AttnvSim::new(
        &hdl::attnv_verilog(&p, v).unwrap(),
        "top",
        p,
        &ResetSpec::default(),
        &BuildOptions::default(),
    )
}

fn job(p: &CoreParams, v: Variant, n: usize, rows: usize, density: f64, seed: u64) -> AttnvJob {
    AttnvJob::random_for(p, v, n, rows, density, seed)
}

/// Shapes that exercise partial last beats, all-zero rows and beats, and full density.
const SHAPES: [(usize, usize, f64); 7] = [
    (1, 1, 1.0),
    (16, 3, 0.0),
    (17, 4, 0.5),
    (100, 5, 0.03),
    (512, 3, 1.0),
    (512, 8, 0.25),
    (33, 9, 0.1),
];

fn exercise(p: CoreParams, v: Variant) -> anyhow::Result<()> {
    let mut sim = core(p, v)?;
    for (i, &(n, rows, density)) in SHAPES.iter().enumerate() {
        let j = job(&p, v, n, rows, density, 1000 + i as u64);
        for (idle, bp) in [(0.0, 0.0), (0.3, 0.3), (0.8, 0.9)] {
            let cfg = DriveConfig {
                seed: 7 * i as u64 + 3,
                idle_prob: idle,
                backpressure_prob: bp,
                ..Default::default()
            };
            let what = format!(
                "{v:?} D={} n={n} rows={rows} density={density} idle={idle} bp={bp}",
                p.d
            );
            let run = sim.run(&j, &cfg).map_err(|e| e.context(what.clone()))?;
            check_job(&j, &p, &run.out).map_err(|e| e.context(what.clone()))?;
            if idle == 0.0 && bp == 0.0 {
                let want = model::timing::job_cycles(&p, v, j.codes.view()) as u64;
                anyhow::ensure!(
                    run.cycles == want,
                    "{what}: {} cycles, model::timing says {want}",
                    run.cycles
                );
            }
        }
    }
    Ok(())
}

#[test]
fn general_d32() -> anyhow::Result<()> {
    exercise(CoreParams::new(32, 512, 16, 3)?, Variant::General)
}

#[test]
fn octave_d32() -> anyhow::Result<()> {
    exercise(CoreParams::new(32, 512, 16, 3)?, Variant::Octave)
}

#[test]
fn dense_d32() -> anyhow::Result<()> {
    exercise(CoreParams::new(32, 512, 16, 3)?, Variant::Dense)
}

#[test]
fn general_d64_extremes_and_speed() -> anyhow::Result<()> {
    let p = CoreParams::default();
    let mut sim = core(p, Variant::General)?;
    let r = sim.model().build_report().clone();
    eprintln!(
        "D=64 core: cache hit {}, verilate {:.1} s, compile {:.1} s",
        r.cache_hit, r.verilate_secs, r.compile_secs
    );
    // Largest magnitudes: N_MAX keys of -127 / +127 with the largest weight (33-bit accumulators).
    let mut j = job(&p, Variant::General, 512, 2, 1.0, 5);
    j.weights = vec![0, 65535, 65535, 65535, 65535, 65535, 65535, 65535];
    j.vq.column_mut(0).fill(-127);
    j.vq.column_mut(63).fill(127);
    j.codes.row_mut(0).fill(7);
    let run = sim.run(&j, &DriveConfig::default())?;
    check_job(&j, &p, &run.out)?;
    assert_eq!(run.out.acc[(0, 0)], -(512 * 65535 * 127));
    assert_eq!(run.out.acc[(0, 63)], 512 * 65535 * 127);
    // Speed on a realistic job (25% density, with idle cycles and back-pressure).
    let j = job(&p, Variant::General, 512, 256, 0.25, 6);
    let cfg = DriveConfig {
        idle_prob: 0.05,
        backpressure_prob: 0.1,
        ..Default::default()
    };
    let run = sim.run(&j, &cfg)?;
    check_job(&j, &p, &run.out)?;
    eprintln!(
        "D=64 core: {} rows x n=512 at 25%: {} cycles, {:.2} M simulated cycles/s",
        j.codes.nrows(),
        run.cycles,
        run.total_cycles as f64 / run.wall.as_secs_f64() / 1e6
    );
    Ok(())
}
