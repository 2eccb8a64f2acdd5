//! End-to-end tests of `logattn run`, `bench`, `info` and `devices` on the simulated board:
//! outputs equal the model's, faults change nothing in them, and bad input or a refusing
//! board gets a clear error and no output file.

use model::golden::{golden_dir, load_head_cases};
use model::{dequantize, quantize_v, Codebook};
use ndarray::{Array3, Array4, ArrayD, Axis};
use ndarray_npy::{read_npy, write_npy};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

mod common;
use common::{assert_fails, json, logattn, logattn_line, ok, s, tmp};

#[test]
fn run_replays_the_golden_head_and_writes_the_models_output() {
    let cases = load_head_cases(&golden_dir().join("head")).unwrap();
    let g = cases.iter().find(|c| c.name == "d4_n20_log3").unwrap();
    let dir = golden_dir().join("head").join(&g.name);
    let (o, r) = (tmp("golden_o.npy"), tmp("golden_r.json"));
    let out = logattn(&[
        "run",
        "--q",
        s(&dir.join("q.npy")),
        "--k",
        s(&dir.join("k.npy")),
        "--v",
        s(&dir.join("v.npy")),
        "--threshold",
        "1e-3",
        "--verify",
        "--out",
        s(&o),
        "--json",
        s(&r),
    ]);
    let text = ok(&out);
    assert!(
        text.contains("every head bit-exact against the model"),
        "{text}"
    );
    // O is the golden accumulators, dequantized.
    let cb = g.codebook().unwrap();
    let want = dequantize(
        &g.expected,
        &quantize_v(g.v.view()).unwrap().scales,
        cb.weights().scale,
    );
    let got: ndarray::Array2<f32> = read_npy(&o).unwrap();
    assert_eq!(got, want);
    let rep = json(&r);
    let h = &rep["heads"][0];
    assert_eq!(h["cycles"], h["cycles_model"]);
    assert_eq!(rep["link"]["retries"], 0);
    assert_eq!(rep["board"]["d"], 4);
}

fn random_qkv(
    lead: (usize, usize),
    rows: usize,
    n: usize,
    d: usize,
    seed: u64,
) -> [Array4<f32>; 3] {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut g =
        |r| Array4::from_shape_simple_fn((lead.0, lead.1, r, d), || rng.gen_range(-2.0f32..2.0));
    [g(rows), g(n), g(n)]
}

#[test]
fn run_streams_every_head_and_faults_change_nothing() {
    let [q, k, v] = random_qkv((2, 3), 9, 40, 4, 1);
    let (qp, kp, vp) = (tmp("q.npy"), tmp("k.npy"), tmp("v.npy"));
    write_npy(&qp, &q).unwrap();
    write_npy(&kp, &k).unwrap();
    write_npy(&vp, &v).unwrap();
    let (o1, o2, r2) = (tmp("o1.npy"), tmp("o2.npy"), tmp("r2.json"));
    let base = [
        "run",
        "--q",
        s(&qp),
        "--k",
        s(&kp),
        "--v",
        s(&vp),
        "--valid-len",
        "33",
    ];
    ok(&logattn(
        &[&base[..], &["--verify", "--out", s(&o1)]].concat(),
    ));
    ok(&logattn(
        &[
            &base[..],
            &[
                "--inject",
                "all=0.05,seed=2",
                "--out",
                s(&o2),
                "--json",
                s(&r2),
            ],
        ]
        .concat(),
    ));
    let a: ArrayD<f32> = read_npy(&o1).unwrap();
    let b: ArrayD<f32> = read_npy(&o2).unwrap();
    assert_eq!(a.shape(), &[2, 3, 9, 4]);
    assert_eq!(a, b, "injected faults changed an output");
    let rep = json(&r2);
    assert!(rep["faults"]["dropped"].as_u64().is_some());
    assert_eq!(rep["heads"].as_array().unwrap().len(), 6);
    assert_eq!(rep["heads"][5]["name"], "head [1, 2]");
    // Each head equals the model's float path through the same integers.
    let cb = Codebook::log(3, 1e-3).unwrap();
    let fe = model::frontend::FrontEndParams {
        d: 4,
        n_max: 64,
        ..Default::default()
    };
    for (l, h) in [(0, 0), (1, 2)] {
        let (qh, kh, vh) = (
            q.index_axis(Axis(0), l).index_axis(Axis(0), h).to_owned(),
            k.index_axis(Axis(0), l).index_axis(Axis(0), h).to_owned(),
            v.index_axis(Axis(0), l).index_axis(Axis(0), h).to_owned(),
        );
        let t = model::frontend::front_end(&fe, &cb, qh.view(), kh.view(), 33).unwrap();
        let qv = quantize_v(vh.view()).unwrap();
        let acc = model::accumulate(t.codes.view(), qv.vq.view(), &cb.weights().w);
        let want = dequantize(&acc, &qv.scales, cb.weights().scale);
        let got = a.index_axis(Axis(0), l).index_axis(Axis(0), h).to_owned();
        assert_eq!(got, want.into_dyn(), "head [{l}, {h}]");
    }
}

