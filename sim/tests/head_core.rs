//! The whole head (`hdl::head_verilog`: front end + AttnV) in Verilator at P = 1, 2, 4, 8 keys a
//! cycle, driven by `sim::head` and checked integer-for-integer against `model::frontend` +
//! `model::accumulate`, and cycle-for-cycle against `model::timing::head_cycles` when nothing
//! idles or back-pressures: random heads over every compiled head width (D = 4, 32, 64), n from
//! 1 to N_MAX (multiples of P and 16 or not), valid lengths below n, idle inputs and
//! back-pressure; the golden head vectors; MiniLM fixture heads.

use hdl::configs::MultiplierSplit;
use model::frontend::{front_end, FrontEndParams};
use model::{accumulate, quantize_v, Codebook, CoreParams, Variant};
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sim::attnv::DriveConfig;
use sim::head::{HeadJob, HeadSim};
use sim::verilator::BuildOptions;

struct Case {
    job: HeadJob,
    codes: Array2<u8>,
}

/// A random head: Q, K uniform in +-spread (peaked softmax rows when large), V uniform.
fn case(
    fe: &FrontEndParams,
    cb: &Codebook,
    (n, rows, vlen, spread): (usize, usize, usize, f32),
    seed: u64,
) -> Case {
    let mut rng = StdRng::seed_from_u64(seed);
    let d = fe.d;
    let q = Array2::from_shape_fn((rows, d), |_| rng.gen_range(-1.0f32..1.0) * spread);
    let k = Array2::from_shape_fn((n, d), |_| rng.gen_range(-1.0f32..1.0) * spread);
    let v = Array2::from_shape_fn((n, d), |_| rng.gen_range(-2.0f32..2.0));
    let t = front_end(fe, cb, q.view(), k.view(), vlen).unwrap();
    let vq = quantize_v(v.view()).unwrap().vq;
    Case {
        job: HeadJob::from_trace(&t, vq, vlen).unwrap(),
        codes: t.ints.codes,
    }
}

fn codebook(variant: Variant) -> Codebook {
    match variant {
        Variant::Octave => Codebook::octave(3).unwrap(),
        _ => Codebook::log(3, 1e-3).unwrap(),
    }
}

fn head(
    d: usize,
    n_max: usize,
    p: usize,
    k: usize,
    variant: Variant,
    split: Option<&MultiplierSplit>,
) -> (HeadSim, FrontEndParams) {
    let core = CoreParams::hardware(d, n_max)
        .unwrap()
        .with_nnz_per_cycle(k)
        .unwrap();
    let fe = FrontEndParams::hardware(d, n_max)
        .with_keys_per_cycle(p)
        .unwrap();
    let v = hdl::head_verilog_split(&core, variant, &fe, &codebook(variant), split).unwrap();
    (
        HeadSim::new(&v, core, &BuildOptions::default()).unwrap(),
        fe,
    )
}

/// Each shape alone (bit-exact, on the predicted cycles), then all back to back with idle
/// inputs and back-pressure (bit-exact).
fn run(d: usize, n_max: usize, p: usize, variant: Variant, shapes: &[(usize, usize, usize, f32)]) {
    run_k(d, n_max, p, 1, variant, shapes)
}

/// [`run`] on a head whose core issues K = `k` non-zero codes a cycle.
fn run_k(
    d: usize,
    n_max: usize,
    p: usize,
    k: usize,
    variant: Variant,
    shapes: &[(usize, usize, usize, f32)],
) {
    run_split(d, n_max, p, k, variant, None, shapes)
}

