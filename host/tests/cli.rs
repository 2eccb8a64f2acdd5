//! End-to-end tests of the `logattn` binary: results, and clear errors on bad input.

use ndarray::{Array2, Array3, ArrayD, Axis};
use ndarray_npy::{read_npy, write_npy};

mod common;
use common::{assert_fails, logattn, root, s, tmp};

#[test]
fn quantize_replays_golden_codes() {
    let g = root().join("tests/golden/quantize");
    for (flags, file) in [
        (vec!["--threshold", "1e-3"], "codes_log3_t1e-3.npy"),
        (vec!["--octave"], "codes_octave3.npy"),
    ] {
        let out = tmp(file);
        let probs = g.join("probs.npy");
        let mut args = vec![
            "quantize",
            "--probs",
            probs.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend(flags.iter());
        let o = logattn(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let got: Array2<u8> = read_npy(&out).unwrap();
        let want: Array2<u8> = read_npy(g.join(file)).unwrap();
        assert_eq!(got, want, "{file}");
    }
}

#[test]
fn attend_matches_model_head_by_head() {
    let f = root().join("tests/fixtures/minilm");
    let out = tmp("o.npy");
    let json = tmp("o.json");
    let o = logattn(&[
        "attend",
        "--probs",
        f.join("probs.npy").to_str().unwrap(),
        "--v",
        f.join("v.npy").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p: ArrayD<f32> = read_npy(f.join("probs.npy")).unwrap();
    let v: ArrayD<f32> = read_npy(f.join("v.npy")).unwrap();
    let got: ArrayD<f32> = read_npy(&out).unwrap();
    assert_eq!(got.shape(), &[6, 12, 128, 32]);
    let p = p.into_shape_with_order((72, 128, 128)).unwrap();
    let v = v.into_shape_with_order((72, 128, 32)).unwrap();
    let got: Array3<f32> = got.into_shape_with_order((72, 128, 32)).unwrap();
    let cb = model::Codebook::log(3, 1e-3).unwrap();
    for h in [0, 17, 71] {
        let want = model::attend_head(
            p.index_axis(Axis(0), h),
            v.index_axis(Axis(0), h),
            &cb,
            false,
        )
        .unwrap();
        assert_eq!(got.index_axis(Axis(0), h), want.out, "head {h}");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(report["heads"].as_array().unwrap().len(), 72);
    // int8 V costs well under 1% against the float pruned-and-quantized output.
    let e = report["rel_err_vs_float_quantized"].as_f64().unwrap();
    assert!(e > 0.0 && e < 0.01, "{e}");
}

#[test]
fn analyze_reports_sparsity_that_a_direct_count_confirms() {
    let f = root().join("tests/fixtures/minilm/probs.npy");
    let json = tmp("a.json");
    let plots = tmp("plots");
    let o = logattn(&[
        "analyze",
        "--probs",
        f.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--plot",
        plots.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Jensen-Shannon"), "{text}");
    let p: ArrayD<f32> = read_npy(&f).unwrap();
    let below = p.iter().filter(|&&x| x < 1e-3).count() as f64 / p.len() as f64;
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let k = r["thresholds"]
        .as_array()
        .unwrap()
        .iter()
        .position(|t| t.as_f64() == Some(1e-3))
        .unwrap();
    assert_eq!(r["overall"]["sparsity"][k].as_f64().unwrap(), below);
    assert_eq!(r["per_layer"].as_array().unwrap().len(), 6);
    assert_eq!(r["per_head"].as_array().unwrap().len(), 72);
    for svg in ["histogram.svg", "cumulative.svg", "sparsity.svg"] {
        let s = std::fs::read_to_string(plots.join(svg)).unwrap();
        assert!(s.contains("<svg") && s.contains("layer 5"), "{svg}");
    }
}

#[test]
fn bad_input_gets_a_clear_error_and_no_output() {
    let out = tmp("never.npy");
    let good = root().join("tests/golden/quantize/probs.npy");
    let good_s = good.to_str().unwrap();
    let o_s = out.to_str().unwrap();

    let missing = tmp("missing.npy");
    assert_fails(
        &logattn(&[
            "quantize",
            "--probs",
            missing.to_str().unwrap(),
            "--out",
            o_s,
        ]),
        &["missing.npy", "cannot open"],
        &out,
    );

    let text = tmp("text.npy");
    std::fs::write(&text, "hello, not numpy").unwrap();
    assert_fails(
        &logattn(&["quantize", "--probs", text.to_str().unwrap(), "--out", o_s]),
        &["text.npy", "not a .npy file"],
        &out,
    );

    let bytes = std::fs::read(&good).unwrap();
    let trunc = tmp("trunc.npy");
    std::fs::write(&trunc, &bytes[..bytes.len() - 7]).unwrap();
    assert_fails(
        &logattn(&["quantize", "--probs", trunc.to_str().unwrap(), "--out", o_s]),
        &["trunc.npy", "truncated"],
        &out,
    );

    let f64file = tmp("f64.npy");
    write_npy(&f64file, &Array2::<f64>::zeros((2, 2))).unwrap();
    assert_fails(
        &logattn(&[
            "quantize",
            "--probs",
            f64file.to_str().unwrap(),
            "--out",
            o_s,
        ]),
        &["f64.npy", "wrong dtype", "float32"],
        &out,
    );

    let nan = tmp("nan.npy");
    let mut a = Array2::<f32>::from_elem((2, 3), 0.25);
    a[[1, 2]] = f32::NAN;
    write_npy(&nan, &a).unwrap();
    assert_fails(
        &logattn(&["quantize", "--probs", nan.to_str().unwrap(), "--out", o_s]),
        &["nan.npy", "NaN", "[1, 2]", "not finite"],
        &out,
    );

    let big = tmp("big.npy");
    a[[1, 2]] = 1.5;
    write_npy(&big, &a).unwrap();
    assert_fails(
        &logattn(&["quantize", "--probs", big.to_str().unwrap(), "--out", o_s]),
        &["big.npy", "not a probability"],
        &out,
    );

    for bits in ["0", "5"] {
        assert_fails(
            &logattn(&["quantize", "--probs", good_s, "--bits", bits, "--out", o_s]),
            &["bits must be in 1..=4"],
            &out,
        );
    }
    for t in ["0", "1", "2", "-1e-3"] {
        let arg = format!("--threshold={t}");
        assert_fails(
            &logattn(&["quantize", "--probs", good_s, &arg, "--out", o_s]),
            &["threshold must be in (0, 1)"],
            &out,
        );
    }

    // attend: V must be [..., n, d] with P's leading axes.
    let p = tmp("p.npy");
    write_npy(&p, &Array3::<f32>::from_elem((2, 4, 4), 0.25)).unwrap();
    let v = tmp("v.npy");
    write_npy(&v, &Array3::<f32>::zeros((2, 5, 8))).unwrap();
    assert_fails(
        &logattn(&[
            "attend",
            "--probs",
            p.to_str().unwrap(),
            "--v",
            v.to_str().unwrap(),
            "--out",
            o_s,
        ]),
        &["v.npy", "[2, 5, 8]", "n = 4"],
        &out,
    );
    let v2 = tmp("v2.npy");
    write_npy(&v2, &Array2::<f32>::zeros((4, 8))).unwrap();
    assert_fails(
        &logattn(&[
            "attend",
            "--probs",
            p.to_str().unwrap(),
            "--v",
            v2.to_str().unwrap(),
            "--out",
            o_s,
        ]),
        &["same rank"],
        &out,
    );
    let vinf = tmp("vinf.npy");
    let mut vi = Array3::<f32>::zeros((2, 4, 8));
    vi[[0, 1, 2]] = f32::INFINITY;
    write_npy(&vinf, &vi).unwrap();
    assert_fails(
        &logattn(&[
            "attend",
            "--probs",
            p.to_str().unwrap(),
            "--v",
            vinf.to_str().unwrap(),
            "--out",
            o_s,
        ]),
        &["vinf.npy", "inf", "not finite"],
        &out,
    );

    // analyze needs [..., rows, n].
    let one = tmp("one.npy");
    write_npy(&one, &ndarray::Array1::<f32>::zeros(4)).unwrap();
    assert_fails(
        &logattn(&["analyze", "--probs", one.to_str().unwrap()]),
        &["one.npy", "rank >= 2"],
        &out,
    );
}

/// No output may be an input or another output (compared as files, whatever the spelling):
/// the command fails at once, one line naming the path, and every file stays as it was.
#[test]
fn an_output_that_is_an_input_or_another_output_is_refused() {
    let dir = tmp("clobber");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let (p, v) = (dir.join("p.npy"), dir.join("v.npy"));
    write_npy(&p, &Array3::<f32>::from_elem((2, 4, 4), 0.25)).unwrap();
    write_npy(&v, &Array3::<f32>::from_elem((2, 4, 8), 0.5)).unwrap();
    let before = |f: &std::path::Path| std::fs::read(f).unwrap();
    let (p0, v0) = (before(&p), before(&v));
    let x = dir.join("x.npy");
    let same_p = dir.join("sub/../p.npy");
    for (args, needle, path) in [
        // --json equal to --out.
        (
            vec![
                "attend",
                "--probs",
                s(&p),
                "--v",
                s(&v),
                "--out",
                s(&x),
                "--json",
                s(&x),
            ],
            "given as two outputs",
            &x,
        ),
        // --out equal to an input.
        (
            vec!["attend", "--probs", s(&p), "--v", s(&v), "--out", s(&v)],
            "the output would overwrite an input",
            &v,
        ),
        // analyze's report over its own input, spelled another way.
        (
            vec!["analyze", "--probs", s(&p), "--json", s(&same_p)],
            "the output would overwrite an input",
            &same_p,
        ),
        (
            vec!["quantize", "--probs", s(&p), "--out", s(&p)],
            "the output would overwrite an input",
            &p,
        ),
    ] {
        let o = logattn(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("{}: ", path.display())) && err.contains(needle),
            "{args:?}: {err}"
        );
    }
    assert!(!x.exists(), "x.npy was written");
    assert_eq!((before(&p), before(&v)), (p0, v0), "an input changed");
}

/// A command that fails after computing leaves none of its outputs (they appear together or
/// not at all), and the error names the user's path, not a temporary file.
#[test]
fn a_failing_command_leaves_no_output_and_names_the_users_path() {
    let dir = tmp("partial");
    std::fs::create_dir_all(&dir).unwrap();
    let g = root().join("tests/golden/quantize/probs.npy");
    let (p, v) = (dir.join("p.npy"), dir.join("v.npy"));
    write_npy(&p, &Array3::<f32>::from_elem((2, 4, 4), 0.25)).unwrap();
    write_npy(&v, &Array3::<f32>::from_elem((2, 4, 8), 0.5)).unwrap();
    let a = dir.join("a.npy");
    let missing = dir.join("nodir/r.json");
    let o = logattn(&[
        "attend",
        "--probs",
        s(&p),
        "--v",
        s(&v),
        "--out",
        s(&a),
        "--json",
        s(&missing),
    ]);
    assert_fails(
        &o,
        &[
            &format!("{}: cannot write: the folder", missing.display()),
            "does not exist",
        ],
        &a,
    );
    for args in [
        vec!["quantize", "--probs", s(&g), "--out", s(&missing)],
        vec!["analyze", "--probs", s(&g), "--json", s(&missing)],
    ] {
        let o = logattn(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains(".tmp-"), "names a temporary file: {err}");
        assert_fails(
            &o,
            &[&format!("{}: cannot write", missing.display())],
            &missing,
        );
    }
    // Nothing else appeared in the folder (no temporary files).
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["p.npy", "v.npy"]);
}

/// Files of another element type are named as such, not reported as truncated (their data is
/// shorter than float32's would be).
#[test]
fn narrower_dtypes_are_named_not_called_truncated() {
    let out = tmp("never-dtype.npy");
    let i8file = tmp("i8.npy");
    write_npy(&i8file, &Array2::<i8>::zeros((2, 16))).unwrap();
    let u8file = tmp("u8.npy");
    write_npy(&u8file, &Array2::<u8>::zeros((2, 16))).unwrap();
    for (f, descr) in [(&i8file, "'|i1'"), (&u8file, "'|u1'")] {
        assert_fails(
            &logattn(&["quantize", "--probs", s(f), "--out", s(&out)]),
            &[&format!("wrong dtype {descr}: expected float32")],
            &out,
        );
    }
}
