//! The link layer: the on-chip framers ([`rx_framer::RxFramer`], with its sub-blocks
//! [`rx_header::RxHeader`], [`rx_router::RxRouter`] and [`rx_verdict::RxVerdict`];
//! [`tx_framer::TxFramer`]; both with [`crc32::Crc32`]), the job runner the designs share
//! ([`job_runner::JobRunner`]: the job and output buffers and the cycle counter), and the link
//! designs they make with the accelerator ([`link_head::LinkHead`]: the whole head;
//! [`link_core::LinkCore`]: the core alone), on their own clock if the board gives them one
//! ([`crossed_link::CrossedLink`]), behind a UART ([`uart_link::UartLink`]) or FrontPanel pipes
//! ([`frontpanel_link::FrontPanelLink`]).

pub mod crc32;
pub mod crossed_link;
pub mod frontpanel_link;
pub mod job_runner;
pub mod link_core;
pub mod link_head;
pub mod rx_framer;
pub mod rx_header;
pub mod rx_router;
pub mod rx_verdict;
pub mod small_mul;
pub mod tx_framer;
pub mod uart_link;

use crossed_link::CrossedLink;
use link_core::LinkCore;
use link_head::LinkHead;
use model::link::DeviceConfig;
use rust_hdl::prelude::*;

/// The byte-stream ports of a link design, by name: `clock`, `reset`, requests `s_axis_tdata`
/// (8), `s_axis_tvalid`, `s_axis_tready`, responses `m_axis_tdata` (8), `m_axis_tvalid`,
/// `m_axis_tready`, `m_axis_tlast` (a frame's last byte), and `busy`, `idle`.
pub struct LinkIo<'a> {
    pub clock: &'a mut Signal<In, Clock>,
    pub reset: &'a mut Signal<In, Bit>,
    pub s_axis_tdata: &'a mut Signal<In, Bits<8>>,
    pub s_axis_tvalid: &'a mut Signal<In, Bit>,
    pub s_axis_tready: &'a Signal<Out, Bit>,
    pub m_axis_tdata: &'a Signal<Out, Bits<8>>,
    pub m_axis_tvalid: &'a Signal<Out, Bit>,
    pub m_axis_tready: &'a mut Signal<In, Bit>,
    pub m_axis_tlast: &'a Signal<Out, Bit>,
    pub busy: &'a Signal<Out, Bit>,
    pub idle: &'a Signal<Out, Bit>,
}

/// What a link design drives, as a shell's `update` twin reads it ([`LinkIo::step`]).
pub struct LinkOutputs {
    /// `s_axis_tready`: the design takes the request byte.
    pub s_axis_tready: bool,
    /// `m_axis_tdata`: a response byte.
    pub m_axis_tdata: Bits<8>,
    /// `m_axis_tvalid`.
    pub m_axis_tvalid: bool,
    /// `m_axis_tlast`: the response frame's last byte.
    pub m_axis_tlast: bool,
    /// `busy`: a job is computing.
    pub busy: bool,
    /// `idle`: nothing received is still to be answered.
    pub idle: bool,
}

impl LinkIo<'_> {
    /// Marks the design's inputs (`clock`, `reset`, the request byte and its valid, the
    /// response stream's ready) as driven: the link design's part of a shell's `connect`.
    pub fn connect(self) {
        self.clock.connect();
        self.reset.connect();
        self.s_axis_tdata.connect();
        self.s_axis_tvalid.connect();
        self.m_axis_tready.connect();
    }

    /// Drives the design's inputs (`clock`, `reset`, a request byte and its valid, the response
    /// stream's ready) and reads its outputs: the link design's part of a shell's `update` twin.
    pub fn step(
        self,
        clock: Clock,
        reset: bool,
        request: (Bits<8>, bool),
        response_ready: bool,
    ) -> LinkOutputs {
        self.clock.next = clock;
        self.reset.next = reset;
        self.s_axis_tdata.next = request.0;
        self.s_axis_tvalid.next = request.1;
        self.m_axis_tready.next = response_ready;
        LinkOutputs {
            s_axis_tready: self.s_axis_tready.val(),
            m_axis_tdata: self.m_axis_tdata.val(),
            m_axis_tvalid: self.m_axis_tvalid.val(),
            m_axis_tlast: self.m_axis_tlast.val(),
            busy: self.busy.val(),
            idle: self.idle.val(),
        }
    }
}

