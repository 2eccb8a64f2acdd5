//! `BusJoin`: D lane signals of E bits into one flat bus.

use rust_hdl::prelude::*;

/// Concatenates D lanes of `E` bits into a flat `OW = D E` bit bus: lane l at bits
/// `[E l + E - 1 : E l]`.
///
/// Hand-written Verilog leaf (wiring only; `hdl_gen` cannot assign slices of a bus), with a Rust
/// `update` for rust-hdl's own simulator. Combinational.
///
/// Inputs: `lanes` (D signals of `E` bits).
/// Outputs: `bus` (`OW` bits).
#[derive(LogicBlock)]
pub struct BusJoin<const OW: usize, const E: usize> {
    /// One value per lane.
    pub lanes: Vec<Signal<In, Bits<E>>>,
    /// The flat bus.
    pub bus: Signal<Out, Bits<OW>>,
}

impl<const OW: usize, const E: usize> Default for BusJoin<OW, E> {
    fn default() -> Self {
        assert!(
            OW > 0 && OW / E * E == OW,
            "BusJoin: OW must be a positive multiple of E"
        );
        Self {
            lanes: (0..OW / E).map(|_| Default::default()).collect(),
            bus: Default::default(),
        }
    }
}

impl<const OW: usize, const E: usize> Logic for BusJoin<OW, E> {
    fn update(&mut self) {
        let mut b = Bits::<OW>::default();
        for (l, s) in self.lanes.iter().enumerate() {
            b = b | (bit_cast::<OW, E>(s.val()) << ((E * l) as u64));
        }
        self.bus.next = b;
    }
    fn connect(&mut self) {
        self.bus.connect();
    }
    fn hdl(&self) -> Verilog {
        let parts: Vec<String> = (0..OW / E).rev().map(|l| format!("lanes${l}")).collect();
        Verilog::Custom(format!("always @(*) bus = {{{}}};\n", parts.join(", ")))
    }
}