/// [`run_k`] on a head whose multipliers are split between DSP blocks and LUTs as `split`
/// says (`None`: all written for DSP blocks).
fn run_split(
    d: usize,
    n_max: usize,
    p: usize,
    k: usize,
    variant: Variant,
    split: Option<&MultiplierSplit>,
    shapes: &[(usize, usize, usize, f32)],
) {
    let (mut sim, fe) = head(d, n_max, p, k, variant, split);
    let core = *sim.params();
    let cb = codebook(variant);
    let w = cb.weights().w;
    let cases: Vec<Case> = shapes
        .iter()
        .enumerate()
        .map(|(i, &s)| case(&fe, &cb, s, 77 + i as u64))
        .collect();
    let at = |i: usize| format!("D={d} P={p} K={k} {variant:?} case {i} {:?}", shapes[i]);
    for (i, c) in cases.iter().enumerate() {
        let nnz = c.codes.iter().filter(|&&x| x != 0).count();
        assert!(
            nnz > 0 || c.job.valid_len == 0,
            "{}: degenerate codes",
            at(i)
        );
        let want = accumulate(c.codes.view(), c.job.vq.view(), &w);
        let r = sim
            .run(&w, std::slice::from_ref(&c.job), &DriveConfig::default())
            .unwrap();
        assert_eq!(r.out[0], want, "{}: output differs from model", at(i));
        let predicted = model::timing::head_cycles(&core, p, variant, c.codes.view());
        assert_eq!(r.cycles as usize, predicted, "{}: cycles", at(i));
    }
    let jobs: Vec<HeadJob> = cases.iter().map(|c| c.job.clone()).collect();
    for (idle, bp, seed) in [(0.0, 0.0, 1), (0.3, 0.5, 2), (0.7, 0.9, 3)] {
        let cfg = DriveConfig {
            seed,
            idle_prob: idle,
            backpressure_prob: bp,
            ..Default::default()
        };
        let r = sim.run(&w, &jobs, &cfg).unwrap();
        for (i, c) in cases.iter().enumerate() {
            let want = accumulate(c.codes.view(), c.job.vq.view(), &w);
            assert_eq!(
                r.out[i],
                want,
                "{} back to back (idle {idle}, bp {bp})",
                at(i)
            );
        }
    }
}

/// (n, rows, valid length, spread) at N_MAX = 64: partial groups and beats, masking (valid
/// length 0 and inside a group), one key, n = N_MAX, flat and peaked rows.
const SMALL: [(usize, usize, usize, f32); 10] = [
    (20, 3, 20, 3.0),
    (64, 5, 40, 4.0),
    (1, 2, 1, 1.0),
    (37, 4, 0, 2.0),
    (64, 2, 64, 0.3),
    (16, 7, 16, 6.0),
    (7, 5, 5, 3.0),
    (33, 3, 31, 3.0),
    (63, 4, 63, 4.0),
    (9, 9, 9, 2.0),
];

/// The same at N_MAX = 512.
const LARGE: [(usize, usize, usize, f32); 6] = [
    (128, 6, 128, 3.0),
    (300, 3, 211, 3.0),
    (512, 2, 512, 4.0),
    (77, 5, 60, 3.0),
    (1, 2, 1, 1.0),
    (45, 9, 45, 2.0),
];

#[test]
fn d4_heads_at_every_p_and_variant() {
    for p in [1, 2, 4, 8] {
        run(4, 64, p, Variant::General, &SMALL);
        run(4, 64, p, Variant::Octave, &SMALL);
    }
    for p in [1, 4] {
        run(4, 64, p, Variant::Dense, &SMALL);
    }
}

#[test]
fn d4_heads_at_two_nonzeros_a_cycle() {
    for p in [1, 2, 4, 8] {
        run_k(4, 64, p, 2, Variant::General, &SMALL);
        run_k(4, 64, p, 2, Variant::Octave, &SMALL);
    }
}

#[test]
fn d64_heads_at_two_nonzeros_a_cycle() {
    for p in [4, 8] {
        run_k(64, 512, p, 2, Variant::General, &LARGE);
        run_k(64, 512, p, 2, Variant::Octave, &LARGE[..3]);
    }
}

/// Heads whose products are built partly in LUTs (`head_verilog_split`): the same outputs and
/// cycles. D = 4 with few DSP blocks, so that the split cuts through ScaleShift's, the lanes'
/// and the score units' products; D = 64 as the ECP5-85F (156 DSP blocks) and the XC7A50T
/// (120) split their largest heads.
#[test]
fn heads_with_products_in_luts() {
    use hdl::boards::{board_resources, Family};
    for (p, k, variant, dsps) in [
        (2, 2, Variant::General, 14),
        (4, 1, Variant::General, 0),
        (8, 2, Variant::Octave, 45),
        (1, 2, Variant::General, 7),
    ] {
        let lane = MultiplierSplit::lane_products(variant, 4, k);
        let s = MultiplierSplit::new(Family::Ecp5, dsps, 4, p, lane);
        assert!(
            s.score_in_luts > 0,
            "P={p}: the split must put score products in LUTs"
        );
        assert!(
            s.lane_in_luts > 0 || lane == 0 || dsps == 45,
            "P={p}, K={k}: and lane products"
        );
        run_split(4, 64, p, k, variant, Some(&s), &SMALL);
    }
    for (board, p, k, variant) in [
        ("ulx3s", 4, 2, Variant::General),
        ("ulx3s", 4, 2, Variant::Octave),
        ("xem7010", 2, 2, Variant::General),
    ] {
        let r = board_resources(board).unwrap();
        let lane = MultiplierSplit::lane_products(variant, 64, k);
        let s = MultiplierSplit::new(r.family, r.dsp_blocks, 64, p, lane);
        assert!(s.score_in_luts > 0);
        run_split(64, 512, p, k, variant, Some(&s), &LARGE[..3]);
    }
}

