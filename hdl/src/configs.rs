//! The one table of compiled configurations, and everything derived from it.
//!
//! rust-hdl takes a block's widths as const generics, so each configuration the hardware is
//! built for is a monomorphized Rust type, compiled ahead of time. `compiled_configs!` is the
//! one list of them, by what is built ([`Build`]); from it come the lists of what is compiled
//! ([`Build::supported`]) and the dispatch from run-time parameters to the compiled type
//! ([`attnv_verilog`], [`head_verilog`], [`with_link_design`]). Every const parameter is computed
//! from `model`'s widths (`CoreParams::acc_bits`, `FrontEndParams::sum_bits`, ...), so adding a
//! configuration is one line in the table; each costs build time.

use crate::attn_head::AttnHead;
use crate::boards::resources::{Family, Resources};
use crate::core::attnv::AttnV;
use crate::link::frontpanel_link::FrontPanelLink;
use crate::link::link_core::LinkCore;
use crate::link::link_head::LinkHead;
use crate::link::LinkDesign;
use crate::HdlError;
use model::frontend::FrontEndParams;
use model::link::{Datapath, DeviceConfig};
use model::{Codebook, CoreParams, Variant};
use rust_hdl::prelude::*;

/// The compiled configurations, (D, N_MAX) by [`Build`]: `core` the AttnV core alone
/// ([`attnv_verilog`]); `head` the whole head ([`head_verilog`], and the whole-head link design
/// [`LinkHead`]), each with the keys per cycle P its front end is built for (P is a run-time
/// parameter: the types do not change with it); `codes_board` the link design of the core
/// alone ([`LinkCore`]). Calls `$then!` with the table.
macro_rules! compiled_configs {
    ($then:ident) => {
        $then! {
            core: (4, 64), (4, 512), (8, 64), (8, 512), (16, 64), (16, 512),
                (32, 64), (32, 512), (32, 1024), (64, 64), (64, 512), (64, 1024);
            head: (4, 64, [1, 2, 4, 8]), (8, 64, [1, 2, 4, 8]), (32, 512, [1, 2, 4, 8]),
                (64, 128, [1, 2, 4, 8]), (64, 512, [1, 2, 4, 8]);
            codes_board: (4, 64), (8, 64), (16, 64), (64, 512);
        }
    };
}

// The const parameters of a compiled configuration, from model's widths.

/// The hardware core at (D, N_MAX) (W and k are the hardware's).
const fn core(d: usize, n_max: usize) -> CoreParams {
    CoreParams {
        d,
        n_max,
        codes_per_cycle: model::HW_CODES_PER_CYCLE,
        code_bits: model::HW_CODE_BITS,
        nnz_per_cycle: 1,
    }
}
/// `A`: address bits, `log2 N_MAX`.
const fn a(n_max: usize) -> usize {
    core(1, n_max).addr_bits() as usize
}
/// `ACC`: accumulator bits.
const fn acc(n_max: usize) -> usize {
    core(1, n_max).acc_bits() as usize
}
/// `RS`: row-sum bits.
const fn rs(n_max: usize) -> usize {
    core(1, n_max).rsum_bits() as usize
}
/// `SB`: the score bus, `log2 D + 16` bits (room for `D x 128^2`).
const fn sb(d: usize) -> usize {
    d.ilog2() as usize + 16
}
/// `SUMB`: the exp2 sum's bits.
const fn sumb(d: usize, n_max: usize) -> usize {
    FrontEndParams::hardware(d, n_max).sum_bits() as usize
}

/// What is built from a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Build {
    /// The AttnV core alone ([`AttnV`], [`attnv_verilog`]).
    Core,
    /// The whole head, front end and core ([`AttnHead`], [`head_verilog`]; the link design
    /// [`LinkHead`]).
    Head,
    /// The link design of the core alone, taking codes ([`LinkCore`]).
    CodesBoard,
}

macro_rules! supported_lists {
    (core: $(($cd:literal, $cn:literal)),*;
     head: $(($hd:literal, $hn:literal, [$($hp:literal),*])),*;
     codes_board: $(($bd:literal, $bn:literal)),*;) => {
        const CORE: &[(usize, usize)] = &[$(($cd, $cn)),*];
        const HEAD: &[(usize, usize)] = &[$(($hd, $hn)),*];
        const HEAD_P: &[&[usize]] = &[$(&[$($hp),*]),*];
        const CODES_BOARD: &[(usize, usize)] = &[$(($bd, $bn)),*];
    };
}
compiled_configs!(supported_lists);

