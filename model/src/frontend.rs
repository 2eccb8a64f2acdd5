//! The score and log-softmax front end: from float Q, K to codes, in exact integer arithmetic,
//! without ever computing a probability.
//!
//! Per head (`Q [rows, d]`, `K [n, d]`, `valid_len` keys), specified in `docs/numerics.md` §6:
//!
//! 1. Q and K to `bits_qk`-bit integers, one symmetric scale per row ([`quantize_rows`]).
//! 2. Exact integer scores `s_ij = sum_l Qq[i][l] * Kq[j][l]` ([`scores`]).
//! 3. `x_ij = s_ij * a_i * b_j` in log2 units with `frac_bits` fractional bits, where
//!    `a_i = s_q[i] log2(e) / sqrt(d)` and `b_j = s_k[j]` are unsigned `scale_bits`-bit mantissas
//!    with one exponent per head each ([`RowMultipliers`]); one rounding shift per head.
//! 4. `m_i = max_j x_ij`; `L_i = log2 sum_j 2^(x_ij - m_i)` via an exp2 table plus shifts and a
//!    leading-one detector plus a log2 table ([`Tables`]).
//! 5. `y_ij = x_ij - m_i - L_i` (log2 of the probability) against integer edge constants.
//!
//! [`codes_float`] is the float reference (f64 softmax of `q k^T / sqrt(d)`, then
//! [`Codebook::code`]).

use crate::{Codebook, ModelError};
use ndarray::{Array1, Array2, ArrayView2};

/// Largest supported head dimension.
pub const FE_MAX_D: usize = 256;
/// Largest supported sequence length (keys per head).
pub const FE_MAX_N: usize = 1 << 16;
/// Fractional bits of an exp2 table entry: `2^0 = 1.0` is `2^16`.
pub const EXP_FRAC_BITS: u32 = 16;
/// Integer bits of `x` above the fraction (signed range `+-2^X_INT_BITS` log2 units).
pub const X_INT_BITS: u32 = 14;

/// Parameters of the front end. Build with [`FrontEndParams::new`] (checked) or `default()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrontEndParams {
    /// Head dimension d (columns of Q and K), `1..=256`.
    pub d: usize,
    /// Largest number of keys n, `1..=65536` (sets the exp2 accumulator width).
    pub n_max: usize,
    /// Width of quantized Q and K (signed, symmetric `[-(2^(b-1)-1), 2^(b-1)-1]`), `2..=8`.
    pub bits_qk: u32,
    /// Width of the unsigned per-row scale mantissas, `2..=16`.
    pub scale_bits: u32,
    /// Fractional bits F of `x`, `m`, `L`, `y` and the edge constants, `4..=16`.
    pub frac_bits: u32,
    /// The exp2 table has `2^exp_table_bits` entries, indexed by the top bits of the
    /// fraction; `1..=min(F, 12)`.
    pub exp_table_bits: u32,
    /// The log2 table has `2^log_table_bits` entries, indexed by the mantissa bits after the
    /// leading one; `1..=12`.
    pub log_table_bits: u32,
    /// Keys scored per cycle, P (one of [`KEYS_PER_CYCLE`]): P score units over a key RAM
    /// banked P ways, P exp2 and P code units; a 16-code beat every 16 / P cycles.
    pub keys_per_cycle: usize,
}

/// The keys per cycle a front end can score ([`FrontEndParams::keys_per_cycle`], P).
pub const KEYS_PER_CYCLE: [usize; 4] = [1, 2, 4, 8];

impl Default for FrontEndParams {
    /// d = 64, N_MAX = 512, int8, 16-bit mantissas, F = 10, 64-entry exp2 and 256-entry log2 tables.
    fn default() -> Self {
        Self::hardware(64, 512)
    }
}

