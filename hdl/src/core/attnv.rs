//! `AttnV`: the zero-skipping attention x V core (top level).

use crate::core::bus_join::BusJoin;
use crate::core::bus_split::BusSplit;
use crate::core::code_scanner::CodeScanner;
use crate::core::lane::Lane;
use crate::core::row_sum::RowSum;
use crate::core::v_ram::VRam;
use crate::core::weight_table::WeightTable;
use model::{CoreParams, Variant};
use rust_hdl::prelude::*;

/// The AttnV core: for each query row i, `acc[i][l] = sum_j w[code[i][j]] * Vq[j][l]` and
/// `r[i] = sum_j w[code[i][j]]`, bit-exactly as `model::accumulate`, issuing K = 1 or 2
/// non-zero codes a cycle (`params.nnz_per_cycle`).
///
/// Const parameters (checked against `CoreParams` by [`AttnV::new`]): `VW = 8 D`, `OW = D ACC`,
/// `A = log2 N_MAX`, `ACC = params.acc_bits()`, `RS = params.rsum_bits()`. W = 16, k = 3;
/// K = 1 or 2 (a run-time parameter; the dense baseline only K = 1).
///
/// Inputs: `clock`; `reset` (synchronous, active high; registers also power up idle);
/// weight stream `s_axis_w_tdata` (16), `s_axis_w_tuser` (3, the code), `s_axis_w_tvalid`;
/// V stream `s_axis_v_tdata` (`VW`, lane l at `[8l+7:8l]`), `s_axis_v_tvalid`, `s_axis_v_tlast`;
/// code stream `s_axis_c_tdata` (48, code m at `[3m+2:3m]`), `s_axis_c_tvalid`, `s_axis_c_tlast`;
/// `m_axis_tready`.
/// Outputs: `s_axis_w_tready`, `s_axis_v_tready`, `s_axis_c_tready`; result stream
/// `m_axis_tdata` (`OW`, lane l at `[ACC l + ACC-1 : ACC l]`), `m_axis_tuser` (`RS`, r),
/// `m_axis_tvalid`.
///
/// Contract of the streams:
/// - Codes: a row is `ceil(n/16)` beats, the last with `tlast`; the codes of its last beat
///   past n (padding) must be 0, since the core cannot tell padding from keys (a non-zero
///   code there reads a V row the job never loaded).
/// - Weights: `w[1..=7]` hold until overwritten; they power up as 0 (the registers' initial
///   value; `reset` does not clear them), so rows computed before any weight is written are 0.
///   Write them before the codes that use them (with or before the V load). The octave core
///   has no weight registers (`w[c] = 2^(c-1)` is decoded from the code): it accepts and
///   ignores `s_axis_w`.
/// - Results: one beat per code row, in row order; `m_axis` has no `tlast` (the producer
///   knows how many rows it sent).
///
/// Interlock: V rows (and weights) are accepted only while no code row is in flight (the input is
/// between rows, the scanner and the pipeline are empty) or while a V load is under way; a V load
/// runs from its first accepted row to the row with `tlast` (rows go to addresses 0, 1, ...), and
/// no code beat is accepted meanwhile. When a load may start and a code beat is offered, the
/// code beat wins (so `s_axis_v_tready` and `s_axis_w_tready` depend combinationally on
/// `s_axis_c_tvalid`, and `s_axis_c_tready` only on registers). A producer offers a job's
/// V once the previous job's code beats are all accepted, and the job's codes once its V is.
///
/// V banks. One bank (the default): V lives in one `2^A x VW` memory (a whole row per word),
/// read at the tokens' positions (K copies written together, one a read port). Two banks
/// ([`AttnV::with_two_v_banks`], double buffering): a load (weights, then V; a job's weights
/// must all be accepted before its V's last row) goes to the back bank and V's `tlast` makes it
/// the front; the rows in flight keep reading the bank they started on. A load may start as soon
/// as no row in flight reads the back bank, so the next job's weights and V load while the last
/// rows drain; weights not sent with a load keep the previous load's values, as with one bank.
/// The bank choice survives `reset` (so do the V RAM and the weights).
///
/// Pipeline: scanner FIFO -> T1 (one-hot tokens: the lowest remaining non-zero position, with
/// K = 2 also the next one) -> T2 (positions, codes; RAM addresses, weight lookups) -> T3 (Vq
/// rows from the RAM, weights) -> T4 (operands and codes registered in each lane, so the weight
/// and code broadcasts end in per-lane registers) -> T5 (K products; both added to the accumulator in
/// the same stage) -> accumulator / output register: the same latency for K = 1 and 2. A row
/// end issues only when the output register is free or will be (a one-row credit), so the
/// datapath never stalls: back-pressure on `m_axis` holds the scanner only. A zero code never
/// moves a read address (markers, the dense core's zeros, a missing second token), so no V
/// row past n is read. Each lane registers its own copy of the codes (T4) and of the
/// accumulator's controls (T5) ([`crate::core::replica::Replica`]), so no one register drives
/// the logic of all D lanes.
#[derive(LogicBlock)]
pub struct AttnV<
    const VW: usize,
    const OW: usize,
    const A: usize,
    const ACC: usize,
    const RS: usize,
> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub s_axis_w_tdata: Signal<In, Bits<16>>,
    pub s_axis_w_tuser: Signal<In, Bits<3>>,
    pub s_axis_w_tvalid: Signal<In, Bit>,
    pub s_axis_w_tready: Signal<Out, Bit>,
    pub s_axis_v_tdata: Signal<In, Bits<VW>>,
    pub s_axis_v_tvalid: Signal<In, Bit>,
    pub s_axis_v_tready: Signal<Out, Bit>,
    pub s_axis_v_tlast: Signal<In, Bit>,
    pub s_axis_c_tdata: Signal<In, Bits<48>>,
    pub s_axis_c_tvalid: Signal<In, Bit>,
    pub s_axis_c_tready: Signal<Out, Bit>,
    pub s_axis_c_tlast: Signal<In, Bit>,
    pub m_axis_tdata: Signal<Out, Bits<OW>>,
    pub m_axis_tuser: Signal<Out, Bits<RS>>,
    pub m_axis_tvalid: Signal<Out, Bit>,
    pub m_axis_tready: Signal<In, Bit>,
    scanner: CodeScanner<A>,
    weights: WeightTable,
    lanes: Vec<Lane<ACC>>,
    vram: VRam<VW, A>,
    rowsum: RowSum<RS>,
    v_split: BusSplit<VW>,
    v_split_b: BusSplit<VW>,
    out_join: BusJoin<OW, ACC>,
    v_addr: DFF<Bits<A>>,
    /// A V row accepted at the last edge, written into the V RAM at the next one (so that the
    /// RAM's write enable, fanned out to every block RAM of V, starts at a flop, not at the
    /// handshake; a row's V is read at T2, several cycles after its first code is accepted).
    vw_en: DFF<Bit>,
    vw_bank: DFF<Bit>,
    vw_addr: DFF<Bits<A>>,
    vw_data: DFF<Bits<VW>>,
    v_loading: DFF<Bit>,
    mid_row: DFF<Bit>,
    t3_valid: DFF<Bit>,
    t3_last: DFF<Bit>,
    t3_code: DFF<Bits<3>>,
    t3_code_b: DFF<Bits<3>>,
    t4_valid: DFF<Bit>,
    t4_last: DFF<Bit>,
    t4_w: DFF<Bits<16>>,
    t4_w_b: DFF<Bits<16>>,
    t5_valid: DFF<Bit>,
    /// T3, T4 or T5 holds a token: `t3_valid | t4_valid | t5_valid`, registered from their
    /// inputs.
    tail_busy: DFF<Bit>,
    t5_last: DFF<Bit>,
    t5_w: DFF<Bits<16>>,
    t5_w_b: DFF<Bits<16>>,
    cont: DFF<Bit>,
    out_valid: DFF<Bit>,
    out_busy: DFF<Bit>,
    two_banks: Constant<Bit>,
    /// Code beats win over a load that has not started (see [`AttnV::with_serial_producer`]).
    arbitrate: Constant<Bit>,
    front: DFF<Bit>,
    loading: DFF<Bit>,
    rows_front: DFF<Bits<5>>,
    rows_back: DFF<Bits<5>>,
    back_busy: Signal<Local, Bit>,
    load_ok: Signal<Local, Bit>,
    row_start: Signal<Local, Bit>,
    row_done: Signal<Local, Bit>,
    done_front: Signal<Local, Bit>,
    flip: Signal<Local, Bit>,
    rd_bank: Signal<Local, Bit>,
    idle: Signal<Local, Bit>,
    v_fire: Signal<Local, Bit>,
    c_fire: Signal<Local, Bit>,
    w_fire: Signal<Local, Bit>,
    m_fire: Signal<Local, Bit>,
}

