//! `BeatPack`: P codes a cycle packed into 16-code beats.

use rust_hdl::prelude::*;

/// Shifts P 3-bit codes a cycle into a 48-bit beat register (lane 0 of the first group at bits
/// `[2:0]`, so code m of the beat ends at `[3m+2:3m]` after `16 / P` groups); on the group
/// that ends a beat, `push` rises with the completed beat on `push_data` (combinationally:
/// the register shifted by the group) and the row-end flag on `push_last`.
///
/// Hand-written Verilog leaf (a concatenation of run-time width), with a Rust `update` twin.
///
/// Inputs: `clock`; `codes` (P codes of 3 bits); `valid` (a group of codes is present);
/// `beat_end` (it ends a beat); `last` (it ends the row).
/// Outputs: `push`; `push_data` (48); `push_last`.
#[derive(LogicBlock)]
pub struct BeatPack {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// One code per lane.
    pub codes: Vec<Signal<In, Bits<3>>>,
    /// A group is present.
    pub valid: Signal<In, Bit>,
    /// It completes a beat.
    pub beat_end: Signal<In, Bit>,
    /// It ends the row.
    pub last: Signal<In, Bit>,
    /// A beat is complete.
    pub push: Signal<Out, Bit>,
    /// The beat.
    pub push_data: Signal<Out, Bits<48>>,
    /// It ends the row.
    pub push_last: Signal<Out, Bit>,
    _pack: u64,
}

impl BeatPack {
    /// The packer for `p` lanes (1, 2, 4 or 8).
    pub fn new(p: usize) -> Self {
        assert!(
            p.is_power_of_two() && p <= 8,
            "BeatPack: P must be 1, 2, 4 or 8, got {p}"
        );
        Self {
            clock: Default::default(),
            codes: (0..p).map(|_| Default::default()).collect(),
            valid: Default::default(),
            beat_end: Default::default(),
            last: Default::default(),
            push: Default::default(),
            push_data: Default::default(),
            push_last: Default::default(),
            _pack: 0,
        }
    }

    fn next(&self) -> u64 {
        let p = self.codes.len();
        let cat = self
            .codes
            .iter()
            .enumerate()
            .fold(0u64, |a, (b, c)| a | (c.val().to_u64() & 7) << (3 * b));
        ((self._pack >> (3 * p)) | (cat << (48 - 3 * p))) & ((1u64 << 48) - 1)
    }
}

impl Logic for BeatPack {
    fn update(&mut self) {
        if self.clock.pos_edge() && self.valid.val() {
            self._pack = self.next();
        }
        self.push_data.next = self.next().into();
        self.push.next = self.valid.val() && self.beat_end.val();
        self.push_last.next = self.last.val();
    }
    fn connect(&mut self) {
        self.push.connect();
        self.push_data.connect();
        self.push_last.connect();
    }
    fn hdl(&self) -> Verilog {
        let p = self.codes.len();
        let cat: Vec<String> = (0..p).rev().map(|b| format!("codes${b}")).collect();
        let next = if p == 16 {
            format!("{{{}}}", cat.join(", "))
        } else {
            format!("{{{}, pack[47:{}]}}", cat.join(", "), 3 * p)
        };
        Verilog::Custom(format!(
            "reg [47:0] pack;
wire [47:0] pack_next = {next};
initial pack = 48'd0;
always @(posedge clock) begin
    if (valid) pack <= pack_next;
end
always @(*) begin
    push = valid & beat_end;
    push_data = pack_next;
    push_last = last;
end
"
        ))
    }
}
