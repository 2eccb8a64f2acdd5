//! `RxFramer`: the board's request decoder (the receive half of the link, `docs/link.md`).

use crate::link::crc32::Crc32;
use crate::link::rx_header::RxHeader;
use crate::link::rx_router::RxRouter;
use crate::link::rx_verdict::RxVerdict;
use model::link::{DeviceConfig, Kind, Status, REQ_HEADER_LEN, REQ_MAGIC};
use rust_hdl::prelude::*;

/// Where the receiver is in the byte stream.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum RxState {
    /// Between frames: looking for the magic "LA".
    Hunt,
    /// In the header (bytes 2..44): its fields, then its CRC.
    Header,
    /// The header has ended (no byte is taken): its checks, all registered now, decide what
    /// follows. A cycle of its own, so that the header CRC's last byte and the routing it
    /// starts are not one path.
    Check,
    /// In the payload (a job's is routed as it arrives), then the frame's CRC.
    Payload,
    /// Skipping a payload longer than any job's, then its CRC (no CRC check).
    Skip,
    /// The frame has ended: its verdict, once the streams have drained and the last verdict
    /// has been taken.
    Verdict,
}

/// Decodes request frames from a byte stream exactly as `model::link::Decoder` and
/// `model::link::Device::verdict` do, and routes a job's payload as it arrives: the codebook
/// weights, and a head job's K and V rows, straight into the head (or a codes job's V rows into
/// the core); a head job's Q rows (or a codes job's code beats) into the job buffer (a RAM
/// outside), where they wait until the frame's CRC has passed and the transmitter starts the
/// job. The job buffer holds one job: a further job's rows wait (`s_axis_tready` low) until
/// the top releases it (`q_release`: the running job's last row has left it). Every frame whose
/// magic it saw ends in one *verdict* (status, sequence number, kind, and for a good head job
/// its shape), handed to the transmit side in frame order.
///
/// A head job whose frame CRC fails is undone with `flush` (the head forgets its K and V);
/// nothing of it is computed, since its Q rows never leave the buffer.
///
/// The frame's state machine and both CRC checks are here, with the [`Crc32`] leaf, a byte a
/// cycle; the header's fields and checks are [`RxHeader`]'s, the payload's routing
/// [`RxRouter`]'s, the verdict [`RxVerdict`]'s.
///
/// Const parameters: `KW = 8 D` (a row of int8), `QW = KW + 16` (a Q row and its multiplier).
///
/// Inputs: `clock`; `reset` (synchronous); request bytes `s_axis_tdata` (8), `s_axis_tvalid`;
/// `m_axis_w_tready`, `m_axis_k_tready`, `m_axis_v_tready` (the head's); `vd_ready` (the verdict
/// is taken); `q_release` (one cycle: the job buffer's last row has been read).
/// Outputs: `s_axis_tready` (low while a row waits for the head, a Q row for this job's K and
/// V to be in the head (which frees the Q buffer: the previous job's rows have all gone), or
/// a verdict for the transmitter); weights `m_axis_w_tdata` (16), `m_axis_w_tuser` (3, the
/// code), `m_axis_w_tvalid`; keys `m_axis_k_tdata` (`KW`), `m_axis_k_tuser` (16, `mk`),
/// `m_axis_k_tvalid`, `m_axis_k_tlast`; values `m_axis_v_tdata` (`KW`), `m_axis_v_tvalid`,
/// `m_axis_v_tlast`; the job buffer's write port `q_we`, `q_waddr` (16), `q_wdata` (`QW`: a Q
/// row, Qq at `[KW-1:0]` and `mq` above, or a code beat at `[QW-1:QW-48]`); the verdict
/// `vd_valid`, `vd_status` (3, `model::link::Status`), `vd_seq` (16), `vd_kind` (8), `vd_job`
/// (a good job: its rows are in the buffer), `vd_rows` (16), `vd_n` (16), `vd_shift` (6),
/// `vd_vlen` (16); `q_held` (the job buffer holds a job from its verdict until `q_release`);
/// `flush` (one cycle: the head forgets K and V); `pending` (a verdict is being made or waits
/// to be taken).
#[derive(LogicBlock)]
pub struct RxFramer<const KW: usize, const QW: usize> {
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
    /// Weight `w[c]` (`w[0]` as 0).
    pub m_axis_w_tdata: Signal<Out, Bits<16>>,
    /// Its code c.
    pub m_axis_w_tuser: Signal<Out, Bits<3>>,
    /// A weight is offered.
    pub m_axis_w_tvalid: Signal<Out, Bit>,
    /// The weight is taken.
    pub m_axis_w_tready: Signal<In, Bit>,
    /// A K row (Kq).
    pub m_axis_k_tdata: Signal<Out, Bits<KW>>,
    /// Its multiplier mk.
    pub m_axis_k_tuser: Signal<Out, Bits<16>>,
    /// A K row is offered.
    pub m_axis_k_tvalid: Signal<Out, Bit>,
    /// The job's last K row.
    pub m_axis_k_tlast: Signal<Out, Bit>,
    /// The K row is taken.
    pub m_axis_k_tready: Signal<In, Bit>,
    /// A V row (Vq).
    pub m_axis_v_tdata: Signal<Out, Bits<KW>>,
    /// A V row is offered.
    pub m_axis_v_tvalid: Signal<Out, Bit>,
    /// The job's last V row.
    pub m_axis_v_tlast: Signal<Out, Bit>,
    /// The V row is taken.
    pub m_axis_v_tready: Signal<In, Bit>,
    /// Write a job buffer entry.
    pub q_we: Signal<Out, Bit>,
    /// Its address: the Q row or code beat.
    pub q_waddr: Signal<Out, Bits<16>>,
    /// The entry: a Q row and mq, or a code beat at the top.
    pub q_wdata: Signal<Out, Bits<QW>>,
    /// A verdict waits to be taken.
    pub vd_valid: Signal<Out, Bit>,
    /// The verdict is taken.
    pub vd_ready: Signal<In, Bit>,
    /// Its status (`model::link::Status`).
    pub vd_status: Signal<Out, Bits<3>>,
    /// Its sequence number.
    pub vd_seq: Signal<Out, Bits<16>>,
    /// Its kind.
    pub vd_kind: Signal<Out, Bits<8>>,
    /// A good job: its rows are in the job buffer.
    pub vd_job: Signal<Out, Bit>,
    /// Its query rows.
    pub vd_rows: Signal<Out, Bits<16>>,
    /// Its shift.
    pub vd_shift: Signal<Out, Bits<6>>,
    /// Its valid length.
    pub vd_vlen: Signal<Out, Bits<16>>,
    /// Its keys, n.
    pub vd_n: Signal<Out, Bits<16>>,
    /// One cycle: the job buffer's last entry has been read.
    pub q_release: Signal<In, Bit>,
    /// The job buffer holds a job (from its verdict until `q_release`).
    pub q_held: Signal<Out, Bit>,
    /// One cycle: the head forgets its K and V.
    pub flush: Signal<Out, Bit>,
    /// A verdict is being made or waits to be taken.
    pub pending: Signal<Out, Bit>,
    /// The CRC-32 of the frame so far.
    crc: Crc32,
    /// The header's fields and checks.
    header: RxHeader,
    /// The payload's routing.
    router: RxRouter<KW, QW>,
    /// The verdict register.
    verdict: RxVerdict,
    /// The magic's first byte, "L".
    c_magic0: Constant<Bits<8>>,
    /// The magic's second byte, "A".
    c_magic1: Constant<Bits<8>>,
    /// Kind: a codes job.
    c_codes_kind: Constant<Bits<8>>,
    /// Kind: an info request.
    c_info: Constant<Bits<8>>,
    /// Status: ok.
    c_ok: Constant<Bits<3>>,
    /// Status: bad header.
    c_bad_header: Constant<Bits<3>>,
    /// Status: overflow.
    c_overflow: Constant<Bits<3>>,
    /// Where the receiver is.
    st: DFF<RxState>,
    /// The byte before, while hunting.
    last: DFF<Bits<8>>,
    /// `last` holds a byte of this hunt.
    last_ok: DFF<Bit>,
    /// The header byte expected next (2..44).
    hcount: DFF<Bits<6>>,
    /// The header's CRC bytes so far are good.
    hcrc_ok: DFF<Bit>,
    /// The router starts a job's payload (one cycle, after `Check`; no byte is taken in it).
    start_r: DFF<Bit>,
    /// The CRC bytes still to compare (header or frame), the next at the bottom.
    csnap: DFF<Bits<32>>,
    /// The frame's CRC bytes so far are good.
    crc_ok: DFF<Bit>,
    /// Bytes left in the payload and its CRC.
    left: DFF<Bits<33>>,
    /// `left > 4`, `left == 4` and `left == 1`, kept as registers beside `left`: a byte's
    /// routing then starts from a flip-flop, not from a 33-bit compare (the board's critical
    /// path at 65 MHz ran from `left` through the router into the head's K register).
    left_gt4: DFF<Bit>,
    left_eq4: DFF<Bit>,
    left_eq1: DFF<Bit>,
    /// The frame's status from its header (`model::link::Status`).
    status: DFF<Bits<3>>,
    /// A payload was read: the frame's CRC counts.
    from_payload: DFF<Bit>,
    /// The state after the verdict: `Hunt`, or `Skip` for a payload too long.
    vnext: DFF<RxState>,
    /// A byte is taken this cycle.
    fire: Signal<Local, Bit>,
    /// The header's CRC is good (with this, its last byte) and its version and kind known.
    hdr_good: Signal<Local, Bit>,
}

