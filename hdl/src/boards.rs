//! The boards: pins, clocks, host link (UART or FrontPanel) and toolchain of each, and the
//! board-top Verilog of a design on a board.
//!
//! A UART board's top is a board shell ([`crate::ulx3s_top::Ulx3sTop`],
//! [`crate::alchitry_cu_top::AlchitryCuTop`]: the board's pins, its PLL and the reset
//! synchronizer) around a design implementing [`BoardDesign`] (ports `clock`, `reset`, `rx`,
//! `tx`, `led`), so any such design goes on any UART board: [`top_verilog`] joins them by name.
//! The XEM7010's top ([`crate::xem7010_top::Xem7010Top`]: Opal Kelly's FrontPanel host
//! interface and endpoints) carries the link design behind its pipes
//! ([`crate::frontpanel_link::FrontPanelLink`]).

use crate::alchitry_cu_top::AlchitryCuTop;
use crate::ecp5_pll::{Ecp5Pll, EHXPLLL_STAND_IN};
use crate::ice40_pll::{Ice40Pll, SB_PLL40_CORE_STAND_IN};
use crate::uart_echo::UartEcho;
use crate::uart_link::{LinkDesign, UartLink};
use crate::uart_rx::{baud_error, MAX_BAUD_ERROR, MAX_CLOCKS_PER_BIT, MIN_CLOCKS_PER_BIT};
use crate::ulx3s_top::Ulx3sTop;
use crate::xem7010_top::Xem7010Top;
use model::frontend::FrontEndParams;
use model::link::DeviceConfig;
use model::{Codebook, CoreParams, Variant};
use rust_hdl::prelude::*;

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
    /// [`Ulx3sTop`]: `clk_25mhz`, `ftdi_txd` (in), `ftdi_rxd` (out), `btn[6:0]`, `led[7:0]`,
    /// `wifi_gpio0`.
    Ulx3s,
    /// [`AlchitryCuTop`]: `clk`, `rst_n`, `usb_rx` (in), `usb_tx` (out), `led[7:0]`.
    AlchitryCu,
    /// [`Xem7010Top`]: `hi_in[7:0]`, `hi_out[1:0]`, `hi_inout[15:0]`, `hi_aa`, `hi_muxsel`,
    /// `led[7:0]`.
    Xem7010,
}

/// How the host reaches a board.
#[derive(Clone, Debug, PartialEq)]
pub enum HostLink {
    /// A USB UART: the designs are [`BoardDesign`]s (`rx`, `tx`).
    Uart(UartSpec),
    /// Opal Kelly FrontPanel: the link design behind pipes
    /// ([`crate::frontpanel_link::FrontPanelLink`]).
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
    /// The UART rate, baud: [`best_baud`] of the design clock and the chip.
    pub baud: u64,
    /// Receive FIFO RAM bytes (one block RAM).
    pub rx_fifo_depth: usize,
}

/// A board's FrontPanel host interface (endpoints: `crate::frontpanel_link::EP_*`).
#[derive(Clone, Debug, PartialEq)]
pub struct FrontPanelSpec {
    /// The USB bus and bridge chip.
    pub bus: &'static str,
    /// Words (16 bits) in each of the pipe FIFOs ([`crate::pipe_bridge::PipeBridge`]).
    pub fifo_words: usize,
}

