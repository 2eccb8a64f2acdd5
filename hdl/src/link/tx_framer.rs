//! `TxFramer`: the board's response encoder (the transmit half of the link, `docs/link.md`).

use crate::link::crc32::Crc32;
use model::link::{DeviceInfo, Kind, Status, ACC_BYTES, RSP_HEADER_LEN, RSP_MAGIC, VERSION};
use rust_hdl::prelude::*;

/// Where the transmitter is in a response, in the order it goes through them.
#[derive(Copy, Clone, Debug, PartialEq, LogicState)]
enum TxState {
    /// No response under way: waiting for a verdict.
    Idle,
    /// A good job has been started: waiting for `done` and its cycles.
    WaitJob,
    /// Composing the header.
    Prepare,
    /// Sending the header's 20 bytes.
    Header,
    /// Sending the header's CRC.
    HeaderCrc,
    /// Sending the info block (16 bytes).
    Info,
    /// `ob_raddr` holds the row: its data comes in the next cycle.
    RowAddr,
    /// The row into `orow`.
    RowLoad,
    /// Its lane 0 into `acc_pre`.
    LaneLoad,
    /// Sending the row's D accumulators, 5 bytes each.
    Accs,
    /// Sending the row sum, 4 bytes.
    RowSum,
    /// Sending the frame's CRC.
    FrameCrc,
}