impl<const VW: usize, const OW: usize, const A: usize, const ACC: usize, const RS: usize>
    AttnV<VW, OW, A, ACC, RS>
{
    /// The core for `params` and `variant`; panics with a clear message if the const parameters
    /// disagree with `params` or `params` is not supported (W must be 16, k must be 3,
    /// N_MAX >= 16).
    pub fn new(params: &CoreParams, variant: Variant) -> Self {
        assert_eq!(VW, 8 * params.d, "AttnV: VW must be 8 * D");
        assert_eq!(
            A,
            params.addr_bits() as usize,
            "AttnV: A must be log2(N_MAX)"
        );
        assert_eq!(
            ACC,
            params.acc_bits() as usize,
            "AttnV: ACC must be params.acc_bits()"
        );
        assert_eq!(OW, params.d * ACC, "AttnV: OW must be D * ACC");
        assert_eq!(
            RS,
            params.rsum_bits() as usize,
            "AttnV: RS must be params.rsum_bits()"
        );
        let k = params.nnz_per_cycle;
        assert!(
            k == 1 || k == 2,
            "AttnV: K (params.nnz_per_cycle) must be 1 or 2, got {k}"
        );
        assert!(
            variant != Variant::Dense || k == 1,
            "AttnV: the dense baseline issues one code a cycle: K must be 1, got {k}"
        );
        let octave = variant == Variant::Octave;
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_axis_w_tdata: Default::default(),
            s_axis_w_tuser: Default::default(),
            s_axis_w_tvalid: Default::default(),
            s_axis_w_tready: Default::default(),
            s_axis_v_tdata: Default::default(),
            s_axis_v_tvalid: Default::default(),
            s_axis_v_tready: Default::default(),
            s_axis_v_tlast: Default::default(),
            s_axis_c_tdata: Default::default(),
            s_axis_c_tvalid: Default::default(),
            s_axis_c_tready: Default::default(),
            s_axis_c_tlast: Default::default(),
            m_axis_tdata: Default::default(),
            m_axis_tuser: Default::default(),
            m_axis_tvalid: Default::default(),
            m_axis_tready: Default::default(),
            scanner: CodeScanner::new(params, variant == Variant::Dense),
            weights: WeightTable::new(octave, k),
            lanes: (0..params.d)
                .map(|l| Lane::new(octave, k, l == 0))
                .collect(),
            rowsum: RowSum::new(k),
            vram: VRam::new(1, k),
            v_split: Default::default(),
            v_split_b: Default::default(),
            out_join: Default::default(),
            v_addr: Default::default(),
            vw_en: Default::default(),
            vw_bank: Default::default(),
            vw_addr: Default::default(),
            vw_data: Default::default(),
            v_loading: Default::default(),
            mid_row: Default::default(),
            t3_valid: Default::default(),
            t3_last: Default::default(),
            t3_code: Default::default(),
            t3_code_b: Default::default(),
            t4_valid: Default::default(),
            t4_last: Default::default(),
            t4_w: Default::default(),
            t4_w_b: Default::default(),
            t5_valid: Default::default(),
            tail_busy: Default::default(),
            t5_last: Default::default(),
            t5_w: Default::default(),
            t5_w_b: Default::default(),
            cont: Default::default(),
            out_valid: Default::default(),
            out_busy: Default::default(),
            two_banks: Constant::new(false),
            arbitrate: Constant::new(true),
            front: Default::default(),
            loading: Default::default(),
            rows_front: Default::default(),
            rows_back: Default::default(),
            back_busy: Default::default(),
            load_ok: Default::default(),
            row_start: Default::default(),
            row_done: Default::default(),
            done_front: Default::default(),
            flip: Default::default(),
            rd_bank: Default::default(),
            idle: Default::default(),
            v_fire: Default::default(),
            c_fire: Default::default(),
            w_fire: Default::default(),
            m_fire: Default::default(),
        }
    }

    /// The same core with two V banks (double buffering): the next job's weights and V load
    /// into one bank while code rows still read the other (see the type's doc). Costs a
    /// second copy of the V RAM's words (`2^(A+1)` words a read port: 29 DP16KD instead of 15
    /// a port at D = 64, N_MAX = 512 on the ECP5) and a second set of weight registers.
    pub fn with_two_v_banks(mut self) -> Self {
        self.vram = VRam::new(2, self.vram.reads());
        self.weights = self.weights.with_two_banks();
        self.two_banks = Constant::new(true);
        self
    }

    /// The same core for a producer that never offers a code beat in a cycle in which it
    /// offers V or a weight: [`crate::attn_head::AttnHead`], whose V and weights wait for a
    /// front end idle since the cycle before (no beat queued or in flight in S3) and whose Q
    /// rows wait for the head's V and weights. The core then arbitrates nothing, and its V and
    /// weight readies read no code valid. A producer that offers both anyway breaks the
    /// interlock (a row could start with the load). `LinkCore` keeps the arbitration: its
    /// next job's V may be offered while the job runner still offers the last beats it has
    /// read.
    pub fn with_serial_producer(mut self) -> Self {
        self.arbitrate = Constant::new(false);
        self
    }

    /// V banks: 1, or 2 with [`AttnV::with_two_v_banks`].
    pub fn v_banks(&self) -> usize {
        self.vram.banks()
    }

    /// The same core with `per_lane[l]` (0..=K) of lane l's multipliers built in LUTs and the
    /// rest in DSP blocks ([`Lane::with_lut_multipliers`];
    /// [`crate::configs::MultiplierSplit::lane_luts_per_lane`] picks them for a part): the same
    /// outputs and cycles. Panics unless there is one count per lane (D), each at most K, and
    /// on the octave core (its lanes shift; they have no multiplier) unless every count is 0.
    pub fn with_lut_multipliers(mut self, per_lane: &[usize]) -> Self {
        assert_eq!(
            per_lane.len(),
            self.lanes.len(),
            "AttnV: one LUT multiplier count per lane (D = {})",
            self.lanes.len()
        );
        self.lanes = std::mem::take(&mut self.lanes)
            .into_iter()
            .zip(per_lane)
            .map(|(l, &n)| if n == 0 { l } else { l.with_lut_multipliers(n) })
            .collect();
        self
    }

    /// The lanes' multipliers (D x K; none in the octave core).
    pub fn lane_multipliers(&self) -> usize {
        self.lanes.iter().map(|l| l.multipliers()).sum()
    }

    /// The multipliers built in LUTs of each lane.
    pub fn lut_multipliers(&self) -> Vec<usize> {
        self.lanes.iter().map(|l| l.lut_multipliers()).collect()
    }
}

