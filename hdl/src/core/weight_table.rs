//! `WeightTable`: the 2^k x 16-bit code weight registers, read by code (one or two codes a
//! cycle) with one cycle latency.

use rust_hdl::prelude::*;

/// The weight of each code, `w[0] = 0` always.
///
/// General/Dense: seven 16-bit registers `w[1..=7]`, written by `wr_en` with `wr_code` (writes
/// to code 0 are ignored). Octave: no registers; `w[c] = 2^(c-1)` decoded from the code (writes are
/// accepted and ignored).
///
/// Two read ports (the core's two picks at K = 2): `w_b` is `w[rd_code_b]`; with one read port
/// ([`WeightTable::new`]'s `reads` = 1) `w_b` is 0 and `rd_code_b` is ignored.
///
/// Two banks ([`WeightTable::with_two_banks`], for the core's two V banks): two sets of
/// registers; writes go to set `wr_bank`, reads come from set `rd_bank`, and with `copy_en`
/// every register of set `!copy_from` takes the value of set `copy_from` (a write in the same
/// cycle wins for its code). With one bank the bank inputs and `copy_en` are ignored.
///
/// Inputs: `clock`, `wr_en`, `wr_code` (3 bits), `wr_data` (16 bits), `rd_code`, `rd_code_b`
/// (3 bits each), `wr_bank`, `rd_bank`, `copy_en`, `copy_from`.
/// Outputs: `w` (16 bits) = `w[rd_code]`, `w_b` = `w[rd_code_b]`, registered (one cycle after
/// the codes).
#[derive(LogicBlock)]
pub struct WeightTable {
    pub clock: Signal<In, Clock>,
    pub wr_en: Signal<In, Bit>,
    pub wr_code: Signal<In, Bits<3>>,
    pub wr_data: Signal<In, Bits<16>>,
    pub rd_code: Signal<In, Bits<3>>,
    pub rd_code_b: Signal<In, Bits<3>>,
    pub wr_bank: Signal<In, Bit>,
    pub rd_bank: Signal<In, Bit>,
    pub copy_en: Signal<In, Bit>,
    pub copy_from: Signal<In, Bit>,
    pub w: Signal<Out, Bits<16>>,
    pub w_b: Signal<Out, Bits<16>>,
    regs: [DFF<Bits<16>>; 8],
    regs1: [DFF<Bits<16>>; 8],
    wq: DFF<Bits<16>>,
    wq_b: DFF<Bits<16>>,
    octave: Constant<Bit>,
    two_reads: Constant<Bit>,
    two_banks: Constant<Bit>,
    one: Constant<Bits<16>>,
}

impl WeightTable {
    /// A table with `reads` read ports (1 or 2); `octave` decodes `2^(c-1)` instead of storing
    /// weights.
    pub fn new(octave: bool, reads: usize) -> Self {
        assert!(
            reads == 1 || reads == 2,
            "WeightTable: read ports must be 1 or 2, got {reads}"
        );
        Self {
            clock: Default::default(),
            wr_en: Default::default(),
            wr_code: Default::default(),
            wr_data: Default::default(),
            rd_code: Default::default(),
            rd_code_b: Default::default(),
            wr_bank: Default::default(),
            rd_bank: Default::default(),
            copy_en: Default::default(),
            copy_from: Default::default(),
            w: Default::default(),
            w_b: Default::default(),
            regs: Default::default(),
            regs1: Default::default(),
            wq: Default::default(),
            wq_b: Default::default(),
            octave: Constant::new(octave),
            two_reads: Constant::new(reads == 2),
            two_banks: Constant::new(false),
            one: Constant::new(1u64.into()),
        }
    }

    /// The same table with two banks of weights.
    pub fn with_two_banks(mut self) -> Self {
        self.two_banks = Constant::new(true);
        self
    }
}

