//! `SumLane`: one of S2's P lanes: its copy of the x banks and an exp2 unit.

use crate::front_end::exp2_neg::Exp2Neg;
use crate::front_end::scale_shift::XB;
use crate::front_end::x_ram::XRam;
use model::frontend::{FrontEndParams, Tables};
use rust_hdl::prelude::*;

/// Lane b's copy of the x banks for S2 ([`XRam`], written by S1's lane b) and an
/// [`Exp2Neg`]: `e = 2^-(m - x)` of the x read at (`rbank`, `rgroup`),
/// `XRam::LATENCY + Exp2Neg::LATENCY` edges later.
///
/// Inputs: `clock`; `reset`; x write `we`, `wbank` (3), `wgroup` (16), `wdata` (25); read
/// `rbank` (3), `rgroup` (16); the row's maximum `m` (25), presented with the x
/// (`XRam::LATENCY` edges after the read address).
/// Outputs: `e` (16).
#[derive(LogicBlock)]
pub struct SumLane {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// Writes an x.
    pub we: Signal<In, Bit>,
    /// Its bank.
    pub wbank: Signal<In, Bits<3>>,
    /// Its group.
    pub wgroup: Signal<In, Bits<16>>,
    /// The x.
    pub wdata: Signal<In, Bits<XB>>,
    /// Bank read.
    pub rbank: Signal<In, Bits<3>>,
    /// Group read.
    pub rgroup: Signal<In, Bits<16>>,
    /// The row's maximum, with the x read.
    pub m: Signal<In, Bits<XB>>,
    /// `2^-(m - x)`, 16 fractional bits.
    pub e: Signal<Out, Bits<16>>,
    xram: XRam,
    exp: Exp2Neg,
}

impl SumLane {
    /// The lane for `params` and `tables`, with `banks` x banks of `2^group_bits` groups.
    pub fn new(params: &FrontEndParams, tables: &Tables, banks: usize, group_bits: usize) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            we: Default::default(),
            wbank: Default::default(),
            wgroup: Default::default(),
            wdata: Default::default(),
            rbank: Default::default(),
            rgroup: Default::default(),
            m: Default::default(),
            e: Default::default(),
            xram: XRam::new(banks, group_bits),
            exp: Exp2Neg::new(params, tables),
        }
    }
}

impl Logic for SumLane {
    #[hdl_gen]
    fn update(&mut self) {
        self.xram.clock.next = self.clock.val();
        self.exp.clock.next = self.clock.val();
        self.exp.reset.next = self.reset.val();
        self.xram.we.next = self.we.val();
        self.xram.wbank.next = self.wbank.val();
        self.xram.wgroup.next = self.wgroup.val();
        self.xram.wdata.next = self.wdata.val();
        self.xram.rbank.next = self.rbank.val();
        self.xram.rgroup.next = self.rgroup.val();
        self.exp.x.next = self.xram.rdata.val();
        self.exp.m.next = self.m.val();
        self.exp.valid_in.next = false;
        self.e.next = self.exp.e.val();
    }
}
