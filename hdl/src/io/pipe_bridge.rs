//! `PipeBridge`: Opal Kelly FrontPanel pipe endpoints as two AXI-Stream byte streams.

use crate::io::byte_fifo::{ByteFifo, FIFO_DEPTHS};
use rust_hdl::prelude::*;

/// The FIFO depths, in 16-bit words, [`PipeBridge::new`] accepts: powers of two in this range
/// (those of [`ByteFifo`], one byte lane each; 32768 still fits the 16-bit wire-out counts).
pub const PIPE_FIFO_WORDS: std::ops::RangeInclusive<usize> = FIFO_DEPTHS;

/// The host side of a FrontPanel design: 16-bit pipe words in and out, on the endpoints' clock
/// (`ti_clk`), as byte streams for the link design.
///
/// **Pipe in** (`okPipeIn`): a word on `pipe_in_data` is written when `pipe_in_write` is high.
/// It goes into the input FIFO and leaves on `m_axis` as two bytes, **the low byte first**:
/// on USB 2.0 modules FrontPanel carries pipe data as bytes over USB and as 16-bit words in the
/// FPGA, and the first byte the host writes is bits 7:0 of the word, the second bits 15:8
/// (FrontPanel User's Manual, "Byte order", USB 2.0; rust-hdl's own pipe test checks the same:
/// `rust-hdl-ok-core` `src/test_common/pipe.rs` sums the words its `make_u16_buffer` builds as
/// `data[i] | data[i + 1] << 8`, in `rust-hdl-ok-frontpanel-sys` `src/lib.rs`). A pipe
/// transfer is a whole number of words, so the host pads an odd request stream with one 0x00:
/// the on-chip framer hunts for the magic between frames, so a pad byte there is skipped.
///
/// **Pipe out** (`okPipeOut`): when `pipe_out_read` is high in a cycle, the next word is taken
/// from the output FIFO and presented on `pipe_out_data` in the cycle after (where okPipeOut
/// samples it; a standard FIFO's read-enable-to-data latency). Response bytes from `s_axis`
/// are packed into words, the low byte first. A frame's last byte (`s_axis_tlast`) that would
/// be a word's low byte is sent at once with a 0x00 high byte: every response frame ends on a
/// word boundary, and a frame's last byte is never held back waiting for the next frame (which
/// may not come until the host sends another request). A pad byte therefore only ever follows
/// a frame's last byte, and the host's decoder (`model::link::Decoder`), which hunts for the
/// response magic between frames, skips it. Inside a frame a byte waits for its partner, which
/// the transmitter sends a few cycles later at most (it sends a frame back to back).
///
/// **Flow control** through two counts for FrontPanel wire-outs: `words_free` (words the input
/// FIFO can still take) and `words_ready` (words the output FIFO holds, readable now). Only the
/// host writes the input FIFO and only the host reads the output FIFO, so between a wire-out
/// update and the pipe transfer after it the free and ready counts can only grow: a host that
/// writes at most `words_free` and reads at most `words_ready` words never overflows or
/// underflows a FIFO. If it does anyway, the word written to a full FIFO is dropped and
/// `overflow` rises; a read from an empty FIFO gives 0x0000 and `underflow` rises (both sticky
/// until `reset`). The link design's back-pressure (`m_axis_tready`) simply leaves words in the
/// input FIFO.
///
/// Each FIFO is two [`ByteFifo`]s of `fifo_words` bytes (a block RAM each), one per byte lane,
/// written together; the input lanes are read one after the other, the output lanes together.
///
/// Inputs: `clock` (`ti_clk`); `reset` (synchronous, active high: empties both FIFOs, clears
/// the flags); `pipe_in_write`, `pipe_in_data` (16); `pipe_out_read`; `m_axis_tready`;
/// `s_axis_tdata` (8), `s_axis_tvalid`, `s_axis_tlast`.
/// Outputs: `pipe_out_data` (16, registered: the word read in the cycle before, 0 otherwise);
/// `words_free` (16, from a register); `words_ready` (16, registered); `m_axis_tdata` (8),
/// `m_axis_tvalid`; `s_axis_tready`; `overflow`, `underflow` (sticky, registered).
#[derive(LogicBlock)]
pub struct PipeBridge {
    /// Clock (FrontPanel's `ti_clk`).
    pub clock: Signal<In, Clock>,
    /// Synchronous reset.
    pub reset: Signal<In, Bit>,
    /// okPipeIn's `ep_write`: `pipe_in_data` is a word from the host.
    pub pipe_in_write: Signal<In, Bit>,
    /// okPipeIn's `ep_dataout`.
    pub pipe_in_data: Signal<In, Bits<16>>,
    /// okPipeOut's `ep_read`: the host takes a word (presented in the next cycle).
    pub pipe_out_read: Signal<In, Bit>,
    /// okPipeOut's `ep_datain`.
    pub pipe_out_data: Signal<Out, Bits<16>>,
    /// Words the input FIFO can take (a wire-out).
    pub words_free: Signal<Out, Bits<16>>,
    /// Words the output FIFO holds, readable now (a wire-out).
    pub words_ready: Signal<Out, Bits<16>>,
    /// Request byte to the link design.
    pub m_axis_tdata: Signal<Out, Bits<8>>,
    /// A request byte is waiting.
    pub m_axis_tvalid: Signal<Out, Bit>,
    /// The link design takes the request byte.
    pub m_axis_tready: Signal<In, Bit>,
    /// Response byte from the link design.
    pub s_axis_tdata: Signal<In, Bits<8>>,
    /// `s_axis_tdata` is valid.
    pub s_axis_tvalid: Signal<In, Bit>,
    /// It is its frame's last byte.
    pub s_axis_tlast: Signal<In, Bit>,
    /// The response byte is taken.
    pub s_axis_tready: Signal<Out, Bit>,
    /// A pipe-in word arrived while the input FIFO was full and was dropped (sticky).
    pub overflow: Signal<Out, Bit>,
    /// A pipe-out word was read while none was ready (sticky).
    pub underflow: Signal<Out, Bit>,
    in_lo: ByteFifo,
    in_hi: ByteFifo,
    out_lo: ByteFifo,
    out_hi: ByteFifo,
    depth: Constant<Bits<16>>,
    in_words: DFF<Bits<16>>,
    hi_next: DFF<Bit>,
    held: DFF<Bit>,
    held_last: DFF<Bit>,
    held_byte: DFF<Bits<8>>,
    out_words: DFF<Bits<16>>,
    ready_words: DFF<Bits<16>>,
    pushed: DFF<Bit>,
    out_word: DFF<Bits<16>>,
    ovf: DFF<Bit>,
    unf: DFF<Bit>,
    in_push: Signal<Local, Bit>,
    req_valid: Signal<Local, Bit>,
    req_hs: Signal<Local, Bit>,
    in_pop: Signal<Local, Bit>,
    room: Signal<Local, Bit>,
    rsp_ready: Signal<Local, Bit>,
    rsp_hs: Signal<Local, Bit>,
    pad: Signal<Local, Bit>,
    push: Signal<Local, Bit>,
    pop: Signal<Local, Bit>,
}

