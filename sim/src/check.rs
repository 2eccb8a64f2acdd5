//! Integer-for-integer comparison of the core's output with the reference model.

use crate::attnv::AttnvJob;
use anyhow::{bail, Result};
use model::AccRows;
use std::fmt::Write;

/// The reference result of a job (`model::accumulate`), after validating the job's shapes.
pub fn expected(job: &AttnvJob, params: &model::CoreParams) -> Result<AccRows> {
    job.validate(params)?;
    Ok(model::accumulate(
        job.codes.view(),
        job.vq.view(),
        &job.weights,
    ))
}

/// Compares `got` with `want` exactly; the error lists the first mismatches (at most 8) with their
/// row and lane, and the number of mismatching values.
pub fn compare(got: &AccRows, want: &AccRows) -> Result<()> {
    if got.acc.dim() != want.acc.dim() || got.rsum.len() != want.rsum.len() {
        bail!(
            "shape mismatch: got acc {:?} and {} row sums, expected {:?} and {}",
            got.acc.dim(),
            got.rsum.len(),
            want.acc.dim(),
            want.rsum.len()
        );
    }
    let mut msg = String::new();
    let mut bad = 0usize;
    for (i, (&g, &w)) in got.rsum.iter().zip(&want.rsum).enumerate() {
        if g != w {
            bad += 1;
            if bad <= 8 {
                let _ = writeln!(msg, "  row {i}: r = {g}, expected {w}");
            }
        }
    }
    for ((i, l), &g) in got.acc.indexed_iter() {
        let w = want.acc[(i, l)];
        if g != w {
            bad += 1;
            if bad <= 8 {
                let _ = writeln!(
                    msg,
                    "  row {i} lane {l}: acc = {g}, expected {w} (diff {})",
                    g - w
                );
            }
        }
    }
    if bad > 0 {
        bail!(
            "{bad} values differ from model::accumulate:\n{}",
            msg.trim_end()
        );
    }
    Ok(())
}

/// Runs the reference model on `job` and compares.
pub fn check_job(job: &AttnvJob, params: &model::CoreParams, got: &AccRows) -> Result<()> {
    compare(got, &expected(job, params)?)
}
