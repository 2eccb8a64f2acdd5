//! # hdl: logattn hardware in rust-hdl
//!
//! The zero-skipping attention x V core [`attnv::AttnV`] and its blocks, one per file:
//! [`code_scanner::CodeScanner`] (zero-beat dropping, non-zero FIFO, one token per cycle),
//! [`weight_table::WeightTable`], [`lane::Lane`] (V block RAM + multiply/shift + accumulator),
//! [`row_sum::RowSum`], and hand-written Verilog leaves for what rust-hdl 0.46 cannot express
//! ([`mul16x8::Mul16x8`], [`code_mask::CodeMask`], [`onehot_select::OneHotSelect`],
//! [`bus_split::BusSplit`], [`bus_join::BusJoin`]).
//!
//! The front end [`front_end::FrontEnd`] turns integer Q and K into codes on chip: the score
//! unit [`dot_product::DotProduct`], [`scale_shift::ScaleShift`], [`exp2_neg::Exp2Neg`],
//! [`log2_sum::Log2Sum`], [`code_of::CodeOf`] and [`beat_queue::BeatQueue`] (Verilog leaves
//! with Rust twins). [`attn_head::AttnHead`] joins the two: the board takes Q, K and V.
//!
//! [`attnv_verilog`] and [`head_verilog`] generate the Verilog of any supported configuration;
//! [`lint`] runs Verilator on it. The cycle behaviour is modelled by `model::timing`.
//!
//! Board I/O: [`uart_rx::UartRx`], [`uart_tx::UartTx`] and [`byte_fifo::ByteFifo`] make
//! [`uart_bridge::UartBridge`] (a board's UART pins as AXI-Stream byte streams); the PLLs
//! [`ecp5_pll::Ecp5Pll`] and [`ice40_pll::Ice40Pll`] (black-box wrappers with parameter
//! searches matching `ecppll` and `icepll`) and [`reset_sync::ResetSync`] go into the board
//! shells [`ulx3s_top::Ulx3sTop`] and [`alchitry_cu_top::AlchitryCuTop`], which carry any
//! [`boards::BoardDesign`], such as the bring-up design [`uart_echo::UartEcho`].
//! [`boards`] describes the boards and generates a board top's Verilog
//! (`scripts/bitstream.sh` builds the bitstreams).
//!
//! FrontPanel (the Opal Kelly XEM7010): [`pipe_bridge::PipeBridge`] turns pipe words into byte
//! streams, [`frontpanel_link::FrontPanelLink`] puts it in front of a link design, and
//! [`xem7010_top::Xem7010Top`] adds Opal Kelly's host interface and endpoints (black boxes);
//! [`frontpanel_link_verilog`] generates the endpoint-level design that `sim` simulates. The
//! `xem7010` feature adds `xem7010_ok`: the same design built with rust-hdl's XEM7010 board
//! support, for Vivado (needs Opal Kelly's FrontPanel SDK and Vivado).

pub mod alchitry_cu_top;
pub mod attn_head;
pub mod attnv;
pub mod beat_queue;
pub mod boards;
pub mod bus_join;
pub mod bus_split;
pub mod byte_fifo;
pub mod code_mask;
pub mod code_of;
pub mod code_scanner;
pub mod crc32;
pub mod dot_product;
pub mod ecp5_pll;
pub mod exp2_neg;
pub mod front_end;
pub mod frontpanel_link;
pub mod ice40_pll;
pub mod lane;
pub mod link_core;
pub mod link_top;
pub mod lint;
pub mod log2_sum;
pub mod mul16x8;
pub mod onehot_select;
mod pipe;
pub mod pipe_bridge;
pub mod reset_sync;
pub mod row_sum;
pub mod rx_framer;
pub mod scale_shift;
pub mod small_mul;
pub mod tx_framer;
pub mod uart_bridge;
pub mod uart_echo;
pub mod uart_link;
pub mod uart_rx;
pub mod uart_tx;
pub mod ulx3s_top;
pub mod weight_table;
#[cfg(feature = "xem7010")]
pub mod xem7010_ok;
pub mod xem7010_top;

