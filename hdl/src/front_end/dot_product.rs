//! `DotProduct`: the score unit, D signed int8 products and a pipelined adder tree.

use crate::front_end::twin_delay::TwinDelay;
use rust_hdl::prelude::*;

/// `s = sum_l q[l] * k[l]` over D = KW / 8 signed bytes, [`DotProduct::latency`] edges after
/// `k`, with a 16-bit side band (`side_in` -> `side_out`) and `valid` carried alongside.
///
/// Hand-written Verilog leaf (rust-hdl 0.46 has no signed 8 x 8 multiply and no way to build a
/// tree of generic depth), with a Rust `update` twin for rust-hdl's own simulator: inputs
/// registered twice (the key row comes from block RAMs, whose clock-to-out is 5.8 ns on ECP5,
/// far across the die from the multipliers),
/// D registered products (one ECP5 MULT18X18D or DSP48 each, or LUTs), then an adder tree
/// registered after every second level and after the last. D must be a power of two.
///
/// Inputs: `clock`; `reset` (synchronous, clears `valid`); `q`, `k` (`KW` bits, byte l at
/// `[8l+7:8l]`, two's complement); `side_in` (16); `valid_in`.
/// Outputs: `s` (`SB` bits, two's complement), `side_out` (16), `valid_out`.
#[derive(LogicBlock)]
pub struct DotProduct<const KW: usize, const SB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset of the valid pipeline.
    pub reset: Signal<In, Bit>,
    /// Query row (held constant by the caller while a row is scored).
    pub q: Signal<In, Bits<KW>>,
    /// Key row.
    pub k: Signal<In, Bits<KW>>,
    /// Side band delayed with the score (the key's multiplier).
    pub side_in: Signal<In, Bits<16>>,
    /// Valid bit delayed with the score.
    pub valid_in: Signal<In, Bit>,
    /// The score.
    pub s: Signal<Out, Bits<SB>>,
    /// `side_in`, delayed.
    pub side_out: Signal<Out, Bits<16>>,
    /// `valid_in`, delayed.
    pub valid_out: Signal<Out, Bit>,
    _pipe: TwinDelay<(u64, u64, bool)>,
}

impl<const KW: usize, const SB: usize> DotProduct<KW, SB> {
    /// Tree levels, `log2 D`.
    pub fn levels() -> usize {
        (KW / 8).trailing_zeros() as usize
    }
    /// Edges from `k` to `s`: `3 + ceil(log2(D) / 2)`.
    pub fn latency() -> usize {
        3 + Self::levels().div_ceil(2)
    }
    /// Smallest legal `SB` for D lanes: `log2(D) + 16` (the sum of D products of -128).
    pub fn min_score_bits(d: usize) -> usize {
        d.trailing_zeros() as usize + 16
    }
}

impl<const KW: usize, const SB: usize> Default for DotProduct<KW, SB> {
    fn default() -> Self {
        let d = KW / 8;
        assert!(
            KW % 8 == 0 && d.is_power_of_two(), // (is_multiple_of needs Rust 1.87)
            "DotProduct: KW must be 8 * D with D a power of two, got {KW}"
        );
        assert!(
            SB >= Self::min_score_bits(d) && SB <= 63,
            "DotProduct: SB must be in {}..=63 for D = {d}, got {SB}",
            Self::min_score_bits(d)
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            q: Default::default(),
            k: Default::default(),
            side_in: Default::default(),
            valid_in: Default::default(),
            s: Default::default(),
            side_out: Default::default(),
            valid_out: Default::default(),
            _pipe: TwinDelay::new(Self::latency()),
        }
    }
}