#[test]
fn run_codes_path_equals_attend() {
    let mut rng = StdRng::seed_from_u64(3);
    // Rows of a softmax over 50 keys, 2 heads; V of 8 lanes (the Alchitry Cu's codes board).
    let mut p = Array3::<f32>::zeros((2, 6, 50));
    for mut row in p.rows_mut() {
        let e: Vec<f32> = (0..50)
            .map(|_| (rng.gen_range(-4.0f32..4.0)).exp())
            .collect();
        let sum: f32 = e.iter().sum();
        for (x, y) in row.iter_mut().zip(e) {
            *x = y / sum;
        }
    }
    let v = Array3::from_shape_simple_fn((2, 50, 8), || rng.gen_range(-1.0f32..1.0));
    let (pp, vp, o1, o2) = (tmp("p.npy"), tmp("pv.npy"), tmp("po1.npy"), tmp("po2.npy"));
    write_npy(&pp, &p).unwrap();
    write_npy(&vp, &v).unwrap();
    let text = ok(&logattn(&[
        "run",
        "--probs",
        s(&pp),
        "--v",
        s(&vp),
        "--octave",
        "--board",
        "alchitry_cu",
        "--verify",
        "--out",
        s(&o1),
    ]));
    assert!(text.contains("LinkCore, D = 8"), "{text}");
    ok(&logattn(&[
        "attend",
        "--probs",
        s(&pp),
        "--v",
        s(&vp),
        "--octave",
        "--out",
        s(&o2),
    ]));
    let a: ArrayD<f32> = read_npy(&o1).unwrap();
    let b: ArrayD<f32> = read_npy(&o2).unwrap();
    assert_eq!(a, b);
}

/// Writes Q, K, V to `name`-q.npy, -k.npy, -v.npy; returns the `--q .. --k .. --v ..` words.
fn write_qkv(name: &str, [q, k, v]: &[Array4<f32>; 3]) -> String {
    let p = |x: &str| tmp(&format!("{name}-{x}.npy"));
    write_npy(p("q"), q).unwrap();
    write_npy(p("k"), k).unwrap();
    write_npy(p("v"), v).unwrap();
    format!("--q {} --k {} --v {}", s(&p("q")), s(&p("k")), s(&p("v")))
}

