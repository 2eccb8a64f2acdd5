//! Fault injection (`--inject`): a [`Transport`] wrapper that drops, duplicates and corrupts
//! bytes and stalls responses, with a seeded generator, and counts what it did.
//!
//! Faults are drawn per transfer: each request frame the host sends, and each chunk of
//! response bytes the board returns. A transfer gets at most one fault of each kind, at a
//! uniformly drawn byte (a bit, for `flip`). A stall holds a response chunk back for one
//! [`Transport::recv`] (which then returns nothing, as a link that went quiet) and delivers it
//! with the next.

use super::Transport;
use anyhow::{bail, Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::cell::Cell;
use std::rc::Rc;
use std::str::FromStr;
use std::time::Duration;

/// Probabilities per transfer, and the seed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct FaultSpec {
    /// A byte is lost.
    pub drop: f64,
    /// A byte arrives twice.
    pub dup: f64,
    /// A bit is flipped.
    pub flip: f64,
    /// A response chunk is held back for one receive.
    pub stall: f64,
    pub seed: u64,
}

impl FromStr for FaultSpec {
    type Err = anyhow::Error;

    /// `drop=P,dup=P,flip=P,stall=P,seed=S` (any subset; `all=P` sets the four
    /// probabilities).
    fn from_str(s: &str) -> Result<Self> {
        let mut f = FaultSpec::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (k, v) = part
                .split_once('=')
                .with_context(|| format!("--inject: `{part}` is not key=value"))?;
            if k == "seed" {
                f.seed = v
                    .parse()
                    .with_context(|| format!("--inject: seed `{v}` is not an integer"))?;
                continue;
            }
            let p: f64 = v
                .parse()
                .with_context(|| format!("--inject: {k} = `{v}` is not a number"))?;
            if !(0.0..=1.0).contains(&p) {
                bail!("--inject: {k} = {p} is not a probability in [0, 1]");
            }
            match k {
                "drop" => f.drop = p,
                "dup" => f.dup = p,
                "flip" => f.flip = p,
                "stall" => f.stall = p,
                "all" => (f.drop, f.dup, f.flip, f.stall) = (p, p, p, p),
                _ => bail!("--inject: unknown fault `{k}` (drop, dup, flip, stall, all, seed)"),
            }
        }
        Ok(f)
    }
}

/// What a [`Faulty`] transport did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FaultCounts {
    pub dropped: u64,
    pub duplicated: u64,
    pub flipped: u64,
    pub stalled: u64,
    /// Request frames with at least one fault.
    pub requests_damaged: u64,
    /// Response chunks with at least one fault (stalls not counted: they damage nothing).
    pub responses_damaged: u64,
}

impl FaultCounts {
    /// Faults of every kind.
    pub fn total(&self) -> u64 {
        self.dropped + self.duplicated + self.flipped + self.stalled
    }
}

/// A transport whose traffic is damaged as a [`FaultSpec`] says.
pub struct Faulty<T: Transport> {
    inner: T,
    spec: FaultSpec,
    rng: StdRng,
    held: Vec<u8>,
    counts: Rc<Cell<FaultCounts>>,
}

impl<T: Transport> Faulty<T> {
    pub fn new(inner: T, spec: FaultSpec) -> Self {
        Self {
            inner,
            rng: StdRng::seed_from_u64(spec.seed),
            spec,
            held: Vec::new(),
            counts: Rc::default(),
        }
    }

    /// What was injected so far.
    pub fn counts(&self) -> FaultCounts {
        self.counts.get()
    }

    /// A handle that reads the counts after the transport is boxed away.
    pub fn counts_handle(&self) -> Rc<Cell<FaultCounts>> {
        self.counts.clone()
    }

    fn count(&self, f: impl FnOnce(&mut FaultCounts)) {
        let mut c = self.counts.get();
        f(&mut c);
        self.counts.set(c);
    }

    /// The wrapped transport.
    pub fn inner(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Damages `b` in place; true if it did.
    fn damage(&mut self, b: &mut Vec<u8>) -> bool {
        let mut hit = false;
        if b.is_empty() {
            return false;
        }
        if self.rng.gen_bool(self.spec.flip) {
            let at = self.rng.gen_range(0..b.len());
            b[at] ^= 1 << self.rng.gen_range(0..8);
            self.count(|c| c.flipped += 1);
            hit = true;
        }
        if self.rng.gen_bool(self.spec.dup) {
            let at = self.rng.gen_range(0..b.len());
            b.insert(at, b[at]);
            self.count(|c| c.duplicated += 1);
            hit = true;
        }
        if self.rng.gen_bool(self.spec.drop) {
            let at = self.rng.gen_range(0..b.len());
            b.remove(at);
            self.count(|c| c.dropped += 1);
            hit = true;
        }
        hit
    }
}

impl<T: Transport> Transport for Faulty<T> {
    fn describe(&self) -> String {
        format!("{} with injected faults", self.inner.describe())
    }

    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        let mut b = bytes.to_vec();
        if self.damage(&mut b) {
            self.count(|c| c.requests_damaged += 1);
        }
        self.inner.send(&b)
    }

    fn recv(&mut self, timeout: Duration) -> Result<Vec<u8>> {
        let mut b = self.inner.recv(timeout)?;
        if self.damage(&mut b) {
            self.count(|c| c.responses_damaged += 1);
        }
        if !b.is_empty() && self.rng.gen_bool(self.spec.stall) {
            self.count(|c| c.stalled += 1);
            self.held.extend(b);
            return Ok(Vec::new());
        }
        if self.held.is_empty() {
            Ok(b)
        } else {
            let mut out = std::mem::take(&mut self.held);
            out.extend(b);
            Ok(out)
        }
    }

    fn bytes_per_second(&self) -> Option<f64> {
        self.inner.bytes_per_second()
    }

    fn sim_cycles(&self) -> Option<u64> {
        self.inner.sim_cycles()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_bad_ones_are_named() {
        let f: FaultSpec = "drop=0.1, flip=0.2,seed=9".parse().unwrap();
        assert_eq!(
            (f.drop, f.dup, f.flip, f.stall, f.seed),
            (0.1, 0.0, 0.2, 0.0, 9)
        );
        let f: FaultSpec = "all=0.01".parse().unwrap();
        assert_eq!((f.drop, f.dup, f.flip, f.stall), (0.01, 0.01, 0.01, 0.01));
        let e = |s: &str| format!("{:#}", s.parse::<FaultSpec>().unwrap_err());
        assert!(
            e("drop=2").contains("drop = 2 is not a probability"),
            "{}",
            e("drop=2")
        );
        assert!(e("lose=0.1").contains("unknown fault `lose`"));
        assert!(e("drop").contains("`drop` is not key=value"));
        assert!(e("seed=x").contains("seed `x` is not an integer"));
    }
}