impl<const KW: usize, const SB: usize> Logic for DotProduct<KW, SB> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let (q, k) = (self.q.val(), self.k.val());
            let s: i64 = (0..KW / 8)
                .map(|l| {
                    let a = q.get_bits::<8>(8 * l).to_u64() as u8 as i8 as i64;
                    let b = k.get_bits::<8>(8 * l).to_u64() as u8 as i8 as i64;
                    a * b
                })
                .sum();
            let mask = (1u64 << SB) - 1;
            let v = (
                s as u64 & mask,
                self.side_in.val().to_u64(),
                self.valid_in.val(),
            );
            let (so, sd, vo) = self._pipe.edge(v);
            self.s.next = so.into();
            self.side_out.next = sd.into();
            self.valid_out.next = vo;
            if self.reset.val() {
                self._pipe.clear();
                self.valid_out.next = false;
            }
        }
    }
    fn connect(&mut self) {
        self.s.connect();
        self.side_out.connect();
        self.valid_out.connect();
    }
    fn hdl(&self) -> Verilog {
        let d = KW / 8;
        let levels = Self::levels();
        let lat = Self::latency();
        // Two input registers: the key row crosses the die from the block RAMs to the
        // multipliers, so the distance is split over two cycles. The second, and the product
        // register, sit in a small `keep_hierarchy` module per lane, which keeps each
        // multiplier's registers beside it in placement.
        let mut decl = format!("reg [{m}:0] qr0, kr0;\n", m = KW - 1);
        let mut seq = String::from("    qr0 <= q;\n    kr0 <= k;\n");
        let mut comb = String::new();
        for l in 0..d {
            decl += &format!("wire signed [15:0] t0_{l};\n");
            comb += &format!(
                "logattn_mul8x8 mul_{l}(.clock(clock), .a(qr0[{h}:{lo}]), .b(kr0[{h}:{lo}]), .p(t0_{l}));\n",
                h = 8 * l + 7,
                lo = 8 * l
            );
        }
        for t in 1..=levels {
            let registered = t % 2 == 0 || t == levels;
            for i in 0..(d >> t) {
                let expr = format!("t{p}_{a} + t{p}_{b}", p = t - 1, a = 2 * i, b = 2 * i + 1);
                if registered {
                    decl += &format!("reg signed [{}:0] t{t}_{i};\n", SB - 1);
                    seq += &format!("    t{t}_{i} <= {expr};\n");
                } else {
                    decl += &format!("wire signed [{}:0] t{t}_{i};\n", SB - 1);
                    comb += &format!("assign t{t}_{i} = {expr};\n");
                }
            }
        }
        // Side band and valid: `lat` registers, the last being the outputs.
        for st in 1..lat {
            decl += &format!("reg [15:0] side_{st};\nreg valid_{st};\n");
        }
        let mut ctl = String::new();
        let src = |st: usize| {
            if st == 0 {
                ("side_in".to_string(), "valid_in".to_string())
            } else {
                (format!("side_{st}"), format!("valid_{st}"))
            }
        };
        for st in 1..lat {
            let (s, v) = src(st - 1);
            ctl += &format!("        side_{st} <= {s};\n        valid_{st} <= {v};\n");
        }
        let (s_last, v_last) = src(lat - 1);
        let mut rst = String::new();
        for st in 1..lat {
            rst += &format!("        valid_{st} <= 1'b0;\n");
        }
        let cores = "
(* keep_hierarchy *)
module logattn_mul8x8(input wire clock, input wire [7:0] a, input wire [7:0] b,
                      output reg signed [15:0] p);
    reg [7:0] ar, br;
    always @(posedge clock) begin
        ar <= a;
        br <= b;
        p <= $signed(ar) * $signed(br);
    end
endmodule
"
        .to_string();
        let code = format!(
            "{decl}{comb}
always @(posedge clock) begin
{seq}end
reg [15:0] side_r;
reg valid_r;
always @(posedge clock) begin
    side_r <= {s_last};
    if (reset) begin
{rst}        valid_r <= 1'b0;
    end else begin
{ctl}        valid_r <= {v_last};
    end
end
assign side_out = side_r;
assign valid_out = valid_r;
assign s = t{levels}_0;
"
        );
        Verilog::Wrapper(Wrapper { code, cores })
    }
}
