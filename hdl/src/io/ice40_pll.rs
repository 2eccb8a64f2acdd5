//! `Ice40Pll`: the Lattice iCE40 SB_PLL40_CORE primitive, set up for one output clock.

use crate::io::ecp5_pll::PLL_TOLERANCE;
use rust_hdl::prelude::*;

/// The SB_PLL40_CORE setting (SIMPLE feedback) as IceStorm's `icepll` computes it:
/// `f_pfd = f_in / (DIVR + 1)`, `f_vco = f_pfd * (DIVF + 1)`, `f_out = f_vco / 2^DIVQ`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ice40PllParams {
    /// Reference divider, 0..=15.
    pub divr: u32,
    /// Feedback divider, 0..=127.
    pub divf: u32,
    /// Output divider (a power of two), 1..=6.
    pub divq: u32,
    /// Loop filter setting for the PFD frequency, 1..=6.
    pub filter_range: u32,
    /// Output frequency, MHz.
    pub out_mhz: f64,
}

/// Input clock range, MHz.
pub const ICE40_PLL_IN_MHZ: (f64, f64) = (10.0, 133.0);
/// Output clock range, MHz.
pub const ICE40_PLL_OUT_MHZ: (f64, f64) = (16.0, 275.0);
/// PFD range, MHz.
const PFD_MHZ: (f64, f64) = (10.0, 133.0);
/// VCO range, MHz.
const VCO_MHZ: (f64, f64) = (533.0, 1066.0);

/// The SB_PLL40_CORE setting closest to `out_hz` from `in_hz` with SIMPLE feedback: the search
/// of IceStorm's `icepll` (`analyze`: the same loops, limits and first-best rule, in double
/// precision), so its output matches the tool's for the same arguments in MHz. `None` if no
/// setting keeps the PFD and VCO in range.
pub fn ice40_pll_params(in_hz: u64, out_hz: u64) -> Option<Ice40PllParams> {
    let (fin, fout_req) = (in_hz as f64 / 1e6, out_hz as f64 / 1e6);
    let mut best: Option<Ice40PllParams> = None;
    for divr in 0..=15u32 {
        let f_pfd = fin / (divr + 1) as f64;
        if !(PFD_MHZ.0..=PFD_MHZ.1).contains(&f_pfd) {
            continue;
        }
        for divf in 0..=127u32 {
            let f_vco = f_pfd * (divf + 1) as f64;
            if !(VCO_MHZ.0..=VCO_MHZ.1).contains(&f_vco) {
                continue;
            }
            for divq in 1..=6u32 {
                let fout = f_vco * (-(divq as f64)).exp2();
                if best.is_none_or(|b| (fout - fout_req).abs() < (b.out_mhz - fout_req).abs()) {
                    let filter_range = match f_pfd {
                        f if f < 17.0 => 1,
                        f if f < 26.0 => 2,
                        f if f < 44.0 => 3,
                        f if f < 66.0 => 4,
                        f if f < 101.0 => 5,
                        _ => 6,
                    };
                    best = Some(Ice40PllParams {
                        divr,
                        divf,
                        divq,
                        filter_range,
                        out_mhz: fout,
                    });
                }
            }
        }
    }
    best
}

/// An iCE40 SB_PLL40_CORE generating `clock_out` (PLLOUTCORE) from `clock_in` (REFERENCECLK,
/// from the fabric or a global buffer), SIMPLE feedback, dividers from [`ice40_pll_params`].
///
/// Black-box wrapper (`Verilog::Wrapper`): the instance only, because yosys' `synth_ice40`
/// supplies SB_PLL40_CORE from its cell library; lint and simulate it with
/// [`SB_PLL40_CORE_STAND_IN`] appended. The Rust `update` twin passes the clock through and is
/// always locked.
///
/// Inputs: `clock_in`.
/// Outputs: `clock_out`; `locked` (the PLL's LOCK, asynchronous to `clock_out`).
#[derive(LogicBlock)]
pub struct Ice40Pll {
    /// Reference clock.
    pub clock_in: Signal<In, Clock>,
    /// Generated clock.
    pub clock_out: Signal<Out, Clock>,
    /// The PLL is locked.
    pub locked: Signal<Out, Bit>,
    _in_hz: u64,
    _params: Ice40PllParams,
}

