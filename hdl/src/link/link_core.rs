//! `LinkCore`: the AttnV core alone behind one byte stream each way: a board that takes codes
//! and V (the board design for FPGAs too small for the front end).

use crate::core::attnv::AttnV;
use crate::link::job_runner::JobRunner;
use crate::link::rx_framer::RxFramer;
use crate::link::tx_framer::TxFramer;
use model::link::{Device, DeviceConfig};
use rust_hdl::prelude::*;

/// The codes-path board design: request frames in, response frames out (`docs/link.md`),
/// bit-exactly `model::link::Device` for a board without a front end.
///
/// [`RxFramer`] decodes requests and streams a codes job's weights and V rows into [`AttnV`]
/// while the frame arrives, and its code beats (16 codes, 48 bits) into the code buffer (a
/// block RAM of `N_MAX^2 / 16` beats). Once the frame CRC has passed and [`TxFramer`] reaches
/// the job's verdict, the beats go to the core back to back (`tlast` on each row's last), the
/// result rows into the output buffer, and the cycles from the first beat offered to the last
/// result are exactly `model::timing::job_cycles`. The next job's weights and V wait until
/// the running job's beats have all gone into the core (`q_held`), since the core reads V
/// until its last row is done. The code buffer, the output buffer and the cycle counter are
/// the [`JobRunner`] (`ceil(n / 16)` entries a row, `tlast` on each row's last), as in
/// [`crate::link::link_head::LinkHead`].
///
/// Const parameters: those of [`AttnV`] (`VW = 8 D`, `OW`, `A`, `ACC`, `RS`), `QW = VW + 16`
/// (the framer's row register), `OBW = OW + RS` (the output buffer's width), `CA = 2 A - 4`
/// (the code buffer's address bits).
///
/// Inputs: `clock`; `reset` (synchronous); request bytes `s_axis_tdata` (8), `s_axis_tvalid`;
/// `m_axis_tready`.
/// Outputs: `s_axis_tready`; response bytes `m_axis_tdata` (8), `m_axis_tvalid`,
/// `m_axis_tlast`; `busy` (a job is computing); `idle` (every frame received so far is
/// answered).
#[derive(LogicBlock)]
pub struct LinkCore<
    const VW: usize,
    const OW: usize,
    const A: usize,
    const ACC: usize,
    const RS: usize,
    const QW: usize,
    const OBW: usize,
    const CA: usize,
> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// A request byte.
    pub s_axis_tdata: Signal<In, Bits<8>>,
    /// `s_axis_tdata` is valid.
    pub s_axis_tvalid: Signal<In, Bit>,
    /// The byte is taken this cycle (with `s_axis_tvalid`).
    pub s_axis_tready: Signal<Out, Bit>,
    /// A response byte.
    pub m_axis_tdata: Signal<Out, Bits<8>>,
    /// `m_axis_tdata` is valid.
    pub m_axis_tvalid: Signal<Out, Bit>,
    /// The byte is taken this cycle.
    pub m_axis_tready: Signal<In, Bit>,
    /// The response frame's last byte.
    pub m_axis_tlast: Signal<Out, Bit>,
    /// A job is computing.
    pub busy: Signal<Out, Bit>,
    /// Every frame received so far is answered.
    pub idle: Signal<Out, Bit>,
    /// The request decoder.
    rx: RxFramer<VW, QW>,
    /// The response encoder.
    tx: TxFramer<OW, ACC, RS, OBW>,
    /// The AttnV core.
    core: AttnV<VW, OW, A, ACC, RS>,
    /// The code buffer (48-bit beats), the output buffer and the cycle counter.
    runner: JobRunner<48, CA, OW, RS, OBW, A>,
    /// `QW - 48`: where a code beat sits in the framer's job buffer entry.
    c_top48: Constant<Bits<16>>,
    /// Weights and V may go into the core: the running job's beats are all in it.
    kv_open: Signal<Local, Bit>,
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
    > LinkCore<VW, OW, A, ACC, RS, QW, OBW, CA>
{
    /// The codes board for `cfg` (a codes board, [`DeviceConfig::codes`]); panics with a
    /// clear message if a block rejects its parameters.
    pub fn new(cfg: &DeviceConfig) -> Self {
        assert!(
            cfg.takes_codes(),
            "LinkCore: the board takes codes jobs and has no front end"
        );
        assert_eq!(
            1usize << A,
            cfg.core.n_max,
            "LinkCore: A must be log2(N_MAX)"
        );
        assert_eq!(CA, 2 * A - 4, "LinkCore: CA must be 2 A - 4");
        let info = Device::new(cfg.clone()).info();
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_axis_tdata: Default::default(),
            s_axis_tvalid: Default::default(),
            s_axis_tready: Default::default(),
            m_axis_tdata: Default::default(),
            m_axis_tvalid: Default::default(),
            m_axis_tready: Default::default(),
            m_axis_tlast: Default::default(),
            busy: Default::default(),
            idle: Default::default(),
            rx: RxFramer::new(cfg),
            tx: TxFramer::new(&info),
            core: AttnV::new(&cfg.core, cfg.variant),
            runner: JobRunner::new(),
            c_top48: Constant::new(((QW - 48) as u64).into()),
            kv_open: Default::default(),
        }
    }

    /// The same design with the lanes' products split as `split` says
    /// ([`AttnV::with_lut_multipliers`]). Panics unless `split` was made for a codes design
    /// (no score products) of these lanes.
    pub fn with_multiplier_split(mut self, split: &crate::configs::MultiplierSplit) -> Self {
        assert_eq!(
            (split.score, split.lane),
            (0, self.core.lane_multipliers()),
            "LinkCore: the multiplier split is not this design's (no score products, {} lane products)",
            self.core.lane_multipliers()
        );
        self.core = self
            .core
            .with_lut_multipliers(&split.lane_luts_per_lane(VW / 8));
        self
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
    > Logic for LinkCore<VW, OW, A, ACC, RS, QW, OBW, CA>
{
    #[hdl_gen]
    fn update(&mut self) {
        self.rx.clock.next = self.clock.val();
        self.tx.clock.next = self.clock.val();
        self.core.clock.next = self.clock.val();
        self.runner.clock.next = self.clock.val();
        self.rx.reset.next = self.reset.val();
        self.tx.reset.next = self.reset.val();
        self.core.reset.next = self.reset.val();
        self.runner.reset.next = self.reset.val();

        // Request bytes into the receiver; weights and V into the core once the running job's
        // beats are all in it; code beats into the code buffer.
        self.rx.s_axis_tdata.next = self.s_axis_tdata.val();
        self.rx.s_axis_tvalid.next = self.s_axis_tvalid.val();
        self.s_axis_tready.next = self.rx.s_axis_tready.val();
        self.kv_open.next = !self.rx.q_held.val();
        self.core.s_axis_w_tdata.next = self.rx.m_axis_w_tdata.val();
        self.core.s_axis_w_tuser.next = self.rx.m_axis_w_tuser.val();
        self.core.s_axis_w_tvalid.next = self.rx.m_axis_w_tvalid.val() & self.kv_open.val();
        self.rx.m_axis_w_tready.next = self.core.s_axis_w_tready.val() & self.kv_open.val();
        self.core.s_axis_v_tdata.next = self.rx.m_axis_v_tdata.val();
        self.core.s_axis_v_tvalid.next = self.rx.m_axis_v_tvalid.val() & self.kv_open.val();
        self.core.s_axis_v_tlast.next = self.rx.m_axis_v_tlast.val();
        self.rx.m_axis_v_tready.next = self.core.s_axis_v_tready.val() & self.kv_open.val();
        self.rx.m_axis_k_tready.next = false;
        self.runner.jb_we.next = self.rx.q_we.val();
        self.runner.jb_waddr.next = self.rx.q_waddr.val();
        self.runner.jb_wdata.next = self
            .rx
            .q_wdata
            .val()
            .get_bits::<48>(self.c_top48.val().index());

        // Verdicts to the transmitter, in order.
        self.tx.vd_valid.next = self.rx.vd_valid.val();
        self.rx.vd_ready.next = self.tx.vd_ready.val();
        self.tx.vd_status.next = self.rx.vd_status.val();
        self.tx.vd_seq.next = self.rx.vd_seq.val();
        self.tx.vd_kind.next = self.rx.vd_kind.val();
        self.tx.vd_job.next = self.rx.vd_job.val();
        self.tx.vd_rows.next = self.rx.vd_rows.val();
        self.tx.vd_shift.next = self.rx.vd_shift.val();
        self.tx.vd_vlen.next = self.rx.vd_vlen.val();
        self.tx.vd_n.next = self.rx.vd_n.val();

        // The job: ceil(n / 16) beats per row from the code buffer to the core back to back,
        // `tlast` on each row's last; the code buffer is free once the job's last is read.
        self.runner.go.next = self.tx.go.val();
        self.runner.rows.next = self.tx.job_rows.val();
        self.runner.beats_m1.next = ((self.tx.job_n.val() + 15) >> 4) - 1;
        self.rx.q_release.next = self.runner.jb_free.val();
        self.core.s_axis_c_tdata.next = self.runner.m_axis_tdata.val();
        self.core.s_axis_c_tvalid.next = self.runner.m_axis_tvalid.val();
        self.core.s_axis_c_tlast.next = self.runner.m_axis_tlast.val();
        self.runner.m_axis_tready.next = self.core.s_axis_c_tready.val();

        // Results into the output buffer (the core is never held up), read by the
        // transmitter; the cycles and `done` to it.
        self.runner.s_axis_tdata.next = self.core.m_axis_tdata.val();
        self.runner.s_axis_tuser.next = self.core.m_axis_tuser.val();
        self.runner.s_axis_tvalid.next = self.core.m_axis_tvalid.val();
        self.core.m_axis_tready.next = self.runner.s_axis_tready.val();
        self.runner.ob_raddr.next = self.tx.ob_raddr.val();
        self.tx.ob_rdata.next = self.runner.ob_rdata.val();
        self.tx.done.next = self.runner.done.val();
        self.tx.cycles.next = self.runner.cycles.val();
        self.busy.next = self.runner.busy.val();
        self.idle.next = !self.rx.pending.val() & self.tx.idle.val() & !self.runner.busy.val();

        // Responses out.
        self.m_axis_tdata.next = self.tx.m_axis_tdata.val();
        self.m_axis_tvalid.next = self.tx.m_axis_tvalid.val();
        self.m_axis_tlast.next = self.tx.m_axis_tlast.val();
        self.tx.m_axis_tready.next = self.m_axis_tready.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boards::Family;
    use crate::configs::MultiplierSplit;
    use model::Variant;

    #[test]
    #[should_panic(
        expected = "LinkCore: the multiplier split is not this design's (no score products, 8 lane products)"
    )]
    fn takes_only_its_own_multiplier_split() {
        let cfg = DeviceConfig::codes(8, 64, Variant::General).unwrap();
        // A head's split (8 score products): not a codes design's.
        let split = MultiplierSplit::new(Family::Ecp5, 156, 8, 1, 8);
        let _ = LinkCore::<64, 240, 6, 30, 22, 80, 262, 8>::new(&cfg).with_multiplier_split(&split);
    }
}
