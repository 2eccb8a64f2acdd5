//! The fixed-point score and log-softmax front end against the float reference on real
//! attention (MiniLM fixture), masking, table accuracy and worst-case widths.

use model::frontend::{
    agreement, codes_fixed, codes_float, front_end, log2_probs_float, FrontEndParams, Tables,
    EXP_FRAC_BITS,
};
use model::{Codebook, ModelError};
use ndarray::{s, Array2, Array4, ArrayView2};
use ndarray_npy::read_npy;
use proptest::prelude::*;
use std::path::PathBuf;

/// Largest distance (log2 units) of the float `log2 alpha` from the edge it crossed, for a
/// disagreement between the fixed-point and float codes.
const EDGE_TOLERANCE: f64 = 0.25;

fn fixture(name: &str) -> Array4<f32> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/minilm")
        .join(name);
    read_npy(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn params32() -> FrontEndParams {
    let d = FrontEndParams::default();
    FrontEndParams::new(
        32,
        512,
        8,
        d.scale_bits,
        d.frac_bits,
        d.exp_table_bits,
        d.log_table_bits,
    )
    .unwrap()
}

fn head<'a>(a: &'a Array4<f32>, l: usize, h: usize) -> ArrayView2<'a, f32> {
    a.slice(s![l, h, .., ..])
}

#[test]
fn float_reference_matches_the_models_softmax() {
    let (q, k, probs) = (fixture("q.npy"), fixture("k.npy"), fixture("probs.npy"));
    let cb = Codebook::log(3, 1e-3).unwrap();
    let (mut diff, mut total) = (0usize, 0usize);
    for l in 0..6 {
        for h in 0..12 {
            let cf = codes_float(&cb, head(&q, l, h), head(&k, l, h), 128).unwrap();
            let cp = head(&probs, l, h).mapv(|p| cb.code(p));
            diff += cf.iter().zip(&cp).filter(|(a, b)| a != b).count();
            total += cf.len();
        }
    }
    // The fixture's own softmax differs by < 6e-7: only entries at an edge may flip.
    assert!(diff * 10_000 <= total, "{diff} of {total} differ");
    println!("codes_float vs probs.npy: {diff} of {total} codes differ");
}

#[test]
fn agreement_on_real_attention() {
    let (q, k) = (fixture("q.npy"), fixture("k.npy"));
    let p = params32();
    for cb in [
        Codebook::log(3, 1e-3).unwrap(),
        Codebook::octave(3).unwrap(),
    ] {
        let t = Tables::new(&p, &cb);
        let edges: Vec<f64> = cb.edges().iter().map(|e| e.log2()).collect();
        let (mut eq_all, mut n_all, mut worst) = (0usize, 0usize, 0f64);
        let (mut smin, mut smax) = (i32::MAX, i32::MIN);
        for l in 0..6 {
            let (mut eq, mut n) = (0usize, 0usize);
            for h in 0..12 {
                let (qh, kh) = (head(&q, l, h), head(&k, l, h));
                let tr = front_end(&p, &cb, qh, kh, 128).unwrap();
                assert_eq!(tr.saturated, 0);
                (smin, smax) = (smin.min(tr.shift), smax.max(tr.shift));
                let cf = codes_float(&cb, qh, kh, 128).unwrap();
                let y = log2_probs_float(qh, kh, 128).unwrap();
                eq += (agreement(tr.codes.view(), cf.view()) * cf.len() as f64).round() as usize;
                n += cf.len();
                for ((ix, &a), &b) in tr.codes.indexed_iter().zip(&cf) {
                    if a == b {
                        continue;
                    }
                    assert_eq!((a as i32 - b as i32).abs(), 1, "{l}/{h} {ix:?}: {a} vs {b}");
                    let crossed = edges[a.min(b) as usize];
                    let dist = (y[ix] - crossed).abs();
                    worst = worst.max(dist);
                    assert!(
                        dist <= EDGE_TOLERANCE,
                        "{l}/{h} {ix:?}: y {} edge {crossed}",
                        y[ix]
                    );
                }
                assert!(t.edge.len() == cb.num_codes() - 1);
            }
            println!(
                "{} layer {l}: agreement {:.4}",
                cb.describe(),
                eq as f64 / n as f64
            );
            eq_all += eq;
            n_all += n;
        }
        let overall = eq_all as f64 / n_all as f64;
        println!("per-head shift eq + ek - F in {smin}..={smax}");
        println!(
            "{}: overall agreement {overall:.4} ({} of {n_all} differ), worst |y - edge| {worst:.4}",
            cb.describe(),
            n_all - eq_all
        );
        assert!(overall >= 0.99, "{}: {overall}", cb.describe());
    }
}

