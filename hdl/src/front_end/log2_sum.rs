//! `Log2Sum`: `L = log2(sum / 2^16)` by a leading-one detector and the log2 table.

use crate::front_end::scale_shift::XB;
use crate::front_end::twin_delay::TwinDelay;
use model::frontend::{FrontEndParams, Tables};
use rust_hdl::prelude::*;

/// `l = Tables::log2_sum(sum)` (F = 10 fractional bits, two's complement), 3 edges after `sum`.
///
/// Hand-written Verilog leaf with a Rust `update` twin: the first register holds the position
/// of the leading one (and the sum), the second the `log_table_bits` bits after it (the sum
/// shifted so that its leading one is the top bit), the third `(lead - 16) * 2^F + log[idx]`. For `sum = 0` (a row
/// with every key masked) `l` is `-16 * 2^F + log[0]`, which no code depends on. Built for
/// F = 10 and a 256-entry table (`FrontEndParams::default`).
///
/// Inputs: `clock`; `reset` (synchronous, clears `valid`); `sum` (`SUMB` bits); `valid_in`.
/// Outputs: `l` (25 bits, two's complement); `valid_out`.
#[derive(LogicBlock)]
pub struct Log2Sum<const SUMB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset of the valid pipeline.
    pub reset: Signal<In, Bit>,
    /// The exp2 sum.
    pub sum: Signal<In, Bits<SUMB>>,
    /// Valid bit with `sum`.
    pub valid_in: Signal<In, Bit>,
    /// `log2(sum / 2^16)`, F fractional bits.
    pub l: Signal<Out, Bits<XB>>,
    /// `valid_in`, delayed.
    pub valid_out: Signal<Out, Bit>,
    _tables: Tables,
    _params: FrontEndParams,
    _pipe: TwinDelay<(u64, bool)>,
}

impl<const SUMB: usize> Log2Sum<SUMB> {
    /// Edges from `sum` to `l`.
    pub const LATENCY: usize = 3;

    /// The leaf for `tables` (built with `params`); panics unless F = 10, the log2 table has
    /// 256 entries and `SUMB` is `params.sum_bits()`.
    pub fn new(params: &FrontEndParams, tables: &Tables) -> Self {
        assert!(
            params.frac_bits == 10 && params.log_table_bits == 8,
            "Log2Sum: built for F = 10 and a 256-entry table, got F = {} and {} index bits",
            params.frac_bits,
            params.log_table_bits
        );
        assert!(
            (9..=31).contains(&SUMB),
            "Log2Sum: SUMB must be in 9..=31, got {SUMB}"
        );
        assert_eq!(
            SUMB,
            params.sum_bits() as usize,
            "Log2Sum: SUMB must be params.sum_bits()"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            sum: Default::default(),
            valid_in: Default::default(),
            l: Default::default(),
            valid_out: Default::default(),
            _tables: tables.clone(),
            _params: *params,
            _pipe: TwinDelay::new(Self::LATENCY),
        }
    }
}

impl<const SUMB: usize> Logic for Log2Sum<SUMB> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let s = self.sum.val().to_u64();
            let l = if s > 0 {
                self._tables.log2_sum(&self._params, s)
            } else {
                (-16i64 << self._params.frac_bits) + self._tables.log[0]
            };
            let mask = (1u64 << XB) - 1;
            let (l, v) = self._pipe.edge((l as u64 & mask, self.valid_in.val()));
            self.l.next = l.into();
            self.valid_out.next = v;
            if self.reset.val() {
                self._pipe.clear();
                self.valid_out.next = false;
            }
        }
    }
    fn connect(&mut self) {
        self.l.connect();
        self.valid_out.connect();
    }
    fn hdl(&self) -> Verilog {
        let mut table = String::new();
        for (k, v) in self._tables.log.iter().enumerate() {
            table += &format!("        8'd{k}: lv = 11'd{v};\n");
        }
        let top = SUMB - 1;
        Verilog::Custom(format!(
            "integer i;
reg [4:0] lead;
always @(*) begin
    lead = 5'd0;
    for (i = 0; i < {SUMB}; i = i + 1)
        if (sum[i]) lead = i[4:0];
end
reg [4:0] lead0, lead1;
reg [{top}:0] sum0;
wire [{top}:0] norm = sum0 << (5'd{top} - lead0);
reg [7:0] idx1;
reg v0, v1;
reg [10:0] lv;
always @(*) begin
    case (idx1)
{table}        default: lv = 11'd0;
    endcase
end
always @(posedge clock) begin
    lead0 <= lead;
    sum0 <= sum;
    lead1 <= lead0;
    idx1 <= norm[{a}:{b}];
    l <= (({{20'd0, lead1}} - 25'd16) << 10) + {{14'd0, lv}};
end
always @(posedge clock) begin
    if (reset) begin
        v0 <= 1'b0;
        v1 <= 1'b0;
        valid_out <= 1'b0;
    end else begin
        v0 <= valid_in;
        v1 <= v0;
        valid_out <= v1;
    end
end
",
            a = SUMB - 2,
            b = SUMB - 9,
        ))
    }
}