impl Build {
    /// The compiled (D, N_MAX) configurations.
    pub const fn supported(self) -> &'static [(usize, usize)] {
        match self {
            Build::Core => CORE,
            Build::Head => HEAD,
            Build::CodesBoard => CODES_BOARD,
        }
    }

    /// The compiled head dimensions, ascending, each once.
    pub fn widths(self) -> Vec<usize> {
        let mut ds: Vec<usize> = self.supported().iter().map(|c| c.0).collect();
        ds.dedup();
        ds
    }

    /// Whether (D, N_MAX) is compiled.
    pub fn is_compiled(self, d: usize, n_max: usize) -> bool {
        self.supported().contains(&(d, n_max))
    }

    /// The keys per cycle P a compiled (D, N_MAX) is built for: its row's list for a head
    /// ([`Build::Head`]), `[1]` for the builds without a front end; empty if (D, N_MAX) is not
    /// compiled.
    pub fn keys_per_cycle(self, d: usize, n_max: usize) -> &'static [usize] {
        match self.supported().iter().position(|&c| c == (d, n_max)) {
            Some(i) if self == Build::Head => HEAD_P[i],
            Some(_) => &[1],
            None => &[],
        }
    }

    /// Checks that (D, N_MAX) is compiled and built for P = `p` keys a cycle; the error names
    /// what is.
    pub fn check_keys_per_cycle(self, d: usize, n_max: usize, p: usize) -> Result<(), HdlError> {
        self.check(d, n_max)?;
        self.check_p(self.block(), d, n_max, p)
    }

    /// `Err` naming `block` if (D, N_MAX) is compiled but not for P = `p`.
    fn check_p(
        self,
        block: &'static str,
        d: usize,
        n_max: usize,
        p: usize,
    ) -> Result<(), HdlError> {
        let supported = self.keys_per_cycle(d, n_max);
        if supported.is_empty() || supported.contains(&p) {
            Ok(())
        } else {
            Err(HdlError::KeysPerCycle {
                block,
                d,
                n_max,
                p,
                supported,
            })
        }
    }

    /// Checks that (D, N_MAX) is compiled; the error names what is.
    pub fn check(self, d: usize, n_max: usize) -> Result<(), HdlError> {
        if self.is_compiled(d, n_max) {
            Ok(())
        } else {
            Err(HdlError::NotCompiled {
                block: self.block(),
                build: self,
                d,
                n_max,
            })
        }
    }

    /// The N_MAX built for head dimension `d` where the user does not name one (the simulator,
    /// the host's simulated boards): the largest compiled N_MAX up to the default,
    /// `CoreParams::default().n_max` (512). The error names the compiled widths.
    pub fn n_max_for(self, d: usize) -> Result<usize, HdlError> {
        let limit = CoreParams::default().n_max;
        self.supported()
            .iter()
            .filter(|c| c.0 == d && c.1 <= limit)
            .map(|c| c.1)
            .max()
            .ok_or(HdlError::NoWidth { build: self, d })
    }

    /// A whole-head board for head dimension `d` with `codebook`'s front end, at
    /// [`Build::n_max_for`] (what `sim` and the host simulate when no board is named).
    pub fn head_board(d: usize, codebook: &Codebook) -> Result<DeviceConfig, HdlError> {
        let n_max = Build::Head.n_max_for(d)?;
        Ok(DeviceConfig::head(d, n_max, codebook)?)
    }

    /// A codes board for head dimension `d` with `variant` lanes, at [`Build::n_max_for`].
    pub fn codes_board(d: usize, variant: Variant) -> Result<DeviceConfig, HdlError> {
        let n_max = Build::CodesBoard.n_max_for(d)?;
        Ok(DeviceConfig::codes(d, n_max, variant)?)
    }

    /// The block named in messages.
    fn block(self) -> &'static str {
        match self {
            Build::Core => "attnv",
            Build::Head => "head",
            Build::CodesBoard => "link",
        }
    }
}

/// The W, k and K the hardware is built for (K = 1 or 2 non-zero codes a cycle, 1 in the dense
/// baseline); the error names what is not.
fn check_hardware_codes(
    block: &'static str,
    p: &CoreParams,
    variant: Variant,
) -> Result<(), HdlError> {
    if !model::params::NNZ_PER_CYCLE.contains(&p.nnz_per_cycle) {
        return Err(HdlError::Unbuildable(format!(
            "{block}: K (non-zeros per cycle) must be 1 or 2, got {}",
            p.nnz_per_cycle
        )));
    }
    if variant == Variant::Dense && p.nnz_per_cycle != 1 {
        return Err(HdlError::Unbuildable(format!(
            "{block}: the dense baseline issues one code a cycle: K must be 1, got {}",
            p.nnz_per_cycle
        )));
    }
    if p.codes_per_cycle != model::HW_CODES_PER_CYCLE {
        return Err(HdlError::Unbuildable(format!(
            "{block}: W (codes per cycle) must be {}, got {}",
            model::HW_CODES_PER_CYCLE,
            p.codes_per_cycle
        )));
    }
    if p.code_bits != model::HW_CODE_BITS {
        return Err(HdlError::Unbuildable(format!(
            "{block}: k (code bits) must be {}, got {}",
            model::HW_CODE_BITS,
            p.code_bits
        )));
    }
    Ok(())
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
    v_banks: usize,
) -> String {
    let mut uut = AttnV::<VW, OW, A, ACC, RS>::new(p, v);
    if v_banks == 2 {
        uut = uut.with_two_v_banks();
    }
    uut.connect_all();
    generate_verilog(&uut)
}

