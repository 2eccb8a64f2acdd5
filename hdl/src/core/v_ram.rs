//! `VRam`: the V block RAM: one or two banks of `2^A` rows, one or two read ports.

use rust_hdl::prelude::*;

/// The V memory of the AttnV core: `banks` (1 or 2) banks of `2^A` words of `VW` bits (one Vq
/// row a word), one write port and `reads` (1 or 2, the core's K) synchronous read ports.
///
/// Each read port is its own copy of the memory (all copies written together), so every port
/// maps to simple dual-port block RAM: on the ECP5 a copy of `2^A x VW` bits is
/// `ceil(VW / 36)` DP16KD at `2^A = 512` (15 at D = 64) and, with two banks (`2^(A+1)` words),
/// `ceil(VW / 18)` at 1024 words (29 at D = 64). The bank bit is the address's top bit.
///
/// Hand-written Verilog leaf (rust-hdl's `RAM` has one read port and cannot take a depth of
/// `2^(A+1)` from a const parameter), with a Rust `update` for rust-hdl's own simulator.
/// Reads return the word before a write to the same address in the same cycle (the core
/// never uses such a read: V loads while no row reads the bank written), and the memories are
/// marked `no_rw_check` so that yosys does not build that case (a bypass register and a 2:1
/// select before every output bit, with one select flop fanned out to all of them).
///
/// Inputs: `clock`; `wr_en`, `wr_bank`, `wr_addr` (`A` bits), `wr_data` (`VW` bits);
/// `rd_bank`, `rd_addr`, `rd_addr_b` (`A` bits each). The banks are ignored with one bank;
/// `rd_addr_b` is ignored with one read port.
/// Outputs: `rd_data` = word `(rd_bank, rd_addr)`, `rd_data_b` = word `(rd_bank, rd_addr_b)`
/// (0 with one read port), both registered (one cycle after the address).
#[derive(LogicBlock)]
pub struct VRam<const VW: usize, const A: usize> {
    pub clock: Signal<In, Clock>,
    pub wr_en: Signal<In, Bit>,
    pub wr_bank: Signal<In, Bit>,
    pub wr_addr: Signal<In, Bits<A>>,
    pub wr_data: Signal<In, Bits<VW>>,
    pub rd_bank: Signal<In, Bit>,
    pub rd_addr: Signal<In, Bits<A>>,
    pub rd_addr_b: Signal<In, Bits<A>>,
    pub rd_data: Signal<Out, Bits<VW>>,
    pub rd_data_b: Signal<Out, Bits<VW>>,
    _reads: usize,
    _banks: usize,
    _mem: Vec<Bits<VW>>,
}

impl<const VW: usize, const A: usize> VRam<VW, A> {
    /// A memory of `banks` banks (1 or 2) with `reads` read ports (1 or 2).
    pub fn new(banks: usize, reads: usize) -> Self {
        assert!(
            banks == 1 || banks == 2,
            "VRam: banks must be 1 or 2, got {banks}"
        );
        assert!(
            reads == 1 || reads == 2,
            "VRam: read ports must be 1 or 2, got {reads}"
        );
        assert!((1..=16).contains(&A), "VRam: A must be in 1..=16, got {A}");
        Self {
            clock: Default::default(),
            wr_en: Default::default(),
            wr_bank: Default::default(),
            wr_addr: Default::default(),
            wr_data: Default::default(),
            rd_bank: Default::default(),
            rd_addr: Default::default(),
            rd_addr_b: Default::default(),
            rd_data: Default::default(),
            rd_data_b: Default::default(),
            _reads: reads,
            _banks: banks,
            _mem: vec![Bits::default(); banks << A],
        }
    }

    /// Banks.
    pub fn banks(&self) -> usize {
        self._banks
    }

    /// Read ports.
    pub fn reads(&self) -> usize {
        self._reads
    }

    fn index(&self, bank: bool, addr: Bits<A>) -> usize {
        let bank = if self._banks == 2 { bank as usize } else { 0 };
        (bank << A) | addr.index()
    }
}

