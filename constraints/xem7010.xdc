# Opal Kelly XEM7010 (XC7A50T-1FGG484): the FrontPanel host interface and the LEDs, for the
# ports of hdl::xem7010_top::Xem7010Top (`emit_board --board xem7010 --design link`).
#
# Pins, I/O standards and host-interface timing are those of rust-hdl's Opal Kelly support,
# version 0.46:
#   rust-hdl-ok-core 0.46.0, src/core/ok_hi.rs, OpalKellyHostInterface::xem_7010()
#     (hi_in, hi_out, hi_inout, hi_aa, hi_muxsel: locations, LVCMOS33, okHostClk 20.83 ns on
#     hi_in[0], input delays max 6.7 ns (hi_in[7:1]) and 11 ns (hi_inout), 2-cycle multicycle,
#     output delays 8.9 ns (hi_out) and 9.2 ns (hi_inout), fast slew on hi_in)
#   rust-hdl-bsp-ok-xem7010 0.46.0, src/xem7010/pins.rs, xem_7010_leds() (LED locations)
# (Opal Kelly's own xem7010.xdc in the FrontPanel HDL kit is the reference for both.)
# The pipes run on okHost's ti_clk (48 MHz), which Vivado derives from okHostClk through
# okHost's clock management. The link design runs on the MMCM's output (hdl::boards::xem7010_top:
# 200 MHz x 6 / 12 = 100 MHz), which Vivado derives from sys_clk. The board's 200 MHz LVDS
# oscillator is on K4 / J4 (rust-hdl-bsp-ok-xem7010 0.46.0, src/pins.rs, xem_7010_pos_clock and
# xem_7010_neg_clock: LVDS_25, 5 ns). The two clocks are unrelated: every path between them goes
# through the ByteCrossing's asynchronous FIFOs and synchronizers.

# Host interface clock (hi_in[0]) and the timing of the host interface.
create_clock -name okHostClk -period 20.83 [get_ports {hi_in[0]}]

# hi_in[7:0]
set_property PACKAGE_PIN Y18 [get_ports {hi_in[0]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_in[0]}]
set_property SLEW FAST [get_ports {hi_in[0]}]
set_property PACKAGE_PIN V17 [get_ports {hi_in[1]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_in[1]}]
set_property SLEW FAST [get_ports {hi_in[1]}]
set_property PACKAGE_PIN AA19 [get_ports {hi_in[2]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_in[2]}]
set_property SLEW FAST [get_ports {hi_in[2]}]
set_property PACKAGE_PIN V20 [get_ports {hi_in[3]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_in[3]}]
set_property SLEW FAST [get_ports {hi_in[3]}]
set_property PACKAGE_PIN W17 [get_ports {hi_in[4]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_in[4]}]
set_property SLEW FAST [get_ports {hi_in[4]}]
set_property PACKAGE_PIN AB20 [get_ports {hi_in[5]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_in[5]}]
set_property SLEW FAST [get_ports {hi_in[5]}]
set_property PACKAGE_PIN V19 [get_ports {hi_in[6]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_in[6]}]
set_property SLEW FAST [get_ports {hi_in[6]}]
set_property PACKAGE_PIN AA18 [get_ports {hi_in[7]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_in[7]}]
set_property SLEW FAST [get_ports {hi_in[7]}]

# hi_out[1:0]
set_property PACKAGE_PIN Y21 [get_ports {hi_out[0]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_out[0]}]
set_property PACKAGE_PIN U20 [get_ports {hi_out[1]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_out[1]}]

# hi_inout[15:0]
set_property PACKAGE_PIN AB22 [get_ports {hi_inout[0]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[0]}]
set_property PACKAGE_PIN AB21 [get_ports {hi_inout[1]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[1]}]
set_property PACKAGE_PIN Y22 [get_ports {hi_inout[2]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[2]}]
set_property PACKAGE_PIN AA21 [get_ports {hi_inout[3]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[3]}]
set_property PACKAGE_PIN AA20 [get_ports {hi_inout[4]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[4]}]
set_property PACKAGE_PIN W22 [get_ports {hi_inout[5]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[5]}]
set_property PACKAGE_PIN W21 [get_ports {hi_inout[6]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[6]}]
set_property PACKAGE_PIN T20 [get_ports {hi_inout[7]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[7]}]
set_property PACKAGE_PIN R19 [get_ports {hi_inout[8]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[8]}]
set_property PACKAGE_PIN P19 [get_ports {hi_inout[9]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[9]}]
set_property PACKAGE_PIN U21 [get_ports {hi_inout[10]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[10]}]
set_property PACKAGE_PIN T21 [get_ports {hi_inout[11]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[11]}]
set_property PACKAGE_PIN R21 [get_ports {hi_inout[12]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[12]}]
set_property PACKAGE_PIN P21 [get_ports {hi_inout[13]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[13]}]
set_property PACKAGE_PIN R22 [get_ports {hi_inout[14]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[14]}]
set_property PACKAGE_PIN P22 [get_ports {hi_inout[15]}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_inout[15]}]

