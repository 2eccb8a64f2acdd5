//! `CrossedLink`: a link design on its own clock, its byte streams crossing from the host
//! interface's clock.

use crate::io::byte_crossing::ByteCrossing;
use crate::link::LinkDesign;
use rust_hdl::prelude::*;

/// A [`LinkDesign`] `L` on `head_clock` behind a [`ByteCrossing`]: the same byte-stream ports
/// as `L` (on `clock`, the host interface's clock) and one more input, `head_clock`, the clock
/// `L` computes on. `reset` (on `clock`) resets `L` too, through the crossing. `L`'s cycle
/// counts are its own, so a response reports the same cycles as `L` alone. A [`LinkDesign`]
/// itself ([`LinkDesign::head_clock`] is `Some`): [`crate::link::uart_link::UartLink`] and
/// [`crate::link::frontpanel_link::FrontPanelLink`] take it where a board gives the head a
/// clock of its own.
///
/// Hand-written Verilog (connections by name, `L` being a type parameter), with a Rust `update`
/// twin.
///
/// Inputs: `clock`; `reset` (synchronous to `clock`); `head_clock`; requests `s_axis_tdata`
/// (8), `s_axis_tvalid`; `m_axis_tready`.
/// Outputs: `s_axis_tready`; responses `m_axis_tdata` (8), `m_axis_tvalid`, `m_axis_tlast`;
/// `busy`, `idle` (`L`'s, through the crossing's synchronizers).
#[derive(LogicBlock)]
pub struct CrossedLink<L: LinkDesign> {
    /// The host interface's clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset (`clock` domain), for both sides.
    pub reset: Signal<In, Bit>,
    /// The clock the link design computes on.
    pub head_clock: Signal<In, Clock>,
    /// A request byte.
    pub s_axis_tdata: Signal<In, Bits<8>>,
    /// `s_axis_tdata` is valid.
    pub s_axis_tvalid: Signal<In, Bit>,
    /// The request byte is taken.
    pub s_axis_tready: Signal<Out, Bit>,
    /// A response byte.
    pub m_axis_tdata: Signal<Out, Bits<8>>,
    /// `m_axis_tdata` is valid.
    pub m_axis_tvalid: Signal<Out, Bit>,
    /// The response byte is taken.
    pub m_axis_tready: Signal<In, Bit>,
    /// The response frame's last byte.
    pub m_axis_tlast: Signal<Out, Bit>,
    /// A job is computing.
    pub busy: Signal<Out, Bit>,
    /// Every frame received so far is answered.
    pub idle: Signal<Out, Bit>,
    crossing: ByteCrossing,
    pub(super) link: L,
}

impl<L: LinkDesign> CrossedLink<L> {
    /// `link` behind a crossing.
    pub fn new(link: L) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            head_clock: Default::default(),
            s_axis_tdata: Default::default(),
            s_axis_tvalid: Default::default(),
            s_axis_tready: Default::default(),
            m_axis_tdata: Default::default(),
            m_axis_tvalid: Default::default(),
            m_axis_tready: Default::default(),
            m_axis_tlast: Default::default(),
            busy: Default::default(),
            idle: Default::default(),
            crossing: Default::default(),
            link,
        }
    }
}

impl<L: LinkDesign> Logic for CrossedLink<L> {
    fn update(&mut self) {
        let x = &mut self.crossing;
        x.clock.next = self.clock.val();
        x.reset.next = self.reset.val();
        x.head_clock.next = self.head_clock.val();
        x.s_axis_tdata.next = self.s_axis_tdata.val();
        x.s_axis_tvalid.next = self.s_axis_tvalid.val();
        x.m_axis_tready.next = self.m_axis_tready.val();
        self.s_axis_tready.next = x.s_axis_tready.val();
        self.m_axis_tdata.next = x.m_axis_tdata.val();
        self.m_axis_tvalid.next = x.m_axis_tvalid.val();
        self.m_axis_tlast.next = x.m_axis_tlast.val();
        self.busy.next = x.busy.val();
        self.idle.next = x.idle.val();
        let out = self.link.io().step(
            self.head_clock.val(),
            x.head_reset.val(),
            (x.m_axis_req_tdata.val(), x.m_axis_req_tvalid.val()),
            x.s_axis_rsp_tready.val(),
        );
        x.m_axis_req_tready.next = out.s_axis_tready;
        x.s_axis_rsp_tdata.next = out.m_axis_tdata;
        x.s_axis_rsp_tvalid.next = out.m_axis_tvalid;
        x.s_axis_rsp_tlast.next = out.m_axis_tlast;
        x.head_busy.next = out.busy;
        x.head_idle.next = out.idle;
    }
    fn connect(&mut self) {
        self.s_axis_tready.connect();
        self.m_axis_tdata.connect();
        self.m_axis_tvalid.connect();
        self.m_axis_tlast.connect();
        self.busy.connect();
        self.idle.connect();
        let x = &mut self.crossing;
        x.clock.connect();
        x.reset.connect();
        x.head_clock.connect();
        x.s_axis_tdata.connect();
        x.s_axis_tvalid.connect();
        x.m_axis_tready.connect();
        x.m_axis_req_tready.connect();
        x.s_axis_rsp_tdata.connect();
        x.s_axis_rsp_tvalid.connect();
        x.s_axis_rsp_tlast.connect();
        x.head_busy.connect();
        x.head_idle.connect();
        self.link.io().connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "always @(*) crossing$clock = clock;
always @(*) crossing$reset = reset;
always @(*) crossing$head_clock = head_clock;
always @(*) crossing$s_axis_tdata = s_axis_tdata;
always @(*) crossing$s_axis_tvalid = s_axis_tvalid;
always @(*) s_axis_tready = crossing$s_axis_tready;
always @(*) m_axis_tdata = crossing$m_axis_tdata;
always @(*) m_axis_tvalid = crossing$m_axis_tvalid;
always @(*) m_axis_tlast = crossing$m_axis_tlast;
always @(*) crossing$m_axis_tready = m_axis_tready;
always @(*) busy = crossing$busy;
always @(*) idle = crossing$idle;
always @(*) link$clock = head_clock;
always @(*) link$reset = crossing$head_reset;
always @(*) link$s_axis_tdata = crossing$m_axis_req_tdata;
always @(*) link$s_axis_tvalid = crossing$m_axis_req_tvalid;
always @(*) crossing$m_axis_req_tready = link$s_axis_tready;
always @(*) crossing$s_axis_rsp_tdata = link$m_axis_tdata;
always @(*) crossing$s_axis_rsp_tvalid = link$m_axis_tvalid;
always @(*) crossing$s_axis_rsp_tlast = link$m_axis_tlast;
always @(*) link$m_axis_tready = crossing$s_axis_rsp_tready;
always @(*) crossing$head_busy = link$busy;
always @(*) crossing$head_idle = link$idle;
"
            .to_string(),
        )
    }
}