#[cfg(test)]
mod head_native;
#[cfg(test)]
mod serial_model;
#[cfg(any(test, feature = "native-bench"))]
pub mod testbench;
#[cfg(test)]
mod verilator_check;
#[cfg(test)]
mod verilator_replay;

use model::frontend::FrontEndParams;
use model::{Codebook, CoreParams, Variant};
use rust_hdl::prelude::*;

/// The (D, N_MAX) configurations compiled into [`attnv_verilog`] (add a line to `dispatch!` for
/// more: each is a monomorphized Rust type and costs build time).
pub const SUPPORTED: [(usize, usize); 12] = [
    (4, 64),
    (4, 512),
    (8, 64),
    (8, 512),
    (16, 64),
    (16, 512),
    (32, 64),
    (32, 512),
    (32, 1024),
    (64, 64),
    (64, 512),
    (64, 1024),
];

/// Calls `$f::<VW, OW, A, ACC, RS>($p, $v)` for the compiled configuration matching `$p`.
macro_rules! dispatch {
    ($p:expr, $v:expr, $f:ident; $( ($d:literal, $a:literal) ),* $(,)?) => {
        match ($p.d, $p.addr_bits()) {
            $( ($d, $a) => $f::<{ 8 * $d }, { $d * ($a + 24) }, $a, { $a + 24 }, { $a + 16 }>($p, $v), )*
            _ => panic!(
                "attnv: no compiled configuration for D = {} and N_MAX = {} (supported (D, N_MAX): {:?})",
                $p.d, $p.n_max, SUPPORTED
            ),
        }
    };
}

fn verilog_of<
    const VW: usize,
    const OW: usize,
    const A: usize,
    const ACC: usize,
    const RS: usize,
>(
    p: &CoreParams,
    v: Variant,
) -> String {
    let mut uut = attnv::AttnV::<VW, OW, A, ACC, RS>::new(p, v);
    uut.connect_all();
    generate_verilog(&uut)
}

/// The Verilog of a top-level [`attnv::AttnV`] for `params` and `variant` (module `top`).
///
/// Panics if `params` has W != 16 or k != 3, or (D, N_MAX) is not in [`SUPPORTED`].
pub fn attnv_verilog(params: &CoreParams, variant: Variant) -> String {
    assert_eq!(
        params.codes_per_cycle, 16,
        "attnv: W (codes per cycle) must be 16"
    );
    assert_eq!(params.code_bits, 3, "attnv: k (code bits) must be 3");
    dispatch!(params, variant, verilog_of;
        (4, 6), (4, 9),
        (8, 6), (8, 9),
        (16, 6), (16, 9),
        (32, 6), (32, 9), (32, 10),
        (64, 6), (64, 9), (64, 10),
    )
}

/// The (D, N_MAX) configurations compiled into [`head_verilog`].
pub const HEAD_SUPPORTED: [(usize, usize); 5] = [(4, 64), (8, 64), (32, 512), (64, 128), (64, 512)];

fn head_verilog_of<
    const KW: usize,
    const OW: usize,
    const A: usize,
    const ACC: usize,
    const RS: usize,
    const SB: usize,
    const SUMB: usize,
>(
    p: &CoreParams,
    v: Variant,
    fe: &FrontEndParams,
    cb: &Codebook,
) -> String {
    let mut uut = attn_head::AttnHead::<KW, OW, A, ACC, RS, SB, SUMB>::new(p, v, fe, cb);
    uut.connect_all();
    // rust-hdl writes each block's logic as one `always @(*)`, so the top's wiring (which
    // reads AttnV's `tready`s and drives its `tvalid`s) and AttnV's handshake logic form a
    // loop at block granularity, though not at bit level. Verilator then evaluates the two
    // blocks iteratively (UNOPTFLAT, a performance note); the waiver says so.
    format!(
        "// The top's wiring and AttnV's handshakes are one block each: a loop at block level only.\n/* verilator lint_off UNOPTFLAT */\n{}",
        generate_verilog(&uut)
    )
}

