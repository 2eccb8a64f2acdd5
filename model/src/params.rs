//! Hardware parameters of the AttnV core, defined once here and used by hdl, sim and host.

use crate::{ModelError, V_MAX, WEIGHT_BITS};
use serde::Serialize;

/// Which datapath a core configuration builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// One multiplier per lane: serves any codebook through the loaded weights.
    General,
    /// Shift-only lanes for the octave codebook (`w[c] = 2^(c-1)`): no multipliers.
    Octave,
    /// The baseline: no zero skipping, one code per cycle.
    Dense,
}

impl Variant {
    /// The variant a whole-head board computing with `codebook` is built as: shift-only lanes
    /// for the octave codebook, multiplier lanes for any other.
    pub fn for_codebook(codebook: &crate::Codebook) -> Self {
        match codebook.kind() {
            crate::CodebookKind::Octave => Variant::Octave,
            crate::CodebookKind::Log => Variant::General,
        }
    }

    /// The variant's number in a board's info block (`docs/link.md`): 0 general, 1 octave,
    /// 2 dense.
    pub const fn wire_tag(self) -> u8 {
        match self {
            Variant::General => 0,
            Variant::Octave => 1,
            Variant::Dense => 2,
        }
    }

    /// The variant whose [`Variant::wire_tag`] is `tag`.
    pub const fn from_wire_tag(tag: u8) -> Option<Self> {
        match tag {
            0 => Some(Variant::General),
            1 => Some(Variant::Octave),
            2 => Some(Variant::Dense),
            _ => None,
        }
    }
}

/// Parameters of one AttnV core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CoreParams {
    /// Head dimension: number of lanes (columns of V), D.
    pub d: usize,
    /// Largest sequence length the core accepts (rows of V in block RAM), N_MAX.
    pub n_max: usize,
    /// Codes scanned per cycle, W (codes per code-stream beat).
    pub codes_per_cycle: usize,
    /// Code width k.
    pub code_bits: u32,
    /// Non-zero codes issued per cycle, K (1 or 2): each lane adds K products a cycle.
    pub nnz_per_cycle: usize,
}

/// The non-zero codes per cycle a core can issue ([`CoreParams::nnz_per_cycle`], K).
pub const NNZ_PER_CYCLE: [usize; 2] = [1, 2];

/// Largest supported head dimension.
pub const MAX_D: usize = 256;
/// Largest supported N_MAX.
pub const MAX_N_MAX: usize = 1 << 16;
/// Largest supported codes per cycle.
pub const MAX_CODES_PER_CYCLE: usize = 64;

impl Default for CoreParams {
    /// D = 64, N_MAX = 512, W = 16, k = 3.
    fn default() -> Self {
        Self {
            d: 64,
            n_max: 512,
            codes_per_cycle: crate::HW_CODES_PER_CYCLE,
            code_bits: crate::HW_CODE_BITS,
            nnz_per_cycle: 1,
        }
    }
}

impl CoreParams {
    /// The hardware's core at (D, N_MAX): W = [`crate::HW_CODES_PER_CYCLE`] codes a beat and
    /// k = [`crate::HW_CODE_BITS`] bits a code, checked as [`CoreParams::new`].
    pub fn hardware(d: usize, n_max: usize) -> Result<Self, ModelError> {
        Self::new(d, n_max, crate::HW_CODES_PER_CYCLE, crate::HW_CODE_BITS)
    }

    /// Checked constructor.
    ///
    /// - `d` in `1..=256`;
    /// - `n_max` a power of two in `2..=65536` (it sets the V RAM's address width);
    /// - `codes_per_cycle` a power of two in `1..=64`, at most `n_max`;
    /// - `code_bits` in `1..=4`.
    ///
    /// K (non-zeros per cycle) is 1: [`CoreParams::with_nnz_per_cycle`] sets another.
    pub fn new(
        d: usize,
        n_max: usize,
        codes_per_cycle: usize,
        code_bits: u32,
    ) -> Result<Self, ModelError> {
        let bad = |what: String| Err(ModelError::BadParams(what));
        if !(1..=MAX_D).contains(&d) {
            return bad(format!("D (head dim) must be in 1..={MAX_D}, got {d}"));
        }
        if !(2..=MAX_N_MAX).contains(&n_max) || !n_max.is_power_of_two() {
            return bad(format!(
                "N_MAX must be a power of two in 2..={MAX_N_MAX}, got {n_max}"
            ));
        }
        if !(1..=MAX_CODES_PER_CYCLE).contains(&codes_per_cycle)
            || !codes_per_cycle.is_power_of_two()
        {
            return bad(format!(
                "codes per cycle W must be a power of two in 1..={MAX_CODES_PER_CYCLE}, got {codes_per_cycle}"
            ));
        }
        if codes_per_cycle > n_max {
            return bad(format!(
                "codes per cycle W = {codes_per_cycle} exceeds N_MAX = {n_max}"
            ));
        }
        if !(1..=crate::codebook::MAX_CODE_BITS).contains(&code_bits) {
            return bad(format!("code bits k must be in 1..=4, got {code_bits}"));
        }
        Ok(Self {
            d,
            n_max,
            codes_per_cycle,
            code_bits,
            nnz_per_cycle: 1,
        })
    }

