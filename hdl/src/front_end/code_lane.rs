//! `CodeLane`: one of S3's P lanes: its copy of the x banks and a code comparator.

use crate::front_end::code_of::CodeOf;
use crate::front_end::scale_shift::XB;
use crate::front_end::x_ram::XRam;
use model::frontend::Tables;
use rust_hdl::prelude::*;

/// Lane b's copy of the x banks for S3 ([`XRam`], written by S1's lane b) and a [`CodeOf`]:
/// the code of `x - m - l` for the x read at (`rbank`, `rgroup`) (0 where `mask`),
/// `XRam::LATENCY + CodeOf::LATENCY` edges later.
///
/// Inputs: `clock`; `reset`; x write `we`, `wbank` (3), `wgroup` (16), `wdata` (25); read
/// `rbank` (3), `rgroup` (16); the row's `m`, `l` (25 each) and the key's `mask` (1: masked or
/// padding), presented with the x (`XRam::LATENCY` edges after the read address).
/// Outputs: `code` (3).
#[derive(LogicBlock)]
pub struct CodeLane {
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
    /// The row's log-sum, with the x read.
    pub l: Signal<In, Bits<XB>>,
    /// Code 0 for this key, with the x read.
    pub mask: Signal<In, Bit>,
    /// The code.
    pub code: Signal<Out, Bits<3>>,
    xram: XRam,
    codeof: CodeOf,
}

impl CodeLane {
    /// The lane for the edge constants of `tables`, with `banks` x banks of `2^group_bits`
    /// groups.
    pub fn new(tables: &Tables, banks: usize, group_bits: usize) -> Self {
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
            l: Default::default(),
            mask: Default::default(),
            code: Default::default(),
            xram: XRam::new(banks, group_bits),
            codeof: CodeOf::new(tables),
        }
    }
}

impl Logic for CodeLane {
    #[hdl_gen]
    fn update(&mut self) {
        self.xram.clock.next = self.clock.val();
        self.codeof.clock.next = self.clock.val();
        self.codeof.reset.next = self.reset.val();
        self.xram.we.next = self.we.val();
        self.xram.wbank.next = self.wbank.val();
        self.xram.wgroup.next = self.wgroup.val();
        self.xram.wdata.next = self.wdata.val();
        self.xram.rbank.next = self.rbank.val();
        self.xram.rgroup.next = self.rgroup.val();
        self.codeof.x.next = self.xram.rdata.val();
        self.codeof.m.next = self.m.val();
        self.codeof.l.next = self.l.val();
        self.codeof.mask.next = self.mask.val();
        self.codeof.valid_in.next = false;
        self.code.next = self.codeof.code.val();
    }
}