/// Calls `head_verilog_of::<..>` for the compiled head configuration matching `$p`.
macro_rules! head_dispatch {
    ($p:expr, $v:expr, $fe:expr, $cb:expr; $( ($d:literal, $a:literal, $lg:literal, $sumb:literal) ),* $(,)?) => {
        match ($p.d, $p.addr_bits()) {
            $( ($d, $a) => head_verilog_of::<{ 8 * $d }, { $d * ($a + 24) }, $a, { $a + 24 }, { $a + 16 }, { $lg + 16 }, $sumb>($p, $v, $fe, $cb), )*
            _ => panic!(
                "head: no compiled configuration for D = {} and N_MAX = {} (supported (D, N_MAX): {:?})",
                $p.d, $p.n_max, HEAD_SUPPORTED
            ),
        }
    };
}

/// The Verilog of a top-level [`attn_head::AttnHead`] (module `top`) for core `params`,
/// `variant`, front end `fe` and the codebook whose edges it compares against.
///
/// Panics if the parameters are not buildable (see [`front_end::FrontEnd::new`]) or (D, N_MAX)
/// is not in [`HEAD_SUPPORTED`].
pub fn head_verilog(
    params: &CoreParams,
    variant: Variant,
    fe: &FrontEndParams,
    codebook: &Codebook,
) -> String {
    assert_eq!(
        params.codes_per_cycle, 16,
        "head: W (codes per cycle) must be 16"
    );
    assert_eq!(params.code_bits, 3, "head: k (code bits) must be 3");
    head_dispatch!(params, variant, fe, codebook;
        (4, 6, 2, 22),
        (8, 6, 3, 22),
        (32, 9, 5, 25),
        (64, 7, 6, 23),
        (64, 9, 6, 25),
    )
}

/// What to make of the link design type compiled for a configuration: the visitor that
/// [`with_link_design`] calls with that type.
pub trait LinkDesignVisitor {
    /// What [`LinkDesignVisitor::visit`] makes.
    type Output;
    /// Makes it from `L`, the design compiled for `cfg`.
    fn visit<L: uart_link::LinkDesign>(self, cfg: &model::link::DeviceConfig) -> Self::Output;
}

/// Calls `v` with the link design compiled for `cfg`: [`link_top::LinkTop`] for a design with
/// the front end ((D, N_MAX) in [`HEAD_SUPPORTED`]), [`link_core::LinkCore`] for the codes
/// path ((D, N_MAX) in [`CODES_BOARD_SUPPORTED`]). The one table of the compiled link designs'
/// const parameters. Errors name what is not compiled.
pub fn with_link_design<V: LinkDesignVisitor>(
    cfg: &model::link::DeviceConfig,
    v: V,
) -> Result<V::Output, String> {
    let p = &cfg.core;
    if p.codes_per_cycle != 16 {
        return Err(format!(
            "link: W (codes per cycle) must be 16, got {}",
            p.codes_per_cycle
        ));
    }
    if p.code_bits != 3 {
        return Err(format!(
            "link: k (code bits) must be 3, got {}",
            p.code_bits
        ));
    }
    macro_rules! head {
        ($( ($d:literal, $a:literal, $lg:literal, $sumb:literal) ),* $(,)?) => {
            match (p.d, p.addr_bits()) {
                $( ($d, $a) => Ok(v.visit::<link_top::LinkTop<
                    { 8 * $d }, { $d * ($a + 24) }, $a, { $a + 24 }, { $a + 16 }, { $lg + 16 }, $sumb,
                    { 8 * $d + 16 }, { $d * ($a + 24) + $a + 16 }
                >>(cfg)), )*
                _ => Err(format!(
                    "link: no compiled configuration for D = {} and N_MAX = {} (supported (D, N_MAX): {:?})",
                    p.d, p.n_max, HEAD_SUPPORTED
                )),
            }
        };
    }
    macro_rules! codes {
        ($( ($d:literal, $a:literal) ),* $(,)?) => {
            match (p.d, p.addr_bits()) {
                $( ($d, $a) => Ok(v.visit::<link_core::LinkCore<
                    { 8 * $d }, { $d * ($a + 24) }, $a, { $a + 24 }, { $a + 16 },
                    { 8 * $d + 16 }, { $d * ($a + 24) + $a + 16 }, { 2 * $a - 4 }
                >>(cfg)), )*
                _ => Err(format!(
                    "link: no compiled codes board for D = {} and N_MAX = {} (supported (D, N_MAX): {:?})",
                    p.d, p.n_max, CODES_BOARD_SUPPORTED
                )),
            }
        };
    }
    match (&cfg.front_end, cfg.codes) {
        (Some(_), false) => head!(
            (4, 6, 2, 22),
            (8, 6, 3, 22),
            (32, 9, 5, 25),
            (64, 7, 6, 23),
            (64, 9, 6, 25),
        ),
        (None, true) => codes!((4, 6), (8, 6), (16, 6), (64, 9)),
        _ => Err(
            "link: a board design has either the front end or the codes path, not both or neither"
                .into(),
        ),
    }
}

