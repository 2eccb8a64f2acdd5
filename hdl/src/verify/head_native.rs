//! The whole head in rust-hdl's own simulator: it runs the leaves' Rust `update` twins, which
//! the Verilator runs never touch. Small heads (D = 4, N_MAX = 64) at P = 1 and 2, bit-exact
//! against the model and on `model::timing::head_cycles`; and a head whose weights arrive
//! after its K and V.

use crate::attn_head::AttnHead;
use crate::verify::testbench::{pack, rise, settle, signed_field};
use model::frontend::{front_end, FrontEndParams};
use model::{accumulate, quantize_v, Codebook, CoreParams, Variant};
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_hdl::prelude::*;

type Head4 = AttnHead<32, 120, 6, 30, 22, 18, 22>;

fn clk(u: &mut Head4) -> &mut Signal<In, Clock> {
    &mut u.clock
}

/// One head of n keys and `rows` query rows; its 8 weights are offered from cycle
/// `weights_from` on (with K and V from cycle 0 when 0). Checks the output, and the cycles
/// when the weights come with K and V.
#[allow(clippy::too_many_arguments)]
fn run(
    variant: Variant,
    cb: &Codebook,
    p: usize,
    n: usize,
    rows: usize,
    vlen: usize,
    seed: u64,
    weights_from: usize,
) {
    let core = CoreParams::new(4, 64, 16, 3).unwrap();
    let fe = FrontEndParams::hardware(4, 64)
        .with_keys_per_cycle(p)
        .unwrap();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut gen =
        |r: usize, s: f32| Array2::from_shape_fn((r, 4), |_| rng.gen_range(-1.0f32..1.0) * s);
    let (q, k, v) = (gen(rows, 5.0), gen(n, 5.0), gen(n, 2.0));
    let t = front_end(&fe, cb, q.view(), k.view(), vlen).unwrap();
    let vq = quantize_v(v.view()).unwrap().vq;
    let w = cb.weights().w;
    let want = accumulate(t.codes.view(), vq.view(), &w);
    assert!(t.codes.iter().any(|&c| c != 0), "degenerate codes");

    let mut uut = Head4::new(&core, variant, &fe, cb);
    uut.connect_all();
    uut.reset.next = true;
    for _ in 0..3 {
        settle(&mut uut);
        rise(&mut uut, clk);
    }
    uut.reset.next = false;
    let row8 = |a: ndarray::ArrayView1<i8>| {
        pack::<32>(&a.iter().map(|&x| x as u8 as u64).collect::<Vec<_>>(), 8)
    };
    let (mut wn, mut kn, mut vn, mut qn, mut out) = (0, 0, 0, 0, 0);
    let mut acc = Array2::<i64>::zeros((rows, 4));
    let mut rsum = vec![0u64; rows];
    let mut cycles = 0;
    while out < rows {
        assert!(
            cycles < 100_000,
            "timeout: W {wn} K {kn} V {vn} Q {qn} out {out}"
        );
        let w_on = wn < w.len() && cycles >= weights_from;
        uut.s_axis_w_tvalid.next = w_on;
        if w_on {
            uut.s_axis_w_tdata.next = (w[wn] as u64).into();
            uut.s_axis_w_tuser.next = (wn as u64).into();
        }
        uut.s_axis_k_tvalid.next = kn < n;
        if kn < n {
            uut.s_axis_k_tdata.next = row8(t.kq.row(kn));
            uut.s_axis_k_tuser.next = (t.mk.m[kn] as u64).into();
            uut.s_axis_k_tlast.next = kn + 1 == n;
        }
        uut.s_axis_v_tvalid.next = vn < n;
        if vn < n {
            uut.s_axis_v_tdata.next = row8(vq.row(vn));
            uut.s_axis_v_tlast.next = vn + 1 == n;
        }
        uut.s_axis_q_tvalid.next = qn < rows;
        if qn < rows {
            uut.s_axis_q_tdata.next = row8(t.qq.row(qn));
            let user = t.mq.m[qn] as u64 | (t.shift as u64) << 16 | (vlen as u64) << 24;
            uut.s_axis_q_tuser.next = user.into();
            uut.s_axis_q_tlast.next = qn + 1 == rows;
        }
        uut.m_axis_tready.next = true;
        settle(&mut uut);
        assert!(
            !uut.core_offers_overlap(),
            "cycle {cycles}: the core is offered codes with V or a weight"
        );
        wn += usize::from(w_on && uut.s_axis_w_tready.val());
        kn += usize::from(kn < n && uut.s_axis_k_tready.val());
        vn += usize::from(vn < n && uut.s_axis_v_tready.val());
        qn += usize::from(qn < rows && uut.s_axis_q_tready.val());
        assert!(
            wn == w.len() || qn == 0,
            "a Q row was taken before the head's weights"
        );
        if uut.m_axis_tvalid.val() {
            let d = uut.m_axis_tdata.val();
            for l in 0..4 {
                acc[[out, l]] = signed_field(d, 30 * l, 30);
            }
            rsum[out] = uut.m_axis_tuser.val().to_u64();
            out += 1;
        }
        rise(&mut uut, clk);
        cycles += 1;
    }
    assert_eq!(acc, want.acc, "{variant:?} P={p} n={n}: acc");
    assert_eq!(
        rsum,
        want.rsum.to_vec(),
        "{variant:?} P={p} n={n}: row sums"
    );
    if weights_from == 0 {
        let predicted = model::timing::head_cycles(&core, p, variant, t.codes.view());
        assert_eq!(cycles, predicted, "{variant:?} P={p} n={n}: cycles");
    }
}

#[test]
fn small_head_in_the_native_simulator() {
    let log3 = Codebook::log(3, 1e-3).unwrap();
    run(Variant::General, &log3, 1, 20, 3, 20, 1, 0);
    run(
        Variant::Octave,
        &Codebook::octave(3).unwrap(),
        1,
        17,
        3,
        17,
        3,
        0,
    );
}

#[test]
fn two_keys_a_cycle_in_the_native_simulator() {
    let log3 = Codebook::log(3, 1e-3).unwrap();
    // n odd (a half group), a valid length inside a group, n past one beat.
    run(Variant::General, &log3, 2, 21, 4, 21, 4, 0);
    run(Variant::General, &log3, 2, 40, 3, 29, 2, 0);
    run(
        Variant::Octave,
        &Codebook::octave(3).unwrap(),
        2,
        5,
        6,
        5,
        5,
        0,
    );
}

#[test]
fn weights_after_k_and_v_still_weigh_their_head() {
    // The weights come 30 cycles after K and V (n = 20): the Q rows wait for them. (Before the
    // head counted its weights, the Q rows started on the power-up weights, all zero.)
    let log3 = Codebook::log(3, 1e-3).unwrap();
    run(Variant::General, &log3, 2, 20, 3, 20, 6, 50);
}
