//! Replays the shared golden vectors (`tests/golden/`) through the model.

use model::golden::{golden_dir, load_attnv_cases};
use model::{accumulate, Codebook, CoreParams};
use ndarray::Array2;
use ndarray_npy::read_npy;

#[test]
fn head_cases_reproduce() {
    let cases = model::golden::load_head_cases(&golden_dir().join("head")).unwrap();
    assert!(
        cases.len() >= 5,
        "expected the five committed head cases, found {}",
        cases.len()
    );
    for c in &cases {
        let n_max = if c.q.ncols() <= 8 { 64 } else { 512 };
        let again = model::golden::HeadCase::compute(
            &c.name,
            c.q.clone(),
            c.k.clone(),
            c.v.clone(),
            c.valid_len,
            c.threshold,
            n_max,
        )
        .unwrap();
        assert_eq!(&again, c, "head case {}", c.name);
        assert!(
            c.codes.iter().any(|&x| x != 0),
            "head case {}: no non-zero code",
            c.name
        );
        assert!(
            c.codes
                .slice(ndarray::s![.., c.valid_len..])
                .iter()
                .all(|&x| x == 0),
            "head case {}: masked keys must have code 0",
            c.name
        );
    }
}

#[test]
fn attnv_cases_reproduce() {
    let cases = load_attnv_cases(&golden_dir().join("attnv")).unwrap();
    assert!(
        cases.len() >= 6,
        "expected the six committed cases, found {}",
        cases.len()
    );
    for c in &cases {
        let got = accumulate(c.codes.view(), c.vq.view(), &c.weights);
        assert_eq!(got, c.expected, "case {}", c.name);
        // Every golden job fits the default core's widths.
        let p = CoreParams::default();
        assert!(c.n() <= p.n_max, "case {}", c.name);
        let lim = 1i64 << (p.acc_bits() - 1);
        assert!(
            got.acc.iter().all(|&a| -lim <= a && a < lim),
            "case {}",
            c.name
        );
        assert!(
            got.rsum.iter().all(|&r| r < 1 << p.rsum_bits()),
            "case {}",
            c.name
        );
    }
}

#[test]
fn worst_case_reaches_the_bound() {
    let cases = load_attnv_cases(&golden_dir().join("attnv")).unwrap();
    let c = cases
        .iter()
        .find(|c| c.name == "d64_n512_worst_case")
        .expect("worst case present");
    let p = CoreParams::default();
    let m = p.max_acc_magnitude() as i64;
    assert_eq!(c.expected.acc[[0, 0]], m);
    assert_eq!(c.expected.acc[[0, 63]], -m);
    assert_eq!(c.expected.rsum[0], p.max_row_sum());
}

#[test]
fn quantize_edges_reproduce() {
    let dir = golden_dir().join("quantize");
    let probs: Array2<f32> = read_npy(dir.join("probs.npy")).unwrap();
    for (file, cb) in [
        ("codes_log3_t1e-3.npy", Codebook::log(3, 1e-3).unwrap()),
        ("codes_octave3.npy", Codebook::octave(3).unwrap()),
    ] {
        let want: Array2<u8> = read_npy(dir.join(file)).unwrap();
        let got = model::contract::quantize_probs(probs.view(), &cb).unwrap();
        assert_eq!(got, want, "{file}");
        // The file exercises every code.
        for c in 0..=7u8 {
            assert!(want.iter().any(|&x| x == c), "{file} lacks code {c}");
        }
    }
}
