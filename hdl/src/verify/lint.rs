//! Verilator lint of generated Verilog (rust-hdl's `yosys_validate` needs yosys, which the
//! project does not require).

use std::path::PathBuf;
use std::process::Command;

/// Flags passed to `verilator --lint-only`: rust-hdl writes every literal as 32 bits (WIDTH) and
/// names modules after instance paths (DECLFILENAME).
pub const LINT_FLAGS: [&str; 3] = ["--lint-only", "-Wno-WIDTH", "-Wno-DECLFILENAME"];

/// Writes `verilog` to a temporary file named after `name` and lints it with Verilator
/// (`--top-module top`, [`LINT_FLAGS`], all other warnings on). `Ok(())` when Verilator exits 0
/// with no warning; otherwise `Err` with its output. Errors if `verilator` is not on PATH.
pub fn verilator_lint(name: &str, verilog: &str) -> Result<(), String> {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("logattn-lint-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let file = dir.join(format!("{name}.v"));
    std::fs::write(&file, verilog).map_err(|e| e.to_string())?;
    let out = Command::new("verilator")
        .args(LINT_FLAGS)
        .args(["--top-module", "top"])
        .arg(&file)
        .output()
        .map_err(|e| format!("cannot run verilator: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
    if out.status.success() && !text.contains("%Warning") {
        Ok(())
    } else {
        Err(text)
    }
}
