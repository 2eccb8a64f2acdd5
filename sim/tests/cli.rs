//! The `sim` binary on real data: a JSON report, and clear errors on bad input.

use ndarray::Array3;
use ndarray_npy::write_npy;
use std::path::PathBuf;
use std::process::{Command, Output};

fn sim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sim"))
        .args(args)
        .output()
        .expect("runs")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("logattn-sim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

fn fails_with(o: &Output, needles: &[&str]) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "expected failure");
    assert!(!err.contains("panicked"), "{err}");
    for n in needles {
        assert!(err.contains(n), "stderr {err:?} lacks {n:?}");
    }
}

#[test]
fn real_data_json_report() {
    // Four heads of softmax-like rows, d = 32.
    let n = 40;
    let mut p = Array3::<f32>::zeros((4, n, n));
    for h in 0..4 {
        for i in 0..n {
            let mut s = 0.0;
            for j in 0..n {
                let x = (-(((i * 7 + j * 3 + h) % 23) as f32) * 0.4).exp();
                p[[h, i, j]] = x;
                s += x;
            }
            for j in 0..n {
                p[[h, i, j]] /= s;
            }
        }
    }
    let v = Array3::from_shape_fn((4, n, 32), |(h, j, l)| {
        ((h + 3 * j + 5 * l) % 17) as f32 - 8.0
    });
    let (pp, vp, js) = (tmp("p.npy"), tmp("v.npy"), tmp("r.json"));
    write_npy(&pp, &p).unwrap();
    write_npy(&vp, &v).unwrap();
    let o = sim(&[
        "--probs",
        pp.to_str().unwrap(),
        "--v",
        vp.to_str().unwrap(),
        "--octave",
        "--json",
        js.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&js).unwrap()).unwrap();
    assert_eq!(r["heads"].as_array().unwrap().len(), 4);
    for key in [
        "nnz",
        "cycles",
        "ideal_cycles",
        "efficiency",
        "dense_cycles",
        "bit_exact",
        "sim_cycles_per_second",
    ] {
        assert!(!r["total"][key].is_null(), "total lacks {key}");
    }
    assert_eq!(r["total"]["bit_exact"], true);
    assert_eq!(r["variant"], "octave");
}

#[test]
fn bad_input_is_rejected_with_a_clear_error() {
    let pp = tmp("bad_p.npy");
    let vp = tmp("bad_v.npy");
    let mut p = Array3::<f32>::from_elem((2, 8, 8), 0.125);
    write_npy(&vp, &Array3::<f32>::zeros((2, 8, 32))).unwrap();
    p[[1, 2, 3]] = f32::NAN;
    write_npy(&pp, &p).unwrap();
    fails_with(
        &sim(&["--probs", pp.to_str().unwrap(), "--v", vp.to_str().unwrap()]),
        &["bad_p.npy", "NaN", "not finite"],
    );
    p[[1, 2, 3]] = 0.125;
    write_npy(&pp, &p).unwrap();
    fails_with(
        &sim(&[
            "--probs",
            pp.to_str().unwrap(),
            "--v",
            vp.to_str().unwrap(),
            "--bits",
            "4",
        ]),
        &["k = 3"],
    );
    write_npy(&vp, &Array3::<f32>::zeros((2, 8, 48))).unwrap();
    fails_with(
        &sim(&["--probs", pp.to_str().unwrap(), "--v", vp.to_str().unwrap()]),
        &["d = 48"],
    );
    fails_with(&sim(&["--probs", pp.to_str().unwrap()]), &["--v"]);
}