/// A board: everything the board tops and the bitstream flow (`scripts/bitstream.sh`) need.
#[derive(Clone, Debug, PartialEq)]
pub struct Board {
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
    /// The board oscillator (on the XEM7010: the host interface's clock, `hi_in[0]`), Hz.
    pub clock_in_hz: u64,
    /// The design clock the PLL is asked for, Hz ([`Board::design_clock_hz`] is what it gives;
    /// without a PLL, the input clock).
    pub clock_hz: u64,
    /// How the host reaches the board.
    pub host: HostLink,
    /// The constraints file, relative to the repository root.
    pub constraints: &'static str,
    /// nextpnr's device, package and router options (the constraints option is added by the flow);
    /// empty where there is no open place and route (Xilinx 7-series).
    pub nextpnr_args: &'static [&'static str],
    /// The link design's head dimension D.
    pub d: usize,
    /// The link design's N_MAX.
    pub n_max: usize,
    /// The link design's AttnV variant: [`Variant::Octave`] (shift-only lanes, with the octave
    /// codebook's front end) or [`Variant::General`] (multiplier lanes, with the log codebook's
    /// front end, k = 3, t = 1e-3).
    pub variant: Variant,
    /// The link design takes Q, K, V (the whole head, [`crate::link_top::LinkTop`]); otherwise
    /// codes and V (the core alone, [`crate::link_core::LinkCore`]).
    pub front_end: bool,
    /// Which of the board's link designs ([`Board::link_designs`]) the fields above describe:
    /// `link` (what [`board`] gives) or another ([`Board::for_design`]). Also the bitstream's
    /// name.
    pub design: &'static str,
}

/// The board names [`board`] knows.
pub const BOARDS: [&str; 3] = ["ulx3s", "alchitry_cu", "xem7010"];

/// The design names [`top_verilog`] knows: the UART echo (bring-up) and the link designs
/// ([`Board::link_designs`]: `link` on every board, `core` on the ULX3S).
pub const DESIGNS: [&str; 3] = ["echo", "link", "core"];

/// The board called `name` ([`BOARDS`]), or `None`.
///
/// - `ulx3s`: ULX3S (v2.x/3.0.x) with an LFE5U-85F; 25 MHz oscillator, PLL to 45 MHz; FT231X at
///   3 Mbaud, its maximum (15 clocks per bit, exact). 60 MHz (20 clocks per bit), the next
///   clock with a whole number of clocks per bit, is out of reach (docs/results.md §6); the
///   link is the bottleneck by three orders of magnitude either way. The link design: the
///   whole head, D = 32 (the head dimension of the MiniLM fixture), N_MAX = 512, general
///   lanes, log codebook. At D = 64 it needs 133 of the part's 156 multipliers and did not
///   route: router2 stalled at about 3,650 overused wires after 16 iterations (results §6).
///   Its second link design, `core` ([`Board::for_design`]): the AttnV core alone at D = 64
///   (codes and V in, general lanes), N_MAX = 512, at the same 45 MHz and 3 Mbaud.
/// - `alchitry_cu`: Alchitry Cu with an iCE40-HX8K; 100 MHz oscillator, PLL to 60 MHz; FT2232H
///   at 6 Mbaud (10 clocks per bit, exact; its 12 and 8 Mbaud need at least 96 and 64 MHz for 8
///   clocks per bit, more than an HX8K design is likely to close timing at).
/// - `xem7010`: Opal Kelly XEM7010 with an XC7A50T-1FGG484; FrontPanel over USB 2.0 (Cypress
///   FX2): the design runs on `ti_clk`, 48 MHz, no PLL; pipe FIFOs of 4096 words each way.
///   The link design: the whole head, D = 64, N_MAX = 512, octave lanes (shift-only, octave
///   codebook): the general lanes at D = 64 need ~133 multipliers, more than the part's 120
///   DSP48E1s. Resource estimate with yosys (`scripts/xc7_estimate.sh`); bitstream with Vivado
///   (hdl's `xem7010` feature).
pub fn board(name: &str) -> Option<Board> {
    match name {
        "ulx3s" => Some(Board {
            name: "ulx3s",
            shell: Shell::Ulx3s,
            family: Family::Ecp5,
            device: "LFE5U-85F",
            package: "CABGA381",
            clock_in_hz: 25_000_000,
            clock_hz: 45_000_000,
            host: HostLink::Uart(UartSpec {
                chip: "FTDI FT231X",
                base_hz: 3_000_000,
                baud: 3_000_000,
                rx_fifo_depth: 2048,
            }),
            constraints: "constraints/ulx3s_v20.lpf",
            // router2: nextpnr's default router1 needed over an hour for the D = 64 design.
            nextpnr_args: &["--85k", "--package", "CABGA381", "--router", "router2"],
            d: 32,
            n_max: 512,
            variant: Variant::General,
            front_end: true,
            design: "link",
        }),
        "alchitry_cu" => Some(Board {
            name: "alchitry_cu",
            shell: Shell::AlchitryCu,
            family: Family::Ice40,
            device: "iCE40-HX8K",
            package: "CB132",
            clock_in_hz: 100_000_000,
            clock_hz: 60_000_000,
            host: HostLink::Uart(UartSpec {
                chip: "FTDI FT2232H",
                base_hz: 12_000_000,
                baud: 6_000_000,
                rx_fifo_depth: 512,
            }),
            constraints: "constraints/alchitry_cu.pcf",
            nextpnr_args: &["--hx8k", "--package", "cb132"],
            d: 8,
            n_max: 64,
            variant: Variant::Octave,
            front_end: false,
            design: "link",
        }),
        "xem7010" => Some(Board {
            name: "xem7010",
            shell: Shell::Xem7010,
            family: Family::Xilinx7,
            device: "XC7A50T-1",
            package: "FGG484",
            clock_in_hz: 48_000_000,
            clock_hz: 48_000_000,
            host: HostLink::FrontPanel(FrontPanelSpec {
                bus: "USB 2.0 (Cypress FX2), Opal Kelly FrontPanel",
                fifo_words: 4096,
            }),
            constraints: "constraints/xem7010.xdc",
            nextpnr_args: &[],
            d: 64,
            n_max: 512,
            variant: Variant::Octave,
            front_end: true,
            design: "link",
        }),
        _ => None,
    }
}