/// Takes the receive side's verdicts in order and answers each with one response frame, as
/// `model::link::Response::encode` lays it out: for a good head job it first starts the job
/// (`go`), waits for `done` and its compute `cycles`, then sends the header, one row after
/// another from the output buffer (D accumulators of 5 bytes, sign-extended, then the row sum
/// as 4 bytes) and the frame CRC; an info request gets the board's 16-byte [`DeviceInfo`];
/// every other verdict a header alone.
///
/// Const parameters: `OW = D ACC` (a result row), `ACC` (accumulator bits), `RS` (row-sum
/// bits), `OBW = OW + RS` (an output buffer row: the row sum above the accumulators).
///
/// Inputs: `clock`; `reset` (synchronous); the verdict `vd_valid`, `vd_status` (3), `vd_seq`
/// (16), `vd_kind` (8), `vd_job`, `vd_rows` (16), `vd_shift` (6), `vd_vlen` (16), `vd_n` (16);
/// `done` (one
/// cycle: the job's last row is in the output buffer), `cycles` (32, valid with `done`);
/// `ob_rdata` (`OBW`, the output buffer row at `ob_raddr` one cycle after it is set);
/// `m_axis_tready`.
/// Outputs: `vd_ready`; `go` (one cycle: start the job), `job_rows` (16), `job_shift` (6),
/// `job_vlen` (16), `job_n` (16) (held from `go` to the end of the response); `ob_raddr` (16); response bytes
/// `m_axis_tdata` (8), `m_axis_tvalid`, `m_axis_tlast` (a frame's last byte); `idle` (no
/// response under way).
#[derive(LogicBlock)]
pub struct TxFramer<const OW: usize, const ACC: usize, const RS: usize, const OBW: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// A verdict is offered.
    pub vd_valid: Signal<In, Bit>,
    /// The verdict is taken (no response is under way).
    pub vd_ready: Signal<Out, Bit>,
    /// Its status (`model::link::Status`).
    pub vd_status: Signal<In, Bits<3>>,
    /// Its sequence number.
    pub vd_seq: Signal<In, Bits<16>>,
    /// Its kind.
    pub vd_kind: Signal<In, Bits<8>>,
    /// A good job: its rows are in the job buffer.
    pub vd_job: Signal<In, Bit>,
    /// Its query rows.
    pub vd_rows: Signal<In, Bits<16>>,
    /// Its shift.
    pub vd_shift: Signal<In, Bits<6>>,
    /// Its valid length.
    pub vd_vlen: Signal<In, Bits<16>>,
    /// Its keys, n.
    pub vd_n: Signal<In, Bits<16>>,
    /// One cycle: start the job.
    pub go: Signal<Out, Bit>,
    /// The job's query rows (held from `go` to the end of its response).
    pub job_rows: Signal<Out, Bits<16>>,
    /// The job's shift.
    pub job_shift: Signal<Out, Bits<6>>,
    /// The job's valid length.
    pub job_vlen: Signal<Out, Bits<16>>,
    /// The job's keys, n.
    pub job_n: Signal<Out, Bits<16>>,
    /// One cycle: the job's last row is in the output buffer.
    pub done: Signal<In, Bit>,
    /// With `done`: the job's compute cycles.
    pub cycles: Signal<In, Bits<32>>,
    /// The output buffer row to read.
    pub ob_raddr: Signal<Out, Bits<16>>,
    /// The row at `ob_raddr` of the cycle before.
    pub ob_rdata: Signal<In, Bits<OBW>>,
    /// A response byte.
    pub m_axis_tdata: Signal<Out, Bits<8>>,
    /// `m_axis_tdata` is valid.
    pub m_axis_tvalid: Signal<Out, Bit>,
    /// The byte is taken this cycle.
    pub m_axis_tready: Signal<In, Bit>,
    /// The response frame's last byte.
    pub m_axis_tlast: Signal<Out, Bit>,
    /// No response is under way.
    pub idle: Signal<Out, Bit>,
    /// The CRC-32 of the response so far.
    crc: Crc32,
    /// D.
    c_d: Constant<Bits<16>>,
    /// log2(D).
    c_ld: Constant<Bits<4>>,
    /// log2(D) + 2.
    c_ld2: Constant<Bits<4>>,
    /// `ACC`: the shift from one accumulator of a row to the next.
    c_acc: Constant<Bits<16>>,
    /// An accumulator's sign bit, in 40 bits.
    c_sign: Constant<Bits<40>>,
    /// The bits above an accumulator in 40 (its sign extension when negative).
    c_hi: Constant<Bits<40>>,
    /// The info block (`DeviceInfo::encode`), byte i at `[8i+7:8i]`.
    c_info: Constant<Bits<128>>,
    /// The header's constant bytes: magic, version, accumulator bytes.
    c_hconst: Constant<Bits<160>>,
    /// Status: ok.
    c_ok: Constant<Bits<3>>,
    /// Kind: an info request.
    c_info_kind: Constant<Bits<8>>,
    /// Where the transmitter is.
    ts: DFF<TxState>,
    /// The verdict's status.
    vstat: DFF<Bits<3>>,
    /// Its sequence number.
    vseq: DFF<Bits<16>>,
    /// Its kind.
    vkind: DFF<Bits<8>>,
    /// A good job.
    vjob: DFF<Bit>,
    /// The job's query rows.
    rows: DFF<Bits<16>>,
    /// The job's shift.
    shift: DFF<Bits<6>>,
    /// The job's valid length.
    vlen: DFF<Bits<16>>,
    /// The job's keys, n.
    n: DFF<Bits<16>>,
    /// The job's compute cycles (0 for any other response).
    cyc: DFF<Bits<32>>,
    /// The header's bytes still to send, the next at the bottom.
    hbuf: DFF<Bits<160>>,
    /// The info block's bytes still to send.
    ibuf: DFF<Bits<128>>,
    /// The byte within the header, info block, CRC, accumulator or row sum.
    cnt: DFF<Bits<5>>,
    /// The CRC's bytes still to send.
    csh: DFF<Bits<32>>,
    /// The output buffer row being sent.
    row: DFF<Bits<16>>,
    /// The lane after the one being sent (D after the last).
    lane: DFF<Bits<16>>,
    /// The accumulator's or row sum's bytes still to send.
    accsh: DFF<Bits<40>>,
    /// The row being sent, shifted so that the next accumulator (then the row sum) is at the
    /// bottom.
    orow: DFF<Bits<OBW>>,
    /// The bottom accumulator of `orow`, sign-extended to 40 bits.
    acc_pre: DFF<Bits<40>>,
    /// The byte offered.
    mdata: DFF<Bits<8>>,
    /// A byte is offered.
    mvalid: DFF<Bit>,
    /// It is the frame's last.
    mlast: DFF<Bit>,
    /// Start the job.
    go_r: DFF<Bit>,
    /// `mdata` holds a byte the CRC takes this cycle: the CRC reads the registered byte one
    /// cycle after it is offered, so the byte's selection and the CRC's XOR tree are not one
    /// path. A CRC field is chosen at a `step` at least two cycles after the last byte was
    /// loaded, so the CRC has taken it by then.
    crc_pend: DFF<Bit>,
    /// The next byte may be loaded this cycle: the output register was seen free (empty, or
    /// its byte taken) in the cycle before, and no byte was loaded then. A register, so every
    /// enable of the byte path starts at a flop and not at `m_axis_tready`; a byte leaves at
    /// most every other cycle (50 MB/s at 100 MHz; a UART carries 300 kB/s, USB 2.0 at most
    /// 60 MB/s).
    step: DFF<Bit>,
    /// `orow` loads the output buffer's row this cycle (`ts` is `RowLoad`), registered from
    /// the next-state values.
    orow_load: DFF<Bit>,
    /// `orow` shifts the next lane down this cycle (a lane's first byte is loaded), registered
    /// from the next-state values.
    orow_shift: DFF<Bit>,
    /// The response carries the info block.
    is_info: Signal<Local, Bit>,
    /// The bottom accumulator of `orow`.
    acc_sel: Signal<Local, Bits<ACC>>,
    /// It sign-extended.
    sext: Signal<Local, Bits<40>>,
    /// The row sum (at the bottom of `orow` after the accumulators), zero-extended.
    rs_ext: Signal<Local, Bits<40>>,
    /// The response's payload length.
    plen: Signal<Local, Bits<32>>,
    /// The response header's rows (a job's, else 0).
    rows_out: Signal<Local, Bits<16>>,
    /// The response header's d (D for a job, else 0).
    d_out: Signal<Local, Bits<16>>,
}

