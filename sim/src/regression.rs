//! The default regression of `cargo run -p sim`: every case through a zero-skipping core (one
//! or two non-zero codes a cycle, K = 1 or 2) and the dense baseline, each output integer
//! checked against the model (and the golden files), each stall-free cycle count checked
//! against `model::timing`; then the whole head on chip ([`on_chip`]: front end + AttnV from
//! float Q, K, V).

use crate::attnv::{AttnvJob, DriveConfig};
use crate::bench::{heads_of, measure_k, params_for, run_heads_k, Cores, Measured, Stimulus};
use crate::qkv::{run_all, run_head, run_head_checked, HeadCores, QkvHead};
use anyhow::{Context, Result};
use model::golden::{golden_dir, load_attnv_cases};
use model::params::{max_weight, NNZ_PER_CYCLE};
use model::{accumulate, Codebook, Variant};
use ndarray::Array2;
use std::fmt::Write;
use std::path::Path;

/// One row of the regression table, or a group of real-attention heads.
pub struct CaseOutcome {
    pub measured: Measured,
    pub variant: Variant,
    pub note: String,
}

fn job(d: usize, n: usize, rows: usize, density: f64, weights: &[u32], seed: u64) -> AttnvJob {
    let p = params_for(d).expect("configured width");
    let mut j = AttnvJob::random(&p, n, rows, density, false, seed);
    j.weights = weights.to_vec();
    j
}

#[allow(clippy::too_many_arguments)]
fn run_one(
    cores: &mut Cores,
    out: &mut Vec<CaseOutcome>,
    name: &str,
    variant: Variant,
    k: usize,
    job: &AttnvJob,
    stim: Stimulus,
    note: &str,
) -> Result<()> {
    let want = accumulate(job.codes.view(), job.vq.view(), &job.weights);
    let measured = measure_k(cores, name, variant, k, job, &want, stim)?;
    out.push(CaseOutcome {
        measured,
        variant,
        note: note.into(),
    });
    Ok(())
}

