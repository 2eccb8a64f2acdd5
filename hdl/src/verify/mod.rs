//! Verification helpers: Verilator lint of generated Verilog ([`lint`]), rust-hdl's native
//! simulator testbench (`testbench`, with the `native-bench` feature), and test-only harnesses:
//! Verilator replay of per-cycle stimulus, an ideal serial line, the whole head in the native
//! simulator.

#[cfg(test)]
mod golden;
#[cfg(test)]
mod head_native;
pub mod lint;
#[cfg(test)]
pub(crate) mod serial_model;
#[cfg(any(test, feature = "native-bench"))]
pub mod testbench;
#[cfg(test)]
pub(crate) mod verilator_check;
#[cfg(test)]
pub(crate) mod verilator_replay;
