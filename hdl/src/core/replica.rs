//! `Replica`: a register that synthesis keeps apart from its twins.

use rust_hdl::prelude::*;

/// yosys's attribute that keeps a process's registers out of `opt_merge` (written before the
/// `always`): [`Replica::kept`] and [`crate::front_end::hold_row::HoldRow`]'s flag copies.
pub const KEEP: &str = "(* keep *)";

/// A D flip-flop, as rust-hdl's `DFF` (`q <= d` on the rising edge of `clock`, powering up as
/// `T::default()`), whose Verilog process carries yosys's `keep` attribute when built with
/// [`Replica::kept`].
///
/// yosys's `opt_merge` folds registers with the same input, clock and initial value into one.
/// So a broadcast register copied into every lane, each copy with the same input, comes out of
/// synthesis as one register driving every lane across the die: AttnV's code register fed every
/// octave lane's shifter that way, a 7.9 ns route in one hop at D = 64 on the ECP5-85F
/// (66.4 MHz out of context, 2026-12-06), and its accumulate flag every lane's adder. With
/// `keep`, each copy stays: the broadcast becomes register to register, and what the copy feeds
/// stays in the lane. Verilator and rust-hdl's simulator see a plain register.
///
/// [`Replica::default`] (no `keep`) is for a copy a configuration does not use (then synthesis
/// removes it, as it would a `DFF`'s).
///
/// Inputs: `clock`, `d`.
/// Outputs: `q`.
#[derive(Clone, Debug, LogicBlock)]
pub struct Replica<T: Synth> {
    pub d: Signal<In, T>,
    pub q: Signal<Out, T>,
    pub clock: Signal<In, Clock>,
    _kept: bool,
}

impl<T: Synth> Default for Replica<T> {
    fn default() -> Self {
        Self {
            d: Default::default(),
            q: Default::default(),
            clock: Default::default(),
            _kept: false,
        }
    }
}

impl<T: Synth> Replica<T> {
    /// A register yosys keeps (`(* keep *)` on its process), even where another has the same
    /// input.
    pub fn kept() -> Self {
        Self {
            _kept: true,
            ..Default::default()
        }
    }

    /// Whether synthesis keeps it apart from its twins.
    pub fn is_kept(&self) -> bool {
        self._kept
    }
}

impl<T: Synth> Logic for Replica<T> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            self.q.next = self.d.val();
        }
    }
    fn connect(&mut self) {
        self.q.connect();
    }
    fn hdl(&self) -> Verilog {
        let attr = if self._kept {
            format!("{KEEP} ")
        } else {
            String::new()
        };
        Verilog::Custom(format!(
            "initial begin
   q = {init:x};
end

{attr}always @(posedge clock) begin
   q <= d;
end
",
            init = T::default().verilog()
        ))
    }
    fn timing(&self) -> Vec<TimingInfo> {
        vec![TimingInfo {
            name: "replica".into(),
            clock: "clock".into(),
            inputs: vec!["d".into()],
            outputs: vec!["q".into()],
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{rise, settle};

    /// Two replicas of one input, as a lane pair has them.
    #[derive(LogicBlock)]
    struct Twins {
        clock: Signal<In, Clock>,
        d: Signal<In, Bits<3>>,
        a: Signal<Out, Bits<3>>,
        b: Signal<Out, Bits<3>>,
        ra: Replica<Bits<3>>,
        rb: Replica<Bits<3>>,
    }

    impl Logic for Twins {
        #[hdl_gen]
        fn update(&mut self) {
            self.ra.clock.next = self.clock.val();
            self.rb.clock.next = self.clock.val();
            self.ra.d.next = self.d.val();
            self.rb.d.next = self.d.val();
            self.a.next = self.ra.q.val();
            self.b.next = self.rb.q.val();
        }
    }

    fn twins(kept: bool) -> Twins {
        let r = || {
            if kept {
                Replica::kept()
            } else {
                Replica::default()
            }
        };
        Twins {
            clock: Default::default(),
            d: Default::default(),
            a: Default::default(),
            b: Default::default(),
            ra: r(),
            rb: r(),
        }
    }

    #[test]
    fn registers_d_on_the_rising_edge_from_zero() {
        for kept in [false, true] {
            let mut uut = twins(kept);
            uut.connect_all();
            uut.clock.next = Clock { clk: false };
            uut.d.next = 5.into();
            settle(&mut uut);
            assert_eq!((uut.a.val(), uut.b.val()), (0.into(), 0.into()));
            for x in [5u64, 2, 7, 0] {
                uut.d.next = x.into();
                settle(&mut uut);
                rise(&mut uut, |u| &mut u.clock);
                uut.d.next = 3.into();
                settle(&mut uut);
                assert_eq!(
                    (uut.a.val(), uut.b.val()),
                    (x.into(), x.into()),
                    "kept {kept}"
                );
            }
        }
    }

    #[test]
    fn only_a_kept_replica_carries_keep_and_both_lint_clean() {
        for kept in [false, true] {
            let mut uut = twins(kept);
            uut.connect_all();
            let v = generate_verilog(&uut);
            assert_eq!(
                v.matches("(* keep *) always @(posedge clock)").count(),
                2 * usize::from(kept)
            );
            assert_eq!(uut.ra.is_kept(), kept);
            verilator_lint(&format!("replica_{kept}"), &v).unwrap();
        }
    }
}
