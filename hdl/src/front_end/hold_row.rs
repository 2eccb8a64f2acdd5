//! `HoldRow`: the front end's query hold register, in slices that each keep their own full flag.

use crate::core::replica::KEEP;
use rust_hdl::prelude::*;

/// Bits of `q` behind one copy of the full flag.
pub const SLICE_BITS: usize = 64;

/// A `KW`-bit register that loads `d` on every cycle it is empty and holds it once full: `take`
/// (the query handshake) makes it full, `done` (S1's take) empty, `reset` empty; `take` wins
/// over `done` (the front end never asserts both). `full` is the flag.
///
/// The register is cut into slices of [`SLICE_BITS`] bits, each enabled by its own copy of the
/// flag (every copy the same; each carries yosys's `keep`, as
/// [`crate::core::replica::Replica`]): with one flag the enable of all `KW` bits (512 at
/// D = 64, spread over the die near the score units) was one net, 16.2 ns of routing on the
/// ECP5-85F at P = 4 (2026-12-06).
///
/// Hand-written Verilog leaf (the slices are a loop over a bus, which `hdl_gen` cannot write)
/// with a Rust `update` for rust-hdl's own simulator.
///
/// Inputs: `clock`, `reset`, `d` (`KW` bits), `take`, `done`.
/// Outputs: `q` (`KW` bits), `full`.
#[derive(LogicBlock)]
pub struct HoldRow<const KW: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub d: Signal<In, Bits<KW>>,
    pub take: Signal<In, Bit>,
    pub done: Signal<In, Bit>,
    pub q: Signal<Out, Bits<KW>>,
    pub full: Signal<Out, Bit>,
}

impl<const KW: usize> Default for HoldRow<KW> {
    fn default() -> Self {
        assert!(KW > 0, "HoldRow: KW must be positive");
        Self {
            clock: Default::default(),
            reset: Default::default(),
            d: Default::default(),
            take: Default::default(),
            done: Default::default(),
            q: Default::default(),
            full: Default::default(),
        }
    }
}

impl<const KW: usize> HoldRow<KW> {
    /// Copies of the full flag: one per [`SLICE_BITS`] bits of `q`.
    pub fn slices() -> usize {
        KW.div_ceil(SLICE_BITS)
    }
}

