//! `RxFramer`: the board's request decoder (the receive half of the link, `docs/link.md`).

use crate::link::crc32::Crc32;
use crate::link::small_mul::SmallMul;
use model::link::{Device, DeviceConfig, REQ_HEADER_LEN};
use rust_hdl::prelude::*;

// States (literals in the logic: rust-hdl's HDL conversion takes a named constant for a
// signal): 0 hunt, 1 header, 2 payload, 3 skip, 4 verdict. Status codes as
// `model::link::Status`: 0 ok, 1 bad CRC, 2 bad header, 3 overflow, 4 unsupported.

/// Decodes request frames from a byte stream exactly as `model::link::Decoder` and
/// `model::link::Device::verdict` do, and routes a job's payload as it arrives: the codebook
/// weights, and a head job's K and V rows, straight into the head (or a codes job's V rows into
/// the core); a head job's Q rows (or a codes job's code beats) into the job buffer (a RAM
/// outside), where they wait until the frame's CRC has passed and the transmitter starts the
/// job. The job buffer holds one job: a further job's rows wait (`s_axis_tready` low) until
/// the top releases it (`q_release`: the running job's last row has left it). Every frame whose magic
/// it saw ends in one *verdict* (status, sequence number, kind, and for a good head job its
/// shape), handed to the transmit side in frame order.
///
/// A head job whose frame CRC fails is undone with `flush` (the head forgets its K and V);
/// nothing of it is computed, since its Q rows never leave the buffer.
///
/// Const parameters: `KW = 8 D` (a row of int8), `QW = KW + 16` (a Q row and its multiplier).
///
/// Inputs: `clock`; `reset` (synchronous); request bytes `s_axis_tdata` (8), `s_axis_tvalid`;
/// `m_axis_w_tready`, `m_axis_k_tready`, `m_axis_v_tready` (the head's); `vd_ready` (the verdict
/// is taken); `q_release` (one cycle: the job buffer's last row has been read).
/// Outputs: `s_axis_tready` (low while a row waits for the head, a Q row for this job's K and
/// V to be in the head (which frees the Q buffer: the previous job's rows have all gone), or
/// a verdict for the transmitter); weights `m_axis_w_tdata` (16), `m_axis_w_tuser` (3, the code),
/// `m_axis_w_tvalid`; keys `m_axis_k_tdata` (`KW`), `m_axis_k_tuser` (16, `mk`),
/// `m_axis_k_tvalid`, `m_axis_k_tlast`; values `m_axis_v_tdata` (`KW`), `m_axis_v_tvalid`,
/// `m_axis_v_tlast`; the job buffer's write port `q_we`, `q_waddr` (16), `q_wdata` (`QW`: a Q
/// row, Qq at `[KW-1:0]` and `mq` above, or a code beat at `[QW-1:QW-48]`); the verdict `vd_valid`, `vd_status` (3, `model::link::Status`),
/// `vd_seq` (16), `vd_kind` (8), `vd_job` (a good head job: its Q rows are in the buffer),
/// `vd_rows` (16), `vd_n` (16), `vd_shift` (6), `vd_vlen` (16); `q_held` (the job buffer holds a
/// job from its verdict until `q_release`); `flush` (one cycle: the head forgets K and V);
/// `pending` (a verdict is being made or waits to be taken).
#[derive(LogicBlock)]
pub struct RxFramer<const KW: usize, const QW: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub s_axis_tdata: Signal<In, Bits<8>>,
    pub s_axis_tvalid: Signal<In, Bit>,
    pub s_axis_tready: Signal<Out, Bit>,
    pub m_axis_w_tdata: Signal<Out, Bits<16>>,
    pub m_axis_w_tuser: Signal<Out, Bits<3>>,
    pub m_axis_w_tvalid: Signal<Out, Bit>,
    pub m_axis_w_tready: Signal<In, Bit>,
    pub m_axis_k_tdata: Signal<Out, Bits<KW>>,
    pub m_axis_k_tuser: Signal<Out, Bits<16>>,
    pub m_axis_k_tvalid: Signal<Out, Bit>,
    pub m_axis_k_tlast: Signal<Out, Bit>,
    pub m_axis_k_tready: Signal<In, Bit>,
    pub m_axis_v_tdata: Signal<Out, Bits<KW>>,
    pub m_axis_v_tvalid: Signal<Out, Bit>,
    pub m_axis_v_tlast: Signal<Out, Bit>,
    pub m_axis_v_tready: Signal<In, Bit>,
    pub q_we: Signal<Out, Bit>,
    pub q_waddr: Signal<Out, Bits<16>>,
    pub q_wdata: Signal<Out, Bits<QW>>,
    pub vd_valid: Signal<Out, Bit>,
    pub vd_ready: Signal<In, Bit>,
    pub vd_status: Signal<Out, Bits<3>>,
    pub vd_seq: Signal<Out, Bits<16>>,
    pub vd_kind: Signal<Out, Bits<8>>,
    pub vd_job: Signal<Out, Bit>,
    pub vd_rows: Signal<Out, Bits<16>>,
    pub vd_shift: Signal<Out, Bits<6>>,
    pub vd_vlen: Signal<Out, Bits<16>>,
    pub vd_n: Signal<Out, Bits<16>>,
    pub q_release: Signal<In, Bit>,
    pub q_held: Signal<Out, Bit>,
    pub flush: Signal<Out, Bit>,
    pub pending: Signal<Out, Bit>,
    crc: Crc32,
    rw: SmallMul<7>,
    c_d: Constant<Bits<16>>,
    c_dm1: Constant<Bits<8>>,
    c_dp1: Constant<Bits<8>>,
    c_ld: Constant<Bits<4>>,
    c_ld1: Constant<Bits<4>>,
    c_nmax: Constant<Bits<16>>,
    c_maxp: Constant<Bits<32>>,
    c_tag: Constant<Bits<32>>,
    c_top: Constant<Bits<16>>,
    c_fe: Constant<Bit>,
    c_codes: Constant<Bit>,
    c_oct: Constant<Bit>,
    c_octw: Constant<Bits<112>>,
    c_kw: Constant<Bits<16>>,
    c_magic: Constant<Bits<320>>,
    st: DFF<Bits<3>>,
    last: DFF<Bits<8>>,
    last_ok: DFF<Bit>,
    hcount: DFF<Bits<6>>,
    hdr: DFF<Bits<320>>,
    hcrc_ok: DFF<Bit>,
    csnap: DFF<Bits<32>>,
    crc_ok: DFF<Bit>,
    pre_kind_ok: DFF<Bit>,
    pre_too_long: DFF<Bit>,
    pre_shape_bad: DFF<Bit>,
    pre_head_len: DFF<Bits<32>>,
    pre_len_bad: DFF<Bit>,
    pre_head_bad: DFF<Bit>,
    left: DFF<Bits<33>>,
    status: DFF<Bits<3>>,
    from_payload: DFF<Bit>,
    is_job: DFF<Bit>,
    vnext: DFF<Bits<3>>,
    sect: DFF<Bits<3>>,
    is_codes: DFF<Bit>,
    qheld: DFF<Bit>,
    v_n: DFF<Bits<16>>,
    pre_words: DFF<Bits<16>>,
    pre_rw: DFF<Bits<32>>,
    pre_clen_bad: DFF<Bit>,
    pre_w_bad: DFF<Bit>,
    r: DFF<Bits<16>>,
    bi: DFF<Bits<8>>,
    nm1: DFF<Bits<16>>,
    rowsm1: DFF<Bits<16>>,
    rowsr: DFF<Bits<QW>>,
    kdata: DFF<Bits<KW>>,
    kuser: DFF<Bits<16>>,
    kvalid: DFF<Bit>,
    klast: DFF<Bit>,
    vdata: DFF<Bits<KW>>,
    vvalid: DFF<Bit>,
    vlast: DFF<Bit>,
    wsend: DFF<Bit>,
    wi: DFF<Bits<3>>,
    wsh: DFF<Bits<128>>,
    qwe: DFF<Bit>,
    qwaddr: DFF<Bits<16>>,
    qwdata: DFF<Bits<QW>>,
    vv: DFF<Bit>,
    v_status: DFF<Bits<3>>,
    v_seq: DFF<Bits<16>>,
    v_kind: DFF<Bits<8>>,
    v_job: DFF<Bit>,
    v_rows: DFF<Bits<16>>,
    v_shift: DFF<Bits<6>>,
    v_vlen: DFF<Bits<16>>,
    flush_r: DFF<Bit>,
    fire: Signal<Local, Bit>,
    rowsr_next: Signal<Local, Bits<QW>>,
    status_pre: Signal<Local, Bits<3>>,
    h_kind: Signal<Local, Bits<8>>,
    h_n: Signal<Local, Bits<16>>,
    h_rows: Signal<Local, Bits<16>>,
    h_plen: Signal<Local, Bits<32>>,
    k_end: Signal<Local, Bit>,
    v_end: Signal<Local, Bit>,
    q_end: Signal<Local, Bit>,
    c_end: Signal<Local, Bit>,
    h_words: Signal<Local, Bits<16>>,
    hdr_good: Signal<Local, Bit>,
    drained: Signal<Local, Bit>,
}

