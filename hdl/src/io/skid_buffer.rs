//! `SkidBuffer`: an AXI-Stream register slice that registers both directions.

use rust_hdl::prelude::*;

/// A two-entry AXI-Stream register slice: `m_axis_tdata`, `m_axis_tvalid` and `s_axis_tready`
/// are all flip-flops, so no combinational path runs through it in either direction (the
/// upstream never sees the downstream's `m_axis_tready`, the downstream never sees the
/// upstream's `s_axis_tvalid`). It passes a beat a cycle: a beat that arrives while the one
/// offered is held waits in the skid register, and `s_axis_tready` is low only while that
/// register is full. A beat takes one cycle from input to output. `tlast` travels with its
/// beat.
///
/// Const parameter: `W`, the data width.
///
/// Inputs: `clock`; `reset` (synchronous: empties it); `s_axis_tdata` (`W`), `s_axis_tvalid`,
/// `s_axis_tlast`; `m_axis_tready`.
/// Outputs: `s_axis_tready`; `m_axis_tdata` (`W`), `m_axis_tvalid`, `m_axis_tlast`.
#[derive(LogicBlock)]
pub struct SkidBuffer<const W: usize> {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// A beat in.
    pub s_axis_tdata: Signal<In, Bits<W>>,
    /// `s_axis_tdata` is valid.
    pub s_axis_tvalid: Signal<In, Bit>,
    /// The beat in is its packet's last.
    pub s_axis_tlast: Signal<In, Bit>,
    /// The beat in is taken (a register: the skid register is empty).
    pub s_axis_tready: Signal<Out, Bit>,
    /// A beat out (a register).
    pub m_axis_tdata: Signal<Out, Bits<W>>,
    /// `m_axis_tdata` is valid (a register).
    pub m_axis_tvalid: Signal<Out, Bit>,
    /// The beat out is its packet's last.
    pub m_axis_tlast: Signal<Out, Bit>,
    /// The beat out is taken.
    pub m_axis_tready: Signal<In, Bit>,
    /// The beat offered.
    out_data: DFF<Bits<W>>,
    out_valid: DFF<Bit>,
    out_last: DFF<Bit>,
    /// A beat waiting behind it.
    skid_data: DFF<Bits<W>>,
    skid_valid: DFF<Bit>,
    skid_last: DFF<Bit>,
    /// The output register is empty or emptied this cycle.
    out_free: Signal<Local, Bit>,
    /// A beat comes in this cycle.
    fire: Signal<Local, Bit>,
}

impl<const W: usize> SkidBuffer<W> {
    /// A register slice of `W` bits; panics with a clear message unless `W` is in 1..=4096.
    pub fn new() -> Self {
        assert!(
            (1..=4096).contains(&W),
            "SkidBuffer: the width must be in 1..=4096 bits, got {W}"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            s_axis_tdata: Default::default(),
            s_axis_tvalid: Default::default(),
            s_axis_tlast: Default::default(),
            s_axis_tready: Default::default(),
            m_axis_tdata: Default::default(),
            m_axis_tvalid: Default::default(),
            m_axis_tlast: Default::default(),
            m_axis_tready: Default::default(),
            out_data: Default::default(),
            out_valid: Default::default(),
            out_last: Default::default(),
            skid_data: Default::default(),
            skid_valid: Default::default(),
            skid_last: Default::default(),
            out_free: Default::default(),
            fire: Default::default(),
        }
    }
}

