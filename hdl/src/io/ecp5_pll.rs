//! `Ecp5Pll`: the Lattice ECP5 EHXPLLL primitive, set up for one output clock.

use rust_hdl::prelude::*;

/// The EHXPLLL setting for one output on CLKOP with CLKOP feedback, as prjtrellis' `ecppll`
/// computes it: `f_out = f_in * CLKFB_DIV / CLKI_DIV`, `f_vco = f_out * CLKOP_DIV`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ecp5PllParams {
    /// Input (reference) divider, 1..=128.
    pub clki_div: u32,
    /// Feedback divider, 1..=80.
    pub clkfb_div: u32,
    /// Output divider, 1..=128.
    pub clkop_div: u32,
    /// CLKOP coarse phase (VCO cycles), half an output period as `ecppll` rounds it.
    pub clkop_cphase: u32,
    /// VCO frequency, MHz (`ecppll`'s single-precision value).
    pub vco_mhz: f32,
    /// Output frequency, MHz (`ecppll`'s single-precision value).
    pub out_mhz: f32,
}

/// PFD (reference after CLKI_DIV) range, MHz.
const PFD_MHZ: (f32, f32) = (3.125, 400.0);
/// VCO range, MHz.
const VCO_MHZ: (f32, f32) = (400.0, 800.0);
/// Input clock range, MHz.
pub const ECP5_PLL_IN_MHZ: (f64, f64) = (8.0, 400.0);
/// Output clock range, MHz.
pub const ECP5_PLL_OUT_MHZ: (f64, f64) = (10.0, 400.0);
/// The largest relative error between the requested and achieved output clock accepted by
/// [`Ecp5Pll::new`] (and [`crate::io::ice40_pll::Ice40Pll::new`]).
pub const PLL_TOLERANCE: f64 = 0.005;

/// The EHXPLLL setting closest to `out_hz` from `in_hz`: the search of prjtrellis' `ecppll`
/// (`calc_pll_params`, the same loops, limits, single-precision arithmetic and tie-break on the
/// VCO nearest 600 MHz, so its output matches the tool's for the same arguments in MHz).
/// `None` if no divider setting keeps the PFD and VCO in range.
pub fn ecp5_pll_params(in_hz: u64, out_hz: u64) -> Option<Ecp5PllParams> {
    let input = (in_hz as f64 / 1e6) as f32;
    let output = (out_hz as f64 / 1e6) as f32;
    let mut error = f32::MAX;
    let mut best: Option<Ecp5PllParams> = None;
    for clki_div in 1..=128u32 {
        let fpfd = input / clki_div as f32;
        if !(PFD_MHZ.0..=PFD_MHZ.1).contains(&fpfd) {
            continue;
        }
        for clkfb_div in 1..=80u32 {
            for clkop_div in 1..=128u32 {
                let fvco = fpfd * clkfb_div as f32 * clkop_div as f32;
                if !(VCO_MHZ.0..=VCO_MHZ.1).contains(&fvco) {
                    continue;
                }
                let fout = fvco / clkop_div as f32;
                let e = (fout - output).abs();
                let best_vco = best.map_or(0.0, |b| b.vco_mhz);
                if e < error || (e == error && (fvco - 600.0).abs() < (best_vco - 600.0).abs()) {
                    error = e;
                    best = Some(Ecp5PllParams {
                        clki_div,
                        clkfb_div,
                        clkop_div,
                        clkop_cphase: clkop_cphase(fout as f64 * 1e6, fvco),
                        vco_mhz: fvco,
                        out_mhz: fout,
                    });
                }
            }
        }
    }
    best
}

/// CLKOP's coarse phase: half an output period (`fout_hz`) in cycles of the VCO (`fvco_mhz`),
/// computed as ecppll does (a float holding a double, truncated): 25 -> 100 MHz gives 2, not 3.
fn clkop_cphase(fout_hz: f64, fvco_mhz: f32) -> u32 {
    let ns_phase = (1.0 / fout_hz * 0.5) as f32;
    (ns_phase as f64 * (fvco_mhz as f64 * 1e6)) as u32
}