/// The (D, N_MAX) configurations of the codes-path board design ([`link_core::LinkCore`]).
pub const CODES_BOARD_SUPPORTED: [(usize, usize); 4] = [(4, 64), (8, 64), (16, 64), (64, 512)];

/// The Verilog of top-level `uut` with loops at block granularity only (see `head_verilog`).
fn top_with_loops<B: Block>(uut: &mut B) -> String {
    uut.connect_all();
    format!(
        "// Block-level wiring loops only (see head_verilog).\n/* verilator lint_off UNOPTFLAT */\n{}",
        generate_verilog(uut)
    )
}

/// A [`LinkDesignVisitor`]: the Verilog of the link design alone, as module `top`.
pub struct LinkAlone;

impl LinkDesignVisitor for LinkAlone {
    type Output = String;
    fn visit<L: uart_link::LinkDesign>(self, cfg: &model::link::DeviceConfig) -> String {
        top_with_loops(&mut L::for_config(cfg))
    }
}

/// A [`LinkDesignVisitor`]: the Verilog of the link design behind FrontPanel endpoints
/// ([`frontpanel_link::FrontPanelLink`], pipe FIFOs of `.0` words), as module `top`.
pub struct AtFrontPanel(pub usize);

impl LinkDesignVisitor for AtFrontPanel {
    type Output = String;
    fn visit<L: uart_link::LinkDesign>(self, cfg: &model::link::DeviceConfig) -> String {
        top_with_loops(&mut frontpanel_link::FrontPanelLink::<L>::new(cfg, self.0))
    }
}

/// The Verilog of the board design behind its byte streams (module `top`), built as `cfg`:
/// [`link_top::LinkTop`] (the whole head: `cfg` has a front end, (D, N_MAX) in
/// [`HEAD_SUPPORTED`]) or [`link_core::LinkCore`] (the codes path, in
/// [`CODES_BOARD_SUPPORTED`]). Panics otherwise, with a message naming what is wrong.
pub fn link_verilog(cfg: &model::link::DeviceConfig) -> String {
    with_link_design(cfg, LinkAlone).unwrap_or_else(|e| panic!("{e}"))
}