impl FrontEndParams {
    /// The hardware's front end for (d, N_MAX): int8 Q and K, 16-bit mantissas, F = 10, a
    /// 64-entry exp2 and a 256-entry log2 table. Unchecked: (d, N_MAX) are checked with the
    /// core's ([`crate::CoreParams::hardware`]).
    pub const fn hardware(d: usize, n_max: usize) -> Self {
        Self {
            d,
            n_max,
            bits_qk: 8,
            scale_bits: 16,
            frac_bits: 10,
            exp_table_bits: 6,
            log_table_bits: 8,
            keys_per_cycle: 1,
        }
    }

    /// The same front end scoring `p` keys a cycle (P, one of [`KEYS_PER_CYCLE`]).
    pub fn with_keys_per_cycle(self, p: usize) -> Result<Self, ModelError> {
        if !KEYS_PER_CYCLE.contains(&p) {
            return Err(ModelError::BadParams(format!(
                "keys per cycle P must be one of {KEYS_PER_CYCLE:?}, got {p}"
            )));
        }
        Ok(Self {
            keys_per_cycle: p,
            ..self
        })
    }

    /// Checked constructor (ranges as documented on the fields; P = 1,
    /// [`FrontEndParams::with_keys_per_cycle`] sets another).
    pub fn new(
        d: usize,
        n_max: usize,
        bits_qk: u32,
        scale_bits: u32,
        frac_bits: u32,
        exp_table_bits: u32,
        log_table_bits: u32,
    ) -> Result<Self, ModelError> {
        let bad = |what: String| Err(ModelError::BadParams(what));
        if !(1..=FE_MAX_D).contains(&d) {
            return bad(format!("D (head dim) must be in 1..={FE_MAX_D}, got {d}"));
        }
        if !(1..=FE_MAX_N).contains(&n_max) {
            return bad(format!("N_MAX must be in 1..={FE_MAX_N}, got {n_max}"));
        }
        if !(2..=8).contains(&bits_qk) {
            return bad(format!("Q/K bits must be in 2..=8, got {bits_qk}"));
        }
        if !(2..=16).contains(&scale_bits) {
            return bad(format!(
                "scale mantissa bits must be in 2..=16, got {scale_bits}"
            ));
        }
        if !(4..=16).contains(&frac_bits) {
            return bad(format!(
                "fractional bits F must be in 4..=16, got {frac_bits}"
            ));
        }
        let emax = frac_bits.min(12);
        if !(1..=emax).contains(&exp_table_bits) {
            return bad(format!(
                "exp2 table bits must be in 1..={emax} (at most F = {frac_bits} and 12), got {exp_table_bits}"
            ));
        }
        if !(1..=12).contains(&log_table_bits) {
            return bad(format!(
                "log2 table bits must be in 1..=12, got {log_table_bits}"
            ));
        }
        Ok(Self {
            d,
            n_max,
            bits_qk,
            scale_bits,
            frac_bits,
            exp_table_bits,
            log_table_bits,
            keys_per_cycle: 1,
        })
    }

    /// Largest quantized magnitude, `2^(bits_qk - 1) - 1` (127 at int8).
    pub fn qk_max(&self) -> i32 {
        (1 << (self.bits_qk - 1)) - 1
    }

    /// Width of a score `s_ij` (two's complement): `bits(d * qk_max^2) + 1`; 21 at d = 64, int8.
    pub fn score_bits(&self) -> u32 {
        let m = self.d as u64 * (self.qk_max() as u64).pow(2);
        crate::params::unsigned_bits(m) + 1
    }

    /// Width of `x`, `m`, `L`, `y` (two's complement): `F + X_INT_BITS + 1`; 25 at F = 10.
    pub fn x_bits(&self) -> u32 {
        self.frac_bits + X_INT_BITS + 1
    }

    /// Largest `|x|`: `x` saturates to `[-x_limit, x_limit]`, `x_limit = 2^(F + 14) - 1`.
    pub fn x_limit(&self) -> i64 {
        (1i64 << (self.frac_bits + X_INT_BITS)) - 1
    }

