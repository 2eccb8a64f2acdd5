//! Test helpers: an ideal 8N1 serial line, driven and decoded one clock cycle at a time, at any
//! (fractional) number of cycles per bit.

use std::collections::VecDeque;

/// Drives a serial line: frames queued with [`SerialDriver::send`] go out back to back (plus
/// `gap` idle cycles between frames), each bit `cycles_per_bit` cycles long (not necessarily
/// a whole number: the edges fall at the nearest cycle).
pub struct SerialDriver {
    cycles_per_bit: f64,
    gap: u64,
    queue: VecDeque<(u8, bool)>,
    /// The frame on the line and the cycle it started.
    current: Option<((u8, bool), u64)>,
    idle_until: u64,
    now: u64,
}

impl SerialDriver {
    /// A driver at `cycles_per_bit` with `gap` idle cycles between frames.
    pub fn new(cycles_per_bit: f64, gap: u64) -> Self {
        Self {
            cycles_per_bit,
            gap,
            queue: VecDeque::new(),
            current: None,
            idle_until: 0,
            now: 0,
        }
    }

    /// Queues `byte`; `stop_ok` false sends a low stop bit (a frame error).
    pub fn send(&mut self, byte: u8, stop_ok: bool) {
        self.queue.push_back((byte, stop_ok));
    }

    /// No frame on the line or queued.
    pub fn idle(&self) -> bool {
        self.current.is_none() && self.queue.is_empty()
    }

    /// The line level this cycle; advances one cycle.
    pub fn step(&mut self) -> bool {
        if self.current.is_none() && self.now >= self.idle_until {
            self.current = self.queue.pop_front().map(|f| (f, self.now));
        }
        let mut level = true;
        if let Some(((byte, stop_ok), t0)) = self.current {
            let bit = |t: u64| ((t - t0) as f64 / self.cycles_per_bit).floor() as u64;
            level = match bit(self.now) {
                0 => false,
                b @ 1..=8 => (byte >> (b - 1)) & 1 == 1,
                _ => stop_ok,
            };
            if bit(self.now + 1) >= 10 {
                self.current = None;
                self.idle_until = self.now + 1 + self.gap;
            }
        }
        self.now += 1;
        level
    }
}

/// Decodes a serial line sampled once a cycle: a falling edge starts a frame, bits are read at
/// their middles (`cycles_per_bit` apart), the stop bit is checked.
pub struct SerialDecoder {
    cycles_per_bit: f64,
    prev: bool,
    /// Cycle of the start edge of the frame being read.
    start: Option<u64>,
    bits: u16,
    now: u64,
    /// Bytes with a good stop bit.
    pub bytes: Vec<u8>,
    /// Frames with a low stop bit.
    pub frame_errors: usize,
    /// Cycle of the first start edge and of the end of the last stop bit.
    pub span: Option<(u64, u64)>,
}

impl SerialDecoder {
    /// A decoder at `cycles_per_bit`.
    pub fn new(cycles_per_bit: f64) -> Self {
        Self {
            cycles_per_bit,
            prev: true,
            start: None,
            bits: 0,
            now: 0,
            bytes: vec![],
            frame_errors: 0,
            span: None,
        }
    }

    /// Feeds this cycle's line level.
    pub fn step(&mut self, level: bool) {
        match self.start {
            None => {
                if self.prev && !level {
                    self.start = Some(self.now);
                    self.bits = 0;
                    self.span = Some((self.span.map_or(self.now, |s| s.0), self.now));
                }
            }
            Some(t0) => {
                let t = (self.now - t0) as f64;
                // Bit k (0 = start, 9 = stop) is sampled at the cycle nearest its middle.
                let k = ((t / self.cycles_per_bit) - 0.5).round();
                let mid = ((k + 0.5) * self.cycles_per_bit).round();
                if (0.0..=9.0).contains(&k) && t == mid {
                    self.bits |= u16::from(level) << k as u16;
                    if k == 9.0 {
                        if level {
                            self.bytes.push((self.bits >> 1) as u8);
                        } else {
                            self.frame_errors += 1;
                        }
                        let end = t0 + (10.0 * self.cycles_per_bit).round() as u64;
                        self.span = Some((self.span.unwrap().0, end));
                        self.start = None;
                    }
                }
            }
        }
        self.prev = level;
        self.now += 1;
    }
}

#[test]
fn driver_and_decoder_agree() {
    for (p, gap) in [(8.0, 0), (10.4, 3), (25.0, 0), (49.0, 1)] {
        let mut d = SerialDriver::new(p, gap);
        let mut r = SerialDecoder::new(p);
        let msg: Vec<u8> = (0..40u32).map(|i| (i * 37 + 5) as u8).collect();
        for &b in &msg {
            d.send(b, true);
        }
        // A low stop bit (last: with no gap the next start bit would have no falling edge).
        d.send(0x55, false);
        for _ in 0..(45.0 * 10.0 * p) as usize + 200 {
            r.step(d.step());
        }
        assert!(d.idle());
        assert_eq!(r.bytes, msg, "p = {p}");
        assert_eq!(r.frame_errors, 1);
    }
}
