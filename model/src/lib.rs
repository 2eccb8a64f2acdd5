//! # model: the bit-exact reference of logattn
//!
//! The one definition of the numbers every other crate uses (hdl builds them, sim checks them,
//! host runs them). Specified in `docs/numerics.md`.
//!
//! Principal types:
//! - [`Codebook`]: a k-bit log codebook (threshold t, or the octave codebook): `code(alpha)`,
//!   `level(c)`, and the hardware's [`IntWeights`].
//! - [`CoreParams`]: the AttnV core's parameters (D, N_MAX, W, k) and every width derived from
//!   them (accumulator, row sum, address); [`Variant`] names the datapath flavour.
//! - [`contract`]: the integer contract: [`quantize_v`] (int8 per column), [`accumulate`]
//!   (exact `acc` and row sums), [`dequantize`], and [`attend_head`], the whole software path;
//!   splitting tensors into heads.
//! - [`frontend`]: the score and log-softmax front end: int8 Q, K per row, exact scores, and
//!   codes from fixed-point log2 probabilities (exp2/log2 tables, no division), with its float
//!   reference [`frontend::codes_float`].
//! - [`timing`]: the hardware's cycle behaviour, cycle by cycle: a core job's cycles, a whole
//!   head's, what a board reports.
//! - [`link`]: the link protocol every board speaks: frames ([`link::wire`]), the streaming
//!   decoder ([`link::decoder`]), and a board's configuration and behaviour ([`link::device`]:
//!   [`link::DeviceConfig`], [`link::Device`]).
//! - [`analysis`]: the paper's measurements (sparsity, top-k mass, Jensen-Shannon divergence,
//!   memory) and the other quantizers it compares ([`analysis::Method`]); [`sweep`]: output
//!   error and code agreement against k and t.
//! - [`golden`]: the shared golden vectors under `tests/golden/`.
//! - [`npy`]: checked `.npy` input (errors name the file and the problem); [`output`]:
//!   all-or-nothing output (a command's outputs staged and committed together, never over an
//!   input).
//! - [`stress`]: case counts of the randomized checks, larger under `make stress`, and the
//!   record of what they ran.
//! - [`ModelError`]: every way input can be wrong, with a message that names the problem.

pub mod analysis;
pub mod codebook;
pub mod contract;
pub mod frontend;
pub mod golden;
pub mod link;
pub mod npy;
pub mod output;
pub mod params;
pub mod stress;
pub mod sweep;
pub mod timing;

pub use codebook::{Codebook, CodebookKind, IntWeights};
pub use contract::{
    accumulate, attend_head, dequantize, dequantize_renormalized, quantize_v, AccRows, QuantV,
};
pub use params::{CoreParams, Variant};

/// Width of quantized V (signed).
pub const V_BITS: u32 = 8;
/// Largest |Vq|: the int8 range is symmetric, `[-127, 127]`.
pub const V_MAX: i32 = 127;
/// Width of an integer code weight (unsigned).
pub const WEIGHT_BITS: u32 = 16;
/// Code width of the hardware.
pub const HW_CODE_BITS: u32 = 3;
/// The pruning threshold t of the log codebook where none is asked for (the paper's 1e-3), and
/// of the log codebook a general whole-head board's front end is built for.
pub const DEFAULT_THRESHOLD: f64 = 1e-3;
/// Codes the hardware's AttnV core scans a cycle (W: the codes of one code beat).
pub const HW_CODES_PER_CYCLE: usize = 16;

/// Everything that can be wrong with input to the model.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ModelError {
    #[error("bits must be in 1..=4, got {0}")]
    BadBits(u32),
    #[error("threshold must be in (0, 1), got {0}")]
    BadThreshold(f64),
    #[error("value {0} is not finite")]
    NonFinite(f32),
    #[error("value {0} is not a probability (outside [0, 1])")]
    NotProbability(f32),
    #[error("shape mismatch: {0}")]
    Shape(String),
    #[error("bad core parameters: {0}")]
    BadParams(String),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Invalid(String),
}
