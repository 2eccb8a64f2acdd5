//! Property tests of the quantizer and the integer contract.

use model::params::max_weight;
use model::{accumulate, Codebook, CoreParams};
use ndarray::Array2;
use proptest::prelude::*;

fn codebook() -> impl Strategy<Value = Codebook> {
    prop_oneof![
        (1u32..=4, -12.0f64..-0.05).prop_map(|(k, lt)| Codebook::log(k, 10f64.powf(lt)).unwrap()),
        (1u32..=4).prop_map(|k| Codebook::octave(k).unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn code_is_monotone_and_in_range(cb in codebook(), a in 0f32..=1.0, b in 0f32..=1.0) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        prop_assert!(cb.code(lo) <= cb.code(hi));
        prop_assert!(cb.code(hi) <= cb.max_code());
        prop_assert_eq!(cb.code(a) == 0, (a as f64) < cb.threshold());
    }

    #[test]
    fn code_matches_the_log_formula(cb in codebook(), a in 0f32..=1.0) {
        let c = cb.code(a);
        let e = cb.edges();
        let x = a as f64;
        if c > 0 {
            // alpha lies in its bin [e_{c-1}, e_c), the top bin closed at 1.
            prop_assert!(x >= e[c as usize - 1]);
            prop_assert!(x < e[c as usize] || (c == cb.max_code() && x <= 1.0));
            // The level lies inside the bin, at its log-midpoint.
            let lv = cb.level(c);
            prop_assert!(lv >= e[c as usize - 1] && lv <= e[c as usize]);
            // And the closed form agrees except within rounding of an edge.
            let f = 1.0 + ((x.log2() - cb.threshold().log2()) / cb.step()).floor();
            let f = f.clamp(1.0, cb.max_code() as f64) as u8;
            let near_edge = e.iter().any(|&ed| (x - ed).abs() <= 1e-6 * ed);
            prop_assert!(f == c || near_edge, "alpha {} code {} formula {}", x, c, f);
        }
    }

    #[test]
    fn octave_levels_are_powers_of_two(k in 1u32..=4) {
        let cb = Codebook::octave(k).unwrap();
        let w = cb.weights();
        for c in 1..=cb.max_code() {
            let lv = cb.level(c);
            // level(c) * 2^(1/2) is an exact power of two.
            let m = (lv * std::f64::consts::SQRT_2).log2();
            prop_assert!((m - m.round()).abs() < 1e-12);
            prop_assert_eq!(lv, w.of(c) as f64 * w.scale);
            prop_assert!(w.of(c).is_power_of_two());
        }
    }

    #[test]
    fn accumulate_equals_float64(
        rows in 1usize..5, n in 1usize..40, d in 1usize..9,
        seed in any::<u64>(), cb in codebook(),
    ) {
        let mut s = seed;
        let mut next = move || { s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); s >> 33 };
        let codes = Array2::from_shape_fn((rows, n), |_| (next() % (cb.max_code() as u64 + 1)) as u8);
        let vq = Array2::from_shape_fn((n, d), |_| ((next() % 255) as i32 - 127) as i8);
        let w = cb.weights();
        let got = accumulate(codes.view(), vq.view(), &w.w);
        for i in 0..rows {
            let mut r = 0f64;
            for j in 0..n { r += w.of(codes[[i, j]]) as f64; }
            prop_assert_eq!(got.rsum[i] as f64, r);
            for l in 0..d {
                let mut a = 0f64;
                for j in 0..n { a += w.of(codes[[i, j]]) as f64 * vq[[j, l]] as f64; }
                prop_assert_eq!(got.acc[[i, l]] as f64, a);
            }
        }
    }

    #[test]
    fn accumulator_width_is_sufficient_and_tight(log_n in 1u32..=16, d in 1usize..=8) {
        let p = CoreParams::new(d, 1 << log_n, 1, 3).unwrap();
        let n = p.n_max;
        let codes = Array2::from_elem((1, n), 7u8);
        let mut w = vec![max_weight(); 8];
        w[0] = 0;
        for v in [127i8, -127] {
            let vq = Array2::from_elem((n, d), v);
            let got = accumulate(codes.view(), vq.view(), &w);
            let lim = 1i64 << (p.acc_bits() - 1);
            prop_assert!(got.acc.iter().all(|&a| -lim <= a && a < lim));
            prop_assert_eq!(got.acc[[0, 0]].unsigned_abs(), p.max_acc_magnitude());
            prop_assert!(got.rsum[0] < 1 << p.rsum_bits());
        }
        // One bit fewer would not do.
        prop_assert!(p.max_acc_magnitude() >= 1 << (p.acc_bits() - 2));
    }
}