impl PipeBridge {
    /// A bridge whose input and output FIFOs hold `fifo_words` 16-bit words each. Panics unless
    /// `fifo_words` is a power of two in [`PIPE_FIFO_WORDS`].
    pub fn new(fifo_words: usize) -> Self {
        assert!(
            fifo_words.is_power_of_two() && PIPE_FIFO_WORDS.contains(&fifo_words),
            "PipeBridge: the FIFO depth must be a power of two in 4..=32768 words, got {fifo_words}"
        );
        Self {
            clock: Default::default(),
            reset: Default::default(),
            pipe_in_write: Default::default(),
            pipe_in_data: Default::default(),
            pipe_out_read: Default::default(),
            pipe_out_data: Default::default(),
            words_free: Default::default(),
            words_ready: Default::default(),
            m_axis_tdata: Default::default(),
            m_axis_tvalid: Default::default(),
            m_axis_tready: Default::default(),
            s_axis_tdata: Default::default(),
            s_axis_tvalid: Default::default(),
            s_axis_tlast: Default::default(),
            s_axis_tready: Default::default(),
            overflow: Default::default(),
            underflow: Default::default(),
            in_lo: ByteFifo::new(fifo_words),
            in_hi: ByteFifo::new(fifo_words),
            out_lo: ByteFifo::new(fifo_words),
            out_hi: ByteFifo::new(fifo_words),
            depth: Constant::new((fifo_words as u64).into()),
            in_words: Default::default(),
            hi_next: Default::default(),
            held: Default::default(),
            held_last: Default::default(),
            held_byte: Default::default(),
            out_words: Default::default(),
            ready_words: Default::default(),
            pushed: Default::default(),
            out_word: Default::default(),
            ovf: Default::default(),
            unf: Default::default(),
            in_push: Default::default(),
            req_valid: Default::default(),
            req_hs: Default::default(),
            in_pop: Default::default(),
            room: Default::default(),
            rsp_ready: Default::default(),
            rsp_hs: Default::default(),
            pad: Default::default(),
            push: Default::default(),
            pop: Default::default(),
        }
    }