#[test]
fn bad_runs_get_a_clear_error_and_no_output() {
    let qkv = random_qkv((1, 1), 4, 20, 4, 4);
    let good = write_qkv("good", &qkv);
    let o = tmp("never.npy");
    let run =
        |inputs: &str, extra: &str| logattn_line(&format!("run {inputs} --out {} {extra}", s(&o)));
    for (extra, needles) in [
        ("--transport uart", &["--transport uart needs --device"][..]),
        ("--board nosuch", &["unknown board `nosuch`"]),
        (
            "--transport frontpanel",
            &["built without FrontPanel support", "--features xem7010"],
        ),
        (
            "--transport uart --device /nonexistent/ttyUSB9",
            &["opening serial port /nonexistent/ttyUSB9"],
        ),
        ("--valid-len 70", &["valid length 70 exceeds n = 20"]),
        ("--board alchitry_cu", &["this board has no Q/K front end"]),
    ] {
        assert_fails(&run(&good, extra), needles, &o);
    }
    let out = run(&good, "--inject drop=2");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("drop = 2 is not a probability"));
    // n beyond N_MAX, and a d no board is built for.
    let long = write_qkv("long", &random_qkv((1, 2), 4, 100, 4, 5));
    assert_fails(
        &run(&long, ""),
        &["n = 100 keys, but the board takes 1..=64 (N_MAX)"],
        &o,
    );
    let d5 = write_qkv("d5", &random_qkv((1, 1), 4, 10, 5, 6));
    assert_fails(
        &run(&d5, ""),
        // Each width once (the list once named 64 twice).
        &["d = 5: the on-chip head is built for D in [4, 8, 32, 64]"],
        &o,
    );
    // NaN in Q.
    let mut nan = qkv.clone();
    nan[0][[0, 0, 1, 2]] = f32::NAN;
    assert_fails(&run(&write_qkv("nan", &nan), ""), &["nan-q.npy", "NaN"], &o);
    // An octave codes board takes no codes of the log codebook: the host says so before sending
    // (the board's own refusal is tested in tests/driver.rs).
    let (pp, vp) = (tmp("refused-p.npy"), tmp("refused-v.npy"));
    write_npy(&pp, &Array3::<f32>::from_elem((1, 2, 16), 1.0 / 16.0)).unwrap();
    write_npy(&vp, &Array3::<f32>::from_elem((1, 16, 8), 0.5)).unwrap();
    assert_fails(
        &run(
            &format!("--probs {} --v {}", s(&pp), s(&vp)),
            "--board alchitry_cu",
        ),
        &[
            "the board's AttnV lanes are shift-only (octave codebook)",
            "pass --octave",
        ],
        &o,
    );
}

#[test]
fn info_and_devices_describe_the_boards() {
    let text = ok(&logattn(&["info", "--board", "alchitry_cu"]));
    assert!(
        text.contains("D = 8, N_MAX = 64, 3-bit codes, octave lanes"),
        "{text}"
    );
    assert!(
        text.contains("front end: none") && text.contains("codes jobs: yes"),
        "{text}"
    );
    let j: serde_json::Value =
        serde_json::from_str(&ok(&logattn(&["info", "--board", "alchitry_cu", "--json"]))).unwrap();
    assert_eq!(j["info"]["variant"], "octave");
    let core = model::CoreParams::new(8, 64, 16, 3).unwrap();
    assert_eq!(j["info"]["acc_bits"], core.acc_bits());
    let j: serde_json::Value = serde_json::from_str(&ok(&logattn(&["devices", "--json"]))).unwrap();
    let sims: Vec<&str> = j
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["transport"] == "sim")
        .map(|r| r["device"].as_str().unwrap())
        .collect();
    assert_eq!(
        sims,
        [
            "--board ulx3s",
            "--board ulx3s --design core",
            "--board alchitry_cu",
            "--board xem7010"
        ]
    );
    // The ULX3S's second design: the D = 64 core alone, taking codes.
    let j: serde_json::Value = serde_json::from_str(&ok(&logattn(&[
        "info", "--board", "ulx3s", "--design", "core", "--json",
    ])))
    .unwrap();
    assert_eq!(
        (&j["info"]["d"], &j["info"]["n_max"], &j["info"]["codes"]),
        (
            &serde_json::json!(64),
            &serde_json::json!(512),
            &serde_json::json!(true)
        ),
        "{j}"
    );
}

