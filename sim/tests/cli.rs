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
        "--keys-per-cycle",
        "4",
        "--nnz-per-cycle",
        "2",
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
        assert_eq!(h["p"], 4);
        assert_eq!(h["k"], 2);
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
    // A P the front end is not built for; a K the core is not built for.
    fails_with(
        &run(&q, &k, &v, &["--keys-per-cycle", "3"]),
        &["keys per cycle", "3"],
    );
    fails_with(
        &run(&q, &k, &v, &["--nnz-per-cycle", "3"]),
        &["non-zeros per cycle", "3"],
    );
    let f64p = tmp("bq64.npy");
    write_npy(&f64p, &Array3::<f64>::zeros((2, 8, 32))).unwrap();
    fails_with(&run(&f64p, &k, &v, &[]), &["bq64.npy"]);
    // --k without --q.
    fails_with(&sim(&["--k", &s(&k), "--v", &s(&v)]), &["--q"]);
}

/// Inputs with no heads or no rows, a valid length of 0 and flags that do not apply are
/// refused with a clear error (they used to panic, print NaN or be ignored); outputs that
/// clash with an input or each other, or whose folder is missing, are refused before anything
/// runs, naming the user's path.
#[test]
fn degenerate_input_inapplicable_flags_and_clashing_outputs_are_refused() {
    let s = |p: &PathBuf| p.to_str().unwrap().to_string();
    let run = |args: &[String]| sim(&args.iter().map(|a| a.as_str()).collect::<Vec<_>>());
    let args = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    // No heads (a leading axis of 0), Q/K/V and P/V; P without rows.
    let (q0, k0, v0) = (
        qkv("z_q.npy", (0, 8, 32), 1),
        qkv("z_k.npy", (0, 16, 32), 2),
        qkv("z_v.npy", (0, 16, 32), 3),
    );
    fails_with(
        &run(&args(&["--q", &s(&q0), "--k", &s(&k0), "--v", &s(&v0)])),
        &["no heads"],
    );
    let (p0, pv0) = (tmp("z_p.npy"), tmp("z_pv.npy"));
    write_npy(&p0, &Array3::<f32>::zeros((0, 8, 8))).unwrap();
    write_npy(&pv0, &Array3::<f32>::zeros((0, 8, 32))).unwrap();
    fails_with(
        &run(&args(&["--probs", &s(&p0), "--v", &s(&pv0)])),
        &["no heads"],
    );
    let (pr, vr) = (tmp("z_pr.npy"), tmp("z_vr.npy"));
    write_npy(&pr, &Array3::<f32>::zeros((2, 0, 8))).unwrap();
    write_npy(&vr, &Array3::<f32>::zeros((2, 8, 32))).unwrap();
    fails_with(
        &run(&args(&["--probs", &s(&pr), "--v", &s(&vr)])),
        &["P has no query rows"],
    );
    // Flags of the Q/K/V path given with P: refused, not ignored.
    let (p, v) = (tmp("f_p.npy"), tmp("f_v.npy"));
    write_npy(&p, &Array3::<f32>::from_elem((1, 8, 8), 0.125)).unwrap();
    write_npy(&v, &Array3::<f32>::zeros((1, 8, 4))).unwrap();
    for flag in [
        ["--valid-len", "3"],
        ["--qk-bits", "4"],
        ["--keys-per-cycle", "2"],
        ["--nnz-per-cycle", "2"],
    ] {
        fails_with(
            &run(&args(&["--probs", &s(&p), "--v", &s(&v), flag[0], flag[1]])),
            &["cannot be used with", flag[0]],
        );
    }
    // Every key masked.
    let (q, k, vv) = (
        qkv("f_q.npy", (1, 8, 32), 1),
        qkv("f_k.npy", (1, 16, 32), 2),
        qkv("f_vv.npy", (1, 16, 32), 3),
    );
    fails_with(
        &run(&args(&[
            "--q",
            &s(&q),
            "--k",
            &s(&k),
            "--v",
            &s(&vv),
            "--valid-len",
            "0",
        ])),
        &["valid length 0: at least one key must be valid"],
    );
    // Outputs: a missing folder, an input, each other.
    let missing = tmp("nodir").join("t.vcd");
    let o = run(&args(&[
        "--probs",
        &s(&p),
        "--v",
        &s(&v),
        "--vcd",
        &s(&missing),
    ]));
    fails_with(
        &o,
        &[&format!("{}: cannot write: the folder", missing.display())],
    );
    assert!(!String::from_utf8_lossy(&o.stderr).contains("code -3"));
    fails_with(
        &run(&args(&["--probs", &s(&p), "--v", &s(&v), "--json", &s(&v)])),
        &["the output would overwrite an input"],
    );
    let r = tmp("f_r.json");
    fails_with(
        &run(&args(&[
            "--probs",
            &s(&p),
            "--v",
            &s(&v),
            "--json",
            &s(&r),
            "--vcd",
            &s(&r),
        ])),
        &["given as two outputs"],
    );
    assert!(!r.exists());
}

/// --vcd and --json are written together, and nothing else is left in their folder.
#[test]
fn vcd_and_json_are_written_together() {
    let dir = tmp("vcd");
    std::fs::create_dir_all(&dir).unwrap();
    let (p, v) = (tmp("vcd_p.npy"), tmp("vcd_v.npy"));
    write_npy(&p, &Array3::<f32>::from_elem((2, 8, 8), 0.125)).unwrap();
    write_npy(&v, &Array3::<f32>::from_elem((2, 8, 4), 0.5)).unwrap();
    let (vcd, js) = (dir.join("t.vcd"), dir.join("r.json"));
    let o = sim(&[
        "--probs",
        p.to_str().unwrap(),
        "--v",
        v.to_str().unwrap(),
        "--vcd",
        vcd.to_str().unwrap(),
        "--json",
        js.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read_to_string(&vcd)
        .unwrap()
        .contains("$enddefinitions"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["r.json", "t.vcd"]);
}
