//! `LutMul`: a pipelined radix-4 Booth multiplier built in LUTs (no DSP block): an `AW`-bit
//! multiplicand, two's complement or unsigned, times a two's complement byte.

use rust_hdl::prelude::*;

/// The geometry of a radix-4 Booth multiplier of an `a_bits`-bit multiplicand `a` (two's
/// complement if `a_signed`, else unsigned) by a two's complement byte `b`, its bit-exact Rust
/// model and its Verilog module.
///
/// The four Booth digits of `b` (`d_i` in -2..=2, from bits `2i+1, 2i, 2i-1`) select 0, `a` or
/// `2a` for row i, one's complemented when the digit is negative (its `+1`, `n_i`, rides in a
/// free bit of the next row, the last one in the final sum). Edge 1 registers
/// `h0 = row 0 + 4 row 1` and `h1 = row 2 + 4 row 3` (in units of 4, so both are short adders
/// on carry chains); edge 2 registers `p = h0 + 4 h1 + 64 n_3`. No `*`: synthesis cannot map it
/// to a DSP block. The widths of `h0`, `h1` and `p` are the exact ranges of their values,
/// found by [`Booth::new`] from the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Booth {
    a_bits: usize,
    a_signed: bool,
    row_bits: usize,
    h0_bits: usize,
    h1_bits: usize,
    p_bits: usize,
}

/// What edge 1 registers: `h0`, `h1` (in units of 4) and the last row's `+1`.
pub type BoothStage = (i64, i64, bool);

/// Bits of the smallest two's complement field holding `lo..=hi`.
fn signed_bits(lo: i64, hi: i64) -> usize {
    (1..64)
        .find(|&w| lo >= -(1i64 << (w - 1)) && hi < (1i64 << (w - 1)))
        .expect("fits 63 bits")
}

impl Booth {
    /// The multiplier of an `a_bits`-bit `a` (1..=32 bits; two's complement if `a_signed`) by
    /// a signed byte.
    pub fn new(a_bits: usize, a_signed: bool) -> Self {
        assert!(
            (2..=32).contains(&a_bits),
            "Booth: the multiplicand must have 2..=32 bits, got {a_bits}"
        );
        let (lo, hi) = Self::a_range(a_bits, a_signed);
        // Each stage value is linear in a for a fixed b, so its extremes are at a = lo or hi.
        let (mut r0, mut r1, mut rp) = ((0, 0), (0, 0), (0, 0));
        for b in -128..=127i8 {
            for a in [lo, hi] {
                let st = Self::stage1(a, b);
                let p = Self::stage2(st);
                debug_assert_eq!(p, a * b as i64);
                let ext = |r: (i64, i64), v: i64| (r.0.min(v), r.1.max(v));
                r0 = ext(r0, st.0);
                r1 = ext(r1, st.1);
                rp = ext(rp, p);
            }
        }
        let m_bits = if a_signed { a_bits } else { a_bits + 1 };
        Self {
            a_bits,
            a_signed,
            row_bits: m_bits + 2,
            h0_bits: signed_bits(r0.0, r0.1),
            h1_bits: signed_bits(r1.0, r1.1),
            p_bits: signed_bits(rp.0, rp.1),
        }
    }

    /// The range of `a`.
    fn a_range(a_bits: usize, a_signed: bool) -> (i64, i64) {
        if a_signed {
            (-(1i64 << (a_bits - 1)), (1i64 << (a_bits - 1)) - 1)
        } else {
            (0, (1i64 << a_bits) - 1)
        }
    }

    /// Bits of `p`: the product's exact two's complement width (16 for a signed byte, 24 for
    /// an unsigned 16-bit `a`).
    pub fn p_bits(&self) -> usize {
        self.p_bits
    }

    /// Bits of the edge-1 registers `h0` and `h1`.
    pub fn stage_bits(&self) -> (usize, usize) {
        (self.h0_bits, self.h1_bits)
    }

    /// The Verilog module's name: `logattn_lutmul{AW}{s|u}x8` (`logattn_lutmul8sx8`,
    /// `logattn_lutmul16ux8`).
    pub fn module_name(&self) -> String {
        format!(
            "logattn_lutmul{}{}x8",
            self.a_bits,
            if self.a_signed { 's' } else { 'u' }
        )
    }

