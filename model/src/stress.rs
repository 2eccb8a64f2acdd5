//! The long checks (`make stress`): how many cases a check runs, and the record of what it
//! ran.
//!
//! A randomized test (fuzzing, fault injection, random jobs through the simulated hardware)
//! runs a few cases in `cargo test` and many under `make stress`, which sets `LOGATTN_STRESS`
//! to the path of a record file ([`count`] picks the number). Each check then appends one JSON
//! line to that file ([`record`]): its name and its figures (cases, failures, seconds); the
//! results page reads them (`docs/data/stress.jsonl`).

use std::io::Write;
use std::path::PathBuf;

/// The variable `make stress` sets: the file the checks append their records to.
pub const ENV: &str = "LOGATTN_STRESS";

/// The record file, when running under `make stress`.
pub fn record_path() -> Option<PathBuf> {
    std::env::var_os(ENV)
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// Whether this is a `make stress` run.
pub fn active() -> bool {
    record_path().is_some()
}

/// `stress` under `make stress`, else `test`.
pub fn count(test: u64, stress: u64) -> u64 {
    if active() {
        stress
    } else {
        test
    }
}

/// Prints a check's figures and, under `make stress`, appends them to the record as one JSON
/// line: `{"check": name, figure: value, ...}`. Panics if the record cannot be written (a
/// stress run whose figures are lost has failed).
pub fn record(check: &str, figures: &[(&str, f64)]) {
    let text: Vec<String> = figures.iter().map(|(k, v)| format!("{k} {v}")).collect();
    println!("{check}: {}", text.join(", "));
    let Some(path) = record_path() else { return };
    let mut line = format!("{{\"check\": {}", json_string(check));
    for (k, v) in figures {
        assert!(
            v.is_finite(),
            "{check}: {k} = {v} is not a number JSON can hold"
        );
        line += &format!(", {}: {v}", json_string(k));
    }
    line += "}\n";
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(line.as_bytes()));
    if let Err(e) = written {
        panic!("{}: cannot append the stress record: {e}", path.display());
    }
}

/// `s` as a JSON string.
fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out += "\\\"",
            '\\' => out += "\\\\",
            c if (c as u32) < 0x20 => out += &format!("\\u{:04x}", c as u32),
            c => out.push(c),
        }
    }
    out + "\""
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_json_strings() {
        assert_eq!(
            super::json_string("a \"b\"\\\n"),
            "\"a \\\"b\\\"\\\\\\u000a\""
        );
    }
}
