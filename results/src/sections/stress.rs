//! §10 At scale: the long randomized checks of `make stress`, from the record it writes
//! (`docs/data/stress.jsonl`, one JSON line per check: [`model::stress::record`]). The checks
//! take longer than a results run should (the record says how long), so this section reads
//! the committed record as §4 reads the synthesis records: `make stress` refreshes it.

use super::format::md_table;
use crate::Page;
use anyhow::{ensure, Context, Result};
use serde_json::Value;

/// A count (a JSON number) with thousands separators.
fn thou(x: f64) -> String {
    super::format::thou(x.round() as u64)
}

/// What a check ran and found, as two table cells.
fn describe(r: &Value) -> (String, String) {
    let g = |k: &str| r[k].as_f64().unwrap_or(0.0);
    let name = r["check"].as_str().unwrap_or("");
    if name.starts_with("fuzz") {
        (
            format!("{} cases", thou(g("cases"))),
            format!("{} failed", thou(g("failed"))),
        )
    } else if name.starts_with("driver") {
        (
            format!("{} jobs, each back exactly once", thou(g("jobs"))),
            format!(
                "{} faults injected ({} dropped, {} doubled, {} flipped, {} stalls); {} failed attempts detected, {} retries; **{} wrong outputs**",
                thou(g("faults")),
                thou(g("dropped")),
                thou(g("duplicated")),
                thou(g("flipped")),
                thou(g("stalled")),
                thou(g("detected")),
                thou(g("retries")),
                thou(g("wrong"))
            ),
        )
    } else if name.contains("AttnV") {
        (
            format!(
                "{} rows in {} jobs ({} with idle inputs or back-pressure), {} configurations",
                thou(g("rows")),
                thou(g("jobs")),
                thou(g("jobs_with_idle_or_backpressure")),
                thou(g("configurations"))
            ),
            format!(
                "{} cycles simulated; {} jobs cycle-checked against model::timing; **{} wrong**",
                thou(g("cycles")),
                thou(g("jobs_cycle_checked")),
                thou(g("wrong"))
            ),
        )
    } else {
        (
            format!(
                "{} rows in {} heads ({} runs, {} with idle inputs or back-pressure), {} configurations",
                thou(g("rows")),
                thou(g("heads")),
                thou(g("runs")),
                thou(g("runs_with_idle_or_backpressure")),
                thou(g("configurations"))
            ),
            format!(
                "{} cycles simulated; {} heads cycle-checked against model::timing; **{} wrong**",
                thou(g("cycles")),
                thou(g("heads_cycle_checked")),
                thou(g("wrong"))
            ),
        )
    }
}

/// §10: the table of `make stress`'s checks and its wall time.
pub fn run(page: &mut Page) -> Result<()> {
    page.log("§10 make stress (docs/data/stress.jsonl)");
    let path = page.root.join("docs/data/stress.jsonl");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("{}: run `make stress` to write it", path.display()))?;
    let records: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<std::result::Result<_, _>>()
        .with_context(|| format!("{}: not one JSON object a line", path.display()))?;
    let total = records
        .iter()
        .find(|r| r["check"] == "make stress")
        .with_context(|| {
            format!(
                "{}: no `make stress` line (an unfinished run)",
                path.display()
            )
        })?;
    let mut rows = Vec::new();
    for r in records.iter().filter(|r| r["check"] != "make stress") {
        ensure!(
            r["wrong"].as_f64().unwrap_or(0.0) == 0.0 && r["failed"].as_f64().unwrap_or(0.0) == 0.0,
            "{}: a stress check recorded failures: {r}",
            path.display()
        );
        let (ran, found) = describe(r);
        rows.push(vec![
            r["check"].as_str().unwrap_or("?").to_string(),
            ran,
            found,
            format!("{:.1}", r["seconds"].as_f64().unwrap_or(0.0)),
        ]);
    }
    let secs = total["seconds"].as_f64().unwrap_or(0.0);
    page.set(
        "stress_table",
        md_table(&["check", "what ran", "what it found", "seconds"], &rows),
    );
    page.set(
        "stress_wall",
        format!(
            "{:.1} minutes on {} cores, builds included",
            secs / 60.0,
            total["cores"].as_u64().unwrap_or(0)
        ),
    );
    page.record("stress", &records)
}
