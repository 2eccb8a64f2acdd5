//! The whole head (`hdl::head_verilog`: front end + AttnV) in Verilator, driven by `sim::head`
//! and checked integer-for-integer against `model::frontend` + `model::accumulate`, and
//! cycle-for-cycle against `model::timing::head_cycles` when nothing idles or back-pressures.

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

/// A random head: Q, K with a few strong keys (peaked softmax rows), V uniform.
fn case(
    fe: &FrontEndParams,
    cb: &Codebook,
    n: usize,
    rows: usize,
    vlen: usize,
    spread: f32,
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

fn run(
    d: usize,
    n_max: usize,
    variant: Variant,
    cb: &Codebook,
    shapes: &[(usize, usize, usize, f32)],
) {
    let p = CoreParams::new(d, n_max, 16, 3).unwrap();
    let fe = FrontEndParams {
        d,
        n_max,
        ..Default::default()
    };
    let mut sim = HeadSim::new(
        &hdl::head_verilog(&p, variant, &fe, cb).unwrap(),
        p,
        &BuildOptions::default(),
    )
    .unwrap();
    let w = cb.weights().w;
    let cases: Vec<Case> = shapes
        .iter()
        .enumerate()
        .map(|(i, &(n, rows, vlen, spread))| case(&fe, cb, n, rows, vlen, spread, 77 + i as u64))
        .collect();
    for (i, c) in cases.iter().enumerate() {
        let nnz = c.codes.iter().filter(|&&x| x != 0).count();
        assert!(
            nnz > 0 || c.job.valid_len == 0,
            "case {i}: degenerate codes"
        );
        let want = accumulate(c.codes.view(), c.job.vq.view(), &w);
        let r = sim
            .run(&w, std::slice::from_ref(&c.job), &DriveConfig::default())
            .unwrap();
        assert_eq!(
            r.out[0], want,
            "{variant:?} case {i} {:?}: output differs from model",
            shapes[i]
        );
        let predicted = model::timing::head_cycles(&p, 1, variant, c.codes.view());
        assert_eq!(
            r.cycles as usize, predicted,
            "{variant:?} case {i} {:?}: cycles vs model::timing",
            shapes[i]
        );
    }
    // Every head back to back, with idles and back-pressure: still bit-exact.
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
                r.out[i], want,
                "{variant:?} back-to-back head {i} (idle {idle}, bp {bp})"
            );
        }
    }
}

#[test]
fn small_head_is_exact_and_on_time() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    // (n, rows, valid length, spread): a partial beat, masking, one key, full N_MAX, flat and peaked.
    let shapes = [
        (20, 3, 20, 3.0),
        (64, 5, 40, 4.0),
        (1, 2, 1, 1.0),
        (37, 4, 0, 2.0),
        (64, 2, 64, 0.3),
        (16, 7, 16, 6.0),
    ];
    run(4, 64, Variant::General, &cb, &shapes);
    run(
        4,
        64,
        Variant::Octave,
        &Codebook::octave(3).unwrap(),
        &shapes,
    );
    run(4, 64, Variant::Dense, &cb, &shapes);
}

#[test]
fn full_size_head_on_real_minilm_rows() {
    // Layer 0, head 0 of the MiniLM fixture (n = 128, d = 32) on the D = 32, N_MAX = 512 head.
    use ndarray::{s, Array4};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/minilm");
    let q: Array4<f32> = ndarray_npy::read_npy(dir.join("q.npy")).unwrap();
    let k: Array4<f32> = ndarray_npy::read_npy(dir.join("k.npy")).unwrap();
    let v: Array4<f32> = ndarray_npy::read_npy(dir.join("v.npy")).unwrap();
    let cb = Codebook::log(3, 1e-3).unwrap();
    let p = CoreParams::new(32, 512, 16, 3).unwrap();
    let fe = FrontEndParams {
        d: 32,
        n_max: 512,
        ..Default::default()
    };
    let mut sim = HeadSim::new(
        &hdl::head_verilog(&p, Variant::General, &fe, &cb).unwrap(),
        p,
        &BuildOptions::default(),
    )
    .unwrap();
    let w = cb.weights().w;
    for (layer, head, vlen) in [(0, 0, 128), (3, 7, 100)] {
        let (qh, kh, vh) = (
            q.slice(s![layer, head, .., ..]),
            k.slice(s![layer, head, .., ..]),
            v.slice(s![layer, head, .., ..]),
        );
        let t = front_end(&fe, &cb, qh, kh, vlen).unwrap();
        let vq = quantize_v(vh).unwrap().vq;
        let job = HeadJob::from_trace(&t, vq.clone(), vlen).unwrap();
        let r = sim.run(&w, &[job], &DriveConfig::default()).unwrap();
        assert_eq!(
            r.out[0],
            accumulate(t.codes.view(), vq.view(), &w),
            "layer {layer} head {head}"
        );
        let predicted = model::timing::head_cycles(&p, 1, Variant::General, t.codes.view());
        assert_eq!(
            r.cycles as usize, predicted,
            "layer {layer} head {head}: cycles"
        );
        eprintln!(
            "layer {layer} head {head} valid {vlen}: {} cycles (model {predicted})",
            r.cycles
        );
    }
}
