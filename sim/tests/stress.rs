//! Random jobs through the Verilated hardware, every output integer checked against the model:
//! AttnV rows (random shapes and densities, every variant, idle inputs and back-pressure) and
//! whole-head rows (random shapes, masks and score spreads, heads back to back, idle and
//! back-pressure). Without stalls every cycle count is checked against `model::timing` too.
//!
//! `cargo test` runs 3,000 AttnV rows and 1,000 head rows on the widths the other tests build;
//! `make stress` ([`model::stress`]) runs 10^6 and 10^5, at D = 32 and 64 (heads also at D = 4).

use model::frontend::{front_end, FrontEndParams};
use model::{accumulate, quantize_v, stress, Codebook, CoreParams, Variant};
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sim::attnv::{AttnvJob, AttnvSim, DriveConfig, ResetSpec};
use sim::head::{HeadJob, HeadSim};
use sim::verilator::BuildOptions;
use std::time::Instant;

/// Idle and back-pressure probabilities: none a third of the time (then cycles are checked),
/// else random.
fn stimulus(rng: &mut StdRng) -> (f64, f64) {
    if rng.gen_bool(1.0 / 3.0) {
        (0.0, 0.0)
    } else {
        (rng.gen_range(0.0..0.7), rng.gen_range(0.0..0.8))
    }
}

/// A number of keys: any up to `n_max`, short rows, and the edges of a 16-code beat.
fn keys(rng: &mut StdRng, n_max: usize) -> usize {
    match rng.gen_range(0..4) {
        0 | 1 => rng.gen_range(1..=n_max),
        2 => rng.gen_range(1..=32.min(n_max)),
        _ => {
            let b = rng.gen_range(1..=n_max / 16);
            (16 * b + rng.gen_range(0..=1)).min(n_max)
        }
    }
}

#[test]
fn random_attnv_rows_are_bit_exact() -> anyhow::Result<()> {
    let target = stress::count(3_000, 1_000_000);
    let widths: &[usize] = if stress::active() { &[32, 64] } else { &[32] };
    let mut cores = Vec::new();
    for &d in widths {
        for v in [Variant::General, Variant::Octave, Variant::Dense] {
            let p = CoreParams::hardware(d, 512)?;
            let sim = AttnvSim::new(
                &hdl::attnv_verilog(&p, v)?,
                "top",
                p,
                &ResetSpec::default(),
                &BuildOptions::default(),
            )?;
            cores.push((p, v, sim));
        }
    }
    let t = Instant::now();
    let mut rng = StdRng::seed_from_u64(2024);
    let (mut rows, mut jobs, mut stalled, mut timed, mut cycles) = (0u64, 0u64, 0u64, 0u64, 0u64);
    while rows < target {
        let k = jobs as usize % cores.len();
        let (p, v, sim) = &mut cores[k];
        let n = keys(&mut rng, p.n_max);
        let r = rng.gen_range(1..=32);
        let density = match rng.gen_range(0..4) {
            0 => 0.0,
            1 => 1.0,
            2 => rng.gen::<f64>(),
            _ => rng.gen::<f64>().powi(3),
        };
        let seed = rng.gen();
        let job = AttnvJob::random_for(p, *v, n, r, density, seed);
        let (idle, bp) = stimulus(&mut rng);
        let cfg = DriveConfig {
            seed,
            idle_prob: idle,
            backpressure_prob: bp,
            ..Default::default()
        };
        let what = format!(
            "{v:?} D={} n={n} rows={r} density={density:.3} idle={idle:.2} bp={bp:.2} seed={seed}",
            p.d
        );
        let run = sim.run(&job, &cfg).map_err(|e| e.context(what.clone()))?;
        sim::check::check_job(&job, p, &run.out).map_err(|e| e.context(what.clone()))?;
        if idle == 0.0 && bp == 0.0 {
            let want = model::timing::job_cycles(p, *v, job.codes.view()) as u64;
            anyhow::ensure!(
                run.cycles == want,
                "{what}: {} cycles, model::timing predicts {want}",
                run.cycles
            );
            timed += 1;
        } else {
            stalled += 1;
        }
        rows += r as u64;
        jobs += 1;
        cycles += run.total_cycles;
    }
    stress::record(
        "sim: random AttnV rows, bit-exact",
        &[
            ("rows", rows as f64),
            ("jobs", jobs as f64),
            ("jobs_with_idle_or_backpressure", stalled as f64),
            ("jobs_cycle_checked", timed as f64),
            ("configurations", cores.len() as f64),
            ("cycles", cycles as f64),
            ("wrong", 0.0),
            ("seconds", t.elapsed().as_secs_f64()),
        ],
    );
    Ok(())
}

