//! `CodeMask`: which of the W codes of a code beat are non-zero (pure wiring + OR3).

use rust_hdl::prelude::*;

/// Non-zero flags of a code beat: `mask[m] = (code m != 0)`, code m at bits `[3m+2 : 3m]`.
///
/// Hand-written Verilog leaf (rust-hdl's `hdl_gen` cannot OR-reduce strided bit groups into a
/// bus without loops that accumulate), with a Rust `update` for rust-hdl's own simulator.
///
/// Inputs: `codes` (`CW = 3 W` bits).
/// Outputs: `mask` (`W` bits), `count` (5 bits, the number of non-zero codes, W <= 16),
/// combinational.
#[derive(LogicBlock)]
pub struct CodeMask<const W: usize, const CW: usize> {
    /// W k-bit codes (k = 3).
    pub codes: Signal<In, Bits<CW>>,
    /// Bit m set iff code m is non-zero.
    pub mask: Signal<Out, Bits<W>>,
    /// Number of non-zero codes.
    pub count: Signal<Out, Bits<5>>,
}

impl<const W: usize, const CW: usize> Default for CodeMask<W, CW> {
    fn default() -> Self {
        assert_eq!(CW, 3 * W, "CodeMask: CW must be 3 * W (k = 3)");
        assert!(W <= 16, "CodeMask: W must be at most 16 (5-bit count)");
        Self {
            codes: Default::default(),
            mask: Default::default(),
            count: Default::default(),
        }
    }
}

impl<const W: usize, const CW: usize> Logic for CodeMask<W, CW> {
    fn update(&mut self) {
        let c = self.codes.val();
        let mut m = 0u64;
        for i in 0..W {
            if c.get_bits::<3>(3 * i).any() {
                m |= 1 << i;
            }
        }
        self.mask.next = m.into();
        self.count.next = (m.count_ones() as u64).into();
    }
    fn connect(&mut self) {
        self.mask.connect();
        self.count.connect();
    }
    fn hdl(&self) -> Verilog {
        let bits: Vec<String> = (0..W)
            .rev()
            .map(|i| format!("(|codes[{}:{}])", 3 * i + 2, 3 * i))
            .collect();
        let terms: Vec<String> = (0..W).map(|i| format!("{{4'd0, mask[{i}]}}")).collect();
        Verilog::Custom(format!(
            "always @(*) begin\n    mask = {{{}}};\n    count = {};\nend\n",
            bits.join(", "),
            terms.join(" + ")
        ))
    }
}