/// CLKOS from a VCO of `vco_hz` for a request of `out_hz`, by ecppll's rule: the divider is
/// the VCO over `out_hz`, truncated. Returns (CLKOS_DIV, the frequency it gives, Hz).
fn clkos_of(vco_hz: f64, out_hz: u64) -> (u32, f64) {
    let div = (vco_hz / out_hz as f64) as u32;
    (div, vco_hz / div.max(1) as f64)
}

/// An ECP5 EHXPLLL generating `clock_out` from `clock_in`, dividers from [`ecp5_pll_params`]
/// (one output, CLKOP, fed back to itself: `FEEDBK_PATH = "CLKOP"`).
///
/// Black-box wrapper (`Verilog::Wrapper`): the instance only, no module definition, because
/// yosys' `synth_ecp5` supplies EHXPLLL from its cell library; lint and simulate it with
/// [`EHXPLLL_STAND_IN`] appended. The Rust `update` twin passes the clock through and is
/// always locked (rust-hdl's simulator counts edges, not time).
///
/// [`Ecp5Pll::with_secondary`] adds a second clock on CLKOS from the same VCO (`f_vco /
/// CLKOS_DIV`, in phase with CLKOP, as `ecppll --clkout1` sets it); without it `clock_out2` is
/// low.
///
/// Inputs: `clock_in`.
/// Outputs: `clock_out`; `clock_out2` (CLKOS); `locked` (the PLL's LOCK, asynchronous to the
/// clocks).
#[derive(LogicBlock)]
pub struct Ecp5Pll {
    /// Reference clock.
    pub clock_in: Signal<In, Clock>,
    /// Generated clock.
    pub clock_out: Signal<Out, Clock>,
    /// The second generated clock (CLKOS), if set up.
    pub clock_out2: Signal<Out, Clock>,
    /// The PLL is locked.
    pub locked: Signal<Out, Bit>,
    _in_hz: u64,
    _params: Ecp5PllParams,
    /// CLKOS_DIV, if CLKOS is used.
    _clkos_div: Option<u32>,
}

impl Ecp5Pll {
    /// A PLL making `out_hz` from `in_hz`. Panics unless the input is in 8..=400 MHz, the
    /// output in 10..=400 MHz, and the closest setting is within 0.5% of `out_hz`.
    pub fn new(in_hz: u64, out_hz: u64) -> Self {
        let (fin, fout) = (in_hz as f64 / 1e6, out_hz as f64 / 1e6);
        assert!(
            (ECP5_PLL_IN_MHZ.0..=ECP5_PLL_IN_MHZ.1).contains(&fin),
            "Ecp5Pll: the input clock must be in 8..=400 MHz, got {fin} MHz"
        );
        assert!(
            (ECP5_PLL_OUT_MHZ.0..=ECP5_PLL_OUT_MHZ.1).contains(&fout),
            "Ecp5Pll: the output clock must be in 10..=400 MHz, got {fout} MHz"
        );
        let p = ecp5_pll_params(in_hz, out_hz)
            .unwrap_or_else(|| panic!("Ecp5Pll: no EHXPLLL setting for {fin} MHz in"));
        let achieved = in_hz as f64 * p.clkfb_div as f64 / p.clki_div as f64;
        assert!(
            ((achieved - out_hz as f64) / out_hz as f64).abs() <= PLL_TOLERANCE,
            "Ecp5Pll: no EHXPLLL setting gives {fout} MHz from {fin} MHz within 0.5% (closest: {} MHz)",
            achieved / 1e6
        );
        Self {
            clock_in: Default::default(),
            clock_out: Default::default(),
            clock_out2: Default::default(),
            locked: Default::default(),
            _in_hz: in_hz,
            _params: p,
            _clkos_div: None,
        }
    }

