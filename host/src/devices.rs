//! `logattn devices` and `logattn info`.

use crate::connect::{Kind, LinkArgs};
use crate::run::InfoReport;
use anyhow::{Context, Result};
use serde::Serialize;

/// Arguments of `logattn info`.
#[derive(clap::Args, Debug, Clone)]
pub struct InfoArgs {
    #[command(flatten)]
    pub link: LinkArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `logattn devices`.
#[derive(clap::Args, Debug, Clone)]
pub struct DevicesArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct InfoOut {
    transport: String,
    info: InfoReport,
}

/// `logattn info`: the configuration a board reports through the link.
pub fn info(args: &InfoArgs) -> Result<String> {
    let mut link = args.link.clone();
    if link.transport == Kind::Sim && link.board.is_none() {
        link.board = Some("ulx3s".into());
    }
    let mut conn = link.connect(|| unreachable!("a board is named"))?;
    let info = conn
        .driver
        .info()
        .context("asking the board for its configuration")?;
    let out = InfoOut {
        transport: conn.driver.link_ref().describe(),
        info: InfoReport::from(&info),
    };
    if args.json {
        return Ok(serde_json::to_string_pretty(&out)?);
    }
    let i = &out.info;
    Ok(format!(
        "{}\n  D = {}, N_MAX = {}, {}-bit codes, {} lanes\n  accumulators {} bits, row sums {} bits\n  front end: {}\n  codes jobs: {}\n  protocol version {}",
        out.transport,
        i.d,
        i.n_max,
        i.bits,
        i.variant,
        i.acc_bits,
        i.rsum_bits,
        if i.front_end { i.codebook.as_str() } else { "none" },
        if i.codes { "yes" } else { "no" },
        i.version
    ))
}

#[derive(Serialize)]
struct DeviceRow {
    transport: &'static str,
    device: String,
    what: String,
}

/// `logattn devices`: the boards reachable from here.
pub fn devices(args: &DevicesArgs) -> Result<String> {
    let mut rows: Vec<DeviceRow> = Vec::new();
    for name in hdl::boards::BOARDS {
        let b = hdl::boards::board(name).expect("a known board");
        for design in b.link_designs() {
            rows.push(DeviceRow {
                transport: "sim",
                device: if design == "link" {
                    format!("--board {name}")
                } else {
                    format!("--board {name} --design {design}")
                },
                what: "the board's design, Verilated (always available)".into(),
            });
        }
    }
    for (path, what) in crate::transport::uart::list_ports() {
        rows.push(DeviceRow {
            transport: "uart",
            device: path,
            what,
        });
    }
    frontpanel_rows(&mut rows);
    if args.json {
        return Ok(serde_json::to_string_pretty(&rows)?);
    }
    let mut s = format!("{:<11} {:<22} {}\n", "transport", "device", "what");
    for r in &rows {
        s += &format!("{:<11} {:<22} {}\n", r.transport, r.device, r.what);
    }
    if !rows.iter().any(|r| r.transport == "uart") {
        s += "(no serial ports found: is the board plugged in, and may you open /dev/ttyUSB*?)\n";
    }
    Ok(s.trim_end().to_string())
}

#[cfg(feature = "xem7010")]
fn frontpanel_rows(rows: &mut Vec<DeviceRow>) {
    let h = rust_hdl_ok_frontpanel_sys::OkHandle::new();
    if h.open().is_ok() {
        rows.push(DeviceRow {
            transport: "frontpanel",
            device: h.get_serial_number(),
            what: h.get_board_model(),
        });
    }
}

#[cfg(not(feature = "xem7010"))]
fn frontpanel_rows(_rows: &mut Vec<DeviceRow>) {}