    /// Width of the exp2 sum (unsigned): `bits(N_MAX * (2^16 - 1))`, every table entry being
    /// below `2^16`; 25 at N_MAX = 512.
    pub const fn sum_bits(&self) -> u32 {
        crate::params::unsigned_bits(self.n_max as u64 * ((1u64 << EXP_FRAC_BITS) - 1))
    }

    /// Width of the product `s_ij * mk[j] * mq[i]` before the shift (two's complement):
    /// `score_bits + 2 * scale_bits`; 53 at the defaults.
    pub fn product_bits(&self) -> u32 {
        self.score_bits() + 2 * self.scale_bits
    }
}

/// `Err(NonFinite)` with the first NaN or infinity among `xs`.
pub(crate) fn check_finite<'a>(xs: impl IntoIterator<Item = &'a f32>) -> Result<(), ModelError> {
    match xs.into_iter().find(|x| !x.is_finite()) {
        Some(&bad) => Err(ModelError::NonFinite(bad)),
        None => Ok(()),
    }
}

/// Symmetric per-row quantization of `x [rows, d]` to `bits`-bit integers (stored in `i8`).
///
/// `s[r] = max_l |x[r][l]| / qmax` (`qmax = 2^(bits-1) - 1`), or 1 for an all-zero row;
/// `xq[r][l] = round(x[r][l] / s[r])`, ties away from zero, computed in f64, in `[-qmax, qmax]`.
pub fn quantize_rows(
    x: ArrayView2<f32>,
    bits: u32,
) -> Result<(Array2<i8>, Array1<f64>), ModelError> {
    if !(2..=8).contains(&bits) {
        return Err(ModelError::BadParams(format!(
            "Q/K bits must be in 2..=8, got {bits}"
        )));
    }
    check_finite(x.iter())?;
    let qmax = ((1i32 << (bits - 1)) - 1) as f64;
    let mut xq = Array2::<i8>::zeros(x.raw_dim());
    let mut scales = Array1::<f64>::zeros(x.nrows());
    for (r, row) in x.rows().into_iter().enumerate() {
        let m = row.iter().fold(0f64, |m, &v| m.max((v as f64).abs()));
        let s = if m == 0.0 { 1.0 } else { m / qmax };
        scales[r] = s;
        for (o, &v) in xq.row_mut(r).iter_mut().zip(row) {
            *o = ((v as f64) / s).round().clamp(-qmax, qmax) as i8;
        }
    }
    Ok((xq, scales))
}

/// Exact integer scores `s[i][j] = sum_l qq[i][l] * kq[j][l]`. Panics if the widths differ.
pub fn scores(qq: ArrayView2<i8>, kq: ArrayView2<i8>) -> Array2<i32> {
    assert_eq!(qq.ncols(), kq.ncols(), "Qq and Kq disagree on d");
    let mut s = Array2::<i32>::zeros((qq.nrows(), kq.nrows()));
    for (i, qr) in qq.rows().into_iter().enumerate() {
        for (j, kr) in kq.rows().into_iter().enumerate() {
            s[[i, j]] = qr.iter().zip(kr).map(|(&a, &b)| a as i32 * b as i32).sum();
        }
    }
    s
}

/// Per-row multipliers with one shared exponent: `value[r] ~= m[r] * 2^-e`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowMultipliers {
    /// Unsigned mantissas, each `< 2^scale_bits`; the largest is `>= 2^(scale_bits - 1)`.
    pub m: Array1<u32>,
    /// The shared exponent e (value = m * 2^-e).
    pub e: i32,
}