/// Runs the whole regression; `fixture` is the real-attention directory (P and V).
pub fn run(cores: &mut Cores, seed: u64, fixture: &Path) -> Result<Vec<CaseOutcome>> {
    let log3 = Codebook::log(3, 1e-3)?.weights().w;
    let oct3 = Codebook::octave(3)?.weights().w;
    let mut out = Vec::new();
    let stall = Stimulus {
        idle: 0.3,
        backpressure: 0.5,
        seed,
    };

    for nnz_k in NNZ_PER_CYCLE {
        for (d, variant, w) in [(64, Variant::General, &log3), (32, Variant::Octave, &oct3)] {
            for (s, density) in [0.0, 0.01, 0.05, 0.2, 0.5, 1.0].into_iter().enumerate() {
                let j = job(d, 512, 32, density, w, seed + s as u64);
                run_one(
                    cores,
                    &mut out,
                    &format!("density {:.0}%", density * 100.0),
                    variant,
                    nnz_k,
                    &j,
                    Stimulus::default(),
                    "",
                )?;
            }
        }
    }
    for (d, variant, w, nnz_k) in [
        (64, Variant::General, &log3, 1),
        (32, Variant::Octave, &oct3, 1),
        (64, Variant::Octave, &oct3, 1),
        (64, Variant::General, &log3, 2),
        (32, Variant::Octave, &oct3, 2),
    ] {
        for (s, density) in [0.01, 0.2].into_iter().enumerate() {
            let j = job(d, 512, 32, density, w, seed + 10 + s as u64);
            let name = format!("density {:.0}% + stalls", density * 100.0);
            run_one(
                cores,
                &mut out,
                &name,
                variant,
                nnz_k,
                &j,
                Stimulus {
                    seed: seed + 12 + s as u64,
                    ..stall
                },
                "30% idle inputs, 50% back-pressure",
            )?;
        }
    }

    // All-zero rows between non-zero ones, n not a multiple of W.
    let mut j = job(64, 300, 12, 0.1, &log3, seed + 20);
    for i in [0, 3, 4, 11] {
        j.codes.row_mut(i).fill(0);
    }
    for nnz_k in NNZ_PER_CYCLE {
        run_one(
            cores,
            &mut out,
            "all-zero rows",
            Variant::General,
            nnz_k,
            &j,
            Stimulus::default(),
            "rows 0, 3, 4, 11 empty",
        )?;
    }

    for nnz_k in NNZ_PER_CYCLE {
        let j = job(32, 1, 16, 0.5, &log3, seed + 21);
        run_one(
            cores,
            &mut out,
            "n = 1",
            Variant::General,
            nnz_k,
            &j,
            Stimulus::default(),
            "",
        )?;
        let j = job(64, 512, 8, 0.3, &log3, seed + 22);
        run_one(
            cores,
            &mut out,
            "n = N_MAX",
            Variant::General,
            nnz_k,
            &j,
            Stimulus::default(),
            "",
        )?;
    }

    // Extreme V and the largest weights: the accumulator's bound, both signs.
    let mut wmax = vec![max_weight(); 8];
    wmax[0] = 0;
    for (d, nnz_k) in [(32, 1), (64, 1), (64, 2)] {
        let mut j = job(d, 512, 4, 1.0, &wmax, seed + 23);
        j.vq = Array2::from_shape_fn((512, d), |(_, l)| if l < d / 2 { 127 } else { -127 });
        j.codes.fill(7);
        j.codes.row_mut(1).fill(1);
        run_one(
            cores,
            &mut out,
            "extreme V, max weights",
            Variant::General,
            nnz_k,
            &j,
            Stimulus::default(),
            "|acc| reaches N_MAX (2^16-1) 127",
        )?;
    }

    // Every code value, at every position, with random (poisoned w[0]) weights.
    let p = params_for(64)?;
    let mut j = AttnvJob::random(&p, 64, 16, 1.0, true, seed + 24);
    j.codes = Array2::from_shape_fn((16, 64), |(i, jj)| ((i + jj) % 8) as u8);
    for nnz_k in NNZ_PER_CYCLE {
        run_one(
            cores,
            &mut out,
            "every code value",
            Variant::General,
            nnz_k,
            &j,
            Stimulus::default(),
            "w[0] != 0 is ignored",
        )?;
    }

    // Reset between jobs: abort a job mid-way (the driver resets the core), then a full job.
    for nnz_k in NNZ_PER_CYCLE {
        let aborted = job(64, 512, 16, 0.3, &log3, seed + 25);
        let sim = cores.get_k(64, Variant::General, nnz_k, false)?;
        let cut = sim.run(
            &aborted,
            &DriveConfig {
                max_cycles: Some(200),
                ..Default::default()
            },
        );
        let j = job(64, 512, 16, 0.3, &log3, seed + 26);
        let note = if cut.is_err() {
            "after a job cut off at 200 cycles"
        } else {
            "cut-off job unexpectedly finished"
        };
        run_one(
            cores,
            &mut out,
            "reset between jobs",
            Variant::General,
            nnz_k,
            &j,
            Stimulus::default(),
            note,
        )?;
    }

    out.extend(golden(cores)?);
    for nnz_k in NNZ_PER_CYCLE {
        for cb in [Codebook::log(3, 1e-3)?, Codebook::octave(3)?] {
            out.push(real_attention_k(cores, fixture, &cb, nnz_k)?);
        }
    }
    Ok(out)
}

/// The shared golden vectors (`tests/golden/attnv`), each through the general core and, when its
/// weights are the octave codebook's, the octave core too, at K = 1 and 2 (and the dense
/// baseline), checked against the golden files' expected output.
pub fn golden(cores: &mut Cores) -> Result<Vec<CaseOutcome>> {
    let oct = Codebook::octave(3)?.weights().w;
    let mut out = Vec::new();
    for case in
        load_attnv_cases(&golden_dir().join("attnv")).context("loading tests/golden/attnv")?
    {
        let j = AttnvJob {
            weights: case.weights.clone(),
            vq: case.vq.clone(),
            codes: case.codes.clone(),
        };
        let mut variants = vec![Variant::General];
        if case.weights == oct {
            variants.push(Variant::Octave);
        }
        for nnz_k in NNZ_PER_CYCLE {
            for &v in &variants {
                let m = measure_k(
                    cores,
                    &format!("golden {}", case.name),
                    v,
                    nnz_k,
                    &j,
                    &case.expected,
                    Stimulus::default(),
                )?;
                out.push(CaseOutcome {
                    measured: m,
                    variant: v,
                    note: "vs tests/golden".into(),
                });
            }
        }
    }
    Ok(out)
}

