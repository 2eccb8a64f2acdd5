//! `JobRunner`: a link design's job control: the job buffer, the output buffer and the cycle
//! counter ([`crate::link::link_head::LinkHead`], [`crate::link::link_core::LinkCore`]).

use rust_hdl::prelude::*;

/// Runs one job at a time for a link design: holds the job's entries (a head job's Q rows, or
/// a codes job's code beats) in the job buffer as the framer writes them, and once the
/// transmitter starts the job (`go`) streams them to the engine back to back, writes the
/// engine's result rows into the output buffer for the transmitter to read, and counts the
/// job's cycles.
///
/// Both buffers are block RAMs with a registered read port. An entry is read ahead while the
/// one before waits in the output register, so the engine is offered an entry every cycle it
/// takes one; the engine's results are never held up (`s_axis_tready` is high). The output
/// register has a skid register behind it: an entry read while the engine holds the one
/// offered waits there, so the reads (the job buffer's address, the counters) depend on that
/// register's state and never on the engine's `m_axis_tready`, which drives only the two
/// registers (on the ECP5 the engine's ready through the read logic into the block RAMs'
/// address was the whole-head board design's critical path). The engine sees the same offers
/// as without it: an entry in every cycle from the first until it has taken them all. The cycles
/// are counted from the first entry offered to the last result row written, inclusive.
///
/// A job is `rows` rows of `beats_m1 + 1` entries each, at addresses 0, 1, ... of the job
/// buffer; its results are `rows` rows, written at 0, 1, ... of the output buffer. The job
/// buffer is free for the next job once its last entry has been read (`jb_free`).
///
/// Const parameters: `JW` (a job buffer entry's bits), `JA` (the job buffer's address bits),
/// `OW` (a result row's bits), `RS` (a row sum's bits), `OBW = OW + RS` (an output buffer row:
/// the row sum above the result row), `A` (the output buffer's address bits: `N_MAX` rows).
///
/// Inputs: `clock`; `reset` (synchronous); `go` (one cycle: start the job); `rows` (16) and
/// `beats_m1` (16, entries per row minus one), held from `go` to `done`; the job buffer's write
/// port `jb_we`, `jb_waddr` (16), `jb_wdata` (`JW`); `m_axis_tready` (the engine takes the
/// entry); the engine's results `s_axis_tdata` (`OW`), `s_axis_tuser` (`RS`, the row sum),
/// `s_axis_tvalid`; `ob_raddr` (16).
/// Outputs: entries `m_axis_tdata` (`JW`), `m_axis_tvalid`, `m_axis_tlast` (a row's last
/// entry), `m_axis_tlast_job` (the job's last entry); `jb_free` (one cycle: the job buffer's
/// last entry has been read); `s_axis_tready` (high); `ob_rdata` (`OBW`, the row at `ob_raddr`
/// one cycle after it is set); `done` (one cycle: the job's last row is in the output buffer);
/// `cycles` (32, valid with `done`); `busy` (from `go` to `done`).
#[derive(LogicBlock)]
pub struct JobRunner<
    const JW: usize,
    const JA: usize,
    const OW: usize,
    const RS: usize,
    const OBW: usize,
    const A: usize,
> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// One cycle: start the job.
    pub go: Signal<In, Bit>,
    /// The job's rows (held from `go` to `done`).
    pub rows: Signal<In, Bits<16>>,
    /// The job's entries per row, minus one (held from `go` to `done`).
    pub beats_m1: Signal<In, Bits<16>>,
    /// Write a job buffer entry.
    pub jb_we: Signal<In, Bit>,
    /// Its address.
    pub jb_waddr: Signal<In, Bits<16>>,
    /// The entry.
    pub jb_wdata: Signal<In, Bits<JW>>,
    /// One cycle: the job buffer's last entry has been read (the buffer is free).
    pub jb_free: Signal<Out, Bit>,
    /// An entry for the engine.
    pub m_axis_tdata: Signal<Out, Bits<JW>>,
    /// An entry is offered.
    pub m_axis_tvalid: Signal<Out, Bit>,
    /// The entry is taken.
    pub m_axis_tready: Signal<In, Bit>,
    /// The entry is its row's last.
    pub m_axis_tlast: Signal<Out, Bit>,
    /// The entry is the job's last.
    pub m_axis_tlast_job: Signal<Out, Bit>,
    /// A result row from the engine.
    pub s_axis_tdata: Signal<In, Bits<OW>>,
    /// Its row sum.
    pub s_axis_tuser: Signal<In, Bits<RS>>,
    /// A result row is offered.
    pub s_axis_tvalid: Signal<In, Bit>,
    /// The result row is taken (always).
    pub s_axis_tready: Signal<Out, Bit>,
    /// The output buffer row to read.
    pub ob_raddr: Signal<In, Bits<16>>,
    /// The row at `ob_raddr` of the cycle before: the row sum above the result row.
    pub ob_rdata: Signal<Out, Bits<OBW>>,
    /// One cycle: the job's last row is in the output buffer.
    pub done: Signal<Out, Bit>,
    /// With `done`: the job's cycles, first entry offered to last result row, inclusive.
    pub cycles: Signal<Out, Bits<32>>,
    /// A job is running (from `go` to `done`).
    pub busy: Signal<Out, Bit>,
    /// The job buffer: a head job's Q rows or a codes job's code beats.
    jbuf: RAM<Bits<JW>, JA>,
    /// The output buffer: result rows with their row sums.
    obuf: RAM<Bits<OBW>, A>,
    /// `OW`: where the row sum sits in an output buffer row.
    c_ow: Constant<Bits<16>>,
    /// A job is running.
    running: DFF<Bit>,
    /// Its first entry has been offered: the cycles count.
    started: DFF<Bit>,
    /// Every entry of the job has been read.
    all_issued: DFF<Bit>,
    /// The job buffer address read next.
    f: DFF<Bits<16>>,
    /// The address of the entry on the read port (`f - 1` once one is issued), registered
    /// when it is issued, so that reading it again is a multiplexer and not a subtraction.
    fp: DFF<Bits<16>>,
    /// The entry within its row read next.
    iw: DFF<Bits<16>>,
    /// The row read next.
    ir: DFF<Bits<16>>,
    /// The entry read last is on the read port (its address was issued).
    rdv: DFF<Bit>,
    /// It is its row's last.
    rd_last: DFF<Bit>,
    /// It is the job's last.
    rd_final: DFF<Bit>,
    /// An entry is offered.
    qv: DFF<Bit>,
    /// It is its row's last.
    qlast: DFF<Bit>,
    /// It is the job's last.
    qlast_job: DFF<Bit>,
    /// The entry offered.
    qdata: DFF<Bits<JW>>,
    /// An entry waits behind the one offered (read while the engine held that one).
    skv: DFF<Bit>,
    /// It is its row's last.
    sklast: DFF<Bit>,
    /// It is the job's last.
    sklast_job: DFF<Bit>,
    /// The waiting entry.
    skdata: DFF<Bits<JW>>,
    /// The output buffer row written next.
    oidx: DFF<Bits<16>>,
    /// The job's cycles so far.
    cyc: DFF<Bits<32>>,
    /// The job's last row is in.
    done_r: DFF<Bit>,
    /// rows - 1.
    rows_m1: Signal<Local, Bits<16>>,
    /// The entry offered is taken.
    hs: Signal<Local, Bit>,
    /// The entry on the read port moves to the output register or the skid register.
    take: Signal<Local, Bit>,
    /// The output register is free or being emptied this cycle.
    out_free: Signal<Local, Bit>,
    /// The next entry's address is issued.
    issue: Signal<Local, Bit>,
}

