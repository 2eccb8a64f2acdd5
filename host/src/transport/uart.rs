//! The UART transport: the ULX3S (FT231X) and the Alchitry Cu (FT2232H), 8N1, no flow
//! control. The board's receive FIFO is the only buffer; the driver keeps at most two requests
//! unanswered, which the FIFO absorbs (`docs/link.md`).

use super::Transport;
use anyhow::{Context, Result};
use serialport::SerialPort;
use std::io::{ErrorKind, Read, Write};
use std::time::Duration;

/// Bits on the wire per byte (8N1).
pub const BITS_PER_BYTE: f64 = 10.0;

/// A serial port to a board.
pub struct Uart {
    port: Box<dyn SerialPort>,
    name: String,
    baud: u32,
}

impl Uart {
    /// Opens `path` at `baud` (8N1, no flow control) and discards anything already received.
    pub fn open(path: &str, baud: u32) -> Result<Self> {
        let port = serialport::new(path, baud)
            .timeout(Duration::from_millis(100))
            .open()
            .with_context(|| format!("opening serial port {path} at {baud} baud"))?;
        Self::from_port(port, path, baud)
    }

    /// A transport over an already open port (a pseudo-terminal in tests).
    pub fn from_port(port: Box<dyn SerialPort>, name: &str, baud: u32) -> Result<Self> {
        port.clear(serialport::ClearBuffer::All)
            .with_context(|| format!("clearing {name}"))?;
        Ok(Self {
            port,
            name: name.to_string(),
            baud,
        })
    }
}

impl Transport for Uart {
    fn describe(&self) -> String {
        format!("uart {} at {} baud", self.name, self.baud)
    }

    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.port
            .write_all(bytes)
            .and_then(|_| self.port.flush())
            .with_context(|| format!("writing {} bytes to {}", bytes.len(), self.name))
    }

    fn recv(&mut self, timeout: Duration) -> Result<Vec<u8>> {
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .with_context(|| format!("setting the timeout of {}", self.name))?;
        let mut buf = vec![0u8; 1 << 16];
        match self.port.read(&mut buf) {
            Ok(n) => {
                buf.truncate(n);
                Ok(buf)
            }
            Err(e) if e.kind() == ErrorKind::TimedOut || e.kind() == ErrorKind::WouldBlock => {
                Ok(Vec::new())
            }
            Err(e) => Err(e).with_context(|| format!("reading from {}", self.name)),
        }
    }

    fn bytes_per_second(&self) -> Option<f64> {
        Some(self.baud as f64 / BITS_PER_BYTE)
    }
}

/// The serial ports the system lists (path and, for USB ports, vendor and product).
pub fn list_ports() -> Vec<(String, String)> {
    serialport::available_ports()
        .unwrap_or_default()
        .into_iter()
        .map(|p| {
            let what = match p.port_type {
                serialport::SerialPortType::UsbPort(u) => format!(
                    "USB {:04x}:{:04x} {} {}",
                    u.vid,
                    u.pid,
                    u.manufacturer.unwrap_or_default(),
                    u.product.unwrap_or_default()
                )
                .trim_end()
                .to_string(),
                serialport::SerialPortType::PciPort => "PCI".into(),
                serialport::SerialPortType::BluetoothPort => "Bluetooth".into(),
                serialport::SerialPortType::Unknown => "unknown".into(),
            };
            (p.port_name, what)
        })
        .collect()
}