    /// Words each FIFO holds.
    pub fn fifo_words(&self) -> usize {
        self.in_lo.depth()
    }
}

impl Logic for PipeBridge {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(
            self,
            clock,
            in_words,
            hi_next,
            held,
            held_last,
            held_byte,
            out_words,
            ready_words,
            pushed,
            out_word,
            ovf,
            unf
        );
        clock!(self, clock, in_lo, in_hi, out_lo, out_hi);
        self.in_lo.reset.next = self.reset.val();
        self.in_hi.reset.next = self.reset.val();
        self.out_lo.reset.next = self.reset.val();
        self.out_hi.reset.next = self.reset.val();

        // Pipe in: a word into both input lanes, unless the FIFO is full (dropped, flagged).
        self.in_push.next = self.pipe_in_write.val() & (self.in_words.q.val() != self.depth.val());
        self.in_lo.s_axis_tdata.next = self.pipe_in_data.val().get_bits::<8>(0);
        self.in_hi.s_axis_tdata.next = self.pipe_in_data.val().get_bits::<8>(8);
        self.in_lo.s_axis_tvalid.next = self.in_push.val();
        self.in_hi.s_axis_tvalid.next = self.in_push.val();
        if self.pipe_in_write.val() & !self.in_push.val() {
            self.ovf.d.next = true;
        }

        // Request bytes: each word's low byte, then its high byte.
        self.m_axis_tdata.next = self.in_lo.m_axis_tdata.val();
        self.req_valid.next = self.in_lo.m_axis_tvalid.val();
        if self.hi_next.q.val() {
            self.m_axis_tdata.next = self.in_hi.m_axis_tdata.val();
            self.req_valid.next = self.in_hi.m_axis_tvalid.val();
        }
        self.m_axis_tvalid.next = self.req_valid.val();
        self.in_lo.m_axis_tready.next = !self.hi_next.q.val() & self.m_axis_tready.val();
        self.in_hi.m_axis_tready.next = self.hi_next.q.val() & self.m_axis_tready.val();
        self.req_hs.next = self.req_valid.val() & self.m_axis_tready.val();
        if self.req_hs.val() {
            self.hi_next.d.next = !self.hi_next.q.val();
        }
        // A word's space is free once its high byte is taken.
        self.in_pop.next = self.req_hs.val() & self.hi_next.q.val();
        if self.in_push.val() & !self.in_pop.val() {
            self.in_words.d.next = self.in_words.q.val() + 1;
        } else if !self.in_push.val() & self.in_pop.val() {
            self.in_words.d.next = self.in_words.q.val() - 1;
        }
        self.words_free.next = self.depth.val() - self.in_words.q.val();

        // Response bytes into words: a byte is held as a low byte until its partner arrives;
        // a held frame's last byte goes out at once with a 0x00 high byte.
        self.room.next = self.out_words.q.val() != self.depth.val();
        self.pad.next = self.held.q.val() & self.held_last.q.val() & self.room.val();
        self.rsp_ready.next = !self.held.q.val() | (!self.held_last.q.val() & self.room.val());
        self.s_axis_tready.next = self.rsp_ready.val();
        self.rsp_hs.next = self.s_axis_tvalid.val() & self.rsp_ready.val();
        self.push.next = self.pad.val() | (self.held.q.val() & self.rsp_hs.val());
        self.out_lo.s_axis_tdata.next = self.held_byte.q.val();
        self.out_hi.s_axis_tdata.next = self.s_axis_tdata.val();
        if self.pad.val() {
            self.out_hi.s_axis_tdata.next = 0.into();
        }
        self.out_lo.s_axis_tvalid.next = self.push.val();
        self.out_hi.s_axis_tvalid.next = self.push.val();
        if self.rsp_hs.val() & !self.held.q.val() {
            self.held.d.next = true;
            self.held_byte.d.next = self.s_axis_tdata.val();
            self.held_last.d.next = self.s_axis_tlast.val();
        }
        if self.push.val() {
            self.held.d.next = false;
        }

