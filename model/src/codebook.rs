//! Log codebooks: the mapping from attention probabilities to k-bit codes and back.
//!
//! A [`Codebook`] with `k` bits and threshold `t` splits `[t, 1]` into `2^k - 1` bins of equal
//! width `q = -log2(t) / (2^k - 1)` in the log2 domain. Probabilities below `t` are pruned (code 0).
//! See `docs/numerics.md` for the full specification; this file is its only implementation.

use crate::ModelError;
use serde::Serialize;

/// Largest code width the model supports (the hardware uses [`crate::HW_CODE_BITS`]).
pub const MAX_CODE_BITS: u32 = 4;

/// Fractional bits of a general codebook's integer weights: `w[c] = round(level(c) * 2^16)`.
pub const WEIGHT_FRAC_BITS: u32 = 16;

/// Which family a codebook belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CodebookKind {
    /// Any threshold; integer weights are the levels in 16-bit fixed point.
    Log,
    /// `t = 2^-(2^k - 1)`, so `q = 1` and every level is a power of two times `2^-1/2`:
    /// the integer weights are `2^(c-1)` and the datapath can shift instead of multiply.
    Octave,
}

/// Integer weights of a codebook: `level(c) = w[c] * scale` (exactly for the octave codebook,
/// to within half an LSB of 2^-16 for a general one). `w[0] = 0`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IntWeights {
    /// One weight per code, `w.len() == 2^k`, each `< 2^16`.
    pub w: Vec<u32>,
    /// The global float scale `g`.
    pub scale: f64,
}

impl IntWeights {
    /// The weight of `code`.
    #[inline]
    pub fn of(&self, code: u8) -> u32 {
        self.w[code as usize]
    }

    /// The largest weight.
    pub fn max(&self) -> u32 {
        self.w.iter().copied().max().unwrap_or(0)
    }
}

/// A k-bit log codebook with pruning threshold `t` (log base 2).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Codebook {
    bits: u32,
    threshold: f64,
    kind: CodebookKind,
    /// `edges[m] = 2^(log2 t + m q)` for `m = 0 ..= 2^k - 2`; `edges[0] = t`.
    edges: Vec<f64>,
}

impl Codebook {
    /// The paper's log codebook: `bits` in `1..=4`, `threshold` in `(0, 1)`.
    pub fn log(bits: u32, threshold: f64) -> Result<Self, ModelError> {
        check_bits(bits)?;
        if !(threshold > 0.0 && threshold < 1.0) {
            return Err(ModelError::BadThreshold(threshold));
        }
        Ok(Self::build(bits, threshold, CodebookKind::Log))
    }

    /// The octave codebook: `t = 2^-(2^k - 1)`, `q = 1`.
    pub fn octave(bits: u32) -> Result<Self, ModelError> {
        check_bits(bits)?;
        let t = (-(((1u32 << bits) - 1) as f64)).exp2();
        Ok(Self::build(bits, t, CodebookKind::Octave))
    }

    fn build(bits: u32, threshold: f64, kind: CodebookKind) -> Self {
        let mut cb = Self {
            bits,
            threshold,
            kind,
            edges: Vec::new(),
        };
        let ncodes = 1u32 << bits;
        cb.edges = (0..ncodes - 1)
            .map(|m| match kind {
                // Exact powers of two: no rounding anywhere.
                CodebookKind::Octave => (cb.log2_threshold() + m as f64).exp2(),
                CodebookKind::Log => (cb.log2_threshold() + m as f64 * cb.step()).exp2(),
            })
            .collect();
        cb
    }

    /// Code width k.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Number of codes, `2^k` (code 0 is "pruned").
    pub fn num_codes(&self) -> usize {
        1 << self.bits
    }

    /// Largest code, `2^k - 1`.
    pub fn max_code(&self) -> u8 {
        ((1u32 << self.bits) - 1) as u8
    }

    /// Pruning threshold t.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The family.
    pub fn kind(&self) -> CodebookKind {
        self.kind
    }

