//! `Ulx3sTop`: the ULX3S board shell around a design.

use crate::boards::{Board, BoardDesign, Family};
use crate::io::ecp5_pll::Ecp5Pll;
use crate::io::reset_sync::ResetSync;
use rust_hdl::prelude::*;

/// The ULX3S (LFE5U-85F) top: the board's pins, named as in `constraints/ulx3s_v20.lpf`, an
/// [`Ecp5Pll`] from the 25 MHz oscillator to the board's design clock, a [`ResetSync`], and
/// the design `D` on the PLL's clock. Where the board gives the link design a clock of its own
/// ([`crate::boards::DesignSpec::head_clock_hz`]), the PLL makes it too, on CLKOS, and the
/// design's `head_clock` input takes it; a design with that input and no such clock gets the
/// design clock.
///
/// The design is reset while the PLL is not locked or `btn[0]` (BTN_PWRn, active low) is
/// pressed; its `rx` is `ftdi_txd` (the FT231X transmits) and its `tx` drives `ftdi_rxd`.
/// `wifi_gpio0` is held high (keeps the ESP32, if fitted, from resetting the board into its
/// bootloader); `btn[6:1]` are unused.
///
/// Hand-written Verilog (one `always @(*)` per connection, since the design is a type parameter that
/// rust-hdl's `hdl_gen` cannot see into), with a Rust `update` twin.
///
/// Inputs: `clk_25mhz`; `ftdi_txd` (UART from the host); `btn` (7 bits; bit 0 active low).
/// Outputs: `ftdi_rxd` (UART to the host); `led` (8 bits, the design's); `wifi_gpio0` (high).
#[derive(LogicBlock)]
pub struct Ulx3sTop<D: BoardDesign> {
    /// The 25 MHz oscillator.
    pub clk_25mhz: Signal<In, Clock>,
    /// UART line from the FT231X (its TXD).
    pub ftdi_txd: Signal<In, Bit>,
    /// UART line to the FT231X (its RXD).
    pub ftdi_rxd: Signal<Out, Bit>,
    /// Buttons; `btn[0]` (BTN_PWRn, active low) resets the design.
    pub btn: Signal<In, Bits<7>>,
    /// LEDs (1 = on).
    pub led: Signal<Out, Bits<8>>,
    /// ESP32 GPIO0, held high.
    pub wifi_gpio0: Signal<Out, Bit>,
    pll: Ecp5Pll,
    reset_sync: ResetSync,
    app: D,
    /// The design has a `head_clock` input (driven by the PLL's CLKOS where it makes the
    /// board's head clock, otherwise by the design clock).
    _head_port: bool,
}

impl<D: BoardDesign> Ulx3sTop<D> {
    /// The shell for `board` with design `D::for_board(board)`. Panics unless `board` is an
    /// ECP5 board (and if the PLL cannot make its design clock).
    pub fn new(board: &Board) -> Self {
        assert_eq!(
            board.family,
            Family::Ecp5,
            "Ulx3sTop: {} is not an ECP5 board",
            board.name
        );
        Self {
            clk_25mhz: Default::default(),
            ftdi_txd: Default::default(),
            ftdi_rxd: Default::default(),
            btn: Default::default(),
            led: Default::default(),
            wifi_gpio0: Default::default(),
            pll: Ecp5Pll::new(board.clock_in_hz, board.design.clock_hz),
            reset_sync: Default::default(),
            app: D::for_board(board),
            _head_port: false,
        }
        .with_head_clock(board)
    }

    /// Sets up the design's `head_clock`, if it has that input: the board's head clock on the
    /// PLL's CLKOS, or the design clock. A design without the input (the UART echo) ignores
    /// the board's head clock.
    fn with_head_clock(mut self, board: &Board) -> Self {
        self._head_port = self.app.io().head_clock.is_some();
        if self._head_port {
            self.pll = board.ecp5_pll();
        }
        self
    }

    /// The PLL makes the head clock on CLKOS.
    fn head_on_clkos(&self) -> bool {
        self.pll.achieved_secondary_hz().is_some()
    }

    /// The design.
    pub fn app(&mut self) -> &mut D {
        &mut self.app
    }
}

impl<D: BoardDesign> Logic for Ulx3sTop<D> {
    fn update(&mut self) {
        self.pll.clock_in.next = self.clk_25mhz.val();
        let clock = self.pll.clock_out.val();
        let head = if self.head_on_clkos() {
            self.pll.clock_out2.val()
        } else {
            clock
        };
        self.reset_sync.clock.next = clock;
        self.reset_sync.run.next = self.pll.locked.val() && self.btn.val().get_bit(0);
        let (reset, rx) = (self.reset_sync.reset.val(), self.ftdi_txd.val());
        let io = self.app.io();
        io.clock.next = clock;
        if let Some(h) = io.head_clock {
            h.next = head;
        }
        io.reset.next = reset;
        io.rx.next = rx;
        let (tx, led) = (io.tx.val(), io.led.val());
        self.ftdi_rxd.next = tx;
        self.led.next = led;
        self.wifi_gpio0.next = true;
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
        self.ftdi_rxd.connect();
        self.led.connect();
        self.wifi_gpio0.connect();
    }
    fn hdl(&self) -> Verilog {
        let head = match (self._head_port, self.head_on_clkos()) {
            (false, _) => "",
            (true, true) => "always @(*) app$head_clock = pll$clock_out2;\n",
            (true, false) => "always @(*) app$head_clock = pll$clock_out;\n",
        };
        Verilog::Custom(format!(
            "{head}// btn[6:1] are unused.
wire _unused_btn = &{{1'b0, btn[6:1]}};
always @(*) pll$clock_in = clk_25mhz;
always @(*) reset_sync$clock = pll$clock_out;
always @(*) reset_sync$run = pll$locked & btn[0];
always @(*) app$clock = pll$clock_out;
always @(*) app$reset = reset_sync$reset;
always @(*) app$rx = ftdi_txd;
always @(*) ftdi_rxd = app$tx;
always @(*) led = app$led;
always @(*) wifi_gpio0 = 1'b1;
"
        ))
    }
}
