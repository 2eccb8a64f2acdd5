//! The XEM7010 design through rust-hdl's Opal Kelly board support (cargo feature `xem7010`):
//! the bitstream flow (Vivado), next to the default build's hand-written
//! [`crate::boards::xem7010_top::Xem7010Top`].
//!
//! The feature pulls in `rust-hdl-bsp-ok-xem7010` and `rust-hdl-ok-core` 0.46, and through
//! them `rust-hdl-ok-frontpanel-sys`, whose build script runs bindgen on Opal Kelly's
//! `okFrontPanel.h` (`OK_FRONTPANEL_DIR`, needs libclang) and links `libokFrontPanel`; the BSP
//! reads `VIVADO_PATH` and `FP_PATH` (FrontPanel HDL) at compile time. So it needs the vendor
//! SDK and Vivado, and is never enabled by default or in CI. `scripts/check_xem7010.sh`
//! compile-checks it against a stub header; `cargo run --release -p hdl --features xem7010
//! --example xem7010_bitstream` builds the bitstream.

use crate::boards::{Board, HostLink};
use crate::io::reset_sync::ResetSync;
use crate::link::frontpanel_link::{
    FrontPanelLink, EP_PIPE_IN, EP_PIPE_OUT, EP_RESET, EP_STATUS, EP_WORDS_FREE, EP_WORDS_READY,
};
use crate::link::LinkDesign;
use rust_hdl::prelude::*;
use rust_hdl_bsp_ok_xem7010::xem7010::sys_clock::OpalKellySystemClock7;
use rust_hdl_bsp_ok_xem7010::xem7010::XEM7010;
use rust_hdl_ok_core::core::prelude::*;

/// The link design on the XEM7010 as a rust-hdl design over the BSP's FrontPanel blocks:
/// `XEM7010::hi()` pins, [`OpalKellyHost`], [`WireIn`] 0x00 (bit 0: reset), [`WireOut`] 0x20
/// (words free), 0x21 (words ready), 0x22 (status), [`PipeIn`] 0x80, [`PipeOut`] 0xA0, their
/// `ok2` buses ORed into the host's, a [`ResetSync`] and the [`FrontPanelLink`], its pipes on
/// `ti_clk` and its link design on the BSP's `OpalKellySystemClock7` (an MMCM making 100 MHz
/// from the 200 MHz oscillator, `XEM7010::clocks()`): the same endpoints and design as
/// [`crate::boards::xem7010_top::Xem7010Top`] (whose reset also waits for the MMCM's lock; the
/// BSP's block has no lock output, and the crossing's head side stays in reset until its clock
/// runs). `XEM7010::synth`
/// makes its bitstream with Vivado.
///
/// Inputs/outputs: `hi` (the host interface pins, with the BSP's locations and timing);
/// `led` (8, active low, the BSP's locations).
#[derive(LogicBlock)]
pub struct Xem7010Ok<L: LinkDesign> {
    /// The FrontPanel host interface pins.
    pub hi: OpalKellyHostInterface,
    /// Opal Kelly's `okHost`.
    pub ok_host: OpalKellyHost,
    /// LEDs, active low.
    pub led: Signal<Out, Bits<8>>,
    /// WireIn 0x00.
    pub reset_wire: WireIn,
    /// PipeIn 0x80.
    pub pipe_in: PipeIn,
    /// PipeOut 0xA0.
    pub pipe_out: PipeOut,
    /// WireOut 0x20.
    pub free_wire: WireOut,
    /// WireOut 0x21.
    pub ready_wire: WireOut,
    /// WireOut 0x22.
    pub status_wire: WireOut,
    /// The design reset.
    pub reset_sync: ResetSync,
    /// The design.
    pub app: FrontPanelLink<L>,
    /// The 200 MHz oscillator, positive leg.
    pub clock_p: Signal<In, Clock>,
    /// The 200 MHz oscillator, negative leg.
    pub clock_n: Signal<In, Clock>,
    /// The BSP's MMCM: 100 MHz for the link design.
    pub clock_div: OpalKellySystemClock7,
}

impl<L: LinkDesign> Xem7010Ok<L> {
    /// The design for `board` (a FrontPanel board). Panics otherwise, or if the design rejects
    /// its parameters.
    pub fn new(board: &Board) -> Self {
        let HostLink::FrontPanel(fp) = &board.host else {
            panic!("Xem7010Ok: {} has no FrontPanel host interface", board.name);
        };
        Self {
            hi: XEM7010::hi(),
            ok_host: XEM7010::ok_host(),
            led: XEM7010::leds(),
            reset_wire: WireIn::new(EP_RESET),
            pipe_in: PipeIn::new(EP_PIPE_IN),
            pipe_out: PipeOut::new(EP_PIPE_OUT),
            free_wire: WireOut::new(EP_WORDS_FREE),
            ready_wire: WireOut::new(EP_WORDS_READY),
            status_wire: WireOut::new(EP_STATUS),
            reset_sync: Default::default(),
            app: FrontPanelLink::new(&board.device_config(), fp.fifo_words),
            clock_p: XEM7010::clocks()[0].clone(),
            clock_n: XEM7010::clocks()[1].clone(),
            clock_div: Default::default(),
        }
    }
}

