//! Requests and configurations the board tests share (`board.rs`, `frontpanel.rs`).
// Each test binary uses its own subset.
#![allow(dead_code)]

use model::link::*;
use model::Codebook;
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::Rng;

/// The golden head vectors (`tests/golden/head`) of head dimension `d`; at least one.
pub fn golden_heads(d: usize) -> Vec<model::golden::HeadCase> {
    let golden: Vec<_> = model::golden::load_head_cases(&model::golden::golden_dir().join("head"))
        .unwrap()
        .into_iter()
        .filter(|c| c.q.ncols() == d)
        .collect();
    assert!(!golden.is_empty(), "no golden head vector at d = {d}");
    golden
}

/// A head board's configuration: D = `d`, N_MAX = `n_max`, the variant `cb` implies.
pub fn config(d: usize, n_max: usize, cb: &Codebook) -> DeviceConfig {
    DeviceConfig::head(d, n_max, cb).unwrap()
}

/// `cb`'s weights as the link's header carries them.
pub fn weights(cb: &Codebook) -> [u16; 8] {
    let w = cb.weights().w;
    std::array::from_fn(|i| w[i] as u16)
}

/// A random head of d lanes: shapes up to `n_max`, int8 rows, multipliers and shifts in the
/// ranges real heads use (and now and then anywhere, saturation included).
pub fn random_request(
    rng: &mut StdRng,
    d: usize,
    n_max: usize,
    cb: &Codebook,
    seq: u16,
) -> Request {
    let n = rng.gen_range(1..=n_max);
    let rows = rng.gen_range(1..=n_max);
    let mut m = |r: usize, c: usize| Array2::from_shape_fn((r, c), |_| rng.gen::<i8>());
    let (kq, vq, qq) = (m(n, d), m(n, d), m(rows, d));
    let wild = rng.gen_bool(0.2);
    let mut mul = |k: usize| -> Vec<u16> {
        (0..k)
            .map(|_| {
                if wild {
                    rng.gen()
                } else {
                    rng.gen_range(8000..32768)
                }
            })
            .collect()
    };
    let (mk, mq) = (mul(n), mul(rows));
    let shift = if wild {
        rng.gen_range(0..64)
    } else {
        rng.gen_range(20..30)
    };
    let valid_len = rng.gen_range(0..=n as u16 + 2);
    Request::head(
        seq,
        cb,
        HeadPayload {
            kq,
            mk,
            vq,
            qq,
            mq,
            shift,
            valid_len,
        },
    )
}
