//! `RowMax`: the running maximum of a row's valid x values, P a cycle.

use crate::front_end::scale_shift::XB;
use crate::front_end::twin_delay::TwinDelay;
use rust_hdl::prelude::*;

/// Takes P x values a cycle (offset binary, lane b valid where `mask[b]`) with the row flags
/// `first`, `last` and the row's `bank`; a pipelined maximum tree (`log2 P` levels, one
/// register each; masked lanes count as 0, below every saturated x) and the row's running
/// maximum (restarted by `first`); with a row's last group, `done` rises for one cycle with
/// the row's maximum `m` and its `done_bank`, [`RowMax::latency`] edges after the inputs. A row
/// with no valid key gets `m = 0` (nothing uses it).
///
/// Hand-written Verilog leaf (a tree of run-time size), with a Rust `update` twin.
///
/// Inputs: `clock`; `reset` (synchronous: clears the valid bits); `x` (P values of 25 bits);
/// `mask` (8: lane b at bit b); `valid`, `first`, `last`; `bank` (3).
/// Outputs: `m` (25); `done`; `done_bank` (3).
#[derive(LogicBlock)]
pub struct RowMax {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// One x per lane.
    pub x: Vec<Signal<In, Bits<XB>>>,
    /// The lanes' valid bits.
    pub mask: Signal<In, Bits<8>>,
    /// A group is present.
    pub valid: Signal<In, Bit>,
    /// It is its row's first.
    pub first: Signal<In, Bit>,
    /// It is its row's last.
    pub last: Signal<In, Bit>,
    /// Its row's bank.
    pub bank: Signal<In, Bits<3>>,
    /// The running maximum (the row's, while `done`).
    pub m: Signal<Out, Bits<XB>>,
    /// A row's maximum is out.
    pub done: Signal<Out, Bit>,
    /// That row's bank.
    pub done_bank: Signal<Out, Bits<3>>,
    _pipe: TwinDelay<(u64, bool, bool, bool, u64)>,
    _m: u64,
}

impl RowMax {
    /// The tree for `p` lanes (1, 2, 4 or 8).
    pub fn new(p: usize) -> Self {
        assert!(
            p.is_power_of_two() && p <= 8,
            "RowMax: P must be 1, 2, 4 or 8, got {p}"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            x: (0..p).map(|_| Default::default()).collect(),
            mask: Default::default(),
            valid: Default::default(),
            first: Default::default(),
            last: Default::default(),
            bank: Default::default(),
            m: Default::default(),
            done: Default::default(),
            done_bank: Default::default(),
            _pipe: TwinDelay::new(p.trailing_zeros() as usize + 1),
            _m: 0,
        }
    }

    /// Edges from the inputs to `m`, `done`: `log2 P + 1`.
    pub fn latency(&self) -> usize {
        self.x.len().trailing_zeros() as usize + 1
    }
}

/// The Verilog of a pipelined tree over `p` lanes: level 0 are the wires `a0_b` (declared by
/// the caller), level k registers `a{k}_i <= combine(a{k-1}_2i, a{k-1}_2i+1)`, with the control
/// signals `valid`, `first`, `last`, `bank` registered alongside as `v{k}`, `f{k}`, `l{k}`,
/// `b{k}`. Returns (declarations, register updates, reset clauses, top name suffix).
pub(crate) fn tree_verilog(
    p: usize,
    width: usize,
    combine: impl Fn(&str, &str) -> String,
) -> (String, String, String) {
    let levels = p.trailing_zeros() as usize;
    let (mut decl, mut seq, mut rst) = (String::new(), String::new(), String::new());
    for k in 1..=levels {
        for i in 0..(p >> k) {
            let (a, b) = (
                format!("a{}_{}", k - 1, 2 * i),
                format!("a{}_{}", k - 1, 2 * i + 1),
            );
            decl += &format!("reg [{}:0] a{k}_{i};\n", width - 1);
            seq += &format!("    a{k}_{i} <= {};\n", combine(&a, &b));
        }
        decl += &format!("reg v{k}, f{k}, l{k};\nreg [2:0] b{k};\n");
        seq += &format!(
            "    f{k} <= f{j};\n    l{k} <= l{j};\n    b{k} <= b{j};\n",
            j = k - 1
        );
        rst += &format!("        v{k} <= 1'b0;\n");
    }
    (decl, seq, rst)
}

/// The valid-bit chain of [`tree_verilog`]'s levels (outside the reset clause).
pub(crate) fn tree_valid_chain(p: usize) -> String {
    (1..=p.trailing_zeros() as usize)
        .map(|k| format!("        v{k} <= v{};\n", k - 1))
        .collect()
}

impl Logic for RowMax {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            let mask = self.mask.val().to_u64();
            let mx = self
                .x
                .iter()
                .enumerate()
                .filter(|(b, _)| mask >> b & 1 == 1)
                .map(|(_, x)| x.val().to_u64())
                .max()
                .unwrap_or(0);
            let inp = (
                mx,
                self.valid.val(),
                self.first.val(),
                self.last.val(),
                self.bank.val().to_u64(),
            );
            let (t, v, f, l, b) = self._pipe.edge(inp);
            if v {
                self._m = if f { t } else { self._m.max(t) };
            }
            self.m.next = self._m.into();
            self.done.next = v && l;
            self.done_bank.next = b.into();
            if self.reset.val() {
                self._pipe.clear();
                self.done.next = false;
            }
        }
    }
    fn connect(&mut self) {
        self.m.connect();
        self.done.connect();
        self.done_bank.connect();
    }
    fn hdl(&self) -> Verilog {
        let p = self.x.len();
        let levels = p.trailing_zeros() as usize;
        let xt = XB - 1;
        let mut lanes = String::new();
        for b in 0..p {
            lanes += &format!("wire [{xt}:0] a0_{b} = mask[{b}] ? x${b} : {XB}'d0;\n");
        }
        let (decl, seq, rst) = tree_verilog(p, XB, |a, b| format!("({a} > {b}) ? {a} : {b}"));
        let vchain = tree_valid_chain(p);
        Verilog::Custom(format!(
            "{lanes}wire v0 = valid;
wire f0 = first;
wire l0 = last;
wire [2:0] b0 = bank;
{decl}wire [{xt}:0] t = a{levels}_0;
always @(posedge clock) begin
{seq}    if (v{levels}) m <= (f{levels} || t > m) ? t : m;
    done_bank <= b{levels};
end
always @(posedge clock) begin
    if (reset) begin
{rst}        done <= 1'b0;
    end else begin
{vchain}        done <= v{levels} & l{levels};
    end
end
"
        ))
    }
}