macro_rules! attnv_dispatch {
    (core: $(($d:literal, $n:literal)),*; $($rest:tt)*) => {
        /// The Verilog of a top-level [`AttnV`] for `params` and `variant` (module `top`), with
        /// one V bank. `Err` if W, k or K are not the hardware's or (D, N_MAX) is not compiled
        /// ([`Build::Core`]).
        pub fn attnv_verilog(params: &CoreParams, variant: Variant) -> Result<String, HdlError> {
            attnv_verilog_banks(params, variant, 1)
        }

        /// [`attnv_verilog`] with `v_banks` V banks (1, or 2: [`AttnV::with_two_v_banks`]).
        pub fn attnv_verilog_banks(
            params: &CoreParams,
            variant: Variant,
            v_banks: usize,
        ) -> Result<String, HdlError> {
            check_hardware_codes("attnv", params, variant)?;
            if v_banks != 1 && v_banks != 2 {
                return Err(HdlError::Unbuildable(format!(
                    "attnv: V banks must be 1 or 2, got {v_banks}"
                )));
            }
            match (params.d, params.n_max) {
                $( ($d, $n) => Ok(verilog_of::<
                    { 8 * $d }, { $d * acc($n) }, { a($n) }, { acc($n) }, { rs($n) }
                >(params, variant, v_banks)), )*
                (d, n_max) => Err(HdlError::NotCompiled { block: "attnv", build: Build::Core, d, n_max }),
            }
        }
    };
}
compiled_configs!(attnv_dispatch);

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
    split: Option<&MultiplierSplit>,
) -> String {
    let mut uut = AttnHead::<KW, OW, A, ACC, RS, SB, SUMB>::new(p, v, fe, cb);
    if let Some(s) = split {
        uut = uut.with_multiplier_split(s);
    }
    uut.connect_all();
    // rust-hdl writes each block's logic as one `always @(*)`, so the top's wiring (which
    // reads AttnV's `tready`s and drives its `tvalid`s) and AttnV's handshake logic form a
    // loop at block granularity, though not at bit level. Verilator then evaluates the two
    // blocks iteratively (UNOPTFLAT, a performance note); the waiver says so.
    format!(
        "// The top's wiring and AttnV's handshakes are one block each: a loop at block level only.\n/* verilator lint_off UNOPTFLAT */\n{}",
        one_definition_per_module(&generate_verilog(&uut))
    )
}

