//! Board I/O: the UART ([`uart_rx::UartRx`], [`uart_tx::UartTx`], [`byte_fifo::ByteFifo`],
//! together [`uart_bridge::UartBridge`]), FrontPanel pipe words to bytes
//! ([`pipe_bridge::PipeBridge`]), the byte streams across two clock domains
//! ([`byte_crossing::ByteCrossing`]), the PLLs ([`ecp5_pll::Ecp5Pll`], [`ice40_pll::Ice40Pll`]),
//! the 7-series MMCM's setting ([`xc7_mmcm::xc7_mmcm_params`]), [`reset_sync::ResetSync`] and
//! an AXI-Stream register slice, [`skid_buffer::SkidBuffer`].

pub mod byte_crossing;
pub mod byte_fifo;
pub mod ecp5_pll;
pub mod ice40_pll;
pub mod pipe_bridge;
pub mod reset_sync;
pub mod skid_buffer;
pub mod uart_bridge;
pub mod uart_rx;
pub mod uart_tx;
pub mod xc7_mmcm;