/// Converts positive floats to [`RowMultipliers`]: `e` is the largest exponent with
/// `round(max * 2^e) < 2^bits`; `m[r] = round(v[r] * 2^e)` (ties away from zero, exact f64
/// scaling). Errors if a value is not finite and positive.
pub fn row_multipliers(v: &Array1<f64>, bits: u32) -> Result<RowMultipliers, ModelError> {
    if let Some(&bad) = v.iter().find(|x| !(x.is_finite() && **x > 0.0)) {
        return Err(ModelError::BadParams(format!(
            "row scale {bad} is not a finite positive number"
        )));
    }
    let max = v.iter().fold(0f64, |m, &x| m.max(x));
    if max == 0.0 {
        return Ok(RowMultipliers {
            m: Array1::zeros(0),
            e: 0,
        });
    }
    let lim = (1u64 << bits) as f64;
    let mut e = bits as i32 - 1 - max.log2().floor() as i32;
    while (max * 2f64.powi(e)).round() >= lim {
        e -= 1;
    }
    while (max * 2f64.powi(e + 1)).round() < lim {
        e += 1;
    }
    let m = v.mapv(|x| (x * 2f64.powi(e)).round() as u32);
    Ok(RowMultipliers { m, e })
}

/// The exp2 and log2 tables and the edge constants, all rounded integer constants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tables {
    /// `exp[k] = round(2^16 * 2^-((k + 1/2) / 2^b))`, `b = exp_table_bits`: `2^-f` at the
    /// midpoint of the fraction bucket `k`. Each in `(2^15, 2^16)`.
    pub exp: Vec<u32>,
    /// `log[k] = round(2^F * log2(1 + (k + 1/2) / 2^c))`, `c = log_table_bits`: the log2 of the
    /// mantissa at the midpoint of bucket `k`. Each in `[0, 2^F]`.
    pub log: Vec<i64>,
    /// `edge[m] = ceil(2^F * log2 e_m)` for the codebook's inner edges `e_0 = t .. e_{2^k-2}`:
    /// `y >= edge[m]` iff `y / 2^F >= log2 e_m` exactly.
    pub edge: Vec<i64>,
}

impl Tables {
    /// Builds the tables for `p` and the edges of `cb`.
    pub fn new(p: &FrontEndParams, cb: &Codebook) -> Self {
        let one = (1u64 << EXP_FRAC_BITS) as f64;
        let nb = 1u32 << p.exp_table_bits;
        let exp = (0..nb)
            .map(|k| (one * (-(k as f64 + 0.5) / nb as f64).exp2()).round() as u32)
            .collect();
        let fone = (1u64 << p.frac_bits) as f64;
        let nc = 1u32 << p.log_table_bits;
        let log = (0..nc)
            .map(|k| (fone * (1.0 + (k as f64 + 0.5) / nc as f64).log2()).round() as i64)
            .collect();
        let e = cb.edges();
        let edge = e[..e.len() - 1]
            .iter()
            .map(|&x| (fone * x.log2()).ceil() as i64)
            .collect();
        Self { exp, log, edge }
    }

    /// `2^-u` for `u >= 0` in F-fractional fixed point, with 16 fractional bits:
    /// `exp[frac(u) >> (F - b)]` shifted right by `floor(u)` with round half up (0 from 17 on).
    pub fn exp2_neg(&self, p: &FrontEndParams, u: i64) -> u32 {
        debug_assert!(u >= 0);
        let f = p.frac_bits;
        let int = (u >> f) as u32;
        let k = ((u & ((1 << f) - 1)) >> (f - p.exp_table_bits)) as usize;
        round_shift_u(self.exp[k], int)
    }

    /// `log2(s / 2^16)` in F-fractional fixed point for `s > 0`: leading one at bit `p`, the
    /// `c` bits after it index the table: `(p - 16) * 2^F + log[idx]`.
    pub fn log2_sum(&self, p: &FrontEndParams, s: u64) -> i64 {
        debug_assert!(s > 0);
        let lead = 63 - s.leading_zeros();
        let c = p.log_table_bits;
        let frac = s - (1u64 << lead);
        let idx = if lead >= c {
            frac >> (lead - c)
        } else {
            frac << (c - lead)
        } as usize;
        ((lead as i64 - EXP_FRAC_BITS as i64) << p.frac_bits) + self.log[idx]
    }

