#!/usr/bin/env python3
"""Estimates register-to-register path delays of a synthesized ECP5 netlist (yosys JSON, as
scripts/synth_core.sh writes it) before placement, and lists every slow path at once.

nextpnr reports one critical path a run, and placement alone moves a D = 64 head's Fmax by
+-10 MHz; this script instead walks the netlist with a fixed delay per cell and per net (a
routing hop of ROUTE ns, more for high fan-out) and prints every endpoint whose estimate exceeds
a budget, grouped by source and sink register names, so the logic that is too deep can be fixed
in one pass. The numbers are estimates (nextpnr's routing is 0.6 ns within a slice, up to
several ns across the chip); use them to rank paths, not as an Fmax.

    scripts/logic_depth.py build/synth/head_octave_d64_p4_k2_static_router2/core.json [--budget 8.0] [--top 40]
"""
import argparse
import json
import math
import re
from collections import defaultdict

CLK_TO_Q = {"TRELLIS_FF": 0.52, "MULT18X18D": 0.74}
EBR_CLK_TO_OUT = 4.0  # DP16KD without its output register
LUT = 0.24
PFUMX = 0.17
L6MUX = 0.20
SETUP = {"DI": 0.0, "M": 0.0, "CE": 0.2, "LSR": 0.4}


def flatten(modules, top):
    """Yields (name, type, params, port_dirs, {port: [bit ids]}) for every leaf cell of top."""
    counter = [10**9]

    def walk(mod, prefix, bitmap):
        m = modules[mod]

        def tr(b):
            if isinstance(b, str):
                return b
            if b not in bitmap:
                counter[0] += 1
                bitmap[b] = counter[0]
            return bitmap[b]

        for name, c in m["cells"].items():
            t = c["type"]
            if t.startswith("$scopeinfo"):
                continue
            conns = {p: [tr(b) for b in bits] for p, bits in c["connections"].items()}
            full = prefix + name
            attrs = modules.get(t, {}).get("attributes", {})
            if t in modules and not any(a in attrs for a in ("blackbox", "whitebox", "lib_whitebox")):
                sub = modules[t]
                subbits = {}
                for p, info in sub["ports"].items():
                    for sb, pb in zip(info["bits"], conns.get(p, [])):
                        if not isinstance(sb, str):
                            subbits[sb] = pb
                yield from walk(t, full + ".", subbits)
            else:
                yield full, t, c.get("parameters", {}), c.get("port_directions", {}), conns

    top_bits = {}
    for p, info in modules[top]["ports"].items():
        for b in info["bits"]:
            if not isinstance(b, str):
                top_bits[b] = b
    yield from walk(top, "", top_bits)