impl<const KW: usize> Logic for HoldRow<KW> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let full = self.full.val();
            if !full {
                self.q.next = self.d.val();
            }
            if self.reset.val() {
                self.full.next = false;
            } else if self.take.val() {
                self.full.next = true;
            } else if self.done.val() {
                self.full.next = false;
            }
        }
    }
    fn connect(&mut self) {
        self.q.connect();
        self.full.connect();
    }
    fn hdl(&self) -> Verilog {
        let n = Self::slices();
        let mut s = format!(
            "// {n} slices of up to {SLICE_BITS} bits, each enabled by its own copy of the full flag.
reg [{m}:0] f;
initial begin
   f = {n}'d0;
   q = {KW}'d0;
end
always @(*) full = f[0];
",
            m = n - 1
        );
        for i in 0..n {
            let lo = i * SLICE_BITS;
            let hi = (lo + SLICE_BITS).min(KW) - 1;
            s += &format!(
                "{KEEP} always @(posedge clock) begin
   if (reset) f[{i}] <= 1'b0;
   else if (take) f[{i}] <= 1'b1;
   else if (done) f[{i}] <= 1'b0;
end
always @(posedge clock) if (!f[{i}]) q[{hi}:{lo}] <= d[{hi}:{lo}];
"
            );
        }
        Verilog::Custom(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{rise, settle};
    use crate::verify::verilator_replay::replay;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// A 136-bit hold (three slices) behind 64-bit ports: `d = {0xa5, ~x, x}`.
    #[derive(LogicBlock)]
    struct Top {
        clock: Signal<In, Clock>,
        reset: Signal<In, Bit>,
        x: Signal<In, Bits<64>>,
        take: Signal<In, Bit>,
        done: Signal<In, Bit>,
        q_lo: Signal<Out, Bits<64>>,
        q_mid: Signal<Out, Bits<64>>,
        q_hi: Signal<Out, Bits<8>>,
        full: Signal<Out, Bit>,
        top: Constant<Bits<136>>,
        h: HoldRow<136>,
        nx: Signal<Local, Bits<64>>,
    }

    impl Logic for Top {
        #[hdl_gen]
        fn update(&mut self) {
            self.h.clock.next = self.clock.val();
            self.h.reset.next = self.reset.val();
            self.h.take.next = self.take.val();
            self.h.done.next = self.done.val();
            // Negated at 64 bits (Verilog would widen `~x` to 136 first).
            self.nx.next = !self.x.val();
            self.h.d.next = bit_cast::<136, 64>(self.x.val())
                | (bit_cast::<136, 64>(self.nx.val()) << 64)
                | self.top.val();
            self.q_lo.next = self.h.q.val().get_bits::<64>(0);
            self.q_mid.next = self.h.q.val().get_bits::<64>(64);
            self.q_hi.next = self.h.q.val().get_bits::<8>(128);
            self.full.next = self.h.full.val();
        }
    }

    fn top() -> Top {
        let mut uut = Top {
            clock: Default::default(),
            reset: Default::default(),
            x: Default::default(),
            take: Default::default(),
            done: Default::default(),
            q_lo: Default::default(),
            q_mid: Default::default(),
            q_hi: Default::default(),
            full: Default::default(),
            top: Constant::new(Bits::<136>::from(0xa5u64) << 128),
            h: Default::default(),
            nx: Default::default(),
        };
        uut.connect_all();
        uut
    }

    const INPUTS: [&str; 4] = ["x", "take", "done", "reset"];
    const OUTPUTS: [&str; 4] = ["q_lo", "q_mid", "q_hi", "full"];

    /// Random `[x, take, done, reset]`, `take` and `done` never together (as in the front end).
    fn stimulus(cycles: usize, seed: u64) -> Vec<Vec<u64>> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..cycles)
            .map(|_| {
                let (take, done) = match rng.gen_range(0..6) {
                    0 => (1, 0),
                    1 => (0, 1),
                    _ => (0, 0),
                };
                vec![rng.gen(), take, done, u64::from(rng.gen_bool(0.03))]
            })
            .collect()
    }

    /// The twin's outputs per cycle, before the edge.
    fn run_twin(stim: &[Vec<u64>]) -> Vec<Vec<u64>> {
        let mut uut = top();
        uut.clock.next = Clock { clk: false };
        stim.iter()
            .map(|s| {
                uut.x.next = s[0].into();
                uut.take.next = s[1] == 1;
                uut.done.next = s[2] == 1;
                uut.reset.next = s[3] == 1;
                settle(&mut uut);
                let out = vec![
                    uut.q_lo.val().to_u64(),
                    uut.q_mid.val().to_u64(),
                    uut.q_hi.val().to_u64(),
                    u64::from(uut.full.val()),
                ];
                rise(&mut uut, |u| &mut u.clock);
                out
            })
            .collect()
    }

    #[test]
    fn holds_what_it_loaded_when_set_until_cleared() {
        let stim = stimulus(4000, 31);
        let out = run_twin(&stim);
        // Reference: q follows d while empty; full from take to done or reset.
        let (mut q, mut full) = (None, false);
        for (c, s) in stim.iter().enumerate() {
            let want_q = q.map_or(vec![0, 0, 0], |x: u64| vec![x, !x, 0xa5]);
            assert_eq!(out[c][..3], want_q[..], "cycle {c}");
            assert_eq!(out[c][3] == 1, full, "cycle {c}");
            if !full {
                q = Some(s[0]);
            }
            full = if s[3] == 1 {
                false
            } else if s[1] == 1 {
                true
            } else if s[2] == 1 {
                false
            } else {
                full
            };
        }
        assert!(out.iter().filter(|o| o[3] == 1).count() > 1000);
    }

    #[test]
    fn each_slice_keeps_its_own_flag_and_verilator_agrees() {
        assert_eq!(HoldRow::<136>::slices(), 3);
        assert_eq!(HoldRow::<512>::slices(), 8);
        let uut = top();
        let v = generate_verilog(&uut);
        assert_eq!(v.matches("(* keep *) always @(posedge clock)").count(), 3);
        verilator_lint("hold_row", &v).unwrap();
        let stim = stimulus(3000, 32);
        let want = run_twin(&stim);
        let got = replay("hold_row", &v, "clock", &INPUTS, &OUTPUTS, &stim);
        assert_eq!(got, want);
    }
}
