//! `UartTx`: an 8N1 UART transmitter.

use crate::io::uart_rx::clocks_per_bit;
use rust_hdl::prelude::*;

/// An 8N1 UART transmitter (one start bit, eight data bits LSB first, one stop bit, no parity).
///
/// A byte accepted from `s_axis` goes out as ten bits of `round(clock_hz / baud)` cycles each
/// (see [`clocks_per_bit`]). `s_axis_tready` is high when idle and in the last cycle of a stop
/// bit, so back-to-back bytes leave without a gap: exactly ten bit periods a byte. The frame is
/// kept inverted in a shift register that powers up (and resets) at 0: `tx` idles high, also
/// before the first reset.
///
/// Inputs: `clock`; `reset` (synchronous, active high: abandons the byte being sent, line
/// high); `s_axis_tdata` (8 bits), `s_axis_tvalid`.
/// Outputs: `s_axis_tready`; `tx` (the line, idle high; the inverse of a register bit).
#[derive(LogicBlock)]
pub struct UartTx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// The byte to send.
    pub s_axis_tdata: Signal<In, Bits<8>>,
    /// `s_axis_tdata` is valid.
    pub s_axis_tvalid: Signal<In, Bit>,
    /// The byte is taken this cycle (with `s_axis_tvalid`).
    pub s_axis_tready: Signal<Out, Bit>,
    /// The serial line (idle high).
    pub tx: Signal<Out, Bit>,
    period_m1: Constant<Bits<16>>,
    count: DFF<Bits<16>>,
    bits_left: DFF<Bits<4>>,
    frame_n: DFF<Bits<10>>,
    free: Signal<Local, Bit>,
    _clocks_per_bit: u64,
}

impl UartTx {
    /// A transmitter for `baud` with a `clock_hz` clock. Panics (see [`clocks_per_bit`]) unless
    /// a bit is 8..=65535 clock cycles and the rounded period is within 1% of the baud rate.
    pub fn new(clock_hz: u64, baud: u64) -> Self {
        let p = clocks_per_bit("UartTx", clock_hz, baud);
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_axis_tdata: Default::default(),
            s_axis_tvalid: Default::default(),
            s_axis_tready: Default::default(),
            tx: Default::default(),
            period_m1: Constant::new((p - 1).into()),
            count: Default::default(),
            bits_left: Default::default(),
            frame_n: Default::default(),
            free: Default::default(),
            _clocks_per_bit: p,
        }
    }

    /// Clock cycles per bit.
    pub fn clocks_per_bit(&self) -> u64 {
        self._clocks_per_bit
    }
}

impl Logic for UartTx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, count, bits_left, frame_n);
        // Idle, or the last cycle of the stop bit.
        self.free.next = (self.bits_left.q.val() == 0)
            | ((self.bits_left.q.val() == 1) & (self.count.q.val() == self.period_m1.val()));
        self.s_axis_tready.next = self.free.val();
        self.tx.next = !self.frame_n.q.val().get_bit(0);
        if self.bits_left.q.val() != 0 {
            if self.count.q.val() == self.period_m1.val() {
                self.count.d.next = 0.into();
                // Shifting in zeros (inverted ones) leaves the line high.
                self.frame_n.d.next = self.frame_n.q.val() >> 1;
                self.bits_left.d.next = self.bits_left.q.val() - 1;
            } else {
                self.count.d.next = self.count.q.val() + 1;
            }
        }
        if self.s_axis_tvalid.val() & self.free.val() {
            // {stop = 1, data, start = 0}, inverted.
            self.frame_n.d.next = !((bit_cast::<10, 8>(self.s_axis_tdata.val()) << 1) | 512);
            self.bits_left.d.next = 10.into();
            self.count.d.next = 0.into();
        }
        if self.reset.val() {
            self.count.d.next = 0.into();
            self.bits_left.d.next = 0.into();
            self.frame_n.d.next = 0.into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::serial_model::SerialDecoder;
    use crate::verify::testbench::{rise, settle};

    fn clock(u: &mut UartTx) -> &mut Signal<In, Clock> {
        &mut u.clock
    }

    #[test]
    fn back_to_back_bytes_take_ten_bits_each() {
        // 12 clocks per bit; the line is idle (high) from power-up.
        let mut uut = UartTx::new(1_200_000, 100_000);
        uut.connect_all();
        let bytes: Vec<u8> = (0..40u32).map(|i| (i * 101 + 3) as u8).collect();
        let mut dec = SerialDecoder::new(12.0);
        let (mut next, mut accepted_at) = (0, vec![]);
        for cycle in 0..(bytes.len() as u64 + 2) * 120 {
            uut.s_axis_tvalid.next = cycle >= 7 && next < bytes.len();
            uut.s_axis_tdata.next = (*bytes.get(next).unwrap_or(&0) as u64).into();
            settle(&mut uut);
            if cycle < 7 {
                assert!(uut.tx.val() && uut.s_axis_tready.val(), "idle high, ready");
            }
            if uut.s_axis_tvalid.val() && uut.s_axis_tready.val() {
                accepted_at.push(cycle);
                next += 1;
            }
            dec.step(uut.tx.val());
            rise(&mut uut, clock);
        }
        assert_eq!(dec.bytes, bytes);
        assert_eq!(dec.frame_errors, 0);
        // One byte per 120 cycles exactly, without gaps.
        assert!(
            accepted_at.windows(2).all(|w| w[1] - w[0] == 120),
            "{accepted_at:?}"
        );
        assert_eq!(dec.span, Some((8, 8 + 40 * 120)));
    }

    #[test]
    fn reset_abandons_the_byte() {
        let mut uut = UartTx::new(1_000_000, 100_000);
        uut.connect_all();
        uut.s_axis_tdata.next = 0x00.into();
        uut.s_axis_tvalid.next = true;
        settle(&mut uut);
        rise(&mut uut, clock);
        uut.s_axis_tvalid.next = false;
        settle(&mut uut);
        assert!(!uut.tx.val() && !uut.s_axis_tready.val(), "start bit");
        uut.reset.next = true;
        settle(&mut uut);
        rise(&mut uut, clock);
        uut.reset.next = false;
        settle(&mut uut);
        assert!(uut.tx.val() && uut.s_axis_tready.val(), "idle again");
    }

    #[test]
    fn lints_clean() {
        let mut uut = UartTx::new(60_000_000, 6_000_000);
        uut.connect_all();
        verilator_lint("uart_tx", &generate_verilog(&uut)).unwrap();
    }

    #[test]
    #[should_panic(
        expected = "UartTx: 50000000 Hz / 3000000 baud is 16.667 clocks per bit; 17 gives 2941176 baud, -1.96% off (at most 1%)"
    )]
    fn baud_too_far_off() {
        UartTx::new(50_000_000, 3_000_000);
    }

    #[test]
    #[should_panic(expected = "UartTx: 60000000 Hz / 12000000 baud is 5 clocks per bit")]
    fn too_few_clocks_per_bit() {
        UartTx::new(60_000_000, 12_000_000);
    }
}
