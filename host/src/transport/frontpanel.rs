//! The FrontPanel transport (XEM7010): request and response bytes through two pipes, with the
//! design's wire-out counts as the only flow control.
//!
//! [`PipeLink`] holds the protocol of `docs/link.md` (the FrontPanel transport): it writes no
//! more words than the last words-free count and reads no more than the last words-ready
//! count, pads an odd-length request with a 0x00 byte (the board's decoder hunts past it), and
//! checks the status word's signature and its overflow and underflow flags. It runs over any
//! [`FrontPanelApi`]: the Verilated design ([`sim::frontpanel::SimFrontPanel`]) in CI, Opal
//! Kelly's library (`ok::OkBoard`, feature `xem7010`) on a real board.

use super::Transport;
use anyhow::{bail, ensure, Result};
use hdl::link::frontpanel_link::{
    EP_PIPE_IN, EP_PIPE_OUT, EP_STATUS, EP_WORDS_FREE, EP_WORDS_READY, STATUS_ANSWERING,
    STATUS_BUSY, STATUS_OVERFLOW, STATUS_SIGNATURE, STATUS_UNDERFLOW,
};
use model::link::{Decoder, Direction};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The FrontPanel calls a host program makes (Opal Kelly's `okCFrontPanel` methods of the same
/// names).
pub trait FrontPanelApi {
    /// What the device is.
    fn describe(&self) -> String;
    /// `UpdateWireOuts`.
    fn update_wire_outs(&mut self) -> Result<()>;
    /// `GetWireOutValue` (as the last update latched it).
    fn get_wire_out(&self, addr: u8) -> Result<u16>;
    /// `WriteToPipeIn` (a whole number of 16-bit words).
    fn write_to_pipe_in(&mut self, addr: u8, data: &[u8]) -> Result<()>;
    /// `ReadFromPipeOut` (a whole number of 16-bit words).
    fn read_from_pipe_out(&mut self, addr: u8, data: &mut [u8]) -> Result<()>;
    /// Words each pipe FIFO holds (an idle design reports all of them free).
    fn fifo_words(&self) -> usize;
    /// Board cycles simulated so far (a simulated device only).
    fn sim_cycles(&self) -> Option<u64> {
        None
    }
}

impl FrontPanelApi for sim::frontpanel::SimFrontPanel {
    fn describe(&self) -> String {
        let c = &self.config().core;
        format!(
            "sim-pipes (Verilated FrontPanelLink, D = {}, N_MAX = {}, {} words a FIFO)",
            c.d,
            c.n_max,
            self.fifo_words()
        )
    }
    fn update_wire_outs(&mut self) -> Result<()> {
        sim::frontpanel::SimFrontPanel::update_wire_outs(self);
        Ok(())
    }
    fn get_wire_out(&self, addr: u8) -> Result<u16> {
        sim::frontpanel::SimFrontPanel::get_wire_out(self, addr)
    }
    fn write_to_pipe_in(&mut self, addr: u8, data: &[u8]) -> Result<()> {
        sim::frontpanel::SimFrontPanel::write_to_pipe_in(self, addr, data)
    }
    fn read_from_pipe_out(&mut self, addr: u8, data: &mut [u8]) -> Result<()> {
        sim::frontpanel::SimFrontPanel::read_from_pipe_out(self, addr, data)
    }
    fn fifo_words(&self) -> usize {
        sim::frontpanel::SimFrontPanel::fifo_words(self)
    }
    fn sim_cycles(&self) -> Option<u64> {
        Some(self.cycles())
    }
}

/// USB 2.0 FrontPanel pipe throughput assumed for a real XEM7010, bytes per second each way
/// (Opal Kelly quotes 30-40 MB/s for USB 2.0 pipes; the link is half duplex).
pub const USB2_PIPE_BYTES_PER_S: f64 = 32e6;

/// Status polls in a row that find the design drained before [`PipeLink`] concludes nothing
/// more will come. The status can look drained for a few cycles while the last request
/// word is shifted out of the bridge and its frame's CRC is checked (every poll takes at
/// least one cycle), so one poll is not enough.
const QUIET_POLLS: u32 = 32;

/// Polls without progress after which a simulated design is declared hung.
const HANG_POLLS: u64 = 1_000_000;

/// [`Transport`] over FrontPanel pipes. [`Transport::recv`] returns at the end of a response
/// frame (it follows the frames with a decoder of its own), so the driver can queue the next
/// request at once; or when the design is drained, or at the timeout.
pub struct PipeLink<A: FrontPanelApi> {
    api: A,
    pending: VecDeque<u8>,
    frames: Decoder,
    /// Most words one transfer moves.
    pub max_words: usize,
}

impl<A: FrontPanelApi> PipeLink<A> {
    /// A transport over `api`.
    pub fn new(api: A) -> Self {
        Self {
            api,
            pending: VecDeque::new(),
            frames: Decoder::new(Direction::Responses, 1 << 27),
            max_words: 1 << 15,
        }
    }

    /// The device.
    pub fn api(&mut self) -> &mut A {
        &mut self.api
    }

    /// Latches the wire-outs; returns (words free, words ready, status) after checking the
    /// status word.
    fn poll(&mut self) -> Result<(usize, usize, u16)> {
        self.api.update_wire_outs()?;
        let s = self.api.get_wire_out(EP_STATUS)?;
        ensure!(
            s & 0xFF00 == STATUS_SIGNATURE,
            "FrontPanel status 0x{s:04X}: not the logattn design (is the bitstream loaded?)"
        );
        ensure!(
            s & (STATUS_OVERFLOW | STATUS_UNDERFLOW) == 0,
            "FrontPanel status 0x{s:04X}: the pipe FIFOs over- or underflowed (reset the board)"
        );
        Ok((
            self.api.get_wire_out(EP_WORDS_FREE)? as usize,
            self.api.get_wire_out(EP_WORDS_READY)? as usize,
            s,
        ))
    }
}

impl<A: FrontPanelApi> Transport for PipeLink<A> {
    fn describe(&self) -> String {
        self.api.describe()
    }

    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.pending.extend(bytes);
        if bytes.len() % 2 == 1 {
            self.pending.push_back(0);
        }
        Ok(())
    }

    fn recv(&mut self, timeout: Duration) -> Result<Vec<u8>> {
        // A simulated design is never waited for by the clock: it is drained or it is not.
        let simulated = self.api.sim_cycles().is_some();
        let start = Instant::now();
        let (mut quiet, mut polls) = (0u32, 0u64);
        let mut out = Vec::new();
        loop {
            polls += 1;
            if simulated && polls > HANG_POLLS {
                bail!("the simulated FrontPanel design made no progress for {HANG_POLLS} polls");
            }
            let (free, ready, status) = self.poll()?;
            let n = free.min(self.pending.len() / 2).min(self.max_words);
            if n > 0 {
                let chunk: Vec<u8> = self.pending.drain(..2 * n).collect();
                self.api.write_to_pipe_in(EP_PIPE_IN, &chunk)?;
                polls = 0;
            }
            let n = ready.min(self.max_words);
            if n > 0 {
                let mut buf = vec![0u8; 2 * n];
                self.api.read_from_pipe_out(EP_PIPE_OUT, &mut buf)?;
                let frame_ended = !self.frames.push(&buf).is_empty();
                out.extend(buf);
                if frame_ended {
                    return Ok(out);
                }
                (quiet, polls) = (0, 0);
                continue;
            }
            let drained = self.pending.is_empty()
                && free == self.api.fifo_words()
                && status & (STATUS_BUSY | STATUS_ANSWERING) == 0;
            quiet = if drained { quiet + 1 } else { 0 };
            if quiet >= QUIET_POLLS || (!simulated && start.elapsed() >= timeout) {
                return Ok(out);
            }
            if status & STATUS_BUSY != 0 {
                polls = 0;
            }
            if !simulated {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
    }

    fn bytes_per_second(&self) -> Option<f64> {
        self.api
            .sim_cycles()
            .is_none()
            .then_some(USB2_PIPE_BYTES_PER_S)
    }

    fn sim_cycles(&self) -> Option<u64> {
        self.api.sim_cycles()
    }
}

/// A pipe transfer's length must be a whole number of words.
pub fn check_words(len: usize) -> Result<()> {
    if len % 2 != 0 {
        bail!("a USB 2.0 pipe transfer is a whole number of 16-bit words, got {len} bytes");
    }
    Ok(())
}

/// Opal Kelly's library (feature `xem7010`): a real XEM7010.
#[cfg(feature = "xem7010")]
pub mod ok {
    use super::{check_words, FrontPanelApi};
    use anyhow::{anyhow, Result};
    use hdl::link::frontpanel_link::EP_RESET;
    use rust_hdl_ok_frontpanel_sys::OkHandle;

    /// An XEM7010 opened through okFrontPanel.
    pub struct OkBoard {
        hnd: OkHandle,
        serial: String,
        fifo_words: usize,
        wire_outs: [u16; 3],
    }

    impl OkBoard {
        /// Opens the board with `serial` (the first one when empty), optionally loads
        /// `bitstream`, and resets the design (WireIn 0x00 bit 0).
        pub fn open(serial: &str, bitstream: Option<&str>, fifo_words: usize) -> Result<Self> {
            let hnd = OkHandle::new();
            if serial.is_empty() {
                hnd.open()
            } else {
                hnd.open_with_serial(serial)
            }
            .map_err(|e| anyhow!("opening the XEM7010 {serial:?}: {e:?}"))?;
            if let Some(b) = bitstream {
                hnd.configure_fpga(b)
                    .map_err(|e| anyhow!("loading {b} into the XEM7010: {e:?}"))?;
            }
            hnd.set_wire_in(EP_RESET as i32, 1);
            hnd.update_wire_ins();
            hnd.set_wire_in(EP_RESET as i32, 0);
            hnd.update_wire_ins();
            let serial = hnd.get_serial_number();
            Ok(Self {
                hnd,
                serial,
                fifo_words,
                wire_outs: [0; 3],
            })
        }
    }

    impl FrontPanelApi for OkBoard {
        fn describe(&self) -> String {
            format!("frontpanel XEM7010 {}", self.serial)
        }
        fn update_wire_outs(&mut self) -> Result<()> {
            self.hnd.update_wire_outs();
            self.wire_outs = [0x20, 0x21, 0x22].map(|a| self.hnd.get_wire_out(a));
            Ok(())
        }
        fn get_wire_out(&self, addr: u8) -> Result<u16> {
            match addr {
                0x20..=0x22 => Ok(self.wire_outs[(addr - 0x20) as usize]),
                _ => Err(anyhow!("no wire-out at 0x{addr:02X}")),
            }
        }
        fn write_to_pipe_in(&mut self, addr: u8, data: &[u8]) -> Result<()> {
            check_words(data.len())?;
            self.hnd
                .write_to_pipe_in(addr as i32, data)
                .map_err(|e| anyhow!("WriteToPipeIn 0x{addr:02X}: {e:?}"))
        }
        fn read_from_pipe_out(&mut self, addr: u8, data: &mut [u8]) -> Result<()> {
            check_words(data.len())?;
            self.hnd
                .read_from_pipe_out(addr as i32, data)
                .map_err(|e| anyhow!("ReadFromPipeOut 0x{addr:02X}: {e:?}"))
        }
        fn fifo_words(&self) -> usize {
            self.fifo_words
        }
    }
}