# hi_aa, hi_muxsel
set_property PACKAGE_PIN V22 [get_ports {hi_aa}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_aa}]
set_property PACKAGE_PIN P20 [get_ports {hi_muxsel}]
set_property IOSTANDARD LVCMOS33 [get_ports {hi_muxsel}]

# LEDs (lit when driven low)
set_property PACKAGE_PIN N13 [get_ports {led[0]}]
set_property IOSTANDARD LVCMOS33 [get_ports {led[0]}]
set_property PACKAGE_PIN N14 [get_ports {led[1]}]
set_property IOSTANDARD LVCMOS33 [get_ports {led[1]}]
set_property PACKAGE_PIN P15 [get_ports {led[2]}]
set_property IOSTANDARD LVCMOS33 [get_ports {led[2]}]
set_property PACKAGE_PIN P16 [get_ports {led[3]}]
set_property IOSTANDARD LVCMOS33 [get_ports {led[3]}]
set_property PACKAGE_PIN N17 [get_ports {led[4]}]
set_property IOSTANDARD LVCMOS33 [get_ports {led[4]}]
set_property PACKAGE_PIN P17 [get_ports {led[5]}]
set_property IOSTANDARD LVCMOS33 [get_ports {led[5]}]
set_property PACKAGE_PIN R16 [get_ports {led[6]}]
set_property IOSTANDARD LVCMOS33 [get_ports {led[6]}]
set_property PACKAGE_PIN R17 [get_ports {led[7]}]
set_property IOSTANDARD LVCMOS33 [get_ports {led[7]}]

# The 200 MHz system oscillator (the link design's clock, through the MMCM).
set_property PACKAGE_PIN K4 [get_ports {sys_clkp}]
set_property IOSTANDARD LVDS_25 [get_ports {sys_clkp}]
set_property PACKAGE_PIN J4 [get_ports {sys_clkn}]
set_property IOSTANDARD LVDS_25 [get_ports {sys_clkn}]
create_clock -name sys_clk -period 5.000 [get_ports {sys_clkp}]
set_clock_groups -asynchronous -group [get_clocks -include_generated_clocks {okHostClk}] -group [get_clocks -include_generated_clocks {sys_clk}]

# Host interface timing (rust-hdl-ok-core ok_hi.rs, xem_7010()).
set_input_delay -add_delay -max -clock [get_clocks {okHostClk}] 6.700 [get_ports {hi_in[1] hi_in[2] hi_in[3] hi_in[4] hi_in[5] hi_in[6] hi_in[7]}]
set_input_delay -add_delay -min -clock [get_clocks {okHostClk}] 0.000 [get_ports {hi_in[1] hi_in[2] hi_in[3] hi_in[4] hi_in[5] hi_in[6] hi_in[7]}]
set_multicycle_path -setup -from [get_ports {hi_in[1] hi_in[2] hi_in[3] hi_in[4] hi_in[5] hi_in[6] hi_in[7]}] 2
set_input_delay -add_delay -max -clock [get_clocks {okHostClk}] 11.000 [get_ports {hi_inout[*]}]
set_input_delay -add_delay -min -clock [get_clocks {okHostClk}] 0.000 [get_ports {hi_inout[*]}]
set_multicycle_path -setup -from [get_ports {hi_inout[*]}] 2
set_output_delay -add_delay -clock [get_clocks {okHostClk}] 8.900 [get_ports {hi_out[*]}]
set_output_delay -add_delay -clock [get_clocks {okHostClk}] 9.200 [get_ports {hi_inout[*]}]
