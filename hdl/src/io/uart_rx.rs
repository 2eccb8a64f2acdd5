//! `UartRx`: an 8N1 UART receiver.

use rust_hdl::prelude::*;

/// The fewest clock cycles per bit [`UartRx`] and [`crate::io::uart_tx::UartTx`] accept: the
/// receiver's start-edge uncertainty is one cycle, 1/8 of a bit at this rate.
pub const MIN_CLOCKS_PER_BIT: u64 = 8;
/// The most clock cycles per bit (the bit counter is 16 bits wide).
pub const MAX_CLOCKS_PER_BIT: u64 = 65_535;
/// The largest relative difference between the requested baud rate and the one the integer
/// bit period gives (`clock_hz / clocks_per_bit`) that the constructors accept.
pub const MAX_BAUD_ERROR: f64 = 0.01;

/// The bit period, in clock cycles, of `baud` at `clock_hz`: `clock_hz / baud` rounded to the
/// nearest integer.
///
/// Panics, naming `who`, unless both rates are positive, the period is in
/// [`MIN_CLOCKS_PER_BIT`]`..=`[`MAX_CLOCKS_PER_BIT`], and the baud rate it gives is within
/// [`MAX_BAUD_ERROR`] (1%) of `baud`.
pub fn clocks_per_bit(who: &str, clock_hz: u64, baud: u64) -> u64 {
    assert!(
        clock_hz > 0 && baud > 0,
        "{who}: the clock ({clock_hz} Hz) and the baud rate ({baud}) must be positive"
    );
    let p = (clock_hz + baud / 2) / baud;
    assert!(
        p >= MIN_CLOCKS_PER_BIT,
        "{who}: {clock_hz} Hz / {baud} baud is {p} clocks per bit; at least {MIN_CLOCKS_PER_BIT} are needed"
    );
    assert!(
        p <= MAX_CLOCKS_PER_BIT,
        "{who}: {clock_hz} Hz / {baud} baud is {p} clocks per bit; at most {MAX_CLOCKS_PER_BIT} are supported"
    );
    let err = baud_error(clock_hz, baud);
    assert!(
        err.abs() < MAX_BAUD_ERROR,
        "{who}: {clock_hz} Hz / {baud} baud is {:.3} clocks per bit; {p} gives {:.0} baud, {:+.2}% off (at most 1%)",
        clock_hz as f64 / baud as f64,
        clock_hz as f64 / p as f64,
        100.0 * err
    );
    p
}

/// The relative error of the baud rate an integer bit period gives: `(clock_hz / p - baud) /
/// baud` with `p = round(clock_hz / baud)` (at least 1).
pub fn baud_error(clock_hz: u64, baud: u64) -> f64 {
    let p = ((clock_hz + baud / 2) / baud).max(1);
    (clock_hz as f64 / p as f64 - baud as f64) / baud as f64
}

/// The receiver's state.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum RxState {
    /// Line idle (high): waiting for a start bit.
    Idle,
    /// In the start bit, until its middle.
    Start,
    /// Sampling the eight data bits, LSB first, each at its middle.
    Data,
    /// Waiting for the middle of the stop bit.
    Stop,
    /// After a frame error: waiting for the line to go high again (a break counts once).
    Break,
}

/// An 8N1 UART receiver (one start bit, eight data bits LSB first, one stop bit, no parity).
///
/// The line goes through a two-flip-flop synchronizer (stored inverted, so it powers up idle).
/// A low level starts a frame; it is checked again at the middle of the start bit (a shorter
/// glitch is ignored), then each data bit and the stop bit are sampled at their middles, one bit
/// period (`round(clock_hz / baud)` cycles, see [`clocks_per_bit`]) apart. At the middle of the
/// stop bit the byte is delivered if the stop bit is high, or dropped with `frame_error` if it
/// is low; the receiver then waits for the line to be high before hunting again. A new start
/// bit may follow at once: it is looked for from the middle of the stop bit on, so a sender up
/// to about 5% fast is followed.
///
/// A UART cannot be back-pressured: the byte is offered for one cycle only.
///
/// Inputs: `clock`; `reset` (synchronous, active high: back to idle); `rx` (the line, idle high,
/// asynchronous to `clock`).
/// Outputs: `m_axis_tdata` (8 bits, the byte), `m_axis_tvalid` (a one-cycle pulse per good
/// byte), `frame_error` (a one-cycle pulse when a stop bit is low; that byte is dropped). Both
/// pulses are registered and come two cycles after the middle of the stop bit on the pin (the
/// synchronizer).
#[derive(LogicBlock)]
pub struct UartRx {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// The serial line (idle high).
    pub rx: Signal<In, Bit>,
    /// The byte received (valid with `m_axis_tvalid`).
    pub m_axis_tdata: Signal<Out, Bits<8>>,
    /// One-cycle pulse: a byte with a good stop bit.
    pub m_axis_tvalid: Signal<Out, Bit>,
    /// One-cycle pulse: a stop bit was low (the byte is dropped).
    pub frame_error: Signal<Out, Bit>,
    half_m1: Constant<Bits<16>>,
    period_m1: Constant<Bits<16>>,
    rx_n1: DFF<Bit>,
    rx_n2: DFF<Bit>,
    state: DFF<RxState>,
    count: DFF<Bits<16>>,
    bit_index: DFF<Bits<3>>,
    shift: DFF<Bits<8>>,
    valid: DFF<Bit>,
    ferr: DFF<Bit>,
    line: Signal<Local, Bit>,
    _clocks_per_bit: u64,
}

