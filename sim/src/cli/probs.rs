//! `sim --probs P --v V`: every head of real attention through the AttnV core, codes from the
//! host's quantizer: cycles, efficiency and speed-up over the dense baseline, bit-exactness.

use super::DataArgs;
use crate::bench::{Cores, Measured};
use crate::regression::CaseOutcome;
use anyhow::{bail, Context, Result};
use model::{Codebook, Variant};
use serde_json::{json, Value};

/// Runs every head of `--probs` and `--v` through the core; prints the total and the worst
/// head; writes `--json` and `--vcd` (the first head).
pub fn run(a: &DataArgs) -> Result<()> {
    let (pp, vp) = (
        a.probs.as_ref().expect("checked"),
        a.v.as_ref().expect("checked"),
    );
    let cb = a.codebook()?;
    let mut outputs = a.outputs()?;
    let p = model::npy::read_probs(pp)?;
    let v = model::npy::read_finite_f32(vp)?;
    let heads = crate::bench::heads_of(&p, &v, &cb)
        .with_context(|| format!("{} and {}", pp.display(), vp.display()))?;
    let mut cores = Cores::default();
    // The VCD goes into its staged temporary file; errors name the user's path.
    let vcd = a
        .vcd
        .as_deref()
        .map(|p| outputs.staged_path(p))
        .transpose()?;
    let ms = crate::bench::run_heads(&mut cores, &heads, &cb, vcd.as_deref())
        .map_err(|e| anyhow::anyhow!(outputs.in_users_terms(format!("{e:#}"))))?;
    let total = Measured::total("total", &ms);
    println!(
        "{} on {} heads of {} (D = {}, n = {})",
        cb.describe(),
        ms.len(),
        pp.display(),
        total.d,
        total.n
    );
    print!("{}", table(&cb, &total, &ms));
    println!(
        "simulation: {:.2} M cycles per CPU second",
        total.sim_cycles_per_second() / 1e6
    );
    if let Some(path) = &a.json {
        let report = json!({
            "codebook": cb.describe(),
            "variant": format!("{:?}", Variant::for_codebook(&cb)).to_lowercase(),
            "probs": pp.display().to_string(),
            "v": vp.display().to_string(),
            "total": head_json(&total),
            "heads": ms.iter().map(head_json).collect::<Vec<_>>(),
        });
        outputs.text(path, &serde_json::to_string_pretty(&report)?)?;
    }
    outputs.commit()?;
    let bad: Vec<&Measured> = ms.iter().filter(|m| !m.ok()).collect();
    if let Some(m) = bad.first() {
        bail!(
            "{} of {} heads failed; first: {}: {}",
            bad.len(),
            ms.len(),
            m.name,
            m.error.as_deref().unwrap_or("mismatch")
        );
    }
    Ok(())
}

/// The regression's table with two rows: the total and the least efficient head.
fn table(cb: &Codebook, total: &Measured, ms: &[Measured]) -> String {
    let worst = ms
        .iter()
        .min_by(|x, y| x.efficiency().total_cmp(&y.efficiency()))
        .expect("at least one head");
    let variant = Variant::for_codebook(cb);
    let rows = [
        total.clone(),
        Measured {
            name: format!("worst: {}", worst.name),
            ..worst.clone()
        },
    ]
    .map(|measured| CaseOutcome {
        measured,
        variant,
        note: String::new(),
    });
    crate::regression::table(&rows)
}

/// One head (or the total) in the `--json` report.
fn head_json(m: &Measured) -> Value {
    json!({
        "name": m.name, "rows": m.rows, "n": m.n, "d": m.d, "nnz": m.nnz, "cycles": m.cycles,
        "ideal_cycles": m.ideal_cycles, "efficiency": m.efficiency(), "dense_cycles": m.dense_cycles,
        "speedup": m.speedup(), "ideal_speedup": m.ideal_speedup(), "bit_exact": m.bit_exact,
        "cycles_as_predicted": m.cycles_as_predicted, "sim_cycles_per_second": m.sim_cycles_per_second(),
    })
}
