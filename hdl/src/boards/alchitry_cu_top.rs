//! `AlchitryCuTop`: the Alchitry Cu board shell around a design.

use crate::boards::{Board, BoardDesign, Family};
use crate::io::ice40_pll::Ice40Pll;
use crate::io::reset_sync::ResetSync;
use rust_hdl::prelude::*;

/// The Alchitry Cu (iCE40-HX8K) top: the board's pins, named as in
/// `constraints/alchitry_cu.pcf`, an [`Ice40Pll`] from the 100 MHz oscillator to the board's
/// design clock, a [`ResetSync`], and the design `D` on the PLL's clock.
///
/// The design is reset while the PLL is not locked or the reset button (`rst_n`, active low) is
/// pressed; its `rx` is `usb_rx` (the FT2232H's channel B transmits) and its `tx` drives
/// `usb_tx`.
///
/// Hand-written Verilog (one `always @(*)` per connection, since the design is a type parameter that
/// rust-hdl's `hdl_gen` cannot see into), with a Rust `update` twin.
///
/// Inputs: `clk` (100 MHz); `rst_n` (the reset button, active low); `usb_rx` (UART from the
/// host).
/// Outputs: `usb_tx` (UART to the host); `led` (8 bits, the design's).
#[derive(LogicBlock)]
pub struct AlchitryCuTop<D: BoardDesign> {
    /// The 100 MHz oscillator.
    pub clk: Signal<In, Clock>,
    /// The reset button, active low.
    pub rst_n: Signal<In, Bit>,
    /// UART line from the FT2232H.
    pub usb_rx: Signal<In, Bit>,
    /// UART line to the FT2232H.
    pub usb_tx: Signal<Out, Bit>,
    /// LEDs (1 = on).
    pub led: Signal<Out, Bits<8>>,
    pll: Ice40Pll,
    reset_sync: ResetSync,
    app: D,
    /// The design has a `head_clock` input (driven with the design clock: the iCE40's PLL
    /// makes one clock).
    _head_port: bool,
}

impl<D: BoardDesign> AlchitryCuTop<D> {
    /// The shell for `board` with design `D::for_board(board)`. Panics unless `board` is an
    /// iCE40 board (and if the PLL cannot make its design clock).
    pub fn new(board: &Board) -> Self {
        assert_eq!(
            board.family,
            Family::Ice40,
            "AlchitryCuTop: {} is not an iCE40 board",
            board.name
        );
        Self {
            clk: Default::default(),
            rst_n: Default::default(),
            usb_rx: Default::default(),
            usb_tx: Default::default(),
            led: Default::default(),
            pll: Ice40Pll::new(board.clock_in_hz, board.design.clock_hz),
            reset_sync: Default::default(),
            app: D::for_board(board),
            _head_port: false,
        }
        .with_head_port(board)
    }

    fn with_head_port(mut self, board: &Board) -> Self {
        assert!(
            board.design.head_clock_hz.is_none(),
            "AlchitryCuTop: {} cannot make a second clock for the link design",
            board.name
        );
        self._head_port = self.app.io().head_clock.is_some();
        self
    }

    /// The design.
    pub fn app(&mut self) -> &mut D {
        &mut self.app
    }
}

impl<D: BoardDesign> Logic for AlchitryCuTop<D> {
    fn update(&mut self) {
        self.pll.clock_in.next = self.clk.val();
        let clock = self.pll.clock_out.val();
        self.reset_sync.clock.next = clock;
        self.reset_sync.run.next = self.pll.locked.val() && self.rst_n.val();
        let (reset, rx) = (self.reset_sync.reset.val(), self.usb_rx.val());
        let io = self.app.io();
        io.clock.next = clock;
        if let Some(h) = io.head_clock {
            h.next = clock;
        }
        io.reset.next = reset;
        io.rx.next = rx;
        let (tx, led) = (io.tx.val(), io.led.val());
        self.usb_tx.next = tx;
        self.led.next = led;
    }
    fn connect(&mut self) {
        self.pll.clock_in.connect();
        self.reset_sync.clock.connect();
        self.reset_sync.run.connect();
        let io = self.app.io();
        io.clock.connect();
        if let Some(h) = io.head_clock {
            h.connect();
        }
        io.reset.connect();
        io.rx.connect();
        self.usb_tx.connect();
        self.led.connect();
    }
    fn hdl(&self) -> Verilog {
        let head = if self._head_port {
            "always @(*) app$head_clock = pll$clock_out;\n"
        } else {
            ""
        };
        Verilog::Custom(format!(
            "{head}always @(*) pll$clock_in = clk;
always @(*) reset_sync$clock = pll$clock_out;
always @(*) reset_sync$run = pll$locked & rst_n;
always @(*) app$clock = pll$clock_out;
always @(*) app$reset = reset_sync$reset;
always @(*) app$rx = usb_rx;
always @(*) usb_tx = app$tx;
always @(*) led = app$led;
"
        ))
    }
}