impl UartRx {
    /// A receiver for `baud` with a `clock_hz` clock. Panics (see [`clocks_per_bit`]) unless a
    /// bit is 8..=65535 clock cycles and the rounded period is within 1% of the baud rate.
    pub fn new(clock_hz: u64, baud: u64) -> Self {
        let p = clocks_per_bit("UartRx", clock_hz, baud);
        Self {
            clock: Default::default(),
            reset: Default::default(),
            rx: Default::default(),
            m_axis_tdata: Default::default(),
            m_axis_tvalid: Default::default(),
            frame_error: Default::default(),
            half_m1: Constant::new((p / 2 - 1).into()),
            period_m1: Constant::new((p - 1).into()),
            rx_n1: Default::default(),
            rx_n2: Default::default(),
            state: Default::default(),
            count: Default::default(),
            bit_index: Default::default(),
            shift: Default::default(),
            valid: Default::default(),
            ferr: Default::default(),
            line: Default::default(),
            _clocks_per_bit: p,
        }
    }

    /// Clock cycles per bit.
    pub fn clocks_per_bit(&self) -> u64 {
        self._clocks_per_bit
    }
}

impl Logic for UartRx {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, rx_n1, rx_n2, state, count, bit_index, shift, valid, ferr);
        // Synchronizer, inverted: the flip-flops power up at 0, which reads as an idle line.
        self.rx_n1.d.next = !self.rx.val();
        self.rx_n2.d.next = self.rx_n1.q.val();
        self.line.next = !self.rx_n2.q.val();
        self.m_axis_tdata.next = self.shift.q.val();
        self.m_axis_tvalid.next = self.valid.q.val();
        self.frame_error.next = self.ferr.q.val();
        self.valid.d.next = false;
        self.ferr.d.next = false;
        self.count.d.next = self.count.q.val() + 1;
        match self.state.q.val() {
            RxState::Idle => {
                self.count.d.next = 0.into();
                if !self.line.val() {
                    self.state.d.next = RxState::Start;
                }
            }
            RxState::Start => {
                if self.count.q.val() == self.half_m1.val() {
                    self.count.d.next = 0.into();
                    self.bit_index.d.next = 0.into();
                    if self.line.val() {
                        self.state.d.next = RxState::Idle;
                    } else {
                        self.state.d.next = RxState::Data;
                    }
                }
            }
            RxState::Data => {
                if self.count.q.val() == self.period_m1.val() {
                    self.count.d.next = 0.into();
                    if self.line.val() {
                        self.shift.d.next = (self.shift.q.val() >> 1) | 128;
                    } else {
                        self.shift.d.next = self.shift.q.val() >> 1;
                    }
                    self.bit_index.d.next = self.bit_index.q.val() + 1;
                    if self.bit_index.q.val() == 7 {
                        self.state.d.next = RxState::Stop;
                    }
                }
            }
            RxState::Stop => {
                if self.count.q.val() == self.period_m1.val() {
                    if self.line.val() {
                        self.valid.d.next = true;
                        self.state.d.next = RxState::Idle;
                    } else {
                        self.ferr.d.next = true;
                        self.state.d.next = RxState::Break;
                    }
                }
            }
            RxState::Break => {
                self.count.d.next = 0.into();
                if self.line.val() {
                    self.state.d.next = RxState::Idle;
                }
            }
        }
        if self.reset.val() {
            self.state.d.next = RxState::Idle;
            self.valid.d.next = false;
            self.ferr.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::uart_tx::UartTx;
    use crate::verify::lint::verilator_lint;
    use crate::verify::serial_model::SerialDriver;
    use crate::verify::testbench::{rise, settle};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    const CLK: u64 = 1_000_000;

    fn rx_clock(u: &mut UartRx) -> &mut Signal<In, Clock> {
        &mut u.clock
    }
    fn tx_clock(u: &mut UartTx) -> &mut Signal<In, Clock> {
        &mut u.clock
    }

    /// `bytes` from a [`UartTx`] at `tx_baud`, fed back to back, into a [`UartRx`] at
    /// `rx_baud` (both on a 1 MHz clock): the bytes received and the frame errors.
    fn loopback(tx_baud: u64, rx_baud: u64, bytes: &[u8]) -> (Vec<u8>, usize) {
        let mut tx = UartTx::new(CLK, tx_baud);
        let mut rx = UartRx::new(CLK, rx_baud);
        tx.connect_all();
        rx.connect_all();
        let (mut next, mut got, mut errors) = (0, vec![], 0);
        let cycles = (bytes.len() as u64 + 2) * 10 * tx.clocks_per_bit();
        for cycle in 0..cycles {
            let reset = cycle < 2;
            tx.reset.next = reset;
            rx.reset.next = reset;
            tx.s_axis_tvalid.next = !reset && next < bytes.len();
            tx.s_axis_tdata.next = (*bytes.get(next).unwrap_or(&0) as u64).into();
            settle(&mut tx);
            if tx.s_axis_tvalid.val() && tx.s_axis_tready.val() {
                next += 1;
            }
            rx.rx.next = tx.tx.val();
            settle(&mut rx);
            if rx.m_axis_tvalid.val() {
                got.push(rx.m_axis_tdata.val().to_u64() as u8);
            }
            errors += usize::from(rx.frame_error.val());
            rise(&mut tx, tx_clock);
            rise(&mut rx, rx_clock);
        }
        assert_eq!(next, bytes.len(), "all bytes sent");
        (got, errors)
    }

    #[test]
    fn loopback_of_random_bytes_with_baud_mismatch() {
        let mut rng = StdRng::seed_from_u64(7);
        let bytes: Vec<u8> = (0..150).map(|_| rng.gen()).collect();
        // 50 clocks per bit; the receiver exact, 2% fast (49), 2% slow (51), and 4% off.
        for rx_baud in [20_000, 20_400, 19_600, 20_833, 19_231] {
            let (got, errors) = loopback(20_000, rx_baud, &bytes);
            assert_eq!(
                (got.as_slice(), errors),
                (&bytes[..], 0),
                "rx at {rx_baud} baud"
            );
        }
        // The fewest clocks per bit: 8.
        let (got, errors) = loopback(125_000, 125_000, &bytes);
        assert_eq!(
            (got.as_slice(), errors),
            (&bytes[..], 0),
            "8 clocks per bit"
        );
    }

    /// Drives `rx` from a [`SerialDriver`] (16 clocks per bit, 5 idle cycles between frames):
    /// the bytes received, the cycles with `frame_error`, and how long each pulse was.
    fn receive(frames: &[(u8, bool)], glitch_at: Option<(u64, u64)>) -> (Vec<u8>, Vec<u64>) {
        let mut rx = UartRx::new(CLK, 62_500);
        rx.connect_all();
        let mut line = SerialDriver::new(16.0, 5);
        for &(b, ok) in frames {
            line.send(b, ok);
        }
        let (mut got, mut errors) = (vec![], vec![]);
        for cycle in 0..(frames.len() as u64 + 2) * 170 + 200 {
            // Idle for 100 cycles first, with an optional low glitch.
            let level = if cycle < 100 {
                glitch_at.is_none_or(|(a, b)| !(a..b).contains(&cycle))
            } else {
                line.step()
            };
            rx.rx.next = level;
            settle(&mut rx);
            if rx.m_axis_tvalid.val() {
                got.push(rx.m_axis_tdata.val().to_u64() as u8);
            }
            if rx.frame_error.val() {
                errors.push(cycle);
            }
            rise(&mut rx, rx_clock);
        }
        (got, errors)
    }

    #[test]
    fn low_stop_bit_is_flagged_and_the_byte_dropped() {
        let (got, errors) = receive(&[(0x3C, true), (0xA7, false), (0x81, true)], None);
        assert_eq!(got, [0x3C, 0x81]);
        assert_eq!(errors.len(), 1, "one single-cycle pulse: {errors:?}");
    }

    #[test]
    fn short_glitch_is_ignored() {
        // Low for 5 cycles (< half a bit): no frame; then a byte.
        let (got, errors) = receive(&[(0x5A, true)], Some((40, 45)));
        assert_eq!((got, errors.len()), (vec![0x5A], 0));
    }

    #[test]
    fn lints_clean() {
        let mut uut = UartRx::new(75_000_000, 3_000_000);
        uut.connect_all();
        verilator_lint("uart_rx", &generate_verilog(&uut)).unwrap();
    }

    #[test]
    #[should_panic(
        expected = "UartRx: 1000000 Hz / 200000 baud is 5 clocks per bit; at least 8 are needed"
    )]
    fn too_few_clocks_per_bit() {
        UartRx::new(1_000_000, 200_000);
    }

    #[test]
    #[should_panic(
        expected = "UartRx: 100000000 Hz / 1000 baud is 100000 clocks per bit; at most 65535 are supported"
    )]
    fn too_many_clocks_per_bit() {
        UartRx::new(100_000_000, 1000);
    }

    #[test]
    #[should_panic(
        expected = "UartRx: 50000000 Hz / 3000000 baud is 16.667 clocks per bit; 17 gives 2941176 baud, -1.96% off (at most 1%)"
    )]
    fn baud_too_far_off() {
        UartRx::new(50_000_000, 3_000_000);
    }
}