    /// The code of `y`: 0 below `edge[0]`, else the number of edges `y` reaches.
    pub fn code(&self, y: i64) -> u8 {
        self.edge.iter().filter(|&&e| y >= e).count() as u8
    }
}

/// `(v + 2^(s-1)) >> s` for `s >= 1`, `v` for `s = 0`, 0 when `s > 31`.
fn round_shift_u(v: u32, s: u32) -> u32 {
    match s {
        0 => v,
        1..=31 => ((v as u64 + (1u64 << (s - 1))) >> s) as u32,
        _ => 0,
    }
}

/// Signed round half up: `floor((v + 2^(s-1)) / 2^s)` for `s >= 1`; `v * 2^-s` for `s <= 0`.
fn round_shift_i(v: i128, s: i32) -> i128 {
    if s <= 0 {
        v << (-s).min(64)
    } else if s >= 126 {
        0
    } else {
        (v + (1i128 << (s - 1))) >> s
    }
}

/// Every intermediate of the fixed-point front end for one head, for comparison with RTL.
#[derive(Clone, Debug, PartialEq)]
pub struct FrontEndTrace {
    /// Quantized Q `[rows, d]` and its float row scales.
    pub qq: Array2<i8>,
    /// Float row scales of Q.
    pub s_q: Array1<f64>,
    /// Quantized K `[n, d]`.
    pub kq: Array2<i8>,
    /// Float row scales of K.
    pub s_k: Array1<f64>,
    /// Query multipliers: `a_i = s_q[i] log2(e) / sqrt(d) ~= mq[i] * 2^-eq`.
    pub mq: RowMultipliers,
    /// Key multipliers: `b_j = s_k[j] ~= mk[j] * 2^-ek`.
    pub mk: RowMultipliers,
    /// The per-head right shift `eq + ek - F` (negative: left shift).
    pub shift: i32,
    /// Everything after the quantized inputs (scores to codes); its fields read through
    /// `Deref` (`trace.codes`, `trace.x`, ...).
    pub ints: IntTrace,
}

fn check_inputs(
    p: &FrontEndParams,
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    valid_len: usize,
) -> Result<(), ModelError> {
    let shape = |s: String| Err(ModelError::Shape(s));
    if q.ncols() != p.d || k.ncols() != p.d {
        return shape(format!(
            "Q has {} columns and K has {}, but d = {}",
            q.ncols(),
            k.ncols(),
            p.d
        ));
    }
    if k.nrows() > p.n_max {
        return shape(format!(
            "K has {} keys, more than N_MAX = {}",
            k.nrows(),
            p.n_max
        ));
    }
    if valid_len > k.nrows() {
        return shape(format!(
            "valid length {valid_len} exceeds the {} keys of K",
            k.nrows()
        ));
    }
    Ok(())
}

/// Runs the fixed-point front end on one head and returns every intermediate.
///
/// `q [rows, d]`, `k [n, d]` float; keys `j >= valid_len` are masked (code 0, not in the
/// softmax). Errors on shape mismatch, `n > N_MAX`, `valid_len > n` or non-finite input.
pub fn front_end(
    p: &FrontEndParams,
    cb: &Codebook,
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    valid_len: usize,
) -> Result<FrontEndTrace, ModelError> {
    check_inputs(p, q, k, valid_len)?;
    let (qq, s_q) = quantize_rows(q, p.bits_qk)?;
    let (kq, s_k) = quantize_rows(k, p.bits_qk)?;
    let a = s_q.mapv(|s| s * std::f64::consts::LOG2_E / (p.d as f64).sqrt());
    let mq = row_multipliers(&a, p.scale_bits)?;
    let mk = row_multipliers(&s_k, p.scale_bits)?;
    let shift = mq.e + mk.e - p.frac_bits as i32;
    let ints = front_end_ints(p, cb, qq.view(), kq.view(), &mq.m, &mk.m, shift, valid_len);
    Ok(FrontEndTrace {
        qq,
        s_q,
        kq,
        s_k,
        mq,
        mk,
        shift,
        ints,
    })
}

