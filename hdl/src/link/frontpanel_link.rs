//! `FrontPanelLink`: the accelerator as a FrontPanel design: a link design behind pipes.

use crate::io::pipe_bridge::PipeBridge;
use crate::link::crossed_link::CrossedLink;
use crate::link::LinkDesign;
use model::link::DeviceConfig;
use rust_hdl::prelude::*;

/// WireIn 0x00: bit 0 resets the design while high (bits 15:1 are unused).
pub const EP_RESET: u8 = 0x00;
/// WireOut 0x20: words the pipe-in FIFO can take (`PipeBridge::words_free`).
pub const EP_WORDS_FREE: u8 = 0x20;
/// WireOut 0x21: words the pipe-out FIFO holds (`PipeBridge::words_ready`).
pub const EP_WORDS_READY: u8 = 0x21;
/// WireOut 0x22: the status word ([`STATUS_BUSY`], ...).
pub const EP_STATUS: u8 = 0x22;
/// PipeIn 0x80: request bytes, two a word, the first in bits 7:0.
pub const EP_PIPE_IN: u8 = 0x80;
/// PipeOut 0xA0: response bytes, two a word, the first in bits 7:0.
pub const EP_PIPE_OUT: u8 = 0xA0;

/// Status bit 0: a job is computing.
pub const STATUS_BUSY: u16 = 1 << 0;
/// Status bit 1: a frame is being answered (the link design is not idle).
pub const STATUS_ANSWERING: u16 = 1 << 1;
/// Status bit 2 (sticky): a pipe-in word was dropped, the input FIFO being full.
pub const STATUS_OVERFLOW: u16 = 1 << 2;
/// Status bit 3 (sticky): a pipe-out word was read while none was ready (it read 0x0000).
pub const STATUS_UNDERFLOW: u16 = 1 << 3;
/// Status bits 15:8: always 0x4C (`'L'`), so a host can tell this design is loaded (a
/// FrontPanel wire-out without an endpoint reads 0).
pub const STATUS_SIGNATURE: u16 = 0x4C00;

/// A [`PipeBridge`] (pipe words to byte streams, with its input and output FIFOs) and a
/// [`CrossedLink`] (a [`crate::io::byte_crossing::ByteCrossing`]) around a [`LinkDesign`]: request frames in through the pipe-in endpoint,
/// response frames out through the pipe-out endpoint, exactly as the simulated board
/// (`sim::board`) answers on its byte streams. The pipes and the bridge run on the endpoints'
/// clock (`clock`: `ti_clk`, 48 MHz on USB 2.0, fixed by the host interface); the link design
/// runs on its own clock, `head_clock` (an MMCM output on the XEM7010), and the byte streams
/// cross between the two in the [`CrossedLink`]. Its cycle counts are the design's own. The ports are a FrontPanel design's endpoint side; a board shell
/// ([`crate::boards::xem7010_top::Xem7010Top`]) adds the FrontPanel host interface and endpoint
/// modules (`okHost`, `okPipeIn` 0x80, `okPipeOut` 0xA0, `okWireIn` 0x00, `okWireOut` 0x20,
/// 0x21, 0x22) and the reset. `sim::frontpanel` simulates this block with a FrontPanel host
/// model (`docs/link.md`, "FrontPanel transport").
///
/// `status` (for a wire-out): bits as [`STATUS_BUSY`], [`STATUS_ANSWERING`],
/// [`STATUS_OVERFLOW`], [`STATUS_UNDERFLOW`], bits 7:4 zero, bits 15:8 [`STATUS_SIGNATURE`].
/// LEDs: 0 busy, 1 answering, 2 overflow, 3 underflow, 4 heartbeat (bit 25 of a counter: a
/// 1.4 s period at 48 MHz), 7:5 off.
///
/// Hand-written Verilog (connections by name, since the design is a type parameter that
/// rust-hdl's `hdl_gen` cannot see into), with a Rust `update` twin.
///
/// Inputs: `clock` (FrontPanel's `ti_clk`); `reset` (synchronous to `clock`, active high: resets
/// the link design too, through the crossing); `head_clock` (the link design's clock);
/// `pipe_in_write`, `pipe_in_data` (16: okPipeIn's `ep_write`, `ep_dataout`); `pipe_out_read`
/// (okPipeOut's `ep_read`).
/// Outputs: `pipe_out_data` (16: okPipeOut's `ep_datain`, the word read in the cycle before);
/// `words_free`, `words_ready`, `status` (16 each, for wire-outs); `led` (8, 1 = on).
#[derive(LogicBlock)]
pub struct FrontPanelLink<L: LinkDesign> {
    /// Clock (`ti_clk`).
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// The link design's clock.
    pub head_clock: Signal<In, Clock>,
    /// okPipeIn's `ep_write`.
    pub pipe_in_write: Signal<In, Bit>,
    /// okPipeIn's `ep_dataout`.
    pub pipe_in_data: Signal<In, Bits<16>>,
    /// okPipeOut's `ep_read`.
    pub pipe_out_read: Signal<In, Bit>,
    /// okPipeOut's `ep_datain`.
    pub pipe_out_data: Signal<Out, Bits<16>>,
    /// Words the pipe-in FIFO can take.
    pub words_free: Signal<Out, Bits<16>>,
    /// Words the pipe-out FIFO holds.
    pub words_ready: Signal<Out, Bits<16>>,
    /// The status word.
    pub status: Signal<Out, Bits<16>>,
    /// LEDs (1 = on).
    pub led: Signal<Out, Bits<8>>,
    bridge: PipeBridge,
    link: CrossedLink<L>,
    heartbeat: DFF<Bits<26>>,
}

