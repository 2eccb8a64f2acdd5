//! `UartLink`: the accelerator as a board design: the link design behind a UART.

use crate::boards::{Board, BoardDesign, DesignIo};
use crate::link_top::LinkTop;
use crate::uart_bridge::UartBridge;
use model::link::DeviceConfig;
use rust_hdl::prelude::*;

/// A [`UartBridge`] (UART receiver, receive FIFO, transmitter) around [`LinkTop`] (link framer,
/// buffers, attention head): request frames in on `rx`, response frames out on `tx`, exactly as
/// the simulated board (`sim::board`) answers on its byte streams. A [`BoardDesign`]: a board
/// shell adds the pins, PLL and reset.
///
/// LEDs: 0 a job is computing, 1 a response is being sent (`tx` busy), 2 receive overrun
/// (sticky: bytes were lost, so frames were damaged), 3 UART frame error (sticky), 4 heartbeat,
/// 7:5 off.
///
/// Const parameters: those of [`LinkTop`].
///
/// Inputs: `clock`; `reset` (synchronous, active high); `rx` (UART line in).
/// Outputs: `tx` (UART line out); `led` (8 bits).
#[derive(LogicBlock)]
pub struct UartLink<
    const KW: usize,
    const OW: usize,
    const A: usize,
    const ACC: usize,
    const RS: usize,
    const SB: usize,
    const SUMB: usize,
    const QW: usize,
    const OBW: usize,
> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// UART line in (idle high).
    pub rx: Signal<In, Bit>,
    /// UART line out (idle high).
    pub tx: Signal<Out, Bit>,
    /// LEDs (1 = on).
    pub led: Signal<Out, Bits<8>>,
    bridge: UartBridge,
    link: LinkTop<KW, OW, A, ACC, RS, SB, SUMB, QW, OBW>,
    heartbeat: DFF<Bits<27>>,
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
    > UartLink<KW, OW, A, ACC, RS, SB, SUMB, QW, OBW>
{
    /// The design built as `cfg`, its UART at `baud` on a `clock_hz` clock with a receive FIFO
    /// of `rx_fifo_depth` bytes. Panics if [`UartBridge::new`] or [`LinkTop::new`] rejects
    /// the parameters.
    pub fn new(cfg: &DeviceConfig, clock_hz: u64, baud: u64, rx_fifo_depth: usize) -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            rx: Default::default(),
            tx: Default::default(),
            led: Default::default(),
            bridge: UartBridge::new(clock_hz, baud, rx_fifo_depth),
            link: LinkTop::new(cfg),
            heartbeat: Default::default(),
        }
    }
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
    > BoardDesign for UartLink<KW, OW, A, ACC, RS, SB, SUMB, QW, OBW>
{
    fn for_board(board: &Board) -> Self {
        Self::new(
            &board.device_config(),
            board.design_clock_hz(),
            board.baud,
            board.rx_fifo_depth,
        )
    }
    fn io(&mut self) -> DesignIo<'_> {
        DesignIo {
            clock: &mut self.clock,
            reset: &mut self.reset,
            rx: &mut self.rx,
            tx: &self.tx,
            led: &self.led,
        }
    }
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
    > Logic for UartLink<KW, OW, A, ACC, RS, SB, SUMB, QW, OBW>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, heartbeat);
        self.bridge.clock.next = self.clock.val();
        self.link.clock.next = self.clock.val();
        self.bridge.reset.next = self.reset.val();
        self.link.reset.next = self.reset.val();
        self.bridge.rx.next = self.rx.val();
        self.tx.next = self.bridge.tx.val();
        self.link.s_axis_tdata.next = self.bridge.m_axis_tdata.val();
        self.link.s_axis_tvalid.next = self.bridge.m_axis_tvalid.val();
        self.bridge.m_axis_tready.next = self.link.s_axis_tready.val();
        self.bridge.s_axis_tdata.next = self.link.m_axis_tdata.val();
        self.bridge.s_axis_tvalid.next = self.link.m_axis_tvalid.val();
        self.link.m_axis_tready.next = self.bridge.s_axis_tready.val();
        self.heartbeat.d.next = self.heartbeat.q.val() + 1;
        self.led.next = bit_cast::<8, 1>(self.link.busy.val().into())
            | (bit_cast::<8, 1>((!self.link.idle.val()).into()) << 1)
            | (bit_cast::<8, 1>(self.bridge.rx_overrun.val().into()) << 2)
            | (bit_cast::<8, 1>(self.bridge.rx_frame_error.val().into()) << 3)
            | (bit_cast::<8, 1>(self.heartbeat.q.val().get_bit(26).into()) << 4);
    }
}
