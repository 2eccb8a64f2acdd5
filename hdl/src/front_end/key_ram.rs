//! `KeyRam`: one key bank of S1 (a block RAM whose read-during-write result is never used).

use rust_hdl::prelude::*;

/// A `2^A x W` RAM with one write port and one registered read port on one clock, for S1's key
/// banks (the Kq rows and their `mk`).
///
/// Hand-written Verilog leaf with a Rust `update` twin: the same cycle behaviour as rust-hdl's
/// `RAM` (the read data is the word at the read address of the last edge; reading a word in
/// the cycle it is written returns the old word), and the memory is marked `no_rw_check` for
/// yosys. The front end only writes keys while S1 is not running (`s_axis_k_tready`), so a read
/// that meets a write is never used; without the mark yosys emulates the old word on ECP5 with
/// a bypass register and a 2:1 select in front of each of the bank's outputs, whose shared
/// select flop (a fan-out of 8 D bits) was the D = 64 head's critical path out of context
/// (13.5 ns of routing in one hop, 2026-12-07).
///
/// Inputs: `clock`; `we`, `waddr` (`A`), `wdata` (`W`); `raddr` (`A`).
/// Outputs: `rdata` (`W`).
#[derive(LogicBlock)]
pub struct KeyRam<const W: usize, const A: usize> {
    /// Clock (both ports).
    pub clock: Signal<In, Clock>,
    /// Writes `wdata` at `waddr`.
    pub we: Signal<In, Bit>,
    /// Address written.
    pub waddr: Signal<In, Bits<A>>,
    /// Word written.
    pub wdata: Signal<In, Bits<W>>,
    /// Address read.
    pub raddr: Signal<In, Bits<A>>,
    /// The word at the read address of the last edge.
    pub rdata: Signal<Out, Bits<W>>,
    _mem: Vec<Bits<W>>,
}

impl<const W: usize, const A: usize> Default for KeyRam<W, A> {
    fn default() -> Self {
        assert!(
            (1..=16).contains(&A) && W >= 1,
            "KeyRam: A must be in 1..=16 and W at least 1, got W = {W}, A = {A}"
        );
        Self {
            clock: Default::default(),
            we: Default::default(),
            waddr: Default::default(),
            wdata: Default::default(),
            raddr: Default::default(),
            rdata: Default::default(),
            _mem: vec![Bits::<W>::default(); 1 << A],
        }
    }
}

impl<const W: usize, const A: usize> Logic for KeyRam<W, A> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.rdata.next = self._mem[self.raddr.val().index()];
            if self.we.val() {
                let w = self.waddr.val().index();
                self._mem[w] = self.wdata.val();
            }
        }
    }
    fn connect(&mut self) {
        self.rdata.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "(* no_rw_check *)
reg [{wt}:0] mem [0:{dm}];
always @(posedge clock) begin
    if (we) mem[waddr] <= wdata;
    rdata <= mem[raddr];
end
",
            wt = W - 1,
            dm = (1usize << A) - 1,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{rise, settle};

    #[test]
    fn reads_the_old_word_while_it_is_written_and_lints_clean() {
        let mut uut = KeyRam::<12, 3>::default();
        uut.connect_all();
        let write = |uut: &mut KeyRam<12, 3>, we: bool, a: u64, d: u64, ra: u64| {
            uut.we.next = we;
            uut.waddr.next = a.into();
            uut.wdata.next = d.into();
            uut.raddr.next = ra.into();
            settle(uut);
            rise(uut, |u| &mut u.clock);
            uut.rdata.val().to_u64()
        };
        for a in 0..8 {
            write(&mut uut, true, a, 0x100 + a, 7 - a);
        }
        // The read at the written address returns the old word, the next read the new one.
        assert_eq!(write(&mut uut, true, 5, 0xABC, 5), 0x105);
        assert_eq!(write(&mut uut, false, 0, 0, 5), 0xABC);
        for a in 0..8 {
            let want = if a == 5 { 0xABC } else { 0x100 + a };
            assert_eq!(write(&mut uut, false, 0, 0, a), want, "address {a}");
        }
        let v = generate_verilog(&uut);
        assert!(
            v.contains("(* no_rw_check *)"),
            "the memory carries the mark"
        );
        verilator_lint("key_ram", &v).unwrap();
    }

    #[test]
    #[should_panic(expected = "KeyRam: A must be in 1..=16")]
    fn rejects_an_empty_address() {
        let _ = KeyRam::<8, 0>::default();
    }
}
