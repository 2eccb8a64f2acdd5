//! The boards: what is on each ([`mod@resources`]: pins, clocks, host link, constraints, toolchain),
//! what is built on each ([`mod@designs`]: the link designs), a board carrying a design ([`Board`]),
//! and the board-top Verilog of a design on a board.
//!
//! A UART board's top is a board shell ([`crate::boards::ulx3s_top::Ulx3sTop`],
//! [`crate::boards::alchitry_cu_top::AlchitryCuTop`]: the board's pins, its PLL and the reset
//! synchronizer) around a design implementing [`BoardDesign`] (ports `clock`, `reset`, `rx`,
//! `tx`, `led`), so any such design goes on any UART board: [`top_verilog`] joins them by name.
//! The XEM7010's top ([`crate::boards::xem7010_top::Xem7010Top`]: Opal Kelly's FrontPanel host
//! interface and endpoints) carries the link design behind its pipes
//! ([`crate::link::frontpanel_link::FrontPanelLink`]).

pub mod alchitry_cu_top;
pub mod designs;
pub mod resources;
pub mod uart_echo;
pub mod ulx3s_top;
#[cfg(feature = "xem7010")]
pub mod xem7010_ok;
pub mod xem7010_top;

use crate::boards::alchitry_cu_top::AlchitryCuTop;
use crate::boards::uart_echo::UartEcho;
use crate::boards::ulx3s_top::Ulx3sTop;
use crate::boards::xem7010_top::Xem7010Top;
use crate::core::mult18;
use crate::io::ecp5_pll::{Ecp5Pll, EHXPLLL_STAND_IN};
use crate::io::ice40_pll::{Ice40Pll, SB_PLL40_CORE_STAND_IN};
use crate::link::crossed_link::CrossedLink;
use crate::link::uart_link::UartLink;
use crate::link::LinkDesign;
use crate::HdlError;
use model::link::DeviceConfig;
use rust_hdl::prelude::*;

pub use designs::{link_designs_of, DesignSpec};
pub use resources::{
    best_baud, board_resources, ftdi_rates, Family, FrontPanelSpec, HostLink, Resources, Shell,
    UartSpec, BOARDS,
};

/// A board as it carries one of its link designs: what is on it ([`Resources`], also reached
/// through `Deref`: `board.name`, `board.family`, ...) and the design ([`DesignSpec`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Board {
    /// What is on the board.
    pub resources: Resources,
    /// The link design it carries.
    pub design: DesignSpec,
}

impl std::ops::Deref for Board {
    type Target = Resources;
    fn deref(&self) -> &Resources {
        &self.resources
    }
}

/// The design names [`top_verilog`] knows: the UART echo (bring-up) and the link designs
/// ([`Board::link_designs`]: `link` on every board, `core` on the ULX3S).
pub const DESIGNS: [&str; 3] = ["echo", "link", "core"];

/// The board called `name` ([`BOARDS`]) carrying its main link design, `link`, or `None`.
pub fn board(name: &str) -> Option<Board> {
    Some(Board {
        resources: board_resources(name)?,
        design: *link_designs_of(name).first()?,
    })
}