        // Pipe out: a word from both output lanes, presented in the next cycle. A pushed word
        // reaches the lanes' output registers two cycles after its push, so it counts as
        // ready from then on (`pushed` delays the count by one cycle, the register another).
        self.pop.next = self.pipe_out_read.val() & (self.ready_words.q.val() != 0);
        self.out_lo.m_axis_tready.next = self.pop.val();
        self.out_hi.m_axis_tready.next = self.pop.val();
        self.out_word.d.next = 0.into();
        if self.pop.val() {
            self.out_word.d.next = (bit_cast::<16, 8>(self.out_hi.m_axis_tdata.val()) << 8)
                | bit_cast::<16, 8>(self.out_lo.m_axis_tdata.val());
        }
        if self.pipe_out_read.val() & !self.pop.val() {
            self.unf.d.next = true;
        }
        self.pipe_out_data.next = self.out_word.q.val();
        if self.push.val() & !self.pop.val() {
            self.out_words.d.next = self.out_words.q.val() + 1;
        } else if !self.push.val() & self.pop.val() {
            self.out_words.d.next = self.out_words.q.val() - 1;
        }
        self.pushed.d.next = self.push.val();
        if self.pushed.q.val() & !self.pop.val() {
            self.ready_words.d.next = self.ready_words.q.val() + 1;
        } else if !self.pushed.q.val() & self.pop.val() {
            self.ready_words.d.next = self.ready_words.q.val() - 1;
        }
        self.words_ready.next = self.ready_words.q.val();

        self.overflow.next = self.ovf.q.val();
        self.underflow.next = self.unf.q.val();
        if self.reset.val() {
            self.in_words.d.next = 0.into();
            self.hi_next.d.next = false;
            self.held.d.next = false;
            self.out_words.d.next = 0.into();
            self.ready_words.d.next = 0.into();
            self.pushed.d.next = false;
            self.out_word.d.next = 0.into();
            self.ovf.d.next = false;
            self.unf.d.next = false;
        }
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

    fn clock(u: &mut PipeBridge) -> &mut Signal<In, Clock> {
        &mut u.clock
    }

    fn bridge(fifo_words: usize) -> PipeBridge {
        let mut uut = PipeBridge::new(fifo_words);
        uut.connect_all();
        uut
    }

    /// One cycle's inputs.
    #[derive(Clone, Copy, Debug, Default)]
    struct Ins {
        reset: bool,
        write: bool,
        wdata: u16,
        read: bool,
        m_ready: bool,
        s_data: u8,
        s_valid: bool,
        s_last: bool,
    }

    impl Ins {
        fn as_row(&self) -> Vec<u64> {
            vec![
                self.reset as u64,
                self.write as u64,
                self.wdata as u64,
                self.read as u64,
                self.m_ready as u64,
                self.s_data as u64,
                self.s_valid as u64,
                self.s_last as u64,
            ]
        }
    }

    const INPUTS: [&str; 8] = [
        "reset",
        "pipe_in_write",
        "pipe_in_data",
        "pipe_out_read",
        "m_axis_tready",
        "s_axis_tdata",
        "s_axis_tvalid",
        "s_axis_tlast",
    ];
    const OUTPUTS: [&str; 8] = [
        "pipe_out_data",
        "words_free",
        "words_ready",
        "m_axis_tdata",
        "m_axis_tvalid",
        "s_axis_tready",
        "overflow",
        "underflow",
    ];

    /// Applies `i`, settles, samples the outputs (as [`OUTPUTS`]), clocks.
    fn step(u: &mut PipeBridge, i: Ins) -> Vec<u64> {
        u.reset.next = i.reset;
        u.pipe_in_write.next = i.write;
        u.pipe_in_data.next = (i.wdata as u64).into();
        u.pipe_out_read.next = i.read;
        u.m_axis_tready.next = i.m_ready;
        u.s_axis_tdata.next = (i.s_data as u64).into();
        u.s_axis_tvalid.next = i.s_valid;
        u.s_axis_tlast.next = i.s_last;
        settle(u);
        let o = vec![
            u.pipe_out_data.val().to_u64(),
            u.words_free.val().to_u64(),
            u.words_ready.val().to_u64(),
            u.m_axis_tdata.val().to_u64(),
            u64::from(u.m_axis_tvalid.val()),
            u64::from(u.s_axis_tready.val()),
            u64::from(u.overflow.val()),
            u64::from(u.underflow.val()),
        ];
        rise(u, clock);
        o
    }