#[test]
fn masked_keys_are_zero_and_do_not_enter_the_softmax() {
    let (q, k) = (fixture("q.npy"), fixture("k.npy"));
    let p = params32();
    let cb = Codebook::log(3, 1e-3).unwrap();
    for (l, h, v) in [(0, 0, 100), (3, 7, 1), (5, 11, 64), (2, 4, 127)] {
        let (qh, kh) = (head(&q, l, h), head(&k, l, h));
        let full = codes_fixed(&p, &cb, qh, kh, v).unwrap();
        assert!(full.slice(s![.., v..]).iter().all(|&c| c == 0));
        // K's row scales are per row, so truncating K changes nothing else.
        let trunc = codes_fixed(&p, &cb, qh, kh.slice(s![..v, ..]), v).unwrap();
        assert_eq!(full.slice(s![.., ..v]), trunc);
        let fl = codes_float(&cb, qh, kh, v).unwrap();
        assert!(fl.slice(s![.., v..]).iter().all(|&c| c == 0));
    }
    // valid_len = 1: the one key gets probability 1, the top code.
    let c = codes_fixed(&p, &cb, head(&q, 0, 0), head(&k, 0, 0), 1).unwrap();
    assert!(c.column(0).iter().all(|&x| x == cb.max_code()));
    // valid_len = 0: nothing survives.
    let c = codes_fixed(&p, &cb, head(&q, 0, 0), head(&k, 0, 0), 0).unwrap();
    assert!(c.iter().all(|&x| x == 0));
}

#[test]
fn worst_case_fits_the_stated_widths() {
    let p = FrontEndParams::default(); // d = 64, N_MAX = 512
    let cb = Codebook::log(3, 1e-3).unwrap();
    let q = Array2::<f32>::from_elem((4, 64), 1.0);
    let k = Array2::<f32>::from_elem((512, 64), 1.0);
    let tr = front_end(&p, &cb, q.view(), k.view(), 512).unwrap();
    assert!(tr.qq.iter().chain(tr.kq.iter()).all(|&v| v == 127));
    let smax = 64 * 127 * 127;
    assert!(tr.scores.iter().all(|&s| s == smax));
    assert!(smax < 1 << (p.score_bits() - 1));
    // All keys equal: every term is exp[0], the sum is 512 * exp[0] < 2^sum_bits.
    let t = Tables::new(&p, &cb);
    assert!(tr.sum.iter().all(|&s| s == 512 * t.exp[0] as u64));
    assert!(tr.sum[0] < 1 << p.sum_bits());
    assert!(t.exp.iter().all(|&e| e < 1 << EXP_FRAC_BITS));
    assert!(512u64 * ((1 << EXP_FRAC_BITS) - 1) < 1 << p.sum_bits());
    // Uniform over 512: log2 alpha = -9, code of 2^-9 = 0.00195 under t = 1e-3 is 1.
    assert!((tr.l[0] - (9 << p.frac_bits)).abs() <= 8, "L = {}", tr.l[0]);
    assert!(tr.codes.iter().all(|&c| c == cb.code(1.0 / 512.0)));
    let lim = 1i64 << (p.x_bits() - 1);
    assert!(tr.x.iter().all(|&x| x.abs() < lim));
    // Large magnitudes with opposite signs: x saturates symmetrically, nothing overflows.
    let q = Array2::<f32>::from_elem((2, 64), 1e6);
    let mut k = Array2::<f32>::from_elem((512, 64), 1e6);
    k.slice_mut(s![256.., ..]).fill(-1e6);
    let tr = front_end(&p, &cb, q.view(), k.view(), 512).unwrap();
    assert_eq!(tr.saturated, 2 * 512);
    assert!(tr.x.iter().all(|&x| x.abs() <= p.x_limit()));
    assert!(tr.codes.slice(s![.., 256..]).iter().all(|&c| c == 0));
}