impl Board {
    /// The board's link designs (the host's `--design`, the bitstreams' names): `link` first
    /// (the one [`board`] describes), then any other [`Board::for_design`] makes.
    pub fn link_designs(&self) -> &'static [&'static str] {
        match self.name {
            "ulx3s" => &["link", "core"],
            _ => &["link"],
        }
    }

    /// The board as it carries link design `design` ([`Board::link_designs`]): the fields of the
    /// link design (D, N_MAX, variant, front end, design clock and baud rate) are that design's.
    /// `Err` names the board's link designs if it has no `design`.
    ///
    /// - `ulx3s` / `core`: the AttnV core alone (codes and V in, the host quantizes), D = 64,
    ///   N_MAX = 512, general lanes (64 multipliers), at the board's 45 MHz (3 Mbaud, 15
    ///   clocks per bit). At 105 MHz (3 Mbaud is 35 clocks per bit) nextpnr placed it at
    ///   52.6 MHz: the link around the core (framer, buffers) is slower than the core alone
    ///   (110.9 MHz out of context), and the UART, not the clock, bounds the board (results §6).
    pub fn for_design(&self, design: &str) -> Result<Board, String> {
        let mut b = self.clone();
        match (self.name, design) {
            (_, "link") => return board(self.name).ok_or_else(|| self.name.to_string()),
            ("ulx3s", "core") => {
                b.d = 64;
                b.n_max = 512;
                b.variant = Variant::General;
                b.front_end = false;
            }
            _ => {
                return Err(format!(
                    "{}: no link design `{design}`; its link designs: {}",
                    self.name,
                    self.link_designs().join(", ")
                ))
            }
        }
        b.design = self
            .link_designs()
            .iter()
            .find(|d| **d == design)
            .expect("Board::for_design makes only the board's link designs");
        let clock = b.design_clock_hz();
        if let HostLink::Uart(u) = &mut b.host {
            u.baud = best_baud(clock, u.base_hz).expect("a rate fits");
        }
        Ok(b)
    }

    /// The board's USB UART, if the host reaches it through one.
    pub fn uart(&self) -> Option<&UartSpec> {
        match &self.host {
            HostLink::Uart(u) => Some(u),
            HostLink::FrontPanel(_) => None,
        }
    }

    /// The board's FrontPanel host interface, if it has one.
    pub fn frontpanel(&self) -> Option<&FrontPanelSpec> {
        match &self.host {
            HostLink::FrontPanel(f) => Some(f),
            HostLink::Uart(_) => None,
        }
    }

    /// The link design's configuration on this board (`model::link::Device` answers as it).
    pub fn device_config(&self) -> DeviceConfig {
        let cb = match self.variant {
            Variant::Octave => Codebook::octave(3),
            _ => Codebook::log(3, 1e-3),
        }
        .expect("k = 3 codebooks are valid");
        DeviceConfig {
            core: CoreParams::new(self.d, self.n_max, 16, 3).expect("a supported core"),
            variant: self.variant,
            front_end: self.front_end.then(|| {
                (
                    FrontEndParams {
                        d: self.d,
                        n_max: self.n_max,
                        ..Default::default()
                    },
                    cb,
                )
            }),
            codes: !self.front_end,
        }
    }

    /// The design clock the board's PLL makes from `clock_in_hz` for `clock_hz`, Hz (rounded);
    /// on a Xilinx 7-series board (no PLL) `clock_in_hz`. Panics if the PLL cannot make it
    /// (see [`Ecp5Pll::new`], [`Ice40Pll::new`]).
    pub fn design_clock_hz(&self) -> u64 {
        let hz = match self.family {
            Family::Ecp5 => Ecp5Pll::new(self.clock_in_hz, self.clock_hz).achieved_hz(),
            Family::Ice40 => Ice40Pll::new(self.clock_in_hz, self.clock_hz).achieved_hz(),
            Family::Xilinx7 => self.clock_in_hz as f64,
        };
        hz.round() as u64
    }

    /// The Verilator stand-in of the board's PLL primitive, to append to a board top's Verilog
    /// for lint or simulation (never for synthesis); empty on a Xilinx 7-series board (no PLL;
    /// its top declares FrontPanel's modules itself, [`crate::xem7010_top::OK_BLACKBOXES`]).
    pub fn pll_stand_in(&self) -> &'static str {
        match self.family {
            Family::Ecp5 => EHXPLLL_STAND_IN,
            Family::Ice40 => SB_PLL40_CORE_STAND_IN,
            Family::Xilinx7 => "",
        }
    }
}

