//! What the CLI tests share: running `logattn`, temporary paths, and checking failures.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs `logattn` with `args`.
pub fn logattn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logattn"))
        .args(args)
        .output()
        .expect("runs")
}

/// Runs `logattn` with the words of `line` (paths must not hold spaces).
pub fn logattn_line(line: &str) -> Output {
    logattn(&line.split_whitespace().collect::<Vec<_>>())
}

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A path in this test process's temporary folder.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("logattn-tests-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// A path as a `&str`.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Asserts success; returns standard output.
pub fn ok(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "failed: {err}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Asserts a failure: exit code 1, one line on stderr containing every `needle` (besides the
/// simulator's `[sim] ...` progress lines when it builds a model), no panic, and no output
/// file.
pub fn assert_fails(out: &Output, needles: &[&str], no_file: &Path) {
    let all = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {all}");
    assert!(!all.contains("panicked"), "{all}");
    let err: Vec<&str> = all.lines().filter(|l| !l.starts_with("[sim] ")).collect();
    assert_eq!(err.len(), 1, "one line expected: {all}");
    for n in needles {
        assert!(err[0].contains(n), "stderr {all:?} lacks {n:?}");
    }
    assert!(
        !no_file.exists(),
        "{} was written despite the error",
        no_file.display()
    );
}

/// A JSON file's value.
pub fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}
