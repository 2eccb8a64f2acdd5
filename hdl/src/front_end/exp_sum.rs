//! `ExpSum`: a row's exp2 sum, P terms a cycle.

use crate::front_end::row_max::{tree_valid_chain, tree_verilog};
use crate::front_end::twin_delay::TwinDelay;
use rust_hdl::prelude::*;

/// Takes P exp2 terms a cycle (16 bits, lane b counted where `mask[b]`) with the row flags
/// `first`, `last` and the row's `bank`; a pipelined adder tree (`log2 P` levels, one register
/// each) and the row's running sum (`SUMB` bits, restarted by `first`); with a row's last
/// group, `done` rises for one cycle with the row's `sum` and its `done_bank`,
/// [`ExpSum::latency`] edges after the inputs.
///
/// Hand-written Verilog leaf (a tree of run-time size), with a Rust `update` twin.
///
/// Inputs: `clock`; `reset` (synchronous: clears the valid bits); `e` (P terms of 16 bits);
/// `mask` (8: lane b at bit b); `valid`, `first`, `last`; `bank` (3).
/// Outputs: `sum` (`SUMB`); `done`; `done_bank` (3).
#[derive(LogicBlock)]
pub struct ExpSum<const SUMB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// One term per lane.
    pub e: Vec<Signal<In, Bits<16>>>,
    /// The lanes' valid bits.
    pub mask: Signal<In, Bits<8>>,
    /// A group is present.
    pub valid: Signal<In, Bit>,
    /// It is its row's first.
    pub first: Signal<In, Bit>,
    /// It is its row's last.
    pub last: Signal<In, Bit>,
    /// Its row's bank.
    pub bank: Signal<In, Bits<3>>,
    /// The running sum (the row's, while `done`).
    pub sum: Signal<Out, Bits<SUMB>>,
    /// A row's sum is out.
    pub done: Signal<Out, Bit>,
    /// That row's bank.
    pub done_bank: Signal<Out, Bits<3>>,
    _pipe: TwinDelay<(u64, bool, bool, bool, u64)>,
    _s: u64,
}

impl<const SUMB: usize> ExpSum<SUMB> {
    /// The tree for `p` lanes (1, 2, 4 or 8).
    pub fn new(p: usize) -> Self {
        assert!(
            p.is_power_of_two() && p <= 8,
            "ExpSum: P must be 1, 2, 4 or 8, got {p}"
        );
        assert!((19..=63).contains(&SUMB), "ExpSum: SUMB must be in 19..=63");
        Self {
            clock: Default::default(),
            reset: Default::default(),
            e: (0..p).map(|_| Default::default()).collect(),
            mask: Default::default(),
            valid: Default::default(),
            first: Default::default(),
            last: Default::default(),
            bank: Default::default(),
            sum: Default::default(),
            done: Default::default(),
            done_bank: Default::default(),
            _pipe: TwinDelay::new(p.trailing_zeros() as usize + 1),
            _s: 0,
        }
    }

    /// Edges from the inputs to `sum`, `done`: `log2 P + 1`.
    pub fn latency(&self) -> usize {
        self.e.len().trailing_zeros() as usize + 1
    }
}

impl<const SUMB: usize> Logic for ExpSum<SUMB> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let mask = self.mask.val().to_u64();
            let t: u64 = self
                .e
                .iter()
                .enumerate()
                .filter(|(b, _)| mask >> b & 1 == 1)
                .map(|(_, e)| e.val().to_u64())
                .sum();
            let inp = (
                t,
                self.valid.val(),
                self.first.val(),
                self.last.val(),
                self.bank.val().to_u64(),
            );
            let (t, v, f, l, b) = self._pipe.edge(inp);
            if v {
                let base = if f { 0 } else { self._s };
                self._s = (base + t) & ((1u64 << SUMB) - 1);
            }
            self.sum.next = self._s.into();
            self.done.next = v && l;
            self.done_bank.next = b.into();
            if self.reset.val() {
                self._pipe.clear();
                self.done.next = false;
            }
        }
    }
    fn connect(&mut self) {
        self.sum.connect();
        self.done.connect();
        self.done_bank.connect();
    }
    fn hdl(&self) -> Verilog {
        let p = self.e.len();
        let levels = p.trailing_zeros() as usize;
        let st = SUMB - 1;
        let mut lanes = String::new();
        for b in 0..p {
            lanes += &format!(
                "wire [{st}:0] a0_{b} = mask[{b}] ? {{{z}'d0, e${b}}} : {SUMB}'d0;\n",
                z = SUMB - 16
            );
        }
        let (decl, seq, rst) = tree_verilog(p, SUMB, |a, b| format!("{a} + {b}"));
        let vchain = tree_valid_chain(p);
        Verilog::Custom(format!(
            "{lanes}wire v0 = valid;
wire f0 = first;
wire l0 = last;
wire [2:0] b0 = bank;
{decl}always @(posedge clock) begin
{seq}    if (v{levels}) sum <= (f{levels} ? {SUMB}'d0 : sum) + a{levels}_0;
    done_bank <= b{levels};
end
always @(posedge clock) begin
    if (reset) begin
{rst}        done <= 1'b0;
    end else begin
{vchain}        done <= v{levels} & l{levels};
    end
end
"
        ))
    }
}
