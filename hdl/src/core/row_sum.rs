//! `RowSum`: the accumulator of a row's weight sum r.

use rust_hdl::prelude::*;

/// Accumulates `r = sum_j w[code[j]]` with the same control as a [`crate::core::lane::Lane`]'s
/// accumulator (`acc_valid`, `acc_last`, `acc_cont` at stage T5).
///
/// Inputs: `clock`, `w` (16 bits, the token's weight at T5), `acc_valid`, `acc_last`, `acc_cont`.
/// Outputs: `out` (`RS` bits, unsigned): the last completed row's sum.
#[derive(LogicBlock, Default)]
pub struct RowSum<const RS: usize> {
    pub clock: Signal<In, Clock>,
    pub w: Signal<In, Bits<16>>,
    pub acc_valid: Signal<In, Bit>,
    pub acc_last: Signal<In, Bit>,
    pub acc_cont: Signal<In, Bit>,
    pub out: Signal<Out, Bits<RS>>,
    acc: DFF<Bits<RS>>,
    outr: DFF<Bits<RS>>,
    sum: Signal<Local, Bits<RS>>,
}

impl<const RS: usize> Logic for RowSum<RS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, acc, outr);
        if self.acc_cont.val() {
            self.sum.next = self.acc.q.val() + bit_cast::<RS, 16>(self.w.val());
        } else {
            self.sum.next = bit_cast::<RS, 16>(self.w.val());
        }
        if self.acc_valid.val() {
            self.acc.d.next = self.sum.val();
            if self.acc_last.val() {
                self.outr.d.next = self.sum.val();
            }
        }
        self.out.next = self.outr.q.val();
    }
}
