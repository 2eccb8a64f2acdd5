//! `BeatQueue`: a small first-word-fall-through queue of code beats.

use rust_hdl::prelude::*;
use std::collections::VecDeque;

/// Depth of the queue.
pub const QUEUE_DEPTH: usize = 4;

/// A 4-deep FIFO of 48-bit code beats with their `last` flags; the head is visible while
/// `valid` (first word fall through).
///
/// Hand-written Verilog leaf (register file with read and write pointers; rust-hdl's
/// `SynchronousFIFO` has no reset and a one-cycle-late empty flag), with a Rust `update` twin.
/// Pushing into a full queue is the caller's error (the front end's credits prevent it);
/// popping an empty queue does nothing.
///
/// Inputs: `clock`; `reset` (synchronous, empties the queue); `push`, `push_data` (48),
/// `push_last`; `pop`.
/// Outputs: `head_data` (48), `head_last`, `valid` (not empty), `count` (3 bits, 0..=4).
#[derive(LogicBlock, Default)]
pub struct BeatQueue {
    /// Clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// Appends `push_data`, `push_last`.
    pub push: Signal<In, Bit>,
    /// The beat to append.
    pub push_data: Signal<In, Bits<48>>,
    /// Its row-end flag.
    pub push_last: Signal<In, Bit>,
    /// Removes the head.
    pub pop: Signal<In, Bit>,
    /// The head beat.
    pub head_data: Signal<Out, Bits<48>>,
    /// The head's row-end flag.
    pub head_last: Signal<Out, Bit>,
    /// The queue is not empty.
    pub valid: Signal<Out, Bit>,
    /// Beats held.
    pub count: Signal<Out, Bits<3>>,
    _q: VecDeque<(u64, bool)>,
}

impl Logic for BeatQueue {
    fn update(&mut self) {
        if self.clock.pos_edge() {
            if self.reset.val() {
                self._q.clear();
            } else {
                let popped = self.pop.val() && !self._q.is_empty();
                if popped {
                    self._q.pop_front();
                }
                if self.push.val() && self._q.len() < QUEUE_DEPTH + usize::from(popped) {
                    self._q
                        .push_back((self.push_data.val().to_u64(), self.push_last.val()));
                }
            }
        }
        let (d, l) = self._q.front().copied().unwrap_or((0, false));
        self.head_data.next = d.into();
        self.head_last.next = l;
        self.valid.next = !self._q.is_empty();
        self.count.next = (self._q.len() as u64).into();
    }
    fn connect(&mut self) {
        self.head_data.connect();
        self.head_last.connect();
        self.valid.connect();
        self.count.connect();
    }
    fn hdl(&self) -> Verilog {
        Verilog::Custom(
            "// The head, valid and count are registers holding the state after each edge (the
// same cycle behaviour as reading the register file combinationally, without its delay).
// The next head is read at both rp and rp + 1 before `pop` is known, so that `pop` (the
// consumer's ready, a long handshake) only selects between them at the head register. The
// four entries are plain registers read through AND-OR selects (an inferred memory would be
// distributed RAM, whose two reads yosys merges into one read at the popped address: `pop`
// would then reach the head through the RAM's read port).
reg [48:0] m0, m1, m2, m3;
reg [1:0] wp, rp;
reg [2:0] cnt;
reg [48:0] head;
wire do_pop = pop && (cnt != 3'd0);
wire [1:0] rp_1 = rp + 2'd1;
wire [48:0] in_beat = {push_last, push_data};
wire [48:0] at_rp = (m0 & {49{rp == 2'd0}}) | (m1 & {49{rp == 2'd1}})
                  | (m2 & {49{rp == 2'd2}}) | (m3 & {49{rp == 2'd3}});
wire [48:0] at_rp_1 = (m1 & {49{rp == 2'd0}}) | (m2 & {49{rp == 2'd1}})
                    | (m3 & {49{rp == 2'd2}}) | (m0 & {49{rp == 2'd3}});
wire [48:0] head_stay = (push && wp == rp) ? in_beat : at_rp;
wire [48:0] head_next = (push && wp == rp_1) ? in_beat : at_rp_1;
wire [48:0] head_n = do_pop ? head_next : head_stay;
wire [2:0] cnt_n = cnt + {2'd0, push} - {2'd0, do_pop};
initial begin
    wp = 2'd0;
    rp = 2'd0;
    cnt = 3'd0;
    head = 49'd0;
end
always @(posedge clock) begin
    if (push && wp == 2'd0) m0 <= in_beat;
    if (push && wp == 2'd1) m1 <= in_beat;
    if (push && wp == 2'd2) m2 <= in_beat;
    if (push && wp == 2'd3) m3 <= in_beat;
    head <= head_n;
    if (reset) begin
        wp <= 2'd0;
        rp <= 2'd0;
        cnt <= 3'd0;
    end else begin
        if (push) wp <= wp + 2'd1;
        if (do_pop) rp <= rp_1;
        cnt <= cnt_n;
    end
end
always @(*) begin
    head_data = head[47:0];
    head_last = head[48];
    valid = cnt != 3'd0;
    count = cnt;
end
"
            .to_string(),
        )
    }
}
