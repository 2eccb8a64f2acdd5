//! # hdl: logattn hardware in rust-hdl
//!
//! The accelerator's blocks, one LogicBlock per file, in folders by role:
//!
//! - [`core`]: the zero-skipping AttnV core [`core::attnv::AttnV`]: the code scanner (zero-beat
//!   dropping, non-zero FIFO, one token a cycle), the weight table, the lanes (V block RAM,
//!   multiply or shift, accumulator), the row sum, and hand-written Verilog leaves for what
//!   rust-hdl 0.46 cannot express.
//! - [`front_end`]: [`front_end::FrontEnd`], integer Q and K to 3-bit codes on chip, P keys a
//!   cycle in three elastic row stages (scores and the row maximum, the exp2 sum and its log2,
//!   the code comparators and the beat queue), each with P lanes.
//! - [`attn_head::AttnHead`]: the front end and the core together: the whole head, Q, K, V in.
//! - [`link`]: the link layer: the framers ([`link::rx_framer::RxFramer`],
//!   [`link::tx_framer::TxFramer`]), the job runner ([`link::job_runner::JobRunner`]) and the
//!   link designs ([`link::link_head::LinkHead`], the whole head; [`link::link_core::LinkCore`],
//!   the core alone), behind a UART ([`link::uart_link::UartLink`]) or FrontPanel pipes
//!   ([`link::frontpanel_link::FrontPanelLink`]).
//! - [`io`]: board I/O: UART, byte FIFOs, the FrontPanel pipe bridge, PLLs, reset synchronizer.
//! - [`boards`]: each board's resources (pins, clocks, host link, constraints), the link designs
//!   built on it, its shell (top level) and the board-top Verilog the bitstream flow
//!   (`scripts/bitstream.sh`) builds.
//! - [`verify`]: Verilator lint, rust-hdl's native testbench, and test-only harnesses.
//!
//! [`configs`] is the one table of compiled configurations ([`Build`]): rust-hdl takes widths
//! as const generics, so each configuration is a type; [`attnv_verilog`], [`head_verilog`],
//! [`link_verilog`] and [`frontpanel_link_verilog`] generate the Verilog of any compiled one,
//! and errors ([`HdlError`]) name what is not. Every number comes from `model`; the cycle
//! behaviour is modelled by `model::timing`.

pub mod attn_head;
pub mod boards;
pub mod configs;
pub mod core;
mod error;
pub mod front_end;
pub mod io;
pub mod link;
pub mod verify;

pub use configs::{
    attnv_verilog, attnv_verilog_banks, frontpanel_link_verilog, head_verilog, head_verilog_split,
    link_verilog, with_link_design, Build, LinkDesignVisitor,
};
pub use error::HdlError;
