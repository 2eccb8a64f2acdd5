//! The whole head in rust-hdl's own simulator: it runs the leaves' Rust `update` twins, which
//! the Verilator runs never touch. One small head (D = 4, N_MAX = 64), bit-exact against the
//! model and on `model::timing::head_cycles`.

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

fn run(variant: Variant, cb: &Codebook, n: usize, rows: usize, vlen: usize, seed: u64) {
    let p = CoreParams::new(4, 64, 16, 3).unwrap();
    let fe = FrontEndParams {
        d: 4,
        n_max: 64,
        ..Default::default()
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let mut gen =
        |r: usize, s: f32| Array2::from_shape_fn((r, 4), |_| rng.gen_range(-1.0f32..1.0) * s);
    let (q, k, v) = (gen(rows, 5.0), gen(n, 5.0), gen(n, 2.0));
    let t = front_end(&fe, cb, q.view(), k.view(), vlen).unwrap();
    let vq = quantize_v(v.view()).unwrap().vq;
    let w = cb.weights().w;
    let want = accumulate(t.codes.view(), vq.view(), &w);
    assert!(t.codes.iter().any(|&c| c != 0), "degenerate codes");

    let mut uut = Head4::new(&p, variant, &fe, cb);
    uut.connect_all();
    uut.reset.next = true;
    for _ in 0..3 {
        settle(&mut uut);
        rise(&mut uut, clk);
    }
    uut.reset.next = false;
    // Weights.
    for (c, &wc) in w.iter().enumerate() {
        uut.s_axis_w_tdata.next = (wc as u64).into();
        uut.s_axis_w_tuser.next = (c as u64).into();
        uut.s_axis_w_tvalid.next = true;
        settle(&mut uut);
        assert!(uut.s_axis_w_tready.val(), "weights accepted at once");
        rise(&mut uut, clk);
    }
    uut.s_axis_w_tvalid.next = false;
    let row8 = |a: ndarray::ArrayView1<i8>| {
        pack::<32>(&a.iter().map(|&x| x as u8 as u64).collect::<Vec<_>>(), 8)
    };
    let (mut kn, mut vn, mut qn, mut out) = (0, 0, 0, 0);
    let mut acc = Array2::<i64>::zeros((rows, 4));
    let mut rsum = vec![0u64; rows];
    let mut cycles = 0;
    while out < rows {
        assert!(cycles < 100_000, "timeout: K {kn} V {vn} Q {qn} out {out}");
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
        kn += usize::from(kn < n && uut.s_axis_k_tready.val());
        vn += usize::from(vn < n && uut.s_axis_v_tready.val());
        qn += usize::from(qn < rows && uut.s_axis_q_tready.val());
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
    assert_eq!(acc, want.acc, "{variant:?} n={n}: acc");
    assert_eq!(rsum, want.rsum.to_vec(), "{variant:?} n={n}: row sums");
    let predicted = model::timing::head_cycles(&p, 1, variant, t.codes.view());
    assert_eq!(cycles, predicted, "{variant:?} n={n}: cycles");
}

#[test]
fn small_head_in_the_native_simulator() {
    let log3 = Codebook::log(3, 1e-3).unwrap();
    run(Variant::General, &log3, 20, 3, 20, 1);
    run(Variant::General, &log3, 40, 2, 30, 2);
    run(Variant::Octave, &Codebook::octave(3).unwrap(), 17, 3, 17, 3);
}
