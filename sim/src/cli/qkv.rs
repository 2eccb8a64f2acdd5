//! `sim --q Q --k K --v V`: every head through the whole on-chip path (front end + AttnV) from
//! float Q, K, V: bit-exactness, cycles, code agreement with the float path, and the output's
//! error against float attention.

use super::DataArgs;
use crate::qkv::{HeadCores, QkvHead};
use anyhow::{bail, Context, Result};
use model::Variant;
use serde_json::json;

/// Runs every head of `--q`, `--k` and `--v` on chip; prints the per-head table; writes
/// `--json`.
pub fn run(a: &DataArgs) -> Result<()> {
    let (qp, kp, vp) = (
        a.q.as_ref().expect("checked"),
        a.k.as_ref().expect("checked"),
        a.v.as_ref().expect("checked"),
    );
    let cb = a.codebook()?;
    let mut outputs = a.outputs()?;
    let q = model::npy::read_finite_f32(qp)?;
    let k = model::npy::read_finite_f32(kp)?;
    let v = model::npy::read_finite_f32(vp)?;
    let mut cores = HeadCores::default()
        .with_qk_bits(a.qk_bits)?
        .with_keys_per_cycle(a.keys_per_cycle)?
        .with_nnz_per_cycle(a.nnz_per_cycle)?;
    let heads = crate::qkv::run_all(&mut cores, &cb, &q, &k, &v, a.valid_len)
        .with_context(|| format!("{}, {} and {}", qp.display(), kp.display(), vp.display()))?;
    let total = QkvHead::total(&heads);
    println!(
        "{} on {} heads of {} (D = {}, n = {}, valid length {}, int{} Q/K, P = {}, K = {}), front end + {:?} core",
        cb.describe(),
        heads.len(),
        qp.display(),
        total.d,
        total.n,
        total.valid_len,
        a.qk_bits,
        a.keys_per_cycle,
        a.nnz_per_cycle,
        Variant::for_codebook(&cb)
    );
    print!("{}", crate::qkv::table(&heads, &total));
    println!(
        "err/fq: against the float pruned-and-quantized output; err/f: against float attention; \
         fq/f: the quantization method's own error (ratio err/f : fq/f = {:.4})",
        total.rel_err_vs_float / total.rel_err_float_quantized_vs_float
    );
    if let Some(path) = &a.json {
        let report = json!({
            "codebook": cb.describe(),
            "variant": format!("{:?}", Variant::for_codebook(&cb)).to_lowercase(),
            "qk_bits": a.qk_bits,
            "keys_per_cycle": a.keys_per_cycle,
            "nnz_per_cycle": a.nnz_per_cycle,
            "q": qp.display().to_string(),
            "k": kp.display().to_string(),
            "v": vp.display().to_string(),
            "total": total,
            "heads": heads,
        });
        outputs.text(path, &serde_json::to_string_pretty(&report)?)?;
    }
    outputs.commit()?;
    let bad: Vec<&QkvHead> = heads.iter().filter(|h| !h.ok()).collect();
    if let Some(h) = bad.first() {
        bail!(
            "{} of {} heads failed; first: {}: {}",
            bad.len(),
            heads.len(),
            h.name,
            h.error.clone().unwrap_or_else(|| format!(
                "{} cycles, model::timing predicts {:?}",
                h.cycles, h.cycles_model
            ))
        );
    }
    Ok(())
}