    /// Edge 1 of the model: what the registers `h0`, `h1`, `n3` hold for `a` (in range) and `b`.
    pub fn stage1(a: i64, b: i8) -> BoothStage {
        let bx = (b as u8 as u32) << 1;
        let mut x = [0i64; 4];
        let mut n = [0i64; 4];
        for i in 0..4 {
            let s = (bx >> (2 * i)) & 7;
            let d = [0, 1, 1, 2, -2, -1, -1, 0][s as usize];
            n[i] = i64::from(s >= 4 && s != 7);
            // The row: d a, one's complemented if negative (d a - 1).
            x[i] = d * a - n[i];
        }
        (
            x[0] + 4 * x[1] + n[0],
            4 * x[2] + n[1] + 16 * x[3] + 4 * n[2],
            n[3] == 1,
        )
    }

    /// Edge 2 of the model: `p = h0 + 4 h1 + 64 n3` (= `a * b`).
    pub fn stage2((h0, h1, n3): BoothStage) -> i64 {
        h0 + 4 * h1 + 64 * i64::from(n3)
    }

    /// The Verilog module (ports `clock`, `a` (`a_bits`), `b` (8), `p` ([`Booth::p_bits`]),
    /// `p` two edges after `a`, `b`), inside an include guard (`` `ifndef ``
    /// `LOGATTN_LUTMUL...`), so any number of blocks may emit it into one design.
    pub fn definition(&self) -> String {
        let (x, w0, w1, w) = (self.row_bits, self.h0_bits, self.h1_bits, self.p_bits);
        let name = self.module_name();
        let ext = x - self.a_bits;
        let m = if self.a_signed {
            format!("{{{{{ext}{{a[{}]}}}}, a}}", self.a_bits - 1)
        } else {
            format!("{{{ext}'d0, a}}")
        };
        // `name` (`from` bits, two's complement) as `to` bits: sign-extended or truncated (the
        // widths hold the values, so truncation is exact).
        let fit = |name: &str, from: usize, to: usize| -> String {
            if to > from {
                format!("{{{{{}{{{name}[{}]}}}}, {name}}}", to - from, from - 1)
            } else if to < from {
                format!("{name}[{}:0]", to - 1)
            } else {
                name.to_string()
            }
        };
        let mut rows = String::new();
        for i in 0..4 {
            rows += &format!(
                "    wire [2:0] s{i} = bx[{h}:{l}];
    wire z{i} = (s{i} == 3'b000) | (s{i} == 3'b111);
    wire t{i} = (s{i} == 3'b011) | (s{i} == 3'b100);
    wire n{i} = s{i}[2] & ~(s{i}[1] & s{i}[0]);
    wire [{xm}:0] c{i} = m ^ {{{x}{{n{i}}}}};
    wire [{xm}:0] x{i} = z{i} ? {x}'d0 : t{i} ? {{c{i}[{xm1}:0], n{i}}} : c{i};
",
                h = 2 * i + 2,
                l = 2 * i,
                xm = x - 1,
                xm1 = x - 2,
            );
        }
        format!(
            "`ifndef {guard}
`define {guard}
// p = a times b ({a_bits}-bit {kind} a, two's complement byte b, {w}-bit two's complement p), two
// edges after a and b, in LUTs (no multiplier primitive): radix-4 Booth rows of b's digits
// (0, +-a, +-2a, one's complemented when negative, the +1 in the next row), rows 0 + 1 and
// 2 + 3 registered at edge 1, their sum at edge 2.
(* keep_hierarchy *)
module {name}(input wire clock, input wire [{am}:0] a, input wire [7:0] b,
    output reg [{wm}:0] p);
    wire [{xm}:0] m = {m};
    wire [8:0] bx = {{b, 1'b0}};
{rows}    wire [{xm}:0] o0 = x0;
    wire [{x1}:0] o1 = {{x1, 1'b0, n0}};
    wire [{x1}:0] o2 = {{x2, 1'b0, n1}};
    wire [{x3}:0] o3 = {{x3, 1'b0, n2, 2'b0}};
    reg [{w0m}:0] h0;
    reg [{w1m}:0] h1;
    reg n3r;
    wire [{w1p}:0] h1s = {{h1, 2'b0}};
    initial begin
        h0 = {w0}'d0;
        h1 = {w1}'d0;
        n3r = 1'b0;
        p = {w}'d0;
    end
    always @(posedge clock) begin
        h0 <= {f0} + {f1};
        h1 <= {f2} + {f3};
        n3r <= n3;
        p <= {g0} + {g1} + {{{pad}'d0, n3r, 6'd0}};
    end
endmodule
`endif
",
            guard = name.to_uppercase(),
            a_bits = self.a_bits,
            kind = if self.a_signed {
                "two's complement"
            } else {
                "unsigned"
            },
            am = self.a_bits - 1,
            wm = w - 1,
            xm = x - 1,
            x1 = x + 1,
            x3 = x + 3,
            w0m = w0 - 1,
            w1m = w1 - 1,
            w1p = w1 + 1,
            f0 = fit("o0", x, w0),
            f1 = fit("o1", x + 2, w0),
            f2 = fit("o2", x + 2, w1),
            f3 = fit("o3", x + 4, w1),
            g0 = fit("h0", w0, w),
            g1 = fit("h1s", w1 + 2, w),
            pad = w - 7,
        )
    }
}

