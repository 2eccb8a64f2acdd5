//! The shared golden vectors under `tests/golden/`, replayed by every runner (model, rust-hdl
//! sim, Verilator, host).
//!
//! Layout (all little-endian `.npy`):
//! - `attnv/<case>/`: `codes.npy` u8 `[rows, n]`, `vq.npy` i8 `[n, d]`, `weights.npy` u32
//!   `[2^k]`, and the expected core output `acc.npy` i64 `[rows, d]`, `rsum.npy` u64 `[rows]`.
//! - `quantize/`: `probs.npy` f32 `[rows, n]` (edge cases) and the expected codes
//!   `codes_log3_t1e-3.npy` and `codes_octave3.npy` (u8, same shape).
//! - `head/<case>/`: one whole head from float inputs: `q.npy` f32 `[rows, d]`, `k.npy`,
//!   `v.npy` f32 `[n, d]`, `valid_len.npy` u64 `[1]`, `threshold.npy` f64 `[1]` (the log
//!   codebook's t, k = 3; 0 for the octave codebook); expected: the front end's integer
//!   inputs `qq.npy`, `kq.npy` i8, `mq.npy`, `mk.npy` u32, `shift.npy` i32 `[1]`, its `codes.npy`
//!   u8 `[rows, n]`, `vq.npy` i8 `[n, d]` and the head's output `acc.npy` i64, `rsum.npy` u64.
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

/// One whole head (front end + AttnV) from float Q, K, V, with every expected integer.
#[derive(Clone, Debug, PartialEq)]
pub struct HeadCase {
    pub name: String,
    pub q: Array2<f32>,
    pub k: Array2<f32>,
    pub v: Array2<f32>,
    pub valid_len: usize,
    /// The log codebook's threshold (k = 3), or 0 for the octave codebook.
    pub threshold: f64,
    pub qq: Array2<i8>,
    pub kq: Array2<i8>,
    pub mq: Vec<u32>,
    pub mk: Vec<u32>,
    pub shift: i32,
    pub codes: Array2<u8>,
    pub vq: Array2<i8>,
    pub expected: AccRows,
}

impl HeadCase {
    /// The case's codebook.
    pub fn codebook(&self) -> Result<crate::Codebook, ModelError> {
        if self.threshold == 0.0 {
            crate::Codebook::octave(3)
        } else {
            crate::Codebook::log(3, self.threshold)
        }
    }

    /// The case as a head job on the link (`seq` its sequence number); fails if a multiplier
    /// or the shift does not fit its field.
    pub fn request(&self, seq: u16) -> Result<crate::link::Request, ModelError> {
        let u16s = |m: &[u32], what: &str| -> Result<Vec<u16>, ModelError> {
            m.iter()
                .map(|&x| {
                    u16::try_from(x).map_err(|_| {
                        ModelError::Invalid(format!("{}: {what} {x} exceeds 16 bits", self.name))
                    })
                })
                .collect()
        };
        let shift = u8::try_from(self.shift)
            .ok()
            .filter(|&s| s <= 63)
            .ok_or_else(|| {
                ModelError::Invalid(format!(
                    "{}: shift {} is not in 0..=63",
                    self.name, self.shift
                ))
            })?;
        Ok(crate::link::Request::head(
            seq,
            &self.codebook()?,
            crate::link::HeadPayload {
                kq: self.kq.clone(),
                mk: u16s(&self.mk, "key multiplier")?,
                vq: self.vq.clone(),
                qq: self.qq.clone(),
                mq: u16s(&self.mq, "query multiplier")?,
                shift,
                valid_len: u16::try_from(self.valid_len).map_err(|_| {
                    ModelError::Invalid(format!("{}: valid length exceeds 16 bits", self.name))
                })?,
            },
        ))
    }