    /// How the two sides behave: probabilities of an idle cycle.
    #[derive(Clone, Copy, Debug)]
    struct Traffic {
        /// The host skips a cycle within a transfer (pipe words need not be back to back).
        host_idle: f64,
        /// The host does not start a wire-out update and transfer in a cycle.
        host_pause: f64,
        /// The link design does not take a request byte.
        link_stall: f64,
        /// The link design offers no response byte.
        link_idle: f64,
        seed: u64,
    }

    const TRAFFIC: [Traffic; 4] = [
        Traffic {
            host_idle: 0.0,
            host_pause: 0.0,
            link_stall: 0.0,
            link_idle: 0.0,
            seed: 1,
        },
        Traffic {
            host_idle: 0.3,
            host_pause: 0.9,
            link_stall: 0.5,
            link_idle: 0.3,
            seed: 2,
        },
        Traffic {
            host_idle: 0.0,
            host_pause: 0.99,
            link_stall: 0.9,
            link_idle: 0.0,
            seed: 3,
        },
        Traffic {
            host_idle: 0.7,
            host_pause: 0.2,
            link_stall: 0.0,
            link_idle: 0.8,
            seed: 4,
        },
    ];

    /// A FrontPanel-like host writing `words` (at most `words_free` per transfer) and reading
    /// whatever is ready (at most `words_ready` per transfer), against a link design that
    /// takes request bytes and sends the response `frames`. Returns the request bytes the link
    /// got and the words the host read; asserts that neither flag rises.
    fn run_traffic(
        fifo_words: usize,
        words: &[u16],
        frames: &[Vec<u8>],
        t: Traffic,
    ) -> (Vec<u8>, Vec<u16>) {
        let mut u = bridge(fifo_words);
        let mut rng = StdRng::seed_from_u64(t.seed);
        let rsp: Vec<(u8, bool)> = frames
            .iter()
            .flat_map(|f| f.iter().enumerate().map(|(k, &b)| (b, k + 1 == f.len())))
            .collect();
        let want_words = frames.iter().map(|f| f.len().div_ceil(2)).sum::<usize>();
        let (mut wr, mut wr_budget, mut rd_budget) = (0usize, 0usize, 0usize);
        let (mut got_req, mut got_rsp) = (Vec::new(), Vec::new());
        let (mut sent, mut offer) = (0usize, false);
        let mut read_last = false;
        for _cycle in 0..2_000_000 {
            let all_in = wr == words.len() && got_req.len() == 2 * words.len();
            if all_in && sent == rsp.len() && got_rsp.len() == want_words {
                let o = step(&mut u, Ins::default());
                assert_eq!(o[1], fifo_words as u64, "everything taken: all words free");
                assert_eq!(o[2], 0);
                return (got_req, got_rsp);
            }
            // Wire-out updates: a new transfer's budget when the last one is done.
            let (free, ready) = (u.words_free.val().to_u64(), u.words_ready.val().to_u64());
            if wr_budget == 0 && !rng.gen_bool(t.host_pause) {
                wr_budget = (free as usize).min(words.len() - wr);
            }
            if rd_budget == 0 && !rng.gen_bool(t.host_pause) {
                rd_budget = ready as usize;
            }
            let mut i = Ins::default();
            if wr_budget > 0 && !rng.gen_bool(t.host_idle) {
                (i.write, i.wdata) = (true, words[wr]);
                wr += 1;
                wr_budget -= 1;
            }
            if rd_budget > 0 && !rng.gen_bool(t.host_idle) {
                i.read = true;
                rd_budget -= 1;
            }
            i.m_ready = !rng.gen_bool(t.link_stall);
            // AXI-Stream: an offered byte stays until it is taken.
            if !offer && sent < rsp.len() {
                offer = !rng.gen_bool(t.link_idle);
            }
            if offer {
                (i.s_data, i.s_valid, i.s_last) = (rsp[sent].0, true, rsp[sent].1);
            }
            let o = step(&mut u, i);
            if read_last {
                got_rsp.push(o[0] as u16);
            }
            read_last = i.read;
            if o[4] == 1 && i.m_ready {
                got_req.push(o[3] as u8);
            }
            if offer && o[5] == 1 {
                sent += 1;
                offer = false;
            }
            assert_eq!((o[6], o[7]), (0, 0), "no overflow, no underflow");
            assert!(o[1] as usize <= fifo_words && o[2] as usize <= fifo_words);
        }
        panic!(
            "{t:?}: stuck: {wr} of {} words written, {sent} of {} response bytes sent, {} of {want_words} words read",
            words.len(),
            rsp.len(),
            got_rsp.len()
        );
    }

