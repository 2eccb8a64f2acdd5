//! `ByteFifo`: a block-RAM byte FIFO with AXI-Stream ports.

use rust_hdl::prelude::*;
use std::collections::VecDeque;

/// The depths [`ByteFifo::new`] accepts: powers of two in this range.
pub const FIFO_DEPTHS: std::ops::RangeInclusive<usize> = 4..=32768;

/// A first-in first-out queue of bytes: `depth` bytes in a RAM with a registered read port
/// (block RAM on ECP5 and iCE40), plus the output register, so it holds `depth + 1` bytes.
///
/// Hand-written Verilog leaf (the depth is a run-time parameter, and rust-hdl's
/// `SynchronousFIFO` has no reset), with a Rust `update` twin. The RAM is read ahead into the
/// output register whenever the register is empty or being emptied, so `m_axis` streams a byte
/// per cycle; a byte pushed into an empty FIFO appears on `m_axis` two cycles later. A push is
/// refused (`s_axis_tready` low) only when the RAM is full, whatever `m_axis_tready` does: the
/// RAM's read and write addresses then never collide.
///
/// Inputs: `clock`; `reset` (synchronous, active high: empties the FIFO); `s_axis_tdata` (8),
/// `s_axis_tvalid`; `m_axis_tready`.
/// Outputs: `s_axis_tready` (registered: the RAM is not full); `m_axis_tdata` (8),
/// `m_axis_tvalid` (registered).
#[derive(LogicBlock)]
pub struct ByteFifo {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// The byte to push.
    pub s_axis_tdata: Signal<In, Bits<8>>,
    /// Push `s_axis_tdata` (taken when `s_axis_tready`).
    pub s_axis_tvalid: Signal<In, Bit>,
    /// Room for a byte.
    pub s_axis_tready: Signal<Out, Bit>,
    /// The oldest byte.
    pub m_axis_tdata: Signal<Out, Bits<8>>,
    /// The FIFO is not empty.
    pub m_axis_tvalid: Signal<Out, Bit>,
    /// The oldest byte is taken this cycle (with `m_axis_tvalid`).
    pub m_axis_tready: Signal<In, Bit>,
    _depth: usize,
    _ram: VecDeque<u8>,
    _out: Option<u8>,
    _last: u8,
}

impl ByteFifo {
    /// A FIFO of `depth` RAM bytes (`depth + 1` in all). Panics unless `depth` is a power of
    /// two in [`FIFO_DEPTHS`].
    pub fn new(depth: usize) -> Self {
        assert!(
            depth.is_power_of_two() && FIFO_DEPTHS.contains(&depth),
            "ByteFifo: the depth must be a power of two in 4..=32768, got {depth}"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_axis_tdata: Default::default(),
            s_axis_tvalid: Default::default(),
            s_axis_tready: Default::default(),
            m_axis_tdata: Default::default(),
            m_axis_tvalid: Default::default(),
            m_axis_tready: Default::default(),
            _depth: depth,
            _ram: VecDeque::with_capacity(depth),
            _out: None,
            _last: 0,
        }
    }

    /// Bytes in the RAM (the capacity is one more: the output register).
    pub fn depth(&self) -> usize {
        self._depth
    }
}

