//! The Xilinx 7-series MMCME2_BASE setting for one output clock, and the Verilator stand-ins of
//! the clocking primitives a 7-series shell instantiates.

/// Input (reference) divider range, `DIVCLK_DIVIDE`.
const DIVCLK: std::ops::RangeInclusive<u32> = 1..=106;
/// Feedback multiplier range, `CLKFBOUT_MULT_F` (whole numbers only here).
const MULT: std::ops::RangeInclusive<u32> = 2..=64;
/// Output divider range, `CLKOUT0_DIVIDE_F` (whole numbers only here).
const OUT_DIV: std::ops::RangeInclusive<u32> = 1..=128;
/// PFD range of a -1 speed grade Artix-7, MHz (DS181, MMCM switching characteristics).
const PFD_MHZ: (f64, f64) = (10.0, 450.0);
/// VCO range of a -1 speed grade Artix-7, MHz (DS181).
const VCO_MHZ: (f64, f64) = (600.0, 1200.0);

/// An MMCME2_BASE setting: `f_vco = f_in * mult / divclk`, `f_out = f_vco / out_div`, with
/// CLKFBOUT fed back to CLKFBIN through a BUFG.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Xc7MmcmParams {
    /// `DIVCLK_DIVIDE`.
    pub divclk: u32,
    /// `CLKFBOUT_MULT_F`.
    pub mult: u32,
    /// `CLKOUT0_DIVIDE_F`.
    pub out_div: u32,
    /// `CLKIN1_PERIOD`, ns.
    pub in_period_ns: f64,
    /// The VCO frequency, Hz.
    pub vco_hz: f64,
    /// The output frequency, Hz.
    pub out_hz: f64,
}

/// The whole-number MMCME2_BASE setting that makes `out_hz` from `in_hz` most exactly on a -1
/// Artix-7 (ties: the highest VCO, the lowest jitter), or `None` if the output is not within
/// [`crate::io::ecp5_pll::PLL_TOLERANCE`] of any.
pub fn xc7_mmcm_params(in_hz: u64, out_hz: u64) -> Option<Xc7MmcmParams> {
    let (fin, want) = (in_hz as f64 / 1e6, out_hz as f64 / 1e6);
    let mut best: Option<(f64, Xc7MmcmParams)> = None;
    for divclk in DIVCLK {
        let pfd = fin / divclk as f64;
        if !(PFD_MHZ.0..=PFD_MHZ.1).contains(&pfd) {
            continue;
        }
        for mult in MULT {
            let vco = pfd * mult as f64;
            if !(VCO_MHZ.0..=VCO_MHZ.1).contains(&vco) {
                continue;
            }
            for out_div in OUT_DIV {
                let f = vco / out_div as f64;
                let err = (f - want).abs();
                let better = match best {
                    None => true,
                    Some((e, b)) => err < e - 1e-9 || (err <= e + 1e-9 && vco * 1e6 > b.vco_hz),
                };
                if better {
                    best = Some((
                        err,
                        Xc7MmcmParams {
                            divclk,
                            mult,
                            out_div,
                            in_period_ns: 1e3 / fin,
                            vco_hz: vco * 1e6,
                            out_hz: f * 1e6,
                        },
                    ));
                }
            }
        }
    }
    best.filter(|(e, _)| *e / want <= crate::io::ecp5_pll::PLL_TOLERANCE)
        .map(|(_, p)| p)
}

/// Verilator stand-ins (never for synthesis: Vivado and yosys know the primitives) of the
/// 7-series clocking primitives a shell instantiates: `IBUFDS` (passes `I`), `BUFG` (passes
/// `I`) and `MMCME2_BASE` (`CLKOUT0` is `CLKIN1`, `LOCKED` high: a simulation clocks the design
/// directly, so only the ports and parameters matter here).
pub const XC7_CLOCK_STAND_INS: &str = "
module IBUFDS #(parameter DIFF_TERM = \"FALSE\", parameter IOSTANDARD = \"DEFAULT\")
    (output wire O, input wire I, input wire IB);
    assign O = I;
    wire _unused = IB;
endmodule

module BUFG(output wire O, input wire I);
    assign O = I;
endmodule

