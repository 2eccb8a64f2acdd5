//! The front end's hand-written Verilog leaves, each alone in Verilator, against the model's
//! integer functions over their whole input ranges (random and edge values): the head tests
//! only reach the values real attention produces; these reach saturation, every shift, every
//! table entry, every leading-one position and every edge.

use hdl::front_end::beat_queue::BeatQueue;
use hdl::front_end::code_of::CodeOf;
use hdl::front_end::dot_product::DotProduct;
use hdl::front_end::exp2_neg::Exp2Neg;
use hdl::front_end::log2_sum::Log2Sum;
use hdl::front_end::scale_shift::{offset_binary, ScaleShift, XB};
use model::frontend::{x_value, FrontEndParams, Tables};
use model::Codebook;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_hdl::prelude::*;
use sim::bits::put_bits;
use sim::verilator::{BuildOptions, VerilatedModel};
use std::collections::VecDeque;

fn build<T: Block>(mut uut: T) -> VerilatedModel {
    uut.connect_all();
    let mut m =
        VerilatedModel::build(&generate_verilog(&uut), "top", &BuildOptions::default()).unwrap();
    m.set_clock("clock").unwrap();
    m
}

/// Drives `inputs` one per cycle (each a list of (port, value)), then idles; returns the named
/// outputs read after each edge, aligned so that `out[i]` belongs to `inputs[i]`.
fn pipeline(
    m: &mut VerilatedModel,
    latency: usize,
    inputs: &[Vec<(&str, u64)>],
    outputs: &[&str],
) -> Vec<Vec<u64>> {
    let outs: Vec<_> = outputs.iter().map(|n| m.port(n).unwrap()).collect();
    let mut got = Vec::new();
    for k in 0..inputs.len() + latency {
        if let Some(ins) = inputs.get(k) {
            for &(n, v) in ins {
                let p = m.port(n).unwrap();
                m.set(p, v);
            }
        }
        m.eval();
        m.posedge();
        if k + 1 >= latency {
            got.push(outs.iter().map(|&p| m.get(p)).collect());
        }
    }
    got.truncate(inputs.len());
    got
}

fn tables(cb: &Codebook) -> (FrontEndParams, Tables) {
    let p = FrontEndParams::default();
    let t = Tables::new(&p, cb);
    (p, t)
}

/// `uut`'s Verilog as written for an ECP5 part (its products' registers in MULT18X18D
/// primitives, `hdl::core::mult18`), with the primitive's behavioural model.
fn build_ecp5<T: Block>(mut uut: T) -> VerilatedModel {
    use hdl::core::mult18;
    uut.connect_all();
    let v = format!(
        "{}{}{}",
        mult18::ecp5_prelude(),
        generate_verilog(&uut),
        mult18::mult18x18d_model()
    );
    assert!(
        v.matches("MULT18X18D #(").count() > 1,
        "no primitive in the ECP5 text"
    );
    let mut m = VerilatedModel::build(&v, "top", &BuildOptions::default()).unwrap();
    m.set_clock("clock").unwrap();
    m
}

#[test]
fn scale_shift_matches_model_over_every_shift_and_saturation() {
    for ecp5 in [false, true] {
        scale_shift_matches_model(ecp5);
    }
}

fn scale_shift_matches_model(ecp5: bool) {
    const SB: usize = 22;
    let mut m = if ecp5 {
        build_ecp5(ScaleShift::<SB>::default())
    } else {
        build(ScaleShift::<SB>::default())
    };
    let p = FrontEndParams::default();
    let mut rng = StdRng::seed_from_u64(1);
    let lim = 1i64 << (SB - 1);
    let mut cases: Vec<(i64, u32, u32, u32)> = Vec::new();
    for shift in 0..64 {
        for &s in &[lim - 1, -lim, 0, 1, -1] {
            cases.push((s, 65535, 65535, shift));
        }
        for _ in 0..40 {
            cases.push((
                rng.gen_range(-lim..lim),
                rng.gen_range(0..65536),
                rng.gen_range(0..65536),
                shift,
            ));
        }
    }
    let inputs: Vec<Vec<(&str, u64)>> = cases
        .iter()
        .map(|&(s, mk, mq, sh)| {
            vec![
                ("s", (s as u64) & ((1 << SB) - 1)),
                ("mk", mk as u64),
                ("mq", mq as u64),
                ("shift", sh as u64),
                ("valid_in", 1),
            ]
        })
        .collect();
    let got = pipeline(
        &mut m,
        ScaleShift::<SB>::LATENCY,
        &inputs,
        &["x", "valid_out"],
    );
    let mut saturated = 0;
    for (&(s, mk, mq, sh), g) in cases.iter().zip(&got) {
        let (x, sat) = x_value(&p, s, mk, mq, sh as i32);
        saturated += usize::from(sat);
        assert_eq!(
            g[0],
            offset_binary(x as i128),
            "ecp5 {ecp5}: s={s} mk={mk} mq={mq} shift={sh}"
        );
        assert_eq!(g[1], 1);
    }
    assert!(saturated > 100, "saturation exercised {saturated} times");
}