    /// Reads a case from its directory.
    pub fn load(dir: &Path) -> Result<Self, ModelError> {
        let f = |n: &str| dir.join(n);
        macro_rules! rd {
            ($n:expr) => {
                io(&f($n), read_npy(f($n)))?
            };
        }
        let valid_len: Array1<u64> = rd!("valid_len.npy");
        let threshold: Array1<f64> = rd!("threshold.npy");
        let shift: Array1<i32> = rd!("shift.npy");
        let mq: Array1<u32> = rd!("mq.npy");
        let mk: Array1<u32> = rd!("mk.npy");
        let one = |a: usize, what: &str| {
            if a == 1 {
                Ok(())
            } else {
                Err(ModelError::Io(format!(
                    "{}: {what}.npy must hold one value, holds {a}",
                    dir.display()
                )))
            }
        };
        one(valid_len.len(), "valid_len")?;
        one(threshold.len(), "threshold")?;
        one(shift.len(), "shift")?;
        Ok(Self {
            name: dir
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            q: rd!("q.npy"),
            k: rd!("k.npy"),
            v: rd!("v.npy"),
            valid_len: valid_len[0] as usize,
            threshold: threshold[0],
            qq: rd!("qq.npy"),
            kq: rd!("kq.npy"),
            mq: mq.to_vec(),
            mk: mk.to_vec(),
            shift: shift[0],
            codes: rd!("codes.npy"),
            vq: rd!("vq.npy"),
            expected: AccRows {
                acc: rd!("acc.npy"),
                rsum: rd!("rsum.npy"),
            },
        })
    }

    /// Writes a case into `dir` (created if missing).
    pub fn save(&self, dir: &Path) -> Result<(), ModelError> {
        io(dir, std::fs::create_dir_all(dir))?;
        let f = |n: &str| dir.join(n);
        macro_rules! wr {
            ($n:expr, $a:expr) => {
                io(&f($n), write_npy(f($n), $a))?
            };
        }
        wr!("q.npy", &self.q);
        wr!("k.npy", &self.k);
        wr!("v.npy", &self.v);
        wr!("valid_len.npy", &Array1::from(vec![self.valid_len as u64]));
        wr!("threshold.npy", &Array1::from(vec![self.threshold]));
        wr!("qq.npy", &self.qq);
        wr!("kq.npy", &self.kq);
        wr!("mq.npy", &Array1::from(self.mq.clone()));
        wr!("mk.npy", &Array1::from(self.mk.clone()));
        wr!("shift.npy", &Array1::from(vec![self.shift]));
        wr!("codes.npy", &self.codes);
        wr!("vq.npy", &self.vq);
        wr!("acc.npy", &self.expected.acc);
        wr!("rsum.npy", &self.expected.rsum);
        Ok(())
    }

    /// Computes a case with the model (front end at `FrontEndParams { d, n_max, ..default }`).
    pub fn compute(
        name: &str,
        q: Array2<f32>,
        k: Array2<f32>,
        v: Array2<f32>,
        valid_len: usize,
        threshold: f64,
        n_max: usize,
    ) -> Result<Self, ModelError> {
        let mut c = Self {
            name: name.into(),
            q,
            k,
            v,
            valid_len,
            threshold,
            qq: Array2::zeros((0, 0)),
            kq: Array2::zeros((0, 0)),
            mq: vec![],
            mk: vec![],
            shift: 0,
            codes: Array2::zeros((0, 0)),
            vq: Array2::zeros((0, 0)),
            expected: AccRows {
                acc: Array2::zeros((0, 0)),
                rsum: Array1::zeros(0),
            },
        };
        let cb = c.codebook()?;
        let p = crate::frontend::FrontEndParams {
            d: c.q.ncols(),
            n_max,
            ..Default::default()
        };
        let t = crate::frontend::front_end(&p, &cb, c.q.view(), c.k.view(), valid_len)?;
        let qv = crate::quantize_v(c.v.view())?;
        c.expected = crate::accumulate(t.codes.view(), qv.vq.view(), &cb.weights().w);
        c.qq = t.qq;
        c.kq = t.kq;
        c.mq = t.mq.m.to_vec();
        c.mk = t.mk.m.to_vec();
        c.shift = t.shift;
        c.codes = t.ints.codes;
        c.vq = qv.vq;
        Ok(c)
    }
}

/// Every head case under `dir` (`tests/golden/head`), sorted by name.
pub fn load_head_cases(dir: &Path) -> Result<Vec<HeadCase>, ModelError> {
    let mut dirs: Vec<PathBuf> = io(dir, std::fs::read_dir(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| HeadCase::load(d)).collect()
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