impl Logic for ByteFifo {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let rd = !self._ram.is_empty() && (self._out.is_none() || self.m_axis_tready.val());
            let wr = self.s_axis_tvalid.val() && self._ram.len() < self._depth;
            if rd {
                // The RAM's output register loads even in reset (as in the Verilog).
                self._last = self._ram[0];
            }
            if self.reset.val() {
                self._ram.clear();
                self._out = None;
            } else {
                if rd {
                    self._out = self._ram.pop_front();
                } else if self.m_axis_tready.val() {
                    self._out = None;
                }
                if wr {
                    self._ram.push_back(self.s_axis_tdata.val().to_u64() as u8);
                }
            }
        }
        self.s_axis_tready.next = self._ram.len() < self._depth;
        self.m_axis_tvalid.next = self._out.is_some();
        self.m_axis_tdata.next = (self._last as u64).into();
    }
    fn connect(&mut self) {
        self.s_axis_tready.connect();
        self.m_axis_tvalid.connect();
        self.m_axis_tdata.connect();
    }
    fn hdl(&self) -> Verilog {
        let depth = self._depth;
        let a = depth.trailing_zeros() as usize;
        Verilog::Custom(format!(
            "// {depth} bytes of RAM with a registered read port (block RAM), read ahead into the
// output register `rdata` whenever it is empty or being emptied.
reg [7:0] mem [0:{dm1}];
reg [7:0] rdata;
reg [{am1}:0] wp, rp;
reg [{a}:0] cnt;
reg full, ov;
wire wr = s_axis_tvalid && !full;
wire rd = (cnt != {a1}'d0) && (!ov || m_axis_tready);
wire [{a}:0] cnt_n = cnt + {{{a}'d0, wr}} - {{{a}'d0, rd}};
initial begin
    wp = {a}'d0;
    rp = {a}'d0;
    cnt = {a1}'d0;
    full = 1'b0;
    ov = 1'b0;
end
always @(posedge clock) begin
    if (wr) mem[wp] <= s_axis_tdata;
    if (rd) rdata <= mem[rp];
end
always @(posedge clock) begin
    if (reset) begin
        wp <= {a}'d0;
        rp <= {a}'d0;
        cnt <= {a1}'d0;
        full <= 1'b0;
        ov <= 1'b0;
    end else begin
        if (wr) wp <= wp + {a}'d1;
        if (rd) rp <= rp + {a}'d1;
        cnt <= cnt_n;
        full <= cnt_n == {a1}'d{depth};
        ov <= rd || (ov && !m_axis_tready);
    end
end
always @(*) begin
    s_axis_tready = !full;
    m_axis_tvalid = ov;
    m_axis_tdata = rdata;
end
",
            dm1 = depth - 1,
            am1 = a - 1,
            a1 = a + 1,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{rise, settle};
    use crate::verify::verilator_replay::replay;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    fn clock(u: &mut ByteFifo) -> &mut Signal<In, Clock> {
        &mut u.clock
    }

    /// Random stimulus: `[reset, s_axis_tdata, s_axis_tvalid, m_axis_tready]` per cycle, with
    /// phases of heavy pushing and heavy popping so the FIFO fills and empties.
    fn stimulus(cycles: usize, seed: u64) -> Vec<Vec<u64>> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..cycles)
            .map(|c| {
                let (push, pop) = match (c / 60) % 3 {
                    0 => (0.9, 0.2),
                    1 => (0.3, 0.9),
                    _ => (0.6, 0.6),
                };
                vec![
                    u64::from(c < 2 || rng.gen_bool(0.003)),
                    rng.gen_range(0..256),
                    u64::from(rng.gen_bool(push)),
                    u64::from(rng.gen_bool(pop)),
                ]
            })
            .collect()
    }

    /// The stimulus through the Rust twin: `[s_axis_tready, m_axis_tdata, m_axis_tvalid]` per
    /// cycle.
    fn run_twin(depth: usize, stim: &[Vec<u64>]) -> Vec<Vec<u64>> {
        let mut uut = ByteFifo::new(depth);
        uut.connect_all();
        stim.iter()
            .map(|s| {
                uut.reset.next = s[0] == 1;
                uut.s_axis_tdata.next = s[1].into();
                uut.s_axis_tvalid.next = s[2] == 1;
                uut.m_axis_tready.next = s[3] == 1;
                settle(&mut uut);
                let out = vec![
                    u64::from(uut.s_axis_tready.val()),
                    uut.m_axis_tdata.val().to_u64(),
                    u64::from(uut.m_axis_tvalid.val()),
                ];
                rise(&mut uut, clock);
                out
            })
            .collect()
    }

    #[test]
    fn twin_is_a_fifo_of_depth_plus_one() {
        for depth in [4, 16] {
            let stim = stimulus(4000, depth as u64);
            let out = run_twin(depth, &stim);
            let mut model: VecDeque<u64> = VecDeque::new();
            let (mut full_seen, mut pops) = (false, 0);
            for (s, o) in stim.iter().zip(&out) {
                if s[0] == 1 {
                    model.clear();
                    continue;
                }
                if o[2] == 1 && s[3] == 1 {
                    assert_eq!(Some(o[1]), model.pop_front(), "order");
                    pops += 1;
                }
                if s[2] == 1 && o[0] == 1 {
                    model.push_back(s[1]);
                }
                assert!(model.len() <= depth + 1);
                full_seen |= model.len() == depth + 1;
            }
            assert!(full_seen && pops > 1000, "depth {depth}: fills, and flows");
        }
    }

    #[test]
    fn streams_a_byte_per_cycle_two_cycles_after_the_push() {
        let stim: Vec<Vec<u64>> = (0..20).map(|c| vec![0, c + 100, 1, 1]).collect();
        let out = run_twin(8, &stim);
        assert_eq!(out[0..2].iter().map(|o| o[2]).collect::<Vec<_>>(), [0, 0]);
        for (c, o) in out.iter().enumerate().skip(2) {
            assert_eq!((o[2], o[1]), (1, c as u64 - 2 + 100));
        }
    }

    #[test]
    fn verilog_matches_the_twin_in_verilator() {
        let stim = stimulus(3000, 99);
        let mut uut = ByteFifo::new(8);
        uut.connect_all();
        let got = replay(
            "byte_fifo",
            &generate_verilog(&uut),
            "clock",
            &["reset", "s_axis_tdata", "s_axis_tvalid", "m_axis_tready"],
            &["s_axis_tready", "m_axis_tdata", "m_axis_tvalid"],
            &stim,
        );
        let want = run_twin(8, &stim);
        for (c, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "cycle {c}");
        }
        assert_eq!(got.len(), want.len());
    }

    #[test]
    fn lints_clean() {
        for depth in [4, 2048] {
            let mut uut = ByteFifo::new(depth);
            uut.connect_all();
            verilator_lint(&format!("byte_fifo_{depth}"), &generate_verilog(&uut)).unwrap();
        }
    }

    #[test]
    #[should_panic(expected = "ByteFifo: the depth must be a power of two in 4..=32768, got 12")]
    fn depth_must_be_a_power_of_two() {
        ByteFifo::new(12);
    }
}
