//! `UartBridge`: a board's UART pins as two AXI-Stream byte streams.

use crate::io::byte_fifo::ByteFifo;
use crate::io::uart_rx::UartRx;
use crate::io::uart_tx::UartTx;
use rust_hdl::prelude::*;

/// The UART between a board's pins and a byte-stream design (the link framer): bytes received
/// on `rx` ([`UartRx`]) go through a [`ByteFifo`] of `rx_fifo_depth + 1` bytes to `m_axis`
/// (with back-pressure); bytes from `s_axis` go out on `tx` ([`UartTx`], which holds one byte
/// at a time: `s_axis_tready` is high while it is idle).
///
/// A UART cannot be back-pressured: a byte that arrives while the FIFO is full is lost, and
/// `rx_overrun` goes high; a byte with a low stop bit is dropped, and `rx_frame_error` goes high.
/// Both flags stay high until `reset`.
///
/// Inputs: `clock`; `reset` (synchronous, active high); `rx` (the line from the host, idle
/// high); `m_axis_tready`; `s_axis_tdata` (8), `s_axis_tvalid`.
/// Outputs: `tx` (the line to the host, idle high); `m_axis_tdata` (8), `m_axis_tvalid`;
/// `s_axis_tready`; `rx_overrun`, `rx_frame_error` (sticky, registered).
#[derive(LogicBlock)]
pub struct UartBridge {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// Serial line in (from the host).
    pub rx: Signal<In, Bit>,
    /// Serial line out (to the host).
    pub tx: Signal<Out, Bit>,
    /// Received byte.
    pub m_axis_tdata: Signal<Out, Bits<8>>,
    /// A received byte is waiting.
    pub m_axis_tvalid: Signal<Out, Bit>,
    /// The received byte is taken this cycle.
    pub m_axis_tready: Signal<In, Bit>,
    /// Byte to send.
    pub s_axis_tdata: Signal<In, Bits<8>>,
    /// `s_axis_tdata` is valid.
    pub s_axis_tvalid: Signal<In, Bit>,
    /// The byte to send is taken this cycle.
    pub s_axis_tready: Signal<Out, Bit>,
    /// A received byte was lost: the FIFO was full (sticky until reset).
    pub rx_overrun: Signal<Out, Bit>,
    /// A received byte had a low stop bit (sticky until reset).
    pub rx_frame_error: Signal<Out, Bit>,
    receiver: UartRx,
    fifo: ByteFifo,
    transmitter: UartTx,
    overrun: DFF<Bit>,
    frame_err: DFF<Bit>,
}

impl UartBridge {
    /// A bridge at `baud` with a `clock_hz` clock and a receive FIFO of `rx_fifo_depth` RAM
    /// bytes. Panics if [`UartRx::new`] or [`ByteFifo::new`] reject their parameters.
    pub fn new(clock_hz: u64, baud: u64, rx_fifo_depth: usize) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            m_axis_tdata: Default::default(),
            m_axis_tvalid: Default::default(),
            m_axis_tready: Default::default(),
            s_axis_tdata: Default::default(),
            s_axis_tvalid: Default::default(),
            s_axis_tready: Default::default(),
            rx_overrun: Default::default(),
            rx_frame_error: Default::default(),
            receiver: UartRx::new(clock_hz, baud),
            fifo: ByteFifo::new(rx_fifo_depth),
            transmitter: UartTx::new(clock_hz, baud),
            overrun: Default::default(),
            frame_err: Default::default(),
        }
    }
}

