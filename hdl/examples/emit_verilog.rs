//! Writes the Verilog of one AttnV core, or with `--head` of one whole head (front end + AttnV),
//! or with `--link` of the board design behind its byte streams (link framer, buffers, head:
//! `hdl::link::link_head::LinkHead`), as module `top`, to stdout or a file.
//!
//! `cargo run --release -p hdl --example emit_verilog -- [--head|--link] [--d 64] [--n-max 512] [--variant general|octave|dense] [--k 1|2] [--threshold 1e-3] [--keys-per-cycle 1] [--part BOARD] [--out FILE]`
//!
//! `--k`: the core issues K non-zero codes a cycle (`CoreParams::nnz_per_cycle`, default 1).
//!
//! The head's front end compares against the octave codebook's edges for `--variant octave`
//! and against the log codebook's (k = 3, `--threshold`) otherwise; `--keys-per-cycle` is the
//! head's P (1, 2, 4 or 8).
//!
//! `--part BOARD` (`ulx3s`, `xem7010` or `alchitry_cu`) writes the Verilog for that board's
//! part: on ECP5 it starts with the define that keeps the score units' and ScaleShift's DSP
//! products' registers in their MULT18X18D (`hdl::boards::for_part`); with `--head` it also
//! builds the head's products where the part has them: in its DSP blocks first, the rest in LUTs
//! (`hdl::configs::MultiplierSplit`). Without it every product is written for DSP blocks with
//! its registers in the fabric.

use hdl::configs::MultiplierSplit;
use model::frontend::FrontEndParams;
use model::{Codebook, CoreParams, Variant};

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let (mut d, mut n_max, mut variant, mut out) = (64usize, 512usize, Variant::General, None);
    let (mut head, mut link, mut threshold) = (false, false, 1e-3f64);
    let (mut p, mut k) = (1usize, 1usize);
    let mut part: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--d" => d = val()?.parse().map_err(|e| format!("--d: {e}"))?,
            "--n-max" => n_max = val()?.parse().map_err(|e| format!("--n-max: {e}"))?,
            "--k" => k = val()?.parse().map_err(|e| format!("--k: {e}"))?,
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
            "--head" => head = true,
            "--link" => link = true,
            "--part" => part = Some(val()?),
            "--threshold" => threshold = val()?.parse().map_err(|e| format!("--threshold: {e}"))?,
            "--keys-per-cycle" => {
                p = val()?
                    .parse()
                    .map_err(|e| format!("--keys-per-cycle: {e}"))?
            }
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    let core = CoreParams::hardware(d, n_max)
        .and_then(|c| c.with_nnz_per_cycle(k))
        .map_err(|e| e.to_string())?;
    let resources = match &part {
        None => None,
        Some(name) => Some(hdl::boards::board_resources(name).ok_or(format!(
            "--part: no board {name} (boards: {:?})",
            hdl::boards::BOARDS
        ))?),
    };
    let v = if head || link {
        let cb = if variant == Variant::Octave {
            Codebook::octave(3)
        } else {
            Codebook::log(3, threshold)
        }
        .map_err(|e| e.to_string())?;
        if link {
            let cfg = model::link::DeviceConfig::head(d, n_max, &cb)
                .and_then(|c| c.with_parallelism(p, k))
                .map_err(|e| e.to_string())?;
            hdl::link_verilog(&cfg)
        } else {
            let fe = FrontEndParams::hardware(d, n_max)
                .with_keys_per_cycle(p)
                .map_err(|e| e.to_string())?;
            let split = match (&part, &resources) {
                (Some(name), Some(r)) => {
                    let lane = MultiplierSplit::lane_products(variant, d, k);
                    let s = MultiplierSplit::new(r.family, r.dsp_blocks, d, p, lane);
                    eprintln!(
                        "{name}: {} of {} DSP blocks; in LUTs: {} of {} score products, {} of {} lane products (~{} LUTs)",
                        s.dsp_used(), s.dsp_blocks, s.score_in_luts, s.score, s.lane_in_luts, s.lane, s.lut_estimate()
                    );
                    Some(s)
                }
                _ => None,
            };
            hdl::head_verilog_split(&core, variant, &fe, &cb, split.as_ref())
        }
    } else {
        hdl::attnv_verilog(&core, variant)
    }
    .map_err(|e| e.to_string())?;
    let v = match &resources {
        Some(r) => hdl::boards::for_part(r.family, v),
        None => v,
    };
    match out {
        Some(f) => std::fs::write(&f, v).map_err(|e| format!("{f}: {e}")),
        None => {
            print!("{v}");
            Ok(())
        }
    }
}