impl<const KW: usize, const QW: usize> RxFramer<KW, QW> {
    /// The framer of a board built as `cfg` (see [`RxHeader::new`] for what it takes from
    /// it). Panics with a clear message unless D is a power of two in 4..=128, N_MAX is at most
    /// 1024, `KW = 8 D` and `QW = KW + 16`.
    pub fn new(cfg: &DeviceConfig) -> Self {
        let d = cfg.core.d;
        assert!(
            d.is_power_of_two() && (4..=128).contains(&d),
            "RxFramer: D must be a power of two in 4..=128, got {d}"
        );
        assert_eq!(KW, 8 * d, "RxFramer: KW must be 8 * D");
        assert_eq!(QW, KW + 16, "RxFramer: QW must be KW + 16");
        assert!(
            cfg.core.n_max <= 1024,
            "RxFramer: N_MAX must be at most 1024 (a row of codes is at most 64 beats)"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_axis_tdata: Default::default(),
            s_axis_tvalid: Default::default(),
            s_axis_tready: Default::default(),
            m_axis_w_tdata: Default::default(),
            m_axis_w_tuser: Default::default(),
            m_axis_w_tvalid: Default::default(),
            m_axis_w_tready: Default::default(),
            m_axis_k_tdata: Default::default(),
            m_axis_k_tuser: Default::default(),
            m_axis_k_tvalid: Default::default(),
            m_axis_k_tlast: Default::default(),
            m_axis_k_tready: Default::default(),
            m_axis_v_tdata: Default::default(),
            m_axis_v_tvalid: Default::default(),
            m_axis_v_tlast: Default::default(),
            m_axis_v_tready: Default::default(),
            q_we: Default::default(),
            q_waddr: Default::default(),
            q_wdata: Default::default(),
            vd_valid: Default::default(),
            vd_ready: Default::default(),
            vd_status: Default::default(),
            vd_seq: Default::default(),
            vd_kind: Default::default(),
            vd_job: Default::default(),
            vd_rows: Default::default(),
            vd_shift: Default::default(),
            vd_vlen: Default::default(),
            vd_n: Default::default(),
            q_release: Default::default(),
            q_held: Default::default(),
            flush: Default::default(),
            pending: Default::default(),
            crc: Default::default(),
            header: RxHeader::new(cfg),
            router: RxRouter::new(cfg),
            verdict: RxVerdict::new(),
            c_magic0: Constant::new((REQ_MAGIC[0] as u64).into()),
            c_magic1: Constant::new((REQ_MAGIC[1] as u64).into()),
            c_codes_kind: Constant::new((Kind::Codes as u64).into()),
            c_info: Constant::new((Kind::Info as u64).into()),
            c_ok: Constant::new((Status::Ok as u64).into()),
            c_bad_header: Constant::new((Status::BadHeader as u64).into()),
            c_overflow: Constant::new((Status::Overflow as u64).into()),
            st: Default::default(),
            last: Default::default(),
            last_ok: Default::default(),
            hcount: Default::default(),
            hcrc_ok: Default::default(),
            start_r: Default::default(),
            csnap: Default::default(),
            crc_ok: Default::default(),
            left: Default::default(),
            left_gt4: Default::default(),
            left_eq4: Default::default(),
            left_eq1: Default::default(),
            status: Default::default(),
            from_payload: Default::default(),
            vnext: Default::default(),
            fire: Default::default(),
            hdr_good: Default::default(),
        }
    }
}

