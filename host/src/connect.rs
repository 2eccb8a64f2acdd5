//! Choosing and opening a transport from the command line (`--transport`, `--board`,
//! `--device`, ...), and the driver over it.

use crate::driver::{Driver, DriverOptions};
use crate::transport::faults::{FaultCounts, FaultSpec, Faulty};
use crate::transport::{sim, uart, Transport};
use anyhow::{bail, Context, Result};
use model::link::DeviceConfig;
use std::cell::Cell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::Duration;

/// Which transport.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The Verilated board in-process (the board design of `--board`, or one built for the
    /// data).
    Sim,
    /// A serial port (`--device /dev/ttyUSB1`): the ULX3S and the Alchitry Cu.
    Uart,
    /// An Opal Kelly XEM7010 through FrontPanel (`--device SERIAL`; needs the `xem7010`
    /// feature and Opal Kelly's library).
    Frontpanel,
}

/// Transport and driver options shared by `run`, `bench` and `info`.
#[derive(clap::Args, Clone, Debug)]
pub struct LinkArgs {
    /// sim (default), uart or frontpanel.
    #[arg(long, value_enum, default_value_t = Kind::Sim)]
    pub transport: Kind,
    /// The board: ulx3s, alchitry_cu or xem7010. With sim, simulate that board's design (the
    /// xem7010 through its FrontPanel endpoints); with uart, its baud rate by default.
    #[arg(long)]
    pub board: Option<String>,
    /// The board's link design: `link` (every board's first), or `core` on the ulx3s (the
    /// D = 64 AttnV core alone, taking codes; `link` there is the D = 32 whole head).
    #[arg(long, default_value = "link")]
    pub design: String,
    /// Serial port path (uart) or serial number (frontpanel; empty: the first board).
    #[arg(long)]
    pub device: Option<String>,
    /// UART baud rate (default: the board's, else 3000000).
    #[arg(long)]
    pub baud: Option<u32>,
    /// frontpanel: load this bitstream first.
    #[arg(long)]
    pub bitstream: Option<PathBuf>,
    /// Inject faults: `drop=P,dup=P,flip=P,stall=P,seed=S` (probabilities per transfer; `all=P`).
    #[arg(long)]
    pub inject: Option<FaultSpec>,
    /// Requests kept unanswered at most.
    #[arg(long, default_value_t = 2)]
    pub window: usize,
    /// Attempts per job before giving up on it.
    #[arg(long, default_value_t = 8)]
    pub max_attempts: u32,
    /// Response timeout in ms (default: from the link rate and the bytes in flight).
    #[arg(long)]
    pub timeout_ms: Option<u64>,
}

impl Default for LinkArgs {
    fn default() -> Self {
        Self {
            transport: Kind::Sim,
            board: None,
            design: "link".into(),
            device: None,
            baud: None,
            bitstream: None,
            inject: None,
            window: 2,
            max_attempts: 8,
            timeout_ms: None,
        }
    }
}

/// A driver over the chosen transport, and the injected-fault counts when `--inject` is on.
pub struct Connection {
    pub driver: Driver<Box<dyn Transport>>,
    pub faults: Option<Rc<Cell<FaultCounts>>>,
    /// The configuration the simulated board was built as (sim only).
    pub sim_config: Option<DeviceConfig>,
}

impl LinkArgs {
    /// The board of `--board`, as it carries `--design`.
    pub fn board(&self) -> Result<Option<hdl::boards::Board>> {
        let Some(name) = self.board.as_deref() else {
            if self.design != "link" {
                bail!("--design {} needs --board", self.design);
            }
            return Ok(None);
        };
        let b = hdl::boards::board(name).with_context(|| {
            format!("unknown board `{name}` (boards: {:?})", hdl::boards::BOARDS)
        })?;
        b.for_design(&self.design)
            .map(Some)
            .map_err(anyhow::Error::msg)
    }

    /// Opens the transport. `sim_default` is the design a simulated board is built as when
    /// `--board` is not given (one fitting the data).
    pub fn connect(
        &self,
        sim_default: impl FnOnce() -> Result<DeviceConfig>,
    ) -> Result<Connection> {
        let board = self.board()?;
        let (link, sim_config): (Box<dyn Transport>, _) = match self.transport {
            Kind::Sim => {
                if self.device.is_some() || self.baud.is_some() || self.bitstream.is_some() {
                    bail!("--device, --baud and --bitstream are for real boards (--transport uart or frontpanel)");
                }
                match &board {
                    Some(b) => {
                        let cfg = b.device_config();
                        let t: Box<dyn Transport> = match b.frontpanel() {
                            Some(fp) => Box::new(sim::sim_pipes(&cfg, fp.fifo_words)?),
                            None => Box::new(sim::SimLink::new(&cfg)?),
                        };
                        (t, Some(cfg))
                    }
                    None => {
                        let cfg = sim_default()?;
                        (
                            Box::new(sim::SimLink::new(&cfg)?) as Box<dyn Transport>,
                            Some(cfg),
                        )
                    }
                }
            }
            Kind::Uart => {
                let Some(dev) = &self.device else {
                    bail!("--transport uart needs --device (a serial port: see `logattn devices`)");
                };
                if let Some(b) = &board {
                    if b.uart().is_none() {
                        bail!("the {} is reached through FrontPanel, not a UART", b.name);
                    }
                }
                let baud = self
                    .baud
                    .or_else(|| board.as_ref().and_then(|b| b.baud()).map(|b| b as u32))
                    .unwrap_or(3_000_000);
                (
                    Box::new(uart::Uart::open(dev, baud)?) as Box<dyn Transport>,
                    None,
                )
            }
            Kind::Frontpanel => (self.frontpanel()?, None),
        };
        let (link, faults): (Box<dyn Transport>, _) = match self.inject {
            Some(spec) => {
                let f = Faulty::new(link, spec);
                let h = f.counts_handle();
                (Box::new(f), Some(h))
            }
            None => (link, None),
        };
        let driver = Driver::new(
            link,
            DriverOptions {
                window: self.window,
                max_attempts: self.max_attempts,
                timeout: self.timeout_ms.map(Duration::from_millis),
            },
        )?;
        Ok(Connection {
            driver,
            faults,
            sim_config,
        })
    }

    #[cfg(feature = "xem7010")]
    fn frontpanel(&self) -> Result<Box<dyn Transport>> {
        use crate::transport::frontpanel::{ok::OkBoard, PipeLink};
        let fifo = hdl::boards::board("xem7010")
            .and_then(|b| b.frontpanel().map(|f| f.fifo_words))
            .expect("the xem7010 board has FrontPanel");
        let bit = self.bitstream.as_ref().map(|p| p.display().to_string());
        let b = OkBoard::open(self.device.as_deref().unwrap_or(""), bit.as_deref(), fifo)?;
        Ok(Box::new(PipeLink::new(b)))
    }

    #[cfg(not(feature = "xem7010"))]
    fn frontpanel(&self) -> Result<Box<dyn Transport>> {
        bail!(
            "this logattn was built without FrontPanel support: rebuild with `--features xem7010` and Opal Kelly's FrontPanel SDK (OK_FRONTPANEL_DIR)"
        )
    }
}