    /// `log2 t`.
    pub fn log2_threshold(&self) -> f64 {
        match self.kind {
            CodebookKind::Octave => -(((1u32 << self.bits) - 1) as f64),
            CodebookKind::Log => self.threshold.log2(),
        }
    }

    /// Bin width in the log2 domain, `q = -log2(t) / (2^k - 1)`.
    pub fn step(&self) -> f64 {
        match self.kind {
            CodebookKind::Octave => 1.0,
            CodebookKind::Log => -self.threshold.log2() / ((1u32 << self.bits) - 1) as f64,
        }
    }

    /// Bin edges `t = e_0 < e_1 < ... < e_{2^k-2} < 1`, followed by 1.
    pub fn edges(&self) -> Vec<f64> {
        let mut e = self.edges.clone();
        e.push(1.0);
        e
    }

    /// The code of a probability. Precondition: `alpha` is finite and in `[0, 1]`
    /// (use [`Codebook::try_code`] for unchecked input).
    ///
    /// `code(alpha)` is the number of edges `e_0 ..= e_{2^k-2}` with `alpha >= e_m`: 0 below t,
    /// else `1 + floor((log2 alpha - log2 t) / q)` clamped to `[1, 2^k - 1]`, decided by
    /// comparisons against the edges so the map is monotone and exact at every edge.
    #[inline]
    pub fn code(&self, alpha: f32) -> u8 {
        let a = alpha as f64;
        self.edges.iter().take_while(|&&e| a >= e).count() as u8
    }

    /// [`Codebook::code`] with the input checked.
    pub fn try_code(&self, alpha: f32) -> Result<u8, ModelError> {
        check_prob(alpha)?;
        Ok(self.code(alpha))
    }

    /// The representative value of a code: `level(0) = 0`,
    /// `level(c) = 2^(log2 t + (c - 1/2) q)`.
    pub fn level(&self, code: u8) -> f64 {
        assert!(
            code <= self.max_code(),
            "code {code} out of range for a {}-bit codebook",
            self.bits
        );
        if code == 0 {
            0.0
        } else {
            (self.log2_threshold() + (code as f64 - 0.5) * self.step()).exp2()
        }
    }

    /// All levels, indexed by code.
    pub fn levels(&self) -> Vec<f64> {
        (0..=self.max_code()).map(|c| self.level(c)).collect()
    }

    /// The hardware's integer weights and their global scale.
    ///
    /// Octave: `w[c] = 2^(c-1)`, `g = level(1)` (exact). Log: `w[c] = round(level(c) * 2^16)`
    /// (ties away from zero, at most `2^16 - 1`), `g = 2^-16`.
    pub fn weights(&self) -> IntWeights {
        match self.kind {
            CodebookKind::Octave => IntWeights {
                w: (0..self.num_codes())
                    .map(|c| if c == 0 { 0 } else { 1u32 << (c - 1) })
                    .collect(),
                scale: self.level(1),
            },
            CodebookKind::Log => {
                let one = (1u64 << WEIGHT_FRAC_BITS) as f64;
                let wmax = (1u32 << crate::WEIGHT_BITS) - 1;
                IntWeights {
                    w: (0..=self.max_code())
                        .map(|c| ((self.level(c) * one).round() as u32).min(wmax))
                        .collect(),
                    scale: 1.0 / one,
                }
            }
        }
    }

    /// One-line description, e.g. `log k=3 t=0.001`.
    pub fn describe(&self) -> String {
        match self.kind {
            CodebookKind::Log => format!("log k={} t={}", self.bits, self.threshold),
            CodebookKind::Octave => {
                format!("octave k={} t=2^-{}", self.bits, (1u32 << self.bits) - 1)
            }
        }
    }
}

fn check_bits(bits: u32) -> Result<(), ModelError> {
    if (1..=MAX_CODE_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(ModelError::BadBits(bits))
    }
}