impl<const KW: usize, const QW: usize> RxFramer<KW, QW> {
    /// The framer of a board built as `cfg`: D, N_MAX, the longest payload
    /// ([`Device::max_payload`]) and the codebook tag of its front end. Panics with a clear
    /// message unless the board has a front end and no codes path (the only build so far),
    /// D is a power of two in 4..=128, `KW = 8 D` and `QW = KW + 16`.
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
        let tag = cfg
            .front_end()
            .map_or(0, |(_, cb)| model::link::codebook_tag(cb));
        let max = Device::max_payload(&cfg.core);
        let ld = d.trailing_zeros() as u64;
        let octw = model::link::OCTAVE_WEIGHTS
            .iter()
            .enumerate()
            .fold(Bits::<112>::default(), |a, (i, &w)| {
                a | (Bits::<112>::from(w as u64) << (16 * i as u64))
            });
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
            rw: Default::default(),
            c_d: Constant::new((d as u64).into()),
            c_dm1: Constant::new((d as u64 - 1).into()),
            c_dp1: Constant::new((d as u64 + 1).into()),
            c_ld: Constant::new(ld.into()),
            c_ld1: Constant::new((ld + 1).into()),
            c_nmax: Constant::new((cfg.core.n_max as u64).into()),
            c_maxp: Constant::new((max as u64).into()),
            c_tag: Constant::new((tag as u64).into()),
            c_top: Constant::new(((QW - 8) as u64).into()),
            c_fe: Constant::new(cfg.front_end().is_some()),
            c_codes: Constant::new(cfg.takes_codes()),
            c_oct: Constant::new(cfg.variant == model::Variant::Octave),
            c_octw: Constant::new(octw),
            c_kw: Constant::new((KW as u64).into()),
            c_magic: Constant::new(Bits::<320>::from(0x414Cu64) << 304u64),
            st: Default::default(),
            last: Default::default(),
            last_ok: Default::default(),
            hcount: Default::default(),
            hdr: Default::default(),
            hcrc_ok: Default::default(),
            csnap: Default::default(),
            crc_ok: Default::default(),
            pre_kind_ok: Default::default(),
            pre_too_long: Default::default(),
            pre_shape_bad: Default::default(),
            pre_head_len: Default::default(),
            pre_len_bad: Default::default(),
            pre_head_bad: Default::default(),
            left: Default::default(),
            status: Default::default(),
            from_payload: Default::default(),
            is_job: Default::default(),
            vnext: Default::default(),
            sect: Default::default(),
            is_codes: Default::default(),
            qheld: Default::default(),
            v_n: Default::default(),
            pre_words: Default::default(),
            pre_rw: Default::default(),
            pre_clen_bad: Default::default(),
            pre_w_bad: Default::default(),
            r: Default::default(),
            bi: Default::default(),
            nm1: Default::default(),
            rowsm1: Default::default(),
            rowsr: Default::default(),
            kdata: Default::default(),
            kuser: Default::default(),
            kvalid: Default::default(),
            klast: Default::default(),
            vdata: Default::default(),
            vvalid: Default::default(),
            vlast: Default::default(),
            wsend: Default::default(),
            wi: Default::default(),
            wsh: Default::default(),
            qwe: Default::default(),
            qwaddr: Default::default(),
            qwdata: Default::default(),
            vv: Default::default(),
            v_status: Default::default(),
            v_seq: Default::default(),
            v_kind: Default::default(),
            v_job: Default::default(),
            v_rows: Default::default(),
            v_shift: Default::default(),
            v_vlen: Default::default(),
            flush_r: Default::default(),
            fire: Default::default(),
            rowsr_next: Default::default(),
            status_pre: Default::default(),
            h_kind: Default::default(),
            h_n: Default::default(),
            h_rows: Default::default(),
            h_plen: Default::default(),
            k_end: Default::default(),
            v_end: Default::default(),
            q_end: Default::default(),
            c_end: Default::default(),
            h_words: Default::default(),
            hdr_good: Default::default(),
            drained: Default::default(),
        }
    }
}

