//! `CodeOf`: the 3-bit code of `y = x - m - L` by comparisons against the edge constants.

use crate::front_end::scale_shift::XB;
use crate::front_end::twin_delay::TwinDelay;
use model::frontend::Tables;
use rust_hdl::prelude::*;

/// `code = mask ? 0 : Tables::code(x - m - l)`, 2 edges after the inputs.
///
/// Hand-written Verilog leaf with a Rust `update` twin: the first register holds `y` (27 bits,
/// two's complement) and the mask; the second the number of edge constants `y` reaches (seven
/// signed comparisons and a population count; no division, no probability).
///
/// Inputs: `clock`; `reset` (synchronous, clears `valid`); `x`, `m` (25 bits, offset binary);
/// `l` (25 bits, two's complement); `mask` (1: the key is masked or padding, code 0);
/// `valid_in`.
/// Outputs: `code` (3 bits); `valid_out`.
#[derive(LogicBlock)]
pub struct CodeOf {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset of the valid pipeline.
    pub reset: Signal<In, Bit>,
    /// x.
    pub x: Signal<In, Bits<XB>>,
    /// Row maximum.
    pub m: Signal<In, Bits<XB>>,
    /// Row log-sum.
    pub l: Signal<In, Bits<XB>>,
    /// Forces code 0.
    pub mask: Signal<In, Bit>,
    /// Valid bit with `x`.
    pub valid_in: Signal<In, Bit>,
    /// The code.
    pub code: Signal<Out, Bits<3>>,
    /// `valid_in`, delayed.
    pub valid_out: Signal<Out, Bit>,
    _tables: Tables,
    _pipe: TwinDelay<(u64, bool)>,
}

impl CodeOf {
    /// Edges from the inputs to `code`.
    pub const LATENCY: usize = 2;

    /// The leaf for the edge constants of `tables`; panics unless there are 7 (k = 3).
    pub fn new(tables: &Tables) -> Self {
        assert_eq!(
            tables.edge.len(),
            7,
            "CodeOf: built for k = 3 (7 edge constants)"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            x: Default::default(),
            m: Default::default(),
            l: Default::default(),
            mask: Default::default(),
            valid_in: Default::default(),
            code: Default::default(),
            valid_out: Default::default(),
            _tables: tables.clone(),
            _pipe: TwinDelay::new(Self::LATENCY),
        }
    }
}

impl Logic for CodeOf {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let x = self.x.val().to_u64() as i64;
            let m = self.m.val().to_u64() as i64;
            let raw = self.l.val().to_u64();
            let l = (raw << (64 - XB)) as i64 >> (64 - XB);
            let code = if self.mask.val() {
                0
            } else {
                self._tables.code(x - m - l) as u64
            };
            let (c, v) = self._pipe.edge((code, self.valid_in.val()));
            self.code.next = c.into();
            self.valid_out.next = v;
            if self.reset.val() {
                self._pipe.clear();
                self.valid_out.next = false;
            }
        }
    }
    fn connect(&mut self) {
        self.code.connect();
        self.valid_out.connect();
    }
    fn hdl(&self) -> Verilog {
        let terms: Vec<String> = self
            ._tables
            .edge
            .iter()
            .map(|&e| {
                let lit = if e < 0 {
                    format!("-27'sd{}", -e)
                } else {
                    format!("27'sd{e}")
                };
                format!("{{2'b0, (y1 >= {lit})}}")
            })
            .collect();
        Verilog::Custom(format!(
            "reg signed [26:0] y1;
reg mask1;
reg v1;
always @(posedge clock) begin
    y1 <= $signed({{2'b0, x}}) - $signed({{2'b0, m}}) - $signed({{{{2{{l[24]}}}}, l}});
    mask1 <= mask;
    code <= mask1 ? 3'd0 : ({});
end
always @(posedge clock) begin
    if (reset) begin
        v1 <= 1'b0;
        valid_out <= 1'b0;
    end else begin
        v1 <= valid_in;
        valid_out <= v1;
    end
end
",
            terms.join(" + ")
        ))
    }
}
