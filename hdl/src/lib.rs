//! # hdl: logattn hardware in rust-hdl
//!
//! The zero-skipping attention x V core [`core::attnv::AttnV`] and its blocks, one per file:
//! [`core::code_scanner::CodeScanner`] (zero-beat dropping, non-zero FIFO, one token per cycle),
//! [`core::weight_table::WeightTable`], [`core::lane::Lane`] (V block RAM + multiply/shift + accumulator),
//! [`core::row_sum::RowSum`], and hand-written Verilog leaves for what rust-hdl 0.46 cannot express
//! ([`core::mul16x8::Mul16x8`], [`core::code_mask::CodeMask`], [`core::onehot_select::OneHotSelect`],
//! [`core::bus_split::BusSplit`], [`core::bus_join::BusJoin`]).
//!
//! The front end [`front_end::FrontEnd`] turns integer Q and K into codes on chip: the score
//! unit [`front_end::dot_product::DotProduct`], [`front_end::scale_shift::ScaleShift`], [`front_end::exp2_neg::Exp2Neg`],
//! [`front_end::log2_sum::Log2Sum`], [`front_end::code_of::CodeOf`] and [`front_end::beat_queue::BeatQueue`] (Verilog leaves
//! with Rust twins). [`attn_head::AttnHead`] joins the two: the board takes Q, K and V.
//!
//! [`attnv_verilog`] and [`head_verilog`] generate the Verilog of any supported configuration;
//! [`lint`] runs Verilator on it. The cycle behaviour is modelled by `model::timing`.
//!
//! Board I/O: [`io::uart_rx::UartRx`], [`io::uart_tx::UartTx`] and [`io::byte_fifo::ByteFifo`] make
//! [`io::uart_bridge::UartBridge`] (a board's UART pins as AXI-Stream byte streams); the PLLs
//! [`io::ecp5_pll::Ecp5Pll`] and [`io::ice40_pll::Ice40Pll`] (black-box wrappers with parameter
//! searches matching `ecppll` and `icepll`) and [`io::reset_sync::ResetSync`] go into the board
//! shells [`boards::ulx3s_top::Ulx3sTop`] and [`boards::alchitry_cu_top::AlchitryCuTop`], which carry any
//! [`boards::BoardDesign`], such as the bring-up design [`boards::uart_echo::UartEcho`].
//! [`boards`] describes the boards and generates a board top's Verilog
//! (`scripts/bitstream.sh` builds the bitstreams).
//!
//! FrontPanel (the Opal Kelly XEM7010): [`io::pipe_bridge::PipeBridge`] turns pipe words into byte
//! streams, [`link::frontpanel_link::FrontPanelLink`] puts it in front of a link design, and
//! [`boards::xem7010_top::Xem7010Top`] adds Opal Kelly's host interface and endpoints (black boxes);
//! [`frontpanel_link_verilog`] generates the endpoint-level design that `sim` simulates. The
//! `xem7010` feature adds `xem7010_ok`: the same design built with rust-hdl's XEM7010 board
//! support, for Vivado (needs Opal Kelly's FrontPanel SDK and Vivado).

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
    attnv_verilog, frontpanel_link_verilog, head_verilog, link_verilog, with_link_design, Build,
    LinkDesignVisitor,
};
pub use error::HdlError;