impl<const OW: usize, const ACC: usize, const RS: usize, const OBW: usize>
    TxFramer<OW, ACC, RS, OBW>
{
    /// The transmitter of a board that reports `info`; panics with a clear message unless
    /// `OW = D ACC`, `OBW = OW + RS`, D is a power of two, and an accumulator and a row sum fit
    /// their 5 and 4 bytes on the wire.
    pub fn new(info: &DeviceInfo) -> Self {
        let d = info.d as usize;
        assert!(
            d.is_power_of_two(),
            "TxFramer: D must be a power of two, got {d}"
        );
        assert_eq!(OW, d * ACC, "TxFramer: OW must be D * ACC");
        assert_eq!(OBW, OW + RS, "TxFramer: OBW must be OW + RS");
        assert_eq!(
            (ACC, RS),
            (info.acc_bits as usize, info.rsum_bits as usize),
            "TxFramer: ACC and RS must be the widths the board reports"
        );
        assert!(
            ACC <= 8 * ACC_BYTES && RS <= 32,
            "TxFramer: an accumulator must fit 5 bytes and a row sum 4"
        );
        let ld = d.trailing_zeros() as u64;
        let mut ib = [0u8; 16];
        ib.copy_from_slice(&info.encode());
        let info_bits = ib
            .iter()
            .enumerate()
            .fold(Bits::<128>::default(), |a, (i, &b)| {
                a | (Bits::<128>::from(b as u64) << (8 * i as u64))
            });
        let hconst = Bits::<160>::from(RSP_MAGIC[0] as u64)
            | (Bits::<160>::from(RSP_MAGIC[1] as u64) << 8u64)
            | (Bits::<160>::from(VERSION as u64) << 16u64)
            | (Bits::<160>::from(ACC_BYTES as u64) << 56u64);
        Self {
            clock: Default::default(),
            reset: Default::default(),
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
            go: Default::default(),
            job_rows: Default::default(),
            job_shift: Default::default(),
            job_vlen: Default::default(),
            job_n: Default::default(),
            done: Default::default(),
            cycles: Default::default(),
            ob_raddr: Default::default(),
            ob_rdata: Default::default(),
            m_axis_tdata: Default::default(),
            m_axis_tvalid: Default::default(),
            m_axis_tready: Default::default(),
            m_axis_tlast: Default::default(),
            idle: Default::default(),
            crc: Default::default(),
            c_d: Constant::new((d as u64).into()),
            c_ld: Constant::new(ld.into()),
            c_ld2: Constant::new((ld + 2).into()),
            c_acc: Constant::new((ACC as u64).into()),
            c_sign: Constant::new((1u64 << (ACC - 1)).into()),
            c_hi: Constant::new(((1u64 << 40) - (1u64 << ACC)).into()),
            c_info: Constant::new(info_bits),
            c_hconst: Constant::new(hconst),
            c_ok: Constant::new((Status::Ok as u64).into()),
            c_info_kind: Constant::new((Kind::Info as u64).into()),
            ts: Default::default(),
            vstat: Default::default(),
            vseq: Default::default(),
            vkind: Default::default(),
            vjob: Default::default(),
            rows: Default::default(),
            shift: Default::default(),
            vlen: Default::default(),
            n: Default::default(),
            cyc: Default::default(),
            hbuf: Default::default(),
            ibuf: Default::default(),
            cnt: Default::default(),
            csh: Default::default(),
            row: Default::default(),
            lane: Default::default(),
            accsh: Default::default(),
            orow: Default::default(),
            acc_pre: Default::default(),
            mdata: Default::default(),
            mvalid: Default::default(),
            mlast: Default::default(),
            go_r: Default::default(),
            crc_pend: Default::default(),
            step: Default::default(),
            orow_load: Default::default(),
            orow_shift: Default::default(),
            is_info: Default::default(),
            acc_sel: Default::default(),
            sext: Default::default(),
            rs_ext: Default::default(),
            plen: Default::default(),
            rows_out: Default::default(),
            d_out: Default::default(),
        }
    }
}

