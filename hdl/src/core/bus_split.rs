//! `BusSplit`: a flat bus of D bytes into D lane signals.

use rust_hdl::prelude::*;

/// Splits a flat `VW = 8 D` bit bus into D byte lanes: lane l is bits `[8l+7 : 8l]`.
///
/// Hand-written Verilog leaf (wiring only; a `Vec` of ports cannot be sliced from a bus in
/// `hdl_gen`), with a Rust `update` for rust-hdl's own simulator. Combinational.
///
/// Inputs: `bus` (`VW` bits).
/// Outputs: `lanes` (D signals of 8 bits).
#[derive(LogicBlock)]
pub struct BusSplit<const VW: usize> {
    /// The flat bus.
    pub bus: Signal<In, Bits<VW>>,
    /// One byte per lane.
    pub lanes: Vec<Signal<Out, Bits<8>>>,
}

impl<const VW: usize> Default for BusSplit<VW> {
    fn default() -> Self {
        assert!(
            VW > 0 && VW / 8 * 8 == VW,
            "BusSplit: VW must be a positive multiple of 8"
        );
        Self {
            bus: Default::default(),
            lanes: (0..VW / 8).map(|_| Default::default()).collect(),
        }
    }
}

impl<const VW: usize> Logic for BusSplit<VW> {
    fn update(&mut self) {
        let b = self.bus.val();
        for (l, s) in self.lanes.iter_mut().enumerate() {
            s.next = b.get_bits::<8>(8 * l);
        }
    }
    fn connect(&mut self) {
        for s in self.lanes.iter_mut() {
            s.connect();
        }
    }
    fn hdl(&self) -> Verilog {
        let mut s = String::from("always @(*) begin\n");
        for l in 0..VW / 8 {
            s += &format!("    lanes${l} = bus[{}:{}];\n", 8 * l + 7, 8 * l);
        }
        s += "end\n";
        Verilog::Custom(s)
    }
}
