//! `UartEcho`: the bring-up design: every byte received on the UART is sent back.

use crate::boards::{Board, BoardDesign, DesignIo};
use crate::io::uart_bridge::UartBridge;
use rust_hdl::prelude::*;

/// Bits of the LED pulse stretchers: an event lights its LED for 2^20 cycles (17 ms at 60 MHz).
const BLINK_BITS: usize = 20;

/// A [`UartBridge`] with its received-byte stream looped back to its transmitter: the host
/// gets every byte it sends, at the line rate (the transmitter sends a byte in the time the
/// receiver takes to receive one, so the FIFO never fills unless the host sends faster than
/// the baud rate). A [`BoardDesign`]: a board shell adds the PLL and reset.
///
/// LEDs: 0 a byte was received (stretched), 1 the transmitter is sending (stretched), 2 receive
/// overrun (sticky), 3 frame error (sticky), 4 heartbeat (bit 26 of a free-running counter: a
/// 2.2 s period at 60 MHz), 7:5 off.
///
/// Inputs: `clock`; `reset` (synchronous, active high); `rx` (UART line in).
/// Outputs: `tx` (UART line out); `led` (8 bits).
#[derive(LogicBlock)]
pub struct UartEcho {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// UART line in (idle high).
    pub rx: Signal<In, Bit>,
    /// UART line out (idle high).
    pub tx: Signal<Out, Bit>,
    /// LEDs (1 = on).
    pub led: Signal<Out, Bits<8>>,
    bridge: UartBridge,
    rx_blink: DFF<Bits<BLINK_BITS>>,
    tx_blink: DFF<Bits<BLINK_BITS>>,
    heartbeat: DFF<Bits<27>>,
    no_leds: Constant<Bits<8>>,
    blink_full: Constant<Bits<BLINK_BITS>>,
}

impl UartEcho {
    /// The echo at `baud` with a `clock_hz` clock and a receive FIFO of `rx_fifo_depth` bytes
    /// of RAM. Panics if [`UartBridge::new`] rejects the parameters.
    pub fn new(clock_hz: u64, baud: u64, rx_fifo_depth: usize) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            led: Default::default(),
            bridge: UartBridge::new(clock_hz, baud, rx_fifo_depth),
            rx_blink: Default::default(),
            tx_blink: Default::default(),
            heartbeat: Default::default(),
            no_leds: Constant::new(0.into()),
            blink_full: Constant::new(((1u64 << BLINK_BITS) - 1).into()),
        }
    }
}

impl BoardDesign for UartEcho {
    /// Panics if `board` has no UART.
    fn for_board(board: &Board) -> Self {
        let u = board
            .uart()
            .unwrap_or_else(|| panic!("UartEcho: {} has no UART", board.name));
        Self::new(
            board.design_clock_hz(),
            board.baud().expect("a UART board has a baud rate"),
            u.rx_fifo_depth,
        )
    }
    fn io(&mut self) -> DesignIo<'_> {
        DesignIo {
            clock: &mut self.clock,
            reset: &mut self.reset,
            head_clock: None,
            rx: &mut self.rx,
            tx: &self.tx,
            led: &self.led,
        }
    }
}