#[test]
fn bench_reaches_the_sparsity_asked_and_reports_verified_cycles() {
    let r = tmp("bench.json");
    let text = ok(&logattn(&[
        "bench",
        "--d",
        "4",
        "--n",
        "16,48",
        "--heads",
        "3",
        "--sparsity",
        "0.5,0.9",
        "--verify",
        "--json",
        s(&r),
        "--quiet",
    ]));
    assert!(text.contains("sim (Verilated LinkHead, D = 4"), "{text}");
    let rep = json(&r);
    let rows = rep["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for row in rows {
        let (t, z) = (
            row["target_sparsity"].as_f64().unwrap(),
            row["sparsity"].as_f64().unwrap(),
        );
        assert!((z - t).abs() < 0.1, "sparsity {z} for target {t}");
        assert!(row["cycles"]["min"].as_f64().unwrap() > 0.0);
        assert_eq!(row["link"]["jobs_done"], 3);
        assert_eq!(row["link"]["retries"], 0);
        let share = row["compute_share_of_sim_cycles"].as_f64().unwrap();
        assert!(share > 0.0 && share < 1.0, "{share}");
    }
    // JSON to standard output for scripts.
    let run = logattn_line;
    let j: serde_json::Value =
        serde_json::from_str(&ok(&run("bench --d 4 --n 16 --heads 1 --json -"))).unwrap();
    assert_eq!(j["rows"][0]["n"], 16);
    let out = run("bench --d 4 --n 16 --heads 1 --project ulx3s");
    assert_fails(
        &out,
        &[
            "--project ulx3s",
            "whole heads at D = 32; these jobs are whole heads at d = 4",
        ],
        &tmp("none"),
    );
}

/// On a codes board (the core alone) bench sends synthetic probabilities and V: the cycles the
/// board reports fall with sparsity (zero skipping), every head verified against the model.
#[test]
fn bench_on_a_codes_board_shows_zero_skipping() {
    let out = logattn_line(
        "bench --board alchitry_cu --octave --n 64 --heads 2 --sparsity 0.5,0.9 --verify --quiet --json -",
    );
    let rep: serde_json::Value = serde_json::from_str(&ok(&out)).unwrap();
    let rows = rep["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for row in rows {
        let (t, z) = (
            row["target_sparsity"].as_f64().unwrap(),
            row["sparsity"].as_f64().unwrap(),
        );
        assert!((z - t).abs() < 0.05, "sparsity {z} for target {t}");
        assert_eq!(row["d"], 8);
        assert_eq!(row["projection"]["board"], "alchitry_cu");
    }
    let cycles = |i: usize| rows[i]["cycles"]["median"].as_f64().unwrap();
    // 64 rows of 64 keys: a dense row takes 64 cycles, a sparse one max(nnz, 4) and a little.
    assert!(
        cycles(1) < 0.4 * cycles(0),
        "90% zeros: {} cycles, 50%: {}",
        cycles(1),
        cycles(0)
    );
    // A design name is the board's: `core` is the ULX3S's alone, and needs a board.
    assert_fails(
        &logattn_line("bench --board alchitry_cu --design core --n 16 --heads 1"),
        &["alchitry_cu: no link design `core`; its link designs: link"],
        &tmp("none"),
    );
    assert_fails(
        &logattn_line("bench --design core --n 16 --heads 1"),
        &["--design core needs --board"],
        &tmp("none"),
    );
}