def short(name):
    """A register's signal name without yosys' techmap suffixes."""
    name = re.sub(r"\$(q|DI|Z|D|\d).*$", "", name)
    name = re.sub(r"_TRELLIS_FF.*$|_LUT4.*$|_PFUMX.*$|_CCU2C.*$", "", name)
    return name


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("json")
    ap.add_argument("--top-module", default="top")
    ap.add_argument("--budget", type=float, default=8.0, help="ns; paths above it are listed")
    ap.add_argument("--route", type=float, default=0.9, help="ns a routing hop (fan-out 1)")
    ap.add_argument("--top", type=int, default=40, help="groups to print")
    args = ap.parse_args()
    try:
        with open(args.json) as f:
            j = json.load(f)
    except (OSError, ValueError) as e:
        ap.error(f"cannot read the yosys netlist {args.json}: {e}")
    if args.top_module not in j.get("modules", {}):
        ap.error(f"{args.json} has no module '{args.top_module}' (a yosys write_json netlist?)")
    cells = list(flatten(j["modules"], args.top_module))
    netname = {}
    for nname, info in j["modules"][args.top_module]["netnames"].items():
        for b in info["bits"]:
            if isinstance(b, str):
                continue
            old = netname.get(b)
            if old is None or (info.get("hide_name") == 0 and (old[0] == 1 or len(nname) < len(old[1]))):
                netname[b] = (info.get("hide_name", 1), nname)

    driver = {}  # bit -> (cell index, port)
    fanout = defaultdict(int)
    for i, (_, t, _, dirs, conns) in enumerate(cells):
        for p, bits in conns.items():
            d = dirs.get(p)
            for b in bits:
                if isinstance(b, str):
                    continue
                if d == "output":
                    driver[b] = (i, p)
                else:
                    fanout[b] += 1

    def route(b):
        return args.route + 0.15 * math.log2(max(1, fanout[b]))

    memo = {}  # (cell, out port) -> (arrival, predecessor bit)

    def comb_arcs(t, port):
        """(input ports, delay, zero-route?) that reach output `port` of a combinational cell."""
        if t == "LUT4":
            return [(p, LUT, False) for p in "ABCD"]
        if t == "PFUMX":
            return [("ALUT", PFUMX, True), ("BLUT", PFUMX, True), ("C0", PFUMX + LUT, False)]
        if t == "L6MUX21":
            return [("D0", L6MUX, True), ("D1", L6MUX, True), ("SD", L6MUX + LUT, False)]
        if t == "CCU2C":
            ins = [p + s for p in "ABCD" for s in "01"]
            if port == "COUT":
                return [(p, 0.3, False) for p in ins] + [("CIN", 0.05, True)]
            return [(p, 0.4, False) for p in ins] + [("CIN", 0.25, True)]
        if t == "TRELLIS_DPR16X4":
            return [("RAD", 0.5, False)]
        return None

    def arrival_bit(b):
        if isinstance(b, str) or b not in driver:
            return 0.0, None
        i, p = driver[b]
        return arrival(i, p)

    def arrival(i, port):
        key = (i, port)
        if key in memo:
            return memo[key]
        stack = [key]
        while stack:
            ci, cp = stack[-1]
            if (ci, cp) in memo:
                stack.pop()
                continue
            _, t, _, _, conns = cells[ci]
            if t in CLK_TO_Q:
                memo[(ci, cp)] = (CLK_TO_Q[t], None)
                stack.pop()
                continue
            if t == "DP16KD":
                memo[(ci, cp)] = (EBR_CLK_TO_OUT, None)
                stack.pop()
                continue
            base = re.sub(r"\d+$", "", cp)
            arcs = comb_arcs(t, base)
            if arcs is None:
                memo[(ci, cp)] = (0.0, None)
                stack.pop()
                continue
            pending = []
            best = (0.0, None)
            for p, dly, zero in arcs:
                for b in conns.get(p, []):
                    if isinstance(b, str) or b not in driver:
                        continue
                    src = driver[b]
                    if src not in memo:
                        pending.append(src)
                        continue
                    a = memo[src][0] + (0.0 if zero else route(b)) + dly
                    if a > best[0]:
                        best = (a, b)
            if pending:
                stack.extend(pending)
                continue
            memo[(ci, cp)] = best
            stack.pop()
        return memo[key]

    def path(b):
        names = []
        while b is not None and not isinstance(b, str) and b in driver:
            i, p = driver[b]
            names.append(netname.get(b, (1, cells[i][0]))[1])
            b = memo[(i, p)][1]
        return names[::-1]

    groups = defaultdict(lambda: [0.0, 0, None])
    ends = 0
    for i, (name, t, params, dirs, conns) in enumerate(cells):
        sinks = []
        if t == "TRELLIS_FF":
            sinks = [p for p in conns if p in SETUP]
        elif t in ("DP16KD", "MULT18X18D", "TRELLIS_DPR16X4"):
            sinks = [p for p, d in dirs.items() if d == "input" and not p.startswith("CLK") and p != "WCK"]
        for p in sinks:
            for b in conns[p]:
                if isinstance(b, str) or b not in driver:
                    continue
                a, _ = arrival_bit(b)
                total = a + route(b) + SETUP.get(p, 0.2)
                ends += 1
                if total <= args.budget:
                    continue
                chain = path(b)
                key = (short(chain[0]) if chain else "?", short(name), p if t == "TRELLIS_FF" else t + "." + re.sub(r"\d+$", "", p))
                g = groups[key]
                g[1] += 1
                if total > g[0]:
                    g[0], g[2] = total, chain
    print(f"{ends} endpoints; {sum(g[1] for g in groups.values())} above {args.budget} ns in {len(groups)} groups")
    for (src, dst, port), (worst, count, chain) in sorted(groups.items(), key=lambda kv: -kv[1][0])[: args.top]:
        print(f"{worst:6.2f} ns  {count:5d} ends  {src}  ->  {dst} [{port}]")
        print("             via " + " > ".join(c for c in chain[:14]))


if __name__ == "__main__":
    main()