impl<const W: usize> Default for SkidBuffer<W> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const W: usize> Logic for SkidBuffer<W> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, out_data, out_valid, out_last, skid_data, skid_valid, skid_last);
        self.s_axis_tready.next = !self.skid_valid.q.val();
        self.m_axis_tdata.next = self.out_data.q.val();
        self.m_axis_tvalid.next = self.out_valid.q.val();
        self.m_axis_tlast.next = self.out_last.q.val();
        self.out_free.next = !self.out_valid.q.val() | self.m_axis_tready.val();
        self.fire.next = self.s_axis_tvalid.val() & !self.skid_valid.q.val();
        if self.out_free.val() {
            if self.skid_valid.q.val() {
                self.out_data.d.next = self.skid_data.q.val();
                self.out_last.d.next = self.skid_last.q.val();
                self.out_valid.d.next = true;
                self.skid_valid.d.next = false;
            } else if self.fire.val() {
                self.out_data.d.next = self.s_axis_tdata.val();
                self.out_last.d.next = self.s_axis_tlast.val();
                self.out_valid.d.next = true;
            } else {
                self.out_valid.d.next = false;
            }
        } else if self.fire.val() {
            self.skid_data.d.next = self.s_axis_tdata.val();
            self.skid_last.d.next = self.s_axis_tlast.val();
            self.skid_valid.d.next = true;
        }
        if self.reset.val() {
            self.out_valid.d.next = false;
            self.skid_valid.d.next = false;
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

    #[test]
    #[should_panic(expected = "SkidBuffer: the width must be in 1..=4096 bits, got 0")]
    fn rejects_a_zero_width() {
        let _ = SkidBuffer::<0>::new();
    }

    #[test]
    fn lints_clean() {
        let mut uut = SkidBuffer::<8>::new();
        uut.connect_all();
        verilator_lint("skid_buffer", &generate_verilog(&uut)).unwrap();
    }

    /// Streams `count` beats through with the upstream idle and the downstream holding at
    /// random (`p_valid`, `p_ready`), checking order and `tlast`, that nothing is lost or
    /// duplicated, that the upstream is held off only after the downstream held a beat, and
    /// that with both sides always willing a beat passes every cycle, one cycle late.
    fn stream(p_valid: f64, p_ready: f64, seed: u64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut uut = SkidBuffer::<12>::new();
        uut.connect_all();
        let count = 300u64;
        let (mut sent, mut got) = (0u64, 0u64);
        let mut offer = false;
        let mut last_out_cycle = None;
        let mut held = false;
        for cycle in 0..5000u64 {
            uut.reset.next = cycle == 0;
            if !offer && sent < count && cycle > 0 {
                offer = rng.gen_bool(p_valid);
            }
            uut.s_axis_tdata.next = (sent * 7 % 4096).into();
            uut.s_axis_tlast.next = sent % 5 == 4;
            uut.s_axis_tvalid.next = offer;
            uut.m_axis_tready.next = rng.gen_bool(p_ready);
            settle(&mut uut);
            assert!(
                uut.s_axis_tready.val() || held,
                "cycle {cycle}: held off with no beat held downstream"
            );
            held = uut.m_axis_tvalid.val() && !uut.m_axis_tready.val();
            if uut.m_axis_tvalid.val() && uut.m_axis_tready.val() {
                assert_eq!(
                    uut.m_axis_tdata.val().to_u64(),
                    got * 7 % 4096,
                    "beat {got}"
                );
                assert_eq!(uut.m_axis_tlast.val(), got % 5 == 4, "beat {got}'s tlast");
                if p_valid == 1.0 && p_ready == 1.0 {
                    // Full throughput, one cycle of latency.
                    assert_eq!(cycle, got + 2, "beat {got} left late");
                }
                got += 1;
                last_out_cycle = Some(cycle);
            }
            if offer && uut.s_axis_tready.val() {
                sent += 1;
                offer = false;
            }
            rise(&mut uut, |u| &mut u.clock);
        }
        assert_eq!(got, count, "beats lost or duplicated");
        assert!(last_out_cycle.is_some());
    }

    #[test]
    fn passes_every_beat_in_order_under_idle_and_back_pressure() {
        for seed in 0..4 {
            stream(1.0, 1.0, seed);
            stream(1.0, 0.5, seed);
            stream(0.5, 1.0, seed);
            stream(0.7, 0.3, seed);
        }
    }
}