#[test]
fn exp2_neg_matches_model_on_every_table_entry_and_shift() {
    let (p, t) = tables(&Codebook::log(3, 1e-3).unwrap());
    let mut m = build(Exp2Neg::new(&p, &t));
    let mut rng = StdRng::seed_from_u64(2);
    let mut us: Vec<u64> = (0..(20u64 << 10)).step_by(3).collect();
    us.extend((0..2000).map(|_| rng.gen_range(0..(1u64 << 25) - 1)));
    us.push((1 << 25) - 2);
    let inputs: Vec<Vec<(&str, u64)>> = us
        .iter()
        .map(|&u| {
            let x = rng.gen_range(0..(1u64 << 25) - u);
            vec![("m", x + u), ("x", x), ("valid_in", 1)]
        })
        .collect();
    let got = pipeline(&mut m, Exp2Neg::LATENCY, &inputs, &["e"]);
    for (&u, g) in us.iter().zip(&got) {
        assert_eq!(g[0], t.exp2_neg(&p, u as i64) as u64, "u = {u}");
    }
}

#[test]
fn log2_sum_matches_model_at_every_leading_one() {
    const SUMB: usize = 25;
    let (p, t) = tables(&Codebook::log(3, 1e-3).unwrap());
    let mut m = build(Log2Sum::<SUMB>::new(&p, &t));
    let mut rng = StdRng::seed_from_u64(3);
    let mut sums: Vec<u64> = Vec::new();
    for b in 0..SUMB {
        sums.extend([1u64 << b, (1u64 << (b + 1)) - 1, (1u64 << b) | 1]);
        for _ in 0..50 {
            sums.push(rng.gen_range((1u64 << b)..(1u64 << (b + 1))));
        }
    }
    let inputs: Vec<Vec<(&str, u64)>> = sums
        .iter()
        .map(|&s| vec![("sum", s), ("valid_in", 1)])
        .collect();
    let got = pipeline(&mut m, Log2Sum::<SUMB>::LATENCY, &inputs, &["l"]);
    for (&s, g) in sums.iter().zip(&got) {
        let want = t.log2_sum(&p, s) as u64 & ((1 << XB) - 1);
        assert_eq!(g[0], want, "sum = {s}");
    }
}

#[test]
fn code_of_matches_model_around_every_edge() {
    for cb in [
        Codebook::log(3, 1e-3).unwrap(),
        Codebook::octave(3).unwrap(),
    ] {
        let (_, t) = tables(&cb);
        let mut m = build(CodeOf::new(&t));
        let mut rng = StdRng::seed_from_u64(4);
        let mut cases: Vec<(i64, i64, i64, bool)> = Vec::new();
        for &e in &t.edge {
            for dy in -3..=3 {
                let l = rng.gen_range(-20_000i64..12_000);
                let mm = rng.gen_range(1i64 << 20..1 << 24);
                cases.push((mm + e + dy + l, mm, l, false));
            }
        }
        for _ in 0..3000 {
            let mm = rng.gen_range(1i64..(1 << 25) - 1);
            let x = rng.gen_range(1i64..=mm);
            cases.push((x, mm, rng.gen_range(-16_384i64..10_000), rng.gen_bool(0.1)));
        }
        let inputs: Vec<Vec<(&str, u64)>> = cases
            .iter()
            .map(|&(x, mm, l, mask)| {
                vec![
                    ("x", x as u64),
                    ("m", mm as u64),
                    ("l", (l as u64) & ((1 << XB) - 1)),
                    ("mask", mask as u64),
                    ("valid_in", 1),
                ]
            })
            .collect();
        let got = pipeline(&mut m, CodeOf::LATENCY, &inputs, &["code"]);
        for (&(x, mm, l, mask), g) in cases.iter().zip(&got) {
            let want = if mask { 0 } else { t.code(x - mm - l) as u64 };
            assert_eq!(
                g[0],
                want,
                "{} x={x} m={mm} l={l} mask={mask}",
                cb.describe()
            );
        }
    }
}