/// The header's CRC sits at bytes 40..44; the framer's counter and field offsets assume it.
const _: () = assert!(REQ_HEADER_LEN == 44);

// The verdict is a chain of `else if`s in `Device::verdict`'s order, one status per check, even
// where two neighbours give the same status; the nested ifs mirror the model's cases.
#[allow(clippy::if_same_then_else, clippy::collapsible_if)]
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
            hdr,
            hcrc_ok,
            csnap,
            crc_ok,
            pre_kind_ok,
            pre_too_long,
            pre_shape_bad,
            pre_head_len,
            pre_len_bad,
            pre_head_bad,
            left,
            status,
            from_payload,
            is_job,
            vnext,
            sect,
            is_codes,
            qheld,
            v_n,
            pre_words,
            pre_rw,
            pre_clen_bad,
            pre_w_bad,
            r,
            bi,
            nm1,
            rowsm1,
            rowsr,
            kdata,
            kuser,
            kvalid,
            klast,
            vdata,
            vvalid,
            vlast,
            wsend,
            wi,
            wsh,
            qwe,
            qwaddr,
            qwdata,
            vv,
            v_status,
            v_seq,
            v_kind,
            v_job,
            v_rows,
            v_shift,
            v_vlen,
            flush_r
        );
        self.crc.clock.next = self.clock.val();
        self.crc.reset.next = self.reset.val();
        self.crc.clear.next = false;
        self.crc.en.next = false;
        self.crc.data.next = self.s_axis_tdata.val();

        // Header fields (byte i of the header at hdr[8i+7:8i] once 40 bytes are in).
        self.h_kind.next = self.hdr.q.val().get_bits::<8>(24);
        self.h_n.next = self.hdr.q.val().get_bits::<16>(48);
        self.h_rows.next = self.hdr.q.val().get_bits::<16>(64);
        self.h_plen.next = self.hdr.q.val().get_bits::<32>(288);
        // The checks of `Device::verdict`, registered while the header CRC arrives.
        self.pre_kind_ok.d.next = (self.hdr.q.val().get_bits::<8>(16) == 1)
            & ((self.h_kind.val() == 1) | (self.h_kind.val() == 2) | (self.h_kind.val() == 3));
        self.pre_too_long.d.next = self.h_plen.val() > self.c_maxp.val();
        self.pre_shape_bad.d.next = (self.h_n.val() == 0)
            | (self.h_n.val() > self.c_nmax.val())
            | (self.h_rows.val() == 0)
            | (self.h_rows.val() > self.c_nmax.val())
            | (self.hdr.q.val().get_bits::<16>(80) != self.c_d.val())
            | (self.hdr.q.val().get_bits::<8>(96) != 3);
        // n (2D + 2) + rows (D + 2) bytes.
        self.pre_head_len.d.next = (bit_cast::<32, 16>(self.h_n.val()) << self.c_ld1.val())
            + (bit_cast::<32, 16>(self.h_n.val()) << 1)
            + (bit_cast::<32, 16>(self.h_rows.val()) << self.c_ld.val())
            + (bit_cast::<32, 16>(self.h_rows.val()) << 1);
        self.pre_len_bad.d.next = self.h_plen.val() != self.pre_head_len.q.val();
        self.pre_head_bad.d.next = !self.c_fe.val()
            | (self.hdr.q.val().get_bits::<32>(256) != self.c_tag.val())
            | (self.hdr.q.val().get_bits::<8>(104) > 63);
        // A codes job: n D + 6 rows ceil(n / 16) bytes (rows ceil(n / 16) by shift-and-add
        // over 7 bits of ceil(n / 16): with n above N_MAX the verdict is overflow whatever
        // this says). Registered in three steps while the header CRC arrives.
        self.h_words.next = (self.h_n.val() + 15) >> 4;
        self.pre_words.d.next = self.h_words.val();
        self.rw.a.next = self.h_rows.val();
        self.rw.b.next = self.pre_words.q.val();
        self.pre_rw.d.next = self.rw.p.val();
        self.pre_clen_bad.d.next = self.h_plen.val()
            != (bit_cast::<32, 16>(self.h_n.val()) << self.c_ld.val())
                + (self.pre_rw.q.val() << 2)
                + (self.pre_rw.q.val() << 1);
        // Shift-only lanes take the octave weights only (w[1..8] at header bytes 18..32).
        self.pre_w_bad.d.next =
            self.c_oct.val() & (self.hdr.q.val().get_bits::<112>(144) != self.c_octw.val());
        self.status_pre.next = 0.into();
        if self.h_kind.val() == 3 {
            if self.h_plen.val().any() {
                self.status_pre.next = 2.into();
            }
        } else if self.pre_shape_bad.q.val() {
            self.status_pre.next = 3.into();
        } else if (self.h_kind.val() == 2) & !self.c_codes.val() {
            self.status_pre.next = 4.into();
        } else if (self.h_kind.val() == 2) & self.pre_clen_bad.q.val() {
            self.status_pre.next = 2.into();
        } else if (self.h_kind.val() == 1) & self.pre_len_bad.q.val() {
            self.status_pre.next = 2.into();
        } else if (self.h_kind.val() == 1) & self.pre_head_bad.q.val() {
            self.status_pre.next = 4.into();
        } else if self.pre_w_bad.q.val() {
            self.status_pre.next = 4.into();
        }

        // Payload routing of a head job: K rows (D + 2 bytes), V rows (D), Q rows (D + 2).
        self.k_end.next =
            self.is_job.q.val() & (self.sect.q.val() == 0) & (self.bi.q.val() == self.c_dp1.val());
        self.v_end.next =
            self.is_job.q.val() & (self.sect.q.val() == 1) & (self.bi.q.val() == self.c_dm1.val());
        self.q_end.next =
            self.is_job.q.val() & (self.sect.q.val() == 2) & (self.bi.q.val() == self.c_dp1.val());
        self.c_end.next = self.is_job.q.val() & (self.sect.q.val() == 4) & (self.bi.q.val() == 5);
        self.drained.next = !self.kvalid.q.val() & !self.vvalid.q.val() & !self.wsend.q.val();
        self.s_axis_tready.next = !self.reset.val()
            & (self.st.q.val() != 4)
            & !((self.st.q.val() == 2)
                & ((self.k_end.val() & self.kvalid.q.val())
                    | (self.v_end.val() & self.vvalid.q.val())
                    | ((self.q_end.val() | self.c_end.val())
                        & (!self.drained.val() | self.qheld.q.val()))));
        self.fire.next = self.s_axis_tvalid.val() & self.s_axis_tready.val();
        self.rowsr_next.next = (self.rowsr.q.val() >> 8)
            | (bit_cast::<QW, 8>(self.s_axis_tdata.val()) << self.c_top.val());
        self.hdr_good.next = self.hcrc_ok.q.val()
            & (self.s_axis_tdata.val() == self.csnap.q.val().get_bits::<8>(0))
            & self.pre_kind_ok.q.val();

        // Streams into the head.
        // w[0] is sent as 0 (code 0 is a zero); w[c] from the header, one a beat.
        self.m_axis_w_tdata.next = 0.into();
        if self.wi.q.val().any() {
            self.m_axis_w_tdata.next = self.wsh.q.val().get_bits::<16>(0);
        }
        self.m_axis_w_tuser.next = self.wi.q.val();
        self.m_axis_w_tvalid.next = self.wsend.q.val();
        if self.wsend.q.val() & self.m_axis_w_tready.val() {
            self.wi.d.next = self.wi.q.val() + 1;
            self.wsh.d.next = self.wsh.q.val() >> 16;
            if self.wi.q.val() == 7 {
                self.wsend.d.next = false;
            }
        }
        self.m_axis_k_tdata.next = self.kdata.q.val();
        self.m_axis_k_tuser.next = self.kuser.q.val();
        self.m_axis_k_tvalid.next = self.kvalid.q.val();
        self.m_axis_k_tlast.next = self.klast.q.val();
        if self.kvalid.q.val() & self.m_axis_k_tready.val() {
            self.kvalid.d.next = false;
        }
        self.m_axis_v_tdata.next = self.vdata.q.val();
        // V after the weights: the head closes both once its V is in.
        self.m_axis_v_tvalid.next = self.vvalid.q.val() & !self.wsend.q.val();
        self.m_axis_v_tlast.next = self.vlast.q.val();
        if self.vvalid.q.val() & !self.wsend.q.val() & self.m_axis_v_tready.val() {
            self.vvalid.d.next = false;
        }
        self.q_we.next = self.qwe.q.val();
        self.q_waddr.next = self.qwaddr.q.val();
        self.q_wdata.next = self.qwdata.q.val();
        self.qwe.d.next = false;

        // The verdict register.
        self.vd_valid.next = self.vv.q.val();
        self.vd_status.next = self.v_status.q.val();
        self.vd_seq.next = self.v_seq.q.val();
        self.vd_kind.next = self.v_kind.q.val();
        self.vd_job.next = self.v_job.q.val();
        self.vd_rows.next = self.v_rows.q.val();
        self.vd_shift.next = self.v_shift.q.val();
        self.vd_vlen.next = self.v_vlen.q.val();
        self.vd_n.next = self.v_n.q.val();
        self.q_held.next = self.qheld.q.val();
        if self.q_release.val() {
            self.qheld.d.next = false;
        }
        if self.vv.q.val() & self.vd_ready.val() {
            self.vv.d.next = false;
        }
        self.flush.next = self.flush_r.q.val();
        self.pending.next = (self.st.q.val() == 4) | self.vv.q.val();
        self.flush_r.d.next = false;

        if self.st.q.val() == 0 {
            if self.fire.val() {
                // Restart the CRC on every candidate first magic byte ("L").
                self.crc.en.next = true;
                self.crc.clear.next = self.s_axis_tdata.val() == 0x4C;
                if self.last_ok.q.val()
                    & (self.last.q.val() == 0x4C)
                    & (self.s_axis_tdata.val() == 0x41)
                {
                    self.st.d.next = 1.into();
                    self.last_ok.d.next = false;
                    self.hcount.d.next = 2.into();
                    // "L" and "A" land at bytes 0 and 1 after 38 more shifts.
                    self.hdr.d.next = self.c_magic.val();
                } else {
                    self.last.d.next = self.s_axis_tdata.val();
                    self.last_ok.d.next = true;
                }
            }
        } else if self.st.q.val() == 1 {
            if self.fire.val() {
                self.hcount.d.next = self.hcount.q.val() + 1;
                self.crc.en.next = true;
                if self.hcount.q.val() < 40 {
                    self.hdr.d.next = (self.hdr.q.val() >> 8)
                        | (bit_cast::<320, 8>(self.s_axis_tdata.val()) << 312);
                } else if self.hcount.q.val() == 40 {
                    self.hcrc_ok.d.next =
                        self.s_axis_tdata.val() == self.crc.crc.val().get_bits::<8>(0);
                    self.csnap.d.next = self.crc.crc.val() >> 8;
                } else {
                    self.hcrc_ok.d.next = self.hcrc_ok.q.val()
                        & (self.s_axis_tdata.val() == self.csnap.q.val().get_bits::<8>(0));
                    self.csnap.d.next = self.csnap.q.val() >> 8;
                }
                if self.hcount.q.val() == 43 {
                    self.left.d.next = bit_cast::<33, 32>(self.h_plen.val()) + 4;
                    self.from_payload.d.next = false;
                    self.is_job.d.next = false;
                    self.vnext.d.next = 0.into();
                    self.nm1.d.next = self.h_n.val() - 1;
                    self.rowsm1.d.next = self.h_rows.val() - 1;
                    if !self.hdr_good.val() {
                        self.status.d.next = 2.into();
                        self.st.d.next = 4.into();
                    } else if self.pre_too_long.q.val() {
                        self.status.d.next = 3.into();
                        self.vnext.d.next = 3.into();
                        self.st.d.next = 4.into();
                    } else {
                        self.status.d.next = self.status_pre.val();
                        self.from_payload.d.next = true;
                        self.st.d.next = 2.into();
                        if (self.status_pre.val() == 0) & (self.h_kind.val() != 3) {
                            self.is_job.d.next = true;
                            self.is_codes.d.next = self.h_kind.val() == 2;
                            self.wsend.d.next = true;
                            self.wi.d.next = 0.into();
                            self.wsh.d.next = self.hdr.q.val().get_bits::<128>(128);
                            // A head job starts with its K rows, a codes job with its V rows.
                            self.sect.d.next = 0.into();
                            if self.h_kind.val() == 2 {
                                self.sect.d.next = 1.into();
                            }
                            self.r.d.next = 0.into();
                            self.bi.d.next = 0.into();
                        }
                    }
                }
            }
        } else if self.st.q.val() == 2 {
            if self.fire.val() {
                self.left.d.next = self.left.q.val() - 1;
                if self.left.q.val() > 4 {
                    self.crc.en.next = true;
                    self.rowsr.d.next = self.rowsr_next.val();
                    self.bi.d.next = self.bi.q.val() + 1;
                    if self.k_end.val() {
                        self.kdata.d.next = self.rowsr_next.val().get_bits::<KW>(0);
                        self.kuser.d.next = self
                            .rowsr_next
                            .val()
                            .get_bits::<16>(self.c_kw.val().index());
                        self.kvalid.d.next = true;
                        self.klast.d.next = self.r.q.val() == self.nm1.q.val();
                        self.bi.d.next = 0.into();
                        self.r.d.next = self.r.q.val() + 1;
                        if self.r.q.val() == self.nm1.q.val() {
                            self.r.d.next = 0.into();
                            self.sect.d.next = 1.into();
                        }
                    }
                    if self.v_end.val() {
                        self.vdata.d.next = self.rowsr_next.val().get_bits::<KW>(16);
                        self.vvalid.d.next = true;
                        self.vlast.d.next = self.r.q.val() == self.nm1.q.val();
                        self.bi.d.next = 0.into();
                        self.r.d.next = self.r.q.val() + 1;
                        if self.r.q.val() == self.nm1.q.val() {
                            self.r.d.next = 0.into();
                            self.sect.d.next = 2.into();
                            if self.is_codes.q.val() {
                                self.sect.d.next = 4.into();
                            }
                        }
                    }
                    if self.q_end.val() {
                        self.qwe.d.next = true;
                        self.qwaddr.d.next = self.r.q.val();
                        self.qwdata.d.next = self.rowsr_next.val();
                        self.bi.d.next = 0.into();
                        self.r.d.next = self.r.q.val() + 1;
                        if self.r.q.val() == self.rowsm1.q.val() {
                            self.sect.d.next = 3.into();
                        }
                    }
                    if self.c_end.val() {
                        // A code beat (6 bytes, now at the top of the row register).
                        self.qwe.d.next = true;
                        self.qwaddr.d.next = self.r.q.val();
                        self.qwdata.d.next = self.rowsr_next.val();
                        self.bi.d.next = 0.into();
                        self.r.d.next = self.r.q.val() + 1;
                    }
                } else if self.left.q.val() == 4 {
                    self.crc_ok.d.next =
                        self.s_axis_tdata.val() == self.crc.crc.val().get_bits::<8>(0);
                    self.csnap.d.next = self.crc.crc.val() >> 8;
                } else {
                    self.crc_ok.d.next = self.crc_ok.q.val()
                        & (self.s_axis_tdata.val() == self.csnap.q.val().get_bits::<8>(0));
                    self.csnap.d.next = self.csnap.q.val() >> 8;
                }
                if self.left.q.val() == 1 {
                    self.st.d.next = 4.into();
                }
            }
        } else if self.st.q.val() == 3 {
            if self.fire.val() {
                self.left.d.next = self.left.q.val() - 1;
                if self.left.q.val() == 1 {
                    self.st.d.next = 0.into();
                }
            }
        } else {
            // Verdict: once the head has taken every beat and the last verdict is gone.
            if self.drained.val() & !self.vv.q.val() {
                self.vv.d.next = true;
                self.v_status.d.next = self.status.q.val();
                self.v_seq.d.next = self.hdr.q.val().get_bits::<16>(32);
                self.v_kind.d.next = self.h_kind.val();
                self.v_job.d.next = false;
                self.v_rows.d.next = self.h_rows.val();
                self.v_shift.d.next = self.hdr.q.val().get_bits::<6>(104);
                self.v_vlen.d.next = self.hdr.q.val().get_bits::<16>(112);
                self.v_n.d.next = self.h_n.val();
                if self.status.q.val() == 2 {
                    if !self.from_payload.q.val() {
                        self.v_seq.d.next = 0xFFFF.into();
                        self.v_kind.d.next = 0.into();
                    }
                }
                if self.from_payload.q.val() {
                    if !self.crc_ok.q.val() {
                        self.v_status.d.next = 1.into();
                        self.flush_r.d.next = self.is_job.q.val();
                    } else {
                        self.v_job.d.next = self.is_job.q.val();
                        self.qheld.d.next = self.is_job.q.val();
                    }
                }
                self.is_job.d.next = false;
                self.st.d.next = self.vnext.q.val();
            }
        }
        if self.reset.val() {
            self.st.d.next = 0.into();
            self.last_ok.d.next = false;
            self.kvalid.d.next = false;
            self.vvalid.d.next = false;
            self.wsend.d.next = false;
            self.vv.d.next = false;
            self.is_job.d.next = false;
            self.qheld.d.next = false;
            self.qwe.d.next = false;
            self.flush_r.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Codebook, CoreParams, Variant};

    fn cfg(d: usize, codes: bool) -> DeviceConfig {
        if codes {
            DeviceConfig::codes(d, 64, Variant::General).unwrap()
        } else {
            DeviceConfig::head(d, 64, &Codebook::log(3, 1e-3).unwrap()).unwrap()
        }
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
}