/// The rates an FTDI chip with baud base `base_hz` makes that are whole numbers of baud,
/// highest first: `base / d` for d = 1, 1.5 and n + k/8 with n in 2..16384, k in 0..8.
#[allow(clippy::manual_is_multiple_of)] // is_multiple_of needs Rust 1.87; the MSRV is 1.85
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
/// [`crate::uart_rx::UartRx::new`] accepts), or `None`.
pub fn best_baud(clock_hz: u64, uart_base_hz: u64) -> Option<u64> {
    ftdi_rates(uart_base_hz).into_iter().find(|&b| {
        let p = (clock_hz + b / 2) / b;
        (MIN_CLOCKS_PER_BIT..=MAX_CLOCKS_PER_BIT).contains(&p)
            && baud_error(clock_hz, b).abs() < MAX_BAUD_ERROR
    })
}

/// The ports a design on a board top has, by name: `clock`, `reset` (synchronous, active
/// high), `rx` (the UART line from the host), `tx` (to the host), `led` (8 bits, 1 = on).
pub struct DesignIo<'a> {
    /// Design clock (the PLL output).
    pub clock: &'a mut Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: &'a mut Signal<In, Bit>,
    /// UART line in.
    pub rx: &'a mut Signal<In, Bit>,
    /// UART line out.
    pub tx: &'a Signal<Out, Bit>,
    /// LEDs.
    pub led: &'a Signal<Out, Bits<8>>,
}

/// A design a board shell can carry. Its ports must be named as in [`DesignIo`]: the shells'
/// Verilog connects them by name.
pub trait BoardDesign: Block {
    /// The design for `board` (its design clock, baud rate, FIFO depth).
    fn for_board(board: &Board) -> Self;
    /// The design's board-facing ports.
    fn io(&mut self) -> DesignIo<'_>;
}