impl Board {
    /// The board's link designs (the host's `--design`, the bitstreams' names): `link` first,
    /// then the others ([`link_designs_of`]).
    pub fn link_designs(&self) -> Vec<&'static str> {
        link_designs_of(self.name).iter().map(|d| d.name).collect()
    }

    /// The board as it carries link design `design` ([`Board::link_designs`]). The error names
    /// the board's link designs if it has no `design`.
    pub fn for_design(&self, design: &str) -> Result<Board, HdlError> {
        let Some(spec) = link_designs_of(self.name).iter().find(|d| d.name == design) else {
            return Err(HdlError::Board(format!(
                "{}: no link design `{design}`; its link designs: {}",
                self.name,
                self.link_designs().join(", ")
            )));
        };
        Ok(Board {
            resources: self.resources.clone(),
            design: *spec,
        })
    }

    /// The board's USB UART, if the host reaches it through one.
    pub fn uart(&self) -> Option<&UartSpec> {
        match &self.host {
            HostLink::Uart(u) => Some(u),
            HostLink::FrontPanel(_) => None,
        }
    }

    /// The UART rate of this design, baud: the highest rate the board's UART chip makes that
    /// the design clock divides within 1% ([`best_baud`]); `None` without a UART.
    pub fn baud(&self) -> Option<u64> {
        let u = self.uart()?;
        Some(
            best_baud(self.design_clock_hz(), u.base_hz)
                .expect("every board's design clock has a UART rate"),
        )
    }

    /// The board's FrontPanel host interface, if it has one.
    pub fn frontpanel(&self) -> Option<&FrontPanelSpec> {
        match &self.host {
            HostLink::FrontPanel(f) => Some(f),
            HostLink::Uart(_) => None,
        }
    }

    /// The link design's configuration ([`DesignSpec::config`]).
    pub fn device_config(&self) -> DeviceConfig {
        self.design.config()
    }

    /// Where the link design's products go on the board's part (DSP blocks first, then LUTs):
    /// the split the board shells build it with.
    pub fn multiplier_split(&self) -> crate::configs::MultiplierSplit {
        crate::configs::MultiplierSplit::for_design(&self.device_config(), &self.resources)
    }

    /// The design clock the board's PLL makes from `clock_in_hz` for the design's clock, Hz
    /// (rounded); on a Xilinx 7-series board (no PLL) `clock_in_hz`. Panics if the PLL cannot
    /// make it (see [`Ecp5Pll::new`], [`Ice40Pll::new`]).
    pub fn design_clock_hz(&self) -> u64 {
        let (cin, c) = (self.clock_in_hz, self.design.clock_hz);
        let hz = match self.family {
            Family::Ecp5 => Ecp5Pll::new(cin, c).achieved_hz(),
            Family::Ice40 => Ice40Pll::new(cin, c).achieved_hz(),
            Family::Xilinx7 => cin as f64,
        };
        hz.round() as u64
    }

    /// The MMCM setting that makes the link design's own clock from the board's system
    /// oscillator ([`DesignSpec::head_clock_hz`]) on a Xilinx 7-series board, or `None` when
    /// the design has no clock of its own or the board is not a 7-series one (an ECP5 board
    /// makes it on its PLL's CLKOS, [`Ecp5Pll::with_secondary`]). Panics if the board cannot
    /// make it: it needs a system oscillator and a setting within
    /// [`crate::io::ecp5_pll::PLL_TOLERANCE`].
    pub fn head_mmcm(&self) -> Option<crate::io::xc7_mmcm::Xc7MmcmParams> {
        let want = self.design.head_clock_hz?;
        if self.family != Family::Xilinx7 {
            return None;
        }
        let sys = self.sys_clock_hz.unwrap_or_else(|| {
            panic!(
                "{}: no system oscillator to make the link design's clock from",
                self.name
            )
        });
        Some(
            crate::io::xc7_mmcm::xc7_mmcm_params(sys, want).unwrap_or_else(|| {
                panic!(
                    "{}: no MMCM setting makes {want} Hz from {sys} Hz",
                    self.name
                )
            }),
        )
    }

    /// An ECP5 board's PLL: the design clock on CLKOP from the oscillator and, where the link
    /// design has its own clock ([`DesignSpec::head_clock_hz`]), that clock on CLKOS from the
    /// same VCO. Panics as [`Ecp5Pll::new`] and [`Ecp5Pll::with_secondary`] do.
    pub fn ecp5_pll(&self) -> Ecp5Pll {
        let pll = Ecp5Pll::new(self.clock_in_hz, self.design.clock_hz);
        match self.design.head_clock_hz {
            Some(h) => pll.with_secondary(h),
            None => pll,
        }
    }

    /// The clock the link design computes on, Hz (rounded): its own clock where it has one
    /// (the ECP5 PLL's CLKOS, or the 7-series MMCM, [`Self::head_mmcm`]), otherwise the design
    /// clock ([`Self::design_clock_hz`]). Cycle counts convert to time at this clock.
    pub fn head_clock_hz(&self) -> u64 {
        match (self.design.head_clock_hz, self.family) {
            (None, _) => self.design_clock_hz(),
            (Some(_), Family::Ecp5) => self
                .ecp5_pll()
                .achieved_secondary_hz()
                .expect("a secondary output was set up")
                .round() as u64,
            (Some(_), _) => self
                .head_mmcm()
                .expect("a head clock on a 7-series board")
                .out_hz
                .round() as u64,
        }
    }

    /// The Verilator stand-ins of the board's primitives, to append to a board top's Verilog
    /// for lint or simulation (never for synthesis): its PLL's, and on ECP5 the MULT18X18D's
    /// ([`crate::core::mult18::mult18x18d_model`]; a head there keeps its score and ScaleShift
    /// products' registers in the primitive); on a Xilinx 7-series board its clocking
    /// primitives' ([`crate::io::xc7_mmcm::XC7_CLOCK_STAND_INS`]; its top declares FrontPanel's
    /// modules itself, [`xem7010_top::OK_BLACKBOXES`]).
    pub fn stand_ins(&self) -> String {
        match self.family {
            Family::Ecp5 => format!("{EHXPLLL_STAND_IN}{}", mult18::mult18x18d_model()),
            Family::Ice40 => SB_PLL40_CORE_STAND_IN.to_string(),
            Family::Xilinx7 => crate::io::xc7_mmcm::XC7_CLOCK_STAND_INS.to_string(),
        }
    }
}