    /// The same PLL with a second output on CLKOS of `out_hz`: the VCO divided by a whole
    /// number (`ecppll`'s rule: the VCO frequency over `out_hz`, truncated). The first output
    /// keeps its frequency, but its divider may change to move the VCO: of the VCOs in range
    /// (CLKOP's frequency times 1..=128), the one whose CLKOS comes closest to `out_hz`, the
    /// nearest to 600 MHz on a tie (`ecppll`'s tie-break). Panics unless that is within 0.5%
    /// of `out_hz` and CLKOS_DIV is in 1..=128.
    pub fn with_secondary(mut self, out_hz: u64) -> Self {
        let fout = self.achieved_hz();
        let err =
            |clkop_div: u32| (clkos_of(fout * clkop_div as f64, out_hz).1 - out_hz as f64).abs();
        let in_range = |d: &u32| {
            let vco_mhz = fout * *d as f64 / 1e6;
            (VCO_MHZ.0 as f64..=VCO_MHZ.1 as f64).contains(&vco_mhz)
        };
        if let Some(best) = (1..=128u32).filter(in_range).min_by(|&a, &b| {
            err(a).total_cmp(&err(b)).then(
                (fout * a as f64 - 600e6)
                    .abs()
                    .total_cmp(&(fout * b as f64 - 600e6).abs()),
            )
        }) {
            let fvco = (fout * best as f64 / 1e6) as f32;
            self._params.clkop_div = best;
            self._params.vco_mhz = fvco;
            self._params.clkop_cphase = clkop_cphase(fout, fvco);
        }
        let vco = self.vco_hz();
        let (div, got) = clkos_of(vco, out_hz);
        assert!(
            (1..=128).contains(&div),
            "Ecp5Pll: no CLKOS divider makes {} MHz from the {} MHz VCO",
            out_hz as f64 / 1e6,
            vco / 1e6
        );
        assert!(
            ((got - out_hz as f64) / out_hz as f64).abs() <= PLL_TOLERANCE,
            "Ecp5Pll: the {} MHz VCO divides to {} MHz, not {} MHz within 0.5%",
            vco / 1e6,
            got / 1e6,
            out_hz as f64 / 1e6
        );
        self._clkos_div = Some(div);
        self
    }

    /// The VCO's frequency, Hz: CLKOP times its divider (the feedback path is CLKOP).
    fn vco_hz(&self) -> f64 {
        self.achieved_hz() * self._params.clkop_div as f64
    }

    /// The second output's frequency, Hz, if it is set up.
    pub fn achieved_secondary_hz(&self) -> Option<f64> {
        let vco = self.vco_hz();
        self._clkos_div.map(|d| vco / d as f64)
    }

    /// The divider setting.
    pub fn params(&self) -> Ecp5PllParams {
        self._params
    }

    /// The output frequency the dividers give, Hz (`in_hz * CLKFB_DIV / CLKI_DIV`).
    pub fn achieved_hz(&self) -> f64 {
        self._in_hz as f64 * self._params.clkfb_div as f64 / self._params.clki_div as f64
    }
}