/// Every head of real attention in `fixture` (`probs.npy`, `v.npy`) through the core that suits
/// `cb` (K = 1) and the dense baseline, summed.
pub fn real_attention(cores: &mut Cores, fixture: &Path, cb: &Codebook) -> Result<CaseOutcome> {
    real_attention_k(cores, fixture, cb, 1)
}

/// [`real_attention`] on the core issuing K = `k` non-zero codes a cycle.
pub fn real_attention_k(
    cores: &mut Cores,
    fixture: &Path,
    cb: &Codebook,
    k: usize,
) -> Result<CaseOutcome> {
    let p = model::npy::read_probs(&fixture.join("probs.npy"))?;
    let v = model::npy::read_finite_f32(&fixture.join("v.npy"))?;
    let heads = heads_of(&p, &v, cb)?;
    let ms = run_heads_k(cores, &heads, cb, k, None)?;
    let name = format!("MiniLM {} ({} heads)", cb.describe(), heads.len());
    Ok(CaseOutcome {
        measured: Measured::total(&name, &ms),
        variant: model::Variant::for_codebook(cb),
        note: "real attention".into(),
    })
}

/// The regression table.
pub fn table(outcomes: &[CaseOutcome]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:<32} {:<8} {:>1} {:>4} {:>3} {:>8} {:>9} {:>9} {:>6} {:>9} {:>7} {:>7} {:>5}  note",
        "case",
        "variant",
        "K",
        "n",
        "D",
        "nnz",
        "cycles",
        "ideal",
        "eff",
        "dense",
        "speedup",
        "ideal×",
        "exact"
    );
    for o in outcomes {
        let m = &o.measured;
        let exact = match (m.bit_exact, m.cycles_as_predicted) {
            (false, _) => "NO",
            (true, Some(false)) => "cyc!",
            (true, _) => "yes",
        };
        let _ = writeln!(
            s,
            "{:<32} {:<8} {:>1} {:>4} {:>3} {:>8} {:>9} {:>9} {:>6.3} {:>9} {:>7.2} {:>7.2} {:>5}  {}",
            m.name,
            format!("{:?}", o.variant).to_lowercase(),
            m.k,
            m.n,
            m.d,
            m.nnz,
            m.cycles,
            m.ideal_cycles,
            m.efficiency(),
            m.dense_cycles,
            m.speedup(),
            m.ideal_speedup(),
            exact,
            o.note
        );
    }
    s
}