impl std::ops::Deref for FrontEndTrace {
    type Target = IntTrace;
    fn deref(&self) -> &IntTrace {
        &self.ints
    }
}

/// The integer half of the front end (steps 2-5 of `docs/numerics.md` §6): what the hardware
/// computes from what crosses the link.
#[derive(Clone, Debug, PartialEq)]
pub struct IntTrace {
    /// Integer scores `[rows, n]`.
    pub scores: Array2<i32>,
    /// x (masked keys 0).
    pub x: Array2<i64>,
    /// Saturated valid x.
    pub saturated: usize,
    /// Row maxima.
    pub m: Array1<i64>,
    /// Exp2 sums.
    pub sum: Array1<u64>,
    /// Row log-sums L.
    pub l: Array1<i64>,
    /// y (masked keys `i64::MIN`).
    pub y: Array2<i64>,
    /// Codes `[rows, n]`.
    pub codes: Array2<u8>,
}

/// Steps 2-5 from integer inputs: `qq [rows, d]`, `kq [n, d]`, multipliers `mq` (rows), `mk`
/// (n), the head's `shift` and valid length (keys at or past it are masked; lengths past n mask
/// nothing). The caller guarantees the shapes (panics otherwise).
#[allow(clippy::too_many_arguments)]
pub fn front_end_ints(
    p: &FrontEndParams,
    cb: &Codebook,
    qq: ArrayView2<i8>,
    kq: ArrayView2<i8>,
    mq: &Array1<u32>,
    mk: &Array1<u32>,
    shift: i32,
    valid_len: usize,
) -> IntTrace {
    assert_eq!(mq.len(), qq.nrows(), "one query multiplier per row");
    assert_eq!(mk.len(), kq.nrows(), "one key multiplier per key");
    let valid_len = valid_len.min(kq.nrows());
    let sc = scores(qq, kq);
    let qm = RowMultipliers {
        m: mq.clone(),
        e: 0,
    };
    let km = RowMultipliers {
        m: mk.clone(),
        e: 0,
    };
    let (x, saturated) = fixed_x(p, &sc, &qm, &km, shift, valid_len);
    let t = Tables::new(p, cb);
    let rows = qq.nrows();
    let (mut m, mut sum, mut l) = (
        Array1::<i64>::zeros(rows),
        Array1::<u64>::zeros(rows),
        Array1::<i64>::zeros(rows),
    );
    let mut y = Array2::<i64>::from_elem(sc.raw_dim(), i64::MIN);
    let mut codes = Array2::<u8>::zeros(sc.raw_dim());
    if valid_len > 0 {
        for i in 0..rows {
            let xr = x.row(i);
            let xv = &xr.as_slice().expect("standard layout")[..valid_len];
            m[i] = *xv.iter().max().expect("valid_len > 0");
            sum[i] = xv.iter().map(|&v| t.exp2_neg(p, m[i] - v) as u64).sum();
            l[i] = t.log2_sum(p, sum[i]);
            for (j, &v) in xv.iter().enumerate() {
                y[[i, j]] = v - m[i] - l[i];
                codes[[i, j]] = t.code(y[[i, j]]);
            }
        }
    }
    IntTrace {
        scores: sc,
        x,
        saturated,
        m,
        sum,
        l,
        y,
        codes,
    }
}

/// One x: `sat(round_half_up(s * mk * mq / 2^shift))` in F-fractional log2 units, saturated to
/// `+-x_limit`; also whether it saturated.
pub fn x_value(p: &FrontEndParams, s: i64, mk: u32, mq: u32, shift: i32) -> (i64, bool) {
    let lim = p.x_limit() as i128;
    let v = round_shift_i(s as i128 * mk as i128 * mq as i128, shift);
    (v.clamp(-lim, lim) as i64, v.abs() > lim)
}

