//! The XEM7010 bitstream with Vivado, through rust-hdl's Opal Kelly board support (cargo
//! feature `xem7010`; see `hdl::xem7010_ok` for what it needs: Opal Kelly's FrontPanel SDK and
//! HDL, Vivado, a `yosys` on PATH for rust-hdl's check):
//!
//! `OK_FRONTPANEL_DIR=... VIVADO_PATH=... FP_PATH=... cargo run --release -p hdl --features xem7010 --example xem7010_bitstream`
//!
//! Vivado runs in `build/xem7010/vivado/` (emptied first); the bitstream is copied to
//! `bitstreams/xem7010/link.bit` with `link.manifest.json`: its SHA-256, the SHA-256 of the
//! default build's XEM7010 top (`emit_board --board xem7010 --design link`, which
//! `hdl/tests/bitstreams.rs` regenerates to catch a stale bitstream: it is the same design with
//! hand-written FrontPanel wiring) and of the Verilog Vivado was given, and whether Vivado's
//! routed timing summary says every constraint is met.

use hdl::boards::xem7010_ok::{synth, Xem7010Ok};
use hdl::boards::{board, top_verilog};
use hdl::link::link_head::LinkHead;
use rust_hdl::prelude::*;
use sha2::{Digest, Sha256};
use std::path::Path;

/// The XEM7010's link design: the whole head at D = 64, N_MAX = 512 (the const parameters of
/// `hdl::boards`' dispatch for (64, 9)).
type Head = LinkHead<512, { 64 * 33 }, 9, 33, 25, 22, 25, 528, { 64 * 33 + 25 }>;

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let root = root.canonicalize().expect("the repository root");
    let b = board("xem7010").expect("the xem7010 board");
    assert_eq!(
        (b.d, b.n_max),
        (64, 512),
        "xem7010_bitstream: built for D = 64, N_MAX = 512; update `Head` for the board's D, N_MAX"
    );
    let dir = root.join("build/xem7010/vivado");
    let mut uut = Xem7010Ok::<Head>::new(&b);
    uut.hi.link_connect_dest();
    uut.connect_all();
    let vivado_verilog = generate_verilog(&uut);
    synth(uut, &dir.to_string_lossy());
    let out = root.join("bitstreams/xem7010");
    std::fs::create_dir_all(&out).unwrap();
    let bit = out.join("link.bit");
    std::fs::copy(dir.join("top.bit"), &bit).expect("Vivado wrote no top.bit");
    let timing = std::fs::read_to_string(dir.join("top.runs/impl_1/top_timing_summary_routed.rpt"))
        .unwrap_or_default();
    let manifest = serde_json::json!({
        "board": b.name,
        "design": "link",
        "family": "xc7",
        "device": b.device,
        "package": b.package,
        "bitstream": "bitstreams/xem7010/link.bit",
        "bitstream_sha256": sha256_hex(&std::fs::read(&bit).unwrap()),
        "verilog_sha256": sha256_hex(top_verilog(&b, "link").unwrap().as_bytes()),
        "vivado_verilog_sha256": sha256_hex(vivado_verilog.as_bytes()),
        "tools": { "vivado": env!("VIVADO_PATH") },
        "clock_hz": b.clock_hz,
        "timing_met": timing.contains("All user specified timing constraints are met"),
        "constraints": "rust-hdl-bsp-ok-xem7010 pin and timing constraints (constraints/xem7010.xdc mirrors them)",
    });
    std::fs::write(
        out.join("link.manifest.json"),
        serde_json::to_string_pretty(&manifest).unwrap() + "\n",
    )
    .unwrap();
    println!("{}", serde_json::to_string(&manifest).unwrap());
}