/// `p = a * b` two clock edges after `a`, `b`, built in LUTs ([`Booth`]): `a` an `AW`-bit
/// two's complement ([`LutMul::signed`]) or unsigned ([`LutMul::unsigned`]) value, `b` a two's
/// complement byte, `p` two's complement, `PW` = [`Booth::p_bits`] bits (16 for a signed byte
/// ([`LutMul8x8`]), 24 for an unsigned 16-bit `a` ([`LutMul16x8`])). The same latency as the
/// DSP multipliers it stands in for (`DotProduct`'s `logattn_mul8x8`, [`super::mul16x8::Mul16x8`]),
/// so the choice between them changes no cycle count.
///
/// Hand-written Verilog leaf (module [`Booth::module_name`], defined under an include guard by
/// every instance), with a Rust `update` twin that mirrors its two registered stages.
///
/// Inputs: `clock`, `a` (`AW` bits), `b` (8 bits, two's complement).
/// Outputs: `p` (`PW` bits, two's complement), two edges after `a`, `b`.
#[derive(LogicBlock)]
pub struct LutMul<const AW: usize, const PW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Multiplicand.
    pub a: Signal<In, Bits<AW>>,
    /// Two's complement byte (Booth-coded).
    pub b: Signal<In, Bits<8>>,
    /// Registered product.
    pub p: Signal<Out, Bits<PW>>,
    _booth: Booth,
    _stage: BoothStage,
}

/// The score unit's product: signed byte x signed byte.
pub type LutMul8x8 = LutMul<8, 16>;
/// The lane's product: unsigned 16-bit weight x signed byte.
pub type LutMul16x8 = LutMul<16, 24>;

impl<const AW: usize, const PW: usize> LutMul<AW, PW> {
    fn with_sign(a_signed: bool) -> Self {
        let booth = Booth::new(AW, a_signed);
        assert!(
            PW == booth.p_bits(),
            "LutMul: PW must be {} for a {AW}-bit {} a, got {PW}",
            booth.p_bits(),
            if a_signed { "signed" } else { "unsigned" }
        );
        Self {
            clock: Default::default(),
            a: Default::default(),
            b: Default::default(),
            p: Default::default(),
            _booth: booth,
            _stage: (0, 0, false),
        }
    }
    /// `a` is two's complement.
    pub fn signed() -> Self {
        Self::with_sign(true)
    }
    /// `a` is unsigned.
    pub fn unsigned() -> Self {
        Self::with_sign(false)
    }
}

