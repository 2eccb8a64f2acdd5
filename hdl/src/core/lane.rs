//! `Lane`: one column of V: its multipliers (or shifters) and its accumulator.

use crate::core::mul16x8::Mul16x8;
use crate::core::replica::Replica;
use rust_hdl::prelude::*;

/// One lane l of the AttnV datapath, adding K = 1 or 2 products a cycle.
///
/// At stage T3 the parent gives `v = Vq[j][l]` (from the V block RAM), the token's weight `w`
/// and its code, all registered here at T4 (so no path runs from the block RAM or the weight
/// broadcast through the multiplier, and the code's decode is the lane's own); the product
/// `w * Vq[j][l]` (General:
/// `Mul16x8`, which registers its own operands; Octave: `sext(Vq) << (c-1)`, 0 for c = 0, no
/// multiplier) is registered at T5, where it is accumulated: `acc = (cont ? acc : 0) + p`.
/// With K = 2 ([`Lane::new`]'s `k`) the cycle's second token comes on `v_b`, `w_b`, `code_b`
/// the same way, through a second multiplier (or shifter), and both products are added at T5:
/// `acc = (cont ? acc : 0) + p + p_b` (the same latency as K = 1). With K = 1 the `_b`
/// inputs are ignored and no second multiplier is built.
/// The token's `acc_valid` and `acc_last` come at T4 and are registered here for T5; `cont`
/// (add to the row so far, rather than start a row) is the lane's own register: it follows the
/// last accumulated token (`!last`) and is cleared by `reset`, as AttnV's row sum's. With
/// the last token the sum also goes to the output register `out`, so the next row starts
/// without a bubble.
/// The code and these controls are [`Replica::kept`] registers: every lane has them, the same
/// in each, and synthesis keeps each lane's (one register driving every lane crossed the die).
/// [`Lane::with_lut_multipliers`] builds General multipliers in LUTs (the same cycles and
/// sums).
///
/// Inputs: `clock`; `reset` (synchronous: no token at T5 next cycle, the next row starts
/// afresh); `v`, `v_b` (8 bits, two's complement), `w`, `w_b` (16 bits), `code`, `code_b`
/// (3 bits) at T3; `acc_valid`, `acc_last` at T4.
/// Outputs: `out` (`ACC` bits, two's complement): the last completed row's sum.
#[derive(LogicBlock)]
pub struct Lane<const ACC: usize> {
    pub clock: Signal<In, Clock>,
    pub reset: Signal<In, Bit>,
    pub v: Signal<In, Bits<8>>,
    pub w: Signal<In, Bits<16>>,
    pub code: Signal<In, Bits<3>>,
    pub v_b: Signal<In, Bits<8>>,
    pub w_b: Signal<In, Bits<16>>,
    pub code_b: Signal<In, Bits<3>>,
    pub acc_valid: Signal<In, Bit>,
    pub acc_last: Signal<In, Bit>,
    pub out: Signal<Out, Bits<ACC>>,
    code_r: Replica<Bits<3>>,
    code_b_r: Replica<Bits<3>>,
    valid_r: Replica<Bit>,
    last_r: Replica<Bit>,
    cont: Replica<Bit>,
    vr: DFF<Bits<8>>,
    vr_b: DFF<Bits<8>>,
    mul: Mul16x8<ACC>,
    mul_b: Mul16x8<ACC>,
    oct: DFF<Bits<ACC>>,
    oct_b: DFF<Bits<ACC>>,
    acc: DFF<Bits<ACC>>,
    outr: DFF<Bits<ACC>>,
    octave: Constant<Bit>,
    two: Constant<Bit>,
    sext: Constant<Bits<ACC>>,
    sv: Signal<Local, Bits<ACC>>,
    sv_b: Signal<Local, Bits<ACC>>,
    p: Signal<Local, Bits<ACC>>,
    p_b: Signal<Local, Bits<ACC>>,
    pp: Signal<Local, Bits<ACC>>,
    sum: Signal<Local, Bits<ACC>>,
}