impl<
        const JW: usize,
        const JA: usize,
        const OW: usize,
        const RS: usize,
        const OBW: usize,
        const A: usize,
    > JobRunner<JW, JA, OW, RS, OBW, A>
{
    /// A job runner; panics with a clear message unless `OBW = OW + RS` and both buffers'
    /// addresses fit the 16-bit counters (`JA`, `A` in 1..=16).
    pub fn new() -> Self {
        assert_eq!(OBW, OW + RS, "JobRunner: OBW must be OW + RS");
        assert!(
            (1..=16).contains(&JA) && (1..=16).contains(&A),
            "JobRunner: the buffers' address bits must be in 1..=16, got JA = {JA} and A = {A}"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            go: Default::default(),
            rows: Default::default(),
            beats_m1: Default::default(),
            jb_we: Default::default(),
            jb_waddr: Default::default(),
            jb_wdata: Default::default(),
            jb_free: Default::default(),
            m_axis_tdata: Default::default(),
            m_axis_tvalid: Default::default(),
            m_axis_tready: Default::default(),
            m_axis_tlast: Default::default(),
            m_axis_tlast_job: Default::default(),
            s_axis_tdata: Default::default(),
            s_axis_tuser: Default::default(),
            s_axis_tvalid: Default::default(),
            s_axis_tready: Default::default(),
            ob_raddr: Default::default(),
            ob_rdata: Default::default(),
            done: Default::default(),
            cycles: Default::default(),
            busy: Default::default(),
            jbuf: Default::default(),
            obuf: Default::default(),
            c_ow: Constant::new((OW as u64).into()),
            running: Default::default(),
            started: Default::default(),
            all_issued: Default::default(),
            f: Default::default(),
            fp: Default::default(),
            iw: Default::default(),
            ir: Default::default(),
            rdv: Default::default(),
            rd_last: Default::default(),
            rd_final: Default::default(),
            qv: Default::default(),
            qlast: Default::default(),
            qlast_job: Default::default(),
            qdata: Default::default(),
            skv: Default::default(),
            sklast: Default::default(),
            sklast_job: Default::default(),
            skdata: Default::default(),
            oidx: Default::default(),
            cyc: Default::default(),
            done_r: Default::default(),
            rows_m1: Default::default(),
            hs: Default::default(),
            take: Default::default(),
            out_free: Default::default(),
            issue: Default::default(),
        }
    }
}

impl<
        const JW: usize,
        const JA: usize,
        const OW: usize,
        const RS: usize,
        const OBW: usize,
        const A: usize,
    > Default for JobRunner<JW, JA, OW, RS, OBW, A>
{
    fn default() -> Self {
        Self::new()
    }
}

