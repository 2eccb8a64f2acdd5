//! `LinkCore`: the AttnV core alone behind one byte stream each way: a board that takes codes
//! and V (the board design for FPGAs too small for the front end).

use crate::core::attnv::AttnV;
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
/// until its last row is done.
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
    rx: RxFramer<VW, QW>,
    tx: TxFramer<OW, ACC, RS, OBW>,
    core: AttnV<VW, OW, A, ACC, RS>,
    cbuf: RAM<Bits<48>, CA>,
    obuf: RAM<Bits<OBW>, A>,
    c_top48: Constant<Bits<16>>,
    c_ow: Constant<Bits<16>>,
    running: DFF<Bit>,
    started: DFF<Bit>,
    all_issued: DFF<Bit>,
    f: DFF<Bits<16>>,
    iw: DFF<Bits<16>>,
    ir: DFF<Bits<16>>,
    rdv: DFF<Bit>,
    rd_last: DFF<Bit>,
    rd_final: DFF<Bit>,
    qv: DFF<Bit>,
    qlast: DFF<Bit>,
    qdata: DFF<Bits<48>>,
    oidx: DFF<Bits<16>>,
    cyc: DFF<Bits<32>>,
    done_r: DFF<Bit>,
    rows_m1: Signal<Local, Bits<16>>,
    words_m1: Signal<Local, Bits<16>>,
    fm1: Signal<Local, Bits<16>>,
    c_hs: Signal<Local, Bit>,
    take: Signal<Local, Bit>,
    issue: Signal<Local, Bit>,
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
            cbuf: Default::default(),
            obuf: Default::default(),
            c_top48: Constant::new(((QW - 48) as u64).into()),
            c_ow: Constant::new((OW as u64).into()),
            running: Default::default(),
            started: Default::default(),
            all_issued: Default::default(),
            f: Default::default(),
            iw: Default::default(),
            ir: Default::default(),
            rdv: Default::default(),
            rd_last: Default::default(),
            rd_final: Default::default(),
            qv: Default::default(),
            qlast: Default::default(),
            qdata: Default::default(),
            oidx: Default::default(),
            cyc: Default::default(),
            done_r: Default::default(),
            rows_m1: Default::default(),
            words_m1: Default::default(),
            fm1: Default::default(),
            c_hs: Default::default(),
            take: Default::default(),
            issue: Default::default(),
            kv_open: Default::default(),
        }
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
        dff_setup!(
            self, clock, running, started, all_issued, f, iw, ir, rdv, rd_last, rd_final, qv,
            qlast, qdata, oidx, cyc, done_r
        );
        self.rx.clock.next = self.clock.val();
        self.tx.clock.next = self.clock.val();
        self.core.clock.next = self.clock.val();
        self.rx.reset.next = self.reset.val();
        self.tx.reset.next = self.reset.val();
        self.core.reset.next = self.reset.val();
        self.cbuf.write_clock.next = self.clock.val();
        self.cbuf.read_clock.next = self.clock.val();
        self.obuf.write_clock.next = self.clock.val();
        self.obuf.read_clock.next = self.clock.val();

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
        self.cbuf.write_enable.next = self.rx.q_we.val();
        self.cbuf.write_address.next = self.rx.q_waddr.val().get_bits::<CA>(0);
        self.cbuf.write_data.next = self
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

        // The job: ceil(n / 16) beats per row from the code buffer, back to back (a beat is
        // read ahead while the one before waits in `qdata`).
        self.rows_m1.next = self.tx.job_rows.val() - 1;
        self.words_m1.next = ((self.tx.job_n.val() + 15) >> 4) - 1;
        self.fm1.next = self.f.q.val() - 1;
        self.c_hs.next = self.qv.q.val() & self.core.s_axis_c_tready.val();
        self.take.next = self.rdv.q.val() & (!self.qv.q.val() | self.c_hs.val());
        self.issue.next =
            self.running.q.val() & !self.all_issued.q.val() & (!self.rdv.q.val() | self.take.val());
        self.cbuf.read_address.next = self.f.q.val().get_bits::<CA>(0);
        if self.rdv.q.val() & !self.take.val() {
            self.cbuf.read_address.next = self.fm1.val().get_bits::<CA>(0);
        }
        if self.issue.val() {
            self.f.d.next = self.f.q.val() + 1;
            self.iw.d.next = self.iw.q.val() + 1;
            self.rd_last.d.next = self.iw.q.val() == self.words_m1.val();
            self.rd_final.d.next = false;
            if self.iw.q.val() == self.words_m1.val() {
                self.iw.d.next = 0.into();
                self.ir.d.next = self.ir.q.val() + 1;
                if self.ir.q.val() == self.rows_m1.val() {
                    self.all_issued.d.next = true;
                    self.rd_final.d.next = true;
                }
            }
        }
        self.rdv.d.next = self.issue.val() | (self.rdv.q.val() & !self.take.val());
        // The code buffer is free for the next job once its last beat is read.
        self.rx.q_release.next = self.take.val() & self.rd_final.q.val();
        if self.take.val() {
            self.qdata.d.next = self.cbuf.read_data.val();
            self.qv.d.next = true;
            self.qlast.d.next = self.rd_last.q.val();
        } else if self.c_hs.val() {
            self.qv.d.next = false;
        }
        self.core.s_axis_c_tdata.next = self.qdata.q.val();
        self.core.s_axis_c_tvalid.next = self.qv.q.val();
        self.core.s_axis_c_tlast.next = self.qlast.q.val();

        // Results into the output buffer; cycles from the first beat offered to the last
        // result row, inclusive.
        self.core.m_axis_tready.next = true;
        self.obuf.write_enable.next = self.core.m_axis_tvalid.val();
        self.obuf.write_address.next = self.oidx.q.val().get_bits::<A>(0);
        self.obuf.write_data.next = bit_cast::<OBW, OW>(self.core.m_axis_tdata.val())
            | (bit_cast::<OBW, RS>(self.core.m_axis_tuser.val()) << self.c_ow.val());
        self.obuf.read_address.next = self.tx.ob_raddr.val().get_bits::<A>(0);
        self.tx.ob_rdata.next = self.obuf.read_data.val();
        self.done_r.d.next = false;
        if self.running.q.val() & (self.started.q.val() | self.qv.q.val()) {
            self.cyc.d.next = self.cyc.q.val() + 1;
        }
        if self.running.q.val() & self.qv.q.val() {
            self.started.d.next = true;
        }
        if self.core.m_axis_tvalid.val() {
            self.oidx.d.next = self.oidx.q.val() + 1;
            if self.oidx.q.val() == self.rows_m1.val() {
                self.running.d.next = false;
                self.done_r.d.next = true;
            }
        }
        if self.tx.go.val() {
            self.running.d.next = true;
            self.started.d.next = false;
            self.all_issued.d.next = false;
            self.f.d.next = 0.into();
            self.iw.d.next = 0.into();
            self.ir.d.next = 0.into();
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
