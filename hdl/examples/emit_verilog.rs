//! Writes the Verilog of one AttnV configuration (module `top`) to stdout or a file.
//!
//! `cargo run --release -p hdl --example emit_verilog -- [--d 64] [--n-max 512] [--variant general|octave|dense] [--out FILE]`

use model::{CoreParams, Variant};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let (mut d, mut n_max, mut variant, mut out) = (64usize, 512usize, Variant::General, None);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--d" => d = val()?.parse().map_err(|e| format!("--d: {e}"))?,
            "--n-max" => n_max = val()?.parse().map_err(|e| format!("--n-max: {e}"))?,
            "--variant" => {
                variant = match val()?.as_str() {
                    "general" => Variant::General,
                    "octave" => Variant::Octave,
                    "dense" => Variant::Dense,
                    v => {
                        return Err(format!(
                            "--variant must be general, octave or dense, got {v}"
                        ))
                    }
                }
            }
            "--out" => out = Some(val()?),
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    let p = CoreParams::new(d, n_max, 16, 3).map_err(|e| e.to_string())?;
    if !hdl::SUPPORTED.contains(&(d, n_max)) {
        return Err(format!(
            "no compiled configuration for D = {d}, N_MAX = {n_max}; supported (D, N_MAX): {:?}",
            hdl::SUPPORTED
        ));
    }
    let v = hdl::attnv_verilog(&p, variant);
    match out {
        Some(f) => std::fs::write(&f, v).map_err(|e| format!("{f}: {e}")),
        None => {
            print!("{v}");
            Ok(())
        }
    }
}
