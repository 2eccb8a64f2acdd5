#!/usr/bin/env bash
# A developer's check, NOT part of CI or `make test`: compile-checks the `xem7010` features
# without Opal Kelly's FrontPanel SDK or Vivado: hdl's (hdl::xem7010_ok and
# examples/xem7010_bitstream.rs, over rust-hdl-bsp-ok-xem7010 and rust-hdl-ok-core 0.46) and
# host's (the FrontPanel transport, over rust-hdl-ok-frontpanel-sys); then links hdl's against
# a stub library and runs its test.
#
#   scripts/check_xem7010.sh          (Debian 12; installs libclang-dev with apt if missing)
#
# What the feature needs at build time, and what stands in for it here:
# - rust-hdl-ok-frontpanel-sys's build script runs bindgen (needs libclang) on
#   $OK_FRONTPANEL_DIR/okFrontPanel.h: here scripts/xem7010_stub/okFrontPanel.h, a stub that
#   declares only the C API that crate (and rust-hdl-ok-core) use. It links libokFrontPanel:
#   here scripts/xem7010_stub/okFrontPanel_stub.c compiled to a library of no-ops, enough to
#   run the feature's test (which generates Verilog and talks to no board).
# - rust-hdl-bsp-ok-xem7010 reads VIVADO_PATH and FP_PATH (FrontPanel HDL) with env!: dummy
#   paths unless set.
# With the real SDK and Vivado, set OK_FRONTPANEL_DIR, VIVADO_PATH and FP_PATH and run
# `cargo run --release -p hdl --features xem7010 --example xem7010_bitstream` instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
sudo_=$([ "$(id -u)" = 0 ] || echo sudo)
if ! ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1; then
  $sudo_ apt-get update -qq
  $sudo_ apt-get install -y -qq libclang-dev >/dev/null
fi
export OK_FRONTPANEL_DIR="$root/scripts/xem7010_stub"
export VIVADO_PATH="${VIVADO_PATH:-/nonexistent/Xilinx/Vivado/bin}"
export FP_PATH="${FP_PATH:-/nonexistent/FrontPanel/FrontPanelHDL}"
# The sys crate's build script does not track the header: make it run bindgen again.
cargo clean -q -p rust-hdl-ok-frontpanel-sys
cargo check -p hdl --features xem7010 --lib --examples
cargo check -p host --features xem7010 --lib --bins
echo "check_xem7010.sh: the xem7010 features of hdl and host compile (against the stub header)"
# Then link it against a stub libokFrontPanel (every function a no-op) and run the feature's
# test: the BSP design's Verilog, as Vivado would get it, generated and linted (release
# profile, as `make test`; the first run compiles rust-hdl with its `fpga` feature: minutes).
lib="$root/build/xem7010/okfrontpanel_stub"
mkdir -p "$lib"
cp "$OK_FRONTPANEL_DIR/okFrontPanel.h" "$lib/"
cc -shared -fPIC -I"$lib" -o "$lib/libokFrontPanel.so" "$OK_FRONTPANEL_DIR/okFrontPanel_stub.c"
export OK_FRONTPANEL_DIR="$lib"
export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
cargo clean -q -p rust-hdl-ok-frontpanel-sys
cargo test --release -p hdl --features xem7010 --lib xem7010_ok
echo "check_xem7010.sh: the xem7010 feature links (stub library) and its test passes"