#[test]
fn d32_heads_at_every_p() {
    for p in [1, 2, 4, 8] {
        run(32, 512, p, Variant::General, &LARGE);
        run(32, 512, p, Variant::Octave, &LARGE[..3]);
    }
}

#[test]
fn d64_heads_at_every_p() {
    for p in [1, 2, 4, 8] {
        run(64, 512, p, Variant::General, &LARGE);
    }
    run(64, 512, 4, Variant::Octave, &LARGE);
}

#[test]
fn golden_head_vectors_at_every_p() {
    for p in [1, 2, 4, 8] {
        let mut cores = sim::qkv::HeadCores::default()
            .with_keys_per_cycle(p)
            .unwrap();
        let rows = sim::regression::golden_heads(&mut cores).unwrap();
        assert!(rows.len() >= 5);
        for r in &rows {
            assert!(r.ok(), "P={p} {}: {:?}", r.name, r.error);
            assert_eq!(r.p, p);
            assert_eq!(r.cycles_model, Some(r.cycles), "P={p} {}", r.name);
        }
    }
}

#[test]
fn minilm_heads_at_every_p() {
    // MiniLM fixture heads on the D = 32 head (with a key mask on one), and padded to D = 64:
    // bit-exact, on the predicted cycles, and no slower with more keys a cycle.
    use ndarray::{s, Array4};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/minilm");
    let q: Array4<f32> = ndarray_npy::read_npy(dir.join("q.npy")).unwrap();
    let k: Array4<f32> = ndarray_npy::read_npy(dir.join("k.npy")).unwrap();
    let v: Array4<f32> = ndarray_npy::read_npy(dir.join("v.npy")).unwrap();
    let padded = sim::headbench::minilm_heads().unwrap();
    for variant in [Variant::General, Variant::Octave] {
        let cb = codebook(variant);
        let mut last = [None; 3];
        for p in [1, 2, 4, 8] {
            let mut cores = sim::qkv::HeadCores::default()
                .with_keys_per_cycle(p)
                .unwrap();
            let mut got = [None; 3];
            for (i, (layer, head, vlen)) in [(0, 0, 128), (3, 7, 100)].into_iter().enumerate() {
                let h = sim::qkv::run_head(
                    &mut cores,
                    &format!("layer {layer} head {head}"),
                    &cb,
                    q.slice(s![layer, head, .., ..]),
                    k.slice(s![layer, head, .., ..]),
                    v.slice(s![layer, head, .., ..]),
                    vlen,
                    &DriveConfig::default(),
                )
                .unwrap();
                assert!(h.ok(), "P={p} {variant:?} {}: {:?}", h.name, h.error);
                got[i] = Some(h.cycles);
            }
            if p == 4 || variant == Variant::General {
                let (qh, kh, vh) = &padded[5 * 12 + 3];
                let h = sim::qkv::run_head(
                    &mut cores,
                    "layer 5 head 3, D = 64",
                    &cb,
                    qh.view(),
                    kh.view(),
                    vh.view(),
                    128,
                    &DriveConfig::default(),
                )
                .unwrap();
                assert!(h.ok(), "P={p} {variant:?} {}: {:?}", h.name, h.error);
                got[2] = Some(h.cycles);
            }
            for (g, l) in got.iter().zip(&mut last) {
                if let Some(g) = g {
                    assert!(l.is_none_or(|l| *g <= l), "P={p} {variant:?}: {got:?}");
                    *l = Some(*g);
                }
            }
            eprintln!("P={p} {variant:?}: cycles {got:?}");
        }
    }
}
