//! `RxVerdict`: the verdict on each request frame and the job buffer's hold (part of
//! [`crate::link::rx_framer::RxFramer`]).

use model::link::{Status, SEQ_UNKNOWN};
use rust_hdl::prelude::*;

/// Makes the verdict on a frame once it has ended (`make`), as `model::link::Device::feed`
/// answers it, and holds it for the transmit side until taken (`vd_ready`).
///
/// The status (`model::link::Status`) is the header's (`status`) unless the frame's CRC
/// failed after a payload was read (`from_payload` without `crc_ok`): then bad CRC, and a job
/// is undone (`flush`: the head forgets its K and V). A bad header that read no payload (its
/// CRC failed, or its version or kind is unknown) is reported with sequence number
/// `model::link::SEQ_UNKNOWN` and kind 0. A good job's verdict says so (`vd_job`): its rows
/// are in the job buffer, which it holds (`q_held`) until `q_release`.
///
/// Inputs: `clock`; `reset` (synchronous); `make` (one cycle, while no verdict waits: the
/// frame has ended and its streams are drained); with it, the frame's `status` (3),
/// `from_payload` (a payload was read: its CRC counts), `crc_ok` (the frame's CRC is good),
/// `job` (a job's payload was routed), and its header's `seq` (16), `kind` (8), `rows` (16),
/// `shift` (6), `vlen` (16), `n` (16); `vd_ready` (the verdict is taken); `q_release` (one
/// cycle: the job buffer's last entry has been read).
/// Outputs: the verdict `vd_valid`, `vd_status` (3), `vd_seq` (16), `vd_kind` (8), `vd_job`,
/// `vd_rows` (16), `vd_shift` (6), `vd_vlen` (16), `vd_n` (16), registered; `q_held` (the job
/// buffer holds a job, from its verdict until `q_release`); `flush` (one cycle: the head forgets
/// K and V).
#[derive(LogicBlock)]
pub struct RxVerdict {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// Make the verdict on the frame just ended (only while `vd_valid` is low).
    pub make: Signal<In, Bit>,
    /// With `make`: the status from the header (0, 2, 3 or 4).
    pub status: Signal<In, Bits<3>>,
    /// With `make`: a payload was read, so the frame's CRC counts.
    pub from_payload: Signal<In, Bit>,
    /// With `make`: the frame's CRC is good.
    pub crc_ok: Signal<In, Bit>,
    /// With `make`: a job's payload was routed (its K and V are in the head).
    pub job: Signal<In, Bit>,
    /// With `make`: the header's sequence number.
    pub seq: Signal<In, Bits<16>>,
    /// With `make`: the header's kind.
    pub kind: Signal<In, Bits<8>>,
    /// With `make`: the header's query rows.
    pub rows: Signal<In, Bits<16>>,
    /// With `make`: the header's shift.
    pub shift: Signal<In, Bits<6>>,
    /// With `make`: the header's valid length.
    pub vlen: Signal<In, Bits<16>>,
    /// With `make`: the header's keys, n.
    pub n: Signal<In, Bits<16>>,
    /// A verdict waits to be taken.
    pub vd_valid: Signal<Out, Bit>,
    /// The verdict is taken.
    pub vd_ready: Signal<In, Bit>,
    /// Its status.
    pub vd_status: Signal<Out, Bits<3>>,
    /// Its sequence number (0xFFFF after a bad header).
    pub vd_seq: Signal<Out, Bits<16>>,
    /// Its kind (0 after a bad header).
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
    /// The job buffer's last entry has been read (one cycle).
    pub q_release: Signal<In, Bit>,
    /// The job buffer holds a job (from its verdict until `q_release`).
    pub q_held: Signal<Out, Bit>,
    /// One cycle: the head forgets its K and V (a job whose CRC failed).
    pub flush: Signal<Out, Bit>,
    /// Status: bad CRC.
    c_bad_crc: Constant<Bits<3>>,
    /// Status: bad header.
    c_bad_header: Constant<Bits<3>>,
    /// The sequence number of a frame whose header is not known (`SEQ_UNKNOWN`).
    c_seq_unknown: Constant<Bits<16>>,
    /// A verdict waits.
    vv: DFF<Bit>,
    /// Its status.
    v_status: DFF<Bits<3>>,
    /// Its sequence number.
    v_seq: DFF<Bits<16>>,
    /// Its kind.
    v_kind: DFF<Bits<8>>,
    /// A good job.
    v_job: DFF<Bit>,
    /// Its query rows.
    v_rows: DFF<Bits<16>>,
    /// Its shift.
    v_shift: DFF<Bits<6>>,
    /// Its valid length.
    v_vlen: DFF<Bits<16>>,
    /// Its keys.
    v_n: DFF<Bits<16>>,
    /// The job buffer holds a job.
    qheld: DFF<Bit>,
    /// Flush the head's K and V.
    flush_r: DFF<Bit>,
}

impl RxVerdict {
    /// The verdict register (no parameters).
    pub fn new() -> Self {
        Self {
            clock: Default::default(),
            reset: Default::default(),
            make: Default::default(),
            status: Default::default(),
            from_payload: Default::default(),
            crc_ok: Default::default(),
            job: Default::default(),
            seq: Default::default(),
            kind: Default::default(),
            rows: Default::default(),
            shift: Default::default(),
            vlen: Default::default(),
            n: Default::default(),
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
            c_bad_crc: Constant::new((Status::BadCrc as u64).into()),
            c_bad_header: Constant::new((Status::BadHeader as u64).into()),
            c_seq_unknown: Constant::new((SEQ_UNKNOWN as u64).into()),
            vv: Default::default(),
            v_status: Default::default(),
            v_seq: Default::default(),
            v_kind: Default::default(),
            v_job: Default::default(),
            v_rows: Default::default(),
            v_shift: Default::default(),
            v_vlen: Default::default(),
            v_n: Default::default(),
            qheld: Default::default(),
            flush_r: Default::default(),
        }
    }
}

