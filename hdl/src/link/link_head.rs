//! `LinkHead`: the whole board behind one byte stream each way: link framer, Q and output
//! buffers, and the attention head.

use crate::attn_head::AttnHead;
use crate::io::skid_buffer::SkidBuffer;
use crate::link::job_runner::JobRunner;
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
/// Both buffers and the cycle counter are the [`JobRunner`] (one entry a Q row, `tlast` on
/// the job's last), as in [`crate::link::link_core::LinkCore`].
///
/// Register slices ([`SkidBuffer`]) sit on the request and response bytes and on the weights,
/// K and V from the receiver into the head, so that no combinational path runs between the
/// ports (the byte crossing or the UART bridge in front), the framers and the head: a ready
/// from one through a valid of the other and back was, one after the other, this design's
/// critical path on the ECP5 at a 100 MHz target. Each costs a cycle of latency, none of
/// throughput. Since the receiver counts a beat as gone once a slice holds it, the verdict is
/// handed to the transmitter only once its job's beats have left the three head slices (they
/// are counted when it is first offered; a job starts with its weights, K and V all in the
/// head, as without them), and the head's `flush` waits for the slices to empty, so it forgets
/// exactly the bad frame's K and V (the receiver's next beats wait meanwhile).
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
    /// The request bytes' register slice.
    rx_in: SkidBuffer<8>,
    /// The request decoder.
    rx: RxFramer<KW, QW>,
    /// The response bytes' register slice.
    tx_out: SkidBuffer<8>,
    /// The weights' register slice: `{code, w}`.
    w_sk: SkidBuffer<19>,
    /// The K rows' register slice: `{mk, Kq}`.
    k_sk: SkidBuffer<QW>,
    /// The V rows' register slice.
    v_sk: SkidBuffer<KW>,
    /// A flush waits for the head slices to empty.
    flush_pend: DFF<Bit>,
    /// The verdict offered has been seen: its job's beats in each head slice are counted.
    vd_seen: DFF<Bit>,
    /// Beats of the offered verdict's job still in the weights' slice.
    old_w: DFF<Bits<2>>,
    /// ... in the K slice.
    old_k: DFF<Bits<2>>,
    /// ... in the V slice.
    old_v: DFF<Bits<2>>,
    /// The offered verdict's job has no beat left in the head slices.
    vd_clear: Signal<Local, Bit>,
    /// Each head slice holds two beats (`skid`: its skid register is full).
    w_skid: Signal<Local, Bit>,
    k_skid: Signal<Local, Bit>,
    v_skid: Signal<Local, Bit>,
    /// The head takes a beat from each slice.
    w_hs: Signal<Local, Bit>,
    k_hs: Signal<Local, Bit>,
    v_hs: Signal<Local, Bit>,
    /// The head slices are empty.
    sk_empty: Signal<Local, Bit>,
    /// The receiver's beats may enter the head slices (no flush waits).
    sk_open: Signal<Local, Bit>,
    /// The response encoder.
    tx: TxFramer<OW, ACC, RS, OBW>,
    /// The attention head.
    head: AttnHead<KW, OW, A, ACC, RS, SB, SUMB>,
    /// The Q buffer, the output buffer and the cycle counter.
    runner: JobRunner<QW, A, OW, RS, OBW, A>,
    /// `KW`: where mq sits in a Q buffer row.
    c_kw: Constant<Bits<16>>,
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
            rx_in: SkidBuffer::new(),
            rx: RxFramer::new(cfg),
            tx_out: SkidBuffer::new(),
            w_sk: SkidBuffer::new(),
            k_sk: SkidBuffer::new(),
            v_sk: SkidBuffer::new(),
            flush_pend: Default::default(),
            vd_seen: Default::default(),
            old_w: Default::default(),
            old_k: Default::default(),
            old_v: Default::default(),
            vd_clear: Default::default(),
            w_skid: Default::default(),
            k_skid: Default::default(),
            v_skid: Default::default(),
            w_hs: Default::default(),
            k_hs: Default::default(),
            v_hs: Default::default(),
            sk_empty: Default::default(),
            sk_open: Default::default(),
            tx: TxFramer::new(&info),
            head: AttnHead::new(&cfg.core, cfg.variant, fe, cb),
            runner: JobRunner::new(),
            c_kw: Constant::new((KW as u64).into()),
        }
    }

    /// The same design with the head's products split as `split` says
    /// ([`AttnHead::with_multiplier_split`], whose panic it shares).
    pub fn with_multiplier_split(mut self, split: &crate::configs::MultiplierSplit) -> Self {
        self.head = self.head.with_multiplier_split(split);
        self
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
        dff_setup!(self, clock, flush_pend, vd_seen, old_w, old_k, old_v);
        self.w_sk.clock.next = self.clock.val();
        self.k_sk.clock.next = self.clock.val();
        self.v_sk.clock.next = self.clock.val();
        self.w_sk.reset.next = self.reset.val();
        self.k_sk.reset.next = self.reset.val();
        self.v_sk.reset.next = self.reset.val();
        self.rx_in.clock.next = self.clock.val();
        self.rx.clock.next = self.clock.val();
        self.tx_out.clock.next = self.clock.val();
        self.tx.clock.next = self.clock.val();
        self.head.clock.next = self.clock.val();
        self.runner.clock.next = self.clock.val();
        self.rx_in.reset.next = self.reset.val();
        self.rx.reset.next = self.reset.val();
        self.tx_out.reset.next = self.reset.val();
        self.tx.reset.next = self.reset.val();
        self.head.reset.next = self.reset.val();
        self.runner.reset.next = self.reset.val();

        // Request bytes into the receiver; its streams into the head and the Q buffer.
        self.rx_in.s_axis_tdata.next = self.s_axis_tdata.val();
        self.rx_in.s_axis_tvalid.next = self.s_axis_tvalid.val();
        self.rx_in.s_axis_tlast.next = false;
        self.s_axis_tready.next = self.rx_in.s_axis_tready.val();
        self.rx.s_axis_tdata.next = self.rx_in.m_axis_tdata.val();
        self.rx.s_axis_tvalid.next = self.rx_in.m_axis_tvalid.val();
        self.rx_in.m_axis_tready.next = self.rx.s_axis_tready.val();
        // The weights, K and V through their slices into the head. A verdict waits until its
        // job's beats have left the slices: the receiver makes a verdict once its own
        // registers are empty and routes nothing more for at least a header's bytes after, so
        // in the cycle a verdict is first offered the slices hold its job's beats only; they
        // are counted then, and counted down as the head takes them (a slice is in order, so
        // its first beats to leave are these). A flush waits until the slices are empty, the
        // receiver's next beats held meanwhile, so it forgets exactly the bad frame's.
        self.sk_empty.next = !self.w_sk.m_axis_tvalid.val()
            & !self.k_sk.m_axis_tvalid.val()
            & !self.v_sk.m_axis_tvalid.val();
        self.sk_open.next = !self.flush_pend.q.val();
        // (1-bit locals: Verilog would widen a negation inside the sums.)
        self.w_skid.next = !self.w_sk.s_axis_tready.val();
        self.k_skid.next = !self.k_sk.s_axis_tready.val();
        self.v_skid.next = !self.v_sk.s_axis_tready.val();
        self.w_hs.next = self.w_sk.m_axis_tvalid.val() & self.w_sk.m_axis_tready.val();
        self.k_hs.next = self.k_sk.m_axis_tvalid.val() & self.k_sk.m_axis_tready.val();
        self.v_hs.next = self.v_sk.m_axis_tvalid.val() & self.v_sk.m_axis_tready.val();
        if self.rx.vd_valid.val() & !self.vd_seen.q.val() {
            self.vd_seen.d.next = true;
            self.old_w.d.next = bit_cast::<2, 1>(self.w_sk.m_axis_tvalid.val().into())
                + bit_cast::<2, 1>(self.w_skid.val().into())
                - bit_cast::<2, 1>(self.w_hs.val().into());
            self.old_k.d.next = bit_cast::<2, 1>(self.k_sk.m_axis_tvalid.val().into())
                + bit_cast::<2, 1>(self.k_skid.val().into())
                - bit_cast::<2, 1>(self.k_hs.val().into());
            self.old_v.d.next = bit_cast::<2, 1>(self.v_sk.m_axis_tvalid.val().into())
                + bit_cast::<2, 1>(self.v_skid.val().into())
                - bit_cast::<2, 1>(self.v_hs.val().into());
        } else {
            if self.old_w.q.val().any() & self.w_hs.val() {
                self.old_w.d.next = self.old_w.q.val() - 1;
            }
            if self.old_k.q.val().any() & self.k_hs.val() {
                self.old_k.d.next = self.old_k.q.val() - 1;
            }
            if self.old_v.q.val().any() & self.v_hs.val() {
                self.old_v.d.next = self.old_v.q.val() - 1;
            }
        }
        self.vd_clear.next = self.vd_seen.q.val()
            & !self.old_w.q.val().any()
            & !self.old_k.q.val().any()
            & !self.old_v.q.val().any();
        if self.rx.vd_valid.val() & self.rx.vd_ready.val() {
            self.vd_seen.d.next = false;
        }
        if self.rx.flush.val() {
            self.flush_pend.d.next = true;
        } else if self.sk_empty.val() {
            self.flush_pend.d.next = false;
        }
        if self.reset.val() {
            self.flush_pend.d.next = false;
            self.vd_seen.d.next = false;
        }
        self.head.flush.next = self.flush_pend.q.val() & self.sk_empty.val();
        self.w_sk.s_axis_tdata.next = bit_cast::<19, 16>(self.rx.m_axis_w_tdata.val())
            | (bit_cast::<19, 3>(self.rx.m_axis_w_tuser.val()) << 16);
        self.w_sk.s_axis_tvalid.next = self.rx.m_axis_w_tvalid.val() & self.sk_open.val();
        self.w_sk.s_axis_tlast.next = false;
        self.rx.m_axis_w_tready.next = self.w_sk.s_axis_tready.val() & self.sk_open.val();
        self.head.s_axis_w_tdata.next = self.w_sk.m_axis_tdata.val().get_bits::<16>(0);
        self.head.s_axis_w_tuser.next = self.w_sk.m_axis_tdata.val().get_bits::<3>(16);
        self.head.s_axis_w_tvalid.next = self.w_sk.m_axis_tvalid.val();
        self.w_sk.m_axis_tready.next = self.head.s_axis_w_tready.val();
        self.k_sk.s_axis_tdata.next = bit_cast::<QW, KW>(self.rx.m_axis_k_tdata.val())
            | (bit_cast::<QW, 16>(self.rx.m_axis_k_tuser.val()) << self.c_kw.val());
        self.k_sk.s_axis_tvalid.next = self.rx.m_axis_k_tvalid.val() & self.sk_open.val();
        self.k_sk.s_axis_tlast.next = self.rx.m_axis_k_tlast.val();
        self.rx.m_axis_k_tready.next = self.k_sk.s_axis_tready.val() & self.sk_open.val();
        self.head.s_axis_k_tdata.next = self.k_sk.m_axis_tdata.val().get_bits::<KW>(0);
        self.head.s_axis_k_tuser.next = self
            .k_sk
            .m_axis_tdata
            .val()
            .get_bits::<16>(self.c_kw.val().index());
        self.head.s_axis_k_tvalid.next = self.k_sk.m_axis_tvalid.val();
        self.head.s_axis_k_tlast.next = self.k_sk.m_axis_tlast.val();
        self.k_sk.m_axis_tready.next = self.head.s_axis_k_tready.val();
        self.v_sk.s_axis_tdata.next = self.rx.m_axis_v_tdata.val();
        self.v_sk.s_axis_tvalid.next = self.rx.m_axis_v_tvalid.val() & self.sk_open.val();
        self.v_sk.s_axis_tlast.next = self.rx.m_axis_v_tlast.val();
        self.rx.m_axis_v_tready.next = self.v_sk.s_axis_tready.val() & self.sk_open.val();
        self.head.s_axis_v_tdata.next = self.v_sk.m_axis_tdata.val();
        self.head.s_axis_v_tvalid.next = self.v_sk.m_axis_tvalid.val();
        self.head.s_axis_v_tlast.next = self.v_sk.m_axis_tlast.val();
        self.v_sk.m_axis_tready.next = self.head.s_axis_v_tready.val();
        self.runner.jb_we.next = self.rx.q_we.val();
        self.runner.jb_waddr.next = self.rx.q_waddr.val();
        self.runner.jb_wdata.next = self.rx.q_wdata.val();

        // Verdicts to the transmitter, in order, once their job's beats are in the head and
        // no flush waits.
        self.tx.vd_valid.next =
            self.rx.vd_valid.val() & self.vd_clear.val() & !self.flush_pend.q.val();
        self.rx.vd_ready.next =
            self.tx.vd_ready.val() & self.vd_clear.val() & !self.flush_pend.q.val();
        self.tx.vd_status.next = self.rx.vd_status.val();
        self.tx.vd_seq.next = self.rx.vd_seq.val();
        self.tx.vd_kind.next = self.rx.vd_kind.val();
        self.tx.vd_job.next = self.rx.vd_job.val();
        self.tx.vd_rows.next = self.rx.vd_rows.val();
        self.tx.vd_shift.next = self.rx.vd_shift.val();
        self.tx.vd_vlen.next = self.rx.vd_vlen.val();
        self.tx.vd_n.next = self.rx.vd_n.val();

        // The job: its Q rows (one buffer entry each) from the buffer to the head back to
        // back, `tlast` on the last; the Q buffer is free once that is read.
        self.runner.go.next = self.tx.go.val();
        self.runner.rows.next = self.tx.job_rows.val();
        self.runner.beats_m1.next = 0.into();
        self.rx.q_release.next = self.runner.jb_free.val();
        self.head.s_axis_q_tdata.next = self.runner.m_axis_tdata.val().get_bits::<KW>(0);
        self.head.s_axis_q_tuser.next = bit_cast::<40, 16>(
            self.runner
                .m_axis_tdata
                .val()
                .get_bits::<16>(self.c_kw.val().index()),
        ) | (bit_cast::<40, 6>(self.tx.job_shift.val()) << 16)
            | (bit_cast::<40, 16>(self.tx.job_vlen.val()) << 24);
        self.head.s_axis_q_tvalid.next = self.runner.m_axis_tvalid.val();
        self.head.s_axis_q_tlast.next = self.runner.m_axis_tlast_job.val();
        self.runner.m_axis_tready.next = self.head.s_axis_q_tready.val();

        // Results into the output buffer (the head is never held up), read by the
        // transmitter; the cycles and `done` to it.
        self.runner.s_axis_tdata.next = self.head.m_axis_tdata.val();
        self.runner.s_axis_tuser.next = self.head.m_axis_tuser.val();
        self.runner.s_axis_tvalid.next = self.head.m_axis_tvalid.val();
        self.head.m_axis_tready.next = self.runner.s_axis_tready.val();
        self.runner.ob_raddr.next = self.tx.ob_raddr.val();
        self.tx.ob_rdata.next = self.runner.ob_rdata.val();
        self.tx.done.next = self.runner.done.val();
        self.tx.cycles.next = self.runner.cycles.val();
        self.busy.next = self.runner.busy.val();
        // Idle: no byte in either register slice, nothing being decided, sent or computed.
        self.idle.next = !self.rx_in.m_axis_tvalid.val()
            & self.sk_empty.val()
            & self.sk_open.val()
            & !self.rx.pending.val()
            & self.tx.idle.val()
            & !self.tx_out.m_axis_tvalid.val()
            & !self.runner.busy.val();

        // Responses out.
        self.tx_out.s_axis_tdata.next = self.tx.m_axis_tdata.val();
        self.tx_out.s_axis_tvalid.next = self.tx.m_axis_tvalid.val();
        self.tx_out.s_axis_tlast.next = self.tx.m_axis_tlast.val();
        self.tx.m_axis_tready.next = self.tx_out.s_axis_tready.val();
        self.m_axis_tdata.next = self.tx_out.m_axis_tdata.val();
        self.m_axis_tvalid.next = self.tx_out.m_axis_tvalid.val();
        self.m_axis_tlast.next = self.tx_out.m_axis_tlast.val();
        self.tx_out.m_axis_tready.next = self.m_axis_tready.val();
    }
}
