//! The simulated FrontPanel board: `hdl::link::frontpanel_link::FrontPanelLink` (pipe FIFOs, framer,
//! buffers and head: what the XEM7010 runs behind Opal Kelly's host interface) in Verilator,
//! driven at its FrontPanel endpoints by a model of the FrontPanel host, with the calls a host
//! program makes on a real board (`UpdateWireOuts`, `GetWireOutValue`, `WriteToPipeIn`,
//! `ReadFromPipeOut`, a WireIn reset).
//!
//! The endpoints' cycle behaviour: a pipe-in transfer asserts `ep_write` for one cycle per
//! 16-bit word, with idle cycles between words as the host interface pleases; a pipe-out
//! transfer asserts `ep_read` for one cycle per word and takes the word the cycle after. Bytes
//! travel two a word, the first in bits 7:0 (USB 2.0 FrontPanel); a transfer is a whole number
//! of words. No flow control exists below the wire-outs: [`SimFrontPanel::exchange`] writes at
//! most the words-free count and reads at most the words-ready count it last saw, as a host
//! program must.
//!
//! Two clocks run: `ti_clk` (the pipes, the bridge and the host side of the design's
//! `ByteCrossing`) and the link design's own clock (`head_clock`), unrelated to each other, with
//! the periods [`SimFrontPanel::set_clocks`] gives (the XEM7010's 48 and 100 MHz by default):
//! between two `ti_clk` edges, every `head_clock` edge that falls between them is simulated.
//! The cycles a response reports are the link design's, counted on its clock.
//!
//! The endpoint-level design is simulated, not `okHost` (Opal Kelly's host interface is an
//! encrypted netlist): [`hdl::boards::xem7010_top::Xem7010Top`] only adds `okHost` and the endpoint
//! modules, wired as these ports say.

use crate::verilator::{BuildOptions, Direction, Port, VerilatedModel};
use anyhow::{bail, ensure, Context, Result};
use hdl::link::frontpanel_link::{
    EP_PIPE_IN, EP_PIPE_OUT, EP_STATUS, EP_WORDS_FREE, EP_WORDS_READY, STATUS_ANSWERING,
    STATUS_BUSY, STATUS_OVERFLOW, STATUS_SIGNATURE, STATUS_UNDERFLOW,
};
use model::link::DeviceConfig;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How the simulated host drives the endpoints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HostDrive {
    /// Probability of an idle cycle between two words of a transfer.
    pub word_gap: f64,
    /// Idle cycles between two host calls: uniform in `0..=pause` (USB latency, the host's
    /// other work).
    pub pause: u64,
    /// The most words one pipe transfer moves (the host's buffer).
    pub max_words: usize,
    /// Seed of the above.
    pub seed: u64,
}

impl HostDrive {
    /// Words back to back, no pauses, transfers as large as the counts allow.
    pub const FULL_SPEED: HostDrive = HostDrive {
        word_gap: 0.0,
        pause: 0,
        max_words: usize::MAX,
        seed: 0,
    };
}

/// Host calls without any progress (no word written or read, no job running) after which the
/// board is declared hung.
pub const HANG_CALLS: u64 = 200_000;

struct Ports {
    reset: Port,
    head_clock: Port,
    pipe_in_write: Port,
    pipe_in_data: Port,
    pipe_out_read: Port,
    pipe_out_data: Port,
    words_free: Port,
    words_ready: Port,
    status: Port,
}

/// A Verilated [`hdl::link::frontpanel_link::FrontPanelLink`] and a FrontPanel host model.
pub struct SimFrontPanel {
    model: VerilatedModel,
    cfg: DeviceConfig,
    fifo_words: usize,
    ports: Ports,
    rng: StdRng,
    drive: HostDrive,
    wire_outs: [u16; 3],
    /// `ti_clk`'s and `head_clock`'s periods, picoseconds.
    periods_ps: (u64, u64),
    /// The time of the next `ti_clk` and `head_clock` rising edges, picoseconds.
    next_edge_ps: (u64, u64),
}

/// Picoseconds of a clock of `hz`.
fn period_ps(hz: u64) -> u64 {
    (1e12 / hz as f64).round() as u64
}

