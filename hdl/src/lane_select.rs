//! `LaneSelect`: one W-bit field of a bus of lanes, chosen by index.

use rust_hdl::prelude::*;

/// A `BW / W`-way multiplexer of `W`-bit lanes (lane l at `bus[W l + W - 1 : W l]`).
///
/// Hand-written Verilog leaf: a `case` on the index, which synthesizes to a lane-wide
/// multiplexer tree. A rust-hdl slice at a variable offset (`bus[(off)+:W]`) would instead
/// become a barrel shifter of the whole bus: thousands of LUTs and a long path for a D = 64 row.
/// Rust `update` twin for rust-hdl's simulator. Combinational.
///
/// Inputs: `bus` (`BW` bits), `idx` (8 bits, the lane; lanes past the last give 0).
/// Outputs: `lane` (`W` bits).
#[derive(LogicBlock)]
pub struct LaneSelect<const BW: usize, const W: usize> {
    /// The lanes.
    pub bus: Signal<In, Bits<BW>>,
    /// The lane to select.
    pub idx: Signal<In, Bits<8>>,
    /// The selected lane.
    pub lane: Signal<Out, Bits<W>>,
}

impl<const BW: usize, const W: usize> Default for LaneSelect<BW, W> {
    fn default() -> Self {
        assert!(
            W > 0 && BW % W == 0 && BW / W <= 256,
            "LaneSelect: BW must be a multiple of W, with at most 256 lanes"
        );
        Self {
            bus: Default::default(),
            idx: Default::default(),
            lane: Default::default(),
        }
    }
}

impl<const BW: usize, const W: usize> Logic for LaneSelect<BW, W> {
    fn update(&mut self) {
        let i = self.idx.val().to_u64() as usize;
        self.lane.next = if i < BW / W {
            self.bus.val().get_bits::<W>(W * i)
        } else {
            Bits::default()
        };
    }
    fn connect(&mut self) {
        self.lane.connect();
    }
    fn hdl(&self) -> Verilog {
        let mut s = String::from("always @(*) begin\n    case (idx)\n");
        for l in 0..BW / W {
            s += &format!("        8'd{l}: lane = bus[{}:{}];\n", W * l + W - 1, W * l);
        }
        s += &format!("        default: lane = {W}'d0;\n    endcase\nend\n");
        Verilog::Custom(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "LaneSelect: BW must be a multiple of W")]
    fn rejects_a_ragged_bus() {
        let _ = LaneSelect::<100, 33>::default();
    }

    #[test]
    fn selects_each_lane_and_lints() {
        let mut s = LaneSelect::<40, 10>::default();
        s.connect_all();
        let bus: u64 = (0..4u64).fold(0, |a, l| a | ((100 + l) << (10 * l)));
        s.bus.next = bus.into();
        for l in 0..6u64 {
            s.idx.next = l.into();
            crate::testbench::settle(&mut s);
            let want = if l < 4 { 100 + l } else { 0 };
            assert_eq!(s.lane.val().to_u64(), want);
        }
        crate::lint::verilator_lint("lane_select", &generate_verilog(&s)).unwrap();
    }
}
