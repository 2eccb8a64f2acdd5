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

fn qkv(name: &str, shape: (usize, usize, usize), seed: usize) -> PathBuf {
    let a = Array3::from_shape_fn(shape, |(h, i, l)| {
        (((h * 31 + i * 17 + l * 7 + seed) % 29) as f32 - 14.0) / 5.0
    });
    let p = tmp(name);
    write_npy(&p, &a).unwrap();
    p
}

#[test]
fn qkv_json_report_has_the_issue_keys() {
    let (q, k, v) = (
        qkv("q.npy", (2, 20, 32), 1),
        qkv("k.npy", (2, 50, 32), 2),
        qkv("v.npy", (2, 50, 32), 3),
    );
    let js = tmp("qkv.json");
    let o = sim(&[
        "--q",
        q.to_str().unwrap(),
        "--k",
        k.to_str().unwrap(),
        "--v",
        v.to_str().unwrap(),
        "--valid-len",
        "40",
        "--json",
        js.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&js).unwrap()).unwrap();
    let heads = r["heads"].as_array().unwrap();
    assert_eq!(heads.len(), 2);
    for h in heads.iter().chain(std::iter::once(&r["total"])) {
        for key in [
            "bit_exact",
            "cycles",
            "code_agreement",
            "rel_err_vs_float_quantized",
            "rel_err_vs_float",
        ] {
            assert!(!h[key].is_null(), "{} lacks {key}", h["name"]);
        }
        assert_eq!(h["bit_exact"], true);
        assert_eq!(h["valid_len"], 40);
        assert_eq!(h["cycles"], h["cycles_model"]);
    }
}

#[test]
fn bad_qkv_input_is_rejected_with_a_clear_error() {
    let s = |p: &PathBuf| p.to_str().unwrap().to_string();
    let (q, k, v) = (
        qkv("bq.npy", (2, 8, 32), 1),
        qkv("bk.npy", (2, 16, 32), 2),
        qkv("bv.npy", (2, 16, 32), 3),
    );
    let run = |q: &PathBuf, k: &PathBuf, v: &PathBuf, extra: &[&str]| {
        let mut a = vec![
            "--q".to_string(),
            s(q),
            "--k".into(),
            s(k),
            "--v".into(),
            s(v),
        ];
        a.extend(extra.iter().map(|x| x.to_string()));
        let a: Vec<&str> = a.iter().map(|x| x.as_str()).collect();
        sim(&a)
    };
    // NaN in K.
    let kn = tmp("bk_nan.npy");
    let mut a = Array3::<f32>::zeros((2, 16, 32));
    a[[1, 3, 4]] = f32::INFINITY;
    write_npy(&kn, &a).unwrap();
    fails_with(&run(&q, &kn, &v, &[]), &["bk_nan.npy", "not finite"]);
    // Shapes.
    let k48 = qkv("bk48.npy", (2, 16, 48), 2);
    fails_with(&run(&q, &k48, &v, &[]), &["same d"]);
    let v10 = qkv("bv10.npy", (2, 10, 32), 3);
    fails_with(&run(&q, &k, &v10, &[]), &["same number of keys"]);
    let q3 = qkv("bq3.npy", (3, 8, 32), 1);
    fails_with(&run(&q3, &k, &v, &[]), &["leading (head) axes"]);
    // d not a built width; n > N_MAX; valid length > n.
    let (q48, k48, v48) = (
        qkv("bq48.npy", (1, 4, 48), 1),
        qkv("bk48b.npy", (1, 4, 48), 2),
        qkv("bv48.npy", (1, 4, 48), 3),
    );
    fails_with(&run(&q48, &k48, &v48, &[]), &["d = 48", "built for D"]);
    let (kl, vl) = (
        qkv("bkl.npy", (2, 600, 32), 2),
        qkv("bvl.npy", (2, 600, 32), 3),
    );
    fails_with(&run(&q, &kl, &vl, &[]), &["n = 600", "N_MAX"]);
    fails_with(
        &run(&q, &k, &v, &["--valid-len", "17"]),
        &["valid length 17 exceeds n = 16"],
    );
    // A truncated file.
    let tr = tmp("btrunc.npy");
    let bytes = std::fs::read(&q).unwrap();
    std::fs::write(&tr, &bytes[..bytes.len() / 2]).unwrap();
    fails_with(&run(&tr, &k, &v, &[]), &["btrunc.npy"]);
    // Precision out of range; a float64 file.
    fails_with(
        &run(&q, &k, &v, &["--qk-bits", "9"]),
        &["Q/K bits must be in 2..=8, got 9"],
    );
    let f64p = tmp("bq64.npy");
    write_npy(&f64p, &Array3::<f64>::zeros((2, 8, 32))).unwrap();
    fails_with(&run(&f64p, &k, &v, &[]), &["bq64.npy"]);
    // --k without --q.
    fails_with(&sim(&["--k", &s(&k), "--v", &s(&v)]), &["--q"]);
}
