//! `Mul16x8`: pipelined 16-bit unsigned x 8-bit signed multiplier, sign-extended to E bits.

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
/// placeholder).
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
        let cores = if self._define_core {
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
        Verilog::Wrapper(Wrapper {
            code: format!("logattn_mul16x8_{E} core(.clock(clock), .w(w), .v(v), .p(p));\n"),
            cores,
        })
    }
}
