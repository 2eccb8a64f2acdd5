//! What is built on each board: its link designs (the accelerator behind the board's host link),
//! each with its design clock and what it computes. The board itself is in [`mod@super::resources`].

use model::link::DeviceConfig;
use model::{Codebook, Variant};

/// One link design as a board carries it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DesignSpec {
    /// The design's name (the host's `--design`, the bitstream's name).
    pub name: &'static str,
    /// The design clock the PLL is asked for, Hz (`Board::design_clock_hz` is what it gives;
    /// without a PLL, the board's input clock).
    pub clock_hz: u64,
    /// Head dimension D.
    pub d: usize,
    /// N_MAX.
    pub n_max: usize,
    /// The AttnV lanes: [`Variant::Octave`] (shift-only; on a whole-head board, with the
    /// octave codebook's front end) or [`Variant::General`] (multipliers; on a whole-head
    /// board, with the log codebook's front end at t = [`model::DEFAULT_THRESHOLD`]).
    pub variant: Variant,
    /// The design takes Q, K and V (the whole head, [`crate::link::link_head::LinkHead`]);
    /// otherwise codes and V (the core alone, [`crate::link::link_core::LinkCore`]).
    pub front_end: bool,
    /// P: keys the front end scores a cycle (1 on a codes design).
    pub keys_per_cycle: usize,
    /// K: non-zero codes the core issues a cycle.
    pub nnz_per_cycle: usize,
    /// The link design's own clock, Hz, where the board gives it one: on the ULX3S the PLL's
    /// CLKOS (from the same VCO as the design clock), on the XEM7010 an MMCM from the board's
    /// system oscillator ([`super::Resources::sys_clock_hz`]); the byte streams cross from the
    /// host interface's clock in a [`crate::io::byte_crossing::ByteCrossing`]
    /// (`Board::head_clock_hz` is what it gives). `None`: the link design runs on the design
    /// clock.
    pub head_clock_hz: Option<u64>,
}

impl DesignSpec {
    /// The configuration the design is built as (`model::link::Device` answers as it).
    pub fn config(&self) -> DeviceConfig {
        let built = if self.front_end {
            let codebook = match self.variant {
                Variant::Octave => Codebook::octave(model::HW_CODE_BITS),
                _ => Codebook::log(model::HW_CODE_BITS, model::DEFAULT_THRESHOLD),
            }
            .expect("the hardware's codebooks are valid");
            DeviceConfig::head(self.d, self.n_max, &codebook)
        } else {
            DeviceConfig::codes(self.d, self.n_max, self.variant)
        };
        built
            .and_then(|c| c.with_parallelism(self.keys_per_cycle, self.nnz_per_cycle))
            .expect("a board's design is a valid configuration")
    }
}