#[test]
fn rejects_bad_parameters_and_input_with_clear_messages() {
    let msg = |r: Result<FrontEndParams, ModelError>| r.unwrap_err().to_string();
    assert_eq!(
        msg(FrontEndParams::new(0, 512, 8, 16, 10, 6, 8)),
        "bad core parameters: D (head dim) must be in 1..=256, got 0"
    );
    assert_eq!(
        msg(FrontEndParams::new(64, 0, 8, 16, 10, 6, 8)),
        "bad core parameters: N_MAX must be in 1..=65536, got 0"
    );
    assert_eq!(
        msg(FrontEndParams::new(64, 512, 9, 16, 10, 6, 8)),
        "bad core parameters: Q/K bits must be in 2..=8, got 9"
    );
    assert_eq!(
        msg(FrontEndParams::new(64, 512, 8, 17, 10, 6, 8)),
        "bad core parameters: scale mantissa bits must be in 2..=16, got 17"
    );
    assert_eq!(
        msg(FrontEndParams::new(64, 512, 8, 16, 3, 3, 8)),
        "bad core parameters: fractional bits F must be in 4..=16, got 3"
    );
    assert_eq!(
        msg(FrontEndParams::new(64, 512, 8, 16, 8, 9, 8)),
        "bad core parameters: exp2 table bits must be in 1..=8 (at most F = 8 and 12), got 9"
    );
    assert_eq!(
        msg(FrontEndParams::new(64, 512, 8, 16, 10, 6, 13)),
        "bad core parameters: log2 table bits must be in 1..=12, got 13"
    );
    let p = FrontEndParams::default();
    let cb = Codebook::octave(3).unwrap();
    let q = Array2::<f32>::zeros((2, 64));
    let k = Array2::<f32>::zeros((3, 64));
    let e = codes_fixed(&p, &cb, q.view(), k.view(), 4).unwrap_err();
    assert_eq!(
        e.to_string(),
        "shape mismatch: valid length 4 exceeds the 3 keys of K"
    );
    let e = codes_fixed(&p, &cb, q.view(), Array2::zeros((3, 32)).view(), 3).unwrap_err();
    assert_eq!(
        e.to_string(),
        "shape mismatch: Q has 64 columns and K has 32, but d = 64"
    );
    let e = codes_fixed(&p, &cb, q.view(), Array2::zeros((513, 64)).view(), 3).unwrap_err();
    assert_eq!(
        e.to_string(),
        "shape mismatch: K has 513 keys, more than N_MAX = 512"
    );
    let mut bad = k.clone();
    bad[[1, 1]] = f32::NAN;
    let e = codes_fixed(&p, &cb, q.view(), bad.view(), 3).unwrap_err();
    assert_eq!(e.to_string(), "value NaN is not finite");
}

