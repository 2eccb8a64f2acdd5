//! `ScaleShift`: a score times the key and query multipliers, rounded, shifted and saturated to x.

use crate::core::mult18::registered_product_or_fabric;
use crate::front_end::twin_delay::TwinDelay;
use rust_hdl::prelude::*;

/// Width of x (`model::frontend::FrontEndParams::x_bits` at F = 10).
pub const XB: usize = 25;

/// `x = sat(round_half_up(s * mk * mq / 2^shift))` as in `model::frontend`, 11 edges after `s`,
/// emitted in offset binary (`x + 2^24`, the sign bit inverted) so that maxima are unsigned
/// comparisons.
///
/// Hand-written Verilog leaf with a Rust `update` twin: registered inputs; `s * mk` as two
/// registered partial products, registered again in the fabric, then their sum (registered);
/// `* mq` as three registered partial products, registered again, then their sum (every
/// multiplier at most 18 x 18, so each maps to one MULT18X18D or DSP48; every route between
/// two multiplier blocks, which the placer may put far apart, is register to register);
/// round half up and shift right arithmetically in two registered steps (`>>> 8 floor(shift/8)`
/// with the rounding increment chosen, then the increment added and `>>> shift mod 8`); clamp to
/// `+-(2^24 - 1)` (registered). `shift` is 0..=63; the host clamps larger shifts to 63 (the
/// same result: the product is below 2^56 in magnitude) and rejects negative ones.
///
/// Inputs: `clock`; `reset` (synchronous, clears `valid`); `s` (`SB` bits, two's complement);
/// `mk`, `mq` (16 bits, unsigned); `shift` (6 bits); `valid_in`.
/// Outputs: `x` (25 bits, offset binary); `valid_out`.
#[derive(LogicBlock)]
pub struct ScaleShift<const SB: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset of the valid pipeline.
    pub reset: Signal<In, Bit>,
    /// The score.
    pub s: Signal<In, Bits<SB>>,
    /// Key multiplier (with `s`).
    pub mk: Signal<In, Bits<16>>,
    /// Query multiplier (constant over a row).
    pub mq: Signal<In, Bits<16>>,
    /// Right shift (constant over a row).
    pub shift: Signal<In, Bits<6>>,
    /// Valid bit with `s`.
    pub valid_in: Signal<In, Bit>,
    /// x in offset binary.
    pub x: Signal<Out, Bits<XB>>,
    /// `valid_in`, delayed.
    pub valid_out: Signal<Out, Bit>,
    _pipe: TwinDelay<(u64, bool)>,
}

impl<const SB: usize> ScaleShift<SB> {
    /// Edges from `s` to `x`.
    pub const LATENCY: usize = 11;
    /// Largest |x| (`model::frontend::FrontEndParams::x_limit` at F = 10).
    pub const LIMIT: i64 = (1 << (XB - 1)) - 1;
}

impl<const SB: usize> Default for ScaleShift<SB> {
    fn default() -> Self {
        assert!(
            (18..=30).contains(&SB),
            "ScaleShift: SB must be in 18..=30, got {SB}"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s: Default::default(),
            mk: Default::default(),
            mq: Default::default(),
            shift: Default::default(),
            valid_in: Default::default(),
            x: Default::default(),
            valid_out: Default::default(),
            _pipe: TwinDelay::new(Self::LATENCY),
        }
    }
}

/// Offset binary of a saturated x: `clamp(v, -LIMIT, LIMIT) + 2^24`.
pub fn offset_binary(v: i128) -> u64 {
    let lim = ((1i64 << (XB - 1)) - 1) as i128;
    (v.clamp(-lim, lim) + (1i128 << (XB - 1))) as u64
}