/// `x_ij` ([`x_value`]) for valid keys, 0 for masked; and how many saturated.
fn fixed_x(
    p: &FrontEndParams,
    sc: &Array2<i32>,
    mq: &RowMultipliers,
    mk: &RowMultipliers,
    shift: i32,
    valid_len: usize,
) -> (Array2<i64>, usize) {
    let mut x = Array2::<i64>::zeros(sc.raw_dim());
    let mut sat = 0;
    for ((i, j), &s) in sc.indexed_iter() {
        if j >= valid_len {
            continue;
        }
        let (v, saturated) = x_value(p, s as i64, mk.m[j], mq.m[i], shift);
        sat += usize::from(saturated);
        x[[i, j]] = v;
    }
    (x, sat)
}

/// The codes of the fixed-point front end, `[rows, n]` (see [`front_end`]).
pub fn codes_fixed(
    p: &FrontEndParams,
    cb: &Codebook,
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    valid_len: usize,
) -> Result<Array2<u8>, ModelError> {
    Ok(front_end(p, cb, q, k, valid_len)?.ints.codes)
}

/// Float reference: `log2 alpha_ij` of the f64 softmax of `q k^T / sqrt(d)` over the first
/// `valid_len` keys, `[rows, n]`; masked keys are `-inf`.
pub fn log2_probs_float(
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    valid_len: usize,
) -> Result<Array2<f64>, ModelError> {
    if q.ncols() != k.ncols() {
        return Err(ModelError::Shape(format!(
            "Q has {} columns but K has {}",
            q.ncols(),
            k.ncols()
        )));
    }
    if valid_len > k.nrows() {
        return Err(ModelError::Shape(format!(
            "valid length {valid_len} exceeds the {} keys of K",
            k.nrows()
        )));
    }
    let scale = 1.0 / (q.ncols() as f64).sqrt();
    let mut out = Array2::<f64>::from_elem((q.nrows(), k.nrows()), f64::NEG_INFINITY);
    for (i, qr) in q.rows().into_iter().enumerate() {
        let s: Vec<f64> = k
            .rows()
            .into_iter()
            .take(valid_len)
            .map(|kr| {
                scale
                    * qr.iter()
                        .zip(kr)
                        .map(|(&a, &b)| a as f64 * b as f64)
                        .sum::<f64>()
            })
            .collect();
        let mx = s.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let lse = mx + s.iter().map(|&v| (v - mx).exp()).sum::<f64>().ln();
        for (j, &v) in s.iter().enumerate() {
            out[[i, j]] = (v - lse) * std::f64::consts::LOG2_E;
        }
    }
    Ok(out)
}

/// Float reference codes: `Codebook::code` of the f64 softmax (rounded to f32) of
/// `q k^T / sqrt(d)` over the first `valid_len` keys; masked keys are 0.
pub fn codes_float(
    cb: &Codebook,
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    valid_len: usize,
) -> Result<Array2<u8>, ModelError> {
    check_finite(q.iter().chain(k.iter()))?;
    let y = log2_probs_float(q, k, valid_len)?;
    Ok(y.mapv(|v| cb.code(v.exp2() as f32)))
}

/// Float attention output `softmax(q k^T / sqrt(d)) v` over the first `valid_len` keys, in
/// f64, `[rows, d_v]` (a row with no valid key is 0).
pub fn attention_float(
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    v: ArrayView2<f32>,
    valid_len: usize,
) -> Result<Array2<f32>, ModelError> {
    weighted_v(q, k, v, valid_len, |y| y.exp2())
}

