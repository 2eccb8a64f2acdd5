//! The shared golden vectors under `tests/golden/`, replayed by every runner (model, rust-hdl
//! sim, Verilator, host).
//!
//! Layout (all little-endian `.npy`):
//! - `attnv/<case>/`: `codes.npy` u8 `[rows, n]`, `vq.npy` i8 `[n, d]`, `weights.npy` u32
//!   `[2^k]`, and the expected core output `acc.npy` i64 `[rows, d]`, `rsum.npy` u64 `[rows]`.
//! - `quantize/`: `probs.npy` f32 `[rows, n]` (edge cases) and the expected codes
//!   `codes_log3_t1e-3.npy` and `codes_octave3.npy` (u8, same shape).
//!
//! `cargo run -p model --example gen_golden` rewrites them; `model/tests/golden.rs` checks that
//! the model still reproduces every file.

use crate::{AccRows, ModelError};
use ndarray::{Array1, Array2};
use ndarray_npy::{read_npy, write_npy};
use std::path::{Path, PathBuf};

/// `tests/golden` of this checkout.
pub fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden")
}

/// One job for the AttnV core and its expected output.
#[derive(Clone, Debug, PartialEq)]
pub struct AttnVCase {
    pub name: String,
    pub codes: Array2<u8>,
    pub vq: Array2<i8>,
    pub weights: Vec<u32>,
    pub expected: AccRows,
}

fn io<T, E: std::fmt::Display>(path: &Path, r: Result<T, E>) -> Result<T, ModelError> {
    r.map_err(|e| ModelError::Io(format!("{}: {e}", path.display())))
}

impl AttnVCase {
    /// Reads a case from its directory.
    pub fn load(dir: &Path) -> Result<Self, ModelError> {
        let f = |n: &str| dir.join(n);
        let codes: Array2<u8> = io(&f("codes.npy"), read_npy(f("codes.npy")))?;
        let vq: Array2<i8> = io(&f("vq.npy"), read_npy(f("vq.npy")))?;
        let weights: Array1<u32> = io(&f("weights.npy"), read_npy(f("weights.npy")))?;
        let acc: Array2<i64> = io(&f("acc.npy"), read_npy(f("acc.npy")))?;
        let rsum: Array1<u64> = io(&f("rsum.npy"), read_npy(f("rsum.npy")))?;
        let name = dir
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Self {
            name,
            codes,
            vq,
            weights: weights.to_vec(),
            expected: AccRows { acc, rsum },
        })
    }

    /// Writes a case into `dir` (created if missing).
    pub fn save(&self, dir: &Path) -> Result<(), ModelError> {
        io(dir, std::fs::create_dir_all(dir))?;
        let f = |n: &str| dir.join(n);
        io(&f("codes.npy"), write_npy(f("codes.npy"), &self.codes))?;
        io(&f("vq.npy"), write_npy(f("vq.npy"), &self.vq))?;
        io(
            &f("weights.npy"),
            write_npy(f("weights.npy"), &Array1::from(self.weights.clone())),
        )?;
        io(&f("acc.npy"), write_npy(f("acc.npy"), &self.expected.acc))?;
        io(
            &f("rsum.npy"),
            write_npy(f("rsum.npy"), &self.expected.rsum),
        )?;
        Ok(())
    }

    /// Head dimension.
    pub fn d(&self) -> usize {
        self.vq.ncols()
    }

    /// Sequence length.
    pub fn n(&self) -> usize {
        self.vq.nrows()
    }
}

/// Every AttnV case under `dir` (`tests/golden/attnv`), sorted by name.
pub fn load_attnv_cases(dir: &Path) -> Result<Vec<AttnVCase>, ModelError> {
    let mut dirs: Vec<PathBuf> = io(dir, std::fs::read_dir(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| AttnVCase::load(d)).collect()
}