/// The ports a design on a board top has, by name: `clock`, `reset` (synchronous, active
/// high), `rx` (the UART line from the host), `tx` (to the host), `led` (8 bits, 1 = on).
pub struct DesignIo<'a> {
    /// Design clock (the PLL output).
    pub clock: &'a mut Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: &'a mut Signal<In, Bit>,
    /// The link design's own clock, if the design has that input (a shell drives it with the
    /// board's head clock, [`Board::head_clock_hz`], or the design clock).
    pub head_clock: Option<&'a mut Signal<In, Clock>>,
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
///
/// The top is built on a thread of its own with a [`TOP_STACK_BYTES`] stack: a rust-hdl block
/// holds every signal inline, and the XEM7010's top (its D = 64 head with the register slices
/// of 529-bit K rows) overflows a test thread's 2 MiB while it is built.
pub fn top_verilog(board: &Board, design: &str) -> Result<String, HdlError> {
    std::thread::scope(|s| {
        let job = std::thread::Builder::new()
            .name("top_verilog".into())
            .stack_size(TOP_STACK_BYTES)
            .spawn_scoped(s, || top_verilog_here(board, design))
            .map_err(|e| HdlError::Board(format!("cannot start the Verilog builder: {e}")))?;
        job.join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })
}

/// The stack [`top_verilog`] builds a board top on: 256 MiB of address space, touched only as
/// deep as the build goes.
pub const TOP_STACK_BYTES: usize = 256 << 20;

/// [`top_verilog`] on the calling thread.
fn top_verilog_here(board: &Board, design: &str) -> Result<String, HdlError> {
    match design {
        "echo" if board.uart().is_none() => Err(HdlError::Board(format!(
            "{}: the echo design needs a UART, and this board has FrontPanel pipes (design: link)",
            board.name
        ))),
        "echo" => Ok(board_top_verilog::<UartEcho>(board)),
        d if d == board.design.name => link_top_verilog(board),
        d if board.link_designs().contains(&d) => link_top_verilog(&board.for_design(d)?),
        _ if DESIGNS.contains(&design) => Err(HdlError::Board(format!(
            "{}: no design `{design}`; its designs: echo, {}",
            board.name,
            board.link_designs().join(", ")
        ))),
        _ => Err(HdlError::Board(format!(
            "unknown design `{design}`; known: {}",
            DESIGNS.join(", ")
        ))),
    }
}

