//! `SmallMul`: a 16-bit value times a small 16-bit one, by shift and add.

use rust_hdl::prelude::*;

/// `p = a * b` for `b < 2^TERMS` (its low `TERMS` bits are used; higher bits are ignored), as
/// `TERMS` shifted copies of `a` added: the link framer's `rows * ceil(n / 16)`, where `b` is
/// at most `N_MAX / 16` (a larger one means n is beyond N_MAX and the product is not used).
/// Cheaper than a full 16 x 16 multiplier on a DSP-less FPGA.
///
/// Hand-written Verilog leaf (the sum of `TERMS` terms), with a Rust `update` twin.
/// Combinational.
///
/// Inputs: `a`, `b` (16 bits each).
/// Outputs: `p` (32 bits).
#[derive(LogicBlock)]
pub struct SmallMul<const TERMS: usize> {
    /// The multiplicand.
    pub a: Signal<In, Bits<16>>,
    /// The small multiplier.
    pub b: Signal<In, Bits<16>>,
    /// `a * (b mod 2^TERMS)`.
    pub p: Signal<Out, Bits<32>>,
}

impl<const TERMS: usize> Default for SmallMul<TERMS> {
    fn default() -> Self {
        assert!(
            (1..=16).contains(&TERMS),
            "SmallMul: TERMS must be in 1..=16"
        );
        Self {
            a: Default::default(),
            b: Default::default(),
            p: Default::default(),
        }
    }
}

impl<const TERMS: usize> Logic for SmallMul<TERMS> {
    fn update(&mut self) {
        let b = self.b.val().to_u64() & ((1u64 << TERMS) - 1);
        self.p.next = (self.a.val().to_u64() * b).into();
    }
    fn connect(&mut self) {
        self.p.connect();
    }
    fn hdl(&self) -> Verilog {
        let terms: Vec<String> = (0..TERMS)
            .map(|i| format!("({{32{{b[{i}]}}}} & ({{16'd0, a}} << {i}))"))
            .collect();
        Verilog::Custom(format!("always @(*) p = {};\n", terms.join(" + ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "SmallMul: TERMS must be in 1..=16")]
    fn rejects_zero_terms() {
        let _ = SmallMul::<0>::default();
    }

    #[test]
    fn multiplies_and_lints() {
        let mut m = SmallMul::<5>::default();
        m.connect_all();
        for (a, b) in [(0u64, 0u64), (65535, 31), (1234, 17), (7, 32), (300, 33)] {
            m.a.next = a.into();
            m.b.next = b.into();
            crate::verify::testbench::settle(&mut m);
            assert_eq!(m.p.val().to_u64(), a * (b % 32), "{a} x {b}");
        }
        crate::verify::lint::verilator_lint("small_mul", &generate_verilog(&m)).unwrap();
    }
}
