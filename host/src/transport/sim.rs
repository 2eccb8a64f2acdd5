//! Simulated boards: the Verilated board designs in-process.

use super::frontpanel::PipeLink;
use super::Transport;
use anyhow::Result;
use model::link::DeviceConfig;
use sim::board::{Pumped, SimBoard};
use sim::frontpanel::SimFrontPanel;
use sim::verilator::BuildOptions;
use std::collections::VecDeque;
use std::time::Duration;

/// The Verilated link design (`LinkHead` for head boards, `LinkCore` for codes boards) on its
/// two byte streams, a byte a cycle each way: [`Transport::recv`] runs the board until a
/// response frame ends (so the next request goes in the same simulated cycle: the link never
/// waits for the host) or until it has answered every frame it received.
pub struct SimLink {
    board: SimBoard,
    input: VecDeque<u8>,
}

impl SimLink {
    /// Builds (or loads from the Verilator cache) the design for `cfg` and resets it.
    pub fn new(cfg: &DeviceConfig) -> Result<Self> {
        Ok(Self {
            board: SimBoard::new(cfg, &BuildOptions::default())?,
            input: VecDeque::new(),
        })
    }

    /// The simulated board.
    pub fn board(&mut self) -> &mut SimBoard {
        &mut self.board
    }
}

impl Transport for SimLink {
    fn describe(&self) -> String {
        let c = self.board.config();
        format!(
            "sim (Verilated {}, D = {}, N_MAX = {}, {:?})",
            if c.front_end().is_some() {
                "LinkHead"
            } else {
                "LinkCore"
            },
            c.core.d,
            c.core.n_max,
            c.variant
        )
    }

    fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.input.extend(bytes);
        Ok(())
    }

    fn recv(&mut self, _timeout: Duration) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        match self.board.pump(&mut self.input, &mut out, u64::MAX)? {
            Pumped::Frame | Pumped::Quiet | Pumped::Budget => Ok(out),
        }
    }

    fn bytes_per_second(&self) -> Option<f64> {
        None
    }

    fn sim_cycles(&self) -> Option<u64> {
        Some(self.board.cycles())
    }
}

/// The Verilated XEM7010 design at its FrontPanel endpoints (`FrontPanelLink`: pipe FIFOs,
/// framer, head), driven by [`PipeLink`] as a real XEM7010 is.
pub type SimPipes = PipeLink<SimFrontPanel>;

/// Builds [`SimPipes`] for `cfg` with pipe FIFOs of `fifo_words` words.
pub fn sim_pipes(cfg: &DeviceConfig, fifo_words: usize) -> Result<SimPipes> {
    Ok(PipeLink::new(SimFrontPanel::new(
        cfg,
        fifo_words,
        &BuildOptions::default(),
    )?))
}