    /// The same core issuing `k` non-zero codes a cycle (K, one of [`NNZ_PER_CYCLE`]).
    pub fn with_nnz_per_cycle(self, k: usize) -> Result<Self, ModelError> {
        if !NNZ_PER_CYCLE.contains(&k) {
            return Err(ModelError::BadParams(format!(
                "non-zeros per cycle K must be one of {NNZ_PER_CYCLE:?}, got {k}"
            )));
        }
        Ok(Self {
            nnz_per_cycle: k,
            ..self
        })
    }

    /// Width of a V RAM address, `log2(N_MAX)`.
    pub const fn addr_bits(&self) -> u32 {
        self.n_max.trailing_zeros()
    }

    /// Width of a sequence position `j` or length `n` in `0..=N_MAX`.
    pub const fn len_bits(&self) -> u32 {
        self.addr_bits() + 1
    }

    /// The largest row weight sum: `N_MAX * (2^16 - 1)`.
    pub const fn max_row_sum(&self) -> u64 {
        self.n_max as u64 * max_weight() as u64
    }

    /// The largest accumulator magnitude: `N_MAX * (2^16 - 1) * 127`.
    pub const fn max_acc_magnitude(&self) -> u64 {
        self.max_row_sum() * V_MAX as u64
    }

    /// Accumulator width (two's complement) that makes overflow impossible for any loaded weights,
    /// any Vq in `[-127, 127]` and any `n <= N_MAX`: 33 bits at N_MAX = 512.
    pub const fn acc_bits(&self) -> u32 {
        unsigned_bits(self.max_acc_magnitude()) + 1
    }

    /// Width of the row weight sum r (unsigned): 25 bits at N_MAX = 512.
    pub const fn rsum_bits(&self) -> u32 {
        unsigned_bits(self.max_row_sum())
    }

    /// Code-stream beats for a row of length `n`: `ceil(n / W)`.
    pub fn words_per_row(&self, n: usize) -> usize {
        n.div_ceil(self.codes_per_cycle)
    }

    /// The ideal cycles of a row with `nnz` non-zero codes: `max(ceil(nnz / K), ceil(n / W))`
    /// (K = [`CoreParams::nnz_per_cycle`]).
    pub fn ideal_row_cycles(&self, nnz: usize, n: usize) -> usize {
        nnz.div_ceil(self.nnz_per_cycle.max(1))
            .max(self.words_per_row(n))
    }
}

/// The largest integer weight the hardware accepts, `2^16 - 1`.
pub const fn max_weight() -> u32 {
    (1 << WEIGHT_BITS) - 1
}

/// Bits needed to hold `x` as an unsigned number (at least 1).
pub const fn unsigned_bits(x: u64) -> u32 {
    if x == 0 {
        1
    } else {
        64 - x.leading_zeros()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_widths() {
        let p = CoreParams::default();
        assert_eq!(
            (p.d, p.n_max, p.codes_per_cycle, p.code_bits),
            (64, 512, 16, 3)
        );
        assert_eq!(p.addr_bits(), 9);
        assert_eq!(p.acc_bits(), 33);
        assert_eq!(p.rsum_bits(), 25);
        // The bound is tight: 2^32 > 512 * 65535 * 127 >= 2^31.
        assert!(p.max_acc_magnitude() < 1 << 32 && p.max_acc_magnitude() >= 1 << 31);
        assert_eq!(p.ideal_row_cycles(3, 512), 32);
        assert_eq!(p.ideal_row_cycles(100, 512), 100);
        assert_eq!(p.ideal_row_cycles(0, 1), 1);
        let p2 = p.with_nnz_per_cycle(2).unwrap();
        assert_eq!(p2.ideal_row_cycles(3, 512), 32);
        assert_eq!(p2.ideal_row_cycles(101, 512), 51);
    }

    #[test]
    fn rejects_illegal_parameters_with_clear_messages() {
        let msg = |r: Result<CoreParams, ModelError>| r.unwrap_err().to_string();
        assert_eq!(
            msg(CoreParams::new(0, 512, 16, 3)),
            "bad core parameters: D (head dim) must be in 1..=256, got 0"
        );
        assert_eq!(
            msg(CoreParams::new(64, 500, 16, 3)),
            "bad core parameters: N_MAX must be a power of two in 2..=65536, got 500"
        );
        assert_eq!(
            msg(CoreParams::new(64, 512, 12, 3)),
            "bad core parameters: codes per cycle W must be a power of two in 1..=64, got 12"
        );
        assert_eq!(
            msg(CoreParams::new(64, 8, 16, 3)),
            "bad core parameters: codes per cycle W = 16 exceeds N_MAX = 8"
        );
        assert_eq!(
            msg(CoreParams::new(64, 512, 16, 5)),
            "bad core parameters: code bits k must be in 1..=4, got 5"
        );
        assert!(CoreParams::new(32, 512, 16, 3).is_ok());
    }
}