impl<const VW: usize, const OW: usize, const A: usize, const ACC: usize, const RS: usize> Logic
    for AttnV<VW, OW, A, ACC, RS>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self, clock, v_addr, vw_en, vw_bank, vw_addr, vw_data, v_loading, mid_row, t3_valid,
            t3_last, t3_code, t3_code_b, t4_valid, t4_last, t4_w, t4_w_b, t5_valid, t5_last, t5_w,
            t5_w_b, tail_busy, cont, out_valid, out_busy, front, loading, rows_front, rows_back
        );
        self.scanner.clock.next = self.clock.val();
        self.scanner.reset.next = self.reset.val();
        self.weights.clock.next = self.clock.val();
        self.rowsum.clock.next = self.clock.val();
        // Handshakes.
        // Nothing in flight: the scanner registers this from the next-state values of its own
        // entries and tokens and of `mid_row` and `tail_busy` (its `busy_in`), so it is their
        // OR of this cycle, from one flop.
        self.idle.next = !self.scanner.busy.val();
        // A load may start when no code row reads the bank it goes to: with one bank, when
        // nothing is in flight; with two, when no row in flight reads the back bank.
        self.back_busy.next = self.rows_back.q.val().any();
        if self.two_banks.val() {
            self.load_ok.next = self.v_loading.q.val() | !self.back_busy.val();
        } else {
            self.load_ok.next = self.v_loading.q.val() | self.idle.val();
        }
        // An offered code beat wins over a load that has not started (unless the producer
        // never offers both: `with_serial_producer`).
        if self.arbitrate.val() & self.s_axis_c_tvalid.val() & !self.v_loading.q.val() {
            self.load_ok.next = false;
        }
        self.s_axis_v_tready.next = !self.reset.val() & self.load_ok.val();
        self.s_axis_w_tready.next = !self.reset.val() & self.load_ok.val();
        // From registers only (the scanner's `space` is one): the code handshake, which the
        // front end's S3 and the scanner's intake both wait on, is one LUT deep.
        self.s_axis_c_tready.next =
            !self.reset.val() & !self.v_loading.q.val() & self.scanner.space.val();
        self.v_fire.next = self.s_axis_v_tvalid.val() & self.s_axis_v_tready.val();
        self.w_fire.next = self.s_axis_w_tvalid.val() & self.s_axis_w_tready.val();
        self.c_fire.next = self.s_axis_c_tvalid.val() & self.s_axis_c_tready.val();
        self.m_fire.next = self.out_valid.q.val() & self.m_axis_tready.val();
        // Banks (two V banks only): rows start on the front bank; a V load goes to the back
        // bank and its tlast flips them, making the rows in flight back-bank rows. Rows end
        // in order (their row ends at T2, where they read V for the last time), so the token
        // at T2 reads the back bank while back-bank rows remain.
        self.row_start.next = self.c_fire.val() & !self.mid_row.q.val();
        self.row_done.next = self.scanner.tok_valid.val() & self.scanner.tok_last.val();
        self.done_front.next = self.row_done.val() & !self.back_busy.val();
        self.flip.next = self.two_banks.val() & self.v_fire.val() & self.s_axis_v_tlast.val();
        self.rd_bank.next = self.two_banks.val() & (self.front.q.val() ^ self.back_busy.val());
        if self.flip.val() {
            // A load starts only with no back-bank row, and no row starts during it.
            self.front.d.next = !self.front.q.val();
            if self.row_done.val() {
                self.rows_back.d.next = self.rows_front.q.val() - 1;
            } else {
                self.rows_back.d.next = self.rows_front.q.val();
            }
            self.rows_front.d.next = 0.into();
        } else {
            if self.row_done.val() & self.back_busy.val() {
                self.rows_back.d.next = self.rows_back.q.val() - 1;
            }
            if self.row_start.val() & !self.done_front.val() {
                self.rows_front.d.next = self.rows_front.q.val() + 1;
            }
            if !self.row_start.val() & self.done_front.val() {
                self.rows_front.d.next = self.rows_front.q.val() - 1;
            }
        }
        // A load (weights, then V) is under way from its first beat to V's tlast; until one
        // starts, the back weights follow the front ones (so a load that writes only some
        // weights keeps the others, as with one bank).
        if self.w_fire.val() | self.v_fire.val() {
            self.loading.d.next = true;
        }
        if self.flip.val() {
            self.loading.d.next = false;
        }
        self.weights.wr_bank.next = !self.front.q.val();
        self.weights.rd_bank.next = self.rd_bank.val();
        self.weights.copy_en.next = !self.loading.q.val() & !self.back_busy.val();
        self.weights.copy_from.next = self.front.q.val();
        // V load.
        self.vram.clock.next = self.clock.val();
        self.vw_en.d.next = self.v_fire.val();
        self.vw_bank.d.next = !self.front.q.val();
        self.vw_addr.d.next = self.v_addr.q.val();
        self.vw_data.d.next = self.s_axis_v_tdata.val();
        self.vram.wr_en.next = self.vw_en.q.val();
        self.vram.wr_bank.next = self.vw_bank.q.val();
        self.vram.wr_addr.next = self.vw_addr.q.val();
        self.vram.wr_data.next = self.vw_data.q.val();
        // V read: addresses at T2 (the tokens' positions), rows at T3.
        self.vram.rd_bank.next = self.rd_bank.val();
        self.vram.rd_addr.next = self.scanner.tok_j.val();
        self.vram.rd_addr_b.next = self.scanner.tok_j_b.val();
        self.v_split.bus.next = self.vram.rd_data.val();
        self.v_split_b.bus.next = self.vram.rd_data_b.val();
        if self.v_fire.val() {
            if self.s_axis_v_tlast.val() {
                self.v_addr.d.next = 0.into();
                self.v_loading.d.next = false;
            } else {
                self.v_addr.d.next = self.v_addr.q.val() + 1;
                self.v_loading.d.next = true;
            }
        }
        // Weights.
        self.weights.wr_en.next = self.w_fire.val();
        self.weights.wr_code.next = self.s_axis_w_tuser.val();
        self.weights.wr_data.next = self.s_axis_w_tdata.val();
        self.weights.rd_code.next = self.scanner.tok_code.val();
        self.weights.rd_code_b.next = self.scanner.tok_code_b.val();
        // Codes.
        self.scanner.in_accept.next = self.c_fire.val();
        self.scanner.in_codes.next = self.s_axis_c_tdata.val();
        self.scanner.in_last.next = self.s_axis_c_tlast.val();
        self.scanner.credit.next = !self.out_busy.q.val();
        if self.c_fire.val() {
            self.mid_row.d.next = !self.s_axis_c_tlast.val();
        }
        // T3, T4 control.
        self.t3_valid.d.next = self.scanner.tok_valid.val();
        self.t3_last.d.next = self.scanner.tok_valid.val() & self.scanner.tok_last.val();
        self.t3_code.d.next = self.scanner.tok_code.val();
        self.t3_code_b.d.next = self.scanner.tok_code_b.val();
        self.t4_valid.d.next = self.t3_valid.q.val();
        self.t4_last.d.next = self.t3_last.q.val();
        self.t4_w.d.next = self.weights.w.val();
        self.t4_w_b.d.next = self.weights.w_b.val();
        self.t5_valid.d.next = self.t4_valid.q.val();
        self.tail_busy.d.next =
            self.scanner.tok_valid.val() | self.t3_valid.q.val() | self.t4_valid.q.val();
        self.t5_last.d.next = self.t4_last.q.val();
        self.t5_w.d.next = self.t4_w.q.val();
        self.t5_w_b.d.next = self.t4_w_b.q.val();
        if self.t5_valid.q.val() {
            self.cont.d.next = !self.t5_last.q.val();
        }
        // Lanes.
        for l in 0..self.lanes.len() {
            self.lanes[l].clock.next = self.clock.val();
            self.lanes[l].reset.next = self.reset.val();
            self.lanes[l].v.next = self.v_split.lanes[l].val();
            self.lanes[l].w.next = self.weights.w.val();
            self.lanes[l].code.next = self.t3_code.q.val();
            self.lanes[l].v_b.next = self.v_split_b.lanes[l].val();
            self.lanes[l].w_b.next = self.weights.w_b.val();
            self.lanes[l].code_b.next = self.t3_code_b.q.val();
            self.lanes[l].acc_valid.next = self.t4_valid.q.val();
            self.lanes[l].acc_last.next = self.t4_last.q.val();
            self.out_join.lanes[l].next = self.lanes[l].out.val();
        }
        self.rowsum.w.next = self.t5_w.q.val();
        self.rowsum.w_b.next = self.t5_w_b.q.val();
        self.rowsum.acc_valid.next = self.t5_valid.q.val();
        self.rowsum.acc_last.next = self.t5_last.q.val();
        self.rowsum.acc_cont.next = self.cont.q.val();
        // Output register and its one-row credit.
        if self.t5_valid.q.val() & self.t5_last.q.val() {
            self.out_valid.d.next = true;
        } else if self.m_fire.val() {
            self.out_valid.d.next = false;
        }
        if self.scanner.row_end_issued.val() {
            self.out_busy.d.next = true;
        } else if self.m_fire.val() {
            self.out_busy.d.next = false;
        }
        self.m_axis_tvalid.next = self.out_valid.q.val();
        self.m_axis_tdata.next = self.out_join.bus.val();
        self.m_axis_tuser.next = self.rowsum.out.val();
        if self.reset.val() {
            self.v_addr.d.next = 0.into();
            self.v_loading.d.next = false;
            self.mid_row.d.next = false;
            self.t3_valid.d.next = false;
            self.t4_valid.d.next = false;
            self.t5_valid.d.next = false;
            self.tail_busy.d.next = false;
            self.cont.d.next = false;
            self.out_valid.d.next = false;
            self.out_busy.d.next = false;
            self.loading.d.next = false;
            self.rows_front.d.next = 0.into();
            self.rows_back.d.next = 0.into();
        }
        // After every next-state assignment above (reset included).
        self.scanner.busy_in.next = self.mid_row.d.val() | self.tail_busy.d.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{run_attnv, run_attnv_probed, Env, Job, Run};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// D = 4, N_MAX = 64: VW = 32, OW = 4 * 30, A = 6, ACC = 30, RS = 22.
    type Small = AttnV<32, 120, 6, 30, 22>;

    fn small(k: usize) -> CoreParams {
        CoreParams::new(4, 64, 16, 3)
            .unwrap()
            .with_nnz_per_cycle(k)
            .unwrap()
    }

    /// The (variant, K) pairs the core is built for.
    const BUILDS: [(Variant, usize); 5] = [
        (Variant::General, 1),
        (Variant::General, 2),
        (Variant::Octave, 1),
        (Variant::Octave, 2),
        (Variant::Dense, 1),
    ];

    fn build(variant: Variant, k: usize, banks: usize) -> Small {
        let mut uut = Small::new(&small(k), variant);
        if banks == 2 {
            uut = uut.with_two_v_banks();
        }
        assert_eq!(uut.v_banks(), banks);
        uut.connect_all();
        uut
    }

    fn check_banks(variant: Variant, k: usize, banks: usize, jobs: &[Job], env: Env) -> Run {
        let mut uut = build(variant, k, banks);
        let run = run_attnv(&mut uut, &small(k), jobs, env);
        for (j, job) in jobs.iter().enumerate() {
            let (acc, rsum) = job.expected();
            let nnz = job.codes.iter().filter(|&&c| c != 0).count();
            assert!(nnz == 0 || acc.iter().any(|&x| x != 0), "degenerate job");
            let what = format!("{variant:?} K={k} {banks} bank(s) job {j} ({env:?})");
            assert_eq!(run.results[j].0, acc, "{what}: acc differs");
            assert_eq!(run.results[j].1, rsum, "{what}: row sums differ");
        }
        run
    }

    fn check(variant: Variant, k: usize, jobs: &[Job], env: Env) -> Vec<usize> {
        check_banks(variant, k, 1, jobs, env).code_cycles
    }

    fn jobs(variant: Variant, seed: u64, shapes: &[(usize, usize, u32)]) -> Vec<Job> {
        let mut rng = StdRng::seed_from_u64(seed);
        shapes
            .iter()
            .map(|&(n, rows, dens)| Job::random(&mut rng, variant, 4, n, rows, dens))
            .collect()
    }

    #[test]
    fn small_config_lints_clean() {
        for (v, k) in BUILDS {
            for banks in [1, 2] {
                let vlog = crate::attnv_verilog_banks(&small(k), v, banks).unwrap();
                verilator_lint(&format!("attnv_small_{v:?}_{k}_{banks}"), &vlog).unwrap();
            }
        }
        assert_eq!(
            crate::attnv_verilog_banks(&small(1), Variant::General, 3)
                .unwrap_err()
                .to_string(),
            "attnv: V banks must be 1 or 2, got 3"
        );
    }

    #[test]
    fn exact_and_on_time_without_stalls() {
        // Shapes: (n, rows, density %): long sparse rows, dense rows, short rows, n not a
        // multiple of W, all-zero rows.
        let shapes = [
            (64, 6, 5),
            (64, 4, 60),
            (16, 5, 30),
            (37, 6, 20),
            (50, 3, 0),
            (64, 3, 100),
        ];
        for (v, k) in BUILDS {
            for banks in [1, 2] {
                for (s, &shape) in shapes.iter().enumerate() {
                    let js = jobs(v, 10 + s as u64, &[shape]);
                    let cycles = check_banks(v, k, banks, &js, Env::NO_STALL).code_cycles;
                    let p = small(k);
                    let want = model::timing::job_cycles(&p, v, js[0].codes.view());
                    assert_eq!(
                        cycles[0], want,
                        "{v:?} K={k} {banks} bank(s) shape {shape:?}: cycles vs model::timing"
                    );
                    assert!(
                        cycles[0] <= model::timing::job_cycles_bound(&p, v, js[0].codes.view())
                    );
                }
            }
        }
    }

    #[test]
    fn v_ram_reads_back_every_row() {
        // Row i selects V row 63 - i alone with code 1 of weight 1: out row i = Vq[63 - i].
        // With K = 2 also rows that select 63 - i and i (two picks in one beat, or one in each
        // of two beats): out row i = Vq[63 - i] + Vq[i].
        for (v, k) in BUILDS {
            if v == Variant::Dense {
                continue;
            }
            let mut rng = StdRng::seed_from_u64(9);
            let mut job = Job::random(&mut rng, v, 4, 64, 64, 0);
            job.w[1] = 1;
            for i in 0..64 {
                job.codes[[i, 63 - i]] = 1;
            }
            let mut pairs = job.clone();
            for i in 0..64 {
                pairs.codes[[i, i]] = 1;
            }
            let p = small(k);
            for (name, job, both) in [("single", &job, false), ("pairs", &pairs, true)] {
                let mut uut = Small::new(&p, v);
                uut.connect_all();
                let run = run_attnv(&mut uut, &p, std::slice::from_ref(job), Env::NO_STALL);
                for i in 0..64 {
                    for l in 0..4 {
                        let mut want = job.vq[[63 - i, l]] as i64;
                        if both && i != 63 - i {
                            want += job.vq[[i, l]] as i64;
                        }
                        assert_eq!(
                            run.results[0].0[[i, l]],
                            want,
                            "{v:?} K={k} {name} row {i} lane {l}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn zero_skipping_beats_dense_on_sparse_rows_and_two_picks_beat_one() {
        let js = jobs(Variant::General, 42, &[(64, 6, 5)]);
        let sparse = check(Variant::General, 1, &js, Env::NO_STALL)[0];
        let dense = check(Variant::Dense, 1, &js, Env::NO_STALL)[0];
        // Dense: 64 tokens per row; zero skipping: about max(nnz, 4) + 1 (7-cycle row minimum).
        assert_eq!(
            dense,
            1 + 6 * 64 + model::timing::INTAKE_LATENCY + model::timing::ISSUE_TO_OUTPUT
        );
        assert!(sparse * 5 < dense, "sparse {sparse} vs dense {dense}");
        // Dense rows: two codes a cycle take about half the cycles.
        let js = jobs(Variant::General, 43, &[(64, 6, 80)]);
        let one = check(Variant::General, 1, &js, Env::NO_STALL)[0];
        let two = check(Variant::General, 2, &js, Env::NO_STALL)[0];
        assert!(two * 10 < one * 6, "K = 2: {two} cycles, K = 1: {one}");
    }

    #[test]
    fn exact_under_random_idles_and_back_pressure() {
        for (i, (v, k)) in BUILDS.into_iter().enumerate() {
            let js = jobs(v, 100 + i as u64, &[(64, 5, 15), (23, 6, 50), (40, 4, 3)]);
            for banks in [1, 2] {
                for (s, (idle, stall)) in [(30, 0), (0, 60), (40, 40)].into_iter().enumerate() {
                    check_banks(
                        v,
                        k,
                        banks,
                        &js,
                        Env {
                            idle_pct: idle,
                            stall_pct: stall,
                            seed: s as u64,
                        },
                    );
                }
            }
        }
    }

    #[test]
    fn two_v_banks_load_the_next_job_while_rows_drain() {
        // Back-to-back jobs with long rows: with two banks the next job's weights and V are
        // accepted while the previous job's rows are in flight, so the jobs take fewer cycles
        // in all; with one bank never.
        let js = jobs(
            Variant::General,
            8,
            &[(64, 6, 60), (64, 6, 60), (37, 5, 40), (64, 4, 20)],
        );
        for k in [1, 2] {
            let mut totals = vec![];
            for banks in [1, 2] {
                let mut uut = build(Variant::General, k, banks);
                let mut overlapped = 0;
                let mut tail_cycles = 0;
                let run = run_attnv_probed(&mut uut, &small(k), &js, Env::NO_STALL, |u| {
                    let v_fire = u.s_axis_v_tvalid.val() && u.s_axis_v_tready.val();
                    if v_fire && !u.idle.val() {
                        overlapped += 1;
                    }
                    // The registered flag is the OR of the stages it stands for.
                    let tail = u.t3_valid.q.val() | u.t4_valid.q.val() | u.t5_valid.q.val();
                    assert_eq!(u.tail_busy.q.val(), tail, "K={k} {banks}: tail_busy");
                    tail_cycles += usize::from(tail);
                });
                assert!(
                    tail_cycles > 100,
                    "K={k} {banks}: {tail_cycles} cycles with a tail"
                );
                for (j, job) in js.iter().enumerate() {
                    assert_eq!(run.results[j].0, job.expected().0, "K={k} {banks}: job {j}");
                    assert_eq!(run.results[j].1, job.expected().1, "K={k} {banks}: job {j}");
                }
                if banks == 1 {
                    assert_eq!(overlapped, 0, "one bank: V loads only while idle");
                } else {
                    assert!(overlapped > 100, "K={k}: {overlapped} V rows overlapped");
                }
                totals.push(run.total_cycles);
            }
            // The loads of jobs 2..4 are 165 V rows; most of them hide behind rows.
            assert!(
                totals[1] + 80 < totals[0],
                "K={k}: two banks {} cycles, one bank {}",
                totals[1],
                totals[0]
            );
        }
    }

    #[test]
    fn weights_not_sent_keep_the_previous_jobs() {
        // Job 2 sends only w[3], job 3 only w[1] and w[7]: the others stay the previous job's,
        // with one V bank or two (where the back weights follow the front ones until a load).
        for (v, k) in [
            (Variant::General, 1),
            (Variant::General, 2),
            (Variant::Dense, 1),
        ] {
            let mut js = jobs(v, 31, &[(40, 4, 50), (64, 4, 50), (20, 3, 70)]);
            js[1].w_sent = vec![3];
            js[2].w_sent = vec![7, 1];
            for c in 0..8 {
                if c != 3 {
                    js[1].w[c] = js[0].w[c];
                }
                if c != 1 && c != 7 {
                    js[2].w[c] = js[1].w[c];
                }
            }
            for banks in [1, 2] {
                for env in [
                    Env::NO_STALL,
                    Env {
                        idle_pct: 30,
                        stall_pct: 40,
                        seed: 5,
                    },
                ] {
                    check_banks(v, k, banks, &js, env);
                }
            }
        }
    }

    #[test]
    fn back_to_back_heads_use_their_own_v_and_weights() {
        // The second head's weights and V are offered while the first head's rows drain.
        for k in [1, 2] {
            let js = jobs(
                Variant::General,
                7,
                &[(64, 4, 40), (64, 4, 40), (20, 3, 50)],
            );
            check(Variant::General, k, &js, Env::NO_STALL);
            check(
                Variant::General,
                k,
                &js,
                Env {
                    idle_pct: 20,
                    stall_pct: 50,
                    seed: 3,
                },
            );
        }
    }

    /// The largest V RAM read address of any cycle of `job` on a fresh core.
    fn largest_read_address(v: Variant, k: usize, job: &Job, env: Env) -> usize {
        let p = small(k);
        let mut uut = Small::new(&p, v);
        uut.connect_all();
        let mut max = 0;
        run_attnv_probed(&mut uut, &p, std::slice::from_ref(job), env, |u| {
            max = max
                .max(u.vram.rd_addr.val().index())
                .max(u.vram.rd_addr_b.val().index());
        });
        max
    }

    #[test]
    fn no_v_row_past_n_is_read() {
        // Issue 19: the dense core read V at the padding positions of a row's last beat
        // (j >= n, code 0), rows never written in this job (unknown in a 4-state simulator,
        // so 0 x X = X). No core reads past n now; n = 37, 40 leave padding in the last beat.
        for (v, k) in BUILDS {
            for (n, dens) in [(37, 100), (40, 30), (37, 0)] {
                let job = &jobs(v, 60 + n as u64, &[(n, 3, dens)])[0];
                for env in [
                    Env::NO_STALL,
                    Env {
                        idle_pct: 30,
                        stall_pct: 30,
                        seed: 1,
                    },
                ] {
                    let max = largest_read_address(v, k, job, env);
                    assert!(max < n, "{v:?} K={k} n={n}: V row {max} read ({env:?})");
                }
            }
        }
    }

    #[test]
    #[should_panic(expected = "AttnV: A must be log2(N_MAX)")]
    fn rejects_mismatched_n_max() {
        let _ = Small::new(&CoreParams::new(4, 128, 16, 3).unwrap(), Variant::General);
    }

    #[test]
    #[should_panic(expected = "AttnV: VW must be 8 * D")]
    fn rejects_mismatched_d() {
        let _ = Small::new(&CoreParams::new(8, 64, 16, 3).unwrap(), Variant::General);
    }

    #[test]
    #[should_panic(expected = "CodeScanner: W (codes per cycle) must be 16")]
    fn rejects_w_other_than_16() {
        let _ = Small::new(&CoreParams::new(4, 64, 8, 3).unwrap(), Variant::General);
    }

    #[test]
    #[should_panic(expected = "AttnV: K (params.nnz_per_cycle) must be 1 or 2, got 3")]
    fn rejects_three_codes_a_cycle() {
        let mut p = small(1);
        p.nnz_per_cycle = 3;
        let _ = Small::new(&p, Variant::General);
    }

    #[test]
    #[should_panic(expected = "AttnV: K (params.nnz_per_cycle) must be 1 or 2, got 0")]
    fn rejects_no_code_a_cycle() {
        let mut p = small(1);
        p.nnz_per_cycle = 0;
        let _ = Small::new(&p, Variant::Octave);
    }

    #[test]
    #[should_panic(
        expected = "AttnV: the dense baseline issues one code a cycle: K must be 1, got 2"
    )]
    fn rejects_a_dense_core_of_two_codes_a_cycle() {
        let _ = Small::new(&small(2), Variant::Dense);
    }

    #[test]
    fn verilog_of_uncompiled_config_is_an_error() {
        let e = crate::attnv_verilog(&CoreParams::new(12, 64, 16, 3).unwrap(), Variant::General)
            .unwrap_err();
        assert!(e
            .to_string()
            .starts_with("attnv: no compiled configuration for D = 12 and N_MAX = 64"));
        let e = crate::attnv_verilog(&small(2), Variant::Dense).unwrap_err();
        assert_eq!(
            e.to_string(),
            "attnv: the dense baseline issues one code a cycle: K must be 1, got 2"
        );
    }
}