/// `verilog` with every repeated, identical module definition dropped (the first is kept).
/// A hand-written leaf brings the modules it instantiates along with it (`Wrapper::cores`:
/// the score unit's multiplier, once per `DotProduct`), so a front end with P score units
/// carries P copies of the same definition.
pub fn one_definition_per_module(verilog: &str) -> String {
    let mut seen = std::collections::HashSet::new();
    let mut out = String::with_capacity(verilog.len());
    let mut lines = verilog.lines().peekable();
    while let Some(line) = lines.next() {
        let attr = line.trim_start().starts_with("(*")
            && lines.peek().is_some_and(|n| n.starts_with("module "));
        if !(line.starts_with("module ") || attr) {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut block = String::from(line);
        block.push('\n');
        for l in lines.by_ref() {
            block.push_str(l);
            block.push('\n');
            if l.trim_start().starts_with("endmodule") {
                break;
            }
        }
        if seen.insert(block.clone()) {
            out.push_str(&block);
        }
    }
    out
}

macro_rules! head_dispatch {
    (core: $($c:tt),*; head: $(($d:literal, $n:literal, $p:tt)),*; $($rest:tt)*) => {
        /// The Verilog of a top-level [`AttnHead`] (module `top`) for core `params`, `variant`,
        /// front end `fe` (with its keys per cycle P) and the codebook whose edges it compares
        /// against. `Err` if W or k are not the hardware's, or (D, N_MAX) is not compiled or
        /// not built for P ([`Build::Head`], [`Build::check_keys_per_cycle`]); panics if the
        /// front end is not buildable otherwise (see [`crate::front_end::FrontEnd::new`]).
        pub fn head_verilog(
            params: &CoreParams,
            variant: Variant,
            fe: &FrontEndParams,
            codebook: &Codebook,
        ) -> Result<String, HdlError> {
            head_verilog_split(params, variant, fe, codebook, None)
        }

        /// [`head_verilog`] with the multipliers split between DSP blocks and LUTs as
        /// `split` says ([`AttnHead::with_multiplier_split`]; `None`: every product written
        /// as for DSP blocks, as [`head_verilog`]). `Err` as [`head_verilog`], and if `split`
        /// was not made for this head's D, P, K and variant.
        pub fn head_verilog_split(
            params: &CoreParams,
            variant: Variant,
            fe: &FrontEndParams,
            codebook: &Codebook,
            split: Option<&MultiplierSplit>,
        ) -> Result<String, HdlError> {
            check_hardware_codes("head", params, variant)?;
            if let Some(s) = split {
                let lane = MultiplierSplit::lane_products(variant, params.d, params.nnz_per_cycle);
                if (s.score, s.lane) != (fe.keys_per_cycle * params.d, lane) {
                    return Err(HdlError::Unbuildable(format!(
                        "the multiplier split ({} score and {} lane products) is not this head's ({} and {lane})",
                        s.score, s.lane, fe.keys_per_cycle * params.d
                    )));
                }
            }
            Build::Head.check_p("head", params.d, params.n_max, fe.keys_per_cycle)?;
            match (params.d, params.n_max) {
                $( ($d, $n) => Ok(head_verilog_of::<
                    { 8 * $d }, { $d * acc($n) }, { a($n) }, { acc($n) }, { rs($n) },
                    { sb($d) }, { sumb($d, $n) }
                >(params, variant, fe, codebook, split)), )*
                (d, n_max) => Err(HdlError::NotCompiled { block: "head", build: Build::Head, d, n_max }),
            }
        }
    };
}
compiled_configs!(head_dispatch);

/// What to make of the link design type compiled for a configuration: the visitor that
/// [`with_link_design`] calls with that type.
pub trait LinkDesignVisitor {
    /// What [`LinkDesignVisitor::visit`] makes.
    type Output;
    /// Makes it from `L`, the design compiled for `cfg`.
    fn visit<L: LinkDesign>(self, cfg: &DeviceConfig) -> Self::Output;
}

macro_rules! link_dispatch {
    (core: $($c:tt),*; head: $(($hd:literal, $hn:literal, $hp:tt)),*;
     codes_board: $(($bd:literal, $bn:literal)),*;) => {
        /// Calls `v` with the link design compiled for `cfg`: [`LinkHead`] for a whole-head
        /// board ([`Build::Head`]), [`LinkCore`] for a codes board ([`Build::CodesBoard`]).
        /// Errors name what is not compiled.
        pub fn with_link_design<V: LinkDesignVisitor>(
            cfg: &DeviceConfig,
            v: V,
        ) -> Result<V::Output, HdlError> {
            check_hardware_codes("link", &cfg.core, cfg.variant)?;
            let (d, n_max) = (cfg.core.d, cfg.core.n_max);
            if let Datapath::Head { front_end, .. } = &cfg.datapath {
                Build::Head.check_p("link", d, n_max, front_end.keys_per_cycle)?;
            }
            match &cfg.datapath {
                Datapath::Head { .. } => match (d, n_max) {
                    $( ($hd, $hn) => Ok(v.visit::<LinkHead<
                        { 8 * $hd }, { $hd * acc($hn) }, { a($hn) }, { acc($hn) }, { rs($hn) },
                        { sb($hd) }, { sumb($hd, $hn) },
                        { 8 * $hd + 16 }, { $hd * acc($hn) + rs($hn) }
                    >>(cfg)), )*
                    _ => Err(HdlError::NotCompiled { block: "link", build: Build::Head, d, n_max }),
                },
                Datapath::Codes => match (d, n_max) {
                    $( ($bd, $bn) => Ok(v.visit::<LinkCore<
                        { 8 * $bd }, { $bd * acc($bn) }, { a($bn) }, { acc($bn) }, { rs($bn) },
                        { 8 * $bd + 16 }, { $bd * acc($bn) + rs($bn) }, { 2 * a($bn) - 4 }
                    >>(cfg)), )*
                    _ => Err(HdlError::NotCompiled { block: "link", build: Build::CodesBoard, d, n_max }),
                },
            }
        }
    };
}
compiled_configs!(link_dispatch);

/// The Verilog of top-level `uut` with loops at block granularity only (see [`head_verilog`]).
pub(crate) fn top_with_loops<B: Block>(uut: &mut B) -> String {
    uut.connect_all();
    format!(
        "// Block-level wiring loops only (see head_verilog).\n/* verilator lint_off UNOPTFLAT */\n{}",
        one_definition_per_module(&generate_verilog(uut))
    )
}

/// A [`LinkDesignVisitor`]: the Verilog of the link design alone, as module `top`.
pub struct LinkAlone;

impl LinkDesignVisitor for LinkAlone {
    type Output = String;
    fn visit<L: LinkDesign>(self, cfg: &DeviceConfig) -> String {
        top_with_loops(&mut L::for_config(cfg))
    }
}

/// A [`LinkDesignVisitor`]: the Verilog of the link design behind FrontPanel endpoints
/// ([`FrontPanelLink`], pipe FIFOs of `.0` words), as module `top`.
pub struct AtFrontPanel(pub usize);

impl LinkDesignVisitor for AtFrontPanel {
    type Output = String;
    fn visit<L: LinkDesign>(self, cfg: &DeviceConfig) -> String {
        top_with_loops(&mut FrontPanelLink::<L>::new(cfg, self.0))
    }
}

/// The Verilog of the board design behind its byte streams (module `top`), built as `cfg`:
/// [`LinkHead`] (a whole-head board, [`Build::Head`]) or [`LinkCore`] (a codes board,
/// [`Build::CodesBoard`]). `Err` names what is not compiled.
pub fn link_verilog(cfg: &DeviceConfig) -> Result<String, HdlError> {
    with_link_design(cfg, LinkAlone)
}

/// The Verilog of a top-level [`FrontPanelLink`] (module `top`): the board's design at
/// FrontPanel's endpoints (pipe words in and out, the wire-out counts and status) with pipe
/// FIFOs of `fifo_words` words, around the link design for `cfg` (as in [`link_verilog`]).
pub fn frontpanel_link_verilog(cfg: &DeviceConfig, fifo_words: usize) -> Result<String, HdlError> {
    with_link_design(cfg, AtFrontPanel(fifo_words))
}

/// Where a design's multipliers are built on a part: the one rule that splits them between the
/// part's DSP blocks ([`Resources::dsp_blocks`]) and LUTs.
///
/// The products, in the order they take DSP blocks:
/// 1. ScaleShift's, [`MultiplierSplit::SCALE_PRODUCTS`] per score unit (`*` of at most
///    18 x 18 bits in its Verilog; where DSPs do not cover them, as on the iCE40, the
///    synthesizer builds them from LUTs: [`MultiplierSplit::scale_in_luts`], not in
///    [`MultiplierSplit::lut_estimate`]);
/// 2. the lanes' 16 x 8 products, D x K (General and Dense cores; none in the shift-only Octave
///    core), before the scores because one costs more LUTs than an 8 x 8;
/// 3. the P score units' 8 x 8 products, P x D.
///
/// Products find DSPs in that order until none is left; the rest are built in LUTs
/// ([`crate::front_end::dot_product::DotProduct::with_lut_products`],
/// [`crate::core::lane::Lane::with_lut_multiplier`]), whatever the split with the same results
/// and cycle counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MultiplierSplit {
    /// The part's family (the LUT costs are per family).
    pub family: Family,
    /// The part's DSP blocks.
    pub dsp_blocks: usize,
    /// ScaleShift's products.
    pub scale: usize,
    /// ... of which the DSPs do not cover.
    pub scale_in_luts: usize,
    /// The lanes' 16 x 8 products.
    pub lane: usize,
    /// ... of which built in LUTs.
    pub lane_in_luts: usize,
    /// The score units' 8 x 8 products.
    pub score: usize,
    /// ... of which built in LUTs.
    pub score_in_luts: usize,
}

