//! What is on each board, whatever design it carries (as Amaranth's platform resources): the
//! FPGA, its oscillator, its pins (the shell), the host link, the constraints file and the place
//! and route options. What is built on a board is in [`mod@super::designs`].

use crate::io::uart_rx::{baud_error, MAX_BAUD_ERROR, MAX_CLOCKS_PER_BIT, MIN_CLOCKS_PER_BIT};

/// FPGA family: which PLL primitive, synthesis script and place-and-route tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// Lattice ECP5 (EHXPLLL; yosys `synth_ecp5`, nextpnr-ecp5, ecppack).
    Ecp5,
    /// Lattice iCE40 (SB_PLL40_CORE; yosys `synth_ice40`, nextpnr-ice40, icepack).
    Ice40,
    /// Xilinx 7-series (no PLL: the design runs on the host interface's clock; yosys
    /// `synth_xilinx -family xc7` for a resource estimate, `scripts/xc7_estimate.sh`; bitstreams
    /// only with Vivado, behind hdl's `xem7010` feature: no open place and route here).
    Xilinx7,
}

/// Which board shell carries the design (the pin names differ from board to board).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    /// [`super::ulx3s_top::Ulx3sTop`]: `clk_25mhz`, `ftdi_txd` (in), `ftdi_rxd` (out), `btn[6:0]`, `led[7:0]`,
    /// `wifi_gpio0`.
    Ulx3s,
    /// [`super::alchitry_cu_top::AlchitryCuTop`]: `clk`, `rst_n`, `usb_rx` (in), `usb_tx` (out), `led[7:0]`.
    AlchitryCu,
    /// [`super::xem7010_top::Xem7010Top`]: `hi_in[7:0]`, `hi_out[1:0]`, `hi_inout[15:0]`, `hi_aa`, `hi_muxsel`,
    /// `led[7:0]`.
    Xem7010,
}

/// How the host reaches a board.
#[derive(Clone, Debug, PartialEq)]
pub enum HostLink {
    /// A USB UART: the designs are [`super::BoardDesign`]s (`rx`, `tx`).
    Uart(UartSpec),
    /// Opal Kelly FrontPanel: the link design behind pipes
    /// ([`crate::link::frontpanel_link::FrontPanelLink`]).
    FrontPanel(FrontPanelSpec),
}

/// A board's USB UART.
#[derive(Clone, Debug, PartialEq)]
pub struct UartSpec {
    /// The USB UART chip.
    pub chip: &'static str,
    /// The FTDI chip's baud-rate base: it makes `base / d` for d = 1, 1.5 and n + k/8 (n >= 2,
    /// k = 0..7); the base is also its highest rate.
    pub base_hz: u64,
    /// Receive FIFO RAM bytes (one block RAM).
    pub rx_fifo_depth: usize,
}

/// A board's FrontPanel host interface (endpoints: `crate::link::frontpanel_link::EP_*`).
#[derive(Clone, Debug, PartialEq)]
pub struct FrontPanelSpec {
    /// The USB bus and bridge chip.
    pub bus: &'static str,
    /// Words (16 bits) in each of the pipe FIFOs ([`crate::io::pipe_bridge::PipeBridge`]).
    pub fifo_words: usize,
}

/// A board's resources.
#[derive(Clone, Debug, PartialEq)]
pub struct Resources {
    /// Short name (`--board`), also the bitstream directory.
    pub name: &'static str,
    /// The board's pins.
    pub shell: Shell,
    /// FPGA family.
    pub family: Family,
    /// The FPGA.
    pub device: &'static str,
    /// Its package.
    pub package: &'static str,
    /// The FPGA's hardware multipliers (ECP5-85F: 156 MULT18X18D; XC7A50T: 120 DSP48E1;
    /// iCE40-HX8K: none). yosys maps each of the design's products (a `*` of at most 18 x 18
    /// bits) to one (on the ECP5 it cannot use the MULT9X9D halves);
    /// [`crate::configs::MultiplierSplit`] builds the rest in LUTs.
    pub dsp_blocks: usize,
    /// The board oscillator (on the XEM7010: the host interface's clock, `hi_in[0]`), Hz.
    pub clock_in_hz: u64,
    /// A system oscillator a link design's own clock is made from
    /// ([`super::DesignSpec::head_clock_hz`]), Hz: the XEM7010's 200 MHz LVDS oscillator
    /// (`sys_clkp` / `sys_clkn`, pins K4 / J4); `None` on the UART boards.
    pub sys_clock_hz: Option<u64>,
    /// How the host reaches the board.
    pub host: HostLink,
    /// The constraints file, relative to the repository root.
    pub constraints: &'static str,
    /// nextpnr's device, package, placer and router options (the constraints option is added
    /// by the flow); empty where there is no open place and route (Xilinx 7-series).
    pub nextpnr_args: &'static [&'static str],
    /// The board's power while computing, W: an assumption, not a measurement (no board has
    /// run here), for energy projections. The ULX3S and the Alchitry Cu are powered from USB
    /// 2.0 (at most 2.5 W), the XEM7010 from its own supply.
    pub assumed_power_w: f64,
}

