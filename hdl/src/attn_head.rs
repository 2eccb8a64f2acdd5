//! `AttnHead`: a whole attention head on chip: the front end feeding the AttnV core.

use crate::configs::MultiplierSplit;
use crate::core::attnv::AttnV;
use crate::front_end::FrontEnd;
use model::frontend::FrontEndParams;
use model::{Codebook, CoreParams, Variant};
use rust_hdl::prelude::*;

/// [`FrontEnd`] (integer Q, K to codes) feeding [`AttnV`] (codes x V), with the head sequencing
/// that keeps heads apart: per head, its weights (8 beats), K (n rows) and V (n rows) are
/// loaded, in any order or at once, then its Q rows; the last Q row carries `tlast`.
///
/// Const parameters: those of [`AttnV`] (`KW = 8 D` is its `VW`) and of [`FrontEnd`]; P (keys
/// a cycle) is the front end's run-time parameter.
///
/// Inputs: `clock`; `reset` (synchronous, active high); weights `s_axis_w_tdata` (16),
/// `s_axis_w_tuser` (3, the code), `s_axis_w_tvalid`: **eight beats per head**, one per code
/// in any order (`w[0]` is ignored: code 0 weighs 0), before or with the head's K and V;
/// keys `s_axis_k_tdata` (`KW`), `s_axis_k_tuser` (16, `mk`), `s_axis_k_tvalid`,
/// `s_axis_k_tlast`; values `s_axis_v_tdata` (`KW`), `s_axis_v_tvalid`, `s_axis_v_tlast`;
/// queries `s_axis_q_tdata` (`KW`), `s_axis_q_tuser` (40: `mq` `[15:0]`, shift `[21:16]`,
/// valid length `[39:24]`), `s_axis_q_tvalid`, `s_axis_q_tlast` (the head's last row);
/// `m_axis_tready`; `flush` (forget the weights, K and V loaded for a head whose Q rows have
/// not started: the link framer's answer to a bad frame CRC).
/// Outputs: the `tready` of each input stream; results `m_axis_tdata` (`OW`, D accumulators),
/// `m_axis_tuser` (`RS`, the row sum), `m_axis_tvalid`, one beat per query row, as [`AttnV`].
///
/// Sequencing: a head's K is accepted until its `tlast` (and only once the front end's S1 has
/// issued every row of the previous head); its V until its `tlast` and its 8 weights, only
/// once the front end holds no row of the previous head (its codes have all gone to AttnV,
/// which then accepts them once its own rows have drained: one V bank); its Q rows only once
/// its weights, K and V are all in, so a head can never be computed with another head's
/// weights, whatever order the streams arrive in. The Q row with `tlast` ends the head, and
/// the next head's K loads while the last rows are still in S2, S3 and the core.
#[derive(LogicBlock)]
pub struct AttnHead<
    const KW: usize,
    const OW: usize,
    const A: usize,
    const ACC: usize,
    const RS: usize,
    const SB: usize,
    const SUMB: usize,
> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub s_axis_w_tdata: Signal<In, Bits<16>>,
    pub s_axis_w_tuser: Signal<In, Bits<3>>,
    pub s_axis_w_tvalid: Signal<In, Bit>,
    pub s_axis_w_tready: Signal<Out, Bit>,
    pub s_axis_k_tdata: Signal<In, Bits<KW>>,
    pub s_axis_k_tuser: Signal<In, Bits<16>>,
    pub s_axis_k_tvalid: Signal<In, Bit>,
    pub s_axis_k_tready: Signal<Out, Bit>,
    pub s_axis_k_tlast: Signal<In, Bit>,
    pub s_axis_v_tdata: Signal<In, Bits<KW>>,
    pub s_axis_v_tvalid: Signal<In, Bit>,
    pub s_axis_v_tready: Signal<Out, Bit>,
    pub s_axis_v_tlast: Signal<In, Bit>,
    pub s_axis_q_tdata: Signal<In, Bits<KW>>,
    pub s_axis_q_tuser: Signal<In, Bits<40>>,
    pub s_axis_q_tvalid: Signal<In, Bit>,
    pub s_axis_q_tready: Signal<Out, Bit>,
    pub s_axis_q_tlast: Signal<In, Bit>,
    pub m_axis_tdata: Signal<Out, Bits<OW>>,
    pub m_axis_tuser: Signal<Out, Bits<RS>>,
    pub m_axis_tvalid: Signal<Out, Bit>,
    pub m_axis_tready: Signal<In, Bit>,
    pub flush: Signal<In, Bit>,
    fe: FrontEnd<KW, A, SB, SUMB>,
    core: AttnV<KW, OW, A, ACC, RS>,
    k_done: DFF<Bit>,
    v_done: DFF<Bit>,
    w_done: DFF<Bit>,
    w_count: DFF<Bits<3>>,
    q_end: DFF<Bit>,
    core_free: DFF<Bit>,
    q_gate: Signal<Local, Bit>,
}