impl Logic for UartEcho {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, rx_blink, tx_blink, heartbeat);
        clock!(self, clock, bridge);
        self.bridge.reset.next = self.reset.val();
        self.bridge.rx.next = self.rx.val();
        self.tx.next = self.bridge.tx.val();
        // The loop: received bytes straight back to the transmitter.
        self.bridge.s_axis_tdata.next = self.bridge.m_axis_tdata.val();
        self.bridge.s_axis_tvalid.next = self.bridge.m_axis_tvalid.val();
        self.bridge.m_axis_tready.next = self.bridge.s_axis_tready.val();
        // LEDs.
        self.heartbeat.d.next = self.heartbeat.q.val() + 1;
        if self.rx_blink.q.val().any() {
            self.rx_blink.d.next = self.rx_blink.q.val() - 1;
        }
        if self.bridge.m_axis_tvalid.val() & self.bridge.s_axis_tready.val() {
            self.rx_blink.d.next = self.blink_full.val();
        }
        if self.tx_blink.q.val().any() {
            self.tx_blink.d.next = self.tx_blink.q.val() - 1;
        }
        if !self.bridge.tx.val() {
            self.tx_blink.d.next = self.blink_full.val();
        }
        self.led.next = self
            .no_leds
            .val()
            .replace_bit(0, self.rx_blink.q.val().any())
            .replace_bit(1, self.tx_blink.q.val().any())
            .replace_bit(2, self.bridge.rx_overrun.val())
            .replace_bit(3, self.bridge.rx_frame_error.val())
            .replace_bit(4, self.heartbeat.q.val().get_bit(26));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boards::alchitry_cu_top::AlchitryCuTop;
    use crate::boards::ulx3s_top::Ulx3sTop;
    use crate::boards::{board, board_top_verilog, top_verilog, BOARDS};
    use crate::verify::lint::verilator_lint;
    use crate::verify::serial_model::{SerialDecoder, SerialDriver};
    use crate::verify::testbench::{rise, settle};
    use crate::verify::verilator_replay::replay;

    /// Sends `msg` into a board top through its UART input pin and collects what comes back,
    /// in rust-hdl's simulator; `pins` sets the top's inputs (rx level, buttons released) and
    /// reads its outputs (tx level, LEDs).
    fn echo_through<B: Block>(
        uut: &mut B,
        clock: fn(&mut B) -> &mut Signal<In, Clock>,
        pins: fn(&mut B, bool) -> (bool, u64),
        p: f64,
        msg: &[u8],
    ) -> (Vec<u8>, Vec<u64>) {
        let mut line = SerialDriver::new(p, 0);
        let mut dec = SerialDecoder::new(p);
        // Out of reset first (the synchronizer and the reset release).
        for _ in 0..20 {
            pins(uut, true);
            settle(uut);
            rise(uut, clock);
        }
        for &b in msg {
            line.send(b, true);
        }
        let mut leds = vec![];
        let budget = ((msg.len() + 3) as f64 * 10.0 * p) as usize;
        for _ in 0..budget {
            let level = line.step();
            pins(uut, level);
            settle(uut);
            let (tx, led) = pins(uut, level);
            dec.step(tx);
            leds.push(led);
            rise(uut, clock);
        }
        assert_eq!(dec.frame_errors, 0);
        (dec.bytes, leds)
    }

    #[test]
    fn echo_on_both_board_tops_in_the_native_simulator() {
        let msg: Vec<u8> = (0..24u32).map(|i| (i * 73 + 11) as u8).collect();
        // ULX3S: the design clock over 3 Mbaud cycles per bit (20 at 60 MHz).
        let b = board("ulx3s").unwrap();
        let per_bit = (b.design_clock_hz() / b.baud().unwrap()) as f64;
        let mut top = Ulx3sTop::<UartEcho>::new(&b);
        top.connect_all();
        let (got, leds) = echo_through(
            &mut top,
            |u| &mut u.clk_25mhz,
            |u, rx| {
                u.ftdi_txd.next = rx;
                u.btn.next = 1.into();
                (u.ftdi_rxd.val(), u.led.val().to_u64())
            },
            per_bit,
            &msg,
        );
        assert_eq!(got, msg);
        assert!(leds.iter().any(|l| l & 3 == 3), "rx and tx activity LEDs");
        assert!(
            leds.iter().all(|l| l & 0b1100 == 0),
            "no overrun, no frame error"
        );
        // Alchitry Cu: 60 MHz, 6 Mbaud: 10 cycles per bit.
        let b = board("alchitry_cu").unwrap();
        let mut top = AlchitryCuTop::<UartEcho>::new(&b);
        top.connect_all();
        let (got, _) = echo_through(
            &mut top,
            |u| &mut u.clk,
            |u, rx| {
                u.usb_rx.next = rx;
                u.rst_n.next = true;
                (u.usb_tx.val(), u.led.val().to_u64())
            },
            10.0,
            &msg,
        );
        assert_eq!(got, msg);
    }

    #[test]
    fn board_tops_lint_clean() {
        for name in BOARDS {
            let b = board(name).unwrap();
            if b.uart().is_none() {
                continue;
            }
            let v = top_verilog(&b, "echo").unwrap();
            assert!(!v.contains("module EHXPLLL") && !v.contains("module SB_PLL40_CORE"));
            verilator_lint(&format!("echo_{name}"), &format!("{v}{}", b.stand_ins()))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        // The pins the constraints name.
        let v = board_top_verilog::<UartEcho>(&board("ulx3s").unwrap());
        for port in [
            "input wire  clk_25mhz;",
            "input wire  ftdi_txd;",
            "output reg  ftdi_rxd;",
            "input wire  [6:0] btn;",
            "output reg  [7:0] led;",
            "output reg  wifi_gpio0;",
        ] {
            assert!(v.contains(port), "ulx3s: missing `{port}`");
        }
        let v = board_top_verilog::<UartEcho>(&board("alchitry_cu").unwrap());
        for port in [
            "input wire  clk;",
            "input wire  rst_n;",
            "input wire  usb_rx;",
            "output reg  usb_tx;",
            "output reg  [7:0] led;",
        ] {
            assert!(v.contains(port), "alchitry_cu: missing `{port}`");
        }
    }

    /// Per cycle `[rx level, reset button level (1 = released)]`: 12 bytes and a frame with a
    /// low stop bit, the button pressed for 20 cycles, then 2 more bytes; and the bytes sent.
    fn board_stimulus(p: f64) -> (Vec<Vec<u64>>, Vec<u8>) {
        let msg: Vec<u8> = (0..14u32).map(|i| (i * 151 + 29) as u8).collect();
        let mut stim = vec![vec![1, 1]; 20];
        let mut line = SerialDriver::new(p, 1);
        for &b in &msg[..12] {
            line.send(b, true);
        }
        line.send(0xEE, false);
        stim.extend((0..(15.0 * 10.0 * p) as usize).map(|_| vec![u64::from(line.step()), 1]));
        stim.extend((0..20).map(|_| vec![1, 0]));
        stim.extend((0..20).map(|_| vec![1, 1]));
        let mut line = SerialDriver::new(p, 1);
        for &b in &msg[12..] {
            line.send(b, true);
        }
        stim.extend((0..(4.0 * 10.0 * p) as usize).map(|_| vec![u64::from(line.step()), 1]));
        (stim, msg)
    }

    /// Runs `stim` through a board top in rust-hdl's simulator: `set` applies a cycle's inputs,
    /// `get` reads the outputs.
    fn run_native<B: Block>(
        uut: &mut B,
        clock: fn(&mut B) -> &mut Signal<In, Clock>,
        set: fn(&mut B, &[u64]),
        get: fn(&B) -> Vec<u64>,
        stim: &[Vec<u64>],
    ) -> Vec<Vec<u64>> {
        stim.iter()
            .map(|s| {
                set(uut, s);
                settle(uut);
                let out = get(uut);
                rise(uut, clock);
                out
            })
            .collect()
    }

    /// Checks the outputs of `board_stimulus` (`[tx, led, ..]` per cycle): the echo, and the
    /// frame-error LED until the button reset.
    fn check_echo(out: &[Vec<u64>], p: f64, msg: &[u8]) {
        let mut dec = SerialDecoder::new(p);
        for o in out {
            dec.step(o[0] == 1);
        }
        assert_eq!(dec.bytes, msg);
        let led3: Vec<bool> = out.iter().map(|o| o[1] & 8 != 0).collect();
        let press = 20 + (15.0 * 10.0 * p) as usize;
        assert!(
            led3[press - 1] && !led3[press + 30],
            "frame-error LED, cleared by the button"
        );
    }

    #[test]
    fn ulx3s_top_verilog_matches_rust_hdl_in_verilator() {
        let b = board("ulx3s").unwrap();
        let per_bit = (b.design_clock_hz() / b.baud().unwrap()) as f64;
        let (stim, msg) = board_stimulus(per_bit);
        let mut top = Ulx3sTop::<UartEcho>::new(&b);
        top.connect_all();
        let want = run_native(
            &mut top,
            |u| &mut u.clk_25mhz,
            |u, s| {
                u.ftdi_txd.next = s[0] == 1;
                u.btn.next = s[1].into();
            },
            |u| {
                vec![
                    u64::from(u.ftdi_rxd.val()),
                    u.led.val().to_u64(),
                    u64::from(u.wifi_gpio0.val()),
                ]
            },
            &stim,
        );
        check_echo(&want, per_bit, &msg);
        let verilog = format!("{}{}", top_verilog(&b, "echo").unwrap(), b.stand_ins());
        let got = replay(
            "echo_ulx3s",
            &verilog,
            "clk_25mhz",
            &["ftdi_txd", "btn"],
            &["ftdi_rxd", "led", "wifi_gpio0"],
            &stim,
        );
        assert_eq!(got.len(), want.len());
        for (c, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "ulx3s, cycle {c}");
        }
    }

    #[test]
    fn alchitry_cu_top_verilog_matches_rust_hdl_in_verilator() {
        // 10 cycles per bit.
        let b = board("alchitry_cu").unwrap();
        let (stim, msg) = board_stimulus(10.0);
        let mut top = AlchitryCuTop::<UartEcho>::new(&b);
        top.connect_all();
        let want = run_native(
            &mut top,
            |u| &mut u.clk,
            |u, s| {
                u.usb_rx.next = s[0] == 1;
                u.rst_n.next = s[1] == 1;
            },
            |u| vec![u64::from(u.usb_tx.val()), u.led.val().to_u64()],
            &stim,
        );
        check_echo(&want, 10.0, &msg);
        let verilog = format!("{}{}", top_verilog(&b, "echo").unwrap(), b.stand_ins());
        let got = replay(
            "echo_alchitry_cu",
            &verilog,
            "clk",
            &["usb_rx", "rst_n"],
            &["usb_tx", "led"],
            &stim,
        );
        assert_eq!(got.len(), want.len());
        for (c, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "alchitry_cu, cycle {c}");
        }
    }
}
