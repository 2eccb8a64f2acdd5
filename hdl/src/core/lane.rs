//! `Lane`: one column of V: its multiplier (or shifter) and its accumulator.

use crate::core::mul16x8::Mul16x8;
use rust_hdl::prelude::*;

/// One lane l of the AttnV datapath.
///
/// At stage T3 the parent gives `v = Vq[j][l]` (from the shared V block RAM) and the token's
/// weight `w`, both registered here at T4 (so no path runs from the block RAM or the weight
/// broadcast through the multiplier), and at T4 the token's code; the product `w * Vq[j][l]`
/// (General: `Mul16x8`, which registers its own operands; Octave:
/// `sext(Vq) << (c-1)`, 0 for c = 0, no multiplier) is registered at T5, where it is accumulated:
/// `acc = (acc_cont ? acc : 0) + p`. With `acc_last` the sum also goes to the output register
/// `out`, so the next row starts without a bubble (`acc_cont` low: load instead of add).
/// [`Lane::with_lut_multiplier`] builds the General lane's multiplier in LUTs (the same cycles
/// and sums).
///
/// Inputs: `clock`; `v` (8 bits, two's complement), `w` (16 bits) at T3; `code` (3 bits) at T4;
/// `acc_valid`, `acc_last`, `acc_cont` at T5.
/// Outputs: `out` (`ACC` bits, two's complement): the last completed row's sum.
#[derive(LogicBlock)]
pub struct Lane<const ACC: usize> {
    pub clock: Signal<In, Clock>,
    pub v: Signal<In, Bits<8>>,
    pub w: Signal<In, Bits<16>>,
    pub code: Signal<In, Bits<3>>,
    pub acc_valid: Signal<In, Bit>,
    pub acc_last: Signal<In, Bit>,
    pub acc_cont: Signal<In, Bit>,
    pub out: Signal<Out, Bits<ACC>>,
    vr: DFF<Bits<8>>,
    mul: Mul16x8<ACC>,
    oct: DFF<Bits<ACC>>,
    acc: DFF<Bits<ACC>>,
    outr: DFF<Bits<ACC>>,
    octave: Constant<Bit>,
    sext: Constant<Bits<ACC>>,
    sv: Signal<Local, Bits<ACC>>,
    p: Signal<Local, Bits<ACC>>,
    sum: Signal<Local, Bits<ACC>>,
}

impl<const ACC: usize> Lane<ACC> {
    /// A lane; `octave` builds the shift-only datapath (no multiplier). `define_mul_core`: this
    /// lane's multiplier emits the multiplier module's definition (exactly one lane per design).
    pub fn new(octave: bool, define_mul_core: bool) -> Self {
        assert!(
            (25..=64).contains(&ACC),
            "Lane: ACC must be in 25..=64, got {ACC}"
        );
        Self {
            clock: Default::default(),
            v: Default::default(),
            w: Default::default(),
            code: Default::default(),
            acc_valid: Default::default(),
            acc_last: Default::default(),
            acc_cont: Default::default(),
            out: Default::default(),
            vr: Default::default(),
            mul: if octave {
                Mul16x8::disabled()
            } else {
                Mul16x8::new(define_mul_core)
            },
            oct: Default::default(),
            acc: Default::default(),
            outr: Default::default(),
            octave: Constant::new(octave),
            sext: Constant::new(0x80u64.into()),
            sv: Default::default(),
            p: Default::default(),
            sum: Default::default(),
        }
    }
    /// The same lane with its multiplier built in LUTs ([`Mul16x8::in_luts`]; it still defines
    /// the DSP multiplier's module if `define_mul_core` was set). Panics on an octave lane,
    /// which has no multiplier.
    pub fn with_lut_multiplier(mut self) -> Self {
        assert!(
            !self.octave.val(),
            "Lane: an octave lane has no multiplier to build in LUTs"
        );
        self.mul = self.mul.in_luts();
        self
    }
}

