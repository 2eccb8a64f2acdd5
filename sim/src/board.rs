//! The simulated board: `hdl::link::link_head::LinkHead` (framer, buffers and head) or
//! `hdl::link::link_core::LinkCore` (framer, buffers and the core alone), what a real board runs
//! behind its UART or pipes, in Verilator, driven through its two byte streams exactly as
//! a host drives a board.
//!
//! [`SimBoard::exchange`] pushes request bytes in (honouring `s_axis_tready`, with seeded idle
//! cycles) and collects response bytes (with seeded back-pressure) until every frame received
//! is answered. Its output is compared byte for byte with `model::link::Device`.

use crate::verilator::{BuildOptions, Direction, Port, VerilatedModel};
use anyhow::{bail, Context, Result};
use model::link::DeviceConfig;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::VecDeque;

/// How the host side drives the simulated link.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinkDrive {
    /// Probability that no request byte is offered in a cycle.
    pub idle: f64,
    /// Probability that a response byte is not taken in a cycle.
    pub stall: f64,
    /// Seed of both.
    pub seed: u64,
}

impl LinkDrive {
    /// Bytes offered and taken every cycle.
    pub const FULL_SPEED: LinkDrive = LinkDrive {
        idle: 0.0,
        stall: 0.0,
        seed: 0,
    };
}

/// Cycles without any progress (no byte in or out, no job running) after which the board is
/// declared hung.
pub const HANG_CYCLES: u64 = 1_000_000;

struct BoardPorts {
    reset: Port,
    s_data: Port,
    s_valid: Port,
    s_ready: Port,
    m_data: Port,
    m_valid: Port,
    m_ready: Port,
    m_last: Port,
    busy: Port,
    idle: Port,
}

/// A Verilated board design and its byte-stream driver.
pub struct SimBoard {
    model: VerilatedModel,
    cfg: DeviceConfig,
    ports: BoardPorts,
    rng: StdRng,
    drive: LinkDrive,
    frames_out: u64,
}

impl SimBoard {
    /// Builds (or loads from the cache) the board design for `cfg` and resets it.
    pub fn new(cfg: &DeviceConfig, opts: &BuildOptions) -> Result<Self> {
        Self::with_verilog(cfg, &hdl::link_verilog(cfg)?, opts)
    }

    /// The board design for `cfg` as written for an ECP5 part: every DSP product with its
    /// registers in a MULT18X18D (`hdl::core::mult18`), simulated with the primitive's
    /// behavioural model.
    pub fn new_ecp5(cfg: &DeviceConfig, opts: &BuildOptions) -> Result<Self> {
        let verilog = format!(
            "{}{}",
            hdl::boards::for_part(hdl::boards::Family::Ecp5, hdl::link_verilog(cfg)?),
            hdl::core::mult18::mult18x18d_model()
        );
        Self::with_verilog(cfg, &verilog, opts)
    }

    /// Builds `verilog`, a link design built for `cfg` (module `top`, [`hdl::link::LinkIo`]'s
    /// ports), and resets it.
    pub fn with_verilog(cfg: &DeviceConfig, verilog: &str, opts: &BuildOptions) -> Result<Self> {
        use Direction::{Input as I, Output as O};
        let mut model = VerilatedModel::build(verilog, "top", opts)?;
        model
            .set_clock("clock")
            .context("the board needs a 1-bit input `clock`")?;
        let p = |m: &VerilatedModel, name: &str, dir, width| {
            m.port_checked(name, dir, width)
                .context("the board design's ports are not LinkHead's")
        };
        let ports = BoardPorts {
            reset: p(&model, "reset", I, 1)?,
            s_data: p(&model, "s_axis_tdata", I, 8)?,
            s_valid: p(&model, "s_axis_tvalid", I, 1)?,
            s_ready: p(&model, "s_axis_tready", O, 1)?,
            m_data: p(&model, "m_axis_tdata", O, 8)?,
            m_valid: p(&model, "m_axis_tvalid", O, 1)?,
            m_ready: p(&model, "m_axis_tready", I, 1)?,
            m_last: p(&model, "m_axis_tlast", O, 1)?,
            busy: p(&model, "busy", O, 1)?,
            idle: p(&model, "idle", O, 1)?,
        };
        let mut b = Self {
            model,
            cfg: cfg.clone(),
            ports,
            rng: StdRng::seed_from_u64(0),
            drive: LinkDrive::FULL_SPEED,
            frames_out: 0,
        };
        b.reset();
        Ok(b)
    }

