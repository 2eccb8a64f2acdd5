//! `Exp2Neg`: `2^-(m - x)` from the exp2 table and a rounding shift.

use crate::front_end::scale_shift::XB;
use crate::front_end::twin_delay::TwinDelay;
use model::frontend::{FrontEndParams, Tables};
use rust_hdl::prelude::*;

/// `e = Tables::exp2_neg(m - x)` (16 fractional bits), 3 edges after `m`, `x`; `m >= x`
/// (otherwise `e` is unspecified).
///
/// Hand-written Verilog leaf with a Rust `update` twin: the first register holds the table
/// entry indexed by the top `exp_table_bits` fraction bits of `u = m - x` and `floor(u)`
/// clamped to 17 (from 17 on the result is 0); the second the entry plus the rounding half;
/// the third the sum shifted right by `floor(u)` (round half up). Built for F = 10 and a
/// 64-entry table (`FrontEndParams::default`).
///
/// Inputs: `clock`; `reset` (synchronous, clears `valid`); `m`, `x` (25 bits, offset binary);
/// `valid_in`.
/// Outputs: `e` (16 bits); `valid_out`.
#[derive(LogicBlock)]
pub struct Exp2Neg {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset of the valid pipeline.
    pub reset: Signal<In, Bit>,
    /// Row maximum.
    pub m: Signal<In, Bits<XB>>,
    /// x.
    pub x: Signal<In, Bits<XB>>,
    /// Valid bit with `x`.
    pub valid_in: Signal<In, Bit>,
    /// `2^-(m - x)`, 16 fractional bits.
    pub e: Signal<Out, Bits<16>>,
    /// `valid_in`, delayed.
    pub valid_out: Signal<Out, Bit>,
    _tables: Tables,
    _params: FrontEndParams,
    _pipe: TwinDelay<(u64, bool)>,
}

impl Exp2Neg {
    /// Edges from `x` to `e`.
    pub const LATENCY: usize = 3;

    /// The leaf for `tables` (built with `params`); panics unless `params` has F = 10 and a
    /// 64-entry exp2 table.
    pub fn new(params: &FrontEndParams, tables: &Tables) -> Self {
        assert!(
            params.frac_bits == 10 && params.exp_table_bits == 6,
            "Exp2Neg: built for F = 10 and a 64-entry table, got F = {} and {} index bits",
            params.frac_bits,
            params.exp_table_bits
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            m: Default::default(),
            x: Default::default(),
            valid_in: Default::default(),
            e: Default::default(),
            valid_out: Default::default(),
            _tables: tables.clone(),
            _params: *params,
            _pipe: TwinDelay::new(Self::LATENCY),
        }
    }
}

impl Logic for Exp2Neg {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let (m, x) = (self.m.val().to_u64(), self.x.val().to_u64());
            let e = if m >= x {
                self._tables.exp2_neg(&self._params, (m - x) as i64) as u64
            } else {
                0
            };
            let (e, v) = self._pipe.edge((e, self.valid_in.val()));
            self.e.next = e.into();
            self.valid_out.next = v;
            if self.reset.val() {
                self._pipe.clear();
                self.valid_out.next = false;
            }
        }
    }
    fn connect(&mut self) {
        self.e.connect();
        self.valid_out.connect();
    }
    fn hdl(&self) -> Verilog {
        let mut table = String::new();
        for (k, v) in self._tables.exp.iter().enumerate() {
            table += &format!("        6'd{k}: tv = 16'd{v};\n");
        }
        Verilog::Custom(format!(
            "wire [25:0] u = {{1'b0, m}} - {{1'b0, x}};
reg [15:0] tv;
always @(*) begin
    case (u[9:4])
{table}        default: tv = 16'd0;
    endcase
end
reg [15:0] t1;
reg [4:0] i1, i2;
reg [16:0] r2;
reg v1, v2;
wire [16:0] shifted = r2 >> i2;
always @(posedge clock) begin
    t1 <= tv;
    i1 <= (u[25:10] >= 16'd17) ? 5'd17 : u[14:10];
    r2 <= {{1'b0, t1}} + ((i1 == 5'd0 || i1 >= 5'd17) ? 17'd0 : (17'd1 << (i1 - 5'd1)));
    i2 <= i1;
    e <= (i2 >= 5'd17) ? 16'd0 : shifted[15:0];
end
always @(posedge clock) begin
    if (reset) begin
        v1 <= 1'b0;
        v2 <= 1'b0;
        valid_out <= 1'b0;
    end else begin
        v1 <= valid_in;
        v2 <= v1;
        valid_out <= v2;
    end
end
"
        ))
    }
}
