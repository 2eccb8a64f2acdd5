//! `RowTable`: per-row constants of the rows in the front end, one entry per x bank.

use rust_hdl::prelude::*;

/// Eight registers of `W` bits (one per x bank: a row's constants, written by the stage that
/// computes them and read by the stages after it), one write port, two combinational read
/// ports.
///
/// Hand-written Verilog leaf (an indexed register file), with a Rust `update` twin. `W <= 64`.
///
/// Inputs: `clock`; `we`, `wa` (3), `wd` (`W`); `ra0`, `ra1` (3).
/// Outputs: `rd0`, `rd1` (`W`): the entries at `ra0`, `ra1`.
#[derive(LogicBlock)]
pub struct RowTable<const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Writes `wd` to entry `wa`.
    pub we: Signal<In, Bit>,
    /// Entry written.
    pub wa: Signal<In, Bits<3>>,
    /// Value written.
    pub wd: Signal<In, Bits<W>>,
    /// First read index.
    pub ra0: Signal<In, Bits<3>>,
    /// Entry `ra0`.
    pub rd0: Signal<Out, Bits<W>>,
    /// Second read index.
    pub ra1: Signal<In, Bits<3>>,
    /// Entry `ra1`.
    pub rd1: Signal<Out, Bits<W>>,
    _mem: [u64; 8],
}

impl<const W: usize> Default for RowTable<W> {
    fn default() -> Self {
        assert!((1..=64).contains(&W), "RowTable: W must be in 1..=64");
        Self {
            clock: Default::default(),
            we: Default::default(),
            wa: Default::default(),
            wd: Default::default(),
            ra0: Default::default(),
            rd0: Default::default(),
            ra1: Default::default(),
            rd1: Default::default(),
            _mem: [0; 8],
        }
    }
}

impl<const W: usize> Logic for RowTable<W> {
    fn update(&mut self) {
        if self.clock.pos_edge() && self.we.val() {
            self._mem[self.wa.val().index()] = self.wd.val().to_u64();
        }
        self.rd0.next = self._mem[self.ra0.val().index()].into();
        self.rd1.next = self._mem[self.ra1.val().index()].into();
    }
    fn connect(&mut self) {
        self.rd0.connect();
        self.rd1.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "reg [{t}:0] mem [0:7];
integer i;
initial begin
    for (i = 0; i < 8; i = i + 1) mem[i] = {W}'d0;
end
always @(posedge clock) begin
    if (we) mem[wa] <= wd;
end
always @(*) begin
    rd0 = mem[ra0];
    rd1 = mem[ra1];
end
",
            t = W - 1
        ))
    }
}