impl SimFrontPanel {
    /// Builds (or loads from the cache) the design for `cfg` with pipe FIFOs of `fifo_words`
    /// words, and resets it. Fails if `cfg` has no compiled board design
    /// ([`hdl::Build::Head`], [`hdl::Build::CodesBoard`]).
    pub fn new(cfg: &DeviceConfig, fifo_words: usize, opts: &BuildOptions) -> Result<Self> {
        use Direction::{Input as I, Output as O};
        ensure!(
            fifo_words.is_power_of_two()
                && hdl::io::pipe_bridge::PIPE_FIFO_WORDS.contains(&fifo_words),
            "the pipe FIFOs must hold a power of two in 4..=32768 words, got {fifo_words}"
        );
        let verilog = hdl::frontpanel_link_verilog(cfg, fifo_words)?;
        let mut model = VerilatedModel::build(&verilog, "top", opts)?;
        model
            .set_clock("clock")
            .context("the design needs a 1-bit input `clock`")?;
        let p = |m: &VerilatedModel, name: &str, dir, width| {
            m.port_checked(name, dir, width)
                .context("the design's ports are not FrontPanelLink's")
        };
        let ports = Ports {
            reset: p(&model, "reset", I, 1)?,
            head_clock: p(&model, "head_clock", I, 1)?,
            pipe_in_write: p(&model, "pipe_in_write", I, 1)?,
            pipe_in_data: p(&model, "pipe_in_data", I, 16)?,
            pipe_out_read: p(&model, "pipe_out_read", I, 1)?,
            pipe_out_data: p(&model, "pipe_out_data", O, 16)?,
            words_free: p(&model, "words_free", O, 16)?,
            words_ready: p(&model, "words_ready", O, 16)?,
            status: p(&model, "status", O, 16)?,
        };
        let mut b = Self {
            model,
            cfg: cfg.clone(),
            fifo_words,
            ports,
            rng: StdRng::seed_from_u64(0),
            drive: HostDrive::FULL_SPEED,
            wire_outs: [0; 3],
            periods_ps: (0, 0),
            next_edge_ps: (0, 0),
        };
        let xem = hdl::boards::board("xem7010").expect("the XEM7010 is a board");
        b.set_clocks(xem.design_clock_hz(), xem.head_clock_hz());
        b.reset();
        Ok(b)
    }

    /// Runs `ti_clk` at `ti_hz` and the link design's clock at `head_hz` from now on (the
    /// XEM7010's, 48 and 100 MHz, unless set). Panics on a zero frequency.
    pub fn set_clocks(&mut self, ti_hz: u64, head_hz: u64) {
        assert!(
            ti_hz > 0 && head_hz > 0,
            "clock frequencies must be positive"
        );
        self.periods_ps = (period_ps(ti_hz), period_ps(head_hz));
        // The first design edge a third of its period after the next `ti_clk` edge, so the two
        // do not start in step.
        self.next_edge_ps = (0, self.periods_ps.1 / 3);
    }

    /// One `ti_clk` rising edge (after the caller's `eval` with the clock low), then every
    /// `head_clock` cycle whose rising edge comes before the next `ti_clk` edge.
    fn posedge(&mut self) {
        let (m, ps) = (&mut self.model, &self.ports);
        m.posedge();
        self.next_edge_ps.0 += self.periods_ps.0;
        while self.next_edge_ps.1 < self.next_edge_ps.0 {
            m.set(ps.head_clock, 1);
            m.eval();
            m.set(ps.head_clock, 0);
            m.eval();
            self.next_edge_ps.1 += self.periods_ps.1;
        }
    }

    /// WireIn 0x00 bit 0 high for a few cycles, then low: resets the design, both FIFOs
    /// included; then [`hdl::io::byte_crossing::IDLE_HOLD_CYCLES`] idle cycles, while the clock
    /// crossing empties its FIFOs (on a board, the USB calls after a WireIn take far longer).
    pub fn reset(&mut self) {
        let (m, ps) = (&mut self.model, &self.ports);
        m.set(ps.pipe_in_write, 0);
        m.set(ps.pipe_out_read, 0);
        m.set(ps.reset, 1);
        for _ in 0..4 {
            self.model.eval();
            self.posedge();
        }
        let (m, ps) = (&mut self.model, &self.ports);
        m.set(ps.reset, 0);
        for _ in 0..hdl::io::byte_crossing::IDLE_HOLD_CYCLES {
            self.idle_cycle();
        }
        self.model.eval();
    }

    /// Drive the endpoints as `drive` says from now on.
    pub fn set_drive(&mut self, drive: HostDrive) {
        self.drive = drive;
        self.rng = StdRng::seed_from_u64(drive.seed);
    }

    /// The configuration the design was built for.
    pub fn config(&self) -> &DeviceConfig {
        &self.cfg
    }

    /// Words in each pipe FIFO.
    pub fn fifo_words(&self) -> usize {
        self.fifo_words
    }

    /// Clock cycles (of `ti_clk`) simulated so far.
    pub fn cycles(&self) -> u64 {
        self.model.cycles()
    }