impl<const ACC: usize> Lane<ACC> {
    /// A lane adding `k` (1 or 2) products a cycle; `octave` builds the shift-only datapath (no
    /// multiplier). `define_mul_core`: this lane's (first) multiplier emits the multiplier
    /// module's definition (exactly one lane per design).
    pub fn new(octave: bool, k: usize, define_mul_core: bool) -> Self {
        assert!(
            (25..=64).contains(&ACC),
            "Lane: ACC must be in 25..=64, got {ACC}"
        );
        assert!(k == 1 || k == 2, "Lane: K must be 1 or 2, got {k}");
        // The code registers only where the code is used: the shifters of an octave lane.
        let code = |used: bool| {
            if used {
                Replica::kept()
            } else {
                Replica::default()
            }
        };
        let mul = |define: bool| {
            if octave {
                Mul16x8::disabled()
            } else {
                Mul16x8::new(define)
            }
        };
        Self {
            clock: Default::default(),
            reset: Default::default(),
            v: Default::default(),
            w: Default::default(),
            code: Default::default(),
            v_b: Default::default(),
            w_b: Default::default(),
            code_b: Default::default(),
            acc_valid: Default::default(),
            acc_last: Default::default(),
            out: Default::default(),
            code_r: code(octave),
            code_b_r: code(octave && k == 2),
            valid_r: Replica::kept(),
            last_r: Replica::kept(),
            cont: Replica::kept(),
            vr: Default::default(),
            vr_b: Default::default(),
            mul: mul(define_mul_core),
            mul_b: if k == 2 {
                mul(false)
            } else {
                Mul16x8::disabled()
            },
            oct: Default::default(),
            oct_b: Default::default(),
            acc: Default::default(),
            outr: Default::default(),
            octave: Constant::new(octave),
            two: Constant::new(k == 2),
            sext: Constant::new(0x80u64.into()),
            sv: Default::default(),
            sv_b: Default::default(),
            p: Default::default(),
            p_b: Default::default(),
            pp: Default::default(),
            sum: Default::default(),
        }
    }

    /// Products a cycle, K.
    pub fn k(&self) -> usize {
        if self.two.val() {
            2
        } else {
            1
        }
    }

    /// The same lane with its first `count` multipliers (0..=K) built in LUTs
    /// ([`Mul16x8::in_luts`]; the first still defines the DSP multiplier's module if
    /// `define_mul_core` was set). Panics on an octave lane (no multipliers) or if `count`
    /// exceeds K.
    pub fn with_lut_multipliers(mut self, count: usize) -> Self {
        assert!(
            !self.octave.val(),
            "Lane: an octave lane has no multiplier to build in LUTs"
        );
        assert!(
            count <= self.k(),
            "Lane: {count} LUT multipliers asked of a lane of {} multipliers",
            self.k()
        );
        if count >= 1 {
            self.mul = self.mul.in_luts();
        }
        if count >= 2 {
            self.mul_b = self.mul_b.in_luts();
        }
        self
    }

    /// Its multipliers: K, or none in an octave lane.
    pub fn multipliers(&self) -> usize {
        if self.octave.val() {
            0
        } else {
            self.k()
        }
    }

    /// How many of its multipliers are built in LUTs.
    pub fn lut_multipliers(&self) -> usize {
        usize::from(self.mul.is_in_luts()) + usize::from(self.mul_b.is_in_luts())
    }

    /// The same lane with all its multipliers built in LUTs
    /// ([`Lane::with_lut_multipliers`] of K).
    pub fn with_lut_multiplier(self) -> Self {
        let k = self.k();
        self.with_lut_multipliers(k)
    }
}