impl MultiplierSplit {
    /// ScaleShift's products (two for `s * mk`, three for `* mq`), one ScaleShift per score unit.
    pub const SCALE_PRODUCTS: usize = 5;

    /// The split for a design of `p` score units of `d` products, `lane` 16 x 8 lane products
    /// on a `family` part with `dsp_blocks` DSP blocks.
    pub fn new(family: Family, dsp_blocks: usize, d: usize, p: usize, lane: usize) -> Self {
        let scale = Self::SCALE_PRODUCTS * p;
        let score = p * d;
        let mut left = dsp_blocks;
        let mut in_luts = |n: usize| {
            let dsp = n.min(left);
            left -= dsp;
            n - dsp
        };
        let scale_in_luts = in_luts(scale);
        let lane_in_luts = in_luts(lane);
        let score_in_luts = in_luts(score);
        Self {
            family,
            dsp_blocks,
            scale,
            scale_in_luts,
            lane,
            lane_in_luts,
            score,
            score_in_luts,
        }
    }

    /// The split for board design `cfg` (D, P = [`DeviceConfig::keys_per_cycle`] score units
    /// on a whole-head board, none on a codes board; K = `cfg.core.nnz_per_cycle` lane
    /// multipliers per lane unless the core is Octave) on `part`.
    pub fn for_design(cfg: &DeviceConfig, part: &Resources) -> Self {
        let d = cfg.core.d;
        let p = if cfg.front_end().is_some() {
            cfg.keys_per_cycle()
        } else {
            0
        };
        let lane = Self::lane_products(cfg.variant, d, cfg.core.nnz_per_cycle);
        Self::new(part.family, part.dsp_blocks, d, p, lane)
    }

    /// The lanes' 16 x 8 products of a `variant` core of `d` lanes issuing `k` codes a cycle:
    /// D x K, none in the shift-only octave core.
    pub fn lane_products(variant: Variant, d: usize, k: usize) -> usize {
        match variant {
            Variant::Octave => 0,
            Variant::General | Variant::Dense => d * k,
        }
    }

    /// DSP blocks used.
    pub fn dsp_used(&self) -> usize {
        self.scale + self.lane + self.score
            - self.scale_in_luts
            - self.lane_in_luts
            - self.score_in_luts
    }

    /// The expected LUTs of the products built in LUTs ([`lut_cost`]: LUT4 on ECP5 and
    /// iCE40, LUT6 on Xilinx 7); ScaleShift's products in LUTs are not counted.
    pub fn lut_estimate(&self) -> usize {
        let c = lut_cost(self.family);
        self.score_in_luts * c.mul8x8 + self.lane_in_luts * c.mul16x8
    }

    /// The products built in LUTs of each of `p` score units (`score_in_luts` spread evenly,
    /// the first units taking one more): the argument of each unit's
    /// [`crate::front_end::dot_product::DotProduct::with_lut_products`].
    pub fn score_luts_per_unit(&self, p: usize) -> Vec<usize> {
        spread(self.score_in_luts, p)
    }

    /// The multipliers built in LUTs of each of `d` lanes (`lane_in_luts` spread evenly, 0..=K
    /// each, the first lanes taking one more).
    pub fn lane_luts_per_lane(&self, d: usize) -> Vec<usize> {
        spread(self.lane_in_luts, d)
    }
}

/// `total` in `parts` near-equal shares, the first ones taking one more.
fn spread(total: usize, parts: usize) -> Vec<usize> {
    assert!(
        parts > 0 || total == 0,
        "cannot spread {total} over no part"
    );
    (0..parts)
        .map(|i| total / parts + usize::from(i < total % parts))
        .collect()
}

/// What one product built in LUTs costs on a family (measured: `docs/data/synthesis.json`,
/// `lut_multipliers_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LutCost {
    /// LUTs of a signed 8 x 8 ([`crate::core::lut_mul::LutMul8x8`]).
    pub mul8x8: usize,
    /// LUTs of an unsigned 16 x signed 8 ([`crate::core::lut_mul::LutMul16x8`]).
    pub mul16x8: usize,
}