impl Ice40Pll {
    /// A PLL making `out_hz` from `in_hz`. Panics unless the input is in 10..=133 MHz, the
    /// output in 16..=275 MHz, and the closest setting is within 0.5% of `out_hz`.
    pub fn new(in_hz: u64, out_hz: u64) -> Self {
        let (fin, fout) = (in_hz as f64 / 1e6, out_hz as f64 / 1e6);
        assert!(
            (ICE40_PLL_IN_MHZ.0..=ICE40_PLL_IN_MHZ.1).contains(&fin),
            "Ice40Pll: the input clock must be in 10..=133 MHz, got {fin} MHz"
        );
        assert!(
            (ICE40_PLL_OUT_MHZ.0..=ICE40_PLL_OUT_MHZ.1).contains(&fout),
            "Ice40Pll: the output clock must be in 16..=275 MHz, got {fout} MHz"
        );
        let p = ice40_pll_params(in_hz, out_hz)
            .unwrap_or_else(|| panic!("Ice40Pll: no SB_PLL40_CORE setting for {fin} MHz in"));
        let achieved = in_hz as f64 * (p.divf + 1) as f64 / ((p.divr + 1) << p.divq) as f64;
        assert!(
            ((achieved - out_hz as f64) / out_hz as f64).abs() <= PLL_TOLERANCE,
            "Ice40Pll: no SB_PLL40_CORE setting gives {fout} MHz from {fin} MHz within 0.5% (closest: {} MHz)",
            achieved / 1e6
        );
        Self {
            clock_in: Default::default(),
            clock_out: Default::default(),
            locked: Default::default(),
            _in_hz: in_hz,
            _params: p,
        }
    }

    /// The divider setting.
    pub fn params(&self) -> Ice40PllParams {
        self._params
    }

    /// The output frequency the dividers give, Hz.
    pub fn achieved_hz(&self) -> f64 {
        let p = self._params;
        self._in_hz as f64 * (p.divf + 1) as f64 / ((p.divr + 1) << p.divq) as f64
    }
}