    /// What the host must read for `frames`: each frame's bytes, a 0x00 after an odd-length
    /// one, two a word, the first in the low byte.
    fn padded_words(frames: &[Vec<u8>]) -> Vec<u16> {
        let mut bytes = Vec::new();
        for f in frames {
            bytes.extend(f);
            if f.len() % 2 == 1 {
                bytes.push(0);
            }
        }
        bytes
            .chunks(2)
            .map(|c| c[0] as u16 | (c[1] as u16) << 8)
            .collect()
    }

    fn random_frames(rng: &mut StdRng, count: usize, max_len: usize) -> Vec<Vec<u8>> {
        (0..count)
            .map(|_| {
                let n = rng.gen_range(1..=max_len);
                (0..n).map(|_| rng.gen()).collect()
            })
            .collect()
    }

    #[test]
    fn bytes_go_through_low_byte_first_under_idle_and_back_pressure() {
        let mut rng = StdRng::seed_from_u64(9);
        for (k, t) in TRAFFIC.into_iter().enumerate() {
            for fifo_words in [4, 64] {
                let words: Vec<u16> = (0..300).map(|_| rng.gen()).collect();
                let frames = random_frames(&mut rng, 40, 17);
                let (req, rsp) = run_traffic(fifo_words, &words, &frames, t);
                let want_req: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
                assert_eq!(req, want_req, "traffic {k}, {fifo_words} words: requests");
                assert_eq!(
                    rsp,
                    padded_words(&frames),
                    "traffic {k}, {fifo_words} words: responses"
                );
            }
        }
    }

    #[test]
    fn a_read_word_is_presented_in_the_next_cycle() {
        let mut u = bridge(8);
        // A two-byte frame and a three-byte frame: three words.
        for (b, last) in [(0x11, false), (0x22, true), (0x33, false), (0x44, false)]
            .into_iter()
            .chain([(0x55, true)])
        {
            loop {
                let i = Ins {
                    s_data: b,
                    s_valid: true,
                    s_last: last,
                    ..Default::default()
                };
                if step(&mut u, i)[5] == 1 {
                    break;
                }
            }
        }
        let idle = Ins::default();
        for _ in 0..3 {
            step(&mut u, idle);
        }
        assert_eq!(step(&mut u, idle)[2], 3, "three words ready");
        // Reads in cycles 0, 1 and 3: the words appear in cycles 1, 2 and 4, 0 otherwise.
        let reads = [true, true, false, true, false, false];
        let data: Vec<u64> = reads
            .iter()
            .map(|&r| {
                step(
                    &mut u,
                    Ins {
                        read: r,
                        ..Default::default()
                    },
                )[0]
            })
            .collect();
        assert_eq!(data, [0, 0x2211, 0x4433, 0, 0x0055, 0]);
        let o = step(&mut u, idle);
        assert_eq!((o[2], o[7]), (0, 0), "all read, no underflow");
    }

    #[test]
    fn a_frames_last_byte_is_padded_at_once_and_a_lone_byte_inside_a_frame_waits() {
        let mut u = bridge(8);
        let byte = |b, last| Ins {
            s_data: b,
            s_valid: true,
            s_last: last,
            ..Default::default()
        };
        assert_eq!(step(&mut u, byte(0xAB, false))[5], 1);
        for _ in 0..50 {
            let o = step(&mut u, Ins::default());
            assert_eq!(o[2], 0, "a lone byte inside a frame waits for its partner");
        }
        assert_eq!(step(&mut u, byte(0xCD, false))[5], 1);
        assert_eq!(step(&mut u, byte(0xEF, true))[5], 1);
        // The next frame's first byte is held off while the padded word goes in.
        assert_eq!(step(&mut u, byte(0x01, false))[5], 0);
        assert_eq!(step(&mut u, byte(0x01, false))[5], 1);
        let o: Vec<Vec<u64>> = (0..4).map(|_| step(&mut u, Ins::default())).collect();
        assert_eq!(o[3][2], 2, "two words ready: the frame's, padded");
        let rd = Ins {
            read: true,
            ..Default::default()
        };
        step(&mut u, rd);
        assert_eq!(step(&mut u, rd)[0], 0xCDAB);
        assert_eq!(step(&mut u, Ins::default())[0], 0x00EF);
    }