    /// Resets the design (a board's reset button).
    pub fn reset(&mut self) {
        let (m, ps) = (&mut self.model, &self.ports);
        m.set(ps.s_valid, 0);
        m.set(ps.m_ready, 0);
        m.set(ps.reset, 1);
        for _ in 0..4 {
            m.eval();
            m.posedge();
        }
        m.set(ps.reset, 0);
    }

    /// Drive the link as `drive` says from now on.
    pub fn set_drive(&mut self, drive: LinkDrive) {
        self.drive = drive;
        self.rng = StdRng::seed_from_u64(drive.seed);
    }

    /// The configuration the design was built for.
    pub fn config(&self) -> &DeviceConfig {
        &self.cfg
    }

    /// The underlying model (for tracing).
    pub fn model(&mut self) -> &mut VerilatedModel {
        &mut self.model
    }

    /// Clock cycles simulated so far.
    pub fn cycles(&self) -> u64 {
        self.model.cycles()
    }

    /// Response frames completed so far (bytes with `tlast`).
    pub fn frames_out(&self) -> u64 {
        self.frames_out
    }

    /// Pushes `request` into the board and returns the response bytes it sends until every
    /// frame it received is answered (a frame cut short stays pending, as on a real link).
    /// Fails if the board makes no progress for [`HANG_CYCLES`] cycles.
    pub fn exchange(&mut self, request: &[u8]) -> Result<Vec<u8>> {
        let mut input: VecDeque<u8> = request.iter().copied().collect();
        let mut out = Vec::new();
        while self.pump(&mut input, &mut out, u64::MAX)? != Pumped::Quiet {}
        Ok(out)
    }

    /// Runs the board, feeding it bytes from the front of `input` (each byte is removed as the
    /// board takes it) and appending what it sends to `out`, until a response frame ends
    /// ([`Pumped::Frame`]), or `input` is empty and the board has nothing more to say
    /// ([`Pumped::Quiet`]: every frame it received is answered), or `max_cycles` have passed
    /// ([`Pumped::Budget`]). A host can thus write the next request the moment a response
    /// ends, in the same simulated cycle. Fails if the board makes no progress for
    /// [`HANG_CYCLES`] cycles.
    pub fn pump(
        &mut self,
        input: &mut VecDeque<u8>,
        out: &mut Vec<u8>,
        max_cycles: u64,
    ) -> Result<Pumped> {
        let (mut quiet, mut still) = (0u32, 0u64);
        let mut spent = 0u64;
        loop {
            if spent >= max_cycles {
                return Ok(Pumped::Budget);
            }
            spent += 1;
            let ps = &self.ports;
            let offer = !input.is_empty()
                && (self.drive.idle == 0.0 || !self.rng.gen_bool(self.drive.idle));
            let ready = self.drive.stall == 0.0 || !self.rng.gen_bool(self.drive.stall);
            let m = &mut self.model;
            if let (true, Some(&b)) = (offer, input.front()) {
                m.set(ps.s_data, b as u64);
            }
            m.set(ps.s_valid, offer as u64);
            m.set(ps.m_ready, ready as u64);
            m.eval();
            let mut progress = m.get(ps.busy) != 0;
            if offer && m.get(ps.s_ready) != 0 {
                input.pop_front();
                progress = true;
            }
            let mut frame_end = false;
            if ready && m.get(ps.m_valid) != 0 {
                out.push(m.get(ps.m_data) as u8);
                frame_end = m.get(ps.m_last) != 0;
                self.frames_out += u64::from(frame_end);
                progress = true;
            }
            let idle = m.get(ps.idle) != 0 && m.get(ps.m_valid) == 0;
            m.posedge();
            if frame_end {
                return Ok(Pumped::Frame);
            }
            if input.is_empty() && idle {
                quiet += 1;
                if quiet >= 2 {
                    return Ok(Pumped::Quiet);
                }
            } else {
                quiet = 0;
            }
            still = if progress { 0 } else { still + 1 };
            if still >= HANG_CYCLES {
                bail!(
                    "the board made no progress for {HANG_CYCLES} cycles with {} request bytes waiting and {} response bytes out",
                    input.len(),
                    out.len()
                );
            }
        }
    }
}

