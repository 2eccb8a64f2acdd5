//! `DotProduct`: the score unit, D signed int8 products and a pipelined adder tree.

use crate::core::lut_mul::Booth;
use crate::core::mult18::registered_product;
use crate::front_end::twin_delay::TwinDelay;
use rust_hdl::prelude::*;

/// `s = sum_l q[l] * k[l]` over D = KW / 8 signed bytes, [`DotProduct::latency`] edges after
/// `k`, with a 16-bit side band (`side_in` -> `side_out`) and `valid` carried alongside.
///
/// Hand-written Verilog leaf (rust-hdl 0.46 has no signed 8 x 8 multiply and no way to build a
/// tree of generic depth), with a Rust `update` twin for rust-hdl's own simulator: inputs
/// registered three times (the key row comes from block RAMs, whose clock-to-out is 5.8 ns on
/// ECP5, far across the die from the multipliers),
/// D registered products (one ECP5 MULT18X18D or DSP48 each, or, chosen per instance with
/// [`DotProduct::with_lut_products`], a radix-4 Booth multiplier in LUTs,
/// [`crate::core::lut_mul::LutMul8x8`], with the same two-edge latency), each registered again
/// in the fabric, then an adder tree registered after every second level and after the last. D must be a power of two.
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
    _lut: usize,
    _guarded: bool,
}