impl<
        const JW: usize,
        const JA: usize,
        const OW: usize,
        const RS: usize,
        const OBW: usize,
        const A: usize,
    > Logic for JobRunner<JW, JA, OW, RS, OBW, A>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, running, started, all_issued, f, fp, iw, ir, rdv, rd_last, rd_final, qv,
            qlast, qlast_job, qdata, skv, sklast, sklast_job, skdata, oidx, cyc, done_r
        );
        self.jbuf.write_clock.next = self.clock.val();
        self.jbuf.read_clock.next = self.clock.val();
        self.obuf.write_clock.next = self.clock.val();
        self.obuf.read_clock.next = self.clock.val();
        self.jbuf.write_enable.next = self.jb_we.val();
        self.jbuf.write_address.next = self.jb_waddr.val().get_bits::<JA>(0);
        self.jbuf.write_data.next = self.jb_wdata.val();

        // Entries out back to back: one is read ahead while the one before waits in `qdata`
        // (and, if the engine holds that one, in `skdata`); when it cannot move on, its
        // address (`fp`) is read again.
        self.rows_m1.next = self.rows.val() - 1;
        self.hs.next = self.qv.q.val() & self.m_axis_tready.val();
        self.out_free.next = !self.qv.q.val() | self.hs.val();
        self.take.next = self.rdv.q.val() & !self.skv.q.val();
        self.issue.next =
            self.running.q.val() & !self.all_issued.q.val() & (!self.rdv.q.val() | self.take.val());
        self.jbuf.read_address.next = self.f.q.val().get_bits::<JA>(0);
        if self.rdv.q.val() & !self.take.val() {
            self.jbuf.read_address.next = self.fp.q.val().get_bits::<JA>(0);
        }
        if self.issue.val() {
            self.f.d.next = self.f.q.val() + 1;
            self.fp.d.next = self.f.q.val();
            self.iw.d.next = self.iw.q.val() + 1;
            self.rd_last.d.next = self.iw.q.val() == self.beats_m1.val();
            self.rd_final.d.next = false;
            if self.iw.q.val() == self.beats_m1.val() {
                self.iw.d.next = 0.into();
                self.ir.d.next = self.ir.q.val() + 1;
                if self.ir.q.val() == self.rows_m1.val() {
                    self.all_issued.d.next = true;
                    self.rd_final.d.next = true;
                }
            }
        }
        self.rdv.d.next = self.issue.val() | (self.rdv.q.val() & !self.take.val());
        self.jb_free.next = self.take.val() & self.rd_final.q.val();
        if self.out_free.val() {
            if self.skv.q.val() {
                self.qdata.d.next = self.skdata.q.val();
                self.qv.d.next = true;
                self.qlast.d.next = self.sklast.q.val();
                self.qlast_job.d.next = self.sklast_job.q.val();
                self.skv.d.next = false;
            } else if self.take.val() {
                self.qdata.d.next = self.jbuf.read_data.val();
                self.qv.d.next = true;
                self.qlast.d.next = self.rd_last.q.val();
                self.qlast_job.d.next = self.rd_final.q.val();
            } else {
                self.qv.d.next = false;
            }
        } else if self.take.val() {
            self.skdata.d.next = self.jbuf.read_data.val();
            self.skv.d.next = true;
            self.sklast.d.next = self.rd_last.q.val();
            self.sklast_job.d.next = self.rd_final.q.val();
        }
        self.m_axis_tdata.next = self.qdata.q.val();
        self.m_axis_tvalid.next = self.qv.q.val();
        self.m_axis_tlast.next = self.qlast.q.val();
        self.m_axis_tlast_job.next = self.qlast_job.q.val();

        // Results into the output buffer; cycles from the first entry offered to the last
        // result row, inclusive.
        self.s_axis_tready.next = true;
        self.obuf.write_enable.next = self.s_axis_tvalid.val();
        self.obuf.write_address.next = self.oidx.q.val().get_bits::<A>(0);
        self.obuf.write_data.next = bit_cast::<OBW, OW>(self.s_axis_tdata.val())
            | (bit_cast::<OBW, RS>(self.s_axis_tuser.val()) << self.c_ow.val());
        self.obuf.read_address.next = self.ob_raddr.val().get_bits::<A>(0);
        self.ob_rdata.next = self.obuf.read_data.val();
        self.done_r.d.next = false;
        if self.running.q.val() & (self.started.q.val() | self.qv.q.val()) {
            self.cyc.d.next = self.cyc.q.val() + 1;
        }
        if self.running.q.val() & self.qv.q.val() {
            self.started.d.next = true;
        }
        if self.s_axis_tvalid.val() {
            self.oidx.d.next = self.oidx.q.val() + 1;
            if self.oidx.q.val() == self.rows_m1.val() {
                self.running.d.next = false;
                self.done_r.d.next = true;
            }
        }
        if self.go.val() {
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
        self.done.next = self.done_r.q.val();
        self.cycles.next = self.cyc.q.val();
        self.busy.next = self.running.q.val();
        if self.reset.val() {
            self.running.d.next = false;
            self.rdv.d.next = false;
            self.qv.d.next = false;
            self.skv.d.next = false;
            self.done_r.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{rise, settle};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// 48-bit entries, 8 of them; result rows of 20 bits and 12-bit row sums, 4 of them.
    type Runner = JobRunner<48, 3, 20, 12, 32, 2>;

    #[test]
    #[should_panic(expected = "JobRunner: OBW must be OW + RS")]
    fn rejects_a_wrong_output_width() {
        let _ = JobRunner::<48, 3, 20, 12, 31, 2>::new();
    }

    #[test]
    #[should_panic(
        expected = "JobRunner: the buffers' address bits must be in 1..=16, got JA = 17 and A = 2"
    )]
    fn rejects_a_wide_address() {
        let _ = JobRunner::<48, 17, 20, 12, 32, 2>::new();
    }

    /// Runs a job of `rows` rows of `beats` entries (entry e = 1000 + e), the engine taking
    /// entries at random and answering a row (`tdata = 7 r`, `tuser = r`) a few cycles after
    /// each row's last entry. Checks the entries, their `tlast`s, that they are offered back
    /// to back, `jb_free`, `done`, the cycles and the output buffer.
    fn run(rows: usize, beats: usize, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut uut = Runner::new();
        uut.connect_all();
        let n = rows * beats;
        let (mut got, mut answers, mut releases) = (vec![], vec![], 0);
        let (mut first, mut done_at, mut results) = (None, None, 0);
        for cycle in 0..200 {
            uut.reset.next = cycle == 0;
            // The framer writes the entries, then the transmitter starts the job.
            uut.jb_we.next = (1..=n).contains(&cycle);
            uut.jb_waddr.next = (cycle as u64).saturating_sub(1).into();
            uut.jb_wdata.next = (999 + cycle as u64).into();
            uut.go.next = cycle == n + 2;
            uut.rows.next = (rows as u64).into();
            uut.beats_m1.next = (beats as u64 - 1).into();
            uut.m_axis_tready.next = rng.gen_bool(0.6);
            let answer = answers.first().is_some_and(|&(at, _)| at == cycle);
            uut.s_axis_tvalid.next = answer;
            uut.s_axis_tdata.next = (7 * results as u64).into();
            uut.s_axis_tuser.next = (results as u64).into();
            uut.ob_raddr.next = 0.into();
            settle(&mut uut);
            assert!(uut.s_axis_tready.val());
            // From the first entry offered until the engine has taken them all, an entry is
            // offered every cycle, whatever the engine's ready did (the skid register).
            if first.is_some() && got.len() < n {
                assert!(uut.m_axis_tvalid.val(), "cycle {cycle}: no entry offered");
            }
            if uut.m_axis_tvalid.val() {
                first.get_or_insert(cycle);
                if uut.m_axis_tready.val() {
                    let e = uut.m_axis_tdata.val().to_u64() - 1000;
                    assert_eq!(uut.m_axis_tlast.val(), e as usize % beats == beats - 1);
                    assert_eq!(uut.m_axis_tlast_job.val(), e as usize == n - 1);
                    if uut.m_axis_tlast.val() {
                        answers.push((cycle + 3 + results, results));
                    }
                    got.push(e);
                }
            }
            if answer {
                answers.remove(0);
                results += 1;
            }
            releases += uut.jb_free.val() as usize;
            if uut.done.val() {
                assert!(done_at.is_none());
                done_at = Some(cycle);
                // From the first entry offered to the last row in, inclusive.
                assert_eq!(uut.cycles.val().to_u64() as usize, cycle - first.unwrap());
            }
            assert_eq!(uut.busy.val(), cycle > n + 2 && done_at.is_none());
            rise(&mut uut, |u| &mut u.clock);
        }
        assert_eq!(got, (0..n as u64).collect::<Vec<_>>());
        assert_eq!(releases, 1);
        assert!(done_at.is_some());
        // The output buffer: the row sum above each result row, a cycle after the address.
        for r in 0..rows as u64 {
            uut.ob_raddr.next = r.into();
            settle(&mut uut);
            rise(&mut uut, |u| &mut u.clock);
            settle(&mut uut);
            assert_eq!(uut.ob_rdata.val().to_u64(), (r << 20) | (7 * r));
        }
    }

    #[test]
    fn runs_jobs_of_one_and_of_several_entries_a_row() {
        for seed in 0..8 {
            run(4, 1, seed);
            run(2, 3, seed);
            run(2, 4, seed);
            run(1, 1, seed);
        }
    }

    #[test]
    fn lints_clean() {
        let mut uut = Runner::new();
        uut.connect_all();
        verilator_lint("job_runner", &generate_verilog(&uut)).unwrap();
    }
}