impl<const ACC: usize> Logic for Lane<ACC> {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, vr, vr_b, oct, oct_b, acc, outr);
        self.code_r.clock.next = self.clock.val();
        self.code_b_r.clock.next = self.clock.val();
        self.valid_r.clock.next = self.clock.val();
        self.last_r.clock.next = self.clock.val();
        self.cont.clock.next = self.clock.val();
        self.code_r.d.next = self.code.val();
        self.code_b_r.d.next = self.code_b.val();
        self.valid_r.d.next = self.acc_valid.val() & !self.reset.val();
        self.last_r.d.next = self.acc_last.val();
        self.cont.d.next = self.cont.q.val();
        if self.valid_r.q.val() {
            self.cont.d.next = !self.last_r.q.val();
        }
        if self.reset.val() {
            self.cont.d.next = false;
        }
        self.vr.d.next = self.v.val();
        self.vr_b.d.next = self.v_b.val();
        // General: registered multipliers.
        self.mul.clock.next = self.clock.val();
        self.mul.w.next = self.w.val();
        self.mul.v.next = self.v.val();
        self.mul_b.clock.next = self.clock.val();
        self.mul_b.w.next = self.w_b.val();
        self.mul_b.v.next = self.v_b.val();
        // Octave: sign-extend, shift by c - 1.
        // Branch-free sign extension: (zext(v) ^ 0x80) - 0x80, modulo 2^ACC.
        self.sv.next = (bit_cast::<ACC, 8>(self.vr.q.val()) ^ self.sext.val()) - self.sext.val();
        self.sv_b.next =
            (bit_cast::<ACC, 8>(self.vr_b.q.val()) ^ self.sext.val()) - self.sext.val();
        self.oct.d.next = 0.into();
        if self.octave.val() & self.code_r.q.val().any() {
            self.oct.d.next = self.sv.val() << (self.code_r.q.val() - 1);
        }
        self.oct_b.d.next = 0.into();
        if self.octave.val() & self.two.val() & self.code_b_r.q.val().any() {
            self.oct_b.d.next = self.sv_b.val() << (self.code_b_r.q.val() - 1);
        }
        if self.octave.val() {
            self.p.next = self.oct.q.val();
            self.p_b.next = self.oct_b.q.val();
        } else {
            self.p.next = self.mul.p.val();
            self.p_b.next = self.mul_b.p.val();
        }
        // Accumulate at T5: both products with K = 2.
        if self.two.val() {
            self.pp.next = self.p.val() + self.p_b.val();
        } else {
            self.pp.next = self.p.val();
        }
        if self.cont.q.val() {
            self.sum.next = self.acc.q.val() + self.pp.val();
        } else {
            self.sum.next = self.pp.val();
        }
        if self.valid_r.q.val() {
            self.acc.d.next = self.sum.val();
            if self.last_r.q.val() {
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

    /// A token: position, code, weight.
    type Tok = (usize, u8, u32);
    /// A cycle's issue: one token, a second with K = 2, and whether it ends the row.
    type Issue = Option<(Tok, Option<Tok>, bool)>;

    /// Streams `issues` (None = idle cycle) through the T3/T4/T5 stages exactly as AttnV does,
    /// with `v = col[j]` and the code at T3, the token's valid and last at T4; with `reset_at`,
    /// `reset` is high in that cycle (the token at T4 then is never accumulated, and the next
    /// one starts a row). Returns `out` after each row end.
    fn run_reset(
        octave: bool,
        k: usize,
        col: &[i8],
        issues: &[Issue],
        reset_at: Option<usize>,
    ) -> Vec<i64> {
        let mut uut = L::new(octave, k, true);
        uut.connect_all();
        uut.clock.next = Clock { clk: false };
        let mut outs = vec![];
        let mut pending_out = false;
        for c in 0..issues.len() + 4 {
            let at = |k: isize| {
                if k >= 0 && (k as usize) < issues.len() {
                    issues[k as usize]
                } else {
                    None
                }
            };
            let (t3, t4, t5) = (at(c as isize - 1), at(c as isize - 2), at(c as isize - 3));
            let a = |i: Issue| i.map(|i| i.0);
            let b = |i: Issue| i.and_then(|i| i.1);
            uut.reset.next = reset_at == Some(c);
            uut.v.next = (a(t3).map_or(0, |t| col[t.0] as u8) as u64).into();
            uut.w.next = (a(t3).map_or(0, |t| t.2) as u64).into();
            uut.code.next = (a(t3).map_or(0, |t| t.1) as u64).into();
            uut.v_b.next = (b(t3).map_or(0, |t| col[t.0] as u8) as u64).into();
            uut.w_b.next = (b(t3).map_or(0, |t| t.2) as u64).into();
            uut.code_b.next = (b(t3).map_or(0, |t| t.1) as u64).into();
            uut.acc_valid.next = t4.is_some();
            uut.acc_last.next = t4.is_some_and(|t| t.2);
            settle(&mut uut);
            if pending_out {
                outs.push(signed_field(uut.out.val(), 0, 30));
                pending_out = false;
            }
            rise(&mut uut, |u| &mut u.clock);
            let reset_hit = reset_at == Some(c.wrapping_sub(1));
            if let Some(t) = t5.filter(|_| !reset_hit) {
                pending_out = t.2;
            }
        }
        settle(&mut uut);
        if pending_out {
            outs.push(signed_field(uut.out.val(), 0, 30));
        }
        outs
    }

    fn run(octave: bool, k: usize, col: &[i8], issues: &[Issue]) -> Vec<i64> {
        run_reset(octave, k, col, issues, None)
    }

    /// The row sums of `issues`; with `reset_at` = r, issue r - 2 (at T4 in cycle r) is
    /// dropped and the row so far with it.
    fn expect_reset(
        octave: bool,
        col: &[i8],
        issues: &[Issue],
        reset_at: Option<usize>,
    ) -> Vec<i64> {
        let mut outs = vec![];
        let mut acc = 0i64;
        let product = |(j, c, w): Tok| {
            let w = if c == 0 {
                0
            } else if octave {
                1 << (c - 1)
            } else {
                w as i64
            };
            w * col[j] as i64
        };
        for (i, issue) in issues.iter().enumerate() {
            if reset_at == Some(i + 2) {
                acc = 0;
                continue;
            }
            if let Some((a, b, last)) = *issue {
                acc += product(a) + b.map_or(0, product);
                if last {
                    outs.push(acc);
                    acc = 0;
                }
            }
        }
        outs
    }

    fn expect(octave: bool, col: &[i8], issues: &[Issue]) -> Vec<i64> {
        expect_reset(octave, col, issues, None)
    }

    fn random_tok(rng: &mut StdRng) -> Tok {
        // As from the WeightTable: code 0 has weight 0.
        let c = rng.gen_range(0..8);
        let w = if c == 0 {
            0
        } else if rng.gen_bool(0.3) {
            65535
        } else {
            rng.gen_range(0..65536)
        };
        (rng.gen_range(0..64), c, w)
    }

    fn random_case(rng: &mut StdRng, k: usize) -> (Vec<i8>, Vec<Issue>) {
        let col: Vec<i8> = (0..64).map(|_| rng.gen_range(-127..=127)).collect();
        let mut issues: Vec<Issue> = (0..300)
            .map(|_| {
                if rng.gen_bool(0.2) {
                    None
                } else {
                    let a = random_tok(rng);
                    let b = (k == 2 && rng.gen_bool(0.8)).then(|| random_tok(rng));
                    Some((a, b, rng.gen_bool(0.1)))
                }
            })
            .collect();
        issues.push(Some((
            (5, 7, 65535),
            (k == 2).then_some((6, 7, 65535)),
            true,
        )));
        (col, issues)
    }

    #[test]
    fn multiply_accumulate_is_exact() {
        let mut rng = StdRng::seed_from_u64(3);
        for k in [1, 2] {
            for _ in 0..3 {
                let (col, issues) = random_case(&mut rng, k);
                let want = expect(false, &col, &issues);
                assert!(want.len() > 10 && want.iter().any(|&x| x.abs() > 1 << 20));
                assert_eq!(run(false, k, &col, &issues), want, "K = {k}");
            }
        }
    }

    #[test]
    fn shift_accumulate_is_exact() {
        let mut rng = StdRng::seed_from_u64(4);
        for k in [1, 2] {
            for _ in 0..3 {
                let (col, issues) = random_case(&mut rng, k);
                let want = expect(true, &col, &issues);
                assert_eq!(run(true, k, &col, &issues), want, "K = {k}");
            }
        }
    }

    #[test]
    fn a_one_product_lane_ignores_the_second_token() {
        // K = 1: whatever comes on the `_b` inputs is not added.
        let mut rng = StdRng::seed_from_u64(5);
        let (col, issues) = random_case(&mut rng, 2);
        let only_a: Vec<Issue> = issues
            .iter()
            .map(|i| i.map(|(a, _, l)| (a, None, l)))
            .collect();
        for octave in [false, true] {
            assert_eq!(run(octave, 1, &col, &issues), expect(octave, &col, &only_a));
        }
    }

    #[test]
    fn unit_weight_passes_v_through() {
        // One-token rows with weight 1 (General) or code 1 (Octave, 2^0): out = Vq[j]; with
        // K = 2, a second token of code 0 adds nothing.
        let col: Vec<i8> = (0..64)
            .map(|j| (j as i8 * 37).wrapping_sub(100).max(-127))
            .collect();
        let want: Vec<i64> = (0..64).map(|j| col[63 - j] as i64).collect();
        for k in [1, 2] {
            let issues: Vec<Issue> = (0..64)
                .map(|j| Some(((63 - j, 1, 1), (k == 2).then_some((j, 0, 0)), true)))
                .collect();
            assert_eq!(run(false, k, &col, &issues), want);
            assert_eq!(run(true, k, &col, &issues), want);
        }
    }

    #[test]
    fn reset_drops_the_token_at_t4_and_restarts_the_row() {
        // The lane's own `cont` is cleared by reset: the next token starts a row, whatever
        // the row it interrupts had summed.
        let mut rng = StdRng::seed_from_u64(6);
        for (octave, k) in [(false, 1), (true, 2)] {
            let (col, mut issues) = random_case(&mut rng, k);
            let j = (0..64).find(|&j| col[j] != 0).unwrap();
            for r in [2, 40, 41, 150, 299] {
                // A row in flight at the reset: the tokens around it are mid-row.
                for issue in &mut issues[r - 2..r + 1] {
                    *issue = Some(((j, 5, 1000), (k == 2).then_some((j, 1, 1)), false));
                }
                let want = expect_reset(octave, &col, &issues, Some(r));
                assert_ne!(
                    want,
                    expect(octave, &col, &issues),
                    "reset at {r} changes a row"
                );
                assert_eq!(
                    run_reset(octave, k, &col, &issues, Some(r)),
                    want,
                    "octave {octave}, K = {k}, reset at {r}"
                );
            }
        }
    }

    #[test]
    fn kept_registers_are_the_ones_used() {
        // The code registers are kept only where the shifters use them; the accumulator's
        // controls always.
        for (octave, k, kept) in [(false, 1, 3), (false, 2, 3), (true, 1, 4), (true, 2, 5)] {
            let mut uut = L::new(octave, k, true);
            uut.connect_all();
            let v = generate_verilog(&uut);
            assert_eq!(
                v.matches("(* keep *)").count(),
                kept,
                "octave {octave}, K = {k}"
            );
        }
    }

    #[test]
    fn accumulator_reaches_the_worst_case_without_overflow() {
        // N_MAX = 64 tokens of 65535 * -127 (ACC = 30 bits holds -2^29 .. 2^29 - 1), one or
        // two a cycle.
        let col = vec![-127i8; 64];
        let ones: Vec<Issue> = (0..64)
            .map(|j| Some(((j, 3, 65535), None, j == 63)))
            .collect();
        assert_eq!(run(false, 1, &col, &ones), vec![-64 * 65535 * 127]);
        let pairs: Vec<Issue> = (0..32)
            .map(|j| Some(((2 * j, 3, 65535), Some((2 * j + 1, 3, 65535)), j == 31)))
            .collect();
        assert_eq!(run(false, 2, &col, &pairs), vec![-64 * 65535 * 127]);
    }

    #[test]
    fn lane_verilog_lints_clean() {
        for octave in [false, true] {
            for k in [1, 2] {
                let mut uut = L::new(octave, k, true);
                uut.connect_all();
                let v = generate_verilog(&uut);
                let muls = if octave { 0 } else { k };
                assert_eq!(v.matches("logattn_mul16x8_30 core(").count(), muls);
                verilator_lint(&format!("lane_{octave}_{k}"), &v).unwrap();
            }
        }
        for define in [false, true] {
            for (k, luts) in [(1, 1), (2, 1), (2, 2)] {
                if !define && luts < k {
                    continue; // a DSP multiplier whose module nobody defines
                }
                let mut uut = L::new(false, k, define).with_lut_multipliers(luts);
                uut.connect_all();
                let v = generate_verilog(&uut);
                assert_eq!(v.contains("module logattn_mul16x8_30("), define);
                assert_eq!(v.matches("logattn_lutmul16ux8 core(").count(), luts);
                assert_eq!(v.matches("logattn_mul16x8_30 core(").count(), k - luts);
                verilator_lint(&format!("lane_lut_{define}_{k}_{luts}"), &v).unwrap();
            }
        }
    }

    /// Random per-cycle inputs `[v, w, code, v_b, w_b, code_b, acc_valid, acc_last, reset]`
    /// (weights and bytes often at their extremes).
    fn random_inputs(cycles: usize, seed: u64) -> Vec<Vec<u64>> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..cycles)
            .map(|_| {
                let mut s = vec![];
                for _ in 0..2 {
                    s.push([0x80, 0x7f, 0xff, 0, rng.gen_range(0..256)][rng.gen_range(0..5)]);
                    s.push([0, 1, 65535, 32768, rng.gen_range(0..65536)][rng.gen_range(0..5)]);
                    s.push(rng.gen_range(0..8));
                }
                s.push(u64::from(rng.gen_bool(0.8)));
                s.push(u64::from(rng.gen_bool(0.1)));
                s.push(u64::from(rng.gen_bool(0.02)));
                s
            })
            .collect()
    }

    const INPUTS: [&str; 9] = [
        "v",
        "w",
        "code",
        "v_b",
        "w_b",
        "code_b",
        "acc_valid",
        "acc_last",
        "reset",
    ];

    /// The twin's `out` per cycle.
    fn run_twin(mut uut: L, stim: &[Vec<u64>]) -> Vec<Vec<u64>> {
        uut.connect_all();
        stim.iter()
            .map(|s| {
                uut.v.next = s[0].into();
                uut.w.next = s[1].into();
                uut.code.next = s[2].into();
                uut.v_b.next = s[3].into();
                uut.w_b.next = s[4].into();
                uut.code_b.next = s[5].into();
                uut.acc_valid.next = s[6] == 1;
                uut.acc_last.next = s[7] == 1;
                uut.reset.next = s[8] == 1;
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
        for (octave, k, luts) in [
            (false, 1, 0),
            (false, 1, 1),
            (false, 2, 0),
            (false, 2, 1),
            (false, 2, 2),
            (true, 2, 0),
        ] {
            let want = run_twin(L::new(octave, k, true), &stim);
            assert!(want.iter().filter(|o| o[0] != 0).count() > 300);
            let mut uut = L::new(octave, k, true);
            if luts > 0 {
                uut = uut.with_lut_multipliers(luts);
            }
            uut.connect_all();
            let name = format!("lane_{octave}_{k}_{luts}");
            let got = replay(
                &name,
                &generate_verilog(&uut),
                "clock",
                &INPUTS,
                &["out"],
                &stim,
            );
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    #[should_panic(expected = "Lane: an octave lane has no multiplier to build in LUTs")]
    fn an_octave_lane_has_no_lut_multiplier() {
        let _ = L::new(true, 1, false).with_lut_multiplier();
    }

    #[test]
    #[should_panic(expected = "Lane: 2 LUT multipliers asked of a lane of 1 multipliers")]
    fn a_lane_has_k_multipliers_to_build_in_luts() {
        let _ = L::new(false, 1, false).with_lut_multipliers(2);
    }

    #[test]
    #[should_panic(expected = "Lane: K must be 1 or 2, got 3")]
    fn a_lane_adds_one_or_two_products() {
        let _ = L::new(false, 3, false);
    }
}