impl<const KW: usize, const SB: usize> DotProduct<KW, SB> {
    /// Tree levels, `log2 D`.
    pub fn levels() -> usize {
        (KW / 8).trailing_zeros() as usize
    }
    /// Edges from `k` to `s`: `5 + ceil(log2(D) / 2)` (three input registers, the product's
    /// two, the adder tree's).
    pub fn latency() -> usize {
        5 + Self::levels().div_ceil(2)
    }
    /// Smallest legal `SB` for D lanes: `log2(D) + 16` (the sum of D products of -128).
    pub fn min_score_bits(d: usize) -> usize {
        d.trailing_zeros() as usize + 16
    }
    /// The same score unit with `n` of its D products built in LUTs (lanes `D - n .. D`,
    /// [`crate::core::lut_mul::LutMul8x8`]'s module `logattn_lutmul8sx8`) and the others in
    /// DSP blocks: the same scores and the same [`DotProduct::latency`] for every `n` in 0..=D
    /// ([`crate::configs::MultiplierSplit`] picks `n` for a part).
    ///
    /// Every multiplier module it instantiates is defined under an include guard (the DSP one
    /// as `logattn_dspmul8x8`, the same circuit as `Default`'s `logattn_mul8x8`), so any number
    /// of score units built this way (the P units of a head, each with its own `n`, 0 for all
    /// DSP) sit in one design, also beside one built by `Default` (whose Verilog is unchanged).
    /// Where a DSP multiplier registers its operands, a LUT one registers its Booth rows' two
    /// partial sums (its logic can sit anywhere, so no route crosses the die to it); at D = 64
    /// with all products in LUTs the unit reaches 157.6 MHz on the ECP5-85F out of context
    /// (all in DSPs: 125.9; `docs/data/synthesis.json`, `lut_multipliers_ecp5`).
    /// Panics unless `n <= D`.
    pub fn with_lut_products(mut self, n: usize) -> Self {
        let d = KW / 8;
        assert!(
            n <= d,
            "DotProduct: the products built in LUTs must be 0..=D (D = {d}), got {n}"
        );
        self._lut = n;
        self._guarded = true;
        self
    }
    /// How many of the D products are built in LUTs.
    pub fn lut_products(&self) -> usize {
        self._lut
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
            _lut: 0,
            _guarded: false,
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
        // Three input registers: the key row crosses the die from the block RAMs to the
        // multipliers, so the distance is split over three cycles (with two, the static
        // placer put the first 50 columns from the block RAM on the ECP5-85F at P = 4: 16 ns
        // of routing). The third, and the product register, sit in a small
        // `keep_hierarchy` module per lane, which keeps each multiplier's registers beside it
        // in placement. Each product is registered again in the fabric (`t0_l`) before the
        // adder tree: a MULT18X18D's output otherwise crossed the die into its first adder
        // (8.4 ns of routing at P = 4).
        let mut decl = format!("reg [{m}:0] qr0, kr0, qr1, kr1;\n", m = KW - 1);
        let mut seq =
            String::from("    qr0 <= q;\n    kr0 <= k;\n    qr1 <= qr0;\n    kr1 <= kr0;\n");
        let mut comb = String::new();
        // Lanes D - n .. D multiply in LUTs; the module names are `Default`'s unless the
        // definitions are guarded (see `with_lut_products`).
        let booth = Booth::new(8, true);
        let dsp = if self._guarded {
            "logattn_dspmul8x8"
        } else {
            "logattn_mul8x8"
        };
        let lut = booth.module_name();
        for l in 0..d {
            decl += &format!("wire signed [15:0] p_{l};\nreg signed [15:0] t0_{l};\n");
            seq += &format!("    t0_{l} <= p_{l};\n");
            comb += &format!(
                "{m} mul_{l}(.clock(clock), .a(qr1[{h}:{lo}]), .b(kr1[{h}:{lo}]), .p(p_{l}));\n",
                m = if l >= d - self._lut { &lut } else { dsp },
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
        // The DSP product: its operand and product registers in the MULT18X18D on ECP5
        // (`crate::core::mult18`), in the fabric beside it elsewhere.
        let generic = "    reg [7:0] ar, br;
    reg signed [15:0] pr;
    always @(posedge clock) begin
        ar <= a;
        br <= b;
        pr <= $signed(ar) * $signed(br);
    end
    assign p = pr;
";
        let cores = format!(
            "
(* keep_hierarchy *)
module logattn_mul8x8(input wire clock, input wire [7:0] a, input wire [7:0] b,
                      output wire signed [15:0] p);
{}endmodule
",
            registered_product("m", ("a", 8, true), ("b", 8, true), "p", 16, generic)
        );
        let cores = if !self._guarded {
            // Under an include guard too: the units of a design built differently around the
            // same score unit (a head's P units in a link design) may each carry it.
            format!("\n`ifndef LOGATTN_MUL8X8\n`define LOGATTN_MUL8X8{cores}`endif\n")
        } else {
            let mut guarded = String::new();
            if self._lut < d {
                guarded += &format!(
                    "\n`ifndef LOGATTN_DSPMUL8X8\n`define LOGATTN_DSPMUL8X8{}`endif\n",
                    cores
                        .replace("module logattn_mul8x8(", "module logattn_dspmul8x8(")
                        .replace(
                            "\n                      output",
                            "\n                         output"
                        )
                );
            }
            if self._lut > 0 {
                guarded += &format!("\n{}", booth.definition());
            }
            guarded
        };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::mult18;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{pack, rise, settle};
    use crate::verify::verilator_replay::replay;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// A random byte, half the time an edge value.
    fn byte(rng: &mut StdRng) -> u64 {
        if rng.gen_bool(0.5) {
            [0x80, 0x81, 0xff, 0, 1, 0x7f][rng.gen_range(0..6)]
        } else {
            rng.gen_range(0..256)
        }
    }

    /// Per cycle `[reset, side_in, valid_in, q words.., k words..]` (64-bit words): a query
    /// row held for a few cycles at a time, a new key row every cycle, rows of all -128 and
    /// all 127 (the extremes of the sum), random valid bits, a reset now and then.
    fn stimulus(kw: usize, cycles: usize, seed: u64) -> Vec<Vec<u64>> {
        let mut rng = StdRng::seed_from_u64(seed);
        let words = kw / 64;
        let row = |rng: &mut StdRng| -> Vec<u64> {
            match rng.gen_range(0..10) {
                0 => vec![0x8080_8080_8080_8080; words],
                1 => vec![0x7f7f_7f7f_7f7f_7f7f; words],
                _ => (0..words)
                    .map(|_| (0..8).fold(0u64, |w, i| w | byte(rng) << (8 * i)))
                    .collect(),
            }
        };
        let mut q = row(&mut rng);
        (0..cycles)
            .map(|c| {
                if rng.gen_bool(0.2) {
                    q = row(&mut rng);
                }
                let mut v = vec![
                    u64::from(c < 2 || rng.gen_bool(0.005)),
                    rng.gen_range(0..65536),
                    u64::from(rng.gen_bool(0.8)),
                ];
                v.extend(&q);
                v.extend(row(&mut rng));
                v
            })
            .collect()
    }

    /// The twin's `[s, side_out, valid_out]` per cycle.
    fn run_twin<const KW: usize, const SB: usize>(stim: &[Vec<u64>]) -> Vec<Vec<u64>> {
        let words = KW / 64;
        let mut uut = DotProduct::<KW, SB>::default();
        uut.connect_all();
        stim.iter()
            .map(|s| {
                uut.reset.next = s[0] == 1;
                uut.side_in.next = s[1].into();
                uut.valid_in.next = s[2] == 1;
                uut.q.next = pack::<KW>(&s[3..3 + words], 64);
                uut.k.next = pack::<KW>(&s[3 + words..3 + 2 * words], 64);
                settle(&mut uut);
                let out = vec![
                    uut.s.val().to_u64(),
                    uut.side_out.val().to_u64(),
                    u64::from(uut.valid_out.val()),
                ];
                rise(&mut uut, |u| &mut u.clock);
                out
            })
            .collect()
    }

    /// One Verilog file holding a score unit per entry of `splits` (`None`: `Default`; `Some(n)`:
    /// `with_lut_products(n)`), as modules `dut{i}`, under a top taking q and k as 64-bit words
    /// `q{w}`, `k{w}` and giving `s{i}`, `side{i}`, `valid{i}`.
    fn side_by_side<const KW: usize, const SB: usize>(splits: &[Option<usize>]) -> String {
        let words = KW / 64;
        let mut units = String::new();
        let mut ports = String::from(
            "input wire clock, input wire reset, input wire [15:0] side_in, input wire valid_in",
        );
        for w in 0..words {
            ports += &format!(", input wire [63:0] q{w}, input wire [63:0] k{w}");
        }
        let cat = |x: char| {
            (0..words)
                .rev()
                .map(|w| format!("{x}{w}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut body = format!(
            "wire [{m}:0] q = {{{}}};\nwire [{m}:0] k = {{{}}};\n",
            cat('q'),
            cat('k'),
            m = KW - 1
        );
        for (i, split) in splits.iter().enumerate() {
            let mut uut = match split {
                None => DotProduct::<KW, SB>::default(),
                Some(n) => DotProduct::<KW, SB>::default().with_lut_products(*n),
            };
            uut.connect_all();
            units += &generate_verilog(&uut).replace("module top(", &format!("module dut{i}("));
            ports += &format!(
                ", output wire [{}:0] s{i}, output wire [15:0] side{i}, output wire valid{i}",
                SB - 1
            );
            body += &format!(
                "dut{i} u{i}(.clock(clock), .reset(reset), .q(q), .k(k), .side_in(side_in), .valid_in(valid_in), .s(s{i}), .side_out(side{i}), .valid_out(valid{i}));\n"
            );
        }
        format!("module top({ports});\n{body}endmodule\n{units}")
    }

    /// Every split's Verilog gives the twin's outputs (so the same scores, side band and valid
    /// bits on the same cycles) under Verilator.
    /// `ecp5`: the Verilog as emitted for an ECP5 part (the DSP products' registers in the
    /// MULT18X18D, [`crate::core::mult18`]), with the primitive's behavioural model.
    fn splits_match_the_twin<const KW: usize, const SB: usize>(
        name: &str,
        splits: &[Option<usize>],
        cycles: usize,
        ecp5: bool,
    ) {
        let words = KW / 64;
        let stim = stimulus(KW, cycles, KW as u64);
        let want = run_twin::<KW, SB>(&stim);
        // Scores reach both extremes of the sum.
        let d = (KW / 8) as i64;
        let signed = |x: u64| ((x << (64 - SB)) as i64) >> (64 - SB);
        assert!(want.iter().any(|o| signed(o[0]) == d * 128 * 128));
        assert!(want.iter().any(|o| signed(o[0]) == -d * 127 * 128));
        let mut vlog = side_by_side::<KW, SB>(splits);
        if ecp5 {
            vlog = format!(
                "{}{vlog}{}",
                mult18::ecp5_prelude(),
                mult18::mult18x18d_model()
            );
            verilator_lint(name, &vlog).unwrap();
            assert_eq!(vlog.matches("MULT18X18D #(").count(), 1 + splits.len());
        }
        let mut inputs = vec!["reset".to_string(), "side_in".into(), "valid_in".into()];
        inputs.extend((0..words).map(|w| format!("q{w}")));
        inputs.extend((0..words).map(|w| format!("k{w}")));
        let outputs: Vec<String> = (0..splits.len())
            .flat_map(|i| [format!("s{i}"), format!("side{i}"), format!("valid{i}")])
            .collect();
        let inputs: Vec<&str> = inputs.iter().map(|s| s.as_str()).collect();
        let outputs: Vec<&str> = outputs.iter().map(|s| s.as_str()).collect();
        let got = replay(name, &vlog, "clock", &inputs, &outputs, &stim);
        assert_eq!(got.len(), stim.len());
        let lat = DotProduct::<KW, SB>::latency();
        for (c, (g, w)) in got.iter().zip(&want).enumerate() {
            for (i, split) in splits.iter().enumerate() {
                let o = &g[3 * i..3 * i + 3];
                // The valid bits always; the score and side band where valid (the twin's
                // reset clears its data pipeline, the Verilog's only the valid bits).
                assert_eq!(o[2], w[2], "{name} {split:?}: valid, cycle {c}");
                if w[2] == 1 {
                    assert_eq!(o, &w[..], "{name} {split:?}: cycle {c}");
                }
                // Once its pipeline holds inputs, every split is the all-DSP Verilog exactly.
                if c >= lat {
                    assert_eq!(
                        o,
                        &g[0..3],
                        "{name} {split:?} vs {:?}: cycle {c}",
                        splits[0]
                    );
                }
            }
        }
    }

    #[test]
    fn every_split_is_bit_exact_and_on_time_at_d8() {
        splits_match_the_twin::<64, 19>(
            "dot_d8",
            &[None, Some(0), Some(1), Some(3), Some(7), Some(8)],
            4000,
            false,
        );
    }

    #[test]
    fn every_split_is_bit_exact_and_on_time_at_d64() {
        splits_match_the_twin::<512, 22>("dot_d64", &[None, Some(64), Some(37)], 1500, false);
    }

    #[test]
    fn the_ecp5_text_is_bit_exact_and_on_time() {
        splits_match_the_twin::<64, 19>("dot_d8_ecp5", &[None, Some(3)], 3000, true);
        splits_match_the_twin::<512, 22>("dot_d64_ecp5", &[Some(0), Some(37)], 1000, true);
    }

    #[test]
    fn default_is_the_all_dsp_original_and_splits_define_guarded_modules() {
        let vlog = |uut: &mut DotProduct<256, 21>| {
            uut.connect_all();
            generate_verilog(uut)
        };
        let all_dsp = vlog(&mut DotProduct::default());
        assert_eq!(all_dsp.matches("logattn_mul8x8 mul_").count(), 32);
        assert_eq!(all_dsp.matches("module logattn_mul8x8(").count(), 1);
        assert!(all_dsp.contains("`ifndef LOGATTN_MUL8X8\n") && !all_dsp.contains("lutmul"));
        // Two units' definitions in one file define the module once.
        let twice = format!(
            "{}{}",
            all_dsp.replace("module top(", "module top_a("),
            all_dsp.replace("module top(", "module top_b(")
        );
        verilator_lint("dot_d32_twice", &format!("{twice}module top; endmodule\n")).unwrap();
        let zero = vlog(&mut DotProduct::default().with_lut_products(0));
        assert_eq!(zero.matches("logattn_dspmul8x8 mul_").count(), 32);
        assert!(!zero.contains("lutmul") && zero.contains("`ifndef LOGATTN_DSPMUL8X8"));
        let some = vlog(&mut DotProduct::default().with_lut_products(5));
        assert_eq!(some.matches("logattn_dspmul8x8 mul_").count(), 27);
        assert_eq!(some.matches("logattn_lutmul8sx8 mul_").count(), 5);
        assert!(some.contains("logattn_lutmul8sx8 mul_31("));
        let mut all = DotProduct::<256, 21>::default().with_lut_products(32);
        assert_eq!(all.lut_products(), 32);
        let all = vlog(&mut all);
        assert_eq!(all.matches("logattn_lutmul8sx8 mul_").count(), 32);
        assert!(!all.contains("dspmul"));
        for (n, v) in [(0, &zero), (5, &some), (32, &all)] {
            verilator_lint(&format!("dot_d32_lut{n}"), v).unwrap();
        }
    }

    #[test]
    #[should_panic(
        expected = "DotProduct: the products built in LUTs must be 0..=D (D = 64), got 65"
    )]
    fn rejects_more_lut_products_than_d() {
        let _ = DotProduct::<512, 22>::default().with_lut_products(65);
    }
}