impl Logic for Ice40Pll {
    fn update(&mut self) {
        self.clock_out.next = self.clock_in.val();
        self.locked.next = true;
    }
    fn connect(&mut self) {
        self.clock_out.connect();
        self.locked.connect();
    }
    fn hdl(&self) -> Verilog {
        let p = self._params;
        Verilog::Wrapper(Wrapper {
            code: format!(
                r#"// SB_PLL40_CORE: {fin} MHz -> {fout:.3} MHz, dividers as IceStorm's icepll.
SB_PLL40_CORE #(
    .FEEDBACK_PATH("SIMPLE"),
    .DIVR(4'd{divr}),
    .DIVF(7'd{divf}),
    .DIVQ(3'd{divq}),
    .FILTER_RANGE(3'd{fr})
) pll (
    .LOCK(locked),
    .RESETB(1'b1),
    .BYPASS(1'b0),
    .REFERENCECLK(clock_in),
    .PLLOUTCORE(clock_out),
    .PLLOUTGLOBAL(),
    .EXTFEEDBACK(1'b0),
    .DYNAMICDELAY(8'd0),
    .LATCHINPUTVALUE(1'b0),
    .SDI(1'b0),
    .SCLK(1'b0),
    .SDO()
);
"#,
                fin = self._in_hz as f64 / 1e6,
                fout = self.achieved_hz() / 1e6,
                divr = p.divr,
                divf = p.divf,
                divq = p.divq,
                fr = p.filter_range,
            ),
            cores: String::new(),
        })
    }
}

/// A stand-in for SB_PLL40_CORE, for Verilator only (lint and simulation; never synthesis,
/// where yosys' cell library provides the primitive): PLLOUTCORE and PLLOUTGLOBAL follow
/// REFERENCECLK, LOCK is high.
pub const SB_PLL40_CORE_STAND_IN: &str = r#"
// Stand-in for the Lattice SB_PLL40_CORE primitive, for lint and simulation: the clock passes, always locked.
module SB_PLL40_CORE #(
    parameter FEEDBACK_PATH = "SIMPLE",
    parameter DELAY_ADJUSTMENT_MODE_FEEDBACK = "FIXED",
    parameter DELAY_ADJUSTMENT_MODE_RELATIVE = "FIXED",
    parameter SHIFTREG_DIV_MODE = 1'b0,
    parameter FDA_FEEDBACK = 4'b0000,
    parameter FDA_RELATIVE = 4'b0000,
    parameter PLLOUT_SELECT = "GENCLK",
    parameter DIVR = 4'b0000,
    parameter DIVF = 7'b0000000,
    parameter DIVQ = 3'b000,
    parameter FILTER_RANGE = 3'b000,
    parameter ENABLE_ICEGATE = 1'b0,
    parameter TEST_MODE = 1'b0,
    parameter EXTERNAL_DIVIDE_FACTOR = 1
) (
    input REFERENCECLK, EXTFEEDBACK, BYPASS, RESETB, LATCHINPUTVALUE, SDI, SCLK,
    input [7:0] DYNAMICDELAY,
    output PLLOUTCORE, PLLOUTGLOBAL, LOCK, SDO
);
    assign PLLOUTCORE = REFERENCECLK;
    assign PLLOUTGLOBAL = REFERENCECLK;
    assign LOCK = 1'b1;
    assign SDO = 1'b0;
endmodule
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;

    fn p(in_hz: u64, out_hz: u64) -> (u32, u32, u32, u32) {
        let r = ice40_pll_params(in_hz, out_hz).unwrap();
        (r.divr, r.divf, r.divq, r.filter_range)
    }

    /// (DIVR, DIVF, DIVQ, FILTER_RANGE) as icepll prints them (outputs seen in public designs:
    /// `icepll -i 100 -o 16` gives 16.016 MHz, `-i 12 -o 25.175` gives 25.125 MHz); 100 -> 60
    /// is the Alchitry Cu board clock here.
    #[test]
    fn search_matches_icepll() {
        assert_eq!(p(100_000_000, 16_000_000), (3, 40, 6, 2));
        assert_eq!(p(100_000_000, 20_000_000), (4, 31, 5, 2));
        assert_eq!(p(100_000_000, 30_000_000), (4, 47, 5, 2));
        assert_eq!(p(48_000_000, 100_000_000), (2, 49, 3, 1));
        assert_eq!(p(12_000_000, 96_000_000), (0, 63, 3, 1));
        assert_eq!(p(12_000_000, 25_175_000), (0, 66, 5, 1));
        assert_eq!(p(100_000_000, 60_000_000), (4, 47, 4, 2));
        let r = ice40_pll_params(100_000_000, 16_000_000).unwrap();
        assert!((r.out_mhz - 16.015_625).abs() < 1e-9);
    }

    #[test]
    fn achieved_frequency_and_verilog() {
        let mut pll = Ice40Pll::new(100_000_000, 60_000_000);
        assert_eq!(pll.achieved_hz(), 60e6);
        assert!((Ice40Pll::new(100_000_000, 16_000_000).achieved_hz() - 16_015_625.0).abs() < 1e-6);
        pll.connect_all();
        let v = generate_verilog(&pll);
        for s in [
            ".DIVR(4'd4)",
            ".DIVF(7'd47)",
            ".DIVQ(3'd4)",
            ".FILTER_RANGE(3'd2)",
        ] {
            assert!(v.contains(s), "missing {s}:\n{v}");
        }
        assert!(
            !v.contains("module SB_PLL40_CORE"),
            "no stand-in in synthesis output"
        );
        verilator_lint("ice40_pll", &format!("{v}{SB_PLL40_CORE_STAND_IN}")).unwrap();
    }

    #[test]
    #[should_panic(
        expected = "Ice40Pll: no SB_PLL40_CORE setting gives 17 MHz from 10 MHz within 0.5%"
    )]
    fn unreachable_output_is_rejected() {
        Ice40Pll::new(10_000_000, 17_000_000);
    }

    #[test]
    #[should_panic(expected = "Ice40Pll: the input clock must be in 10..=133 MHz, got 200 MHz")]
    fn input_out_of_range_is_rejected() {
        Ice40Pll::new(200_000_000, 50_000_000);
    }

    #[test]
    #[should_panic(expected = "Ice40Pll: the output clock must be in 16..=275 MHz, got 8 MHz")]
    fn output_out_of_range_is_rejected() {
        Ice40Pll::new(100_000_000, 8_000_000);
    }
}