impl<
        const KW: usize,
        const OW: usize,
        const A: usize,
        const ACC: usize,
        const RS: usize,
        const SB: usize,
        const SUMB: usize,
    > AttnHead<KW, OW, A, ACC, RS, SB, SUMB>
{
    /// The head for `core` parameters, `variant`, front-end parameters `fe` and `codebook`
    /// (whose edges the front end compares against; the weights are loaded at run time).
    /// Panics with a clear message if D or N_MAX differ between `core` and `fe`, or either
    /// block rejects its parameters.
    pub fn new(
        core: &CoreParams,
        variant: Variant,
        fe: &FrontEndParams,
        codebook: &Codebook,
    ) -> Self {
        assert_eq!(
            core.d, fe.d,
            "AttnHead: the core and the front end disagree on D"
        );
        assert_eq!(
            core.n_max, fe.n_max,
            "AttnHead: the core and the front end disagree on N_MAX"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_axis_w_tdata: Default::default(),
            s_axis_w_tuser: Default::default(),
            s_axis_w_tvalid: Default::default(),
            s_axis_w_tready: Default::default(),
            s_axis_k_tdata: Default::default(),
            s_axis_k_tuser: Default::default(),
            s_axis_k_tvalid: Default::default(),
            s_axis_k_tready: Default::default(),
            s_axis_k_tlast: Default::default(),
            s_axis_v_tdata: Default::default(),
            s_axis_v_tvalid: Default::default(),
            s_axis_v_tready: Default::default(),
            s_axis_v_tlast: Default::default(),
            s_axis_q_tdata: Default::default(),
            s_axis_q_tuser: Default::default(),
            s_axis_q_tvalid: Default::default(),
            s_axis_q_tready: Default::default(),
            s_axis_q_tlast: Default::default(),
            m_axis_tdata: Default::default(),
            m_axis_tuser: Default::default(),
            m_axis_tvalid: Default::default(),
            m_axis_tready: Default::default(),
            flush: Default::default(),
            fe: FrontEnd::new(fe, codebook),
            core: AttnV::new(core, variant).with_serial_producer(),
            k_done: Default::default(),
            v_done: Default::default(),
            w_done: Default::default(),
            w_count: Default::default(),
            q_end: Default::default(),
            core_free: Default::default(),
            q_gate: Default::default(),
        }
    }

    /// The same head with its multipliers split between DSP blocks and LUTs as `split` says
    /// ([`MultiplierSplit::score_luts_per_unit`] to the front end's score units,
    /// [`MultiplierSplit::lane_luts_per_lane`] to AttnV's lanes): the same outputs and cycles.
    /// Panics unless `split` was made for this head's D, P, K and variant.
    pub fn with_multiplier_split(mut self, split: &MultiplierSplit) -> Self {
        let d = KW / 8;
        let p = self.fe.lut_products().len();
        assert_eq!(
            (split.score, split.lane),
            (p * d, self.core.lane_multipliers()),
            "AttnHead: the multiplier split is not this head's (score products P x D = {} x {d}, lane products {})",
            p,
            self.core.lane_multipliers()
        );
        self.fe = self.fe.with_lut_products(&split.score_luts_per_unit(p));
        self.core = self.core.with_lut_multipliers(&split.lane_luts_per_lane(d));
        self
    }

    /// The core is offered a code beat together with V or a weight in this cycle (after
    /// `settle`), which [`AttnV::with_serial_producer`] rules out: for the tests.
    #[cfg(test)]
    pub(crate) fn core_offers_overlap(&self) -> bool {
        self.core.s_axis_c_tvalid.val()
            && (self.core.s_axis_v_tvalid.val() || self.core.s_axis_w_tvalid.val())
    }

    /// The products built in LUTs: the score units' and the lanes' (each summed).
    pub fn lut_products(&self) -> (usize, usize) {
        (
            self.fe.lut_products().iter().sum(),
            self.core.lut_multipliers().iter().sum(),
        )
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
    > Logic for AttnHead<KW, OW, A, ACC, RS, SB, SUMB>
{
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, k_done, v_done, w_done, w_count, q_end, core_free);
        self.fe.clock.next = self.clock.val();
        self.core.clock.next = self.clock.val();
        self.fe.reset.next = self.reset.val();
        self.core.reset.next = self.reset.val();
        // The one condition on the next head's V and weights: the front end holds no row of
        // the previous head (AttnV itself then waits for its rows to drain: one V bank). With
        // a double-buffered V in AttnV this condition is the one to relax. It is registered
        // (the front end's `busy` gated the V and weight readies, the D = 32 head's critical
        // path on the ECP5-85F): V and weights are taken only while their `done` flag is low,
        // from the cycle after a head's last Q row until their last beat, and the front end
        // cannot become busy in that window (its Q rows wait for those flags), so the register
        // differs from `busy` only when `busy` falls: the next head's V and weights start a
        // cycle later.
        self.core_free.d.next = !self.fe.busy.val();
        // Q waits for the head's weights, K and V (and not in the cycle after the head's last
        // row, while its flags are cleared).
        self.q_gate.next =
            self.k_done.q.val() & self.v_done.q.val() & self.w_done.q.val() & !self.q_end.q.val();
        // Keys.
        self.fe.s_axis_k_tdata.next = self.s_axis_k_tdata.val();
        self.fe.s_axis_k_tuser.next = self.s_axis_k_tuser.val();
        self.fe.s_axis_k_tlast.next = self.s_axis_k_tlast.val();
        self.fe.s_axis_k_tvalid.next = self.s_axis_k_tvalid.val() & !self.k_done.q.val();
        self.s_axis_k_tready.next = self.fe.s_axis_k_tready.val() & !self.k_done.q.val();
        if self.s_axis_k_tvalid.val() & self.s_axis_k_tready.val() & self.s_axis_k_tlast.val() {
            self.k_done.d.next = true;
        }
        // Values and weights.
        self.core.s_axis_v_tdata.next = self.s_axis_v_tdata.val();
        self.core.s_axis_v_tlast.next = self.s_axis_v_tlast.val();
        self.core.s_axis_v_tvalid.next =
            self.s_axis_v_tvalid.val() & !self.v_done.q.val() & self.core_free.q.val();
        self.s_axis_v_tready.next =
            self.core.s_axis_v_tready.val() & !self.v_done.q.val() & self.core_free.q.val();
        if self.s_axis_v_tvalid.val() & self.s_axis_v_tready.val() & self.s_axis_v_tlast.val() {
            self.v_done.d.next = true;
        }
        self.core.s_axis_w_tdata.next = self.s_axis_w_tdata.val();
        self.core.s_axis_w_tuser.next = self.s_axis_w_tuser.val();
        self.core.s_axis_w_tvalid.next =
            self.s_axis_w_tvalid.val() & !self.w_done.q.val() & self.core_free.q.val();
        self.s_axis_w_tready.next =
            self.core.s_axis_w_tready.val() & !self.w_done.q.val() & self.core_free.q.val();
        if self.s_axis_w_tvalid.val() & self.s_axis_w_tready.val() {
            self.w_count.d.next = self.w_count.q.val() + 1;
            if self.w_count.q.val() == 7 {
                self.w_done.d.next = true;
            }
        }
        // Queries; the last one ends the head.
        self.fe.s_axis_q_tdata.next = self.s_axis_q_tdata.val();
        self.fe.s_axis_q_tuser.next = self.s_axis_q_tuser.val();
        self.fe.s_axis_q_tvalid.next = self.s_axis_q_tvalid.val() & self.q_gate.val();
        self.s_axis_q_tready.next = self.fe.s_axis_q_tready.val() & self.q_gate.val();
        // The last row's handshake is registered, and the flags cleared a cycle later: the
        // Q ready (from the front end's hold register) then drives one register, not the
        // flags' logic (the head's critical path at P = 4 on the ECP5-85F). The next head's
        // K, V and weights cannot be taken in that cycle anyway: the row is held, so the
        // front end is busy.
        self.q_end.d.next =
            self.s_axis_q_tvalid.val() & self.s_axis_q_tready.val() & self.s_axis_q_tlast.val();
        if self.q_end.q.val() {
            self.k_done.d.next = false;
            self.v_done.d.next = false;
            self.w_done.d.next = false;
        }
        // Codes into the core; results out.
        self.core.s_axis_c_tdata.next = self.fe.m_axis_c_tdata.val();
        self.core.s_axis_c_tvalid.next = self.fe.m_axis_c_tvalid.val();
        self.core.s_axis_c_tlast.next = self.fe.m_axis_c_tlast.val();
        self.fe.m_axis_c_tready.next = self.core.s_axis_c_tready.val();
        self.m_axis_tdata.next = self.core.m_axis_tdata.val();
        self.m_axis_tuser.next = self.core.m_axis_tuser.val();
        self.m_axis_tvalid.next = self.core.m_axis_tvalid.val();
        self.core.m_axis_tready.next = self.m_axis_tready.val();
        if self.reset.val() | self.flush.val() {
            self.k_done.d.next = false;
            self.v_done.d.next = false;
            self.w_done.d.next = false;
            self.w_count.d.next = 0.into();
            self.q_end.d.next = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(expected = "AttnHead: the core and the front end disagree on N_MAX")]
    fn rejects_mismatched_n_max() {
        let core = CoreParams::new(4, 64, 16, 3).unwrap();
        let fe = FrontEndParams {
            d: 4,
            n_max: 128,
            ..Default::default()
        };
        let cb = Codebook::log(3, 1e-3).unwrap();
        let _ = AttnHead::<32, 120, 6, 30, 22, 18, 22>::new(&core, Variant::General, &fe, &cb);
    }

    #[test]
    fn uncompiled_head_is_an_error() {
        let core = CoreParams::new(16, 64, 16, 3).unwrap();
        let fe = FrontEndParams {
            d: 16,
            n_max: 64,
            ..Default::default()
        };
        let e = crate::head_verilog(&core, Variant::General, &fe, &Codebook::octave(3).unwrap())
            .unwrap_err();
        assert!(e
            .to_string()
            .starts_with("head: no compiled configuration for D = 16 and N_MAX = 64"));
    }
}
