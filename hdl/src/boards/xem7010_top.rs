//! `Xem7010Top`: the Opal Kelly XEM7010 board shell (FrontPanel host interface) around a
//! [`FrontPanelLink`].

use crate::boards::{Board, Family, HostLink};
use crate::io::reset_sync::ResetSync;
use crate::link::frontpanel_link::{
    FrontPanelLink, EP_PIPE_IN, EP_PIPE_OUT, EP_RESET, EP_STATUS, EP_WORDS_FREE, EP_WORDS_READY,
};
use crate::link::LinkDesign;
use rust_hdl::prelude::*;

/// Opal Kelly's FrontPanel HDL modules for USB 2.0 modules (`ok1` 31 bits, `ok2` 17 bits), as
/// `(* blackbox *)` declarations with the port lists of Opal Kelly's HDL: `okHost`, `okWireIn`,
/// `okWireOut`, `okPipeIn` and `okPipeOut` exactly as `rust-hdl-ok-core` 0.46 declares them
/// (`src/core/ok_host.rs`, `ok_wire.rs`, `ok_pipe.rs`), and `okWireOR` as in the FrontPanel
/// User's Manual's USB 2.0 examples (`okWireOR # (.N(n)) (ok2, ok2s)`, `ok2s` n x 17 bits).
///
/// Each declaration starts with `(* blackbox *)` at the start of a line, so rust-hdl's
/// `filter_blackbox_directives` drops it for Vivado, which takes Opal Kelly's netlists and
/// `okLibrary.v` instead. yosys keeps them as black boxes (the resource estimate counts the
/// design without the host interface); Verilator lints them as empty modules.
pub const OK_BLACKBOXES: &str = "
(* blackbox *)
module okHost(
    input  wire [7:0]  hi_in,
    output wire [1:0]  hi_out,
    inout  wire [15:0] hi_inout,
    inout  wire        hi_aa,
    output wire        ti_clk,
    output wire [30:0] ok1,
    input  wire [16:0] ok2);
endmodule

(* blackbox *)
module okWireOR #(parameter N = 1) (
    output wire [16:0]     ok2,
    input  wire [N*17-1:0] ok2s);
endmodule

(* blackbox *)
module okWireIn(
    input  wire [30:0] ok1,
    input  wire [7:0]  ep_addr,
    output wire [15:0] ep_dataout);
endmodule

(* blackbox *)
module okWireOut(
    input  wire [30:0] ok1,
    output wire [16:0] ok2,
    input  wire [7:0]  ep_addr,
    input  wire [15:0] ep_datain);
endmodule

(* blackbox *)
module okPipeIn(
    input  wire [30:0] ok1,
    output wire [16:0] ok2,
    input  wire [7:0]  ep_addr,
    output wire        ep_write,
    output wire [15:0] ep_dataout);
endmodule

(* blackbox *)
module okPipeOut(
    input  wire [30:0] ok1,
    output wire [16:0] ok2,
    input  wire [7:0]  ep_addr,
    output wire        ep_read,
    input  wire [15:0] ep_datain);
endmodule
";