/// The header's CRC sits at bytes 40..44; the header counter assumes it.
const _: () = assert!(REQ_HEADER_LEN == 44);

impl<const KW: usize, const QW: usize> Logic for RxFramer<KW, QW> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            st,
            last,
            last_ok,
            hcount,
            hcrc_ok,
            csnap,
            crc_ok,
            left,
            left_gt4,
            left_eq4,
            left_eq1,
            status,
            from_payload,
            vnext,
            start_r
        );
        self.crc.clock.next = self.clock.val();
        self.crc.reset.next = self.reset.val();
        self.crc.clear.next = false;
        self.crc.en.next = false;
        self.crc.data.next = self.s_axis_tdata.val();

        // The header: loaded and shifted by the state machine below.
        self.header.clock.next = self.clock.val();
        self.header.data.next = self.s_axis_tdata.val();
        self.header.load.next = false;
        self.header.push.next = false;

        // The payload: routed while a job's bytes are taken; its streams are the framer's.
        self.router.clock.next = self.clock.val();
        self.router.reset.next = self.reset.val();
        self.router.data.next = self.s_axis_tdata.val();
        self.router.codes.next = self.header.kind.val() == self.c_codes_kind.val();
        self.router.weights.next = self.header.weights.val();
        self.router.n.next = self.header.n.val();
        self.router.rows.next = self.header.rows.val();
        self.router.q_held.next = self.verdict.q_held.val();
        self.router.stop.next = false;
        self.router.take.next = false;
        self.m_axis_w_tdata.next = self.router.m_axis_w_tdata.val();
        self.m_axis_w_tuser.next = self.router.m_axis_w_tuser.val();
        self.m_axis_w_tvalid.next = self.router.m_axis_w_tvalid.val();
        self.router.m_axis_w_tready.next = self.m_axis_w_tready.val();
        self.m_axis_k_tdata.next = self.router.m_axis_k_tdata.val();
        self.m_axis_k_tuser.next = self.router.m_axis_k_tuser.val();
        self.m_axis_k_tvalid.next = self.router.m_axis_k_tvalid.val();
        self.m_axis_k_tlast.next = self.router.m_axis_k_tlast.val();
        self.router.m_axis_k_tready.next = self.m_axis_k_tready.val();
        self.m_axis_v_tdata.next = self.router.m_axis_v_tdata.val();
        self.m_axis_v_tvalid.next = self.router.m_axis_v_tvalid.val();
        self.m_axis_v_tlast.next = self.router.m_axis_v_tlast.val();
        self.router.m_axis_v_tready.next = self.m_axis_v_tready.val();
        self.q_we.next = self.router.q_we.val();
        self.q_waddr.next = self.router.q_waddr.val();
        self.q_wdata.next = self.router.q_wdata.val();

        // The verdict: made in the `Verdict` state from the frame's status and the header.
        self.verdict.clock.next = self.clock.val();
        self.verdict.reset.next = self.reset.val();
        self.verdict.make.next = false;
        self.verdict.status.next = self.status.q.val();
        self.verdict.from_payload.next = self.from_payload.q.val();
        self.verdict.crc_ok.next = self.crc_ok.q.val();
        self.verdict.job.next = self.router.job.val();
        self.verdict.seq.next = self.header.seq.val();
        self.verdict.kind.next = self.header.kind.val();
        self.verdict.rows.next = self.header.rows.val();
        self.verdict.shift.next = self.header.shift.val();
        self.verdict.vlen.next = self.header.vlen.val();
        self.verdict.n.next = self.header.n.val();
        self.verdict.vd_ready.next = self.vd_ready.val();
        self.verdict.q_release.next = self.q_release.val();
        self.vd_valid.next = self.verdict.vd_valid.val();
        self.vd_status.next = self.verdict.vd_status.val();
        self.vd_seq.next = self.verdict.vd_seq.val();
        self.vd_kind.next = self.verdict.vd_kind.val();
        self.vd_job.next = self.verdict.vd_job.val();
        self.vd_rows.next = self.verdict.vd_rows.val();
        self.vd_shift.next = self.verdict.vd_shift.val();
        self.vd_vlen.next = self.verdict.vd_vlen.val();
        self.vd_n.next = self.verdict.vd_n.val();
        self.q_held.next = self.verdict.q_held.val();
        self.flush.next = self.verdict.flush.val();
        self.pending.next = (self.st.q.val() == RxState::Verdict) | self.verdict.vd_valid.val();

        self.s_axis_tready.next = !self.reset.val()
            & (self.st.q.val() != RxState::Verdict)
            & (self.st.q.val() != RxState::Check)
            & !self.start_r.q.val()
            & !((self.st.q.val() == RxState::Payload) & self.router.hold.val());
        self.fire.next = self.s_axis_tvalid.val() & self.s_axis_tready.val();
        self.router.start.next = self.start_r.q.val();
        self.start_r.d.next = false;
        self.hdr_good.next = self.hcrc_ok.q.val() & self.header.kind_ok.val();

        match self.st.q.val() {
            RxState::Hunt => {
                if self.fire.val() {
                    // Restart the CRC on every candidate first magic byte ("L").
                    self.crc.en.next = true;
                    self.crc.clear.next = self.s_axis_tdata.val() == self.c_magic0.val();
                    if self.last_ok.q.val()
                        & (self.last.q.val() == self.c_magic0.val())
                        & (self.s_axis_tdata.val() == self.c_magic1.val())
                    {
                        self.st.d.next = RxState::Header;
                        self.last_ok.d.next = false;
                        self.hcount.d.next = 2.into();
                        self.header.load.next = true;
                    } else {
                        self.last.d.next = self.s_axis_tdata.val();
                        self.last_ok.d.next = true;
                    }
                }
            }
            RxState::Header => {
                if self.fire.val() {
                    self.hcount.d.next = self.hcount.q.val() + 1;
                    self.crc.en.next = true;
                    if self.hcount.q.val() < 40 {
                        self.header.push.next = true;
                    } else if self.hcount.q.val() == 40 {
                        // The header's CRC, its first byte.
                        self.hcrc_ok.d.next =
                            self.s_axis_tdata.val() == self.crc.crc.val().get_bits::<8>(0);
                        self.csnap.d.next = self.crc.crc.val() >> 8;
                    } else {
                        self.hcrc_ok.d.next = self.hcrc_ok.q.val()
                            & (self.s_axis_tdata.val() == self.csnap.q.val().get_bits::<8>(0));
                        self.csnap.d.next = self.csnap.q.val() >> 8;
                    }
                    if self.hcount.q.val() == 43 {
                        // The header's last byte: its checks are registered by the next edge.
                        self.st.d.next = RxState::Check;
                    }
                }
            }
            RxState::Check => {
                // The frame's status and what follows.
                self.left.d.next = bit_cast::<33, 32>(self.header.plen.val()) + 4;
                self.left_gt4.d.next = self.header.plen.val().any();
                self.left_eq4.d.next = !self.header.plen.val().any();
                self.left_eq1.d.next = false;
                self.from_payload.d.next = false;
                self.vnext.d.next = RxState::Hunt;
                if !self.hdr_good.val() {
                    self.status.d.next = self.c_bad_header.val();
                    self.st.d.next = RxState::Verdict;
                } else if self.header.too_long.val() {
                    self.status.d.next = self.c_overflow.val();
                    self.vnext.d.next = RxState::Skip;
                    self.st.d.next = RxState::Verdict;
                } else {
                    self.status.d.next = self.header.status.val();
                    self.from_payload.d.next = true;
                    self.st.d.next = RxState::Payload;
                    // A job (head or codes, not info) is routed if its header is good: the
                    // router starts in the next cycle, from a register, and no byte is taken
                    // in it.
                    self.start_r.d.next =
                        (self.header.status.val() == 0) & (self.header.kind.val() != 3);
                }
            }
            RxState::Payload => {
                if self.fire.val() {
                    self.left.d.next = self.left.q.val() - 1;
                    self.left_gt4.d.next = self.left.q.val() > 5;
                    self.left_eq4.d.next = self.left.q.val() == 5;
                    self.left_eq1.d.next = self.left.q.val() == 2;
                    if self.left_gt4.q.val() {
                        self.crc.en.next = true;
                        self.router.take.next = true;
                    } else if self.left_eq4.q.val() {
                        // The frame's CRC, its first byte.
                        self.crc_ok.d.next =
                            self.s_axis_tdata.val() == self.crc.crc.val().get_bits::<8>(0);
                        self.csnap.d.next = self.crc.crc.val() >> 8;
                    } else {
                        self.crc_ok.d.next = self.crc_ok.q.val()
                            & (self.s_axis_tdata.val() == self.csnap.q.val().get_bits::<8>(0));
                        self.csnap.d.next = self.csnap.q.val() >> 8;
                    }
                    if self.left_eq1.q.val() {
                        self.st.d.next = RxState::Verdict;
                    }
                }
            }
            RxState::Skip => {
                if self.fire.val() {
                    self.left.d.next = self.left.q.val() - 1;
                    self.left_eq1.d.next = self.left.q.val() == 2;
                    if self.left_eq1.q.val() {
                        self.st.d.next = RxState::Hunt;
                    }
                }
            }
            RxState::Verdict => {
                // Once the head has taken every beat and the last verdict is gone.
                if self.router.drained.val() & !self.verdict.vd_valid.val() {
                    self.verdict.make.next = true;
                    self.router.stop.next = true;
                    self.st.d.next = self.vnext.q.val();
                }
            }
        }
        if self.reset.val() {
            self.st.d.next = RxState::Hunt;
            self.last_ok.d.next = false;
            self.start_r.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{rise, settle};
    use model::link::{Request, Status};
    use model::{Codebook, CoreParams, Variant};

    fn cfg(d: usize, codes: bool) -> DeviceConfig {
        if codes {
            DeviceConfig::codes(d, 64, Variant::General).unwrap()
        } else {
            DeviceConfig::head(d, 64, &Codebook::log(3, 1e-3).unwrap()).unwrap()
        }
    }

    #[test]
    #[should_panic(expected = "RxFramer: D must be a power of two in 4..=128, got 2")]
    fn rejects_a_small_d() {
        let mut c = cfg(4, true);
        c.core = CoreParams::new(2, 64, 16, 3).unwrap();
        let _ = RxFramer::<16, 32>::new(&c);
    }

    #[test]
    #[should_panic(expected = "RxFramer: KW must be 8 * D")]
    fn rejects_a_wrong_row_width() {
        let _ = RxFramer::<64, 80>::new(&cfg(4, false));
    }

    #[test]
    #[should_panic(expected = "RxFramer: QW must be KW + 16")]
    fn rejects_a_wrong_q_width() {
        let _ = RxFramer::<32, 32>::new(&cfg(4, false));
    }

    #[test]
    #[should_panic(expected = "RxFramer: N_MAX must be at most 1024")]
    fn rejects_a_large_n_max() {
        let mut c = cfg(4, true);
        c.core = CoreParams::new(4, 2048, 16, 3).unwrap();
        let _ = RxFramer::<32, 48>::new(&c);
    }

    /// Feeds `bytes` a byte a cycle (every stream ready, `q_release` right after each
    /// verdict) and returns each verdict: status, seq, kind, job, and the Q rows written.
    fn verdicts(bytes: &[u8]) -> Vec<(u64, u64, u64, bool, usize)> {
        let mut uut = RxFramer::<32, 48>::new(&cfg(4, false));
        uut.connect_all();
        let (mut at, mut out, mut writes) = (0, vec![], 0);
        for cycle in 0..bytes.len() + 200 {
            uut.reset.next = cycle < 2;
            uut.s_axis_tvalid.next = cycle >= 2 && at < bytes.len();
            uut.s_axis_tdata.next = (*bytes.get(at).unwrap_or(&0) as u64).into();
            uut.m_axis_w_tready.next = true;
            uut.m_axis_k_tready.next = true;
            uut.m_axis_v_tready.next = true;
            uut.vd_ready.next = true;
            uut.q_release.next = uut.q_held.val();
            settle(&mut uut);
            if uut.s_axis_tvalid.val() && uut.s_axis_tready.val() {
                at += 1;
            }
            if uut.q_we.val() {
                writes += 1;
            }
            if uut.vd_valid.val() {
                out.push((
                    uut.vd_status.val().to_u64(),
                    uut.vd_seq.val().to_u64(),
                    uut.vd_kind.val().to_u64(),
                    uut.vd_job.val(),
                    writes,
                ));
                writes = 0;
            }
            rise(&mut uut, |u| &mut u.clock);
        }
        assert_eq!(at, bytes.len(), "every byte is taken");
        out
    }

    #[test]
    fn decodes_a_job_an_info_request_and_a_damaged_frame() {
        let cb = Codebook::log(3, 1e-3).unwrap();
        let job = Request::head(
            7,
            &cb,
            model::link::HeadPayload {
                kq: ndarray::Array2::ones((3, 4)),
                mk: vec![9000; 3],
                vq: ndarray::Array2::ones((3, 4)),
                qq: ndarray::Array2::ones((2, 4)),
                mq: vec![9000; 2],
                shift: 20,
                valid_len: 3,
            },
        )
        .encode()
        .unwrap();
        let mut bytes = job.clone();
        bytes.extend(Request::info(8).encode().unwrap());
        let mut bad = job;
        let last = bad.len() - 1;
        bad[last] ^= 1;
        bytes.extend([0x4C, 0x4C]);
        bytes.extend(bad);
        let ok = Status::Ok as u64;
        let crc = Status::BadCrc as u64;
        assert_eq!(
            verdicts(&bytes),
            [
                (ok, 7, 1, true, 2),
                (ok, 8, 3, false, 0),
                (crc, 7, 1, false, 2)
            ]
        );
    }

    #[test]
    fn lints_clean() {
        for (name, c) in [("head4", cfg(4, false)), ("codes4", cfg(4, true))] {
            let mut uut = RxFramer::<32, 48>::new(&c);
            // The sub-blocks' wiring loops at block level only, as in the link designs.
            let v = crate::configs::top_with_loops(&mut uut);
            verilator_lint(&format!("rx_framer_{name}"), &v)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