/// A code width other than the hardware's 3 bits gets the same one-line error on every board
/// choice, the default simulated board included (it used to fail an assertion in hdl).
#[test]
fn code_widths_the_boards_lack_get_a_clear_error_on_every_board() {
    let qkv = write_qkv("bits", &random_qkv((1, 2), 4, 16, 4, 11));
    let (pp, vp) = (tmp("bits-codes-p.npy"), tmp("bits-codes-v.npy"));
    write_npy(&pp, &Array3::<f32>::from_elem((2, 4, 16), 1.0 / 16.0)).unwrap();
    write_npy(&vp, &Array3::<f32>::from_elem((2, 16, 8), 0.5)).unwrap();
    let codes = format!("--probs {} --v {}", s(&pp), s(&vp));
    let o = tmp("never-bits.npy");
    for (inputs, board) in [
        (&qkv, ""),
        (&qkv, "--board ulx3s"),
        (&qkv, "--board xem7010"),
        (&codes, ""),
        (&codes, "--board alchitry_cu"),
    ] {
        for bits in ["--bits 1", "--bits 2", "--bits 4", "--octave --bits 4"] {
            let out = logattn_line(&format!("run {inputs} {board} {bits} --out {}", s(&o)));
            assert_fails(&out, &["the board takes 3-bit codes"], &o);
        }
    }
    for line in [
        "bench --bits 2 --n 16 --heads 1",
        "bench --octave --bits 4 --n 16 --heads 1",
        "bench --bits 1 --n 16 --heads 1 --board ulx3s",
    ] {
        assert_fails(&logattn_line(line), &["the board takes 3-bit codes"], &o);
    }
}

/// bench checks every limit before it builds anything: sizes far beyond the board (or the
/// machine) are refused at once with a clear error, never a capacity overflow or an abort.
#[test]
fn bench_refuses_sizes_beyond_its_limits_before_building_anything() {
    let none = tmp("none");
    for (line, needle) in [
        (
            "bench --d 4 --n 16 --heads 18446744073709551615",
            "--heads 18446744073709551615: the synthetic heads",
        ),
        (
            "bench --d 4 --n 18446744073709551615 --heads 1",
            "n = 18446744073709551615 keys, but the board takes 1..=64",
        ),
        (
            "bench --d 4 --n 16 --rows 4294967296 --heads 1",
            "4294967296 query rows, but the board takes 1..=64",
        ),
        (
            "bench --rows 1000000 --n 64 --heads 1",
            "1000000 query rows, but the board takes 1..=512",
        ),
    ] {
        assert_fails(&logattn_line(line), &[needle], &none);
    }
}

/// --valid-len 0 (every key masked) and inputs of no heads are refused, not run.
#[test]
fn no_valid_keys_and_no_heads_are_refused() {
    let o = tmp("never-empty.npy");
    let good = write_qkv("vl0", &random_qkv((1, 2), 4, 16, 4, 12));
    assert_fails(
        &logattn_line(&format!("run {good} --valid-len 0 --out {}", s(&o))),
        &["--valid-len 0: at least one key must be valid (1..=n = 16)"],
        &o,
    );
    let empty = write_qkv("noheads", &random_qkv((0, 2), 4, 16, 4, 13));
    assert_fails(
        &logattn_line(&format!("run {empty} --out {}", s(&o))),
        &["noheads-v.npy: no heads", "nothing to run"],
        &o,
    );
}