/// The XEM7010 (XC7A50T-1FGG484) top: the FrontPanel host-interface pins, named as in
/// `constraints/xem7010.xdc` (`hi_in[7:0]`, `hi_out[1:0]`, `hi_inout[15:0]`, `hi_aa`,
/// `hi_muxsel`) and the eight LEDs; Opal Kelly's `okHost` with an `okWireOR` over the five
/// endpoints; `okWireIn` 0x00 (bit 0: reset), `okWireOut` 0x20 (words free), 0x21 (words
/// ready), 0x22 (status), `okPipeIn` 0x80 (requests), `okPipeOut` 0xA0 (responses); a
/// [`ResetSync`]; and the [`FrontPanelLink`], its pipes on FrontPanel's `ti_clk` (48 MHz on this
/// USB 2.0 module) and its link design on `head_clock`: the board's 200 MHz LVDS oscillator
/// (`sys_clkp` / `sys_clkn`) through an `IBUFDS`, an `MMCME2_BASE` set by
/// [`crate::io::xc7_mmcm::xc7_mmcm_params`] for the design's head clock (100 MHz: x 6 / 12, its
/// feedback through a `BUFG`) and a `BUFG`. The two clocks are unrelated; the byte streams cross
/// between them in the [`FrontPanelLink`]'s [`crate::io::byte_crossing::ByteCrossing`], and the
/// constraints declare the two clock groups asynchronous.
///
/// The design is reset at power-up, while WireIn 0x00 bit 0 is high and until the MMCM locks. `hi_muxsel` is held
/// low (the host interface owns the shared pins, as in Opal Kelly's XEM7010 samples). An LED
/// lights when its pin is driven low (Opal Kelly's XEM7010 samples drive 0 to light one and
/// leave it high-impedance otherwise; here, as in rust-hdl's XEM7010 BSP, the pins are
/// LVCMOS33 outputs driven high when off), so the design's LED word is inverted.
///
/// Hand-written Verilog (`Verilog::Wrapper`: the FrontPanel modules are instantiated directly
/// and declared once as black boxes, [`OK_BLACKBOXES`]). The Rust `update` twin cannot run
/// FrontPanel's encrypted host interface: it clocks the design from `hi_in[0]` (the host
/// interface clock that `okHost` turns into `ti_clk`) with the pipes idle;
/// [`FrontPanelLink`] is what simulates (`sim::frontpanel`).
///
/// Inputs: `hi_in` (8; bit 0 the 48 MHz host-interface clock); `sys_clkp`, `sys_clkn` (the
/// 200 MHz LVDS oscillator).
/// Outputs: `hi_out` (2); `hi_muxsel` (low); `led` (8, active low).
/// In/out: `hi_inout` (16); `hi_aa`.
#[derive(LogicBlock)]
pub struct Xem7010Top<L: LinkDesign> {
    /// Host interface inputs (`hi_in[0]`: its clock).
    pub hi_in: Signal<In, Bits<8>>,
    /// Host interface outputs.
    pub hi_out: Signal<Out, Bits<2>>,
    /// Host interface data bus.
    pub hi_inout: Signal<InOut, Bits<16>>,
    /// Host interface `hi_aa`.
    pub hi_aa: Signal<InOut, Bit>,
    /// The system oscillator, positive leg.
    pub sys_clkp: Signal<In, Bit>,
    /// The system oscillator, negative leg.
    pub sys_clkn: Signal<In, Bit>,
    /// Host interface multiplexer select, held low.
    pub hi_muxsel: Signal<Out, Bit>,
    /// LEDs, active low.
    pub led: Signal<Out, Bits<8>>,
    reset_sync: ResetSync,
    app: FrontPanelLink<L>,
    /// The MMCM setting for `head_clock`.
    _mmcm: crate::io::xc7_mmcm::Xc7MmcmParams,
}

impl<L: LinkDesign> Xem7010Top<L> {
    /// The shell for `board` with the link design built as `board.device_config()` behind FIFOs
    /// of the board's depth. Panics unless `board` is a Xilinx 7-series FrontPanel board (and if
    /// the design rejects its parameters).
    pub fn new(board: &Board) -> Self {
        assert_eq!(
            board.family,
            Family::Xilinx7,
            "Xem7010Top: {} is not a Xilinx 7-series board",
            board.name
        );
        let HostLink::FrontPanel(fp) = &board.host else {
            panic!(
                "Xem7010Top: {} has no FrontPanel host interface",
                board.name
            );
        };
        Self {
            hi_in: Default::default(),
            hi_out: Default::default(),
            hi_inout: Default::default(),
            hi_aa: Default::default(),
            hi_muxsel: Default::default(),
            sys_clkp: Default::default(),
            sys_clkn: Default::default(),
            led: Default::default(),
            reset_sync: Default::default(),
            _mmcm: board
                .head_mmcm()
                .expect("Xem7010Top: the design needs its own clock (DesignSpec::head_clock_hz)"),
            app: FrontPanelLink::new(&board.device_config(), fp.fifo_words)
                .with_multiplier_split(&board.multiplier_split()),
        }
    }