/// The header's layout below (20 bytes, then its CRC) is `Response::encode`'s.
const _: () = assert!(RSP_HEADER_LEN == 24 && ACC_BYTES == 5);

impl<const OW: usize, const ACC: usize, const RS: usize, const OBW: usize> Logic
    for TxFramer<OW, ACC, RS, OBW>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, ts, vstat, vseq, vkind, vjob, rows, shift, vlen, n, cyc, hbuf, ibuf, cnt,
            csh, row, lane, accsh, orow, acc_pre, mdata, mvalid, mlast, go_r, crc_pend, step,
            orow_load, orow_shift
        );
        self.crc.clock.next = self.clock.val();
        self.crc.reset.next = self.reset.val();
        self.crc.clear.next = false;
        self.crc.en.next = self.crc_pend.q.val();
        self.crc.data.next = self.mdata.q.val();
        self.crc_pend.d.next = false;

        self.m_axis_tdata.next = self.mdata.q.val();
        self.m_axis_tvalid.next = self.mvalid.q.val();
        self.m_axis_tlast.next = self.mlast.q.val();
        self.idle.next = (self.ts.q.val() == TxState::Idle) & !self.mvalid.q.val();
        // Loading a byte (at `step`) means `mvalid` is low: `step` was set from a free output
        // register in the cycle before, when no byte was loaded.
        self.step.d.next = (!self.mvalid.q.val() | self.m_axis_tready.val()) & !self.step.q.val();
        if self.mvalid.q.val() & self.m_axis_tready.val() {
            self.mvalid.d.next = false;
            self.mlast.d.next = false;
        }
        self.vd_ready.next = !self.reset.val() & (self.ts.q.val() == TxState::Idle);
        self.go.next = self.go_r.q.val();
        self.go_r.d.next = false;
        self.job_rows.next = self.rows.q.val();
        self.job_shift.next = self.shift.q.val();
        self.job_vlen.next = self.vlen.q.val();
        self.job_n.next = self.n.q.val();
        self.ob_raddr.next = self.row.q.val();

        // Payload: a job's rows, an info block, or nothing.
        self.is_info.next = (self.vstat.q.val() == self.c_ok.val())
            & (self.vkind.q.val() == self.c_info_kind.val());
        self.rows_out.next = 0.into();
        self.d_out.next = 0.into();
        self.plen.next = 0.into();
        if self.vjob.q.val() {
            self.rows_out.next = self.rows.q.val();
            self.d_out.next = self.c_d.val();
            // rows (5 D + 4) bytes.
            self.plen.next = (bit_cast::<32, 16>(self.rows.q.val()) << self.c_ld2.val())
                + (bit_cast::<32, 16>(self.rows.q.val()) << self.c_ld.val())
                + (bit_cast::<32, 16>(self.rows.q.val()) << 2);
        } else if self.is_info.val() {
            self.plen.next = 16.into();
        }
        // The output buffer's row is registered in `orow`, a shift register: lane 0 sits at
        // its bottom and each lane sent shifts the next one down (after the last, the row
        // sum). `acc_pre` registers the bottom lane, sign-extended. A shift register and not
        // a D-way multiplexer: a multiplexer tree gathers the whole 2,137-bit row of the D = 64
        // head into one spot of the die, which nextpnr could not route.
        self.acc_sel.next = self.orow.q.val().get_bits::<ACC>(0);
        self.sext.next = bit_cast::<40, ACC>(self.acc_sel.val());
        if (bit_cast::<40, ACC>(self.acc_sel.val()) & self.c_sign.val()).any() {
            self.sext.next = bit_cast::<40, ACC>(self.acc_sel.val()) | self.c_hi.val();
        }
        self.acc_pre.d.next = self.sext.val();
        self.rs_ext.next = bit_cast::<40, RS>(self.orow.q.val().get_bits::<RS>(0));
        // `orow`'s enable and select are flops (its 2,137 flip-flops at D = 64 see one net each).
        if self.orow_load.q.val() {
            self.orow.d.next = self.ob_rdata.val();
        } else if self.orow_shift.q.val() {
            self.orow.d.next = self.orow.q.val() >> self.c_acc.val();
        }

        match self.ts.q.val() {
            TxState::Idle => {
                if self.vd_valid.val() {
                    self.vstat.d.next = self.vd_status.val();
                    self.vseq.d.next = self.vd_seq.val();
                    self.vkind.d.next = self.vd_kind.val();
                    self.vjob.d.next = self.vd_job.val();
                    self.rows.d.next = self.vd_rows.val();
                    self.shift.d.next = self.vd_shift.val();
                    self.vlen.d.next = self.vd_vlen.val();
                    self.n.d.next = self.vd_n.val();
                    self.cyc.d.next = 0.into();
                    if self.vd_job.val() {
                        self.go_r.d.next = true;
                        self.ts.d.next = TxState::WaitJob;
                    } else {
                        self.ts.d.next = TxState::Prepare;
                    }
                }
            }
            TxState::WaitJob => {
                if self.done.val() {
                    self.cyc.d.next = self.cycles.val();
                    self.ts.d.next = TxState::Prepare;
                }
            }
            TxState::Prepare => {
                self.hbuf.d.next = self.c_hconst.val()
                    | (bit_cast::<160, 3>(self.vstat.q.val()) << 24)
                    | (bit_cast::<160, 16>(self.vseq.q.val()) << 32)
                    | (bit_cast::<160, 8>(self.vkind.q.val()) << 48)
                    | (bit_cast::<160, 16>(self.rows_out.val()) << 64)
                    | (bit_cast::<160, 16>(self.d_out.val()) << 80)
                    | (bit_cast::<160, 32>(self.cyc.q.val()) << 96)
                    | (bit_cast::<160, 32>(self.plen.val()) << 128);
                self.ibuf.d.next = self.c_info.val();
                self.cnt.d.next = 0.into();
                self.row.d.next = 0.into();
                self.crc.clear.next = true;
                self.ts.d.next = TxState::Header;
            }
            TxState::Header => {
                if self.step.q.val() {
                    self.mdata.d.next = self.hbuf.q.val().get_bits::<8>(0);
                    self.crc_pend.d.next = true;
                    self.mvalid.d.next = true;
                    self.hbuf.d.next = self.hbuf.q.val() >> 8;
                    self.cnt.d.next = self.cnt.q.val() + 1;
                    if self.cnt.q.val() == 19 {
                        self.cnt.d.next = 0.into();
                        self.ts.d.next = TxState::HeaderCrc;
                    }
                }
            }
            TxState::HeaderCrc => {
                if self.step.q.val() {
                    if self.cnt.q.val() == 0 {
                        self.mdata.d.next = self.crc.crc.val().get_bits::<8>(0);
                        self.csh.d.next = self.crc.crc.val() >> 8;
                    } else {
                        self.mdata.d.next = self.csh.q.val().get_bits::<8>(0);
                        self.csh.d.next = self.csh.q.val() >> 8;
                    }
                    self.crc_pend.d.next = true;
                    self.mvalid.d.next = true;
                    self.cnt.d.next = self.cnt.q.val() + 1;
                    if self.cnt.q.val() == 3 {
                        self.cnt.d.next = 0.into();
                        self.ts.d.next = TxState::FrameCrc;
                        if self.vjob.q.val() {
                            self.ts.d.next = TxState::RowAddr;
                        } else if self.is_info.val() {
                            self.ts.d.next = TxState::Info;
                        }
                    }
                }
            }
            TxState::Info => {
                if self.step.q.val() {
                    self.mdata.d.next = self.ibuf.q.val().get_bits::<8>(0);
                    self.crc_pend.d.next = true;
                    self.mvalid.d.next = true;
                    self.ibuf.d.next = self.ibuf.q.val() >> 8;
                    self.cnt.d.next = self.cnt.q.val() + 1;
                    if self.cnt.q.val() == 15 {
                        self.cnt.d.next = 0.into();
                        self.ts.d.next = TxState::FrameCrc;
                    }
                }
            }
            TxState::RowAddr => {
                // `ob_raddr` has held the row for this cycle: its data is there in the next.
                self.lane.d.next = 0.into();
                self.cnt.d.next = 0.into();
                self.ts.d.next = TxState::RowLoad;
            }
            TxState::RowLoad => {
                // The row into `orow` (`orow_load`); lane 0 into `acc_pre` in the next cycle.
                self.ts.d.next = TxState::LaneLoad;
            }
            TxState::LaneLoad => {
                self.ts.d.next = TxState::Accs;
            }
            TxState::Accs => {
                if self.step.q.val() {
                    if self.cnt.q.val() == 0 {
                        // `acc_pre` holds this lane; the next one shifts down meanwhile.
                        self.mdata.d.next = self.acc_pre.q.val().get_bits::<8>(0);
                        self.accsh.d.next = self.acc_pre.q.val() >> 8;
                        // (`orow_shift`).
                        self.lane.d.next = self.lane.q.val() + 1;
                    } else {
                        self.mdata.d.next = self.accsh.q.val().get_bits::<8>(0);
                        self.accsh.d.next = self.accsh.q.val() >> 8;
                    }
                    self.crc_pend.d.next = true;
                    self.mvalid.d.next = true;
                    self.cnt.d.next = self.cnt.q.val() + 1;
                    if self.cnt.q.val() == 4 {
                        self.cnt.d.next = 0.into();
                        // `lane` already names the next lane: D after the last.
                        if self.lane.q.val() == self.c_d.val() {
                            self.ts.d.next = TxState::RowSum;
                        }
                    }
                }
            }
            TxState::RowSum => {
                if self.step.q.val() {
                    if self.cnt.q.val() == 0 {
                        self.mdata.d.next = self.rs_ext.val().get_bits::<8>(0);
                        self.accsh.d.next = self.rs_ext.val() >> 8;
                    } else {
                        self.mdata.d.next = self.accsh.q.val().get_bits::<8>(0);
                        self.accsh.d.next = self.accsh.q.val() >> 8;
                    }
                    self.crc_pend.d.next = true;
                    self.mvalid.d.next = true;
                    self.cnt.d.next = self.cnt.q.val() + 1;
                    if self.cnt.q.val() == 3 {
                        self.cnt.d.next = 0.into();
                        self.row.d.next = self.row.q.val() + 1;
                        self.ts.d.next = TxState::RowAddr;
                        if self.row.q.val() + 1 == self.rows.q.val() {
                            self.ts.d.next = TxState::FrameCrc;
                        }
                    }
                }
            }
            TxState::FrameCrc => {
                if self.step.q.val() {
                    if self.cnt.q.val() == 0 {
                        self.mdata.d.next = self.crc.crc.val().get_bits::<8>(0);
                        self.csh.d.next = self.crc.crc.val() >> 8;
                    } else {
                        self.mdata.d.next = self.csh.q.val().get_bits::<8>(0);
                        self.csh.d.next = self.csh.q.val() >> 8;
                    }
                    self.mvalid.d.next = true;
                    self.cnt.d.next = self.cnt.q.val() + 1;
                    if self.cnt.q.val() == 3 {
                        self.mlast.d.next = true;
                        self.cnt.d.next = 0.into();
                        self.ts.d.next = TxState::Idle;
                    }
                }
            }
        }
        if self.reset.val() {
            self.ts.d.next = TxState::Idle;
            self.mvalid.d.next = false;
            self.mlast.d.next = false;
            self.go_r.d.next = false;
            self.crc_pend.d.next = false;
            self.step.d.next = false;
        }
        // After every next-state assignment above (reset included): `orow` loads in
        // `RowLoad` and shifts when a lane's first byte is loaded.
        self.orow_load.d.next = self.ts.d.val() == TxState::RowLoad;
        self.orow_shift.d.next =
            self.step.d.val() & (self.ts.d.val() == TxState::Accs) & (self.cnt.d.val() == 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{rise, settle};

    fn info(d: u16, acc: u8, rs: u8) -> DeviceInfo {
        DeviceInfo {
            d,
            n_max: 64,
            bits: 3,
            variant: 0,
            acc_bits: acc,
            rsum_bits: rs,
            codebook: 0,
            front_end: 1,
            codes: 0,
            version: VERSION,
            keys_per_cycle: 1,
            nnz_per_cycle: 1,
        }
    }

    #[test]
    #[should_panic(expected = "TxFramer: OBW must be OW + RS")]
    fn rejects_a_wrong_buffer_width() {
        let _ = TxFramer::<120, 30, 22, 120>::new(&info(4, 30, 22));
    }

    #[test]
    #[should_panic(expected = "TxFramer: ACC and RS must be the widths the board reports")]
    fn rejects_other_widths() {
        let _ = TxFramer::<120, 30, 22, 142>::new(&info(4, 31, 22));
    }

    #[test]
    #[should_panic(expected = "TxFramer: D must be a power of two, got 6")]
    fn rejects_a_d_not_a_power_of_two() {
        let _ = TxFramer::<180, 30, 22, 202>::new(&info(6, 30, 22));
    }

    #[test]
    #[should_panic(expected = "TxFramer: OW must be D * ACC")]
    fn rejects_a_wrong_row_width() {
        let _ = TxFramer::<100, 30, 22, 122>::new(&info(4, 30, 22));
    }

    #[test]
    #[should_panic(expected = "TxFramer: an accumulator must fit 5 bytes and a row sum 4")]
    fn rejects_an_accumulator_wider_than_its_bytes() {
        let _ = TxFramer::<164, 41, 22, 186>::new(&info(4, 41, 22));
    }

    /// Answers an info verdict (seq 9), the response taken always, every other cycle and every
    /// third: the bytes must be the model's (taken always, a CRC field follows its last byte
    /// as closely as the framer allows).
    #[test]
    fn answers_an_info_request_as_the_device() {
        let inf = info(4, 30, 22);
        let want = model::link::Response {
            info: Some(inf),
            ..model::link::Response::status_only(9, 3, model::link::Status::Ok)
        }
        .encode();
        for every in 1..=3 {
            let mut uut = TxFramer::<120, 30, 22, 142>::new(&inf);
            uut.connect_all();
            let mut got = vec![];
            for cycle in 0..300 {
                uut.reset.next = cycle == 0;
                uut.vd_valid.next = cycle == 1;
                uut.vd_status.next = 0.into();
                uut.vd_seq.next = 9.into();
                uut.vd_kind.next = 3.into();
                uut.vd_job.next = false;
                uut.m_axis_tready.next = cycle % every == 0;
                settle(&mut uut);
                if uut.m_axis_tvalid.val() && uut.m_axis_tready.val() {
                    got.push(uut.m_axis_tdata.val().to_u64() as u8);
                    assert_eq!(uut.m_axis_tlast.val(), got.len() == RSP_HEADER_LEN + 16 + 4);
                }
                assert!(!uut.go.val());
                rise(&mut uut, |u| &mut u.clock);
            }
            assert_eq!(got, want, "taken every {every} cycles");
            assert!(uut.idle.val());
        }
    }

    #[test]
    fn lints_clean() {
        let mut uut = TxFramer::<120, 30, 22, 142>::new(&info(4, 30, 22));
        uut.connect_all();
        verilator_lint("tx_framer", &generate_verilog(&uut)).unwrap();
    }
}