/// A board design behind byte streams: [`LinkHead`] (the whole head) or [`LinkCore`] (the
/// codes path). Its ports must be named as in [`LinkIo`]: [`uart_link::UartLink`]'s and
/// [`crate::link::frontpanel_link::FrontPanelLink`]'s Verilog connect them by name.
pub trait LinkDesign: Block {
    /// The design built as `cfg`.
    fn for_config(cfg: &DeviceConfig) -> Self;
    /// The same design with its products split between DSP blocks and LUTs as `split` says
    /// (a board's part: [`crate::configs::MultiplierSplit::for_design`]); the same bytes out.
    /// Panics unless `split` was made for this design.
    fn with_multiplier_split(self, split: &crate::configs::MultiplierSplit) -> Self;
    /// Its byte-stream ports.
    fn io(&mut self) -> LinkIo<'_>;
    /// The design computes on a clock of its own, its `head_clock` input
    /// ([`CrossedLink`]); otherwise on `clock`.
    const OWN_CLOCK: bool = false;
    /// Its `head_clock` input, if it has one ([`Self::OWN_CLOCK`]).
    fn head_clock(&mut self) -> Option<&mut Signal<In, Clock>> {
        None
    }
}

macro_rules! link_io {
    ($s:ident) => {
        LinkIo {
            clock: &mut $s.clock,
            reset: &mut $s.reset,
            s_axis_tdata: &mut $s.s_axis_tdata,
            s_axis_tvalid: &mut $s.s_axis_tvalid,
            s_axis_tready: &$s.s_axis_tready,
            m_axis_tdata: &$s.m_axis_tdata,
            m_axis_tvalid: &$s.m_axis_tvalid,
            m_axis_tready: &mut $s.m_axis_tready,
            m_axis_tlast: &$s.m_axis_tlast,
            busy: &$s.busy,
            idle: &$s.idle,
        }
    };
}

impl<
        const KW: usize,
        const OW: usize,
        const A: usize,
        const ACC: usize,
        const RS: usize,
        const SB: usize,
        const SUMB: usize,
        const QW: usize,
        const OBW: usize,
    > LinkDesign for LinkHead<KW, OW, A, ACC, RS, SB, SUMB, QW, OBW>
{
    fn for_config(cfg: &DeviceConfig) -> Self {
        LinkHead::new(cfg)
    }
    fn with_multiplier_split(self, split: &crate::configs::MultiplierSplit) -> Self {
        LinkHead::with_multiplier_split(self, split)
    }
    fn io(&mut self) -> LinkIo<'_> {
        link_io!(self)
    }
}

impl<
        const VW: usize,
        const OW: usize,
        const A: usize,
        const ACC: usize,
        const RS: usize,
        const QW: usize,
        const OBW: usize,
        const CA: usize,
    > LinkDesign for LinkCore<VW, OW, A, ACC, RS, QW, OBW, CA>
{
    fn for_config(cfg: &DeviceConfig) -> Self {
        LinkCore::new(cfg)
    }
    fn with_multiplier_split(self, split: &crate::configs::MultiplierSplit) -> Self {
        LinkCore::with_multiplier_split(self, split)
    }
    fn io(&mut self) -> LinkIo<'_> {
        link_io!(self)
    }
}

impl<L: LinkDesign> LinkDesign for CrossedLink<L> {
    fn for_config(cfg: &DeviceConfig) -> Self {
        CrossedLink::new(L::for_config(cfg))
    }
    fn with_multiplier_split(mut self, split: &crate::configs::MultiplierSplit) -> Self {
        self.link = self.link.with_multiplier_split(split);
        self
    }
    fn io(&mut self) -> LinkIo<'_> {
        link_io!(self)
    }
    const OWN_CLOCK: bool = true;
    fn head_clock(&mut self) -> Option<&mut Signal<In, Clock>> {
        Some(&mut self.head_clock)
    }
}