impl Logic for Ecp5Pll {
    fn update(&mut self) {
        self.clock_out.next = self.clock_in.val();
        self.clock_out2.next = Clock {
            clk: self._clkos_div.is_some() && self.clock_in.val().clk,
        };
        self.locked.next = true;
    }
    fn connect(&mut self) {
        self.clock_out.connect();
        self.clock_out2.connect();
        self.locked.connect();
    }
    fn hdl(&self) -> Verilog {
        let p = self._params;
        let mhz = |hz: f64| {
            let s = format!("{:.6}", hz / 1e6);
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        };
        Verilog::Wrapper(Wrapper {
            code: format!(
                r#"// EHXPLLL: {fin} MHz -> {fout} MHz (VCO {vco} MHz){second}, dividers as prjtrellis' ecppll.
(* FREQUENCY_PIN_CLKI="{fin}" *) (* FREQUENCY_PIN_CLKOP="{fout}" *){second_attr}
(* ICP_CURRENT="12" *) (* LPF_RESISTOR="8" *) (* MFG_ENABLE_FILTEROPAMP="1" *) (* MFG_GMCREF_SEL="2" *)
EHXPLLL #(
    .PLLRST_ENA("DISABLED"),
    .INTFB_WAKE("DISABLED"),
    .STDBY_ENABLE("DISABLED"),
    .DPHASE_SOURCE("DISABLED"),
    .OUTDIVIDER_MUXA("DIVA"),
    .OUTDIVIDER_MUXB("DIVB"),
    .OUTDIVIDER_MUXC("DIVC"),
    .OUTDIVIDER_MUXD("DIVD"),
    .CLKI_DIV({clki}),
    .CLKOP_ENABLE("ENABLED"),
    .CLKOP_DIV({clkop}),
    .CLKOP_CPHASE({cphase}),
    .CLKOP_FPHASE(0),{clkos_params}
    .FEEDBK_PATH("CLKOP"),
    .CLKFB_DIV({clkfb})
) pll (
    .RST(1'b0),
    .STDBY(1'b0),
    .CLKI(clock_in),
    .CLKOP(clock_out),
    .CLKOS({clkos_port}),
    .CLKOS2(),
    .CLKOS3(),
    .CLKFB(clock_out),
    .CLKINTFB(),
    .PHASESEL0(1'b0),
    .PHASESEL1(1'b0),
    .PHASEDIR(1'b1),
    .PHASESTEP(1'b1),
    .PHASELOADREG(1'b1),
    .PLLWAKESYNC(1'b0),
    .ENCLKOP(1'b0),
    .ENCLKOS(1'b0),
    .ENCLKOS2(1'b0),
    .ENCLKOS3(1'b0),
    .LOCK(locked),
    .INTLOCK(),
    .REFCLK()
);
{tie}"#,
                fin = mhz(self._in_hz as f64),
                fout = mhz(self.achieved_hz()),
                vco = mhz(self.vco_hz()),
                clki = p.clki_div,
                clkop = p.clkop_div,
                cphase = p.clkop_cphase,
                clkfb = p.clkfb_div,
                second = self
                    .achieved_secondary_hz()
                    .map_or(String::new(), |f| format!(" and {} MHz", mhz(f))),
                second_attr = self
                    .achieved_secondary_hz()
                    .map_or(String::new(), |f| format!(" (* FREQUENCY_PIN_CLKOS=\"{}\" *)", mhz(f))),
                clkos_params = self._clkos_div.map_or(String::new(), |d| format!(
                    "\n    .CLKOS_ENABLE(\"ENABLED\"),\n    .CLKOS_DIV({d}),\n    .CLKOS_CPHASE({}),\n    .CLKOS_FPHASE(0),",
                    p.clkop_cphase
                )),
                clkos_port = if self._clkos_div.is_some() { "clock_out2" } else { "" },
                tie = if self._clkos_div.is_some() {
                    ""
                } else {
                    "// No second output.\nassign clock_out2 = 1'b0;\n"
                },
            ),
            cores: String::new(),
        })
    }
}

/// A stand-in for EHXPLLL, for Verilator only (lint and simulation; never synthesis, where
/// yosys' cell library provides the primitive): CLKOP and CLKOS follow CLKI, LOCK is high, the
/// other outputs are low.
pub const EHXPLLL_STAND_IN: &str = r#"
// Stand-in for the Lattice EHXPLLL primitive, for lint and simulation: CLKOP = CLKOS = CLKI, always locked.
module EHXPLLL #(
    parameter CLKI_DIV = 1,
    parameter CLKFB_DIV = 1,
    parameter CLKOP_DIV = 8,
    parameter CLKOS_DIV = 8,
    parameter CLKOS2_DIV = 8,
    parameter CLKOS3_DIV = 8,
    parameter CLKOP_ENABLE = "ENABLED",
    parameter CLKOS_ENABLE = "DISABLED",
    parameter CLKOS2_ENABLE = "DISABLED",
    parameter CLKOS3_ENABLE = "DISABLED",
    parameter CLKOP_CPHASE = 0,
    parameter CLKOS_CPHASE = 0,
    parameter CLKOS2_CPHASE = 0,
    parameter CLKOS3_CPHASE = 0,
    parameter CLKOP_FPHASE = 0,
    parameter CLKOS_FPHASE = 0,
    parameter CLKOS2_FPHASE = 0,
    parameter CLKOS3_FPHASE = 0,
    parameter FEEDBK_PATH = "CLKOP",
    parameter OUTDIVIDER_MUXA = "DIVA",
    parameter OUTDIVIDER_MUXB = "DIVB",
    parameter OUTDIVIDER_MUXC = "DIVC",
    parameter OUTDIVIDER_MUXD = "DIVD",
    parameter PLLRST_ENA = "DISABLED",
    parameter PLL_LOCK_MODE = 0,
    parameter PLL_LOCK_DELAY = 200,
    parameter STDBY_ENABLE = "DISABLED",
    parameter REFIN_RESET = "DISABLED",
    parameter SYNC_ENABLE = "DISABLED",
    parameter INT_LOCK_STICKY = "ENABLED",
    parameter DPHASE_SOURCE = "DISABLED",
    parameter INTFB_WAKE = "DISABLED"
) (
    input CLKI, CLKFB, PHASESEL1, PHASESEL0, PHASEDIR, PHASESTEP, PHASELOADREG,
    input STDBY, PLLWAKESYNC, RST, ENCLKOP, ENCLKOS, ENCLKOS2, ENCLKOS3,
    output CLKOP, CLKOS, CLKOS2, CLKOS3, LOCK, INTLOCK, REFCLK, CLKINTFB
);
    assign CLKOP = CLKI;
    assign CLKOS = CLKI;
    assign {CLKOS2, CLKOS3, INTLOCK, REFCLK, CLKINTFB} = 5'd0;
    assign LOCK = 1'b1;
endmodule
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;

    fn p(in_mhz: u64, out_mhz_x10: u64) -> (u32, u32, u32, u32) {
        let r = ecp5_pll_params(in_mhz * 1_000_000, out_mhz_x10 * 100_000).unwrap();
        (r.clki_div, r.clkfb_div, r.clkop_div, r.clkop_cphase)
    }

    /// (CLKI_DIV, CLKFB_DIV, CLKOP_DIV, CLKOP_CPHASE) as ecppll writes them: 25 -> 100 MHz is
    /// the ULX3S classic (CPHASE 2, from ecppll's float truncation); 48 -> 76.8 and 50 -> 75
    /// are ecppll outputs seen in public designs; 25 -> 75 is the ULX3S board clock here.
    #[test]
    fn search_matches_ecppll() {
        assert_eq!(p(25, 1000), (1, 4, 6, 2));
        assert_eq!(p(48, 768), (5, 8, 8, 3));
        assert_eq!(p(50, 750), (2, 3, 8, 4));
        assert_eq!(p(75, 750), (1, 1, 8, 4));
        let r = ecp5_pll_params(25_000_000, 75_000_000).unwrap();
        assert_eq!((r.clki_div, r.clkfb_div, r.clkop_div), (1, 3, 8));
        assert_eq!(r.vco_mhz, 600.0);
    }

    #[test]
    fn achieved_frequency_and_verilog() {
        let mut pll = Ecp5Pll::new(25_000_000, 75_000_000);
        assert_eq!(pll.achieved_hz(), 75e6);
        // 25 MHz -> 33.3 MHz: 100/3, within 0.5%.
        assert!((Ecp5Pll::new(25_000_000, 33_333_333).achieved_hz() - 1e8 / 3.0).abs() < 1.0);
        pll.connect_all();
        let v = generate_verilog(&pll);
        for s in [
            ".CLKI_DIV(1)",
            ".CLKFB_DIV(3)",
            ".CLKOP_DIV(8)",
            ".FEEDBK_PATH(\"CLKOP\")",
            "FREQUENCY_PIN_CLKOP=\"75\"",
        ] {
            assert!(v.contains(s), "missing {s}:\n{v}");
        }
        assert!(
            !v.contains("module EHXPLLL"),
            "no stand-in in synthesis output"
        );
        verilator_lint("ecp5_pll", &format!("{v}{EHXPLLL_STAND_IN}")).unwrap();
    }

    /// The ULX3S link design's clocks until 2026-12-07: 45 MHz on CLKOP for the UART (VCO 585
    /// MHz), 65 MHz on CLKOS for the head (585 / 9), in phase (CLKOS_CPHASE = CLKOP_CPHASE, as
    /// `ecppll --clkout1` writes it); without a second output CLKOS is unconnected and
    /// `clock_out2` low. 70 MHz moves the VCO to 630 MHz (45 x 14 = 70 x 9). The design's
    /// clocks now are 60 and 100 MHz, 600 / 10 and 600 / 6 (`boards::tests`).
    #[test]
    fn a_second_output_divides_the_same_vco() {
        let one = Ecp5Pll::new(25_000_000, 45_000_000);
        assert_eq!(one.achieved_secondary_hz(), None);
        let cphase = one.params().clkop_cphase;
        let mut pll = one.with_secondary(65_000_000);
        assert_eq!(pll.achieved_secondary_hz(), Some(65e6));
        pll.connect_all();
        let v = generate_verilog(&pll);
        for s in [
            ".CLKOP_DIV(13)".to_string(),
            ".CLKOS_ENABLE(\"ENABLED\")".into(),
            ".CLKOS_DIV(9)".into(),
            format!(".CLKOS_CPHASE({cphase})"),
            "FREQUENCY_PIN_CLKOS=\"65\"".into(),
            ".CLKOS(clock_out2)".into(),
        ] {
            assert!(v.contains(&s), "missing {s}:\n{v}");
        }
        verilator_lint("ecp5_pll_two", &format!("{v}{EHXPLLL_STAND_IN}")).unwrap();
        let moved = Ecp5Pll::new(25_000_000, 45_000_000).with_secondary(70_000_000);
        assert_eq!(moved.achieved_hz(), 45e6);
        assert_eq!(moved.achieved_secondary_hz(), Some(70e6));
        assert_eq!(
            (moved.params().clkop_div, moved.params().vco_mhz),
            (14, 630.0)
        );
        let mut single = Ecp5Pll::new(25_000_000, 45_000_000);
        single.connect_all();
        let v = generate_verilog(&single);
        assert!(v.contains(".CLKOS()") && v.contains("assign clock_out2 = 1'b0;"));
        assert!(!v.contains("CLKOS_ENABLE"));
        verilator_lint("ecp5_pll_one", &format!("{v}{EHXPLLL_STAND_IN}")).unwrap();
    }

    #[test]
    #[should_panic(
        expected = "Ecp5Pll: the 405 MHz VCO divides to 101.25 MHz, not 100 MHz within 0.5%"
    )]
    fn a_second_output_off_the_vco_is_rejected() {
        let _ = Ecp5Pll::new(25_000_000, 45_000_000).with_secondary(100_000_000);
    }

    #[test]
    #[should_panic(expected = "Ecp5Pll: no CLKOS divider makes 1 MHz from the 585 MHz VCO")]
    fn a_second_output_below_the_dividers_is_rejected() {
        let _ = Ecp5Pll::new(25_000_000, 45_000_000).with_secondary(1_000_000);
    }

    #[test]
    #[should_panic(expected = "Ecp5Pll: no EHXPLLL setting gives 10 MHz from 8 MHz within 0.5%")]
    fn unreachable_output_is_rejected() {
        Ecp5Pll::new(8_000_000, 10_000_000);
    }

    #[test]
    #[should_panic(expected = "Ecp5Pll: the output clock must be in 10..=400 MHz, got 500 MHz")]
    fn output_out_of_range_is_rejected() {
        Ecp5Pll::new(25_000_000, 500_000_000);
    }

    #[test]
    #[should_panic(expected = "Ecp5Pll: the input clock must be in 8..=400 MHz, got 1 MHz")]
    fn input_out_of_range_is_rejected() {
        Ecp5Pll::new(1_000_000, 50_000_000);
    }
}
