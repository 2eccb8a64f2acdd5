//! Writes the Verilog of a design in a board's top (module `top`, ports named as the board's
//! constraints file), for synthesis, to stdout or a file; or, with `--info`, the board's
//! description as JSON (what `scripts/bitstream.sh` needs: device, tools, clocks, baud rate).
//!
//! `cargo run --release -p hdl --example emit_board -- --board ulx3s|alchitry_cu|xem7010 [--design echo|link|core] [--variant general|octave|dense] [--out FILE] [--info]`
//!
//! The XEM7010 carries the link design only (behind FrontPanel pipes; the default there); its
//! `--info` names the FrontPanel endpoints instead of a UART and nextpnr.
//!
//! `--variant` overrides the board's AttnV variant in the link design (for resource tables;
//! the committed bitstreams use each board's own).

use hdl::boards::{board, top_verilog, Board, Family, HostLink, BOARDS, DESIGNS};
use hdl::link::frontpanel_link::{
    EP_PIPE_IN, EP_PIPE_OUT, EP_RESET, EP_STATUS, EP_WORDS_FREE, EP_WORDS_READY,
};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn family_name(f: Family) -> &'static str {
    match f {
        Family::Ecp5 => "ecp5",
        Family::Ice40 => "ice40",
        Family::Xilinx7 => "xc7",
    }
}

fn synth_command(f: Family) -> &'static str {
    match f {
        Family::Ecp5 => "synth_ecp5",
        Family::Ice40 => "synth_ice40",
        Family::Xilinx7 => "synth_xilinx -family xc7",
    }
}

/// `Err` if `design` cannot go on `b` (the message of [`top_verilog`]), without generating it.
fn top_verilog_check(b: &Board, design: &str) -> Result<(), String> {
    if design == "echo" && b.uart().is_none() {
        return top_verilog(b, design)
            .map(|_| ())
            .map_err(|e| e.to_string());
    }
    Ok(())
}

fn run() -> Result<(), String> {
    let (mut name, mut design, mut out, mut info) = (None, None, None, false);
    let mut variant = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--board" => name = Some(val()?),
            "--design" => design = Some(val()?),
            "--out" => out = Some(val()?),
            "--info" => info = true,
            "--variant" => {
                variant = Some(match val()?.as_str() {
                    "general" => model::Variant::General,
                    "octave" => model::Variant::Octave,
                    "dense" => model::Variant::Dense,
                    v => {
                        return Err(format!(
                            "--variant must be general, octave or dense, got {v}"
                        ))
                    }
                })
            }
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    let name = name.ok_or(format!("--board is required: one of {}", BOARDS.join(", ")))?;
    let mut b = board(&name).ok_or(format!(
        "unknown board `{name}`; known: {}",
        BOARDS.join(", ")
    ))?;
    // The default design: the echo on a UART board, the link design on a FrontPanel board.
    let design =
        design.unwrap_or_else(|| if b.uart().is_some() { "echo" } else { "link" }.to_string());
    if !DESIGNS.contains(&design.as_str()) {
        return Err(format!(
            "unknown design `{design}`; known: {}",
            DESIGNS.join(", ")
        ));
    }
    if design != "echo" {
        // The board as it carries this link design (its D, clock and baud rate).
        b = b.for_design(&design).map_err(|e| e.to_string())?;
    }
    if let Some(v) = variant {
        b.design.variant = v;
    }
    let text = if info {
        // A board the design cannot go on is an error here too.
        top_verilog_check(&b, &design)?;
        let list = |v: &[&str]| {
            v.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let common = format!(
            "\"board\": \"{}\", \"design\": \"{design}\", \"family\": \"{}\", \"device\": \"{}\", \
             \"package\": \"{}\", \"top\": \"top\", \"synth\": \"{}\"",
            b.name,
            family_name(b.family),
            b.device,
            b.package,
            synth_command(b.family),
        );
        let design_fields = format!(
            "\"d\": {}, \"n_max\": {}, \"variant\": \"{:?}\", \"front_end\": {}",
            b.design.d, b.design.n_max, b.design.variant, b.design.front_end,
        );
        match &b.host {
            HostLink::Uart(u) => {
                let baud = b.baud().expect("a UART board has a baud rate");
                let (nextpnr, pack, ext, constraints_opt) = match b.family {
                    Family::Ecp5 => ("nextpnr-ecp5", "ecppack", "bit", "--lpf"),
                    Family::Ice40 => ("nextpnr-ice40", "icepack", "bin", "--pcf"),
                    Family::Xilinx7 => return Err(format!("{}: a UART board on a Xilinx part is not described", b.name)),
                };
                format!(
                    "{{{common}, \"nextpnr\": \"{nextpnr}\", \
                     \"nextpnr_args\": [{}], \"constraints_option\": \"{constraints_opt}\", \
                     \"constraints\": \"{}\", \"pack\": \"{pack}\", \"bitstream_ext\": \"{ext}\", \
                     \"clock_in_hz\": {}, \"clock_hz\": {}, \"head_clock_hz\": {}, \"baud\": {}, \"uart_chip\": \"{}\", \
                     \"rx_fifo_depth\": {}, {design_fields}}}\n",
                    list(b.nextpnr_args),
                    b.constraints,
                    b.clock_in_hz,
                    b.design_clock_hz(),
                    b.head_clock_hz(),
                    baud,
                    u.chip,
                    u.rx_fifo_depth,
                )
            }
            HostLink::FrontPanel(f) => format!(
                "{{{common}, \"nextpnr\": null, \"nextpnr_args\": [], \
                 \"constraints\": \"{}\", \"bitstream\": \"Vivado only (hdl feature xem7010)\", \
                 \"clock_in_hz\": {}, \"clock_hz\": {}, \"head_clock_hz\": {}, \"host\": \"frontpanel\", \"usb\": \"{}\", \
                 \"fifo_words\": {}, \"endpoints\": {{\"reset_wire_in\": {}, \"words_free_wire_out\": {}, \
                 \"words_ready_wire_out\": {}, \"status_wire_out\": {}, \"pipe_in\": {}, \"pipe_out\": {}}}, \
                 {design_fields}}}\n",
                b.constraints,
                b.clock_in_hz,
                b.design_clock_hz(),
                b.head_clock_hz(),
                f.bus,
                f.fifo_words,
                EP_RESET,
                EP_WORDS_FREE,
                EP_WORDS_READY,
                EP_STATUS,
                EP_PIPE_IN,
                EP_PIPE_OUT,
            ),
        }
    } else {
        top_verilog(&b, &design).map_err(|e| e.to_string())?
    };
    match out {
        Some(f) => std::fs::write(&f, text).map_err(|e| format!("{f}: {e}")),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
