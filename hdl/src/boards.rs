//! The boards: pins, clocks, UART rate and toolchain of each, and the board-top Verilog of a
//! design on a board.
//!
//! A board top is a board shell ([`crate::ulx3s_top::Ulx3sTop`],
//! [`crate::alchitry_cu_top::AlchitryCuTop`]: the board's pins, its PLL and the reset
//! synchronizer) around a design implementing [`BoardDesign`] (ports `clock`, `reset`, `rx`,
//! `tx`, `led`), so any design goes on any board: [`top_verilog`] joins them by name.

use crate::alchitry_cu_top::AlchitryCuTop;
use crate::ecp5_pll::{Ecp5Pll, EHXPLLL_STAND_IN};
use crate::ice40_pll::{Ice40Pll, SB_PLL40_CORE_STAND_IN};
use crate::uart_echo::UartEcho;
use crate::uart_rx::{baud_error, MAX_BAUD_ERROR, MAX_CLOCKS_PER_BIT, MIN_CLOCKS_PER_BIT};
use crate::ulx3s_top::Ulx3sTop;
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
}

/// Which board shell carries the design (the pin names differ from board to board).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shell {
    /// [`Ulx3sTop`]: `clk_25mhz`, `ftdi_txd` (in), `ftdi_rxd` (out), `btn[6:0]`, `led[7:0]`,
    /// `wifi_gpio0`.
    Ulx3s,
    /// [`AlchitryCuTop`]: `clk`, `rst_n`, `usb_rx` (in), `usb_tx` (out), `led[7:0]`.
    AlchitryCu,
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
    /// The board oscillator, Hz.
    pub clock_in_hz: u64,
    /// The design clock the PLL is asked for, Hz ([`Board::design_clock_hz`] is what it gives).
    pub clock_hz: u64,
    /// The USB UART chip.
    pub uart_chip: &'static str,
    /// The FTDI chip's baud-rate base: it makes `base / d` for d = 1, 1.5 and n + k/8 (n >= 2,
    /// k = 0..7); the base is also its highest rate.
    pub uart_base_hz: u64,
    /// The UART rate, baud: [`best_baud`] of the design clock and the chip.
    pub baud: u64,
    /// Receive FIFO RAM bytes (one block RAM).
    pub rx_fifo_depth: usize,
    /// The constraints file, relative to the repository root.
    pub constraints: &'static str,
    /// nextpnr's device and package options (the constraints option is added by the flow).
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
}

/// The board names [`board`] knows.
pub const BOARDS: [&str; 2] = ["ulx3s", "alchitry_cu"];

/// The design names [`top_verilog`] knows.
pub const DESIGNS: [&str; 2] = ["echo", "link"];

/// The board called `name` ([`BOARDS`]), or `None`.
///
/// - `ulx3s`: ULX3S (v2.x/3.0.x) with an LFE5U-85F; 25 MHz oscillator, PLL to 60 MHz; FT231X at
///   3 Mbaud, its maximum (20 clocks per bit, exact; 75 MHz also divides exactly, but the D = 64
///   link design is placed with margin at 60; 100 MHz would give 33.3 clocks per bit, 1% off).
///   The link design: the whole head, D = 64, N_MAX = 512, general lanes, log codebook.
/// - `alchitry_cu`: Alchitry Cu with an iCE40-HX8K; 100 MHz oscillator, PLL to 60 MHz; FT2232H
///   at 6 Mbaud (10 clocks per bit, exact; its 12 and 8 Mbaud need at least 96 and 64 MHz for 8
///   clocks per bit, more than an HX8K design is likely to close timing at).
pub fn board(name: &str) -> Option<Board> {
    match name {
        "ulx3s" => Some(Board {
            name: "ulx3s",
            shell: Shell::Ulx3s,
            family: Family::Ecp5,
            device: "LFE5U-85F",
            package: "CABGA381",
            clock_in_hz: 25_000_000,
            clock_hz: 60_000_000,
            uart_chip: "FTDI FT231X",
            uart_base_hz: 3_000_000,
            baud: 3_000_000,
            rx_fifo_depth: 2048,
            constraints: "constraints/ulx3s_v20.lpf",
            nextpnr_args: &["--85k", "--package", "CABGA381"],
            d: 64,
            n_max: 512,
            variant: Variant::General,
            front_end: true,
        }),
        "alchitry_cu" => Some(Board {
            name: "alchitry_cu",
            shell: Shell::AlchitryCu,
            family: Family::Ice40,
            device: "iCE40-HX8K",
            package: "CB132",
            clock_in_hz: 100_000_000,
            clock_hz: 60_000_000,
            uart_chip: "FTDI FT2232H",
            uart_base_hz: 12_000_000,
            baud: 6_000_000,
            rx_fifo_depth: 512,
            constraints: "constraints/alchitry_cu.pcf",
            nextpnr_args: &["--hx8k", "--package", "cb132"],
            d: 8,
            n_max: 64,
            variant: Variant::Octave,
            front_end: false,
        }),
        _ => None,
    }
}