/// Checks that `alpha` is a probability: finite and in `[0, 1]`.
#[inline]
pub fn check_prob(alpha: f32) -> Result<(), ModelError> {
    if !alpha.is_finite() {
        Err(ModelError::NonFinite(alpha))
    } else if !(0.0..=1.0).contains(&alpha) {
        Err(ModelError::NotProbability(alpha))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn paper_check_values_k3_t1e3() {
        let cb = Codebook::log(3, 1e-3).unwrap();
        assert!(close(cb.step(), 1.4237, 1e-4), "q = {}", cb.step());
        let edges = [
            1e-3, 2.683e-3, 7.197e-3, 1.931e-2, 5.179e-2, 0.1389, 0.3728, 1.0,
        ];
        for (got, want) in cb.edges().iter().zip(edges) {
            assert!(close(*got, want, 1e-3), "edge {got} vs {want}");
        }
        let levels = [
            1.638e-3, 4.394e-3, 1.179e-2, 3.162e-2, 8.483e-2, 0.2276, 0.6105,
        ];
        for (c, want) in (1..=7u8).zip(levels) {
            assert!(
                close(cb.level(c), want, 1e-3),
                "level({c}) = {} vs {want}",
                cb.level(c)
            );
        }
        assert_eq!(cb.code(1.0), 7);
        assert_eq!(cb.code(0.0), 0);
        assert_eq!(cb.code(0.000_999), 0);
        assert_eq!(cb.code(0.001), 1);
    }

    #[test]
    fn octave_weights_are_exact() {
        let cb = Codebook::octave(3).unwrap();
        assert_eq!(cb.threshold(), 2f64.powi(-7));
        let w = cb.weights();
        assert_eq!(w.w, vec![0, 1, 2, 4, 8, 16, 32, 64]);
        assert_eq!(w.scale, 2f64.powf(-6.5));
        for c in 1..=7u8 {
            assert_eq!(cb.level(c), w.of(c) as f64 * w.scale);
        }
        // Edges are exact powers of two: 2^-7 lands in code 1, just below 2^-6 too.
        assert_eq!(cb.code(2f32.powi(-7)), 1);
        assert_eq!(cb.code(2f32.powi(-6)), 2);
        assert_eq!(cb.code(2f32.powi(-6) * (1.0 - f32::EPSILON)), 1);
    }

    #[test]
    fn general_weights_k3() {
        let w = Codebook::log(3, 1e-3).unwrap().weights();
        assert_eq!(w.w[0], 0);
        assert_eq!(w.w, vec![0, 107, 288, 773, 2072, 5560, 14915, 40012]); // level(1) * 2^16 = 107.4
        assert_eq!(w.scale, 2f64.powi(-16));
        assert!(w.max() < 1 << 16);
    }

    #[test]
    fn rejects_bad_parameters_with_clear_messages() {
        assert_eq!(
            Codebook::log(0, 1e-3).unwrap_err().to_string(),
            "bits must be in 1..=4, got 0"
        );
        assert_eq!(
            Codebook::log(5, 1e-3).unwrap_err().to_string(),
            "bits must be in 1..=4, got 5"
        );
        for t in [0.0, 1.0, -0.5, f64::NAN, f64::INFINITY] {
            let e = Codebook::log(3, t).unwrap_err().to_string();
            assert!(e.starts_with("threshold must be in (0, 1)"), "{e}");
        }
        let cb = Codebook::log(3, 1e-3).unwrap();
        assert_eq!(
            cb.try_code(f32::NAN).unwrap_err().to_string(),
            "value NaN is not finite"
        );
        assert_eq!(
            cb.try_code(1.5).unwrap_err().to_string(),
            "value 1.5 is not a probability (outside [0, 1])"
        );
    }

    #[test]
    fn weights_clamp_to_16_bits_near_t_1() {
        let w = Codebook::log(4, 0.999_999).unwrap().weights();
        assert!(w.w.iter().all(|&x| x < 1 << 16));
    }
}
