//! `TagLine`: a delay line of a pipeline's tags (valid bits, row flags, per-row constants).

use crate::front_end::twin_delay::TwinDelay;
use rust_hdl::prelude::*;

/// `q` is `d` delayed by [`TagLine::latency`] clock edges (set at construction); a synchronous
/// reset clears every stage to 0 (so every valid bit in the line drops).
///
/// Hand-written Verilog leaf (a chain of registers of run-time length), with a Rust `update`
/// twin. `W <= 64`.
///
/// Inputs: `clock`; `reset` (synchronous); `d` (`W` bits).
/// Outputs: `q` (`W` bits).
#[derive(LogicBlock)]
pub struct TagLine<const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset: clears the line.
    pub reset: Signal<In, Bit>,
    /// The tag entering the line.
    pub d: Signal<In, Bits<W>>,
    /// The tag that entered `latency` edges ago.
    pub q: Signal<Out, Bits<W>>,
    _latency: usize,
    _pipe: TwinDelay<u64>,
}

impl<const W: usize> TagLine<W> {
    /// A line of `latency >= 1` edges.
    pub fn new(latency: usize) -> Self {
        assert!(
            latency >= 1 && (1..=64).contains(&W),
            "TagLine: latency must be at least 1 and W in 1..=64"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            d: Default::default(),
            q: Default::default(),
            _latency: latency,
            _pipe: TwinDelay::new(latency),
        }
    }

    /// Edges from `d` to `q`.
    pub fn latency(&self) -> usize {
        self._latency
    }
}

impl<const W: usize> Logic for TagLine<W> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let v = self._pipe.edge(self.d.val().to_u64());
            self.q.next = v.into();
            if self.reset.val() {
                self._pipe.clear();
                self.q.next = 0.into();
            }
        }
    }
    fn connect(&mut self) {
        self.q.connect();
    }
    fn hdl(&self) -> Verilog {
        let l = self._latency;
        let top = W - 1;
        let mut decl = String::new();
        let (mut clr, mut shift) = (String::new(), String::new());
        for i in 0..l - 1 {
            decl += &format!("reg [{top}:0] r{i};\n");
            clr += &format!("        r{i} <= {W}'d0;\n");
            let src = if i == 0 {
                "d".to_string()
            } else {
                format!("r{}", i - 1)
            };
            shift += &format!("        r{i} <= {src};\n");
        }
        let last = if l == 1 {
            "d".to_string()
        } else {
            format!("r{}", l - 2)
        };
        Verilog::Custom(format!(
            "{decl}always @(posedge clock) begin
    if (reset) begin
{clr}        q <= {W}'d0;
    end else begin
{shift}        q <= {last};
    end
end
"
        ))
    }
}