impl Logic for WeightTable {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, wq, wq_b);
        for i in 0..8 {
            self.regs[i].clock.next = self.clock.val();
            self.regs[i].d.next = self.regs[i].q.val();
            self.regs1[i].clock.next = self.clock.val();
            self.regs1[i].d.next = self.regs1[i].q.val();
        }
        self.wq.d.next = 0.into();
        self.wq_b.d.next = 0.into();
        if self.octave.val() {
            if self.rd_code.val().any() {
                self.wq.d.next = self.one.val() << (self.rd_code.val() - 1);
            }
            if self.two_reads.val() & self.rd_code_b.val().any() {
                self.wq_b.d.next = self.one.val() << (self.rd_code_b.val() - 1);
            }
        } else {
            for i in 1..8 {
                if self.two_banks.val() & self.copy_en.val() {
                    if self.copy_from.val() {
                        self.regs[i].d.next = self.regs1[i].q.val();
                    } else {
                        self.regs1[i].d.next = self.regs[i].q.val();
                    }
                }
                if self.wr_en.val() & (self.wr_code.val().index() == i) {
                    if self.two_banks.val() & self.wr_bank.val() {
                        self.regs1[i].d.next = self.wr_data.val();
                    } else {
                        self.regs[i].d.next = self.wr_data.val();
                    }
                }
                if self.rd_code.val().index() == i {
                    if self.two_banks.val() & self.rd_bank.val() {
                        self.wq.d.next = self.regs1[i].q.val();
                    } else {
                        self.wq.d.next = self.regs[i].q.val();
                    }
                }
                if self.two_reads.val() & (self.rd_code_b.val().index() == i) {
                    if self.two_banks.val() & self.rd_bank.val() {
                        self.wq_b.d.next = self.regs1[i].q.val();
                    } else {
                        self.wq_b.d.next = self.regs[i].q.val();
                    }
                }
            }
        }
        self.w.next = self.wq.q.val();
        self.w_b.next = self.wq_b.q.val();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{rise, settle};

    /// Writes `writes`, then reads every code on port A (and code 7 - c on port B); returns
    /// port A's weights (checking port B's against them).
    fn read_all(octave: bool, writes: &[(u64, u64)]) -> Vec<u64> {
        let a = read_ports(octave, 1, writes);
        let b = read_ports(octave, 2, writes);
        assert!(a.iter().all(|&(_, wb)| wb == 0), "one port: w_b is 0");
        for c in 0..8 {
            assert_eq!(b[c].0, a[c].0, "port A, code {c}");
            assert_eq!(b[c].1, a[7 - c].0, "port B, code {}", 7 - c);
        }
        a.iter().map(|x| x.0).collect()
    }

    fn read_ports(octave: bool, reads: usize, writes: &[(u64, u64)]) -> Vec<(u64, u64)> {
        let mut uut = WeightTable::new(octave, reads);
        uut.connect_all();
        uut.clock.next = Clock { clk: false };
        for &(c, w) in writes {
            uut.wr_en.next = true;
            uut.wr_code.next = c.into();
            uut.wr_data.next = w.into();
            settle(&mut uut);
            rise(&mut uut, |u| &mut u.clock);
        }
        uut.wr_en.next = false;
        let mut got = vec![];
        for c in 0..9u64 {
            uut.rd_code.next = (c % 8).into();
            uut.rd_code_b.next = (7 - c % 8).into();
            settle(&mut uut);
            if c > 0 {
                // w[c - 1]: one cycle of latency
                got.push((uut.w.val().to_u64(), uut.w_b.val().to_u64()));
            }
            rise(&mut uut, |u| &mut u.clock);
        }
        got
    }

    #[test]
    fn stores_weights_and_code_zero_is_zero() {
        let writes: Vec<(u64, u64)> = (0..8).map(|c| (c, 1000 * c + 65535 - 7000)).collect();
        let mut want: Vec<u64> = writes.iter().map(|w| w.1).collect();
        want[0] = 0;
        assert_eq!(read_all(false, &writes), want);
        // A later write to one code changes only that code.
        let mut w2 = writes.clone();
        w2.push((3, 7));
        want[3] = 7;
        assert_eq!(read_all(false, &w2), want);
    }

    #[test]
    fn two_banks_write_read_and_copy_apart() {
        let mut uut = WeightTable::new(false, 2).with_two_banks();
        uut.connect_all();
        uut.clock.next = Clock { clk: false };
        // (wr_en, wr_bank, code, data, copy_en, copy_from)
        let step = |uut: &mut WeightTable, w: Option<(bool, u64, u64)>, copy: Option<bool>| {
            uut.wr_en.next = w.is_some();
            if let Some((bank, c, d)) = w {
                uut.wr_bank.next = bank;
                uut.wr_code.next = c.into();
                uut.wr_data.next = d.into();
            }
            uut.copy_en.next = copy.is_some();
            uut.copy_from.next = copy.unwrap_or(false);
            settle(uut);
            rise(uut, |u| &mut u.clock);
        };
        for c in 1..8 {
            step(&mut uut, Some((false, c, 100 + c)), None);
            step(&mut uut, Some((true, c, 200 + c)), None);
        }
        let read = |uut: &mut WeightTable, bank: bool| -> Vec<u64> {
            uut.wr_en.next = false;
            uut.copy_en.next = false;
            uut.rd_bank.next = bank;
            (0..8u64)
                .map(|c| {
                    uut.rd_code.next = c.into();
                    uut.rd_code_b.next = c.into();
                    settle(uut);
                    rise(uut, |u| &mut u.clock);
                    settle(uut);
                    assert_eq!(uut.w.val(), uut.w_b.val());
                    uut.w.val().to_u64()
                })
                .collect()
        };
        let set =
            |base: u64| -> Vec<u64> { (0..8).map(|c| if c == 0 { 0 } else { base + c }).collect() };
        assert_eq!(read(&mut uut, false), set(100));
        assert_eq!(read(&mut uut, true), set(200));
        // Copy bank 1 into bank 0 while code 3 of bank 0 is written: the write wins.
        step(&mut uut, Some((false, 3, 7)), Some(true));
        let mut want = set(200);
        want[3] = 7;
        assert_eq!(read(&mut uut, false), want);
        assert_eq!(read(&mut uut, true), set(200));
    }

    #[test]
    fn octave_decodes_powers_of_two_and_ignores_writes() {
        assert_eq!(read_all(true, &[(2, 999)]), vec![0, 1, 2, 4, 8, 16, 32, 64]);
    }

    #[test]
    fn weight_table_verilog_lints_clean() {
        for octave in [false, true] {
            for reads in [1, 2] {
                for banks in [1, 2] {
                    let mut uut = WeightTable::new(octave, reads);
                    if banks == 2 {
                        uut = uut.with_two_banks();
                    }
                    uut.connect_all();
                    let v = generate_verilog(&uut);
                    verilator_lint(&format!("wt_{octave}_{reads}_{banks}"), &v).unwrap();
                }
            }
        }
    }
}