/// The float pruned-and-quantized output: `sum_j level(code_ij) v_j` with the float codes of
/// [`codes_float`] and the codebook's float levels (no int8 V, no fixed point), `[rows, d_v]`.
/// Its error against [`attention_float`] is the cost of the quantization method itself.
pub fn attention_float_quantized(
    cb: &Codebook,
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    v: ArrayView2<f32>,
    valid_len: usize,
) -> Result<Array2<f32>, ModelError> {
    weighted_v(q, k, v, valid_len, |y| cb.level(cb.code(y.exp2() as f32)))
}

fn weighted_v(
    q: ArrayView2<f32>,
    k: ArrayView2<f32>,
    v: ArrayView2<f32>,
    valid_len: usize,
    weight: impl Fn(f64) -> f64,
) -> Result<Array2<f32>, ModelError> {
    if v.nrows() != k.nrows() {
        return Err(ModelError::Shape(format!(
            "K has {} rows but V has {}",
            k.nrows(),
            v.nrows()
        )));
    }
    check_finite(q.iter().chain(k.iter()).chain(v.iter()))?;
    let y = log2_probs_float(q, k, valid_len)?;
    let mut out = Array2::<f32>::zeros((q.nrows(), v.ncols()));
    for (i, yr) in y.rows().into_iter().enumerate() {
        let mut acc = vec![0f64; v.ncols()];
        for (j, &yy) in yr.iter().enumerate().take(valid_len) {
            let a = weight(yy);
            if a != 0.0 {
                for (o, &x) in acc.iter_mut().zip(v.row(j)) {
                    *o += a * x as f64;
                }
            }
        }
        for (o, a) in out.row_mut(i).iter_mut().zip(acc) {
            *o = a as f32;
        }
    }
    Ok(out)
}

/// Agreement of two code arrays: the fraction of equal entries (1 for empty arrays).
pub fn agreement(a: ArrayView2<u8>, b: ArrayView2<u8>) -> f64 {
    let n = a.len();
    if n == 0 {
        return 1.0;
    }
    let eq = a.iter().zip(b.iter()).filter(|(x, y)| x == y).count();
    eq as f64 / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_widths() {
        let p = FrontEndParams::default();
        assert_eq!(p.score_bits(), 21);
        assert_eq!(p.x_bits(), 25);
        assert_eq!(p.sum_bits(), 25);
        assert_eq!(p.product_bits(), 53);
    }

    #[test]
    fn check_values_k3_t1e3() {
        let p = FrontEndParams::default();
        let t = Tables::new(&p, &Codebook::log(3, 1e-3).unwrap());
        assert_eq!(
            t.edge,
            vec![-10204, -8747, -7289, -5831, -4373, -2915, -1457]
        );
        assert_eq!(
            (t.exp.len(), t.exp[0], t.exp[1], t.exp[63]),
            (64, 65182, 64480, 32946)
        );
        assert_eq!(
            (t.log.len(), t.log[0], t.log[1], t.log[255]),
            (256, 3, 9, 1023)
        );
        let o = Tables::new(&p, &Codebook::octave(3).unwrap());
        assert_eq!(o.edge, (0..7).map(|m| (m - 7) << 10).collect::<Vec<i64>>());
    }

    #[test]
    fn round_shifts() {
        assert_eq!(round_shift_i(5, 1), 3);
        assert_eq!(round_shift_i(-5, 1), -2);
        assert_eq!(round_shift_i(3, -2), 12);
        assert_eq!(round_shift_u(3, 1), 2);
        assert_eq!(round_shift_u(u16::MAX as u32, 17), 0);
    }

    #[test]
    fn multipliers_normalized() {
        let v = Array1::from(vec![0.5, 0.25, 1e-3]);
        let r = row_multipliers(&v, 16).unwrap();
        assert_eq!(r.m[0], 1 << 15);
        assert_eq!(r.e, 16);
        let v = Array1::from(vec![0.999_999_99]);
        let r = row_multipliers(&v, 16).unwrap();
        assert!(r.m[0] < 1 << 16 && r.m[0] >= 1 << 15);
    }
}
