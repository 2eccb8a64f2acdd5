//! The real AttnV core (`hdl::attnv_verilog`) in Verilator, driven by `sim::attnv` and checked
//! integer-for-integer against `model::accumulate`, and cycle-for-cycle against `model::timing`
//! when no stream idles or back-pressures: D = 4 (N_MAX = 64), 32 and 64 (N_MAX = 512), one
//! or two non-zero codes a cycle (K = 1, 2), general and octave lanes, the dense baseline
//! (K = 1).

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

fn params(d: usize, n_max: usize, k: usize) -> anyhow::Result<CoreParams> {
    Ok(CoreParams::new(d, n_max, 16, 3)?.with_nnz_per_cycle(k)?)
}

fn exercise(p: CoreParams, v: Variant) -> anyhow::Result<()> {
    let mut sim = core(p, v)?;
    // Shapes beyond N_MAX shrink to it.
    let shapes = SHAPES.map(|(n, rows, density)| (n.min(p.n_max), rows, density));
    for (i, &(n, rows, density)) in shapes.iter().enumerate() {
        let j = job(&p, v, n, rows, density, 1000 + i as u64);
        for (idle, bp) in [(0.0, 0.0), (0.3, 0.3), (0.8, 0.9)] {
            let cfg = DriveConfig {
                seed: 7 * i as u64 + 3,
                idle_prob: idle,
                backpressure_prob: bp,
                ..Default::default()
            };
            let what = format!(
                "{v:?} D={} K={} n={n} rows={rows} density={density} idle={idle} bp={bp}",
                p.d, p.nnz_per_cycle
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
    exercise(params(32, 512, 1)?, Variant::General)
}

#[test]
fn general_d32_two_codes_a_cycle() -> anyhow::Result<()> {
    exercise(params(32, 512, 2)?, Variant::General)
}

#[test]
fn octave_d32() -> anyhow::Result<()> {
    exercise(params(32, 512, 1)?, Variant::Octave)
}

#[test]
fn octave_d32_two_codes_a_cycle() -> anyhow::Result<()> {
    exercise(params(32, 512, 2)?, Variant::Octave)
}

#[test]
fn dense_d32() -> anyhow::Result<()> {
    exercise(params(32, 512, 1)?, Variant::Dense)
}

#[test]
fn every_build_at_d4() -> anyhow::Result<()> {
    for (v, k) in [
        (Variant::General, 1),
        (Variant::General, 2),
        (Variant::Octave, 1),
        (Variant::Octave, 2),
        (Variant::Dense, 1),
    ] {
        exercise(params(4, 64, k)?, v)?;
    }
    Ok(())
}

#[test]
fn d64_two_codes_a_cycle() -> anyhow::Result<()> {
    exercise(params(64, 512, 2)?, Variant::General)?;
    exercise(params(64, 512, 2)?, Variant::Octave)
}

#[test]
fn two_codes_a_cycle_are_faster_and_never_slower() -> anyhow::Result<()> {
    // The same jobs on K = 1 and K = 2: equal results, K = 2 never slower, about twice as fast
    // on dense rows; both as model::timing predicts.
    let (p1, p2) = (params(32, 512, 1)?, params(32, 512, 2)?);
    let (mut s1, mut s2) = (core(p1, Variant::General)?, core(p2, Variant::General)?);
    for (i, density) in [0.02, 0.1, 0.3, 0.6, 1.0].into_iter().enumerate() {
        let j = job(&p1, Variant::General, 512, 8, density, 77 + i as u64);
        let r1 = s1.run(&j, &DriveConfig::default())?;
        let r2 = s2.run(&j, &DriveConfig::default())?;
        check_job(&j, &p1, &r1.out)?;
        check_job(&j, &p2, &r2.out)?;
        assert_eq!(r1.out, r2.out);
        assert_eq!(
            r2.cycles,
            model::timing::job_cycles(&p2, Variant::General, j.codes.view()) as u64
        );
        assert!(r2.cycles <= r1.cycles, "density {density}");
        if density >= 0.6 {
            assert!(
                r2.cycles * 10 < r1.cycles * 6,
                "density {density}: K = 2 {} cycles, K = 1 {}",
                r2.cycles,
                r1.cycles
            );
        }
        eprintln!(
            "density {density}: K = 1 {} cycles, K = 2 {} ({:.2}x)",
            r1.cycles,
            r2.cycles,
            r1.cycles as f64 / r2.cycles as f64
        );
    }
    Ok(())
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
