//! `RowSum`: the accumulator of a row's weight sum r.

use rust_hdl::prelude::*;

/// Accumulates `r = sum_j w[code[j]]` with the same control as a [`crate::core::lane::Lane`]'s
/// accumulator (`acc_valid`, `acc_last`, `acc_cont` at stage T5), one or two weights a cycle:
/// `r = (acc_cont ? r : 0) + w + w_b`, `w_b` ignored with one weight a cycle
/// ([`RowSum::new`]'s `k` = 1).
///
/// Inputs: `clock`, `w`, `w_b` (16 bits each, the weights of the cycle's tokens at T5),
/// `acc_valid`, `acc_last`, `acc_cont`.
/// Outputs: `out` (`RS` bits, unsigned): the last completed row's sum.
#[derive(LogicBlock)]
pub struct RowSum<const RS: usize> {
    pub clock: Signal<In, Clock>,
    pub w: Signal<In, Bits<16>>,
    pub w_b: Signal<In, Bits<16>>,
    pub acc_valid: Signal<In, Bit>,
    pub acc_last: Signal<In, Bit>,
    pub acc_cont: Signal<In, Bit>,
    pub out: Signal<Out, Bits<RS>>,
    acc: DFF<Bits<RS>>,
    outr: DFF<Bits<RS>>,
    two: Constant<Bit>,
    ww: Signal<Local, Bits<RS>>,
    sum: Signal<Local, Bits<RS>>,
}

impl<const RS: usize> RowSum<RS> {
    /// A row sum adding `k` (1 or 2) weights a cycle.
    pub fn new(k: usize) -> Self {
        assert!(k == 1 || k == 2, "RowSum: K must be 1 or 2, got {k}");
        assert!(RS > 17, "RowSum: RS must exceed 17 bits, got {RS}");
        Self {
            clock: Default::default(),
            w: Default::default(),
            w_b: Default::default(),
            acc_valid: Default::default(),
            acc_last: Default::default(),
            acc_cont: Default::default(),
            out: Default::default(),
            acc: Default::default(),
            outr: Default::default(),
            two: Constant::new(k == 2),
            ww: Default::default(),
            sum: Default::default(),
        }
    }
}

impl<const RS: usize> Logic for RowSum<RS> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, acc, outr);
        if self.two.val() {
            self.ww.next = bit_cast::<RS, 16>(self.w.val()) + bit_cast::<RS, 16>(self.w_b.val());
        } else {
            self.ww.next = bit_cast::<RS, 16>(self.w.val());
        }
        if self.acc_cont.val() {
            self.sum.next = self.acc.q.val() + self.ww.val();
        } else {
            self.sum.next = self.ww.val();
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
