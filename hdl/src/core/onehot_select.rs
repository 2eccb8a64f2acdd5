//! `OneHotSelect`: from a one-hot position, the selected code and the position's index.

use rust_hdl::prelude::*;

/// AND-OR selection of one code out of a code beat, and one-hot to binary encoding.
///
/// Hand-written Verilog leaf (balanced AND-OR trees; `hdl_gen` would produce a W-deep priority
/// chain), with a Rust `update` for rust-hdl's own simulator. Combinational.
///
/// Inputs: `onehot` (`W` bits, at most one bit set), `codes` (`CW = 3 W` bits).
/// Outputs: `code` (3 bits, the code at the set position, 0 if none), `idx` (`LW = log2 W` bits,
/// the set position, 0 if none).
#[derive(LogicBlock)]
pub struct OneHotSelect<const W: usize, const CW: usize, const LW: usize> {
    /// At most one bit set.
    pub onehot: Signal<In, Bits<W>>,
    /// W codes, code m at bits `[3m+2 : 3m]`.
    pub codes: Signal<In, Bits<CW>>,
    /// The selected code.
    pub code: Signal<Out, Bits<3>>,
    /// The index of the set bit.
    pub idx: Signal<Out, Bits<LW>>,
}

impl<const W: usize, const CW: usize, const LW: usize> Default for OneHotSelect<W, CW, LW> {
    fn default() -> Self {
        assert_eq!(CW, 3 * W, "OneHotSelect: CW must be 3 * W (k = 3)");
        assert_eq!(1 << LW, W, "OneHotSelect: W must be 2^LW");
        Self {
            onehot: Default::default(),
            codes: Default::default(),
            code: Default::default(),
            idx: Default::default(),
        }
    }
}

impl<const W: usize, const CW: usize, const LW: usize> Logic for OneHotSelect<W, CW, LW> {
    fn update(&mut self) {
        let oh = self.onehot.val();
        let c = self.codes.val();
        let mut code = 0u64;
        let mut idx = 0u64;
        for m in 0..W {
            if oh.get_bit(m) {
                code |= c.get_bits::<3>(3 * m).to_u64();
                idx |= m as u64;
            }
        }
        self.code.next = code.into();
        self.idx.next = idx.into();
    }
    fn connect(&mut self) {
        self.code.connect();
        self.idx.connect();
    }
    fn hdl(&self) -> Verilog {
        let mut s = String::from("always @(*) begin\n");
        let terms: Vec<String> = (0..W)
            .map(|m| format!("({{3{{onehot[{m}]}}}} & codes[{}:{}])", 3 * m + 2, 3 * m))
            .collect();
        s += &format!("    code = {};\n", terms.join(" | "));
        for b in 0..LW {
            let sel: Vec<String> = (0..W)
                .filter(|m| (m >> b) & 1 == 1)
                .map(|m| format!("onehot[{m}]"))
                .collect();
            s += &format!("    idx[{b}] = {};\n", sel.join(" | "));
        }
        s += "end\n";
        Verilog::Custom(s)
    }
}