    /// One idle cycle of the endpoints.
    fn idle_cycle(&mut self) {
        let (m, ps) = (&mut self.model, &self.ports);
        m.set(ps.pipe_in_write, 0);
        m.set(ps.pipe_out_read, 0);
        m.eval();
        self.posedge();
    }

    /// Idle cycles between two host calls, as the drive says.
    fn pause(&mut self) {
        let n = if self.drive.pause == 0 {
            0
        } else {
            self.rng.gen_range(0..=self.drive.pause)
        };
        for _ in 0..n {
            self.idle_cycle();
        }
    }

    /// `UpdateWireOuts`: latches the wire-outs (words free, words ready, status) in one cycle.
    pub fn update_wire_outs(&mut self) {
        self.pause();
        let (m, ps) = (&mut self.model, &self.ports);
        m.set(ps.pipe_in_write, 0);
        m.set(ps.pipe_out_read, 0);
        m.eval();
        self.wire_outs = [
            m.get(ps.words_free) as u16,
            m.get(ps.words_ready) as u16,
            m.get(ps.status) as u16,
        ];
        self.posedge();
    }

    /// `GetWireOutValue`: a wire-out as the last [`Self::update_wire_outs`] latched it. Fails
    /// for an address the design has no wire-out at.
    pub fn get_wire_out(&self, addr: u8) -> Result<u16> {
        Ok(match addr {
            EP_WORDS_FREE => self.wire_outs[0],
            EP_WORDS_READY => self.wire_outs[1],
            EP_STATUS => self.wire_outs[2],
            _ => bail!("no wire-out at 0x{addr:02X}"),
        })
    }

    /// `WriteToPipeIn`: writes `data` (a whole number of 16-bit words, the first byte of each
    /// in bits 7:0) to the pipe-in endpoint, a word per `ep_write` cycle. Nothing stops it
    /// from writing more than the FIFO takes: the design drops such words and flags them.
    pub fn write_to_pipe_in(&mut self, addr: u8, data: &[u8]) -> Result<()> {
        ensure!(addr == EP_PIPE_IN, "no pipe-in at 0x{addr:02X}");
        ensure!(
            data.len() % 2 == 0,
            "a USB 2.0 pipe transfer is a whole number of 16-bit words, got {} bytes",
            data.len()
        );
        self.pause();
        let mut words = data.chunks(2).map(|c| c[0] as u64 | (c[1] as u64) << 8);
        let mut next = words.next();
        while let Some(w) = next {
            let gap = self.drive.word_gap > 0.0 && self.rng.gen_bool(self.drive.word_gap);
            let (m, ps) = (&mut self.model, &self.ports);
            m.set(ps.pipe_out_read, 0);
            m.set(ps.pipe_in_write, u64::from(!gap));
            m.set(ps.pipe_in_data, w);
            m.eval();
            self.posedge();
            if !gap {
                next = words.next();
            }
        }
        let (m, ps) = (&mut self.model, &self.ports);
        m.set(ps.pipe_in_write, 0);
        Ok(())
    }

    /// `ReadFromPipeOut`: fills `data` (a whole number of 16-bit words) from the pipe-out
    /// endpoint: `ep_read` for a cycle per word, the word taken in the cycle after. Nothing
    /// stops it from reading more than is ready: the design then gives 0x0000 and flags it.
    pub fn read_from_pipe_out(&mut self, addr: u8, data: &mut [u8]) -> Result<()> {
        ensure!(addr == EP_PIPE_OUT, "no pipe-out at 0x{addr:02X}");
        ensure!(
            data.len() % 2 == 0,
            "a USB 2.0 pipe transfer is a whole number of 16-bit words, got {} bytes",
            data.len()
        );
        self.pause();
        let words = data.len() / 2;
        let (mut asked, mut got, mut read_last) = (0usize, 0usize, false);
        while got < words {
            let read = asked < words
                && !(self.drive.word_gap > 0.0 && self.rng.gen_bool(self.drive.word_gap));
            let (m, ps) = (&mut self.model, &self.ports);
            m.set(ps.pipe_in_write, 0);
            m.set(ps.pipe_out_read, u64::from(read));
            m.eval();
            if read_last {
                let w = m.get(ps.pipe_out_data) as u16;
                data[2 * got..2 * got + 2].copy_from_slice(&w.to_le_bytes());
                got += 1;
            }
            self.posedge();
            asked += usize::from(read);
            read_last = read;
        }
        let (m, ps) = (&mut self.model, &self.ports);
        m.set(ps.pipe_out_read, 0);
        Ok(())
    }

