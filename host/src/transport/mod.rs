//! Byte transports to a board: one trait, [`Transport`], and its implementations.
//!
//! - [`sim::SimLink`]: the Verilated board (`hdl::link::link_head::LinkHead`, or `LinkCore` for codes)
//!   in-process, on its two byte streams. The default, and what CI exercises.
//! - [`sim::SimPipes`]: the Verilated XEM7010 design at its FrontPanel endpoints, driven by
//!   [`frontpanel::PipeLink`] exactly as a real XEM7010 is.
//! - [`uart::Uart`]: a serial port (`serialport`): the ULX3S and the Alchitry Cu.
//! - [`frontpanel::PipeLink`] over Opal Kelly's library: the XEM7010 (feature `xem7010`).
//! - [`faults::Faulty`]: wraps any transport and damages its traffic (`--inject`).
//!
//! A transport moves bytes only; framing, sequence numbers, CRCs and retries are
//! [`crate::driver::Driver`]'s.

pub mod faults;
pub mod frontpanel;
pub mod sim;
pub mod uart;

use anyhow::Result;
use std::time::Duration;

/// A byte stream to a board and back.
pub trait Transport {
    /// What it is, for reports: e.g. `uart /dev/ttyUSB1 at 3000000 baud`.
    fn describe(&self) -> String;

    /// Sends `bytes` (whole request frames) to the board, in order.
    fn send(&mut self, bytes: &[u8]) -> Result<()>;

    /// The response bytes that have arrived, waiting up to `timeout` for the first one. Empty
    /// means none came: after `timeout` on a real link, or at once on a simulated one that
    /// knows none can come (the board answered every frame it received).
    fn recv(&mut self, timeout: Duration) -> Result<Vec<u8>>;

    /// The link's payload rate each way, bytes per second (`None`: simulated, no wall-clock
    /// meaning). Sizes the driver's timeouts and the bench's link figures.
    fn bytes_per_second(&self) -> Option<f64>;

    /// Board clock cycles simulated so far (simulated transports only).
    fn sim_cycles(&self) -> Option<u64> {
        None
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        (**self).send(bytes)
    }
    fn recv(&mut self, timeout: Duration) -> Result<Vec<u8>> {
        (**self).recv(timeout)
    }
    fn bytes_per_second(&self) -> Option<f64> {
        (**self).bytes_per_second()
    }
    fn sim_cycles(&self) -> Option<u64> {
        (**self).sim_cycles()
    }
}
