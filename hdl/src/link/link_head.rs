//! `LinkHead`: the whole board behind one byte stream each way: link framer, Q and output
//! buffers, and the attention head.

use crate::attn_head::AttnHead;
use crate::link::rx_framer::RxFramer;
use crate::link::tx_framer::TxFramer;
use model::link::{Device, DeviceConfig};
use rust_hdl::prelude::*;

/// The board's design, pins aside: request frames in, response frames out
/// (`docs/link.md`), bit-exactly `model::link::Device` for any byte stream.
///
/// [`RxFramer`] decodes requests and streams a head job's weights, K and V into [`AttnHead`]
/// while the frame arrives, and its Q rows into the Q buffer (a block RAM of `N_MAX` rows).
/// Once the frame CRC has passed and [`TxFramer`] reaches the job's verdict, the Q rows go
/// from the buffer to the head back to back, and the result rows into the output buffer
/// (`N_MAX` rows), so the head never waits for the link and its cycles are exactly
/// `model::timing::head_compute_cycles`: they are counted from the first Q row offered to the
/// last result row written, and reported in the response header. Then [`TxFramer`] sends the
/// rows from the buffer. One job may wait (K and V in the head, Q in the buffer) while the
/// previous response is being sent; a further job's bytes are held off by `s_axis_tready`.
///
/// Const parameters: those of [`AttnHead`] (`KW`, `OW`, `A`, `ACC`, `RS`, `SB`, `SUMB`), and
/// `QW = KW + 16`, `OBW = OW + RS` (the two buffers' widths).
///
/// Inputs: `clock`; `reset` (synchronous); request bytes `s_axis_tdata` (8), `s_axis_tvalid`;
/// `m_axis_tready`.
/// Outputs: `s_axis_tready`; response bytes `m_axis_tdata` (8), `m_axis_tvalid`,
/// `m_axis_tlast` (each frame's last byte); `busy` (a job is computing: for a LED); `idle`
/// (every frame received so far is answered: nothing is under way but a frame still arriving).
#[derive(LogicBlock)]
pub struct LinkHead<
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
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub s_axis_tdata: Signal<In, Bits<8>>,
    pub s_axis_tvalid: Signal<In, Bit>,
    pub s_axis_tready: Signal<Out, Bit>,
    pub m_axis_tdata: Signal<Out, Bits<8>>,
    pub m_axis_tvalid: Signal<Out, Bit>,
    pub m_axis_tready: Signal<In, Bit>,
    pub m_axis_tlast: Signal<Out, Bit>,
    pub busy: Signal<Out, Bit>,
    pub idle: Signal<Out, Bit>,
    rx: RxFramer<KW, QW>,
    tx: TxFramer<OW, ACC, RS, OBW>,
    head: AttnHead<KW, OW, A, ACC, RS, SB, SUMB>,
    qbuf: RAM<Bits<QW>, A>,
    obuf: RAM<Bits<OBW>, A>,
    c_kw: Constant<Bits<16>>,
    c_ow: Constant<Bits<16>>,
    running: DFF<Bit>,
    started: DFF<Bit>,
    f: DFF<Bits<16>>,
    rdv: DFF<Bit>,
    qv: DFF<Bit>,
    qlast: DFF<Bit>,
    qdata: DFF<Bits<QW>>,
    oidx: DFF<Bits<16>>,
    cyc: DFF<Bits<32>>,
    done_r: DFF<Bit>,
    rows_m1: Signal<Local, Bits<16>>,
    fm1: Signal<Local, Bits<16>>,
    q_hs: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    issue: Signal<Local, Bit>,
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
    > LinkHead<KW, OW, A, ACC, RS, SB, SUMB, QW, OBW>
{
    /// The board design for `cfg` (a whole-head board, [`DeviceConfig::head`]); panics with a
    /// clear message if a block rejects its parameters.
    pub fn new(cfg: &DeviceConfig) -> Self {
        let (fe, cb) = cfg
            .front_end()
            .expect("LinkHead: the board needs a front end");
        assert_eq!(
            1usize << A,
            cfg.core.n_max,
            "LinkHead: A must be log2(N_MAX)"
        );
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
            head: AttnHead::new(&cfg.core, cfg.variant, fe, cb),
            qbuf: Default::default(),
            obuf: Default::default(),
            c_kw: Constant::new((KW as u64).into()),
            c_ow: Constant::new((OW as u64).into()),
            running: Default::default(),
            started: Default::default(),
            f: Default::default(),
            rdv: Default::default(),
            qv: Default::default(),
            qlast: Default::default(),
            qdata: Default::default(),
            oidx: Default::default(),
            cyc: Default::default(),
            done_r: Default::default(),
            rows_m1: Default::default(),
            fm1: Default::default(),
            q_hs: Default::default(),
            take: Default::default(),
            issue: Default::default(),
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
    > Logic for LinkHead<KW, OW, A, ACC, RS, SB, SUMB, QW, OBW>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, running, started, f, rdv, qv, qlast, qdata, oidx, cyc, done_r);
        self.rx.clock.next = self.clock.val();
        self.tx.clock.next = self.clock.val();
        self.head.clock.next = self.clock.val();
        self.rx.reset.next = self.reset.val();
        self.tx.reset.next = self.reset.val();
        self.head.reset.next = self.reset.val();
        self.qbuf.write_clock.next = self.clock.val();
        self.qbuf.read_clock.next = self.clock.val();
        self.obuf.write_clock.next = self.clock.val();
        self.obuf.read_clock.next = self.clock.val();

        // Request bytes into the receiver; its streams into the head and the Q buffer.
        self.rx.s_axis_tdata.next = self.s_axis_tdata.val();
        self.rx.s_axis_tvalid.next = self.s_axis_tvalid.val();
        self.s_axis_tready.next = self.rx.s_axis_tready.val();
        self.head.s_axis_w_tdata.next = self.rx.m_axis_w_tdata.val();
        self.head.s_axis_w_tuser.next = self.rx.m_axis_w_tuser.val();
        self.head.s_axis_w_tvalid.next = self.rx.m_axis_w_tvalid.val();
        self.rx.m_axis_w_tready.next = self.head.s_axis_w_tready.val();
        self.head.s_axis_k_tdata.next = self.rx.m_axis_k_tdata.val();
        self.head.s_axis_k_tuser.next = self.rx.m_axis_k_tuser.val();
        self.head.s_axis_k_tvalid.next = self.rx.m_axis_k_tvalid.val();
        self.head.s_axis_k_tlast.next = self.rx.m_axis_k_tlast.val();
        self.rx.m_axis_k_tready.next = self.head.s_axis_k_tready.val();
        self.head.s_axis_v_tdata.next = self.rx.m_axis_v_tdata.val();
        self.head.s_axis_v_tvalid.next = self.rx.m_axis_v_tvalid.val();
        self.head.s_axis_v_tlast.next = self.rx.m_axis_v_tlast.val();
        self.rx.m_axis_v_tready.next = self.head.s_axis_v_tready.val();
        self.head.flush.next = self.rx.flush.val();
        self.qbuf.write_enable.next = self.rx.q_we.val();
        self.qbuf.write_address.next = self.rx.q_waddr.val().get_bits::<A>(0);
        self.qbuf.write_data.next = self.rx.q_wdata.val();

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

        // The job: Q rows from the buffer, back to back (a row is read ahead while the one
        // before waits in `qdata`).
        self.rows_m1.next = self.tx.job_rows.val() - 1;
        self.q_hs.next = self.qv.q.val() & self.head.s_axis_q_tready.val();
        self.take.next = self.rdv.q.val() & (!self.qv.q.val() | self.q_hs.val());
        self.issue.next = self.running.q.val()
            & (self.f.q.val() < self.tx.job_rows.val())
            & (!self.rdv.q.val() | self.take.val());
        self.fm1.next = self.f.q.val() - 1;
        self.qbuf.read_address.next = self.f.q.val().get_bits::<A>(0);
        if self.rdv.q.val() & !self.take.val() {
            self.qbuf.read_address.next = self.fm1.val().get_bits::<A>(0);
        }
        if self.issue.val() {
            self.f.d.next = self.f.q.val() + 1;
        }
        self.rdv.d.next = self.issue.val() | (self.rdv.q.val() & !self.take.val());
        // The Q buffer is free for the next job once its last row is read.
        self.rx.q_release.next = self.take.val() & (self.fm1.val() == self.rows_m1.val());
        if self.take.val() {
            self.qdata.d.next = self.qbuf.read_data.val();
            self.qv.d.next = true;
            self.qlast.d.next = self.fm1.val() == self.rows_m1.val();
        } else if self.q_hs.val() {
            self.qv.d.next = false;
        }
        self.head.s_axis_q_tdata.next = self.qdata.q.val().get_bits::<KW>(0);
        self.head.s_axis_q_tuser.next =
            bit_cast::<40, 16>(self.qdata.q.val().get_bits::<16>(self.c_kw.val().index()))
                | (bit_cast::<40, 6>(self.tx.job_shift.val()) << 16)
                | (bit_cast::<40, 16>(self.tx.job_vlen.val()) << 24);
        self.head.s_axis_q_tvalid.next = self.qv.q.val();
        self.head.s_axis_q_tlast.next = self.qlast.q.val();

        // Results into the output buffer (the head is never held up); cycles from the first Q
        // row offered to the last result row, inclusive.
        self.head.m_axis_tready.next = true;
        self.obuf.write_enable.next = self.head.m_axis_tvalid.val();
        self.obuf.write_address.next = self.oidx.q.val().get_bits::<A>(0);
        self.obuf.write_data.next = bit_cast::<OBW, OW>(self.head.m_axis_tdata.val())
            | (bit_cast::<OBW, RS>(self.head.m_axis_tuser.val()) << self.c_ow.val());
        self.obuf.read_address.next = self.tx.ob_raddr.val().get_bits::<A>(0);
        self.tx.ob_rdata.next = self.obuf.read_data.val();
        self.done_r.d.next = false;
        if self.running.q.val() & (self.started.q.val() | self.qv.q.val()) {
            self.cyc.d.next = self.cyc.q.val() + 1;
        }
        if self.running.q.val() & self.qv.q.val() {
            self.started.d.next = true;
        }
        if self.head.m_axis_tvalid.val() {
            self.oidx.d.next = self.oidx.q.val() + 1;
            if self.oidx.q.val() == self.rows_m1.val() {
                self.running.d.next = false;
                self.done_r.d.next = true;
            }
        }
        if self.tx.go.val() {
            self.running.d.next = true;
            self.started.d.next = false;
            self.f.d.next = 0.into();
            self.rdv.d.next = false;
            self.oidx.d.next = 0.into();
            self.cyc.d.next = 0.into();
        }
        self.tx.done.next = self.done_r.q.val();
        self.tx.cycles.next = self.cyc.q.val();
        self.busy.next = self.running.q.val();
        self.idle.next = !self.rx.pending.val() & self.tx.idle.val() & !self.running.q.val();

        // Responses out.
        self.m_axis_tdata.next = self.tx.m_axis_tdata.val();
        self.m_axis_tvalid.next = self.tx.m_axis_tvalid.val();
        self.m_axis_tlast.next = self.tx.m_axis_tlast.val();
        self.tx.m_axis_tready.next = self.m_axis_tready.val();
        if self.reset.val() {
            self.running.d.next = false;
            self.rdv.d.next = false;
            self.qv.d.next = false;
            self.done_r.d.next = false;
        }
    }
}