module MMCME2_BASE #(
    parameter BANDWIDTH = \"OPTIMIZED\",
    parameter real CLKFBOUT_MULT_F = 5.0,
    parameter real CLKFBOUT_PHASE = 0.0,
    parameter real CLKIN1_PERIOD = 0.0,
    parameter real CLKOUT0_DIVIDE_F = 1.0,
    parameter real CLKOUT0_DUTY_CYCLE = 0.5,
    parameter real CLKOUT0_PHASE = 0.0,
    parameter integer DIVCLK_DIVIDE = 1,
    parameter real REF_JITTER1 = 0.0,
    parameter STARTUP_WAIT = \"FALSE\")
    (output wire CLKOUT0, output wire CLKOUT0B, output wire CLKOUT1, output wire CLKOUT1B,
     output wire CLKOUT2, output wire CLKOUT2B, output wire CLKOUT3, output wire CLKOUT3B,
     output wire CLKOUT4, output wire CLKOUT5, output wire CLKOUT6,
     output wire CLKFBOUT, output wire CLKFBOUTB, output wire LOCKED,
     input wire CLKIN1, input wire PWRDWN, input wire RST, input wire CLKFBIN);
    assign CLKOUT0 = CLKIN1;
    assign {CLKOUT0B, CLKOUT1, CLKOUT1B, CLKOUT2, CLKOUT2B, CLKOUT3, CLKOUT3B} = 7'b0;
    assign {CLKOUT4, CLKOUT5, CLKOUT6, CLKFBOUTB} = 4'b0;
    assign CLKFBOUT = CLKIN1;
    assign LOCKED = 1'b1;
    wire _unused = &{1'b0, PWRDWN, RST, CLKFBIN};
endmodule
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_exact_where_they_can_be_and_in_range() {
        // The XEM7010's 200 MHz oscillator to 100 MHz: x 6 = 1,200 MHz (of the exact settings,
        // the highest VCO), divided by 12.
        let p = xc7_mmcm_params(200_000_000, 100_000_000).unwrap();
        assert_eq!((p.divclk, p.mult, p.out_div), (1, 6, 12));
        assert_eq!((p.vco_hz, p.out_hz), (1.2e9, 1e8));
        assert!((p.in_period_ns - 5.0).abs() < 1e-12);
        for out in [
            50_000_000u64,
            75_000_000,
            96_000_000,
            125_000_000,
            150_000_000,
        ] {
            let p = xc7_mmcm_params(200_000_000, out).unwrap();
            assert!(
                (p.out_hz - out as f64).abs() / out as f64 <= 0.005,
                "{out}: {p:?}"
            );
            assert!((600e6..=1200e6).contains(&p.vco_hz), "{out}: {p:?}");
            let pfd = 200.0 / p.divclk as f64;
            assert!((10.0..=450.0).contains(&pfd), "{out}: {p:?}");
            assert_eq!(p.vco_hz, 200e6 / p.divclk as f64 * p.mult as f64);
        }
        // Below the VCO / 128 floor nothing comes close.
        assert_eq!(xc7_mmcm_params(200_000_000, 1_000_000), None);
    }

    #[test]
    fn the_stand_ins_lint_clean() {
        let top = "module top(input wire p, input wire n, output wire o, output wire l);
    wire c, fb, fbb, out0;
    IBUFDS ib(.O(c), .I(p), .IB(n));
    MMCME2_BASE #(.CLKFBOUT_MULT_F(5.0), .CLKIN1_PERIOD(5.0), .CLKOUT0_DIVIDE_F(10.0))
        m(.CLKOUT0(out0), .CLKOUT0B(), .CLKOUT1(), .CLKOUT1B(), .CLKOUT2(), .CLKOUT2B(),
          .CLKOUT3(), .CLKOUT3B(), .CLKOUT4(), .CLKOUT5(), .CLKOUT6(), .CLKFBOUT(fb),
          .CLKFBOUTB(), .LOCKED(l), .CLKIN1(c), .PWRDWN(1'b0), .RST(1'b0), .CLKFBIN(fbb));
    BUFG bf(.O(fbb), .I(fb));
    BUFG bo(.O(o), .I(out0));
endmodule
";
        crate::verify::lint::verilator_lint("xc7_clock", &format!("{top}{XC7_CLOCK_STAND_INS}"))
            .unwrap();
    }
}