/// Why [`SimBoard::pump`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pumped {
    /// A response frame ended (its last byte is the last of `out`).
    Frame,
    /// Every input byte is taken and every frame received is answered.
    Quiet,
    /// The cycle budget ran out.
    Budget,
}

/// One regression row: a stream of frames through the simulated board and through
/// `model::link::Device`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LinkCase {
    pub name: String,
    pub d: usize,
    /// Frames sent and responses received.
    pub frames: usize,
    pub responses: usize,
    pub bytes_in: usize,
    pub bytes_out: usize,
    /// Compute cycles the board reported for its jobs (summed), and what `model::timing` says.
    pub cycles: u64,
    pub cycles_model: u64,
    /// Clock cycles of the whole exchange at full link speed (one byte a cycle each way).
    pub link_cycles: u64,
    /// The response bytes equal the device's, byte for byte.
    pub byte_exact: bool,
    pub error: Option<String>,
}

/// Runs `frames` (request frames, concatenated) through `board` at full speed and through a
/// fresh `model::link::Device`, and compares the bytes.
pub fn link_case(board: &mut SimBoard, name: &str, frames: &[Vec<u8>]) -> LinkCase {
    use model::link::{Decoder, Device, Direction, Event};
    let bytes: Vec<u8> = frames.concat();
    let want = Device::new(board.config().clone()).feed(&bytes);
    board.set_drive(LinkDrive::FULL_SPEED);
    let t0 = board.cycles();
    let got = board.exchange(&bytes);
    let link_cycles = board.cycles() - t0;
    let cycles_of = |b: &[u8]| -> (usize, u64) {
        let evs = Decoder::new(Direction::Responses, 1 << 26).push(b);
        let c = evs
            .iter()
            .map(|e| match e {
                Event::Response(r) => r.cycles as u64,
                _ => 0,
            })
            .sum();
        (evs.len(), c)
    };
    let (responses_model, cycles_model) = cycles_of(&want);
    let mut case = LinkCase {
        name: name.to_string(),
        d: board.config().core.d,
        frames: frames.len(),
        responses: 0,
        bytes_in: bytes.len(),
        bytes_out: 0,
        cycles: 0,
        cycles_model,
        link_cycles,
        byte_exact: false,
        error: None,
    };
    match got {
        Ok(got) => {
            let (responses, cycles) = cycles_of(&got);
            case.responses = responses;
            case.bytes_out = got.len();
            case.cycles = cycles;
            case.byte_exact = got == want;
            if !case.byte_exact {
                let at = got.iter().zip(&want).position(|(a, b)| a != b);
                case.error = Some(format!(
                    "{} response bytes, the device's {} ({responses_model} responses); first difference at byte {at:?}",
                    got.len(),
                    want.len()
                ));
            }
        }
        Err(e) => case.error = Some(format!("{e:#}")),
    }
    case
}

/// The rows of [`link_case`]s as a text table.
pub fn link_table(cases: &[LinkCase]) -> String {
    let mut s = format!(
        "{:<28} {:>3} {:>7} {:>9} {:>9} {:>10} {:>10} {:>11}  {}\n",
        "stream", "D", "frames", "bytes in", "bytes out", "cycles", "model", "link cyc", "exact"
    );
    for c in cases {
        s += &format!(
            "{:<28} {:>3} {:>3}/{:<3} {:>9} {:>9} {:>10} {:>10} {:>11}  {}\n",
            c.name,
            c.d,
            c.responses,
            c.frames,
            c.bytes_in,
            c.bytes_out,
            c.cycles,
            c.cycles_model,
            c.link_cycles,
            if c.byte_exact { "yes" } else { "NO" }
        );
    }
    s
}
