//! The committed bitstreams are current: each manifest's Verilog hash equals the Verilog the
//! sources generate now (so a stale bitstream cannot sit in the repository unnoticed), and each
//! bitstream file's hash equals its manifest's. Rebuild with `make bitstreams`.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn manifests() -> Vec<(PathBuf, serde_json::Value)> {
    let mut out = Vec::new();
    for board in hdl::boards::BOARDS {
        let dir = root().join("bitstreams").join(board);
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.to_string_lossy().ends_with(".manifest.json") {
                let text = std::fs::read_to_string(&p).unwrap();
                let v =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
                out.push((p, v));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The bitstreams built (board, design): every design of every open-toolchain board.
const BUILT: [(&str, &str); 5] = [
    ("alchitry_cu", "link"),
    ("alchitry_cu", "echo"),
    ("ulx3s", "link"),
    ("ulx3s", "core"),
    ("ulx3s", "echo"),
];

#[test]
fn the_built_bitstreams_are_all_there() {
    let found: Vec<(String, String)> = manifests()
        .iter()
        .map(|(_, m)| {
            (
                m["board"].as_str().unwrap().to_string(),
                m["design"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for (board, design) in BUILT {
        assert!(
            found.contains(&(board.to_string(), design.to_string())),
            "bitstreams/{board}/{design}.manifest.json is missing: run `make bitstreams`"
        );
    }
    // Every link design of every board with an open flow is built.
    for name in hdl::boards::BOARDS {
        let b = hdl::boards::board(name).unwrap();
        if b.nextpnr_args.is_empty() {
            continue;
        }
        for d in b.link_designs() {
            assert!(
                BUILT.contains(&(name, d)),
                "{name} / {d}: a link design without a bitstream in BUILT"
            );
        }
    }
}

#[test]
fn bitstreams_match_the_sources_and_their_manifests() {
    let all = manifests();
    assert!(!all.is_empty(), "no bitstream manifests under bitstreams/");
    for (path, m) in all {
        let name = path.display();
        let (board, design) = (m["board"].as_str().unwrap(), m["design"].as_str().unwrap());
        let b = hdl::boards::board(board).unwrap_or_else(|| panic!("{name}: unknown board"));
        // The board as it carries this design (its clock and baud rate); the echo runs on
        // the board's own clock.
        let b = if design == "echo" {
            b
        } else {
            b.for_design(design).unwrap()
        };
        let verilog = hdl::boards::top_verilog(&b, design).unwrap();
        assert_eq!(
            sha256_hex(verilog.as_bytes()),
            m["verilog_sha256"].as_str().unwrap(),
            "{name}: the sources now generate different Verilog for {board} / {design}: the \
             bitstream is stale; rebuild it with `scripts/bitstream.sh {board} {design}`"
        );
        let bit = root().join(m["bitstream"].as_str().unwrap());
        let bytes = std::fs::read(&bit).unwrap_or_else(|e| panic!("{}: {e}", bit.display()));
        assert_eq!(
            sha256_hex(&bytes),
            m["bitstream_sha256"].as_str().unwrap(),
            "{name}: the bitstream file does not match its manifest"
        );
        assert_eq!(
            m["timing_met"].as_bool(),
            Some(true),
            "{name}: timing not met"
        );
        let args: Vec<&str> = m["nextpnr_args"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: no nextpnr_args: rebuild it"))
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(
            args, b.nextpnr_args,
            "{name}: built with other nextpnr options than the board's (placer, router): \
             rebuild it with `scripts/bitstream.sh {board} {design}`"
        );
        assert_eq!(m["baud"].as_u64(), b.baud(), "{name}: baud rate");
        assert_eq!(
            m["clock_hz"].as_u64(),
            Some(b.design.clock_hz),
            "{name}: clock"
        );
    }
}

/// The XC7A50T resource estimate (`make xc7-estimate`, no bitstream) is of the current sources:
/// its Verilog hash is the one `top_verilog` gives now.
#[test]
fn the_xc7_estimate_matches_the_sources() {
    let path = root().join("bitstreams/xem7010/estimate.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}: run `make xc7-estimate`", path.display()));
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    let (board, design) = (m["board"].as_str().unwrap(), m["design"].as_str().unwrap());
    let b = hdl::boards::board(board).unwrap();
    let verilog = hdl::boards::top_verilog(&b, design).unwrap();
    assert_eq!(
        sha256_hex(verilog.as_bytes()),
        m["verilog_sha256"].as_str().unwrap(),
        "{}: the sources now generate different Verilog for {board} / {design}: the estimate \
         is stale; rerun `make xc7-estimate`",
        path.display()
    );
    assert!(m["bitstream"].is_null(), "an estimate has no bitstream");
    let lut = &m["resources"]["lut"];
    assert!(
        lut["used"].as_u64().unwrap() <= lut["available"].as_u64().unwrap(),
        "the design does not fit the XC7A50T's LUTs"
    );
}
