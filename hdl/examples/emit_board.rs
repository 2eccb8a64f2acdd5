//! Writes the Verilog of a design in a board's top (module `top`, ports named as the board's
//! constraints file), for synthesis, to stdout or a file; or, with `--info`, the board's
//! description as JSON (what `scripts/bitstream.sh` needs: device, tools, clocks, baud rate).
//!
//! `cargo run --release -p hdl --example emit_board -- --board ulx3s|alchitry_cu [--design echo|link] [--variant general|octave|dense] [--out FILE] [--info]`
//!
//! `--variant` overrides the board's AttnV variant in the link design (for resource tables;
//! the committed bitstreams use each board's own).

use hdl::boards::{board, top_verilog, Family, BOARDS, DESIGNS};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let (mut name, mut design, mut out, mut info) = (None, "echo".to_string(), None, false);
    let mut variant = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--board" => name = Some(val()?),
            "--design" => design = val()?,
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
    if let Some(v) = variant {
        b.variant = v;
    }
    if !DESIGNS.contains(&design.as_str()) {
        return Err(format!(
            "unknown design `{design}`; known: {}",
            DESIGNS.join(", ")
        ));
    }
    let text = if info {
        let (family, synth, nextpnr, pack, ext, constraints_opt) = match b.family {
            Family::Ecp5 => (
                "ecp5",
                "synth_ecp5",
                "nextpnr-ecp5",
                "ecppack",
                "bit",
                "--lpf",
            ),
            Family::Ice40 => (
                "ice40",
                "synth_ice40",
                "nextpnr-ice40",
                "icepack",
                "bin",
                "--pcf",
            ),
        };
        let list = |v: &[&str]| {
            v.iter()
                .map(|s| format!("\"{s}\""))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "{{\"board\": \"{}\", \"design\": \"{design}\", \"family\": \"{family}\", \"device\": \"{}\", \
             \"package\": \"{}\", \"top\": \"top\", \"synth\": \"{synth}\", \"nextpnr\": \"{nextpnr}\", \
             \"nextpnr_args\": [{}], \"constraints_option\": \"{constraints_opt}\", \
             \"constraints\": \"{}\", \"pack\": \"{pack}\", \"bitstream_ext\": \"{ext}\", \
             \"clock_in_hz\": {}, \"clock_hz\": {}, \"baud\": {}, \"uart_chip\": \"{}\", \
             \"rx_fifo_depth\": {}, \"d\": {}, \"n_max\": {}, \"variant\": \"{:?}\", \"front_end\": {}}}\n",
            b.name,
            b.device,
            b.package,
            list(b.nextpnr_args),
            b.constraints,
            b.clock_in_hz,
            b.design_clock_hz(),
            b.baud,
            b.uart_chip,
            b.rx_fifo_depth,
            b.d,
            b.n_max,
            b.variant,
            b.front_end,
        )
    } else {
        top_verilog(&b, &design)?
    };
    match out {
        Some(f) => std::fs::write(&f, text).map_err(|e| format!("{f}: {e}")),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}