/// The link designs of the board called `board`, its main one (`link`) first; empty for an
/// unknown board.
///
/// - `ulx3s`: `link`, the whole head at D = 32 (the MiniLM fixture's head dimension), N_MAX =
///   512, general lanes, log codebook, P = K = 1 (at P = K = 2, 138 of the part's 156
///   multipliers, router2 was still at 27,498 overused wires after 4 iterations and 13 minutes
///   on 2026-12-06, and was stopped); the UART at 60 MHz (PLL from 25 MHz; the FT231X's 3 Mbaud
///   is 20 clocks a bit), the head on its own 100 MHz (the PLL's CLKOS, VCO 600 MHz / 6), since
///   2026-12-07: seed 3 (static placer, router1) routes the head clock at 107.0 MHz and the
///   UART's at 100.5 (seed 1: 99.0 MHz, failing by 0.1 ns in S2's X RAM read), once the transmitter loads a byte at a registered
///   step and folds its CRC from the registered byte, the receiver decides a frame's course in
///   a `Check` cycle after the header and starts the router from a register, the header's
///   status and code-beat product are registered, the job runner re-reads from a registered
///   address, and AttnV's code ready reads registers only (the scanner registers `busy` and
///   `space` from their next-state values; the head's core does not arbitrate, since the head
///   never offers codes with V). Before that: 90 MHz (VCO 630 / 7, UART 45 MHz) with router1
///   (95.3 MHz at seed 3; at 105 MHz seeds 1, 2 and 3 gave 90.1, 80.8 and 95.3, failing in the
///   transmitter); 65 MHz (VCO 585 / 9) with router2 (74.2 MHz at seed 3 after the head's
///   control came from registers, 71.8 with S1's key writes registered; router1 routed that
///   placement at 95.3); 58.5 MHz until the code scanner's intake register and the receiver's
///   registered row ends (2026-12-06). `make bitstreams` uses seed 3. Its bytes cross in a
///   [`crate::link::crossed_link::CrossedLink`]. At D = 64 the head needs 133 of the part's 156 multipliers and did not route
///   with the HeAP placer (router2 stalled at about 3,650 overused wires after 16 iterations;
///   results §6); nor did the octave D = 64 head at P = 4, K = 2 (2026-12-07: 53,816 LUT4, 187
///   of 208 block RAMs; router2 down to 2,772 overused wires, then rising, with the static
///   placer; 38,361 after 5 iterations with HeAP) until router1 routed it (84635c5, static
///   placer, seed 1, head clock target 75 MHz, VCO 600 / 8): 72.4 MHz head, 110.1 MHz UART,
///   187 of 208 block RAMs, all 156 multipliers (results §6). `core`:
///   the AttnV core alone at D = 64 (codes and V in, general lanes), N_MAX = 512, at 30 MHz
///   (25 x 6 / 5; 3 Mbaud is exactly 10 clocks a bit; 49.5 MHz with the static placer and
///   router2, 59.4 with router1). With
///   the HeAP placer, at 45 MHz it routed at 46.7 MHz once,
///   but the sources of the split link routed at 44.3 and 42.4 MHz (seeds 1 and 3; seed 2's
///   router2 diverged): the output buffer's read address fans out to the block RAMs of a
///   2,137-bit row. Between 30 and 45 MHz the 25 MHz PLL makes no clock that is a whole
///   number of 3 Mbaud bits (41.67 MHz would be 14 clocks a bit, 0.8% slow). At 105 MHz it
///   placed at 52.6 MHz: the link around the core (framer, buffers) is slower than the core
///   alone (110.9 MHz out of context), and the UART, not the clock, bounds the board (results
///   §6, §7).
/// - `alchitry_cu`: `link`, the core alone at D = 8, N_MAX = 64, octave lanes, at 60 MHz (PLL
///   from 100 MHz; 6 Mbaud on the FT2232H is 10 clocks a bit; its 12 and 8 Mbaud need at
///   least 96 and 64 MHz for 8 clocks a bit, more than an HX8K design is likely to close at).
/// - `xem7010`: `link`, the whole head at D = 64, N_MAX = 512, octave lanes (shift-only,
///   octave codebook), P = 2, K = 1, its pipes on `ti_clk` (48 MHz) and the link design on a
///   100 MHz MMCM clock from the board's 200 MHz oscillator (not timed here: no 7-series place
///   and route; Vivado's timing report decides): 138 products, 18 of the score
///   products in LUTs beyond the part's 120 DSP48E1s (the general lanes would add 64 more).
///   K = 2 needs a second V bank, and the block RAMs then come to 105% of the part's (estimate
///   of 2026-12-06), for nothing at P = 2: the octave head's MiniLM cycles are 8,501 at K = 1
///   and 8,498 at K = 2. P = 4 does not fit with the link around it (the head alone estimates
///   at 90% of the LUTs).
pub fn link_designs_of(board: &str) -> &'static [DesignSpec] {
    match board {
        "ulx3s" => &[
            DesignSpec {
                name: "link",
                clock_hz: 60_000_000,
                d: 32,
                n_max: 512,
                variant: Variant::General,
                front_end: true,
                keys_per_cycle: 1,
                nnz_per_cycle: 1,
                head_clock_hz: Some(100_000_000),
            },
            DesignSpec {
                name: "core",
                clock_hz: 30_000_000,
                d: 64,
                n_max: 512,
                variant: Variant::General,
                front_end: false,
                keys_per_cycle: 1,
                nnz_per_cycle: 1,
                head_clock_hz: None,
            },
        ],
        "alchitry_cu" => &[DesignSpec {
            name: "link",
            clock_hz: 60_000_000,
            d: 8,
            n_max: 64,
            variant: Variant::Octave,
            front_end: false,
            keys_per_cycle: 1,
            nnz_per_cycle: 1,
            head_clock_hz: None,
        }],
        "xem7010" => &[DesignSpec {
            name: "link",
            clock_hz: 48_000_000,
            d: 64,
            n_max: 512,
            variant: Variant::Octave,
            front_end: true,
            keys_per_cycle: 2,
            nnz_per_cycle: 1,
            head_clock_hz: Some(100_000_000),
        }],
        _ => &[],
    }
}
