//! `UartLink`: the accelerator as a board design: a link design behind a UART.

use crate::boards::{Board, BoardDesign, DesignIo};
use crate::io::uart_bridge::UartBridge;
use crate::link::LinkDesign;
use model::link::DeviceConfig;
use rust_hdl::prelude::*;

/// A [`UartBridge`] (UART receiver, receive FIFO, transmitter) around a [`LinkDesign`]:
/// request frames in on `rx`, response frames out on `tx`, exactly as the simulated board
/// (`sim::board`) answers on its byte streams. A [`BoardDesign`]: a board shell adds the pins,
/// PLL and reset.
///
/// LEDs: 0 a job is computing, 1 a frame is being answered, 2 receive overrun (sticky: bytes
/// were lost, so frames were damaged), 3 UART frame error (sticky), 4 heartbeat (bit 26 of a
/// counter), 7:5 off.
///
/// A link design with a clock of its own ([`LinkDesign::OWN_CLOCK`]: a
/// [`crate::link::crossed_link::CrossedLink`]) computes on `head_clock`; any other ignores it
/// and runs on `clock`, as the UART does.
///
/// Hand-written Verilog (connections by name, since the design is a type parameter that
/// rust-hdl's `hdl_gen` cannot see into), with a Rust `update` twin.
///
/// Inputs: `clock`; `reset` (synchronous, active high); `head_clock` (the link design's own
/// clock, if it has one); `rx` (UART line in).
/// Outputs: `tx` (UART line out); `led` (8 bits).
#[derive(LogicBlock)]
pub struct UartLink<L: LinkDesign> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// The link design's own clock (unused unless it has one).
    pub head_clock: Signal<In, Clock>,
    /// UART line in (idle high).
    pub rx: Signal<In, Bit>,
    /// UART line out (idle high).
    pub tx: Signal<Out, Bit>,
    /// LEDs (1 = on).
    pub led: Signal<Out, Bits<8>>,
    bridge: UartBridge,
    link: L,
    heartbeat: DFF<Bits<27>>,
}

impl<L: LinkDesign> UartLink<L> {
    /// The design built as `cfg`, its UART at `baud` on a `clock_hz` clock with a receive FIFO
    /// of `rx_fifo_depth` bytes. Panics if [`UartBridge::new`] or the link design rejects the
    /// parameters.
    pub fn new(cfg: &DeviceConfig, clock_hz: u64, baud: u64, rx_fifo_depth: usize) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            head_clock: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            led: Default::default(),
            bridge: UartBridge::new(clock_hz, baud, rx_fifo_depth),
            link: L::for_config(cfg),
            heartbeat: Default::default(),
        }
    }
}

impl<L: LinkDesign> BoardDesign for UartLink<L> {
    /// Panics if `board` has no UART.
    fn for_board(board: &Board) -> Self {
        let u = board
            .uart()
            .unwrap_or_else(|| panic!("UartLink: {} has no UART", board.name));
        let mut top = Self::new(
            &board.device_config(),
            board.design_clock_hz(),
            board.baud().expect("a UART board has a baud rate"),
            u.rx_fifo_depth,
        );
        top.link = top.link.with_multiplier_split(&board.multiplier_split());
        top
    }
    fn io(&mut self) -> DesignIo<'_> {
        DesignIo {
            clock: &mut self.clock,
            reset: &mut self.reset,
            head_clock: Some(&mut self.head_clock),
            rx: &mut self.rx,
            tx: &self.tx,
            led: &self.led,
        }
    }
}