/// The Verilog (module `top`, ports named as the board's constraints) of `design` on `board`,
/// for synthesis (no PLL stand-in). `Err` names the known designs if `design` is not one, and
/// says so if the board cannot carry it (the echo design needs a UART).
pub fn top_verilog(board: &Board, design: &str) -> Result<String, String> {
    match design {
        "echo" if board.uart().is_none() => Err(format!(
            "{}: the echo design needs a UART, and this board has FrontPanel pipes (design: link)",
            board.name
        )),
        "echo" => Ok(board_top_verilog::<UartEcho>(board)),
        d if d == board.design => link_top_verilog(board),
        d if board.link_designs().contains(&d) => link_top_verilog(&board.for_design(d)?),
        _ if DESIGNS.contains(&design) => Err(format!(
            "{}: no design `{design}`; its designs: echo, {}",
            board.name,
            board.link_designs().join(", ")
        )),
        _ => Err(format!(
            "unknown design `{design}`; known: {}",
            DESIGNS.join(", ")
        )),
    }
}

/// The link design `L` on `board`: in a UART board's shell behind a
/// [`crate::uart_link::UartLink`], or in the XEM7010's behind a
/// [`crate::frontpanel_link::FrontPanelLink`].
fn link_on_board<L: LinkDesign>(board: &Board) -> String {
    match board.host {
        HostLink::Uart(_) => board_top_verilog::<UartLink<L>>(board),
        HostLink::FrontPanel(_) => {
            let mut top = Xem7010Top::<L>::new(board);
            top.connect_all();
            generate_verilog(&top)
        }
    }
}

/// [`link_on_board`] as a [`crate::LinkDesignVisitor`].
struct OnBoard<'a>(&'a Board);

impl crate::LinkDesignVisitor for OnBoard<'_> {
    type Output = String;
    fn visit<L: LinkDesign>(self, _cfg: &DeviceConfig) -> String {
        link_on_board::<L>(self.0)
    }
}

/// The link design ([`crate::link_top::LinkTop`] or [`crate::link_core::LinkCore`]) compiled
/// for `board`'s configuration, behind the board's host link ([`link_on_board`]).
fn link_top_verilog(board: &Board) -> Result<String, String> {
    crate::with_link_design(&board.device_config(), OnBoard(board))
        .map_err(|e| format!("{}: {e}", board.name))
}

