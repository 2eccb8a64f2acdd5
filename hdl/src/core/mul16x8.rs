//! `Mul16x8`: pipelined 16-bit unsigned x 8-bit signed multiplier, sign-extended to E bits.

use crate::core::lut_mul::Booth;
use rust_hdl::prelude::*;

/// `p = w * v` two clock edges after `w`, `v`: `w` unsigned 16-bit, `v` two's complement 8-bit,
/// `p` two's complement `E` bits (`E >= 25`: the exact product needs 25).
///
/// Hand-written Verilog (rust-hdl 0.46 only multiplies 16 x 16 bit values), with a Rust `update`
/// for rust-hdl's own simulator. The Verilog instantiates module `logattn_mul16x8_E`, marked
/// `keep_hierarchy`: it registers `w` and `v` (so synthesis cannot merge the 64 lanes' copies of
/// the broadcast weight into one far-away register), multiplies (one ECP5 MULT18X18D or DSP) and
/// registers the product. The module is defined once per design: by the instance built with
/// `define_core = true` (exactly one per generated design). Built disabled
/// ([`Mul16x8::disabled`]), it emits a constant 0 and no multiplier (the octave lane's
/// placeholder). Built in LUTs ([`Mul16x8::in_luts`]), it instantiates the radix-4 Booth
/// module of [`crate::core::lut_mul::LutMul16x8`] instead (the same latency and results; no
/// DSP block).
///
/// Inputs: `clock`, `w` (16 bits, unsigned), `v` (8 bits, signed).
/// Outputs: `p` (`E` bits, signed), two cycles after `w`, `v`.
#[derive(LogicBlock)]
pub struct Mul16x8<const E: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Unsigned weight.
    pub w: Signal<In, Bits<16>>,
    /// Signed int8.
    pub v: Signal<In, Bits<8>>,
    /// Registered signed product.
    pub p: Signal<Out, Bits<E>>,
    _enabled: bool,
    _define_core: bool,
    _lut: bool,
    _wr: u64,
    _vr: u64,
}

impl<const E: usize> Mul16x8<E> {
    /// A multiplier; `define_core` emits the definition of module `logattn_mul16x8_E` with it
    /// (set it on exactly one instance of a design).
    pub fn new(define_core: bool) -> Self {
        assert!(
            (25..=64).contains(&E),
            "Mul16x8: E must be in 25..=64, got {E}"
        );
        Self {
            clock: Default::default(),
            w: Default::default(),
            v: Default::default(),
            p: Default::default(),
            _enabled: true,
            _define_core: define_core,
            _lut: false,
            _wr: 0,
            _vr: 0,
        }
    }
    /// A placeholder that always outputs 0 and synthesizes to nothing.
    pub fn disabled() -> Self {
        Self {
            _enabled: false,
            ..Self::new(false)
        }
    }
    /// The same multiplier built in LUTs: module `logattn_lutmul16ux8` (radix-4 Booth,
    /// [`crate::core::lut_mul::Booth`]), defined under an include guard by every LUT
    /// instance; `define_core` is kept (the instance still defines `logattn_mul16x8_E` for
    /// the DSP instances). Panics on a disabled multiplier.
    pub fn in_luts(self) -> Self {
        assert!(
            self._enabled,
            "Mul16x8: a disabled multiplier has nothing to build in LUTs"
        );
        Self { _lut: true, ..self }
    }
    /// Whether it is built in LUTs.
    pub fn is_in_luts(&self) -> bool {
        self._lut
    }
}