impl Board {
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

    /// The design clock the board's PLL makes from `clock_in_hz` for `clock_hz`, Hz (rounded).
    /// Panics if the PLL cannot make it (see [`Ecp5Pll::new`], [`Ice40Pll::new`]).
    pub fn design_clock_hz(&self) -> u64 {
        let hz = match self.family {
            Family::Ecp5 => Ecp5Pll::new(self.clock_in_hz, self.clock_hz).achieved_hz(),
            Family::Ice40 => Ice40Pll::new(self.clock_in_hz, self.clock_hz).achieved_hz(),
        };
        hz.round() as u64
    }

    /// The Verilator stand-in of the board's PLL primitive, to append to a board top's Verilog
    /// for lint or simulation (never for synthesis).
    pub fn pll_stand_in(&self) -> &'static str {
        match self.family {
            Family::Ecp5 => EHXPLLL_STAND_IN,
            Family::Ice40 => SB_PLL40_CORE_STAND_IN,
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
/// for synthesis (no PLL stand-in). `Err` names the known designs if `design` is not one.
pub fn top_verilog(board: &Board, design: &str) -> Result<String, String> {
    match design {
        "echo" => Ok(board_top_verilog::<UartEcho>(board)),
        "link" => link_top_verilog(board),
        _ => Err(format!(
            "unknown design `{design}`; known: {}",
            DESIGNS.join(", ")
        )),
    }
}

/// The link design ([`crate::uart_link::UartLink`] around [`crate::link_top::LinkTop`] or
/// [`crate::link_core::LinkCore`]) on `board`, for its (D, N_MAX).
fn link_top_verilog(board: &Board) -> Result<String, String> {
    use crate::link_core::LinkCore;
    use crate::link_top::LinkTop;
    use crate::uart_link::UartLink;
    macro_rules! head {
        ($( ($d:literal, $a:literal, $lg:literal, $sumb:literal) ),* $(,)?) => {
            match (board.d, board.n_max.trailing_zeros()) {
                $( ($d, $a) => Ok(board_top_verilog::<UartLink<LinkTop<
                    { 8 * $d }, { $d * ($a + 24) }, $a, { $a + 24 }, { $a + 16 }, { $lg + 16 }, $sumb,
                    { 8 * $d + 16 }, { $d * ($a + 24) + $a + 16 }
                >>>(board)), )*
                _ => Err(format!(
                    "{}: no head board design for D = {}, N_MAX = {}",
                    board.name, board.d, board.n_max
                )),
            }
        };
    }
    macro_rules! codes {
        ($( ($d:literal, $a:literal) ),* $(,)?) => {
            match (board.d, board.n_max.trailing_zeros()) {
                $( ($d, $a) => Ok(board_top_verilog::<UartLink<LinkCore<
                    { 8 * $d }, { $d * ($a + 24) }, $a, { $a + 24 }, { $a + 16 },
                    { 8 * $d + 16 }, { $d * ($a + 24) + $a + 16 }, { 2 * $a - 4 }
                >>>(board)), )*
                _ => Err(format!(
                    "{}: no codes board design for D = {}, N_MAX = {}",
                    board.name, board.d, board.n_max
                )),
            }
        };
    }
    if board.front_end {
        head!((64, 9, 6, 25), (32, 9, 5, 25), (8, 6, 3, 22), (4, 6, 2, 22))
    } else {
        codes!((16, 6), (8, 6), (4, 6))
    }
}

/// The Verilog of design `D` in `board`'s shell (module `top`).
pub fn board_top_verilog<D: BoardDesign>(board: &Board) -> String {
    match board.shell {
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
        for name in BOARDS {
            let b = board(name).unwrap();
            assert_eq!(b.name, name);
            let clk = b.design_clock_hz();
            assert_eq!(
                clk, b.clock_hz,
                "{name}: the PLL makes the requested clock exactly"
            );
            assert_eq!(
                best_baud(clk, b.uart_base_hz),
                Some(b.baud),
                "{name}: the baud rate is the highest that fits"
            );
            assert_eq!(baud_error(clk, b.baud), 0.0, "{name}: exact");
            assert!(b.rx_fifo_depth.is_power_of_two());
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(b.constraints);
            assert!(path.exists(), "{}", path.display());
        }
        assert!(board("de10").is_none());
        assert_eq!(board("ulx3s").unwrap().baud, 3_000_000);
        assert_eq!(board("alchitry_cu").unwrap().baud, 6_000_000);
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
        assert_eq!(e, "unknown design `blinky`; known: echo, link");
    }
}