/// The Verilog of design `D` in `board`'s shell (module `top`). Panics if `board` has no UART
/// shell (the XEM7010 carries the link design only: [`top_verilog`]).
pub fn board_top_verilog<D: BoardDesign>(board: &Board) -> String {
    match board.shell {
        Shell::Xem7010 => panic!(
            "board_top_verilog: {} has no UART board shell; its top carries the link design behind FrontPanel pipes (top_verilog(board, \"link\"))",
            board.name
        ),
        Shell::Ulx3s => {
            let mut top = Ulx3sTop::<D>::new(board);
            top.connect_all();
            generate_verilog(&top)
        }
        Shell::AlchitryCu => {
            let mut top = AlchitryCuTop::<D>::new(board);
            top.connect_all();
            generate_verilog(&top)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boards_are_consistent() {
        for b in BOARDS.iter().flat_map(|name| {
            let b = board(name).unwrap();
            assert_eq!((b.name, b.design), (*name, "link"));
            let designs = b.link_designs();
            assert_eq!(designs[0], "link");
            designs.iter().map(move |d| {
                let bd = b.for_design(d).unwrap();
                assert_eq!(bd.design, *d);
                assert!(DESIGNS.contains(d));
                bd
            })
        }) {
            let name = b.name;
            let clk = b.design_clock_hz();
            assert_eq!(
                clk, b.clock_hz,
                "{name}: the PLL makes the requested clock exactly"
            );
            match &b.host {
                HostLink::Uart(u) => {
                    assert_eq!(
                        best_baud(clk, u.base_hz),
                        Some(u.baud),
                        "{name}: the baud rate is the highest that fits"
                    );
                    assert_eq!(baud_error(clk, u.baud), 0.0, "{name}: exact");
                    assert!(u.rx_fifo_depth.is_power_of_two());
                    assert!(b.family != Family::Xilinx7 && !b.nextpnr_args.is_empty());
                }
                HostLink::FrontPanel(f) => {
                    assert!(crate::pipe_bridge::PIPE_FIFO_WORDS.contains(&f.fifo_words));
                    assert!(f.fifo_words.is_power_of_two());
                    assert_eq!((b.family, b.shell), (Family::Xilinx7, Shell::Xem7010));
                    assert!(b.nextpnr_args.is_empty(), "{name}: no open place and route");
                }
            }
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(b.constraints);
            assert!(path.exists(), "{}", path.display());
        }
        assert!(board("de10").is_none());
        assert_eq!(board("ulx3s").unwrap().uart().unwrap().baud, 3_000_000);
        assert_eq!(
            board("alchitry_cu").unwrap().uart().unwrap().baud,
            6_000_000
        );
        let x = board("xem7010").unwrap();
        assert_eq!((x.design_clock_hz(), x.d, x.n_max), (48_000_000, 64, 512));
        assert_eq!((x.variant, x.front_end), (Variant::Octave, true));
        assert!(x.uart().is_none() && x.pll_stand_in().is_empty());
        let c = board("ulx3s").unwrap().for_design("core").unwrap();
        assert_eq!(
            (c.d, c.n_max, c.variant, c.front_end),
            (64, 512, Variant::General, false)
        );
        assert_eq!(
            (c.design_clock_hz(), c.uart().unwrap().baud),
            (45_000_000, 3_000_000)
        );
        assert_eq!(c.for_design("link").unwrap(), board("ulx3s").unwrap());
    }

    #[test]
    fn ftdi_rates_and_baud_choice() {
        let ft231x = ftdi_rates(3_000_000);
        assert_eq!(&ft231x[..4], &[3_000_000, 2_000_000, 1_500_000, 1_200_000]);
        let ft2232h = ftdi_rates(12_000_000);
        assert_eq!(
            &ft2232h[..4],
            &[12_000_000, 8_000_000, 6_000_000, 4_800_000]
        );
        // 100 MHz / 3 Mbaud = 33.3 clocks per bit: 1% off, rejected; 2 Mbaud is 50 exactly.
        assert_eq!(best_baud(100_000_000, 3_000_000), Some(2_000_000));
        assert_eq!(best_baud(96_000_000, 12_000_000), Some(12_000_000));
        // 50 MHz: 12 M / 3.125 = 3.84 Mbaud at 13 clocks per bit is 0.16% off.
        assert_eq!(best_baud(50_000_000, 12_000_000), Some(3_840_000));
    }

    #[test]
    fn unknown_design_is_an_error() {
        let e = top_verilog(&board("ulx3s").unwrap(), "blinky").unwrap_err();
        assert_eq!(e, "unknown design `blinky`; known: echo, link, core");
        let e = board("alchitry_cu")
            .unwrap()
            .for_design("core")
            .unwrap_err();
        assert_eq!(
            e,
            "alchitry_cu: no link design `core`; its link designs: link"
        );
        let e = top_verilog(&board("alchitry_cu").unwrap(), "core").unwrap_err();
        assert_eq!(e, "alchitry_cu: no design `core`; its designs: echo, link");
        let e = top_verilog(&board("xem7010").unwrap(), "echo").unwrap_err();
        assert_eq!(
            e,
            "xem7010: the echo design needs a UART, and this board has FrontPanel pipes (design: link)"
        );
    }

    #[test]
    #[should_panic(expected = "board_top_verilog: xem7010 has no UART board shell")]
    fn a_uart_design_on_the_xem7010_is_rejected() {
        board_top_verilog::<UartEcho>(&board("xem7010").unwrap());
    }
}