impl Logic for UartBridge {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, overrun, frame_err);
        clock!(self, clock, receiver, fifo, transmitter);
        self.receiver.reset.next = self.reset.val();
        self.fifo.reset.next = self.reset.val();
        self.transmitter.reset.next = self.reset.val();
        // Receive: pins -> UartRx -> FIFO -> m_axis.
        self.receiver.rx.next = self.rx.val();
        self.fifo.s_axis_tdata.next = self.receiver.m_axis_tdata.val();
        self.fifo.s_axis_tvalid.next = self.receiver.m_axis_tvalid.val();
        self.m_axis_tdata.next = self.fifo.m_axis_tdata.val();
        self.m_axis_tvalid.next = self.fifo.m_axis_tvalid.val();
        self.fifo.m_axis_tready.next = self.m_axis_tready.val();
        // Transmit: s_axis -> UartTx -> pins.
        self.transmitter.s_axis_tdata.next = self.s_axis_tdata.val();
        self.transmitter.s_axis_tvalid.next = self.s_axis_tvalid.val();
        self.s_axis_tready.next = self.transmitter.s_axis_tready.val();
        self.tx.next = self.transmitter.tx.val();
        // Sticky flags.
        if self.receiver.m_axis_tvalid.val() & !self.fifo.s_axis_tready.val() {
            self.overrun.d.next = true;
        }
        if self.receiver.frame_error.val() {
            self.frame_err.d.next = true;
        }
        if self.reset.val() {
            self.overrun.d.next = false;
            self.frame_err.d.next = false;
        }
        self.rx_overrun.next = self.overrun.q.val();
        self.rx_frame_error.next = self.frame_err.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::serial_model::{SerialDecoder, SerialDriver};
    use crate::verify::testbench::{rise, settle};

    fn clock(u: &mut UartBridge) -> &mut Signal<In, Clock> {
        &mut u.clock
    }

    /// A bridge with 10 clocks per bit and a 16-byte FIFO (17 bytes in all).
    fn bridge() -> UartBridge {
        let mut uut = UartBridge::new(1_000_000, 100_000, 16);
        uut.connect_all();
        uut
    }

    #[test]
    fn overrun_is_flagged_when_the_fifo_fills_and_the_rest_is_kept() {
        let mut uut = bridge();
        let mut line = SerialDriver::new(10.0, 0);
        let bytes: Vec<u8> = (0..20u32).map(|i| (i * 29 + 1) as u8).collect();
        for &b in &bytes {
            line.send(b, true);
        }
        // Nobody reads: 17 bytes fit, the 18th is lost (overrun), and so are the 19th, 20th.
        let mut overrun_at = None;
        for cycle in 0..20 * 100 + 50 {
            uut.rx.next = line.step();
            uut.m_axis_tready.next = false;
            settle(&mut uut);
            if uut.rx_overrun.val() && overrun_at.is_none() {
                overrun_at = Some(cycle);
            }
            rise(&mut uut, clock);
        }
        // The 18th byte's stop bit is sampled in its middle, 1700 + 95, seen 2 cycles late (the
        // synchronizer), then the receiver's and the flag's registers: cycle 1799.
        assert_eq!(overrun_at, Some(1799));
        assert!(!uut.rx_frame_error.val());
        // Drain: the first 17 bytes, in order; the flag stays up.
        let mut got = vec![];
        for _ in 0..40 {
            uut.rx.next = true;
            uut.m_axis_tready.next = true;
            settle(&mut uut);
            if uut.m_axis_tvalid.val() {
                got.push(uut.m_axis_tdata.val().to_u64() as u8);
            }
            assert!(uut.rx_overrun.val(), "sticky");
            rise(&mut uut, clock);
        }
        assert_eq!(got, &bytes[..17]);
        // Reset clears it.
        uut.reset.next = true;
        settle(&mut uut);
        rise(&mut uut, clock);
        uut.reset.next = false;
        settle(&mut uut);
        assert!(!uut.rx_overrun.val() && !uut.m_axis_tvalid.val());
    }

    #[test]
    fn frame_error_is_sticky_and_the_byte_dropped() {
        let mut uut = bridge();
        let mut line = SerialDriver::new(10.0, 3);
        line.send(0x11, true);
        line.send(0x22, false);
        line.send(0x33, true);
        let mut got = vec![];
        for cycle in 0..400 {
            uut.rx.next = line.step();
            uut.m_axis_tready.next = true;
            settle(&mut uut);
            if uut.m_axis_tvalid.val() {
                got.push(uut.m_axis_tdata.val().to_u64() as u8);
            }
            if cycle > 250 {
                assert!(uut.rx_frame_error.val(), "sticky");
            }
            rise(&mut uut, clock);
        }
        assert_eq!(got, [0x11, 0x33]);
        assert!(!uut.rx_overrun.val());
    }

    #[test]
    fn bytes_from_s_axis_go_out_on_tx() {
        let mut uut = bridge();
        let mut dec = SerialDecoder::new(10.0);
        let bytes = [0x00u8, 0xFF, 0x5A, 0x80, 0x01];
        let mut next = 0;
        for _ in 0..700 {
            uut.s_axis_tvalid.next = next < bytes.len();
            uut.s_axis_tdata.next = (*bytes.get(next).unwrap_or(&0) as u64).into();
            uut.rx.next = true;
            settle(&mut uut);
            if uut.s_axis_tvalid.val() && uut.s_axis_tready.val() {
                next += 1;
            }
            dec.step(uut.tx.val());
            rise(&mut uut, clock);
        }
        assert_eq!(dec.bytes, bytes);
        assert!(!uut.m_axis_tvalid.val(), "nothing received");
    }

    #[test]
    fn lints_clean() {
        let mut uut = UartBridge::new(75_000_000, 3_000_000, 2048);
        uut.connect_all();
        verilator_lint("uart_bridge", &generate_verilog(&uut)).unwrap();
    }

    #[test]
    #[should_panic(expected = "ByteFifo: the depth must be a power of two in 4..=32768, got 1000")]
    fn fifo_depth_is_checked() {
        UartBridge::new(75_000_000, 3_000_000, 1000);
    }
}