impl<const VW: usize, const A: usize> Logic for VRam<VW, A> {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let a = self.index(self.rd_bank.val(), self.rd_addr.val());
            self.rd_data.next = self._mem[a];
            self.rd_data_b.next = if self._reads == 2 {
                self._mem[self.index(self.rd_bank.val(), self.rd_addr_b.val())]
            } else {
                Bits::default()
            };
            if self.wr_en.val() {
                let w = self.index(self.wr_bank.val(), self.wr_addr.val());
                self._mem[w] = self.wr_data.val();
            }
        }
    }
    fn connect(&mut self) {
        self.rd_data.connect();
        self.rd_data_b.connect();
    }
    fn hdl(&self) -> Verilog {
        let depth = self._banks << A;
        let (wa, ra, rb) = if self._banks == 2 {
            (
                "{wr_bank, wr_addr}",
                "{rd_bank, rd_addr}",
                "{rd_bank, rd_addr_b}",
            )
        } else {
            ("wr_addr", "rd_addr", "rd_addr_b")
        };
        let mut unused = vec![];
        if self._banks == 1 {
            unused.extend(["wr_bank", "rd_bank"]);
        }
        if self._reads == 1 {
            unused.push("rd_addr_b");
        }
        let mut s = String::new();
        if !unused.is_empty() {
            s += &format!(
                "// Unused with this many banks and ports (Verilator ignores *unused* names).\nwire _unused = &{{1'b0, {}}};\n",
                unused.join(", ")
            );
        }
        for copy in 0..self._reads {
            s += &format!(
                "(* no_rw_check *)\nreg [{}:0] mem{copy} [0:{}];\n",
                VW - 1,
                depth - 1
            );
        }
        s += "always @(posedge clock) begin\n    if (wr_en) begin\n";
        for copy in 0..self._reads {
            s += &format!("        mem{copy}[{wa}] <= wr_data;\n");
        }
        s += "    end\nend\n";
        s += &format!("always @(posedge clock) rd_data <= mem0[{ra}];\n");
        if self._reads == 2 {
            s += &format!("always @(posedge clock) rd_data_b <= mem1[{rb}];\n");
        } else {
            s += &format!(
                "initial rd_data_b = {VW}'d0;\nalways @(posedge clock) rd_data_b <= {VW}'d0;\n"
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

    type R = VRam<32, 4>;

    const INPUTS: [&str; 7] = [
        "wr_en",
        "wr_bank",
        "wr_addr",
        "wr_data",
        "rd_bank",
        "rd_addr",
        "rd_addr_b",
    ];

    /// The twin's outputs per cycle.
    fn run_twin(mut uut: R, stim: &[Vec<u64>]) -> Vec<Vec<u64>> {
        uut.connect_all();
        stim.iter()
            .map(|s| {
                uut.wr_en.next = s[0] == 1;
                uut.wr_bank.next = s[1] == 1;
                uut.wr_addr.next = s[2].into();
                uut.wr_data.next = s[3].into();
                uut.rd_bank.next = s[4] == 1;
                uut.rd_addr.next = s[5].into();
                uut.rd_addr_b.next = s[6].into();
                settle(&mut uut);
                let out = vec![uut.rd_data.val().to_u64(), uut.rd_data_b.val().to_u64()];
                rise(&mut uut, |u| &mut u.clock);
                out
            })
            .collect()
    }

    /// A plain model: the words, then what each port reads.
    fn expected(banks: usize, reads: usize, stim: &[Vec<u64>]) -> Vec<Vec<u64>> {
        let mut mem = vec![0u64; banks * 16];
        let at = |bank: u64, a: u64| {
            if banks == 2 {
                (bank * 16 + a) as usize
            } else {
                a as usize
            }
        };
        let mut out = vec![vec![0, 0]];
        for s in stim {
            let a = mem[at(s[4], s[5])];
            let b = if reads == 2 { mem[at(s[4], s[6])] } else { 0 };
            if s[0] == 1 {
                mem[at(s[1], s[2])] = s[3];
            }
            out.push(vec![a, b]);
        }
        out.pop();
        out
    }

    #[test]
    fn banks_and_ports_read_what_was_written_in_verilator_and_the_twin() {
        let mut rng = StdRng::seed_from_u64(21);
        let stim: Vec<Vec<u64>> = (0..3000)
            .map(|_| {
                vec![
                    u64::from(rng.gen_bool(0.4)),
                    rng.gen_range(0..2),
                    rng.gen_range(0..16),
                    rng.gen_range(0..1u64 << 32),
                    rng.gen_range(0..2),
                    rng.gen_range(0..16),
                    rng.gen_range(0..16),
                ]
            })
            .collect();
        for banks in [1, 2] {
            for reads in [1, 2] {
                let want = expected(banks, reads, &stim);
                assert_eq!(
                    run_twin(R::new(banks, reads), &stim),
                    want,
                    "twin, {banks} banks, {reads} ports"
                );
                let mut uut = R::new(banks, reads);
                uut.connect_all();
                let v = generate_verilog(&uut);
                let name = format!("vram_{banks}_{reads}");
                verilator_lint(&name, &v).unwrap();
                assert_eq!(v.matches("reg [31:0] mem").count(), reads);
                let got = replay(
                    &name,
                    &v,
                    "clock",
                    &INPUTS,
                    &["rd_data", "rd_data_b"],
                    &stim,
                );
                // The Verilog's memory powers up unknown (0 in Verilator); compare from the
                // first cycle on: every address read was 0 or written.
                assert_eq!(got, want, "Verilator, {banks} banks, {reads} ports");
            }
        }
    }

    #[test]
    #[should_panic(expected = "VRam: read ports must be 1 or 2, got 3")]
    fn rejects_three_ports() {
        let _ = R::new(1, 3);
    }

    #[test]
    #[should_panic(expected = "VRam: banks must be 1 or 2, got 0")]
    fn rejects_no_bank() {
        let _ = R::new(0, 1);
    }
}
