//! `ScoreLane`: one of S1's P score units, with its key bank.

use crate::front_end::dot_product::DotProduct;
use crate::front_end::key_ram::KeyRam;
use crate::front_end::scale_shift::{ScaleShift, XB};
use rust_hdl::prelude::*;

/// Key bank b of P (keys `j = b mod P`, key j at address `j / P`: a block RAM of `8 D` bits
/// and one of 16 bits for `mk[j]`), a [`DotProduct`] and a [`ScaleShift`]: x of the key read
/// at `rd_addr`, `1 + DotProduct::latency + ScaleShift::LATENCY` edges later.
///
/// Inputs: `clock`; `reset`; key write `k_we`, `k_addr` (16), `k_data` (`KW`), `k_user` (16,
/// `mk`); `rd_addr` (16); the query row `q` (`KW`, presented with the key data, one edge after
/// `rd_addr`); `mq` (16) and `shift` (6), presented with the score (`1 + DotProduct::latency`
/// edges after `rd_addr`).
/// Outputs: `x` (25, offset binary).
#[derive(LogicBlock, Default)]
pub struct ScoreLane<const KW: usize, const A: usize, const SB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// Writes a key into this bank.
    pub k_we: Signal<In, Bit>,
    /// Its address in the bank.
    pub k_addr: Signal<In, Bits<16>>,
    /// Kq row.
    pub k_data: Signal<In, Bits<KW>>,
    /// `mk`.
    pub k_user: Signal<In, Bits<16>>,
    /// Bank address read.
    pub rd_addr: Signal<In, Bits<16>>,
    /// Query row.
    pub q: Signal<In, Bits<KW>>,
    /// Query multiplier, with the score.
    pub mq: Signal<In, Bits<16>>,
    /// Right shift, with the score.
    pub shift: Signal<In, Bits<6>>,
    /// x (offset binary).
    pub x: Signal<Out, Bits<XB>>,
    kram: KeyRam<KW, A>,
    mkram: KeyRam<16, A>,
    dot: DotProduct<KW, SB>,
    scale: ScaleShift<SB>,
}

impl<const KW: usize, const A: usize, const SB: usize> ScoreLane<KW, A, SB> {
    /// The same unit with `n` of its D products built in LUTs
    /// ([`DotProduct::with_lut_products`]; panics unless `n <= D`).
    pub fn with_lut_products(mut self, n: usize) -> Self {
        self.dot = self.dot.with_lut_products(n);
        self
    }

    /// How many of its products are built in LUTs.
    pub fn lut_products(&self) -> usize {
        self.dot.lut_products()
    }
}

impl<const KW: usize, const A: usize, const SB: usize> Logic for ScoreLane<KW, A, SB> {
    #[hdl_gen]
    fn update(&mut self) {
        self.dot.clock.next = self.clock.val();
        self.scale.clock.next = self.clock.val();
        self.dot.reset.next = self.reset.val();
        self.scale.reset.next = self.reset.val();
        self.kram.clock.next = self.clock.val();
        self.mkram.clock.next = self.clock.val();
        self.kram.we.next = self.k_we.val();
        self.kram.waddr.next = self.k_addr.val().get_bits::<A>(0);
        self.kram.wdata.next = self.k_data.val();
        self.mkram.we.next = self.k_we.val();
        self.mkram.waddr.next = self.k_addr.val().get_bits::<A>(0);
        self.mkram.wdata.next = self.k_user.val();
        self.kram.raddr.next = self.rd_addr.val().get_bits::<A>(0);
        self.mkram.raddr.next = self.rd_addr.val().get_bits::<A>(0);
        self.dot.q.next = self.q.val();
        self.dot.k.next = self.kram.rdata.val();
        self.dot.side_in.next = self.mkram.rdata.val();
        self.dot.valid_in.next = false;
        self.scale.s.next = self.dot.s.val();
        self.scale.mk.next = self.dot.side_out.val();
        self.scale.mq.next = self.mq.val();
        self.scale.shift.next = self.shift.val();
        self.scale.valid_in.next = false;
        self.x.next = self.scale.x.val();
    }
}