/// The Verilog of a top-level [`frontpanel_link::FrontPanelLink`] (module `top`): the board's
/// design at FrontPanel's endpoints (pipe words in and out, the wire-out counts and status)
/// with pipe FIFOs of `fifo_words` words, around the link design for `cfg` (as in
/// [`link_verilog`]). Panics otherwise, with a message naming what is wrong.
pub fn frontpanel_link_verilog(cfg: &model::link::DeviceConfig, fifo_words: usize) -> String {
    with_link_design(cfg, AtFrontPanel(fifo_words)).unwrap_or_else(|e| panic!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lint::verilator_lint;

    /// Names the design type `with_link_design` picked, without building it.
    struct Which;
    impl LinkDesignVisitor for Which {
        type Output = String;
        fn visit<L: uart_link::LinkDesign>(self, _cfg: &model::link::DeviceConfig) -> String {
            std::any::type_name::<L>().to_string()
        }
    }

    #[test]
    fn with_link_design_picks_the_compiled_design_or_names_what_is_missing() {
        let log = Codebook::log(3, 1e-3).unwrap();
        let cfg = |d: usize, n_max: usize, front_end: bool| model::link::DeviceConfig {
            core: CoreParams::new(d, n_max, 16, 3).unwrap(),
            variant: Variant::General,
            front_end: front_end.then(|| {
                (
                    FrontEndParams {
                        d,
                        n_max,
                        ..Default::default()
                    },
                    log.clone(),
                )
            }),
            codes: !front_end,
        };
        assert!(with_link_design(&cfg(64, 512, true), Which)
            .unwrap()
            .contains("LinkTop<512, 2112, 9, 33, 25, 22, 25, 528, 2137>"));
        assert!(with_link_design(&cfg(8, 64, false), Which)
            .unwrap()
            .contains("LinkCore<64, 240, 6, 30, 22, 80, 262, 8>"));
        assert_eq!(
            with_link_design(&cfg(16, 128, true), Which).unwrap_err(),
            format!("link: no compiled configuration for D = 16 and N_MAX = 128 (supported (D, N_MAX): {HEAD_SUPPORTED:?})")
        );
        assert_eq!(
            with_link_design(&cfg(32, 64, false), Which).unwrap_err(),
            format!("link: no compiled codes board for D = 32 and N_MAX = 64 (supported (D, N_MAX): {CODES_BOARD_SUPPORTED:?})")
        );
        let mut both = cfg(8, 64, true);
        both.codes = true;
        assert!(with_link_design(&both, Which)
            .unwrap_err()
            .contains("either the front end or the codes path"));
        let mut k4 = cfg(8, 64, true);
        k4.core.code_bits = 4;
        assert_eq!(
            with_link_design(&k4, Which).unwrap_err(),
            "link: k (code bits) must be 3, got 4"
        );
    }

    #[test]
    fn head_configs_lint_clean() {
        for (d, n_max, v, cb) in [
            (4, 64, Variant::General, Codebook::log(3, 1e-3).unwrap()),
            (64, 512, Variant::General, Codebook::log(3, 1e-3).unwrap()),
            (32, 512, Variant::Octave, Codebook::octave(3).unwrap()),
        ] {
            let p = CoreParams::new(d, n_max, 16, 3).unwrap();
            let fe = FrontEndParams {
                d,
                n_max,
                ..Default::default()
            };
            let vlog = head_verilog(&p, v, &fe, &cb);
            for decl in [
                format!("input wire  [{}:0] s_axis_q_tdata;", 8 * d - 1),
                "input wire  [39:0] s_axis_q_tuser;".to_string(),
                format!("input wire  [{}:0] s_axis_k_tdata;", 8 * d - 1),
            ] {
                assert!(vlog.contains(&decl), "D={d} {v:?}: missing `{decl}`");
            }
            verilator_lint(&format!("head_{d}_{n_max}_{v:?}"), &vlog)
                .unwrap_or_else(|e| panic!("head D={d} N_MAX={n_max} {v:?}: {e}"));
        }
    }

    #[test]
    fn full_size_configs_lint_clean() {
        for (d, n_max, v) in [
            (64, 512, Variant::General),
            (64, 512, Variant::Octave),
            (64, 512, Variant::Dense),
            (32, 512, Variant::General),
        ] {
            let p = CoreParams::new(d, n_max, 16, 3).unwrap();
            let vlog = attnv_verilog(&p, v);
            // The flat ports carry the widths the sim harness expects.
            let acc = p.acc_bits() as usize;
            for decl in [
                format!("input wire  [{}:0] s_axis_v_tdata;", 8 * d - 1),
                format!("output reg  [{}:0] m_axis_tdata;", d * acc - 1),
                format!("output reg  [{}:0] m_axis_tuser;", p.rsum_bits() - 1),
                "input wire  [47:0] s_axis_c_tdata;".to_string(),
            ] {
                assert!(vlog.contains(&decl), "D={d} {v:?}: missing `{decl}`");
            }
            // One multiplier module, defined once, instantiated per lane; none in the octave core.
            let muls = if v == Variant::Octave { 0 } else { d };
            assert_eq!(
                vlog.matches("module logattn_mul16x8_33(").count(),
                muls.min(1),
                "D={d} {v:?}"
            );
            assert_eq!(
                vlog.matches("logattn_mul16x8_33 core(").count(),
                muls,
                "D={d} {v:?}"
            );
            verilator_lint(&format!("attnv_{d}_{n_max}_{v:?}"), &vlog)
                .unwrap_or_else(|e| panic!("D={d} N_MAX={n_max} {v:?}: {e}"));
        }
    }
}

/// The shared golden vectors (`tests/golden/attnv/`) through full-size cores in rust-hdl's
/// simulator: bit-exact results, and cycles equal to `model::timing` without stalls.
#[cfg(test)]
mod golden_tests {
    use crate::attnv::AttnV;
    use crate::testbench::{run_attnv, Env, Job};
    use model::{CoreParams, Variant};
    use ndarray::{Array1, Array2};
    use ndarray_npy::read_npy;
    use rust_hdl::prelude::*;
    use std::path::PathBuf;

    fn cases() -> Vec<(String, Job, Array2<i64>, Vec<u64>)> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/attnv");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|n| {
                let f = |x: &str| dir.join(&n).join(x);
                let codes: Array2<u8> = read_npy(f("codes.npy")).unwrap();
                let vq: Array2<i8> = read_npy(f("vq.npy")).unwrap();
                let w: Array1<u32> = read_npy(f("weights.npy")).unwrap();
                let acc: Array2<i64> = read_npy(f("acc.npy")).unwrap();
                let rsum: Array1<u64> = read_npy(f("rsum.npy")).unwrap();
                (
                    n,
                    Job {
                        w: w.to_vec(),
                        vq,
                        codes,
                    },
                    acc,
                    rsum.to_vec(),
                )
            })
            .collect()
    }

    fn run<const VW: usize, const OW: usize, const A: usize, const ACC: usize, const RS: usize>(
        d: usize,
        variant: Variant,
        env: Env,
    ) -> usize {
        let p = CoreParams::new(d, 512, 16, 3).unwrap();
        let mut done = 0;
        for (name, job, acc, rsum) in cases() {
            if job.vq.ncols() != d
                || (variant == Variant::Octave && job.w[1..] != [1, 2, 4, 8, 16, 32, 64])
            {
                continue;
            }
            let mut uut = AttnV::<VW, OW, A, ACC, RS>::new(&p, variant);
            uut.connect_all();
            let r = run_attnv(&mut uut, &p, std::slice::from_ref(&job), env);
            assert_eq!(r.results[0].0, acc, "{name} {variant:?}: acc");
            assert_eq!(r.results[0].1, rsum, "{name} {variant:?}: rsum");
            if env.idle_pct == 0 && env.stall_pct == 0 {
                let want = model::timing::job_cycles(&p, variant, job.codes.view());
                assert_eq!(r.code_cycles[0], want, "{name} {variant:?}: cycles");
            }
            done += 1;
        }
        done
    }

    #[test]
    fn golden_cases_on_full_size_cores() {
        let mut n = 0;
        for v in [Variant::General, Variant::Dense, Variant::Octave] {
            n += run::<256, { 32 * 33 }, 9, 33, 25>(32, v, Env::NO_STALL);
            n += run::<512, { 64 * 33 }, 9, 33, 25>(64, v, Env::NO_STALL);
        }
        // 6 cases on General and Dense, the octave one on Octave.
        assert_eq!(n, 13);
        let stalls = Env {
            idle_pct: 25,
            stall_pct: 50,
            seed: 11,
        };
        assert_eq!(
            run::<512, { 64 * 33 }, 9, 33, 25>(64, Variant::General, stalls),
            4
        );
    }
}
