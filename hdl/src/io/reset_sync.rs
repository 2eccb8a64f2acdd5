//! `ResetSync`: the design reset from a PLL's lock and a reset button.

use rust_hdl::prelude::*;

/// Cycles `reset` stays high after `run` has been seen high (two of them in the synchronizer).
pub const RESET_RELEASE_CYCLES: usize = 6;

/// A synchronous reset for the `clock` domain, held while `run` is low (the PLL is not locked
/// or the reset button is pressed) and released [`RESET_RELEASE_CYCLES`] edges after `run` has
/// been high.
///
/// `run` (asynchronous) goes through a two-flip-flop synchronizer, then a four-stage shift
/// register of ones that a low `run` clears; `reset` is the inverse of its last stage, a
/// register, so it never glitches. Every flip-flop powers up at 0: the design starts in reset.
///
/// Inputs: `clock` (the PLL's output); `run` (asynchronous, high when the design may run).
/// Outputs: `reset` (synchronous to `clock`, active high).
#[derive(LogicBlock, Default)]
pub struct ResetSync {
    /// Clock of the domain the reset is for.
    pub clock: Signal<In, Clock>,
    /// High when the design may run (asynchronous).
    pub run: Signal<In, Bit>,
    /// Synchronous reset, active high.
    pub reset: Signal<Out, Bit>,
    sync1: DFF<Bit>,
    sync2: DFF<Bit>,
    stages: DFF<Bits<4>>,
}

impl Logic for ResetSync {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, sync1, sync2, stages);
        self.sync1.d.next = self.run.val();
        self.sync2.d.next = self.sync1.q.val();
        if self.sync2.q.val() {
            self.stages.d.next = (self.stages.q.val() << 1) | 1;
        } else {
            self.stages.d.next = 0.into();
        }
        self.reset.next = !self.stages.q.val().get_bit(3);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{rise, settle};

    fn clk(u: &mut ResetSync) -> &mut Signal<In, Clock> {
        &mut u.clock
    }

    #[test]
    fn reset_follows_run_with_a_delay() {
        let mut uut = ResetSync::default();
        uut.connect_all();
        let mut trace = vec![];
        for cycle in 0..30 {
            uut.run.next = (3..15).contains(&cycle) || cycle >= 20;
            settle(&mut uut);
            trace.push(uut.reset.val());
            rise(&mut uut, clk);
        }
        // Powers up in reset; released RESET_RELEASE_CYCLES after run rises; re-asserted three
        // edges after run falls (the synchronizer and the cleared shift register).
        let released: Vec<usize> = (0..30).filter(|&c| !trace[c]).collect();
        let want: Vec<usize> = (3 + RESET_RELEASE_CYCLES..15 + 3)
            .chain(20 + RESET_RELEASE_CYCLES..30)
            .collect();
        assert_eq!(released, want, "{trace:?}");
    }

    #[test]
    fn lints_clean() {
        let mut uut = ResetSync::default();
        uut.connect_all();
        verilator_lint("reset_sync", &generate_verilog(&uut)).unwrap();
    }
}