fn params_strategy() -> impl Strategy<Value = FrontEndParams> {
    (6u32..=14, 1u32..=8, 1u32..=12)
        .prop_map(|(f, b, c)| FrontEndParams::new(64, 512, 8, 16, f, b.min(f), c).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// exp2 of u >= 0 is monotone non-increasing, and within
    /// `2^(2^-(b+1)) - 1` relative plus one output LSB (2^-16) of the true 2^-u.
    #[test]
    fn exp2_table_is_monotone_and_accurate(p in params_strategy(), u0 in 0i64..(20 << 14)) {
        let t = Tables::new(&p, &Codebook::octave(3).unwrap());
        prop_assert!(t.exp.windows(2).all(|w| w[0] > w[1]));
        let u0 = u0 >> (14 - p.frac_bits);
        let (a, b) = (t.exp2_neg(&p, u0), t.exp2_neg(&p, u0 + 1));
        prop_assert!(b <= a);
        let exact = (-(u0 as f64) / (1u64 << p.frac_bits) as f64).exp2();
        let got = a as f64 / (1u64 << EXP_FRAC_BITS) as f64;
        let rel = (0.5 / (1u64 << p.exp_table_bits) as f64).exp2() - 1.0;
        let bound = exact * rel + 1.0 / (1u64 << EXP_FRAC_BITS) as f64;
        prop_assert!((got - exact).abs() <= bound, "u {} got {} exact {}", u0, got, exact);
    }

    /// log2 of a sum is monotone non-decreasing and within `log2(1 + 2^-(c+1))` plus half an
    /// output LSB of the true log2.
    #[test]
    fn log2_table_is_monotone_and_accurate(p in params_strategy(), s in (1u64 << 15)..(1u64 << 25)) {
        let t = Tables::new(&p, &Codebook::octave(3).unwrap());
        prop_assert!(t.log.windows(2).all(|w| w[0] < w[1] || p.frac_bits < p.log_table_bits + 2));
        prop_assert!(t.log.windows(2).all(|w| w[0] <= w[1]));
        prop_assert!(t.log2_sum(&p, s) <= t.log2_sum(&p, s + 1));
        let one = (1u64 << p.frac_bits) as f64;
        let exact = (s as f64 / (1u64 << EXP_FRAC_BITS) as f64).log2();
        let got = t.log2_sum(&p, s) as f64 / one;
        let bound = (1.0 + 0.5 / (1u64 << p.log_table_bits) as f64).log2() + 0.5 / one;
        prop_assert!((got - exact).abs() <= bound, "s {} got {} exact {}", s, got, exact);
    }

    /// The edge constants make the integer comparison exact: `y >= edge[m]` iff
    /// `y / 2^F >= log2 e_m`.
    #[test]
    fn edge_constants_are_exact(f in 4u32..=16, k in 1u32..=4, lt in -12.0f64..-0.05, y in -20_000_000i64..0) {
        let p = FrontEndParams::new(64, 512, 8, 16, f, 1, 8).unwrap();
        let cb = Codebook::log(k, 10f64.powf(lt)).unwrap();
        let t = Tables::new(&p, &cb);
        let e = cb.edges();
        for (m, &c) in t.edge.iter().enumerate() {
            let real = y as f64 / (1u64 << f) as f64 >= e[m].log2();
            prop_assert_eq!(y >= c, real);
        }
    }
}

/// Separates the two error sources: against the float softmax of the *dequantized* int8 Q and K,
/// the fixed-point arithmetic alone (scale mantissas, exp2/log2 tables) must agree on >= 99.8%
/// (measured 99.886% at the defaults F = 10, b = 6, c = 8; 99.992% with 12-bit tables at F = 12).
#[test]
fn fixed_point_arithmetic_alone_on_real_attention() {
    let (q, k) = (fixture("q.npy"), fixture("k.npy"));
    let p = params32();
    let cb = Codebook::log(3, 1e-3).unwrap();
    let (mut eq, mut n) = (0usize, 0usize);
    for l in 0..6 {
        for h in 0..12 {
            let tr = front_end(&p, &cb, head(&q, l, h), head(&k, l, h), 128).unwrap();
            let deq = |xq: &Array2<i8>, s: &ndarray::Array1<f64>| {
                let mut o = xq.mapv(|v| v as f64);
                for (mut r, &sc) in o.rows_mut().into_iter().zip(s) {
                    r.mapv_inplace(|v| v * sc);
                }
                o.mapv(|v| v as f32)
            };
            let (qd, kd) = (deq(&tr.qq, &tr.s_q), deq(&tr.kq, &tr.s_k));
            let cf = codes_float(&cb, qd.view(), kd.view(), 128).unwrap();
            eq += tr.codes.iter().zip(&cf).filter(|(a, b)| a == b).count();
            n += cf.len();
        }
    }
    let a = eq as f64 / n as f64;
    println!(
        "fixed point vs float on dequantized int8 Q, K: agreement {a:.5} ({} differ)",
        n - eq
    );
    assert!(a >= 0.998, "{a}");
}