/// The whole head on chip (front end + AttnV): synthetic heads of every supported size, a key
/// mask, idle inputs and back-pressure, and every MiniLM head (Q, K, V of `fixture`) with both
/// codebooks and with a key-padding mask; one row per case (the MiniLM rows are totals).
pub fn on_chip(cores: &mut HeadCores, seed: u64, fixture: &Path) -> Result<Vec<QkvHead>> {
    use rand::{Rng, SeedableRng};
    let log3 = Codebook::log(3, 1e-3)?;
    let oct3 = Codebook::octave(3)?;
    let mut out = Vec::new();
    let stall = DriveConfig {
        seed,
        idle_prob: 0.3,
        backpressure_prob: 0.5,
        ..Default::default()
    };
    // (d, n, rows, valid length, spread, codebook, stalls)
    let cases = [
        (64, 512, 12, 512, 3.0f32, &log3, false),
        (64, 128, 24, 128, 3.0, &log3, false),
        (32, 512, 12, 512, 4.0, &oct3, false),
        (32, 128, 24, 90, 3.0, &log3, false),
        (64, 300, 10, 200, 3.0, &log3, true),
        (32, 37, 9, 37, 2.0, &oct3, true),
        (64, 1, 3, 1, 1.0, &log3, false),
    ];
    for (c, &(d, n, rows, vlen, spread, cb, stalls)) in cases.iter().enumerate() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed + 100 + c as u64);
        let mut gen = |r: usize, s: f32| {
            ndarray::Array2::from_shape_fn((r, d), |_| rng.gen_range(-1.0f32..1.0) * s)
        };
        let (q, k, v) = (gen(rows, spread), gen(n, spread), gen(n, 2.0));
        let name = format!(
            "{} n={n} D={d}{}{}",
            if cb.kind() == model::CodebookKind::Octave {
                "octave"
            } else {
                "log"
            },
            if vlen < n {
                format!(" valid {vlen}")
            } else {
                String::new()
            },
            if stalls { " + stalls" } else { "" }
        );
        let cfg = if stalls {
            stall.clone()
        } else {
            DriveConfig::default()
        };
        out.push(run_head(
            cores,
            &name,
            cb,
            q.view(),
            k.view(),
            v.view(),
            vlen,
            &cfg,
        )?);
    }
    out.extend(golden_heads(cores)?);
    let q = model::npy::read_finite_f32(&fixture.join("q.npy"))?;
    let k = model::npy::read_finite_f32(&fixture.join("k.npy"))?;
    let v = model::npy::read_finite_f32(&fixture.join("v.npy"))?;
    for (cb, vlen) in [(&log3, None), (&oct3, None), (&log3, Some(100))] {
        let heads = run_all(cores, cb, &q, &k, &v, vlen)?;
        let mut t = QkvHead::total(&heads);
        t.name = format!(
            "MiniLM {} {}heads",
            if cb.kind() == model::CodebookKind::Octave {
                "octave"
            } else {
                "log"
            },
            vlen.map_or(String::new(), |l| format!("valid {l} ")),
        );
        out.push(t);
    }
    Ok(out)
}

/// The shared whole-head golden vectors (`tests/golden/head`) through the on-chip head: the
/// front end's integers, the codes and the output must equal the files.
pub fn golden_heads(cores: &mut HeadCores) -> Result<Vec<QkvHead>> {
    let cases = model::golden::load_head_cases(&golden_dir().join("head"))
        .context("loading tests/golden/head")?;
    cases
        .iter()
        .map(|c| {
            let cb = c.codebook()?;
            run_head_checked(
                cores,
                &format!("golden {}", c.name),
                &cb,
                c.q.view(),
                c.k.view(),
                c.v.view(),
                c.valid_len,
                &DriveConfig::default(),
                Some(c),
            )
        })
        .collect()
}

/// The link: every golden head through the simulated board built for its D and codebook (the
/// board design with its framer, `hdl::link::link_head::LinkHead`) as four frames: an info request,
/// the head, a copy with a flipped payload bit (answered *bad CRC*, nothing computed) and the
/// head again; the response bytes must equal `model::link::Device`'s.
pub fn link(seed: u64) -> Result<Vec<crate::board::LinkCase>> {
    use crate::board::{link_case, SimBoard};
    use crate::verilator::BuildOptions;
    use rand::{Rng, SeedableRng};
    let cases = model::golden::load_head_cases(&golden_dir().join("head"))
        .context("loading tests/golden/head")?;
    let mut boards: Vec<SimBoard> = Vec::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    for c in &cases {
        let cb = c.codebook()?;
        let cfg = hdl::Build::head_board(c.q.ncols(), &cb)?;
        let at = match boards.iter().position(|b| {
            let h = b.config();
            *h == cfg
        }) {
            Some(i) => i,
            None => {
                boards.push(SimBoard::new(&cfg, &BuildOptions::default())?);
                boards.len() - 1
            }
        };
        let good = c.request(1)?.encode()?;
        let mut bad = c.request(2)?.encode()?;
        let i = rng.gen_range(model::link::REQ_HEADER_LEN..bad.len() - 4);
        bad[i] ^= 1 << rng.gen_range(0..8);
        let frames = vec![
            model::link::Request::info(0).encode()?,
            good,
            bad,
            c.request(3)?.encode()?,
        ];
        out.push(link_case(&mut boards[at], &c.name, &frames));
    }
    Ok(out)
}
