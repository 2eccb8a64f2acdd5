//! The page's sections, one module each, in the order of `results/template.md`: each has a
//! `run` that measures (or reads the committed records), sets its placeholders, records its
//! values for `results.json` and writes its figures.
//!
//! | module | template | what |
//! | --- | --- | --- |
//! | [`attention`] | §1 | the MiniLM fixture's attention: sparsity, top-k mass, JSD, histograms |
//! | [`quantizers`] | §1 | the quantizers over bits and thresholds; memory per attention matrix |
//! | [`attnv`] | §2 | the AttnV core in Verilator: efficiency and speed-up vs sparsity, cycles vs n |
//! | [`regression`] | §2, §5 | `sim`'s regression: AttnV cases, whole heads on chip, cycles per head |
//! | [`speed`] | §3 | rust-hdl's native simulator against Verilator |
//! | [`hardware`] | §4-§6 | the synthesis records and the bitstreams' manifests |
//! | [`projection`] | §7, §8 | every board design through the host driver; boards against a GPU |
//! | [`encode`] | §9 | a whole pretrained transformer through the accelerator's numerics |
//! | [`stress`] | §10 | the record of `make stress` |
//!
//! [`mod@format`] holds the number and table formats every section shares.

pub mod attention;
pub mod attnv;
pub mod encode;
pub mod format;
pub mod hardware;
pub mod projection;
pub mod quantizers;
pub mod regression;
pub mod speed;
pub mod stress;

use anyhow::{ensure, Context, Result};
use ndarray::{Array2, ArrayD, IxDyn};
use serde_json::Value;
use std::path::Path;

/// A section: measures, sets its placeholders, writes its figures.
pub type Section = fn(&mut crate::Page) -> Result<()>;

/// The sections by their `--only` names, in page order.
pub const SECTIONS: [(&str, Section); 9] = [
    ("attention", attention::run),
    ("quantizers", quantizers::run),
    ("attnv", attnv::run),
    ("regression", regression::run),
    ("speed", speed::run),
    ("hardware", hardware::run),
    ("projection", projection::run),
    ("encode", encode::run),
    ("stress", stress::run),
];

/// `[layer, head, rows, n]` probabilities as `[layer * head, rows * n]`.
fn per_head(p: &ArrayD<f32>) -> Result<(usize, usize, Array2<f32>)> {
    let s = p.shape();
    ensure!(
        s.len() == 4,
        "the fixture's probabilities are [layer, head, rows, n], got {s:?}"
    );
    let (l, h) = (s[0], s[1]);
    let flat = p
        .to_shape(IxDyn(&[l * h, s[2] * s[3]]))
        .context("reshaping the fixture")?
        .into_dimensionality()?
        .to_owned();
    Ok((l, h, flat))
}

/// A committed JSON record.
fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not JSON", path.display()))
}

/// `logattn LINE` in-process (LINE starts with the command's name): its arguments parsed as
/// the binary parses them, `run`'s output read as JSON.
fn logattn<A: clap::Args + clap::FromArgMatches>(
    line: &str,
    run: impl Fn(&A) -> Result<String>,
) -> Result<Value> {
    let matches = A::augment_args(clap::Command::new("logattn"))
        .try_get_matches_from(line.split_whitespace())
        .with_context(|| line.to_string())?;
    let args = A::from_arg_matches(&matches).with_context(|| line.to_string())?;
    let text = run(&args).with_context(|| line.to_string())?;
    serde_json::from_str(&text).with_context(|| line.to_string())
}
