//! `ByteCrossing`: a link design's two byte streams from the host interface's clock domain into
//! the design's own clock domain and back.

use crate::io::reset_sync::ResetSync;
use rust_hdl::prelude::*;

/// Bytes each FIFO of a [`ByteCrossing`] holds.
pub const CROSSING_BYTES: usize = 32;
/// Cycles each side of a [`ByteCrossing`] goes on emptying the FIFO it reads after its reset
/// ends: longer than a FIFO pointer takes to cross (a few cycles of each clock) for clocks
/// within 4x of each other, so no byte written before a reset comes out after it.
pub const DRAIN_CYCLES: u64 = 32;
// `update` writes it as a literal (rust-hdl's `hdl_gen` cannot name a Rust constant).
const _: () = assert!(DRAIN_CYCLES == 32);

/// The request FIFO: bytes, host side to design side ([`CROSSING_BYTES`] deep).
type RequestFifo = AsynchronousFIFO<Bits<8>, 5, 6, 1>;
/// The response FIFO: bytes with `tlast` above them, design side to host side.
type ResponseFifo = AsynchronousFIFO<Bits<9>, 5, 6, 1>;

/// The byte streams between a host interface on `clock` (a UART or FrontPanel's pipes) and a
/// link design on `head_clock`: request bytes cross through one asynchronous FIFO, response
/// bytes (with `tlast`) through another, each [`CROSSING_BYTES`] deep (rust-hdl's
/// `AsynchronousFIFO`: a dual-clock RAM, its pointers carried across by request/acknowledge
/// handshakes). The two clocks may be unrelated; neither needs to be the faster.
///
/// **Reset.** `reset` (synchronous to `clock`) also resets the design side: `head_reset` is
/// `reset` through a [`ResetSync`] on `head_clock`, held [`crate::io::reset_sync::RESET_RELEASE_CYCLES`]
/// cycles longer. While its reset is high and for [`DRAIN_CYCLES`] cycles after, each side
/// empties the FIFO it reads and neither takes nor offers a byte, and the host side takes no
/// request byte until the design side has finished too (a flag that crosses back): both FIFOs
/// are empty when the reset is over, as a single-clock design's FIFOs would be, and no byte
/// taken after it is discarded.
///
/// **Status.** `busy` is the design's `head_busy` through a two-flip-flop synchronizer. `idle`
/// is high when the design's `head_idle` is and both FIFOs are empty as each side sees them; it
/// follows the design a few cycles of either clock late, so a host that
/// waits for `idle` must see it held for a while (`sim::board` waits [`IDLE_HOLD_CYCLES`]).
///
/// Inputs (`clock` domain): `clock`; `reset`; requests `s_axis_tdata` (8), `s_axis_tvalid`;
/// `m_axis_tready`.
/// Inputs (`head_clock` domain): `head_clock`; `m_axis_req_tready`; responses
/// `s_axis_rsp_tdata` (8), `s_axis_rsp_tvalid`, `s_axis_rsp_tlast`; `head_busy`, `head_idle`.
/// Outputs (`clock` domain): `s_axis_tready`; responses `m_axis_tdata` (8), `m_axis_tvalid`,
/// `m_axis_tlast`; `busy`; `idle`.
/// Outputs (`head_clock` domain): `head_reset` (registered); requests `m_axis_req_tdata` (8),
/// `m_axis_req_tvalid`; `s_axis_rsp_tready` (registered).
#[derive(LogicBlock, Default)]
pub struct ByteCrossing {
    /// The host interface's clock.
    pub clock: Signal<In, Clock>,
    /// Synchronous reset (`clock` domain), for both sides.
    pub reset: Signal<In, Bit>,
    /// A request byte from the host interface.
    pub s_axis_tdata: Signal<In, Bits<8>>,
    /// `s_axis_tdata` is valid.
    pub s_axis_tvalid: Signal<In, Bit>,
    /// The request byte is taken.
    pub s_axis_tready: Signal<Out, Bit>,
    /// A response byte for the host interface.
    pub m_axis_tdata: Signal<Out, Bits<8>>,
    /// `m_axis_tdata` is valid.
    pub m_axis_tvalid: Signal<Out, Bit>,
    /// The response byte is taken.
    pub m_axis_tready: Signal<In, Bit>,
    /// The response byte ends its frame.
    pub m_axis_tlast: Signal<Out, Bit>,
    /// The design is computing (synchronized to `clock`).
    pub busy: Signal<Out, Bit>,
    /// The design and both FIFOs are idle (synchronized to `clock`).
    pub idle: Signal<Out, Bit>,
    /// The design's clock.
    pub head_clock: Signal<In, Clock>,
    /// The design's synchronous reset (`head_clock` domain).
    pub head_reset: Signal<Out, Bit>,
    /// A request byte for the design.
    pub m_axis_req_tdata: Signal<Out, Bits<8>>,
    /// `m_axis_req_tdata` is valid.
    pub m_axis_req_tvalid: Signal<Out, Bit>,
    /// The design takes the request byte.
    pub m_axis_req_tready: Signal<In, Bit>,
    /// A response byte from the design.
    pub s_axis_rsp_tdata: Signal<In, Bits<8>>,
    /// `s_axis_rsp_tdata` is valid.
    pub s_axis_rsp_tvalid: Signal<In, Bit>,
    /// The response byte is taken.
    pub s_axis_rsp_tready: Signal<Out, Bit>,
    /// The response byte ends its frame.
    pub s_axis_rsp_tlast: Signal<In, Bit>,
    /// The design's `busy`.
    pub head_busy: Signal<In, Bit>,
    /// The design's `idle`.
    pub head_idle: Signal<In, Bit>,
    /// Requests, `clock` to `head_clock`.
    req: RequestFifo,
    /// Responses and their `tlast`, `head_clock` to `clock`.
    rsp: ResponseFifo,
    /// `head_reset` from `reset`.
    head_reset_sync: ResetSync,
    /// Drain cycles left on the host side.
    host_drain: DFF<Bits<6>>,
    /// Drain cycles left on the design side.
    head_drain: DFF<Bits<6>>,
    /// The design side's busy (bit 1) and idle (bit 0), registered before they cross.
    head_flags: DFF<Bits<2>>,
    /// `busy` into `clock`.
    busy_sync: BitSynchronizer,
    /// `idle` into `clock`.
    idle_sync: BitSynchronizer,
    /// The design side is out of its reset and drain (registered before it crosses).
    head_ready: DFF<Bit>,
    /// `head_ready` into `clock`.
    ready_sync: BitSynchronizer,
    /// The response FIFO has room for a byte this cycle (registered from the fill level of
    /// the cycle before), so `s_axis_rsp_tready` comes from a flip-flop.
    rsp_room: DFF<Bit>,
    /// The host side takes request bytes.
    host_open: Signal<Local, Bit>,
    /// The host side empties the response FIFO.
    host_draining: Signal<Local, Bit>,
    /// The design side empties the request FIFO.
    head_draining: Signal<Local, Bit>,
}

