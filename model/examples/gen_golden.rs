//! Regenerates the golden vectors under `tests/golden/` (deterministic: same files every run).
//!
//! `cargo run -p model --example gen_golden`

use model::golden::{golden_dir, AttnVCase, HeadCase};
use model::{accumulate, params::max_weight, Codebook};
use ndarray::Array2;
use ndarray_npy::write_npy;

/// SplitMix64: a tiny fixed generator so the files never depend on a crate's version.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn random_vq(rng: &mut Rng, n: usize, d: usize) -> Array2<i8> {
    Array2::from_shape_fn((n, d), |_| (rng.below(255) as i32 - 127) as i8)
}

/// Codes with each entry non-zero with probability `density`, non-zero codes uniform in 1..=7.
fn random_codes(rng: &mut Rng, rows: usize, n: usize, density: f64) -> Array2<u8> {
    Array2::from_shape_fn((rows, n), |_| {
        if rng.unit() < density {
            1 + rng.below(7) as u8
        } else {
            0
        }
    })
}

fn case(name: &str, codes: Array2<u8>, vq: Array2<i8>, weights: Vec<u32>) -> AttnVCase {
    let expected = accumulate(codes.view(), vq.view(), &weights);
    AttnVCase {
        name: name.into(),
        codes,
        vq,
        weights,
        expected,
    }
}