    /// The design.
    pub fn app(&mut self) -> &mut FrontPanelLink<L> {
        &mut self.app
    }
}

impl<L: LinkDesign> Logic for Xem7010Top<L> {
    fn update(&mut self) {
        let ti_clk = Clock {
            clk: self.hi_in.val().get_bit(0),
        };
        self.reset_sync.clock.next = ti_clk;
        self.reset_sync.run.next = true;
        self.app.clock.next = ti_clk;
        self.app.head_clock.next = Clock {
            clk: self.sys_clkp.val(),
        };
        self.app.reset.next = self.reset_sync.reset.val();
        self.app.pipe_in_write.next = false;
        self.app.pipe_in_data.next = 0.into();
        self.app.pipe_out_read.next = false;
        self.hi_out.next = 0.into();
        self.hi_muxsel.next = false;
        self.led.next = !self.app.led.val();
    }
    fn connect(&mut self) {
        self.reset_sync.clock.connect();
        self.reset_sync.run.connect();
        self.app.clock.connect();
        self.app.head_clock.connect();
        self.app.reset.connect();
        self.app.pipe_in_write.connect();
        self.app.pipe_in_data.connect();
        self.app.pipe_out_read.connect();
        self.hi_out.connect();
        self.hi_muxsel.connect();
        self.led.connect();
    }
    fn hdl(&self) -> Verilog {
        let ep = |a: u8| format!("8'h{a:02X}");
        Verilog::Wrapper(Wrapper {
            code: format!(
                "// FrontPanel host interface (USB 2.0: ok1 31 bits, ok2 17 bits) and endpoints.
wire        ti_clk;
wire [30:0] ok1;
wire [16:0] ok2;
wire [5*17-1:0] ok2x;
wire [15:0] ep00wire;
wire        pipe_in_write;
wire [15:0] pipe_in_data;
wire        pipe_out_read;
wire [15:0] pipe_out_data;
wire [15:0] words_free;
wire [15:0] words_ready;
wire [15:0] status;
wire [7:0]  app_led;
wire        reset;
assign hi_muxsel = 1'b0;
okHost host(.hi_in(hi_in), .hi_out(hi_out), .hi_inout(hi_inout), .hi_aa(hi_aa),
            .ti_clk(ti_clk), .ok1(ok1), .ok2(ok2));
okWireOR #(.N(5)) wire_or(.ok2(ok2), .ok2s(ok2x));
okWireIn  wi_reset(.ok1(ok1), .ep_addr({reset_ep}), .ep_dataout(ep00wire));
okWireOut wo_free(.ok1(ok1), .ok2(ok2x[0*17 +: 17]), .ep_addr({free_ep}), .ep_datain(words_free));
okWireOut wo_ready(.ok1(ok1), .ok2(ok2x[1*17 +: 17]), .ep_addr({ready_ep}), .ep_datain(words_ready));
okWireOut wo_status(.ok1(ok1), .ok2(ok2x[2*17 +: 17]), .ep_addr({status_ep}), .ep_datain(status));
okPipeIn  pi_req(.ok1(ok1), .ok2(ok2x[3*17 +: 17]), .ep_addr({pipe_in_ep}),
                 .ep_write(pipe_in_write), .ep_dataout(pipe_in_data));
okPipeOut po_rsp(.ok1(ok1), .ok2(ok2x[4*17 +: 17]), .ep_addr({pipe_out_ep}),
                 .ep_read(pipe_out_read), .ep_datain(pipe_out_data));
// The link design's clock: the 200 MHz oscillator, x {mult} / {divclk} = {vco:.0} MHz VCO,
// / {out_div} = {head:.3} MHz.
wire sys_clk, mmcm_fb, mmcm_fb_buf, mmcm_out, mmcm_locked, head_clock;
IBUFDS #(.DIFF_TERM(\"FALSE\"), .IOSTANDARD(\"LVDS_25\")) sys_clk_ibuf(.O(sys_clk), .I(sys_clkp), .IB(sys_clkn));
MMCME2_BASE #(.BANDWIDTH(\"OPTIMIZED\"), .CLKFBOUT_MULT_F({mult}.0), .CLKFBOUT_PHASE(0.0),
              .CLKIN1_PERIOD({period:.3}), .CLKOUT0_DIVIDE_F({out_div}.0), .CLKOUT0_DUTY_CYCLE(0.5),
              .CLKOUT0_PHASE(0.0), .DIVCLK_DIVIDE({divclk}), .REF_JITTER1(0.010), .STARTUP_WAIT(\"FALSE\"))
    head_mmcm(.CLKOUT0(mmcm_out), .CLKOUT0B(), .CLKOUT1(), .CLKOUT1B(), .CLKOUT2(), .CLKOUT2B(),
              .CLKOUT3(), .CLKOUT3B(), .CLKOUT4(), .CLKOUT5(), .CLKOUT6(),
              .CLKFBOUT(mmcm_fb), .CLKFBOUTB(), .LOCKED(mmcm_locked),
              .CLKIN1(sys_clk), .PWRDWN(1'b0), .RST(1'b0), .CLKFBIN(mmcm_fb_buf));
BUFG mmcm_fb_bufg(.O(mmcm_fb_buf), .I(mmcm_fb));
BUFG head_clock_bufg(.O(head_clock), .I(mmcm_out));
// Reset at power-up, while WireIn 0x00 bit 0 is high and until the MMCM locks; bits 15:1 are
// unused.
wire _unused_ep00 = &{{1'b0, ep00wire[15:1]}};
top$reset_sync reset_sync(.clock(ti_clk), .run(~ep00wire[0] & mmcm_locked), .reset(reset));
top$app app(.clock(ti_clk), .reset(reset), .head_clock(head_clock),
            .pipe_in_write(pipe_in_write), .pipe_in_data(pipe_in_data),
            .pipe_out_read(pipe_out_read), .pipe_out_data(pipe_out_data),
            .words_free(words_free), .words_ready(words_ready), .status(status),
            .led(app_led));
// The XEM7010's LEDs light when driven low.
assign led = ~app_led;
",
                reset_ep = ep(EP_RESET),
                free_ep = ep(EP_WORDS_FREE),
                ready_ep = ep(EP_WORDS_READY),
                status_ep = ep(EP_STATUS),
                pipe_in_ep = ep(EP_PIPE_IN),
                pipe_out_ep = ep(EP_PIPE_OUT),
                mult = self._mmcm.mult,
                divclk = self._mmcm.divclk,
                out_div = self._mmcm.out_div,
                period = self._mmcm.in_period_ns,
                vco = self._mmcm.vco_hz / 1e6,
                head = self._mmcm.out_hz / 1e6,
            ),
            cores: OK_BLACKBOXES.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boards::{board, top_verilog, UartSpec};
    use crate::verify::lint::verilator_lint;

    /// The D = 4 head's link design (`boards`' dispatch for (4, 6)).
    type Head4 = crate::link::link_head::LinkHead<32, 120, 6, 30, 22, 18, 22, 48, 142>;

    #[test]
    fn xem7010_top_lints_and_has_its_pins_and_endpoints() {
        let b = board("xem7010").unwrap();
        let v = top_verilog(&b, "link").unwrap();
        for decl in [
            "input wire  [7:0] hi_in;",
            "output wire  [1:0] hi_out;",
            "inout wire  [15:0] hi_inout;",
            "inout wire  hi_aa;",
            "output wire  hi_muxsel;",
            "output wire  [7:0] led;",
            "input wire  sys_clkp;",
            "input wire  sys_clkn;",
        ] {
            assert!(v.contains(decl), "missing `{decl}`");
        }
        // Every FrontPanel module declared once, as a black box; the endpoints at their
        // addresses, five of them on the wire-OR.
        for m in [
            "okHost(",
            "okWireOR #(",
            "okWireIn(",
            "okWireOut(",
            "okPipeIn(",
            "okPipeOut(",
        ] {
            assert_eq!(
                v.matches(&format!("(* blackbox *)\nmodule {m}")).count(),
                1,
                "{m}"
            );
        }
        for ep in [
            "okWireIn  wi_reset(.ok1(ok1), .ep_addr(8'h00)",
            ".ep_addr(8'h20), .ep_datain(words_free)",
            ".ep_addr(8'h21), .ep_datain(words_ready)",
            ".ep_addr(8'h22), .ep_datain(status)",
            "okPipeIn  pi_req(.ok1(ok1), .ok2(ok2x[3*17 +: 17]), .ep_addr(8'h80)",
            "okPipeOut po_rsp(.ok1(ok1), .ok2(ok2x[4*17 +: 17]), .ep_addr(8'hA0)",
            "okWireOR #(.N(5))",
            // 200 MHz x 6 / 12: the link design's 100 MHz; the reset waits for the lock.
            ".CLKFBOUT_MULT_F(6.0)",
            ".CLKIN1_PERIOD(5.000)",
            ".CLKOUT0_DIVIDE_F(12.0)",
            ".DIVCLK_DIVIDE(1)",
            ".run(~ep00wire[0] & mmcm_locked)",
            ".clock(ti_clk), .reset(reset), .head_clock(head_clock)",
        ] {
            assert!(v.contains(ep), "missing `{ep}`");
        }
        // Vivado gets Opal Kelly's modules instead: rust-hdl's filter drops the declarations
        // and nothing else.
        let vivado = filter_blackbox_directives(&v);
        assert!(!vivado.contains("module ok") && vivado.contains("okHost host("));
        assert_eq!(
            vivado.matches("\nmodule ").count() + 6,
            v.matches("\nmodule ").count()
        );
        // The constraints name exactly the top's ports.
        let xdc = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(b.constraints),
        )
        .unwrap();
        let mut pins: Vec<String> = xdc
            .lines()
            .filter(|l| l.starts_with("set_property PACKAGE_PIN"))
            .map(|l| {
                let p = l.split("{").nth(1).unwrap().split('}').next().unwrap();
                p.split('[').next().unwrap().to_string()
            })
            .collect();
        pins.dedup();
        assert_eq!(
            pins,
            [
                "hi_in",
                "hi_out",
                "hi_inout",
                "hi_aa",
                "hi_muxsel",
                "led",
                "sys_clkp",
                "sys_clkn"
            ]
        );
        assert_eq!(
            xdc.matches("set_property PACKAGE_PIN").count(),
            8 + 2 + 16 + 2 + 8 + 2
        );
        // The head's block-level wiring loop is waived for Verilator, as for the other tops;
        // the clocking primitives are the stand-ins.
        verilator_lint(
            "xem7010_link",
            &format!("/* verilator lint_off UNOPTFLAT */\n{v}{}", b.stand_ins()),
        )
        .unwrap();
    }

    #[test]
    #[should_panic(expected = "Xem7010Top: ulx3s is not a Xilinx 7-series board")]
    fn the_shell_needs_a_xilinx_board() {
        Xem7010Top::<Head4>::new(&board("ulx3s").unwrap());
    }

    #[test]
    #[should_panic(expected = "Xem7010Top: xem7010 has no FrontPanel host interface")]
    fn the_shell_needs_a_frontpanel_board() {
        let mut b = board("xem7010").unwrap();
        b.resources.host = HostLink::Uart(UartSpec {
            chip: "none",
            base_hz: 3_000_000,
            rx_fifo_depth: 512,
        });
        Xem7010Top::<Head4>::new(&b);
    }
}