impl Logic for ByteCrossing {
    #[hdl_gen]
    fn update(&mut self) {
        // Clocks.
        self.req.write_clock.next = self.clock.val();
        self.rsp.read_clock.next = self.clock.val();
        self.host_drain.clock.next = self.clock.val();
        self.busy_sync.clock.next = self.clock.val();
        self.idle_sync.clock.next = self.clock.val();
        self.ready_sync.clock.next = self.clock.val();
        self.head_ready.clock.next = self.head_clock.val();
        self.rsp_room.clock.next = self.head_clock.val();
        self.req.read_clock.next = self.head_clock.val();
        self.rsp.write_clock.next = self.head_clock.val();
        self.head_drain.clock.next = self.head_clock.val();
        self.head_flags.clock.next = self.head_clock.val();
        self.head_reset_sync.clock.next = self.head_clock.val();

        // Resets and draining.
        self.head_reset_sync.run.next = !self.reset.val();
        self.head_reset.next = self.head_reset_sync.reset.val();
        self.host_drain.d.next = self.host_drain.q.val();
        if self.reset.val() {
            self.host_drain.d.next = 32.into(); // DRAIN_CYCLES
        } else if self.host_drain.q.val().any() {
            self.host_drain.d.next = self.host_drain.q.val() - 1;
        }
        self.head_drain.d.next = self.head_drain.q.val();
        if self.head_reset_sync.reset.val() {
            self.head_drain.d.next = 32.into(); // DRAIN_CYCLES
        } else if self.head_drain.q.val().any() {
            self.head_drain.d.next = self.head_drain.q.val() - 1;
        }
        self.host_draining.next = self.reset.val() | self.host_drain.q.val().any();
        self.head_draining.next = self.head_reset_sync.reset.val() | self.head_drain.q.val().any();
        // Requests are taken only once the design side is ready too (it may come out of its
        // reset later than the host side, its clock being the slower).
        self.head_ready.d.next = !self.head_draining.val();
        self.ready_sync.sig_in.next = self.head_ready.q.val();
        self.host_open.next = !self.host_draining.val() & self.ready_sync.sig_out.val();

        // Requests: host side writes, design side reads.
        self.req.data_in.next = self.s_axis_tdata.val();
        self.req.write.next =
            self.s_axis_tvalid.val() & !self.req.full.val() & self.host_open.val();
        self.s_axis_tready.next = !self.req.full.val() & self.host_open.val();
        self.m_axis_req_tdata.next = self.req.data_out.val();
        self.m_axis_req_tvalid.next = !self.req.empty.val() & !self.head_draining.val();
        self.req.read.next =
            !self.req.empty.val() & (self.m_axis_req_tready.val() | self.head_draining.val());

        // Responses: design side writes, host side reads.
        self.rsp.data_in.next = bit_cast::<9, 8>(self.s_axis_rsp_tdata.val());
        if self.s_axis_rsp_tlast.val() {
            self.rsp.data_in.next = bit_cast::<9, 8>(self.s_axis_rsp_tdata.val()) | 256;
        }
        // Room next cycle, even if a byte goes in this one: the write side's fill level lags a
        // write by a cycle, so at most 29 counted (31 taken) leaves one slot. The design's
        // transmitter sees only this flip-flop (its ready fans out to the enables of a whole
        // result row).
        self.rsp_room.d.next = (self.rsp.write_fill.val() < 30) & !self.head_draining.val();
        self.rsp.write.next = self.s_axis_rsp_tvalid.val() & self.rsp_room.q.val();
        self.s_axis_rsp_tready.next = self.rsp_room.q.val();
        self.m_axis_tdata.next = self.rsp.data_out.val().get_bits::<8>(0);
        self.m_axis_tlast.next = self.rsp.data_out.val().get_bit(8);
        self.m_axis_tvalid.next = !self.rsp.empty.val() & !self.host_draining.val();
        self.rsp.read.next =
            !self.rsp.empty.val() & (self.m_axis_tready.val() | self.host_draining.val());

        // Status: the design's flags (idle only with both FIFOs empty on its side), registered,
        // then synchronized; idle also needs both FIFOs empty on the host side.
        self.head_flags.d.next = 0.into();
        if self.head_busy.val() {
            self.head_flags.d.next = 2.into();
        }
        if self.head_idle.val() & self.req.empty.val() & !self.rsp.write_fill.val().any() {
            self.head_flags.d.next = self.head_flags.d.val() | 1;
        }
        self.busy_sync.sig_in.next = self.head_flags.q.val().get_bit(1);
        self.idle_sync.sig_in.next = self.head_flags.q.val().get_bit(0);
        self.busy.next = self.busy_sync.sig_out.val();
        self.idle.next =
            self.idle_sync.sig_out.val() & !self.req.write_fill.val().any() & self.rsp.empty.val();
    }
}