impl<const AW: usize, const PW: usize> Logic for LutMul<AW, PW> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let p = Booth::stage2(self._stage) as u64 & ((1u64 << PW) - 1);
            self.p.next = p.into();
            let raw = self.a.val().to_u64();
            let a = if self._booth.a_signed {
                ((raw << (64 - AW)) as i64) >> (64 - AW)
            } else {
                raw as i64
            };
            self._stage = Booth::stage1(a, self.b.val().to_u64() as u8 as i8);
        }
    }
    fn connect(&mut self) {
        self.p.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Wrapper(Wrapper {
            code: format!(
                "{} core(.clock(clock), .a(a), .b(b), .p(p));\n",
                self._booth.module_name()
            ),
            cores: self._booth.definition(),
        })
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

    #[test]
    fn the_model_is_exact_for_every_operand() {
        for a in -128..=127i64 {
            for b in -128..=127i8 {
                assert_eq!(Booth::stage2(Booth::stage1(a, b)), a * b as i64);
            }
        }
        // Every unsigned 16-bit a: all 2^24 pairs.
        for a in 0..65536i64 {
            for b in -128..=127i8 {
                assert_eq!(Booth::stage2(Booth::stage1(a, b)), a * b as i64);
            }
        }
    }

    #[test]
    fn widths_are_the_value_ranges() {
        let s = Booth::new(8, true);
        assert_eq!((s.p_bits(), s.stage_bits()), (16, (11, 13)));
        assert_eq!(s.module_name(), "logattn_lutmul8sx8");
        let u = Booth::new(16, false);
        assert_eq!(u.p_bits(), 24);
        assert_eq!(u.module_name(), "logattn_lutmul16ux8");
        assert_eq!(signed_bits(-128, 127), 8);
        assert_eq!(signed_bits(-129, 0), 9);
        assert_eq!(signed_bits(0, 128), 9);
    }

    #[test]
    fn no_multiplication_operator_in_the_verilog() {
        for b in [Booth::new(8, true), Booth::new(16, false)] {
            let v = b.definition().replace("(* keep_hierarchy *)", "");
            assert!(!v.contains('*'), "{v}");
            assert!(v.starts_with(&format!("`ifndef {}\n", b.module_name().to_uppercase())));
        }
    }

    /// The twin's outputs for per-cycle `[a, b]`.
    fn run_twin<const AW: usize, const PW: usize>(
        mut uut: LutMul<AW, PW>,
        stim: &[Vec<u64>],
    ) -> Vec<Vec<u64>> {
        uut.connect_all();
        stim.iter()
            .map(|s| {
                uut.a.next = s[0].into();
                uut.b.next = s[1].into();
                settle(&mut uut);
                let out = vec![uut.p.val().to_u64()];
                rise(&mut uut, |u| &mut u.clock);
                out
            })
            .collect()
    }

    fn check<const AW: usize, const PW: usize>(
        name: &str,
        make: fn() -> LutMul<AW, PW>,
        stim: &[Vec<u64>],
        signed: bool,
    ) {
        let want = run_twin(make(), stim);
        let mut uut = make();
        uut.connect_all();
        let got = replay(
            name,
            &generate_verilog(&uut),
            "clock",
            &["a", "b"],
            &["p"],
            stim,
        );
        assert_eq!(got.len(), stim.len());
        for (c, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "{name}: cycle {c}");
        }
        // The twin is the product, two edges late.
        let mask = (1u64 << PW) - 1;
        for c in 2..stim.len() {
            let a = if signed {
                stim[c - 2][0] as u8 as i8 as i64
            } else {
                stim[c - 2][0] as i64
            };
            let p = (a * (stim[c - 2][1] as u8 as i8 as i64)) as u64 & mask;
            assert_eq!(want[c][0], p, "{name}: cycle {c}");
        }
    }

    #[test]
    fn signed_8x8_verilog_matches_the_twin_for_every_pair() {
        let mut stim: Vec<Vec<u64>> = (0..65536u64).map(|i| vec![i >> 8, i & 255]).collect();
        stim.extend([vec![0, 0], vec![0, 0]]);
        check("lut_mul8x8", LutMul8x8::signed, &stim, true);
    }

    #[test]
    fn unsigned_16x8_verilog_matches_the_twin() {
        let mut rng = StdRng::seed_from_u64(18);
        let edges = [0u64, 1, 2, 255, 256, 32767, 32768, 65534, 65535];
        let bytes = [0u64, 1, 2, 127, 128, 129, 254, 255];
        let mut stim = vec![];
        for &a in &edges {
            for &b in &bytes {
                stim.push(vec![a, b]);
            }
        }
        for _ in 0..30000 {
            stim.push(vec![rng.gen_range(0..65536), rng.gen_range(0..256)]);
        }
        stim.extend([vec![0, 0], vec![0, 0]]);
        check("lut_mul16x8", LutMul16x8::unsigned, &stim, false);
    }

    #[test]
    fn lints_clean() {
        let mut s = LutMul8x8::signed();
        s.connect_all();
        verilator_lint("lut_mul8x8", &generate_verilog(&s)).unwrap();
        let mut u = LutMul16x8::unsigned();
        u.connect_all();
        verilator_lint("lut_mul16x8", &generate_verilog(&u)).unwrap();
    }

    #[test]
    #[should_panic(expected = "LutMul: PW must be 24 for a 16-bit unsigned a, got 25")]
    fn rejects_a_wrong_product_width() {
        let _ = LutMul::<16, 25>::unsigned();
    }
}