#[test]
fn dot_product_is_exact_including_minus_128() {
    const KW: usize = 512;
    let mut m = build(DotProduct::<KW, 22>::default());
    let mut rng = StdRng::seed_from_u64(5);
    let mut cases: Vec<(Vec<i8>, Vec<i8>)> = vec![
        (vec![-128; 64], vec![-128; 64]),
        (vec![127; 64], vec![-128; 64]),
    ];
    for _ in 0..500 {
        cases.push((
            (0..64).map(|_| rng.gen()).collect(),
            (0..64).map(|_| rng.gen()).collect(),
        ));
    }
    let (qp, kp) = (m.port("q").unwrap(), m.port("k").unwrap());
    let (sp, sdp, vin) = (
        m.port("s").unwrap(),
        m.port("side_out").unwrap(),
        m.port("valid_in").unwrap(),
    );
    let side = m.port("side_in").unwrap();
    let lat = DotProduct::<KW, 22>::latency();
    let mut got = Vec::new();
    for k in 0..cases.len() + lat {
        if let Some((q, kk)) = cases.get(k) {
            let (mut qw, mut kw) = (vec![0u32; 16], vec![0u32; 16]);
            for l in 0..64 {
                put_bits(&mut qw, 8 * l, 8, q[l] as u8 as u64);
                put_bits(&mut kw, 8 * l, 8, kk[l] as u8 as u64);
            }
            m.set_words(qp, &qw);
            m.set_words(kp, &kw);
            m.set(side, k as u64);
            m.set(vin, 1);
        }
        m.eval();
        m.posedge();
        if k + 1 >= lat {
            got.push((m.get(sp), m.get(sdp)));
        }
    }
    for (i, (q, kk)) in cases.iter().enumerate() {
        let s: i64 = q.iter().zip(kk).map(|(&a, &b)| a as i64 * b as i64).sum();
        assert_eq!(got[i].0, (s as u64) & ((1 << 22) - 1), "case {i}");
        assert_eq!(got[i].1, i as u64, "side band of case {i}");
    }
}

#[test]
fn beat_queue_is_a_fifo_under_random_push_and_pop() {
    let mut m = build(BeatQueue::default());
    let names = [
        "push",
        "push_data",
        "push_last",
        "pop",
        "head_data",
        "head_last",
        "valid",
        "count",
        "reset",
    ];
    let p: Vec<_> = names.iter().map(|n| m.port(n).unwrap()).collect();
    let mut rng = StdRng::seed_from_u64(6);
    let mut want: VecDeque<(u64, bool)> = VecDeque::new();
    m.set(p[8], 1);
    m.eval();
    m.posedge();
    m.set(p[8], 0);
    for step in 0..5000 {
        let push = want.len() < 4 && rng.gen_bool(0.5);
        let pop = rng.gen_bool(0.45);
        let data = rng.gen_range(0..1u64 << 48);
        let last = rng.gen_bool(0.3);
        m.set(p[0], push as u64);
        m.set(p[1], data);
        m.set(p[2], last as u64);
        m.set(p[3], pop as u64);
        m.eval();
        assert_eq!(m.get(p[6]) != 0, !want.is_empty(), "step {step}: valid");
        assert_eq!(m.get(p[7]) as usize, want.len(), "step {step}: count");
        if let Some(&(d, l)) = want.front() {
            assert_eq!((m.get(p[4]), m.get(p[5]) != 0), (d, l), "step {step}: head");
        }
        m.posedge();
        if pop {
            want.pop_front();
        }
        if push {
            want.push_back((data, last));
        }
    }
}

#[test]
fn crc32_leaf_matches_the_link_crc() {
    // The link's CRC (model::link::crc32), one byte a cycle, with restarts (alone or taking the
    // first byte) and idle cycles.
    let mut m = build(hdl::link::crc32::Crc32::default());
    let (clear, en, data, crc) = (
        m.port("clear").unwrap(),
        m.port("en").unwrap(),
        m.port("data").unwrap(),
        m.port("crc").unwrap(),
    );
    let mut rng = StdRng::seed_from_u64(7);
    let mut msgs: Vec<Vec<u8>> = vec![b"123456789".to_vec(), vec![], vec![0], vec![0xFF; 5]];
    for len in [1usize, 2, 3, 44, 200, 1000] {
        msgs.push((0..len).map(|_| rng.gen()).collect());
    }
    for (i, msg) in msgs.iter().enumerate() {
        // A restart alone, or a restart that takes the first byte (every other message).
        let first = i % 2 == 1 && !msg.is_empty();
        m.set(clear, 1);
        m.set(en, u64::from(first));
        m.set(data, if first { msg[0] as u64 } else { 0xA5 });
        m.eval();
        m.posedge();
        m.set(clear, 0);
        for &b in &msg[usize::from(first)..] {
            // Idle cycles between bytes must not change the CRC.
            while rng.gen_bool(0.3) {
                m.set(en, 0);
                m.eval();
                m.posedge();
            }
            m.set(en, 1);
            m.set(data, b as u64);
            m.eval();
            m.posedge();
        }
        m.set(en, 0);
        m.eval();
        assert_eq!(
            m.get(crc) as u32,
            model::link::crc32(msg),
            "{} bytes",
            msg.len()
        );
    }
    assert_eq!(model::link::crc32(b"123456789"), 0xCBF4_3926);
}
