//! The link protocol: framed requests and responses over a byte stream, the same for every board
//! (UART, FrontPanel pipes) and for the simulated board. Specified in `docs/link.md`.
//!
//! Principal types:
//! - [`Request`] / [`Response`]: what the host sends and what the board answers, with
//!   [`Request::encode`] and [`Response::encode`] producing the bytes on the wire.
//! - [`Decoder`]: a streaming decoder of either direction (bytes in, [`Event`]s out) that hunts
//!   for the magic, checks the header CRC and the frame CRC, and recovers by hunting again.
//! - [`Device`]: the behavioural reference of a board: request bytes in, response bytes out,
//!   computing with the model (`frontend::front_end_ints`, `accumulate`) and reporting the cycles
//!   `timing` predicts. The on-chip framer is tested against it.
//!
//! Every multi-byte field is little-endian; both CRCs are the IEEE CRC-32 (`crc32fast`).
//!
//! Modules: [`wire`] (the frame formats and their encoding), [`decoder`] (bytes to frames),
//! [`device`] (a board's configuration and behaviour).

pub mod decoder;
pub mod device;
pub mod wire;

pub use decoder::{Decoder, Direction, Event};
pub use device::{Datapath, Device, DeviceConfig};
pub use wire::*;