impl<const ACC: usize> Logic for Lane<ACC> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, vr, oct, acc, outr);
        self.vr.d.next = self.v.val();
        // General: registered multiplier.
        self.mul.clock.next = self.clock.val();
        self.mul.w.next = self.w.val();
        self.mul.v.next = self.v.val();
        // Octave: sign-extend, shift by c - 1.
        // Branch-free sign extension: (zext(v) ^ 0x80) - 0x80, modulo 2^ACC.
        self.sv.next = (bit_cast::<ACC, 8>(self.vr.q.val()) ^ self.sext.val()) - self.sext.val();
        self.oct.d.next = 0.into();
        if self.octave.val() & self.code.val().any() {
            self.oct.d.next = self.sv.val() << (self.code.val() - 1);
        }
        if self.octave.val() {
            self.p.next = self.oct.q.val();
        } else {
            self.p.next = self.mul.p.val();
        }
        // Accumulate at T5.
        if self.acc_cont.val() {
            self.sum.next = self.acc.q.val() + self.p.val();
        } else {
            self.sum.next = self.p.val();
        }
        if self.acc_valid.val() {
            self.acc.d.next = self.sum.val();
            if self.acc_last.val() {
                self.outr.d.next = self.sum.val();
            }
        }
        self.out.next = self.outr.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{rise, settle, signed_field};
    use crate::verify::verilator_replay::replay;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    type L = Lane<30>;

    /// A token: position, code, weight, row end.
    type Tok = (usize, u8, u32, bool);

    /// Streams `toks` (None = idle cycle) through the T3/T4/T5 stages exactly as AttnV does, with
    /// `v = col[j]` at T3; returns `out` after each row end.
    fn run(octave: bool, col: &[i8], toks: &[Option<Tok>]) -> Vec<i64> {
        let mut uut = L::new(octave, true);
        uut.connect_all();
        uut.clock.next = Clock { clk: false };
        let mut outs = vec![];
        let mut cont = false;
        let mut pending_out = false;
        for c in 0..toks.len() + 4 {
            let at = |k: isize| {
                if k >= 0 && (k as usize) < toks.len() {
                    toks[k as usize]
                } else {
                    None
                }
            };
            let (t3, t4, t5) = (at(c as isize - 1), at(c as isize - 2), at(c as isize - 3));
            uut.v.next = (t3.map_or(0, |t| col[t.0] as u8) as u64).into();
            uut.w.next = (t3.map_or(0, |t| t.2) as u64).into();
            uut.code.next = (t4.map_or(0, |t| t.1) as u64).into();
            uut.acc_valid.next = t5.is_some();
            uut.acc_last.next = t5.is_some_and(|t| t.3);
            uut.acc_cont.next = cont;
            settle(&mut uut);
            if pending_out {
                outs.push(signed_field(uut.out.val(), 0, 30));
                pending_out = false;
            }
            rise(&mut uut, |u| &mut u.clock);
            if let Some(t) = t5 {
                cont = !t.3;
                pending_out = t.3;
            }
        }
        settle(&mut uut);
        if pending_out {
            outs.push(signed_field(uut.out.val(), 0, 30));
        }
        outs
    }

    fn expect(octave: bool, col: &[i8], toks: &[Option<Tok>]) -> Vec<i64> {
        let mut outs = vec![];
        let mut acc = 0i64;
        for &(j, c, w, last) in toks.iter().flatten() {
            let w = if c == 0 {
                0
            } else if octave {
                1 << (c - 1)
            } else {
                w as i64
            };
            acc += w * col[j] as i64;
            if last {
                outs.push(acc);
                acc = 0;
            }
        }
        outs
    }

    fn random_case(rng: &mut StdRng) -> (Vec<i8>, Vec<Option<Tok>>) {
        let col: Vec<i8> = (0..64).map(|_| rng.gen_range(-127..=127)).collect();
        let mut toks: Vec<Option<Tok>> = (0..300)
            .map(|_| {
                if rng.gen_bool(0.2) {
                    None
                } else {
                    // As from the WeightTable: code 0 has weight 0.
                    let c = rng.gen_range(0..8);
                    let w = if c == 0 {
                        0
                    } else if rng.gen_bool(0.3) {
                        65535
                    } else {
                        rng.gen_range(0..65536)
                    };
                    Some((rng.gen_range(0..64), c, w, rng.gen_bool(0.1)))
                }
            })
            .collect();
        toks.push(Some((5, 7, 65535, true)));
        (col, toks)
    }

    #[test]
    fn multiply_accumulate_is_exact() {
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..3 {
            let (col, toks) = random_case(&mut rng);
            let want = expect(false, &col, &toks);
            assert!(want.len() > 10 && want.iter().any(|&x| x.abs() > 1 << 20));
            assert_eq!(run(false, &col, &toks), want);
        }
    }

    #[test]
    fn shift_accumulate_is_exact() {
        let mut rng = StdRng::seed_from_u64(4);
        for _ in 0..3 {
            let (col, toks) = random_case(&mut rng);
            assert_eq!(run(true, &col, &toks), expect(true, &col, &toks));
        }
    }

    #[test]
    fn unit_weight_passes_v_through() {
        // One-token rows with weight 1 (General) or code 1 (Octave, 2^0): out = Vq[j].
        let col: Vec<i8> = (0..64)
            .map(|j| (j as i8 * 37).wrapping_sub(100).max(-127))
            .collect();
        let toks: Vec<Option<Tok>> = (0..64).map(|j| Some((63 - j, 1, 1, true))).collect();
        let want: Vec<i64> = (0..64).map(|j| col[63 - j] as i64).collect();
        assert_eq!(run(false, &col, &toks), want);
        assert_eq!(run(true, &col, &toks), want);
    }

    #[test]
    fn accumulator_reaches_the_worst_case_without_overflow() {
        // N_MAX = 64 tokens of 65535 * -127 (ACC = 30 bits holds -2^29 .. 2^29 - 1).
        let col = vec![-127i8; 64];
        let toks: Vec<Option<Tok>> = (0..64).map(|j| Some((j, 3, 65535, j == 63))).collect();
        assert_eq!(run(false, &col, &toks), vec![-64 * 65535 * 127]);
    }

    #[test]
    fn lane_verilog_lints_clean() {
        for octave in [false, true] {
            let mut uut = L::new(octave, true);
            uut.connect_all();
            verilator_lint(&format!("lane_{octave}"), &generate_verilog(&uut)).unwrap();
        }
        for define in [false, true] {
            let mut uut = L::new(false, define).with_lut_multiplier();
            uut.connect_all();
            let v = generate_verilog(&uut);
            assert_eq!(v.contains("module logattn_mul16x8_30("), define);
            verilator_lint(&format!("lane_lut_{define}"), &v).unwrap();
        }
    }

    /// Random per-cycle inputs `[v, w, code, acc_valid, acc_last, acc_cont]` (weights and
    /// bytes often at their extremes).
    fn random_inputs(cycles: usize, seed: u64) -> Vec<Vec<u64>> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..cycles)
            .map(|_| {
                let v = [0x80, 0x7f, 0xff, 0, rng.gen_range(0..256)][rng.gen_range(0..5)];
                let w = [0, 1, 65535, 32768, rng.gen_range(0..65536)][rng.gen_range(0..5)];
                vec![
                    v,
                    w,
                    rng.gen_range(0..8),
                    u64::from(rng.gen_bool(0.8)),
                    u64::from(rng.gen_bool(0.1)),
                    u64::from(rng.gen_bool(0.9)),
                ]
            })
            .collect()
    }

    const INPUTS: [&str; 6] = ["v", "w", "code", "acc_valid", "acc_last", "acc_cont"];

    /// The twin's `out` per cycle.
    fn run_twin(mut uut: L, stim: &[Vec<u64>]) -> Vec<Vec<u64>> {
        uut.connect_all();
        stim.iter()
            .map(|s| {
                uut.v.next = s[0].into();
                uut.w.next = s[1].into();
                uut.code.next = s[2].into();
                uut.acc_valid.next = s[3] == 1;
                uut.acc_last.next = s[4] == 1;
                uut.acc_cont.next = s[5] == 1;
                settle(&mut uut);
                let out = vec![uut.out.val().to_u64()];
                rise(&mut uut, |u| &mut u.clock);
                out
            })
            .collect()
    }

    #[test]
    fn lut_and_dsp_lanes_match_the_twin_in_verilator() {
        let stim = random_inputs(6000, 18);
        let want = run_twin(L::new(false, true), &stim);
        assert!(want.iter().filter(|o| o[0] != 0).count() > 300);
        for lut in [false, true] {
            let mut uut = L::new(false, true);
            if lut {
                uut = uut.with_lut_multiplier();
            }
            uut.connect_all();
            let got = replay(
                &format!("lane_lut_{lut}"),
                &generate_verilog(&uut),
                "clock",
                &INPUTS,
                &["out"],
                &stim,
            );
            assert_eq!(got, want, "LUT multiplier: {lut}");
        }
    }

    #[test]
    #[should_panic(expected = "Lane: an octave lane has no multiplier to build in LUTs")]
    fn an_octave_lane_has_no_lut_multiplier() {
        let _ = L::new(true, false).with_lut_multiplier();
    }
}
