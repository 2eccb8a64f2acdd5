//! # sim: cycle-accurate simulation of logattn's generated Verilog against `model`
//!
//! Layers, from the simulator up:
//!
//! - [`verilator`]: a reusable Verilator harness. [`verilator::VerilatedModel::build`] verilates
//!   Verilog at run time into a cache keyed by a SHA-256 of the Verilog, the Verilator version,
//!   the options and the shim, compiles it with a generated `extern "C"` shim into one shared
//!   library, and loads it with `libloading`; ports are looked up by name once and then read and
//!   written in the model's memory by index (two FFI calls per cycle: the two `eval`s).
//! - [`bits`]: packing lanes into and out of wide buses.
//! - Drivers, one per design, each at its ports:
//!   - [`attnv`]: the AXI-Stream driver of the AttnV core (weights, V rows, code beats in; one
//!     accumulator beat per query row out), with seeded random idle cycles and back-pressure,
//!     and AXI-Stream checks on the output.
//!   - [`head`]: the whole head's AXI-Stream driver (front end + AttnV): integer Q, K, V in,
//!     accumulator rows out, heads back to back.
//!   - [`board`]: the simulated board (`LinkHead` or `LinkCore`) on its two byte streams;
//!     [`frontpanel`]: the XEM7010's design at its FrontPanel endpoints (pipe FIFOs included),
//!     driven by a FrontPanel host model with the calls a host program makes.
//! - Checks and measurements against `model`:
//!   - [`check`]: integer-for-integer comparison of a run with `model::accumulate`.
//!   - [`mod@bench`]: a job through a zero-skipping core and the dense baseline: cycles, ideal
//!     cycles, efficiency, speed-up; real attention split into per-head jobs.
//!   - [`qkv`]: real Q, K, V through the whole on-chip path: bit-exactness against the model,
//!     cycles against `model::timing::head_cycles`, code agreement with the float path and the
//!     output's error against float attention ([`qkv::HeadCores`]: one built head per width).
//!   - [`headbench`]: cycles per whole head for n = 128 and 512 at D = 32 and 64, and where the
//!     time goes.
//!   - [`regression`]: the default run's cases (AttnV cases, whole heads on chip, the board
//!     design on its byte streams) and tables.
//!   - [`speed`]: rust-hdl's native simulator against Verilator on the same job (the native
//!     side needs the `native-bench` feature).
//! - [`cli`]: the `sim` binary's commands, one module each (arguments and `run`).
//!
//! The binary (`cargo run --release -p sim -- --help`) runs the regression (default), real
//! attention (`--probs`, or `--q`, `--k`, `--v`), or one configuration chosen on the command line
//! (`sim attnv --d 64 --variant octave ...`).
//!
//! ## Environment
//! - `LOGATTN_CACHE`: cache root (default `$CARGO_TARGET_DIR/verilator-cache`, else the
//!   `verilator-cache` folder of the cargo target directory holding the running executable).
//!   Each model takes 1-2 MB; deleting the folder is always safe. A cached library is loaded
//!   only if it has the size and SHA-256 recorded when it was built (else it is rebuilt), the
//!   folders of builds whose process died are swept, and the least recently used models are
//!   removed beyond `LOGATTN_CACHE_MAX_MODELS` models (default 256) or `LOGATTN_CACHE_MAX_MB`
//!   MB (default 4096) ([`verilator::cache`]).
//! - `VERILATOR`, `CXX`: the tools (default `verilator`, `g++`).
//!
//! ## Costs (2 cores, Verilator 5.006, g++ 12)
//! A cache miss verilates in 0.2-2 s and compiles in 5-13 s for the D = 64 core (the Verilator
//! runtime, ~8 s more, is compiled once per cache root and shared); a hit loads in ~0.1 s.
//! The D = 64 core simulates at ~1.7-1.9 M cycles per CPU second through the driver.

pub mod attnv;
pub mod bench;
pub mod bits;
pub mod board;
pub mod check;
pub mod cli;
pub mod frontpanel;
pub mod head;
pub mod headbench;
pub mod qkv;
pub mod regression;
pub mod speed;
pub mod verilator;