/// The LUTs of one product built in LUTs on `family` (LUT4 on ECP5 and iCE40, LUT6 on
/// Xilinx 7), as measured out of context (`docs/data/synthesis.json`, `lut_multipliers_ecp5`,
/// `_xc7`, `_ice40`: the leaf behind input registers; in the D = 64 score unit the marginal
/// cost per product is the same within 2%).
pub const fn lut_cost(family: Family) -> LutCost {
    match family {
        // nextpnr-ecp5's TRELLIS_COMB (LUT4s, carry chains' included).
        Family::Ecp5 => LutCost {
            mul8x8: 138,
            mul16x8: 235,
        },
        // synth_xilinx's LUT1..LUT6 (plus CARRY4s: 10 and 16).
        Family::Xilinx7 => LutCost {
            mul8x8: 69,
            mul16x8: 119,
        },
        // synth_ice40's SB_LUT4 (plus SB_CARRYs: 32 and 58).
        Family::Ice40 => LutCost {
            mul8x8: 126,
            mul16x8: 224,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::lint::verilator_lint;

    /// Names the design type `with_link_design` picked, without building it.
    struct Which;
    impl LinkDesignVisitor for Which {
        type Output = String;
        fn visit<L: LinkDesign>(self, _cfg: &DeviceConfig) -> String {
            std::any::type_name::<L>().to_string()
        }
    }

    #[test]
    fn the_multiplier_rule_fills_the_dsps_then_builds_the_rest_in_luts() {
        let part = |name| crate::boards::board_resources(name).unwrap();
        let (ecp5, xc7, ice40) = (part("ulx3s"), part("xem7010"), part("alchitry_cu"));
        assert_eq!(
            (ecp5.dsp_blocks, xc7.dsp_blocks, ice40.dsp_blocks),
            (156, 120, 0)
        );
        let octave = Codebook::octave(3).unwrap();
        let log = Codebook::log(3, 1e-3).unwrap();
        let head = |cb: &Codebook, p, k| {
            DeviceConfig::head(64, 512, cb)
                .unwrap()
                .with_parallelism(p, k)
                .unwrap()
        };
        let split = |cfg: &DeviceConfig, part: &Resources| {
            let s = MultiplierSplit::for_design(cfg, part);
            assert!(s.dsp_used() <= part.dsp_blocks);
            (
                [s.scale, s.lane, s.score],
                [s.scale_in_luts, s.lane_in_luts, s.score_in_luts],
                s.dsp_used(),
                s.lut_estimate(),
            )
        };
        // ECP5-85F, D = 64, P = 4, octave: 20 + 136 score products in DSPs, 120 in LUTs.
        let s = MultiplierSplit::for_design(&head(&octave, 4, 1), &ecp5);
        assert_eq!(
            split(&head(&octave, 4, 1), &ecp5),
            ([20, 0, 256], [0, 0, 120], 156, 120 * 138)
        );
        assert_eq!(s.score_luts_per_unit(4), [30; 4]);
        // ECP5-85F, D = 64, P = 4, K = 2, general: the 128 lane products take DSPs first.
        let s = MultiplierSplit::for_design(&head(&log, 4, 2), &ecp5);
        assert_eq!(
            split(&head(&log, 4, 2), &ecp5),
            ([20, 128, 256], [0, 0, 248], 156, 248 * 138)
        );
        assert_eq!(s.score_luts_per_unit(4), [62; 4]);
        assert_eq!(s.lane_luts_per_lane(64), [0; 64]);
        // XC7A50T, D = 64, P = 2: octave, general K = 1, general K = 2.
        assert_eq!(
            split(&head(&octave, 2, 1), &xc7),
            ([10, 0, 128], [0, 0, 18], 120, 18 * 69)
        );
        assert_eq!(
            split(&head(&log, 2, 1), &xc7),
            ([10, 64, 128], [0, 0, 82], 120, 82 * 69)
        );
        let s = MultiplierSplit::for_design(&head(&log, 2, 2), &xc7);
        assert_eq!(
            split(&head(&log, 2, 2), &xc7),
            ([10, 128, 128], [0, 18, 128], 120, 18 * 119 + 128 * 69)
        );
        assert_eq!(s.score_luts_per_unit(2), [64, 64]);
        let lanes = s.lane_luts_per_lane(64);
        assert_eq!((&lanes[..18], &lanes[18..]), (&[1; 18][..], &[0; 46][..]));
        // No DSPs: everything in LUTs, ScaleShift's products by the synthesizer.
        let s = MultiplierSplit::new(Family::Ice40, 0, 8, 1, 8);
        assert_eq!(
            (s.scale_in_luts, s.lane_in_luts, s.score_in_luts),
            (5, 8, 8)
        );
        assert_eq!(s.lut_estimate(), 8 * 126 + 8 * 224);
        assert_eq!(s.score_luts_per_unit(3), [3, 3, 2]);
        // The board designs (their shells build them with this split): all in DSPs but the
        // XEM7010's octave head at P = 2, which builds 18 of its 128 score products in LUTs.
        for name in crate::boards::BOARDS {
            let b = crate::boards::board(name).unwrap();
            for design in b.link_designs() {
                let b = b.for_design(design).unwrap();
                let s = b.multiplier_split();
                let want = if (name, design) == ("xem7010", "link") {
                    (0, 0, 18)
                } else {
                    (0, 0, 0)
                };
                assert_eq!(
                    (s.scale_in_luts, s.lane_in_luts, s.score_in_luts),
                    want,
                    "{name} / {design}"
                );
            }
        }
        // The order's premise: a lane product costs more LUTs than a score product.
        for f in [Family::Ecp5, Family::Xilinx7, Family::Ice40] {
            assert!(lut_cost(f).mul16x8 > lut_cost(f).mul8x8);
        }
    }

    #[test]
    fn a_head_takes_only_its_own_multiplier_split() {
        let cb = Codebook::log(3, 1e-3).unwrap();
        let core = CoreParams::hardware(4, 64)
            .unwrap()
            .with_nnz_per_cycle(2)
            .unwrap();
        let fe = FrontEndParams::hardware(4, 64)
            .with_keys_per_cycle(2)
            .unwrap();
        // P = 2 score units of 4 products, 4 lanes of 2 multipliers: all in LUTs.
        let split = MultiplierSplit::new(Family::Ecp5, 10, 4, 2, 8);
        let v = head_verilog_split(&core, Variant::General, &fe, &cb, Some(&split)).unwrap();
        assert!(v.contains("logattn_lutmul8sx8") && v.contains("logattn_lutmul16ux8"));
        let plain = head_verilog(&core, Variant::General, &fe, &cb).unwrap();
        assert!(!plain.contains("logattn_lutmul"));
        // A split made for P = 4, or for the octave core (no lane products), is refused.
        for (wrong, what) in [
            (
                MultiplierSplit::new(Family::Ecp5, 10, 4, 4, 8),
                "16 score and 8 lane",
            ),
            (
                MultiplierSplit::new(Family::Ecp5, 10, 4, 2, 0),
                "8 score and 0 lane",
            ),
        ] {
            let e = head_verilog_split(&core, Variant::General, &fe, &cb, Some(&wrong))
                .unwrap_err()
                .to_string();
            assert!(
                e.contains(&format!(
                    "the multiplier split ({what} products) is not this head's (8 and 8)"
                )),
                "{e}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "AttnHead: the multiplier split is not this head's")]
    fn attn_head_refuses_another_heads_split() {
        let cb = Codebook::octave(3).unwrap();
        let core = CoreParams::hardware(4, 64).unwrap();
        let fe = FrontEndParams::hardware(4, 64);
        let _ = AttnHead::<
            32,
            { 4 * acc(64) },
            { a(64) },
            { acc(64) },
            { rs(64) },
            { sb(4) },
            { sumb(4, 64) },
        >::new(&core, Variant::Octave, &fe, &cb)
        .with_multiplier_split(&MultiplierSplit::new(Family::Ecp5, 0, 4, 1, 4));
    }

    #[test]
    fn the_lut_costs_are_the_recorded_measurements() {
        let syn: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/data/synthesis.json")).unwrap();
        for (f, rows, lut) in [
            (Family::Ecp5, "lut_multipliers_ecp5", "lut4"),
            (Family::Xilinx7, "lut_multipliers_xc7", "lut"),
            (Family::Ice40, "lut_multipliers_ice40", "lut4"),
        ] {
            let measured = |module: &str| {
                syn[rows]
                    .as_array()
                    .and_then(|a| a.iter().find(|r| r["module"] == module))
                    .and_then(|r| r[lut].as_u64())
                    .unwrap_or_else(|| panic!("synthesis.json: {rows} has no {module}"))
            };
            let c = lut_cost(f);
            assert_eq!(measured("logattn_lutmul8sx8"), c.mul8x8 as u64, "{rows}");
            assert_eq!(measured("logattn_lutmul16ux8"), c.mul16x8 as u64, "{rows}");
        }
    }

    #[test]
    #[should_panic(expected = "cannot spread 3 over no part")]
    fn spreading_needs_parts() {
        let _ = spread(3, 0);
    }

    #[test]
    fn the_table_gives_the_lists_and_the_picks() {
        assert_eq!(Build::Head.widths(), [4, 8, 32, 64]);
        assert_eq!(Build::Head.n_max_for(64), Ok(512));
        assert_eq!(Build::Core.n_max_for(32), Ok(512));
        assert_eq!(Build::CodesBoard.n_max_for(8), Ok(64));
        assert_eq!(
            Build::Head.n_max_for(5).unwrap_err().to_string(),
            "d = 5: the on-chip head is built for D in [4, 8, 32, 64]"
        );
        assert_eq!(
            Build::Core.n_max_for(48).unwrap_err().to_string(),
            "head dimension d = 48 is not a configured core width; supported: [4, 8, 16, 32, 64]"
        );
        assert!(Build::Head.is_compiled(64, 128) && !Build::Head.is_compiled(16, 64));
        for (d, n_max) in HEAD {
            assert_eq!(Build::Head.keys_per_cycle(*d, *n_max), [1, 2, 4, 8]);
        }
        assert_eq!(Build::Core.keys_per_cycle(64, 512), [1]);
        assert!(Build::Head.keys_per_cycle(16, 64).is_empty());
        assert_eq!(Build::Head.check_keys_per_cycle(32, 512, 8), Ok(()));
        assert_eq!(
            Build::Head
                .check_keys_per_cycle(32, 512, 16)
                .unwrap_err()
                .to_string(),
            "head: P = 16 keys per cycle is not built for D = 32 and N_MAX = 512 (supported P: [1, 2, 4, 8])"
        );
    }

    #[test]
    fn an_unbuilt_keys_per_cycle_is_an_error() {
        let log = Codebook::log(3, 1e-3).unwrap();
        let fe = FrontEndParams {
            keys_per_cycle: 3,
            ..FrontEndParams::hardware(4, 64)
        };
        let core = CoreParams::hardware(4, 64).unwrap();
        assert_eq!(
            head_verilog(&core, Variant::General, &fe, &log)
                .unwrap_err()
                .to_string(),
            "head: P = 3 keys per cycle is not built for D = 4 and N_MAX = 64 (supported P: [1, 2, 4, 8])"
        );
        let mut cfg = DeviceConfig::head(4, 64, &log).unwrap();
        if let Datapath::Head { front_end, .. } = &mut cfg.datapath {
            front_end.keys_per_cycle = 3;
        }
        assert_eq!(
            with_link_design(&cfg, Which).unwrap_err().to_string(),
            "link: P = 3 keys per cycle is not built for D = 4 and N_MAX = 64 (supported P: [1, 2, 4, 8])"
        );
    }

    #[test]
    fn with_link_design_picks_the_compiled_design_or_names_what_is_missing() {
        let log = Codebook::log(3, 1e-3).unwrap();
        let head = |d, n_max| DeviceConfig::head(d, n_max, &log).unwrap();
        let codes = |d, n_max| DeviceConfig::codes(d, n_max, Variant::General).unwrap();
        assert!(with_link_design(&head(64, 512), Which)
            .unwrap()
            .contains("LinkHead<512, 2112, 9, 33, 25, 22, 25, 528, 2137>"));
        assert!(with_link_design(&codes(8, 64), Which)
            .unwrap()
            .contains("LinkCore<64, 240, 6, 30, 22, 80, 262, 8>"));
        assert_eq!(
            with_link_design(&head(16, 128), Which).unwrap_err().to_string(),
            format!("link: no compiled configuration for D = 16 and N_MAX = 128 (supported (D, N_MAX): {HEAD:?})")
        );
        assert_eq!(
            with_link_design(&codes(32, 64), Which).unwrap_err().to_string(),
            format!("link: no compiled codes board for D = 32 and N_MAX = 64 (supported (D, N_MAX): {CODES_BOARD:?})")
        );
        let mut k4 = head(8, 64);
        k4.core.code_bits = 4;
        assert_eq!(
            with_link_design(&k4, Which).unwrap_err().to_string(),
            "link: k (code bits) must be 3, got 4"
        );
        assert_eq!(
            attnv_verilog(&core(12, 64), Variant::General)
                .unwrap_err()
                .to_string(),
            format!("attnv: no compiled configuration for D = 12 and N_MAX = 64 (supported (D, N_MAX): {CORE:?})")
        );
    }

    #[test]
    fn one_definition_per_module_keeps_the_first_of_equal_modules() {
        let v = "module a(x);\nendmodule // a\n(* keep *)\nmodule m(y);\nendmodule\n(* keep *)\nmodule m(y);\nendmodule\nmodule m2(y);\nendmodule\n";
        assert_eq!(
            one_definition_per_module(v),
            "module a(x);\nendmodule // a\n(* keep *)\nmodule m(y);\nendmodule\nmodule m2(y);\nendmodule\n"
        );
    }

    #[test]
    fn head_configs_lint_clean() {
        let log = || Codebook::log(3, 1e-3).unwrap();
        let oct = || Codebook::octave(3).unwrap();
        let mut cases = Vec::new();
        for p in [1, 2, 4, 8] {
            cases.push((4, 64, p, Variant::General, log()));
            cases.push((4, 64, p, Variant::Octave, oct()));
        }
        cases.push((64, 512, 1, Variant::General, log()));
        cases.push((64, 512, 8, Variant::General, log()));
        cases.push((64, 512, 4, Variant::Octave, oct()));
        cases.push((32, 512, 2, Variant::Octave, oct()));
        for (d, n_max, p, v, cb) in cases {
            let core = CoreParams::hardware(d, n_max).unwrap();
            let fe = FrontEndParams::hardware(d, n_max)
                .with_keys_per_cycle(p)
                .unwrap();
            let vlog = head_verilog(&core, v, &fe, &cb).unwrap();
            for decl in [
                format!("input wire  [{}:0] s_axis_q_tdata;", 8 * d - 1),
                "input wire  [39:0] s_axis_q_tuser;".to_string(),
                format!("input wire  [{}:0] s_axis_k_tdata;", 8 * d - 1),
            ] {
                assert!(vlog.contains(&decl), "D={d} P={p} {v:?}: missing `{decl}`");
            }
            // P score units, the multiplier module defined once.
            assert_eq!(vlog.matches("module logattn_mul8x8(").count(), 1);
            assert_eq!(vlog.matches("logattn_mul8x8 mul_0(").count(), p);
            verilator_lint(&format!("head_{d}_{n_max}_{p}_{v:?}"), &vlog)
                .unwrap_or_else(|e| panic!("head D={d} N_MAX={n_max} P={p} {v:?}: {e}"));
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
            let p = CoreParams::hardware(d, n_max).unwrap();
            let vlog = attnv_verilog(&p, v).unwrap();
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
