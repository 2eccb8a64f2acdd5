//! `sim` without arguments: the regression (synthetic densities, edge cases, stalls, reset, the
//! golden vectors and every head of the real-attention fixture through the AttnV core against
//! the dense baseline; whole heads on chip; the board design on its byte streams), as tables.
//! The cases are [`crate::regression`]'s.

use crate::bench::{Cores, Measured};
use crate::board::LinkCase;
use crate::qkv::{HeadCores, QkvHead};
use anyhow::{bail, Result};
use std::path::Path;
use std::time::Instant;

/// Cases run and failed in one part of the regression.
#[derive(Clone, Copy)]
struct Count {
    cases: usize,
    failed: usize,
}

/// Runs every case; prints the tables, a line per failed case and the totals; fails if any
/// case failed.
pub fn run(seed: u64) -> Result<()> {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/minilm");
    let mut cores = Cores::default();
    let t = Instant::now();
    let outcomes = crate::regression::run(&mut cores, seed, &fixture)?;
    println!("{}", crate::regression::table(&outcomes));
    let on_chip = on_chip(seed, &fixture)?;
    let link = link(seed)?;
    let all: Vec<Measured> = outcomes.iter().map(|o| o.measured.clone()).collect();
    let core = core_failures(&all);
    let total = Measured::total("all", &all);
    println!(
        "simulated {} cycles at {:.2} M cycles per CPU second ({:.0} s wall in all)",
        total.sim_cycles,
        total.sim_cycles_per_second() / 1e6,
        t.elapsed().as_secs_f64()
    );
    let (cases, bad) = (
        core.cases + on_chip.cases + link.cases,
        core.failed + on_chip.failed + link.failed,
    );
    println!("{} passed, {} failed", cases - bad, bad);
    if bad > 0 {
        bail!("{bad} of {cases} regression cases failed");
    }
    Ok(())
}

/// The AttnV core's cases (their table is printed first): a line per failed case.
fn core_failures(all: &[Measured]) -> Count {
    let failed: Vec<&Measured> = all.iter().filter(|m| !m.ok()).collect();
    for m in &failed {
        println!(
            "FAIL {}: {}",
            m.name,
            m.error.as_deref().unwrap_or("mismatch")
        );
    }
    Count {
        cases: all.len(),
        failed: failed.len(),
    }
}

/// The whole head on chip (front end + AttnV) from float Q, K, V: the table, a line per
/// failed case.
fn on_chip(seed: u64, fixture: &Path) -> Result<Count> {
    let mut heads = HeadCores::default();
    let on_chip = crate::regression::on_chip(&mut heads, seed, fixture)?;
    println!("The whole head on chip (front end + AttnV), from float Q, K, V:");
    let on_chip_total = QkvHead::total(&on_chip);
    print!("{}", crate::qkv::table(&on_chip, &on_chip_total));
    println!(
        "agree: codes equal to the float path's; err/fq, err/f: output error against the float \
         pruned-and-quantized output and float attention; fq/f: the quantization method's own error\n"
    );
    let failed: Vec<&QkvHead> = on_chip.iter().filter(|h| !h.ok()).collect();
    for h in &failed {
        println!(
            "FAIL {}: {}",
            h.name,
            h.error
                .as_deref()
                .unwrap_or("cycles differ from model::timing")
        );
    }
    Ok(Count {
        cases: on_chip.len(),
        failed: failed.len(),
    })
}

/// The board design (link framer + buffers + head) on its byte streams: the table, a line per
/// failed case.
fn link(seed: u64) -> Result<Count> {
    let link = crate::regression::link(seed)?;
    println!(
        "The board design (link framer + buffers + head) on its byte streams, against \
         model::link::Device: each golden head as info, head, head with a flipped bit (bad \
         CRC), head; cycles: compute cycles reported in the responses:"
    );
    print!("{}", crate::board::link_table(&link));
    println!();
    let failed: Vec<&LinkCase> = link
        .iter()
        .filter(|c| !c.byte_exact || c.cycles != c.cycles_model)
        .collect();
    for c in &failed {
        println!(
            "FAIL {}: {}",
            c.name,
            c.error
                .as_deref()
                .unwrap_or("cycles differ from model::timing")
        );
    }
    Ok(Count {
        cases: link.len(),
        failed: failed.len(),
    })
}