/// run refuses outputs that are inputs or each other, before it reads or runs anything.
#[test]
fn run_never_writes_over_an_input_or_its_other_output() {
    let qkv = random_qkv((1, 1), 4, 16, 4, 14);
    let good = write_qkv("clobber", &qkv);
    let q = tmp("clobber-q.npy");
    let q0 = std::fs::read(&q).unwrap();
    let o = tmp("clobber-o.npy");
    for (extra, needle, path) in [
        (
            format!("--out {} --json {}", s(&o), s(&o)),
            "given as two outputs",
            &o,
        ),
        (
            format!("--out {}", s(&q)),
            "the output would overwrite an input",
            &q,
        ),
    ] {
        let out = logattn_line(&format!("run {good} {extra}"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains(&format!("{}: ", path.display())) && err.contains(needle),
            "{err}"
        );
    }
    assert!(!o.exists());
    assert_eq!(std::fs::read(&q).unwrap(), q0, "Q was overwritten");
}

/// A head that runs out of attempts does not cost the others: the run goes on, writes every
/// finished head (the failed ones NaN, named on one line and in the JSON with their status)
/// and exits with code 3; `--resume` then runs only the failed heads, and the result equals a
/// run without faults.
#[test]
fn a_failed_head_costs_only_itself_and_resume_finishes_the_run() {
    let qkv = random_qkv((4, 10), 8, 16, 4, 15);
    let inputs = write_qkv("partial", &qkv);
    let (o, r, clean) = (
        tmp("partial-o.npy"),
        tmp("partial-r.json"),
        tmp("clean.npy"),
    );
    ok(&logattn_line(&format!(
        "run {inputs} --out {} --quiet",
        s(&clean)
    )));
    let want: ArrayD<f32> = read_npy(&clean).unwrap();
    let faulty = format!(
        "run {inputs} --out {} --json {} --inject all=0.3,seed=5 --max-attempts 2 --quiet",
        s(&o),
        s(&r)
    );
    let out = logattn_line(&faulty);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    let rep = json(&r);
    let heads = rep["heads"].as_array().unwrap();
    assert_eq!(heads.len(), 40);
    let failed: Vec<usize> = (0..40)
        .filter(|&h| heads[h]["status"] == "failed")
        .collect();
    let okay = (0..40).filter(|&h| heads[h]["status"] == "ok").count();
    assert!(!failed.is_empty() && okay > 0, "{failed:?}");
    assert_eq!(failed.len() + okay, 40, "every head has a status");
    assert_eq!(rep["heads_failed"], failed.len());
    assert!(
        err.contains(&format!("{} of 40 heads failed: ", failed.len()))
            && err.contains(heads[failed[0]]["name"].as_str().unwrap())
            && err.contains("no verified response after 2 attempts")
            && err.contains("--resume"),
        "{err}"
    );
    let got: ArrayD<f32> = read_npy(&o).unwrap();
    let got = got.into_shape_with_order((40, 8, 4)).unwrap();
    let want3 = want.clone().into_shape_with_order((40, 8, 4)).unwrap();
    for (h, head) in heads.iter().enumerate() {
        let g = got.index_axis(Axis(0), h);
        if failed.contains(&h) {
            assert!(g.iter().all(|x| x.is_nan()), "failed head {h} is NaN");
            assert!(head["error"].as_str().unwrap().contains("attempts"));
        } else {
            assert_eq!(g, want3.index_axis(Axis(0), h), "head {h}");
        }
    }
    // --json - puts the report on standard output all the same.
    let out = logattn_line(&format!(
        "run {inputs} --out {} --json - --inject all=0.3,seed=5 --max-attempts 2 --quiet",
        s(&tmp("partial-o2.npy"))
    ));
    assert_eq!(out.status.code(), Some(3));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["heads_failed"], failed.len());
    // Resume: only the failed heads run; the whole output equals the clean run's.
    let text = ok(&logattn_line(&format!(
        "run {inputs} --out {} --resume --quiet",
        s(&o)
    )));
    assert!(
        text.starts_with(&format!("{} heads ({} more kept", failed.len(), okay)),
        "{text}"
    );
    let got: ArrayD<f32> = read_npy(&o).unwrap();
    assert_eq!(got, want);
    let text = ok(&logattn_line(&format!(
        "run {inputs} --out {} --resume --quiet",
        s(&o)
    )));
    assert!(text.contains("every head of"), "{text}");
    // An output of another shape is not resumed.
    let other = tmp("partial-other.npy");
    write_npy(&other, &Array3::<f32>::zeros((2, 4, 16))).unwrap();
    assert_fails(
        &logattn_line(&format!("run {inputs} --out {} --resume", s(&other))),
        &[
            "--resume:",
            "has shape [2, 4, 16]; this run's output is [4, 10, 8, 4]",
        ],
        &tmp("none"),
    );
}
