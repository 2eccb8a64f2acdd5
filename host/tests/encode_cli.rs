//! `logattn encode` end to end on the real all-MiniLM-L6-v2 (`make model`): the bit-exact
//! model path and the Verilated board give identical embeddings, the report is complete, and
//! bad input gets a clear error and no output file.

use ndarray::Array2;
use ndarray_npy::read_npy;

mod common;
use common::{assert_fails, json, logattn, ok, root, s, tmp};

fn model_dir() -> std::path::PathBuf {
    encode::cached_model().unwrap()
}

/// Lines of the passage fixture into a file of their own.
fn passages(name: &str, lines: &[usize]) -> std::path::PathBuf {
    let all = std::fs::read_to_string(root().join("tests/fixtures/passages/passages.txt")).unwrap();
    let all: Vec<&str> = all.lines().collect();
    let p = tmp(name);
    let text: String = lines.iter().map(|&l| format!("{}\n", all[l - 1])).collect();
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn model_and_board_give_identical_embeddings() {
    let text = passages("mb.txt", &[1, 4, 18]);
    let m = model_dir();
    for renorm in [false, true] {
        let out = tmp(&format!("mb_{renorm}_{{}}.npy"));
        let rep = tmp(&format!("mb_{renorm}.json"));
        let mut args = vec![
            "encode",
            "--model",
            s(&m),
            "--text",
            s(&text),
            "--out",
            s(&out),
            "--attention",
            "model,board",
            "--verify",
            "--quiet",
            "--json",
            s(&rep),
        ];
        if renorm {
            args.push("--renormalize");
        }
        let table = ok(&logattn(&args));
        assert!(
            table.contains("model") && table.contains("board"),
            "{table}"
        );
        let path = |b: &str| out.to_str().unwrap().replace("{}", b);
        let a: Array2<f32> = read_npy(path("model")).unwrap();
        let b: Array2<f32> = read_npy(path("board")).unwrap();
        assert_eq!(a.dim(), (3, 384));
        assert_eq!(
            a, b,
            "model and board embeddings differ (renormalize {renorm})"
        );
        let r = json(&rep);
        let (bm, bb) = (&r["backends"][0], &r["backends"][1]);
        assert_eq!(bm["cycles_per_passage"], bb["cycles_per_passage"]);
        assert_eq!(r["tokens"], serde_json::json!([11, 15, 65]));
        // Every embedding is a unit vector and close to float's.
        for row in a.rows() {
            let n: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
            assert!((n - 1.0).abs() < 1e-5, "norm {n}");
        }
        let min = bm["agreement"]["cosine_min"].as_f64().unwrap();
        assert!(min > 0.98, "cosine to float {min}");
        // Per layer: zero codes and agreement with the float quantizer, six layers.
        let layers = bm["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 6);
        for l in layers {
            assert!(l["code_agreement"].as_f64().unwrap() > 0.98, "{l}");
            assert_eq!(l["rel_err_per_head"].as_array().unwrap().len(), 12);
        }
        // The board's time and energy, projected on the ULX3S (the D = 32 head).
        let p = &bb["projections"][0];
        assert_eq!(p["board"], "ulx3s");
        assert!(p["compute_s"].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn float_and_quantized_write_their_embeddings_and_truncate_with_a_warning() {
    let text = passages("fq.txt", &[2, 18]);
    let out = tmp("fq_{}.npy");
    let o = logattn(&[
        "encode",
        "--model",
        s(&model_dir()),
        "--text",
        s(&text),
        "--out",
        s(&out),
        "--attention",
        "float,quantized",
        "--max-tokens",
        "40",
        "--quiet",
    ]);
    let table = ok(&o);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("line 2: 65 tokens, truncated to 40 (--max-tokens)"),
        "{err}"
    );
    assert!(table.contains("1 truncated"), "{table}");
    let f: Array2<f32> = read_npy(out.to_str().unwrap().replace("{}", "float")).unwrap();
    let q: Array2<f32> = read_npy(out.to_str().unwrap().replace("{}", "quantized")).unwrap();
    assert_eq!((f.dim(), q.dim()), ((2, 384), (2, 384)));
    assert_ne!(f, q);
}

#[test]
fn bad_input_gets_one_clear_line_and_no_output() {
    let m = model_dir();
    let good = passages("good.txt", &[1, 2]);
    let out = tmp("bad_out.npy");
    let run = |extra: &[&str]| {
        let mut a = vec!["encode", "--out", s(&out), "--quiet"];
        a.extend_from_slice(extra);
        logattn(&a)
    };
    // A missing folder, a missing file, a non-BERT config.
    let o = run(&["--model", "/nonexistent/model", "--text", s(&good)]);
    assert_fails(&o, &["/nonexistent/model: no such model folder"], &out);
    let fake = tmp("fake_model");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(fake.join("config.json"), r#"{"model_type": "gpt2"}"#).unwrap();
    let o = run(&["--model", s(&fake), "--text", s(&good)]);
    assert_fails(
        &o,
        &["model_type is \"gpt2\": only the BERT architecture"],
        &out,
    );
    std::fs::write(
        fake.join("config.json"),
        std::fs::read(m.join("config.json")).unwrap(),
    )
    .unwrap();
    let o = run(&["--model", s(&fake), "--text", s(&good)]);
    assert_fails(&o, &["missing model.safetensors"], &out);
    // Empty lines, a missing text file.
    let blank = tmp("blank.txt");
    std::fs::write(&blank, "first\n\nthird\n").unwrap();
    let o = run(&["--model", s(&m), "--text", s(&blank)]);
    assert_fails(&o, &["blank.txt: line 2 is empty"], &out);
    let o = run(&["--model", s(&m), "--text", "/nonexistent/p.txt"]);
    assert_fails(&o, &["/nonexistent/p.txt: cannot read"], &out);
    // More tokens than the model's positions; the board's N_MAX is checked too.
    let o = run(&["--model", s(&m), "--text", s(&good), "--max-tokens", "513"]);
    assert_fails(
        &o,
        &["--max-tokens 513: the model takes 2..=512 tokens"],
        &out,
    );
    // Several backends need {} in --out; an output may not overwrite an input.
    let o = run(&[
        "--model",
        s(&m),
        "--text",
        s(&good),
        "--attention",
        "float,model",
    ]);
    assert_fails(&o, &["with several backends, give a path with {}"], &out);
    let o = logattn(&[
        "encode",
        "--model",
        s(&m),
        "--text",
        s(&good),
        "--out",
        s(&good),
        "--quiet",
    ]);
    assert_fails(&o, &["the output would overwrite an input"], &tmp("never"));
    let o = run(&[
        "--model",
        s(&m),
        "--text",
        s(&good),
        "--json",
        s(&m.join("config.json")),
    ]);
    assert_fails(
        &o,
        &["config.json: the output would overwrite an input"],
        &out,
    );
    // A codebook no design for the data carries on the ULX3S; --verify without a board.
    let o = run(&[
        "--model",
        s(&m),
        "--text",
        s(&good),
        "--board",
        "ulx3s",
        "--octave",
    ]);
    assert_fails(
        &o,
        &["the design was built for log k=3 t=0.001; you asked for octave"],
        &out,
    );
    let o = run(&["--model", s(&m), "--text", s(&good), "--verify"]);
    assert_fails(
        &o,
        &["--verify and --transport are for the board backend"],
        &out,
    );
    let o = run(&[
        "--model",
        s(&m),
        "--text",
        s(&good),
        "--board",
        "xem7010",
        "--octave",
    ]);
    assert_fails(
        &o,
        &["the design is built for D = 64, the model's heads have d = 32"],
        &out,
    );
}