impl<const SB: usize> Logic for ScaleShift<SB> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let raw = self.s.val().to_u64();
            let s = ((raw << (64 - SB)) as i64 >> (64 - SB)) as i128;
            let p = s * self.mk.val().to_u64() as i128 * self.mq.val().to_u64() as i128;
            let sh = self.shift.val().to_u64() as u32;
            let r = if sh == 0 {
                p
            } else {
                (p + (1i128 << (sh - 1))) >> sh
            };
            let (x, v) = self._pipe.edge((offset_binary(r), self.valid_in.val()));
            self.x.next = x.into();
            self.valid_out.next = v;
            if self.reset.val() {
                self._pipe.clear();
                self.valid_out.next = false;
            }
        }
    }
    fn connect(&mut self) {
        self.x.connect();
        self.valid_out.connect();
    }
    fn hdl(&self) -> Verilog {
        let p1 = SB + 17;
        let p2 = SB + 34;
        let mk = ("{2'b0, mk}", 18, true);
        let mq = ("{2'b0, mq4}", 18, true);
        let products = [
            registered_product_or_fabric("pa_l", ("{1'b0, s[16:0]}", 18, true), mk, "pa_lo", 36),
            registered_product_or_fabric(
                "pa_h",
                (&format!("s[{}:17]", SB - 1), SB - 17, true),
                mk,
                "pa_hi",
                SB + 1,
            ),
            registered_product_or_fabric("pb_l", ("{1'b0, p1[16:0]}", 18, true), mq, "pb_l", 36),
            registered_product_or_fabric("pb_m", ("{1'b0, p1[33:17]}", 18, true), mq, "pb_m", 36),
            registered_product_or_fabric(
                "pb_h",
                (&format!("p1[{}:34]", p1 - 1), SB - 17, true),
                mq,
                "pb_h",
                SB + 1,
            ),
        ]
        .concat();
        Verilog::Custom(format!(
            "// E1: inputs registered. E2: s * mk as two partial products (low 17 bits of s, and
// the rest). E3: the partial products registered in the fabric. E4: p1, their sum. E5: p1
// and mq registered. E6: p1 * mq as three partial products. E7: registered in the fabric.
// E8: p2, their sum. E9: p2 >>> 8u and the rounding increment c (shift = 8u + v; c = 2^(v-1)
// when v > 0, else bit 8u-1 of p2 when u > 0, else 0). E10: (that + c) >>> v. The same value
// as (p2 + 2^(shift-1)) >>> shift, with an 8-way shift on each side of the rounding add instead
// of a 64-bit barrel shift of six levels in one cycle.
// E11: saturate, offset binary. Every
// multiplier is at most 18 x 18, with its operand (E1, E5) and product (E2, E6) registers
// (`crate::core::mult18`): inside the MULT18X18D on ECP5, so s and mk are registered there,
// and p1 at E5 in the three E6 multipliers' inputs. A multiplier block's output goes to a
// fabric register (E3, E7) before any adder, and an adder's sum to a register (E4, E8) before
// a block: on the ECP5-85F, with all 156 blocks in use, the placer puts a ScaleShift's blocks
// far apart (E2's product through E3's adder into E4's multiplier was 13.5 ns of routing,
// 2026-12-06).
reg [15:0] mq1, mq2, mq3, mq4;
reg [5:0] sh1, sh2, sh3, sh4, sh5, sh6, sh7, sh8;
wire signed [35:0] pa_lo;
wire signed [{sb}:0] pa_hi;
reg signed [35:0] pa_lo_r;
reg signed [{sb}:0] pa_hi_r;
reg signed [{p1m}:0] p1;
wire signed [35:0] pb_l, pb_m;
wire signed [{sb}:0] pb_h;
reg signed [35:0] pb_l_r, pb_m_r;
reg signed [{sb}:0] pb_h_r;
reg signed [{p2m}:0] p2;
reg signed [63:0] t3, r;
reg [6:0] c3;
reg [2:0] v3s;
reg v1, v2, v3, v4, v5, v6, v7, v8, v9, v10;
wire signed [63:0] p2x = p2;
wire [2:0] u8 = sh8[5:3];
wire [2:0] v8s = sh8[2:0];
wire signed [63:0] coarse = p2x >>> {{u8, 3'd0}};
wire [5:0] rb_at = {{u8, 3'd0}} - 6'd1;
wire rb = (u8 != 3'd0) && p2x[rb_at];
wire [6:0] c = (v8s != 3'd0) ? (7'd1 << (v8s - 3'd1)) : {{6'd0, rb}};
wire signed [63:0] t3c = t3 + $signed({{57'd0, c3}});
{products}always @(posedge clock) begin
    mq1 <= mq;
    sh1 <= shift;
    mq2 <= mq1;
    sh2 <= sh1;
    pa_lo_r <= pa_lo;
    pa_hi_r <= pa_hi;
    mq3 <= mq2;
    sh3 <= sh2;
    p1 <= (pa_hi_r <<< 17) + pa_lo_r;
    mq4 <= mq3;
    sh4 <= sh3;
    sh5 <= sh4;
    sh6 <= sh5;
    pb_l_r <= pb_l;
    pb_m_r <= pb_m;
    pb_h_r <= pb_h;
    sh7 <= sh6;
    p2 <= (pb_h_r <<< 34) + (pb_m_r <<< 17) + pb_l_r;
    sh8 <= sh7;
    t3 <= coarse;
    c3 <= c;
    v3s <= v8s;
    r <= t3c >>> v3s;
    if (r > 64'sd{lim})
        x <= {xb}'d{hi};
    else if (r < -64'sd{lim})
        x <= {xb}'d1;
    else
        x <= {{~r[{top}], r[{top1}:0]}};
end
always @(posedge clock) begin
    if (reset) begin
        v1 <= 1'b0;
        v2 <= 1'b0;
        v3 <= 1'b0;
        v4 <= 1'b0;
        v5 <= 1'b0;
        v6 <= 1'b0;
        v7 <= 1'b0;
        v8 <= 1'b0;
        v9 <= 1'b0;
        v10 <= 1'b0;
        valid_out <= 1'b0;
    end else begin
        v1 <= valid_in;
        v2 <= v1;
        v3 <= v2;
        v4 <= v3;
        v5 <= v4;
        v6 <= v5;
        v7 <= v6;
        v8 <= v7;
        v9 <= v8;
        v10 <= v9;
        valid_out <= v10;
    end
end
",
            sb = SB,
            p1m = p1 - 1,
            p2m = p2 - 1,
            lim = Self::LIMIT,
            xb = XB,
            hi = (1u64 << XB) - 1,
            top = XB - 1,
            top1 = XB - 2,
        ))
    }
}