impl<L: LinkDesign> Logic for Xem7010Ok<L> {
    #[hdl_gen]
    fn update(&mut self) {
        OpalKellyHostInterface::link(&mut self.hi, &mut self.ok_host.hi);
        self.reset_wire.ok1.next = self.ok_host.ok1.val();
        self.pipe_in.ok1.next = self.ok_host.ok1.val();
        self.pipe_out.ok1.next = self.ok_host.ok1.val();
        self.free_wire.ok1.next = self.ok_host.ok1.val();
        self.ready_wire.ok1.next = self.ok_host.ok1.val();
        self.status_wire.ok1.next = self.ok_host.ok1.val();
        self.ok_host.ok2.next = self.pipe_in.ok2.val()
            | self.pipe_out.ok2.val()
            | self.free_wire.ok2.val()
            | self.ready_wire.ok2.val()
            | self.status_wire.ok2.val();
        self.reset_sync.clock.next = self.ok_host.ti_clk.val();
        self.reset_sync.run.next = !self.reset_wire.dataout.val().get_bit(0);
        self.app.clock.next = self.ok_host.ti_clk.val();
        self.clock_div.clock_p.next = self.clock_p.val();
        self.clock_div.clock_n.next = self.clock_n.val();
        self.app.head_clock.next = self.clock_div.sys_clock.val();
        self.app.reset.next = self.reset_sync.reset.val();
        self.app.pipe_in_write.next = self.pipe_in.write.val();
        self.app.pipe_in_data.next = self.pipe_in.dataout.val();
        self.app.pipe_out_read.next = self.pipe_out.read.val();
        self.pipe_out.datain.next = self.app.pipe_out_data.val();
        self.free_wire.datain.next = self.app.words_free.val();
        self.ready_wire.datain.next = self.app.words_ready.val();
        self.status_wire.datain.next = self.app.status.val();
        self.led.next = !self.app.led.val();
    }
}

/// `XEM7010::synth` of `uut` in `dir` (yosys check, then Vivado: needs `yosys` on PATH and
/// the compile-time `VIVADO_PATH` and `FP_PATH`). `dir` is emptied first: never a directory
/// holding anything else.
pub fn synth<L: LinkDesign>(mut uut: Xem7010Ok<L>, dir: &str) {
    uut.hi.link_connect_dest();
    uut.connect_all();
    XEM7010::synth(uut, dir);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boards::board;
    use crate::boards::xem7010_top::OK_BLACKBOXES;
    use crate::verify::lint::verilator_lint;

    /// The XEM7010's link design (`boards`' dispatch for (64, 9)).
    type Head64 = crate::link::link_head::LinkHead<512, 2112, 9, 33, 25, 22, 25, 528, 2137>;

    /// What Vivado would be given: rust-hdl's Verilog of the BSP design, every input driven
    /// (`generate_verilog` checks), six endpoints at distinct addresses, and, once the
    /// black-box declarations are filtered out as the Vivado flow does and Opal Kelly's modules
    /// declared once instead, clean Verilog.
    #[test]
    fn the_bsp_design_generates_what_vivado_takes() {
        let b = board("xem7010").unwrap();
        let mut uut = Xem7010Ok::<Head64>::new(&b);
        uut.hi.link_connect_dest();
        uut.connect_all();
        let v = generate_verilog(&uut);
        find_ok_bus_collisions(&v);
        let mut addrs: Vec<u8> = v
            .split(".ep_addr(8'h")
            .skip(1)
            .map(|t| u8::from_str_radix(t.split(')').next().unwrap(), 16).unwrap())
            .collect();
        addrs.sort();
        assert_eq!(
            addrs,
            [
                EP_RESET,
                EP_WORDS_FREE,
                EP_WORDS_READY,
                EP_STATUS,
                EP_PIPE_IN,
                EP_PIPE_OUT
            ]
        );
        let vivado = filter_blackbox_directives(&v);
        assert!(!vivado.contains("module okHost("));
        verilator_lint(
            "xem7010_ok",
            &format!("/* verilator lint_off UNOPTFLAT */\n{vivado}{OK_BLACKBOXES}"),
        )
        .unwrap();
    }
}