    #[test]
    fn overflow_and_underflow_are_flagged_and_reset_clears_them() {
        let mut u = bridge(4);
        assert_eq!(step(&mut u, Ins::default())[1], 4, "four words free");
        for k in 0..5u16 {
            step(
                &mut u,
                Ins {
                    write: true,
                    wdata: 0x100 * k + k,
                    ..Default::default()
                },
            );
        }
        let o = step(&mut u, Ins::default());
        assert_eq!((o[1], o[6], o[7]), (0, 1, 0), "full, overflow");
        let o = step(
            &mut u,
            Ins {
                read: true,
                ..Default::default()
            },
        );
        assert_eq!(o[2], 0);
        let o = step(&mut u, Ins::default());
        assert_eq!((o[0], o[6], o[7]), (0, 1, 1), "read nothing: 0, underflow");
        // The four words that fit are kept, in order.
        let mut got = vec![];
        for _ in 0..12 {
            let o = step(
                &mut u,
                Ins {
                    m_ready: true,
                    ..Default::default()
                },
            );
            if o[4] == 1 {
                got.push(o[3] as u8);
            }
        }
        assert_eq!(got, [0, 0, 1, 1, 2, 2, 3, 3]);
        let o = step(
            &mut u,
            Ins {
                reset: true,
                ..Default::default()
            },
        );
        assert_eq!((o[6], o[7]), (1, 1), "sticky until the reset edge");
        let o = step(&mut u, Ins::default());
        assert_eq!((o[1], o[2], o[6], o[7]), (4, 0, 0, 0));
    }

    /// Random stimulus: every input random, resets now and then, phases of heavy writing and
    /// heavy reading so the FIFOs fill and empty.
    fn stimulus(cycles: usize, seed: u64) -> Vec<Ins> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..cycles)
            .map(|c| {
                let (w, r) = match (c / 80) % 3 {
                    0 => (0.8, 0.1),
                    1 => (0.1, 0.8),
                    _ => (0.5, 0.5),
                };
                Ins {
                    reset: c < 2 || rng.gen_bool(0.002),
                    write: rng.gen_bool(w),
                    wdata: rng.gen(),
                    read: rng.gen_bool(r),
                    m_ready: rng.gen_bool(r),
                    s_data: rng.gen(),
                    s_valid: rng.gen_bool(w),
                    s_last: rng.gen_bool(0.2),
                }
            })
            .collect()
    }

    #[test]
    fn verilog_matches_the_twin_in_verilator() {
        let stim = stimulus(4000, 5);
        let mut u = bridge(8);
        let want: Vec<Vec<u64>> = stim.iter().map(|&i| step(&mut u, i)).collect();
        let mut v = bridge(8);
        v.connect_all();
        let rows: Vec<Vec<u64>> = stim.iter().map(Ins::as_row).collect();
        let got = replay(
            "pipe_bridge",
            &generate_verilog(&v),
            "clock",
            &INPUTS,
            &OUTPUTS,
            &rows,
        );
        assert_eq!(got.len(), want.len());
        for (c, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g, w, "cycle {c} ({:?})", stim[c]);
        }
        // The stimulus did exercise full and empty FIFOs and both flags.
        assert!(want.iter().any(|o| o[1] == 0) && want.iter().any(|o| o[2] == 8));
        assert!(want.iter().any(|o| o[6] == 1) && want.iter().any(|o| o[7] == 1));
    }

    #[test]
    fn lints_clean() {
        for words in [4, 4096] {
            verilator_lint(
                &format!("pipe_bridge_{words}"),
                &generate_verilog(&bridge(words)),
            )
            .unwrap();
        }
    }

    #[test]
    #[should_panic(
        expected = "PipeBridge: the FIFO depth must be a power of two in 4..=32768 words, got 1000"
    )]
    fn fifo_depth_must_be_a_power_of_two() {
        PipeBridge::new(1000);
    }

    #[test]
    #[should_panic(
        expected = "PipeBridge: the FIFO depth must be a power of two in 4..=32768 words, got 65536"
    )]
    fn fifo_depth_must_fit_the_wire_outs() {
        PipeBridge::new(65536);
    }
}