impl Default for RxVerdict {
    fn default() -> Self {
        Self::new()
    }
}

impl Logic for RxVerdict {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, vv, v_status, v_seq, v_kind, v_job, v_rows, v_shift, v_vlen, v_n, qheld,
            flush_r
        );
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
        self.flush.next = self.flush_r.q.val();
        if self.q_release.val() {
            self.qheld.d.next = false;
        }
        if self.vv.q.val() & self.vd_ready.val() {
            self.vv.d.next = false;
        }
        self.flush_r.d.next = false;
        if self.make.val() {
            self.vv.d.next = true;
            self.v_status.d.next = self.status.val();
            self.v_seq.d.next = self.seq.val();
            self.v_kind.d.next = self.kind.val();
            self.v_job.d.next = false;
            self.v_rows.d.next = self.rows.val();
            self.v_shift.d.next = self.shift.val();
            self.v_vlen.d.next = self.vlen.val();
            self.v_n.d.next = self.n.val();
            // A header that failed its CRC, or of an unknown version or kind: its sequence
            // number and kind are not known.
            if (self.status.val() == self.c_bad_header.val()) & !self.from_payload.val() {
                self.v_seq.d.next = self.c_seq_unknown.val();
                self.v_kind.d.next = 0.into();
            }
            if self.from_payload.val() {
                if !self.crc_ok.val() {
                    self.v_status.d.next = self.c_bad_crc.val();
                    self.flush_r.d.next = self.job.val();
                } else {
                    self.v_job.d.next = self.job.val();
                    self.qheld.d.next = self.job.val();
                }
            }
        }
        if self.reset.val() {
            self.vv.d.next = false;
            self.qheld.d.next = false;
            self.flush_r.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{rise, settle};

    /// Makes one verdict (status, from_payload, crc_ok, job) with seq 5, kind 1, after a
    /// reset; returns (vd_status, vd_seq, vd_kind, vd_job, q_held, flush) the cycle after.
    fn make(status: u64, from_payload: bool, crc_ok: bool, job: bool) -> [u64; 6] {
        let mut uut = RxVerdict::new();
        uut.connect_all();
        for cycle in 0..3 {
            uut.reset.next = cycle == 0;
            uut.make.next = cycle == 1;
            uut.status.next = status.into();
            uut.from_payload.next = from_payload;
            uut.crc_ok.next = crc_ok;
            uut.job.next = job;
            uut.seq.next = 5.into();
            uut.kind.next = 1.into();
            uut.vd_ready.next = false;
            uut.q_release.next = false;
            settle(&mut uut);
            if cycle < 2 {
                assert!(!uut.vd_valid.val());
                rise(&mut uut, |u| &mut u.clock);
            }
        }
        assert!(uut.vd_valid.val());
        [
            uut.vd_status.val().to_u64(),
            uut.vd_seq.val().to_u64(),
            uut.vd_kind.val().to_u64(),
            uut.vd_job.val() as u64,
            uut.q_held.val() as u64,
            uut.flush.val() as u64,
        ]
    }

    #[test]
    fn answers_as_the_device() {
        // A good job holds the job buffer; one with a bad CRC is flushed; a bad header read
        // no payload, so its seq and kind are unknown; an overflow keeps them.
        assert_eq!(make(0, true, true, true), [0, 5, 1, 1, 1, 0]);
        assert_eq!(make(0, true, false, true), [1, 5, 1, 0, 0, 1]);
        assert_eq!(make(2, false, false, false), [2, 0xFFFF, 0, 0, 0, 0]);
        assert_eq!(make(2, true, true, false), [2, 5, 1, 0, 0, 0]);
        assert_eq!(make(3, false, false, false), [3, 5, 1, 0, 0, 0]);
        assert_eq!(make(4, true, false, false), [1, 5, 1, 0, 0, 0]);
    }

    #[test]
    fn holds_the_verdict_and_the_buffer_until_taken() {
        let mut uut = RxVerdict::new();
        uut.connect_all();
        let mut seen = vec![];
        for cycle in 0..8 {
            uut.reset.next = cycle == 0;
            uut.make.next = cycle == 1;
            uut.status.next = 0.into();
            uut.from_payload.next = true;
            uut.crc_ok.next = true;
            uut.job.next = true;
            uut.vd_ready.next = cycle == 4;
            uut.q_release.next = cycle == 6;
            settle(&mut uut);
            seen.push((uut.vd_valid.val(), uut.q_held.val()));
            rise(&mut uut, |u| &mut u.clock);
        }
        let v = |a, b| (a, b);
        assert_eq!(
            seen,
            [
                v(false, false),
                v(false, false),
                v(true, true),
                v(true, true),
                v(true, true),
                v(false, true),
                v(false, true),
                v(false, false)
            ]
        );
    }

    #[test]
    fn lints_clean() {
        let mut uut = RxVerdict::new();
        uut.connect_all();
        verilator_lint("rx_verdict", &generate_verilog(&uut)).unwrap();
    }
}