impl<L: LinkDesign> Logic for UartLink<L> {
    fn update(&mut self) {
        let (clock, reset) = (self.clock.val(), self.reset.val());
        self.heartbeat.clock.next = clock;
        self.heartbeat.d.next = self.heartbeat.q.val() + 1;
        self.bridge.clock.next = clock;
        self.bridge.reset.next = reset;
        self.bridge.rx.next = self.rx.val();
        self.tx.next = self.bridge.tx.val();
        let (b_data, b_valid, b_ready) = (
            self.bridge.m_axis_tdata.val(),
            self.bridge.m_axis_tvalid.val(),
            self.bridge.s_axis_tready.val(),
        );
        let (overrun, frame_error) = (
            self.bridge.rx_overrun.val(),
            self.bridge.rx_frame_error.val(),
        );
        let head_clock = self.head_clock.val();
        if let Some(h) = self.link.head_clock() {
            h.next = head_clock;
        }
        let out = self
            .link
            .io()
            .step(clock, reset, (b_data, b_valid), b_ready);
        self.bridge.m_axis_tready.next = out.s_axis_tready;
        self.bridge.s_axis_tdata.next = out.m_axis_tdata;
        self.bridge.s_axis_tvalid.next = out.m_axis_tvalid;
        let (busy, idle) = (out.busy, out.idle);
        let led = u64::from(busy)
            | (u64::from(!idle) << 1)
            | (u64::from(overrun) << 2)
            | (u64::from(frame_error) << 3)
            | (u64::from(self.heartbeat.q.val().get_bit(26)) << 4);
        self.led.next = led.into();
    }
    fn connect(&mut self) {
        self.heartbeat.clock.connect();
        self.heartbeat.d.connect();
        self.bridge.clock.connect();
        self.bridge.reset.connect();
        self.bridge.rx.connect();
        self.bridge.m_axis_tready.connect();
        self.bridge.s_axis_tdata.connect();
        self.bridge.s_axis_tvalid.connect();
        self.tx.connect();
        self.led.connect();
        if let Some(h) = self.link.head_clock() {
            h.connect();
        }
        self.link.io().connect();
    }
    fn hdl(&self) -> Verilog {
        let head_clock = if L::OWN_CLOCK {
            "always @(*) link$head_clock = head_clock;\n"
        } else {
            "// The link design runs on `clock`.\nwire _unused_head_clock = head_clock;\n"
        };
        Verilog::Custom(format!(
            "{head_clock}always @(*) heartbeat$clock = clock;
always @(*) heartbeat$d = heartbeat$q + 27'd1;
always @(*) bridge$clock = clock;
always @(*) bridge$reset = reset;
always @(*) bridge$rx = rx;
always @(*) tx = bridge$tx;
always @(*) link$clock = clock;
always @(*) link$reset = reset;
always @(*) link$s_axis_tdata = bridge$m_axis_tdata;
always @(*) link$s_axis_tvalid = bridge$m_axis_tvalid;
always @(*) bridge$m_axis_tready = link$s_axis_tready;
always @(*) bridge$s_axis_tdata = link$m_axis_tdata;
always @(*) bridge$s_axis_tvalid = link$m_axis_tvalid;
always @(*) link$m_axis_tready = bridge$s_axis_tready;
always @(*) led = {{3'b000, heartbeat$q[26], bridge$rx_frame_error, bridge$rx_overrun, ~link$idle, link$busy}};
"
        ))
    }
}

#[cfg(test)]
mod tests {
    use crate::boards::{board, top_verilog, BOARDS};

    #[test]
    fn every_uart_boards_link_top_lints_and_has_its_pins() {
        // The XEM7010 (FrontPanel) is linted in `xem7010_top`.
        for name in BOARDS {
            let b = board(name).unwrap();
            if b.uart().is_none() {
                continue;
            }
            let v = top_verilog(&b, "link").unwrap();
            let pins: &[&str] = match b.shell {
                crate::boards::Shell::Ulx3s => &["clk_25mhz", "ftdi_txd", "ftdi_rxd", "led"],
                crate::boards::Shell::AlchitryCu => &["clk", "usb_rx", "usb_tx", "led"],
                crate::boards::Shell::Xem7010 => unreachable!("no UART"),
            };
            for p in pins {
                assert!(v.contains(&format!(" {p};")), "{name}: no port {p}");
            }
            // The ULX3S head on the PLL's CLKOS across a crossing; the Alchitry Cu's on its one
            // clock, no crossing.
            let crossed = [
                "always @(*) app$head_clock = pll$clock_out2;",
                "always @(*) link$head_clock = head_clock;",
                "module top$app$link$crossing(",
            ];
            for c in crossed {
                assert_eq!(v.contains(c), name == "ulx3s", "{name}: `{c}`");
            }
            // The head's block-level wiring loop (see `head_verilog`) is waived for Verilator
            // here; the synthesis Verilog carries no Verilator comments.
            crate::verify::lint::verilator_lint(
                &format!("link_{name}"),
                &format!("/* verilator lint_off UNOPTFLAT */\n{v}{}", b.stand_ins()),
            )
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