impl<const E: usize> Logic for Mul16x8<E> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let p = if self._enabled {
                self._wr as i64 * (self._vr as u8 as i8 as i64)
            } else {
                0
            };
            let mask = if E == 64 { u64::MAX } else { (1u64 << E) - 1 };
            self.p.next = ((p as u64) & mask).into();
            self._wr = self.w.val().to_u64();
            self._vr = self.v.val().to_u64();
        }
    }
    fn connect(&mut self) {
        self.p.connect();
    }
    fn hdl(&self) -> Verilog {
        if !self._enabled {
            return Verilog::Custom(format!(
                "// Disabled: w and v are unused (Verilator ignores *unused* names).\nwire _unused = &{{1'b0, w, v}};\ninitial p = {E}'d0;\nalways @(posedge clock) p <= {E}'d0;\n"
            ));
        }
        let booth = Booth::new(16, false);
        let mut cores = if self._define_core {
            format!(
                "
(* keep_hierarchy *)
module logattn_mul16x8_{E}(input wire clock, input wire [15:0] w, input wire [7:0] v,
                            output reg [{m}:0] p);
    reg [15:0] wr;
    reg [7:0] vr;
    initial begin
        wr = 16'd0;
        vr = 8'd0;
        p = {E}'d0;
    end
    always @(posedge clock) begin
        wr <= w;
        vr <= v;
        p <= $signed({{1'b0, wr}}) * $signed(vr);
    end
endmodule
",
                m = E - 1
            )
        } else {
            String::new()
        };
        let code = if self._lut {
            cores += &format!("\n{}", booth.definition());
            format!(
                "wire [{pm}:0] core_p;\n{} core(.clock(clock), .a(w), .b(v), .p(core_p));\nassign p = {{{{{}{{core_p[{pm}]}}}}, core_p}};\n",
                booth.module_name(),
                E - booth.p_bits(),
                pm = booth.p_bits() - 1
            )
        } else {
            format!("logattn_mul16x8_{E} core(.clock(clock), .w(w), .v(v), .p(p));\n")
        };
        Verilog::Wrapper(Wrapper { code, cores })
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

    type M = Mul16x8<33>;

    /// The twin's `p` per cycle for per-cycle `[w, v]`.
    fn run_twin(mut uut: M, stim: &[Vec<u64>]) -> Vec<Vec<u64>> {
        uut.connect_all();
        stim.iter()
            .map(|s| {
                uut.w.next = s[0].into();
                uut.v.next = s[1].into();
                settle(&mut uut);
                let out = vec![uut.p.val().to_u64()];
                rise(&mut uut, |u| &mut u.clock);
                out
            })
            .collect()
    }

    #[test]
    fn dsp_and_lut_multipliers_match_the_twin_in_verilator() {
        let mut rng = StdRng::seed_from_u64(16);
        let mut stim: Vec<Vec<u64>> = vec![];
        for w in [0, 1, 2, 32767, 32768, 65534, 65535] {
            for v in [0, 1, 0x7f, 0x80, 0x81, 0xff] {
                stim.push(vec![w, v]);
            }
        }
        stim.extend((0..5000).map(|_| vec![rng.gen_range(0..65536), rng.gen_range(0..256)]));
        let want = run_twin(M::new(true), &stim);
        let sext = |x: u64| ((x << 31) as i64) >> 31;
        for c in 2..stim.len() {
            let p = stim[c - 2][0] as i64 * (stim[c - 2][1] as u8 as i8 as i64);
            assert_eq!(sext(want[c][0]), p, "cycle {c}");
        }
        for (name, mut uut) in [("dsp", M::new(true)), ("lut", M::new(false).in_luts())] {
            uut.connect_all();
            let v = generate_verilog(&uut);
            assert_eq!(v.contains("logattn_lutmul16ux8 core("), name == "lut");
            verilator_lint(&format!("mul16x8_{name}"), &v).unwrap();
            let got = replay(
                &format!("mul16x8_{name}"),
                &v,
                "clock",
                &["w", "v"],
                &["p"],
                &stim,
            );
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    #[should_panic(expected = "Mul16x8: a disabled multiplier has nothing to build in LUTs")]
    fn a_disabled_multiplier_stays_disabled() {
        let _ = M::disabled().in_luts();
    }
}