/// One random head of `fe`'s width: Q, K with a spread of scores from flat to peaked, V
/// uniform, a random valid length; its job and its codes (`None` if the scales fall outside
/// what the hardware takes, which random data rarely does).
fn random_head(
    rng: &mut StdRng,
    fe: &FrontEndParams,
    cb: &Codebook,
) -> Option<(HeadJob, Array2<u8>)> {
    let d = fe.d;
    let n = keys(rng, fe.n_max);
    let rows = rng.gen_range(1..=32.min(fe.n_max));
    let vlen = if rng.gen_bool(0.5) {
        n
    } else {
        rng.gen_range(1..=n)
    };
    let spread: f32 = rng.gen_range(0.1..8.0);
    let mut u =
        |r: usize, s: f32| Array2::from_shape_fn((r, d), |_| rng.gen_range(-1.0f32..1.0) * s);
    let (q, k, v) = (u(rows, spread), u(n, spread), u(n, 2.0));
    let t = front_end(fe, cb, q.view(), k.view(), vlen).ok()?;
    let vq = quantize_v(v.view()).ok()?.vq;
    let job = HeadJob::from_trace(&t, vq, vlen).ok()?;
    Some((job, t.ints.codes))
}

#[test]
fn random_head_rows_are_bit_exact() -> anyhow::Result<()> {
    let target = stress::count(1_000, 100_000);
    let shapes: &[(usize, usize)] = if stress::active() {
        &[(4, 64), (32, 512), (64, 128)]
    } else {
        &[(4, 64)]
    };
    let mut heads = Vec::new();
    for &(d, n_max) in shapes {
        for cb in [Codebook::log(3, 1e-3)?, Codebook::octave(3)?] {
            let v = Variant::for_codebook(&cb);
            let p = CoreParams::new(d, n_max, 16, 3)?;
            let fe = FrontEndParams {
                d,
                n_max,
                ..Default::default()
            };
            let sim = HeadSim::new(
                &hdl::head_verilog(&p, v, &fe, &cb)?,
                p,
                &BuildOptions::default(),
            )?;
            heads.push((p, fe, cb, v, sim));
        }
    }
    let t = Instant::now();
    let mut rng = StdRng::seed_from_u64(2025);
    let (mut rows, mut runs, mut head_jobs, mut stalled, mut timed, mut cycles) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    while rows < target {
        let k = runs as usize % heads.len();
        let (p, fe, cb, v, sim) = &mut heads[k];
        let count = if rng.gen_bool(0.5) {
            1
        } else {
            rng.gen_range(2..=3)
        };
        let batch: Vec<(HeadJob, Array2<u8>)> = (0..count)
            .filter_map(|_| random_head(&mut rng, fe, cb))
            .collect();
        if batch.is_empty() {
            continue;
        }
        let (idle, bp) = stimulus(&mut rng);
        let cfg = DriveConfig {
            seed: rng.gen(),
            idle_prob: idle,
            backpressure_prob: bp,
            ..Default::default()
        };
        let w = cb.weights().w;
        let jobs: Vec<HeadJob> = batch.iter().map(|b| b.0.clone()).collect();
        let what = format!(
            "{v:?} D={} heads {:?} idle={idle:.2} bp={bp:.2} seed={}",
            p.d,
            jobs.iter()
                .map(|j| (j.kq.nrows(), j.qq.nrows(), j.valid_len))
                .collect::<Vec<_>>(),
            cfg.seed
        );
        let run = sim
            .run(&w, &jobs, &cfg)
            .map_err(|e| e.context(what.clone()))?;
        for (i, (job, codes)) in batch.iter().enumerate() {
            let want = accumulate(codes.view(), job.vq.view(), &w);
            anyhow::ensure!(
                run.out[i] == want,
                "{what}: head {i} differs from the model"
            );
            rows += job.qq.nrows() as u64;
        }
        if batch.len() == 1 && idle == 0.0 && bp == 0.0 {
            let want = model::timing::head_cycles(p, 1, *v, batch[0].1.view()) as u64;
            anyhow::ensure!(
                run.cycles == want,
                "{what}: {} cycles, model::timing predicts {want}",
                run.cycles
            );
            timed += 1;
        }
        stalled += u64::from(idle > 0.0 || bp > 0.0);
        runs += 1;
        head_jobs += batch.len() as u64;
        cycles += run.cycles;
    }
    anyhow::ensure!(timed > 0, "no run was cycle-checked");
    stress::record(
        "sim: random whole-head rows, bit-exact",
        &[
            ("rows", rows as f64),
            ("heads", head_jobs as f64),
            ("runs", runs as f64),
            ("runs_with_idle_or_backpressure", stalled as f64),
            ("heads_cycle_checked", timed as f64),
            ("configurations", heads.len() as f64),
            ("cycles", cycles as f64),
            ("wrong", 0.0),
            ("seconds", t.elapsed().as_secs_f64()),
        ],
    );
    Ok(())
}