fn main() {
    let root = golden_dir();
    let mut rng = Rng(0x10_6A77);
    let log3 = Codebook::log(3, 1e-3).unwrap().weights().w;
    let oct3 = Codebook::octave(3).unwrap().weights().w;
    let mut cases = Vec::new();

    cases.push(case(
        "d32_n16_log3",
        random_codes(&mut rng, 8, 16, 0.3),
        random_vq(&mut rng, 16, 32),
        log3.clone(),
    ));

    // One row per density, then again: 0%, 1%, 5%, 20%, 50%, 100%.
    let densities = [0.0, 0.01, 0.05, 0.2, 0.5, 1.0];
    let mut codes = Array2::<u8>::zeros((12, 128));
    for (i, mut row) in codes.rows_mut().into_iter().enumerate() {
        let r = random_codes(&mut rng, 1, 128, densities[i % densities.len()]);
        row.assign(&r.row(0));
    }
    cases.push(case(
        "d64_n128_octave_densities",
        codes,
        random_vq(&mut rng, 128, 64),
        oct3.clone(),
    ));

    // The accumulator's worst case: n = N_MAX = 512, every weight 2^16 - 1, |Vq| = 127.
    let wmax = vec![0]
        .into_iter()
        .chain(std::iter::repeat_n(max_weight(), 7))
        .collect::<Vec<u32>>();
    let mut codes = Array2::<u8>::from_elem((4, 512), 7);
    codes.row_mut(1).fill(1);
    codes.row_mut(3).fill(0);
    let vq = Array2::from_shape_fn((512, 64), |(_, l)| if l < 32 { 127i8 } else { -127 });
    cases.push(case("d64_n512_worst_case", codes, vq, wmax));

    // n not a multiple of W; all-zero rows; a lone non-zero at the first and the last position.
    let mut codes = random_codes(&mut rng, 8, 100, 0.1);
    codes.row_mut(0).fill(0);
    codes.row_mut(1).fill(0);
    codes[[1, 99]] = 7;
    codes.row_mut(2).fill(0);
    codes[[2, 0]] = 1;
    codes.row_mut(5).fill(0);
    cases.push(case(
        "d64_n100_zero_rows",
        codes,
        random_vq(&mut rng, 100, 64),
        log3.clone(),
    ));

    let codes = Array2::from_shape_vec((3, 1), vec![0u8, 7, 3]).unwrap();
    cases.push(case(
        "d32_n1",
        codes,
        random_vq(&mut rng, 1, 32),
        log3.clone(),
    ));

    let codes = Array2::from_shape_fn((16, 64), |(i, j)| ((i + j) % 8) as u8);
    cases.push(case(
        "d64_n64_every_code",
        codes,
        random_vq(&mut rng, 64, 64),
        log3.clone(),
    ));

    for c in &cases {
        c.save(&root.join("attnv").join(&c.name)).unwrap();
        println!(
            "attnv/{}: rows {} n {} d {}",
            c.name,
            c.codes.nrows(),
            c.n(),
            c.d()
        );
    }

    // Quantizer edge cases: each codebook edge as the nearest f32 and its two neighbours,
    // 0, 1, tiny values, then random probabilities.
    let mut vals: Vec<f32> = vec![0.0, 1.0, f32::MIN_POSITIVE, 1e-30, 0.5];
    for cb in [
        Codebook::log(3, 1e-3).unwrap(),
        Codebook::octave(3).unwrap(),
    ] {
        for e in cb.edges() {
            let f = e as f32;
            vals.extend([
                f32::from_bits(f.to_bits() - 1),
                f,
                f32::from_bits(f.to_bits() + 1),
            ]);
        }
    }
    vals.retain(|v| (0.0..=1.0).contains(v));
    while vals.len() % 16 != 0 || vals.len() < 128 {
        // Log-uniform over [1e-6, 1].
        vals.push((10f64.powf(-6.0 * rng.unit())) as f32);
    }
    let probs = Array2::from_shape_vec((vals.len() / 16, 16), vals).unwrap();
    let q = root.join("quantize");
    std::fs::create_dir_all(&q).unwrap();
    write_npy(q.join("probs.npy"), &probs).unwrap();
    for (file, cb) in [
        ("codes_log3_t1e-3.npy", Codebook::log(3, 1e-3).unwrap()),
        ("codes_octave3.npy", Codebook::octave(3).unwrap()),
    ] {
        let codes = model::contract::quantize_probs(probs.view(), &cb).unwrap();
        write_npy(q.join(file), &codes).unwrap();
    }
    println!("quantize: {} probabilities", probs.len());

    // Whole heads from float Q, K, V: real MiniLM rows (both codebooks), a key mask, D = 64,
    // the small D = 4 configuration, and n = N_MAX.
    let fixture = root.join("../fixtures/minilm");
    let read4 = |n: &str| -> ndarray::Array4<f32> {
        ndarray_npy::read_npy(fixture.join(n)).expect("the MiniLM fixture")
    };
    let (fq, fk, fv) = (read4("q.npy"), read4("k.npy"), read4("v.npy"));
    let mut gauss = |rows: usize, d: usize, spread: f64| {
        Array2::from_shape_fn((rows, d), |_| ((rng.unit() * 2.0 - 1.0) * spread) as f32)
    };
    use ndarray::s;
    let heads = vec![
        HeadCase::compute(
            "minilm_l2h5_rows16_log3",
            fq.slice(s![2, 5, ..16, ..]).to_owned(),
            fk.slice(s![2, 5, .., ..]).to_owned(),
            fv.slice(s![2, 5, .., ..]).to_owned(),
            128,
            1e-3,
            512,
        ),
        HeadCase::compute(
            "minilm_l4h1_rows16_octave3",
            fq.slice(s![4, 1, 40..56, ..]).to_owned(),
            fk.slice(s![4, 1, .., ..]).to_owned(),
            fv.slice(s![4, 1, .., ..]).to_owned(),
            128,
            0.0,
            512,
        ),
        HeadCase::compute(
            "d64_n77_valid60_log3",
            gauss(9, 64, 3.0),
            gauss(77, 64, 3.0),
            gauss(77, 64, 2.0),
            60,
            1e-3,
            512,
        ),
        HeadCase::compute(
            "d4_n20_log3",
            gauss(5, 4, 6.0),
            gauss(20, 4, 6.0),
            gauss(20, 4, 2.0),
            20,
            1e-3,
            64,
        ),
        HeadCase::compute(
            "d32_n512_octave3",
            gauss(4, 32, 4.0),
            gauss(512, 32, 4.0),
            gauss(512, 32, 2.0),
            512,
            0.0,
            512,
        ),
    ];
    for h in heads {
        let h = h.unwrap();
        h.save(&root.join("head").join(&h.name)).unwrap();
        println!(
            "head/{}: rows {} n {} d {} valid {} shift {} nnz {}",
            h.name,
            h.q.nrows(),
            h.k.nrows(),
            h.q.ncols(),
            h.valid_len,
            h.shift,
            h.codes.iter().filter(|&&c| c != 0).count()
        );
    }
}
