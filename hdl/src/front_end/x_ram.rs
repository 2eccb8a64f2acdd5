//! `XRam`: one lane's copy of the x banks (a block RAM holding every bank's x values of that lane).

use crate::front_end::scale_shift::XB;
use crate::front_end::twin_delay::TwinDelay;
use rust_hdl::prelude::*;

/// The x banks of one lane: `banks` banks of `2^group_bits` words of 25 bits, bank b's group g
/// at address `{b, g[group_bits-1:0]}`, so one block RAM holds them all; one write port, one
/// read port whose data is registered twice ([`XRam::LATENCY`] edges after the address: the
/// block RAM's output register, then a register beside the reader, since an ECP5 DP16KD's
/// clock-to-out is 5.8 ns).
///
/// Hand-written Verilog leaf (its depth is a run-time parameter: `N_MAX / P` groups a bank),
/// with a Rust `update` twin. Reading a word in the cycle it is written returns the old word.
///
/// Inputs: `clock`; `we`, `wbank` (3), `wgroup` (16), `wdata` (25); `rbank` (3), `rgroup`
/// (16).
/// Outputs: `rdata` (25).
#[derive(LogicBlock)]
pub struct XRam {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Writes `wdata` at (`wbank`, `wgroup`).
    pub we: Signal<In, Bit>,
    /// Bank written.
    pub wbank: Signal<In, Bits<3>>,
    /// Group written (its low `group_bits` bits).
    pub wgroup: Signal<In, Bits<16>>,
    /// x written (offset binary).
    pub wdata: Signal<In, Bits<XB>>,
    /// Bank read.
    pub rbank: Signal<In, Bits<3>>,
    /// Group read.
    pub rgroup: Signal<In, Bits<16>>,
    /// The x at the read address of [`XRam::LATENCY`] edges ago.
    pub rdata: Signal<Out, Bits<XB>>,
    _banks: usize,
    _group_bits: usize,
    _mem: Vec<u64>,
    _pipe: TwinDelay<u64>,
}

impl XRam {
    /// Edges from the read address to `rdata`.
    pub const LATENCY: usize = 2;

    /// `banks` (a power of two, at most 8) banks of `2^group_bits` groups.
    pub fn new(banks: usize, group_bits: usize) -> Self {
        assert!(
            banks.is_power_of_two() && banks <= 8 && (1..=15).contains(&group_bits),
            "XRam: banks must be a power of two up to 8 and group_bits in 1..=15"
        );
        Self {
            clock: Default::default(),
            we: Default::default(),
            wbank: Default::default(),
            wgroup: Default::default(),
            wdata: Default::default(),
            rbank: Default::default(),
            rgroup: Default::default(),
            rdata: Default::default(),
            _banks: banks,
            _group_bits: group_bits,
            _mem: vec![0; banks << group_bits],
            _pipe: TwinDelay::new(Self::LATENCY),
        }
    }

    fn index(&self, bank: u64, group: u64) -> usize {
        let gb = self._group_bits;
        let b = bank as usize & (self._banks - 1);
        (b << gb) | (group as usize & ((1 << gb) - 1))
    }
}

impl Logic for XRam {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let r = self._mem[self.index(self.rbank.val().to_u64(), self.rgroup.val().to_u64())];
            self.rdata.next = self._pipe.edge(r).into();
            if self.we.val() {
                let w = self.index(self.wbank.val().to_u64(), self.wgroup.val().to_u64());
                self._mem[w] = self.wdata.val().to_u64();
            }
        }
    }
    fn connect(&mut self) {
        self.rdata.connect();
    }
    fn hdl(&self) -> Verilog {
        let bb = self._banks.trailing_zeros() as usize;
        let gb = self._group_bits;
        let depth = self._banks << gb;
        let addr = |b: &str, g: &str| {
            if bb == 0 {
                format!("{g}[{}:0]", gb - 1)
            } else {
                format!("{{{b}[{}:0], {g}[{}:0]}}", bb - 1, gb - 1)
            }
        };
        Verilog::Custom(format!(
            "reg [{xt}:0] mem [0:{dm}];
reg [{xt}:0] r0;
always @(posedge clock) begin
    if (we) mem[{wa}] <= wdata;
    r0 <= mem[{ra}];
    rdata <= r0;
end
",
            xt = XB - 1,
            dm = depth - 1,
            wa = addr("wbank", "wgroup"),
            ra = addr("rbank", "rgroup"),
        ))
    }
}