impl<L: LinkDesign> FrontPanelLink<L> {
    /// The link design built as `cfg` behind FIFOs of `fifo_words` words each way. Panics if
    /// [`PipeBridge::new`] or the link design rejects the parameters.
    pub fn new(cfg: &DeviceConfig, fifo_words: usize) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            head_clock: Default::default(),
            pipe_in_write: Default::default(),
            pipe_in_data: Default::default(),
            pipe_out_read: Default::default(),
            pipe_out_data: Default::default(),
            words_free: Default::default(),
            words_ready: Default::default(),
            status: Default::default(),
            led: Default::default(),
            bridge: PipeBridge::new(fifo_words),
            link: CrossedLink::new(L::for_config(cfg)),
            heartbeat: Default::default(),
        }
    }

    /// The same design with its products split as `split` says
    /// ([`LinkDesign::with_multiplier_split`]).
    pub fn with_multiplier_split(mut self, split: &crate::configs::MultiplierSplit) -> Self {
        self.link = self.link.with_multiplier_split(split);
        self
    }
}

impl<L: LinkDesign> Logic for FrontPanelLink<L> {
    fn update(&mut self) {
        let (clock, reset) = (self.clock.val(), self.reset.val());
        self.heartbeat.clock.next = clock;
        self.heartbeat.d.next = self.heartbeat.q.val() + 1;
        self.bridge.clock.next = clock;
        self.bridge.reset.next = reset;
        self.bridge.pipe_in_write.next = self.pipe_in_write.val();
        self.bridge.pipe_in_data.next = self.pipe_in_data.val();
        self.bridge.pipe_out_read.next = self.pipe_out_read.val();
        self.pipe_out_data.next = self.bridge.pipe_out_data.val();
        self.words_free.next = self.bridge.words_free.val();
        self.words_ready.next = self.bridge.words_ready.val();
        let (b_data, b_valid, b_ready) = (
            self.bridge.m_axis_tdata.val(),
            self.bridge.m_axis_tvalid.val(),
            self.bridge.s_axis_tready.val(),
        );
        self.link.head_clock.next = self.head_clock.val();
        let out = self
            .link
            .io()
            .step(clock, reset, (b_data, b_valid), b_ready);
        self.bridge.m_axis_tready.next = out.s_axis_tready;
        self.bridge.s_axis_tdata.next = out.m_axis_tdata;
        self.bridge.s_axis_tvalid.next = out.m_axis_tvalid;
        self.bridge.s_axis_tlast.next = out.m_axis_tlast;
        let (busy, idle) = (out.busy, out.idle);
        let (overflow, underflow) = (self.bridge.overflow.val(), self.bridge.underflow.val());
        let flags = u64::from(busy)
            | (u64::from(!idle) << 1)
            | (u64::from(overflow) << 2)
            | (u64::from(underflow) << 3);
        self.status.next = (flags | u64::from(STATUS_SIGNATURE)).into();
        self.led.next = (flags | (u64::from(self.heartbeat.q.val().get_bit(25)) << 4)).into();
    }
    fn connect(&mut self) {
        self.heartbeat.clock.connect();
        self.heartbeat.d.connect();
        self.bridge.clock.connect();
        self.bridge.reset.connect();
        self.bridge.pipe_in_write.connect();
        self.bridge.pipe_in_data.connect();
        self.bridge.pipe_out_read.connect();
        self.bridge.m_axis_tready.connect();
        self.bridge.s_axis_tdata.connect();
        self.bridge.s_axis_tvalid.connect();
        self.bridge.s_axis_tlast.connect();
        self.link.head_clock.connect();
        self.pipe_out_data.connect();
        self.words_free.connect();
        self.words_ready.connect();
        self.status.connect();
        self.led.connect();
        self.link.io().connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(format!(
            "always @(*) heartbeat$clock = clock;
always @(*) heartbeat$d = heartbeat$q + 26'd1;
always @(*) bridge$clock = clock;
always @(*) bridge$reset = reset;
always @(*) bridge$pipe_in_write = pipe_in_write;
always @(*) bridge$pipe_in_data = pipe_in_data;
always @(*) bridge$pipe_out_read = pipe_out_read;
always @(*) pipe_out_data = bridge$pipe_out_data;
always @(*) words_free = bridge$words_free;
always @(*) words_ready = bridge$words_ready;
always @(*) link$clock = clock;
always @(*) link$head_clock = head_clock;
always @(*) link$reset = reset;
always @(*) link$s_axis_tdata = bridge$m_axis_tdata;
always @(*) link$s_axis_tvalid = bridge$m_axis_tvalid;
always @(*) bridge$m_axis_tready = link$s_axis_tready;
always @(*) bridge$s_axis_tdata = link$m_axis_tdata;
always @(*) bridge$s_axis_tvalid = link$m_axis_tvalid;
always @(*) bridge$s_axis_tlast = link$m_axis_tlast;
always @(*) link$m_axis_tready = bridge$s_axis_tready;
always @(*) status = {{8'h{sig:02X}, 4'h0, bridge$underflow, bridge$overflow, ~link$idle, link$busy}};
always @(*) led = {{3'b000, heartbeat$q[25], bridge$underflow, bridge$overflow, ~link$idle, link$busy}};
",
            sig = STATUS_SIGNATURE >> 8
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use model::{Codebook, Variant};

    fn head_config(d: usize, n_max: usize) -> DeviceConfig {
        DeviceConfig::head(d, n_max, &Codebook::log(3, 1e-3).unwrap()).unwrap()
    }

    #[test]
    fn head_and_codes_designs_lint_clean_with_their_ports() {
        let codes = DeviceConfig::codes(8, 64, Variant::Octave).unwrap();
        for (name, cfg) in [("head4", head_config(4, 64)), ("codes8", codes)] {
            let v = crate::frontpanel_link_verilog(&cfg, 64).unwrap();
            for decl in [
                "input wire  head_clock;",
                "input wire  pipe_in_write;",
                "input wire  [15:0] pipe_in_data;",
                "input wire  pipe_out_read;",
                "output reg  [15:0] pipe_out_data;",
                "output reg  [15:0] words_free;",
                "output reg  [15:0] words_ready;",
                "output reg  [15:0] status;",
                "output reg  [7:0] led;",
            ] {
                assert!(v.contains(decl), "{name}: missing `{decl}`");
            }
            verilator_lint(&format!("frontpanel_link_{name}"), &v)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }

    #[test]
    #[should_panic(
        expected = "PipeBridge: the FIFO depth must be a power of two in 4..=32768 words, got 100"
    )]
    fn the_fifo_depth_is_checked() {
        let _ = crate::frontpanel_link_verilog(&head_config(4, 64), 100);
    }

    #[test]
    fn an_unbuilt_configuration_is_rejected() {
        let e = crate::frontpanel_link_verilog(&head_config(16, 64), 64).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("link: no compiled configuration for D = 16 and N_MAX = 64"));
    }
}