/// The link design `L` on `board`: in a UART board's shell behind a
/// [`crate::link::uart_link::UartLink`] (in a [`CrossedLink`] on its own clock where the board
/// gives it one, [`DesignSpec::head_clock_hz`]), or in the XEM7010's behind a
/// [`crate::link::frontpanel_link::FrontPanelLink`].
fn link_on_board<L: LinkDesign>(board: &Board) -> String {
    match board.host {
        HostLink::Uart(_) if board.design.head_clock_hz.is_some() => {
            board_top_verilog::<UartLink<CrossedLink<L>>>(board)
        }
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

/// The link design ([`crate::link::link_head::LinkHead`] or [`crate::link::link_core::LinkCore`]) compiled
/// for `board`'s configuration, behind the board's host link ([`link_on_board`]).
fn link_top_verilog(board: &Board) -> Result<String, HdlError> {
    let top = crate::with_link_design(&board.device_config(), OnBoard(board))
        .map_err(|e| HdlError::Board(format!("{}: {e}", board.name)))?;
    Ok(for_part(board.family, top))
}

/// `verilog` as written for a part of `family`: on ECP5, if any of its products is written with
/// [`crate::core::mult18::registered_product`] (the score units' and ScaleShift's; the lanes'
/// multipliers are not), it starts with the define that keeps their registers in the
/// MULT18X18D ([`mult18::ecp5_prelude`]); otherwise, and on other parts, it is unchanged.
pub fn for_part(family: Family, verilog: String) -> String {
    match family {
        Family::Ecp5 if verilog.contains(mult18::ECP5_DSP_DEFINE) => {
            format!("{}{verilog}", mult18::ecp5_prelude())
        }
        _ => verilog,
    }
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
    use crate::io::uart_rx::baud_error;
    use model::Variant;

    #[test]
    fn boards_are_consistent() {
        for b in BOARDS.iter().flat_map(|name| {
            let b = board(name).unwrap();
            assert_eq!((b.name, b.design.name), (*name, "link"));
            let designs = b.link_designs();
            assert_eq!(designs[0], "link");
            designs.into_iter().map(move |d| {
                let bd = b.for_design(d).unwrap();
                assert_eq!(bd.design.name, d);
                assert!(DESIGNS.contains(&d));
                bd
            })
        }) {
            let name = b.name;
            let clk = b.design_clock_hz();
            assert_eq!(
                clk, b.design.clock_hz,
                "{name}: the PLL makes the requested clock exactly"
            );
            match &b.host {
                HostLink::Uart(u) => {
                    let baud = b.baud().unwrap();
                    assert_eq!(
                        best_baud(clk, u.base_hz),
                        Some(baud),
                        "{name}: the baud rate is the highest that fits"
                    );
                    assert_eq!(baud_error(clk, baud), 0.0, "{name}: exact");
                    assert!(u.rx_fifo_depth.is_power_of_two());
                    assert!(b.family != Family::Xilinx7 && !b.nextpnr_args.is_empty());
                }
                HostLink::FrontPanel(f) => {
                    assert!(crate::io::pipe_bridge::PIPE_FIFO_WORDS.contains(&f.fifo_words));
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
        assert_eq!(board("ulx3s").unwrap().baud(), Some(3_000_000));
        assert_eq!(board("alchitry_cu").unwrap().baud(), Some(6_000_000));
        let x = board("xem7010").unwrap();
        let xd = x.design;
        assert_eq!((x.design_clock_hz(), xd.d, xd.n_max), (48_000_000, 64, 512));
        assert_eq!((xd.variant, xd.front_end), (Variant::Octave, true));
        assert!(x.uart().is_none() && x.baud().is_none());
        assert!(x.stand_ins().contains("module MMCME2_BASE"));
        // The XEM7010's link design computes on its own 100 MHz clock (200 MHz x 6 / 12).
        let m = x.head_mmcm().unwrap();
        assert_eq!((m.divclk, m.mult, m.out_div), (1, 6, 12));
        assert_eq!(x.head_clock_hz(), 100_000_000);
        // The ULX3S link design's on CLKOS of the PLL that makes its UART's 60 MHz (the 600 MHz
        // VCO / 6; 3 Mbaud is 20 clocks a bit); the other UART designs' on their design clock.
        let u = board("ulx3s").unwrap();
        assert_eq!((u.head_mmcm(), u.head_clock_hz()), (None, 100_000_000));
        assert_eq!(u.design_clock_hz(), 60_000_000);
        let p = u.ecp5_pll().params();
        assert_eq!((p.clkop_div, p.vco_mhz), (10, 600.0));
        for u in [u.for_design("core").unwrap(), board("alchitry_cu").unwrap()] {
            assert_eq!(
                (u.head_mmcm(), u.head_clock_hz()),
                (None, u.design_clock_hz())
            );
        }
        let c = board("ulx3s").unwrap().for_design("core").unwrap();
        let cd = c.design;
        assert_eq!(
            (cd.d, cd.n_max, cd.variant, cd.front_end),
            (64, 512, Variant::General, false)
        );
        assert_eq!(
            (c.design_clock_hz(), c.baud()),
            (30_000_000, Some(3_000_000))
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
        let e = top_verilog(&board("ulx3s").unwrap(), "blinky")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "unknown design `blinky`; known: echo, link, core");
        let e = board("alchitry_cu")
            .unwrap()
            .for_design("core")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "alchitry_cu: no link design `core`; its link designs: link"
        );
        let e = top_verilog(&board("alchitry_cu").unwrap(), "core")
            .unwrap_err()
            .to_string();
        assert_eq!(e, "alchitry_cu: no design `core`; its designs: echo, link");
        let e = top_verilog(&board("xem7010").unwrap(), "echo")
            .unwrap_err()
            .to_string();
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