/// The board names [`board_resources`] knows.
pub const BOARDS: [&str; 3] = ["ulx3s", "alchitry_cu", "xem7010"];

/// The resources of the board called `name` ([`BOARDS`]), or `None`.
///
/// - `ulx3s`: ULX3S (v2.x/3.0.x) with an LFE5U-85F; 25 MHz oscillator; FT231X USB UART (3 Mbaud
///   at most); nextpnr's static (electrostatic) placer and router1. With the default HeAP
///   placer the D = 64 `core` design routed only with some seeds (36.3 MHz against 30 at seed
///   6, 2026-12-06) and not at all after the scanner's intake register (seeds 6-10: router2
///   stuck at 450-2,400 overused wires); the static placer routes it in about 5 minutes at
///   55.9 MHz, and the `link` design's head at 71.3 MHz against 65.1 (same netlists, seed 1).
///   With HeAP, router1 needed over an hour for the D = 64 designs; after the static placer,
///   router2 was kept until 2026-12-07, when router1 routed the same placement of the `link`
///   design (seed 3) with its head clock at 95.3 MHz, where router2 gave 71.8.
/// - `alchitry_cu`: Alchitry Cu with an iCE40-HX8K; 100 MHz oscillator; FT2232H USB UART.
/// - `xem7010`: Opal Kelly XEM7010 with an XC7A50T-1FGG484; FrontPanel over USB 2.0 (Cypress
///   FX2), whose host interface clock `ti_clk` (48 MHz) clocks the pipes; a 200 MHz LVDS
///   system oscillator for the link design's own clock; pipe FIFOs of 4096 words each way. No open place and route: a resource estimate with yosys
///   (`scripts/xc7_estimate.sh`), the bitstream with Vivado (hdl's `xem7010` feature).
pub fn board_resources(name: &str) -> Option<Resources> {
    match name {
        "ulx3s" => Some(Resources {
            name: "ulx3s",
            shell: Shell::Ulx3s,
            family: Family::Ecp5,
            device: "LFE5U-85F",
            package: "CABGA381",
            dsp_blocks: 156,
            clock_in_hz: 25_000_000,
            sys_clock_hz: None,
            host: HostLink::Uart(UartSpec {
                chip: "FTDI FT231X",
                base_hz: 3_000_000,
                rx_fifo_depth: 2048,
            }),
            constraints: "constraints/ulx3s_v20.lpf",
            nextpnr_args: &[
                "--85k",
                "--package",
                "CABGA381",
                "--placer",
                "static",
                "--router",
                "router1",
            ],
            assumed_power_w: 1.0,
        }),
        "alchitry_cu" => Some(Resources {
            name: "alchitry_cu",
            shell: Shell::AlchitryCu,
            family: Family::Ice40,
            device: "iCE40-HX8K",
            package: "CB132",
            dsp_blocks: 0,
            clock_in_hz: 100_000_000,
            sys_clock_hz: None,
            host: HostLink::Uart(UartSpec {
                chip: "FTDI FT2232H",
                base_hz: 12_000_000,
                rx_fifo_depth: 512,
            }),
            constraints: "constraints/alchitry_cu.pcf",
            nextpnr_args: &["--hx8k", "--package", "cb132"],
            assumed_power_w: 0.5,
        }),
        "xem7010" => Some(Resources {
            name: "xem7010",
            shell: Shell::Xem7010,
            family: Family::Xilinx7,
            device: "XC7A50T-1",
            package: "FGG484",
            dsp_blocks: 120,
            clock_in_hz: 48_000_000,
            sys_clock_hz: Some(200_000_000),
            host: HostLink::FrontPanel(FrontPanelSpec {
                bus: "USB 2.0 (Cypress FX2), Opal Kelly FrontPanel",
                fifo_words: 4096,
            }),
            constraints: "constraints/xem7010.xdc",
            nextpnr_args: &[],
            assumed_power_w: 2.5,
        }),
        _ => None,
    }
}

/// The rates an FTDI chip with baud base `base_hz` makes that are whole numbers of baud,
/// highest first: `base / d` for d = 1, 1.5 and n + k/8 with n in 2..16384, k in 0..8.
pub fn ftdi_rates(base_hz: u64) -> Vec<u64> {
    // In eighths: d8 = 8 d.
    let mut d8: Vec<u64> = vec![8, 12];
    d8.extend(16..(16384 * 8));
    d8.into_iter()
        .filter(|d| (base_hz * 8) % d == 0)
        .map(|d| base_hz * 8 / d)
        .collect()
}

/// The highest rate of an FTDI chip with baud base `uart_base_hz` ([`ftdi_rates`]) that a
/// UART on a `clock_hz` clock makes within 1% with 8..=65535 clocks per bit (what
/// [`crate::io::uart_rx::UartRx::new`] accepts), or `None`.
pub fn best_baud(clock_hz: u64, uart_base_hz: u64) -> Option<u64> {
    ftdi_rates(uart_base_hz).into_iter().find(|&b| {
        let p = (clock_hz + b / 2) / b;
        (MIN_CLOCKS_PER_BIT..=MAX_CLOCKS_PER_BIT).contains(&p)
            && baud_error(clock_hz, b).abs() < MAX_BAUD_ERROR
    })
}