/// Cycles of the host interface's clock a host must see [`ByteCrossing::idle`] held before it
/// takes the design for idle: enough for the flags and both FIFOs' pointers to cross (a few
/// cycles of each clock) for clocks within 4x of each other.
pub const IDLE_HOLD_CYCLES: u64 = 64;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;
    use crate::verify::testbench::{rise, settle};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// Drives both sides with clocks of periods `host_ps` and `head_ps` (picoseconds), random
    /// idle and back-pressure on every stream, `frames` (bytes, the last of each with `tlast`)
    /// from the host side to the design side, and the same bytes back as the design's
    /// responses; returns what each side received.
    fn run(host_ps: u64, head_ps: u64, bytes: &[u8], seed: u64) -> (Vec<u8>, Vec<(u8, bool)>) {
        let mut uut = ByteCrossing::default();
        uut.connect_all();
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut t_host, mut t_head) = (0u64, head_ps / 3);
        let (mut sent, mut echoed) = (0usize, 0usize);
        let mut at_head: Vec<u8> = vec![];
        let mut at_host: Vec<(u8, bool)> = vec![];
        let (mut host_edges, mut steps) = (0u64, 0u64);
        while at_host.len() < bytes.len() {
            steps += 1;
            assert!(
                steps < 200_000,
                "the crossing stalled: {sent} sent, {} at the design, {echoed} echoed, {} back",
                at_head.len(),
                at_host.len()
            );
            let in_reset = host_edges < 8;
            // Inputs of both sides for this instant.
            let offer = !in_reset && sent < bytes.len() && rng.gen_bool(0.7);
            uut.reset.next = in_reset;
            uut.s_axis_tdata.next = u64::from(bytes.get(sent).copied().unwrap_or(0)).into();
            uut.s_axis_tvalid.next = offer;
            uut.m_axis_tready.next = rng.gen_bool(0.6);
            let take = rng.gen_bool(0.6);
            uut.m_axis_req_tready.next = take;
            let echo = echoed < at_head.len() && rng.gen_bool(0.7);
            uut.s_axis_rsp_tvalid.next = echo;
            uut.s_axis_rsp_tdata.next = u64::from(at_head.get(echoed).copied().unwrap_or(0)).into();
            uut.s_axis_rsp_tlast.next = echoed % 5 == 4;
            uut.head_busy.next = false;
            uut.head_idle.next = true;
            settle(&mut uut);
            // The earlier of the two rising edges next.
            if t_host <= t_head {
                if uut.s_axis_tvalid.val() && uut.s_axis_tready.val() {
                    sent += 1;
                }
                if uut.m_axis_tvalid.val() && uut.m_axis_tready.val() {
                    at_host.push((uut.m_axis_tdata.val().index() as u8, uut.m_axis_tlast.val()));
                }
                rise(&mut uut, |u| &mut u.clock);
                t_host += host_ps;
                host_edges += 1;
            } else {
                if uut.m_axis_req_tvalid.val() && uut.m_axis_req_tready.val() {
                    at_head.push(uut.m_axis_req_tdata.val().index() as u8);
                }
                if uut.s_axis_rsp_tvalid.val() && uut.s_axis_rsp_tready.val() {
                    echoed += 1;
                }
                rise(&mut uut, |u| &mut u.head_clock);
                t_head += head_ps;
            }
        }
        (at_head, at_host)
    }

    fn check(host_ps: u64, head_ps: u64) {
        let bytes: Vec<u8> = (0..300u32).map(|i| (i * 37 + 11) as u8).collect();
        let (at_head, at_host) = run(host_ps, head_ps, &bytes, host_ps ^ head_ps);
        assert_eq!(at_head, bytes, "requests at {host_ps} / {head_ps} ps");
        let want: Vec<(u8, bool)> = bytes
            .iter()
            .enumerate()
            .map(|(i, &b)| (b, i % 5 == 4))
            .collect();
        assert_eq!(at_host, want, "responses at {host_ps} / {head_ps} ps");
    }

    #[test]
    fn bytes_cross_both_ways_in_order_whatever_the_clocks() {
        // FrontPanel's 48 MHz against a faster and a slower design clock, and two clocks a
        // hair apart (their edges slide through every phase).
        check(20_833, 10_000);
        check(20_833, 33_333);
        check(10_000, 10_101);
    }

    /// A reset while request bytes are on their way: after it, the design side receives
    /// exactly the bytes sent after it, none from before (whichever clock is the slower).
    #[test]
    fn a_reset_discards_the_bytes_on_their_way_and_nothing_after_it() {
        for (host_ps, head_ps) in [(20_833u64, 10_000u64), (20_833, 33_333)] {
            let mut uut = ByteCrossing::default();
            uut.connect_all();
            let (mut t_host, mut t_head, mut host_edges) = (0u64, head_ps / 3, 0u64);
            let before: Vec<u8> = (0..40).collect();
            let after: Vec<u8> = (100..140).collect();
            let (mut sent, mut at_head) = (0usize, Vec::<u8>::new());
            let mut reset_at = None;
            while at_head.len() < after.len() || reset_at.is_none() {
                assert!(host_edges < 20_000, "stalled at {host_ps} / {head_ps} ps");
                // Reset for 6 host cycles once 20 bytes are in; the design takes a byte only
                // every other cycle, so some are still in the FIFO.
                if reset_at.is_none() && sent == 20 {
                    reset_at = Some(host_edges);
                }
                let in_reset =
                    host_edges < 4 || reset_at.is_some_and(|r| (r..r + 6).contains(&host_edges));
                if reset_at.is_some_and(|r| host_edges == r + 6) {
                    sent = 0;
                    at_head.clear();
                }
                let stream = if reset_at.is_some_and(|r| host_edges >= r + 6) {
                    &after
                } else {
                    &before
                };
                uut.reset.next = in_reset;
                uut.s_axis_tvalid.next = !in_reset && sent < stream.len();
                uut.s_axis_tdata.next = u64::from(stream.get(sent).copied().unwrap_or(0)).into();
                uut.m_axis_tready.next = true;
                uut.m_axis_req_tready.next = (t_head / head_ps) % 2 == 0;
                uut.s_axis_rsp_tvalid.next = false;
                uut.head_busy.next = false;
                uut.head_idle.next = true;
                settle(&mut uut);
                if t_host <= t_head {
                    if uut.s_axis_tvalid.val() && uut.s_axis_tready.val() {
                        sent += 1;
                    }
                    rise(&mut uut, |u| &mut u.clock);
                    t_host += host_ps;
                    host_edges += 1;
                } else {
                    if uut.m_axis_req_tvalid.val() && uut.m_axis_req_tready.val() {
                        at_head.push(uut.m_axis_req_tdata.val().index() as u8);
                    }
                    rise(&mut uut, |u| &mut u.head_clock);
                    t_head += head_ps;
                }
            }
            assert_eq!(at_head, after, "{host_ps} / {head_ps} ps");
        }
    }

    #[test]
    fn lints_clean() {
        let mut uut = ByteCrossing::default();
        uut.connect_all();
        // rust-hdl writes one `always @(*)` per block, so the FIFOs' flags and the handshakes
        // built from them look like a loop to Verilator (as in every block with sub-blocks
        // wired both ways); it is not one in the gates.
        let v = format!(
            "/* verilator lint_off UNOPTFLAT */\n{}",
            generate_verilog(&uut)
        );
        verilator_lint("byte_crossing", &v).unwrap();
    }
}