    /// Checks the status word the last update latched: the signature, no overflow or
    /// underflow (which a host that honours the counts never causes).
    fn check_status(&self) -> Result<u16> {
        let s = self.wire_outs[2];
        ensure!(
            s & 0xFF00 == STATUS_SIGNATURE,
            "status 0x{s:04X}: not the logattn FrontPanel design"
        );
        ensure!(
            s & (STATUS_OVERFLOW | STATUS_UNDERFLOW) == 0,
            "status 0x{s:04X}: the pipe FIFOs over- or underflowed"
        );
        Ok(s)
    }

    /// A host program's exchange with the board: sends `batches` (each one `WriteToPipeIn`'s
    /// worth of request bytes, typically a frame; an odd-length batch gets a 0x00 pad byte)
    /// through the pipe-in endpoint, writing no more than the words-free count it last read,
    /// and reads responses through the pipe-out endpoint, no more than the words-ready count,
    /// until every request byte is in, the design is idle (every frame received is answered)
    /// and every response word is read. Returns the response bytes as read, pad bytes
    /// included ([`strip_pads`] removes them). Fails if the board makes no progress for
    /// [`HANG_CALLS`] host calls, or if the status word reports an overflow or underflow.
    pub fn exchange(&mut self, batches: &[Vec<u8>]) -> Result<Vec<u8>> {
        let mut req: Vec<u8> = Vec::new();
        for b in batches {
            req.extend(b);
            if b.len() % 2 == 1 {
                req.push(0);
            }
        }
        let mut out = Vec::new();
        let (mut next, mut quiet, mut still) = (0usize, 0u32, 0u64);
        loop {
            self.update_wire_outs();
            let status = self.check_status()?;
            let (free, ready) = (self.wire_outs[0] as usize, self.wire_outs[1] as usize);
            let mut progress = status & STATUS_BUSY != 0;
            let n = free.min((req.len() - next) / 2).min(self.drive.max_words);
            if n > 0 {
                let chunk = req[next..next + 2 * n].to_vec();
                self.write_to_pipe_in(EP_PIPE_IN, &chunk)?;
                next += 2 * n;
                progress = true;
            }
            let n = ready.min(self.drive.max_words);
            if n > 0 {
                let mut buf = vec![0u8; 2 * n];
                self.read_from_pipe_out(EP_PIPE_OUT, &mut buf)?;
                out.extend(buf);
                progress = true;
            }
            // Done when everything is written and taken in, nothing is being answered and
            // nothing is left to read, on two updates in a row, far enough apart for the
            // design's flags and the crossing's FIFO pointers to reach `ti_clk`
            // (`IDLE_HOLD_CYCLES`): a byte on its way through the crossing is seen by then.
            let drained = next == req.len()
                && free == self.fifo_words
                && ready == 0
                && status & (STATUS_BUSY | STATUS_ANSWERING) == 0;
            if drained {
                quiet += 1;
                if quiet >= 2 {
                    return Ok(out);
                }
                for _ in 0..hdl::io::byte_crossing::IDLE_HOLD_CYCLES {
                    self.idle_cycle();
                }
            } else {
                quiet = 0;
            }
            still = if progress { 0 } else { still + 1 };
            if still >= HANG_CALLS {
                bail!(
                    "the board made no progress for {HANG_CALLS} host calls: {next} of {} request bytes written, {} response bytes read (status 0x{status:04X})",
                    req.len(),
                    out.len()
                );
            }
        }
    }
}

/// The response frames in `bytes` (what [`SimFrontPanel::exchange`] read) without the pad
/// bytes the design adds to end each odd-length frame on a word boundary. Fails unless
/// `bytes` is exactly response frames, each odd-length one followed by exactly one 0x00 (and
/// nothing else between frames): the pipe bridge's rule.
pub fn strip_pads(bytes: &[u8]) -> Result<Vec<u8>> {
    const HEADER: usize = 24;
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0usize;
    while at < bytes.len() {
        ensure!(
            bytes.len() - at >= HEADER,
            "{} stray bytes at {at}: not a response frame",
            bytes.len() - at
        );
        ensure!(
            bytes[at..at + 2] == *b"AL",
            "byte {at}: no response magic where a frame must start"
        );
        let len = u32::from_le_bytes(bytes[at + 16..at + 20].try_into().unwrap()) as usize;
        let frame = HEADER + len + 4;
        ensure!(
            bytes.len() - at >= frame,
            "the frame at {at} is cut short: {} of its {frame} bytes",
            bytes.len() - at
        );
        out.extend_from_slice(&bytes[at..at + frame]);
        at += frame;
        if frame % 2 == 1 {
            ensure!(
                bytes.get(at) == Some(&0),
                "the odd-length frame ending at {at} is not followed by one 0x00 pad byte"
            );
            at += 1;
        }
    }
    Ok(out)
}
