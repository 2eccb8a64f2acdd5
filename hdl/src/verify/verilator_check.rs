//! Runs a job through the *generated Verilog* under Verilator (test only): the Verilog of the
//! hand-written leaves and rust-hdl's code generation are checked, not just rust-hdl's simulator.

use crate::verify::testbench::Job;
use model::{CoreParams, Variant};
use std::fmt::Write as _;
use std::process::Command;

/// Builds `verilog` (top module `top`, D * 8 <= 32 and 48-bit codes) with a generated C++ driver
/// that replays `job` with pseudo-random input idles and output stalls (percent, one run per
/// entry of `envs`), checks every output beat against `model::accumulate`, and prints
/// `CYCLES <n>` (first code beat offered to last output handshake) and `PASS`. Returns the
/// cycles of each run.
pub fn run_job_in_verilator(
    name: &str,
    params: &CoreParams,
    verilog: &str,
    job: &Job,
    envs: &[(u32, u32)],
) -> Vec<usize> {
    let d = params.d;
    let acc_bits = params.acc_bits() as usize;
    assert!(d * 8 <= 32, "the C++ driver packs V rows into 32 bits");
    let (acc, rsum) = job.expected();
    let rows = job.codes.nrows();
    let n = job.codes.ncols();
    let words = params.words_per_row(n);
    let mut code_beats = vec![];
    for row in job.codes.rows() {
        for b in 0..words {
            let mut x = 0u64;
            for m in 0..16 {
                let j = b * 16 + m;
                if j < n {
                    x |= (row[j] as u64) << (3 * m);
                }
            }
            code_beats.push((x, b + 1 == words));
        }
    }
    let v_rows: Vec<u32> = job
        .vq
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .enumerate()
                .fold(0u32, |a, (l, &x)| a | ((x as u8 as u32) << (8 * l)))
        })
        .collect();
    let list = |v: Vec<String>| v.join(", ");
    let mut cpp = String::new();
    writeln!(cpp, "#include \"Vtop.h\"\n#include \"verilated.h\"\n#include <cstdio>\n#include <cstdint>\n#include <cstdlib>").unwrap();
    writeln!(
        cpp,
        "static const uint32_t W[8] = {{{}}};",
        list(job.w.iter().map(|x| x.to_string()).collect())
    )
    .unwrap();
    writeln!(cpp, "static const int NV = {};", v_rows.len()).unwrap();
    writeln!(
        cpp,
        "static const uint32_t V[] = {{{}}};",
        list(v_rows.iter().map(|x| format!("{x}u")).collect())
    )
    .unwrap();
    writeln!(cpp, "static const int NC = {};", code_beats.len()).unwrap();
    writeln!(
        cpp,
        "static const uint64_t C[] = {{{}}};",
        list(code_beats.iter().map(|x| format!("{}ull", x.0)).collect())
    )
    .unwrap();
    writeln!(
        cpp,
        "static const int CL[] = {{{}}};",
        list(code_beats.iter().map(|x| (x.1 as u8).to_string()).collect())
    )
    .unwrap();
    writeln!(
        cpp,
        "static const int ROWS = {rows}, D = {d}, ACC = {acc_bits};"
    )
    .unwrap();
    writeln!(
        cpp,
        "static const long long EXP[] = {{{}}};",
        list(acc.iter().map(|x| format!("{x}LL")).collect())
    )
    .unwrap();
    writeln!(
        cpp,
        "static const unsigned long long EXPR[] = {{{}}};",
        list(rsum.iter().map(|x| format!("{x}ull")).collect())
    )
    .unwrap();
    cpp += r#"
static uint32_t seed = 12345;
static unsigned rnd() { seed = seed * 1664525u + 1013904223u; return (seed >> 16) % 100; }
static int bit(const Vtop* t, int b) { return (t->m_axis_tdata[b / 32] >> (b % 32)) & 1; }
int main(int argc, char** argv) {
    Verilated::commandArgs(argc, argv);
    const unsigned IDLE = atoi(argv[1]), STALL = atoi(argv[2]);
    Vtop* t = new Vtop;
    int wi = 0, vi = 0, ci = 0, oi = 0;
    bool won = false, von = false, con = false;
    long cycle = 0, cstart = -1;
    t->clock = 0; t->reset = 1; t->eval(); t->clock = 1; t->eval(); t->clock = 0; t->reset = 0; t->eval();
    while (oi < ROWS) {
        if (cycle > 200000) { printf("TIMEOUT\n"); return 1; }
        won = wi < 8 && (won || rnd() >= IDLE);
        von = vi < NV && (von || rnd() >= IDLE);
        con = ci < NC && wi == 8 && vi == NV && (con || rnd() >= IDLE);
        t->s_axis_w_tvalid = won; t->s_axis_w_tdata = won ? W[7 - wi] : 0; t->s_axis_w_tuser = won ? 7 - wi : 0;
        t->s_axis_v_tvalid = von; t->s_axis_v_tdata = von ? V[vi] : 0; t->s_axis_v_tlast = von && vi == NV - 1;
        t->s_axis_c_tvalid = con; t->s_axis_c_tdata = con ? C[ci] : 0; t->s_axis_c_tlast = con && CL[ci];
        if (con && cstart < 0) cstart = cycle;
        bool ready = rnd() >= STALL;
        t->m_axis_tready = ready;
        t->eval();
        if (won && t->s_axis_w_tready) { won = false; wi++; }
        if (von && t->s_axis_v_tready) { von = false; vi++; }
        if (con && t->s_axis_c_tready) { con = false; ci++; }
        if (ready && t->m_axis_tvalid) {
            for (int l = 0; l < D; l++) {
                long long x = 0;
                for (int b = 0; b < ACC; b++) x |= (long long)bit(t, ACC * l + b) << b;
                if ((x >> (ACC - 1)) & 1) x -= 1LL << ACC;
                if (x != EXP[oi * D + l]) { printf("MISMATCH row %d lane %d: %lld vs %lld\n", oi, l, x, EXP[oi * D + l]); return 1; }
            }
            if ((unsigned long long)t->m_axis_tuser != EXPR[oi]) { printf("MISMATCH r row %d\n", oi); return 1; }
            oi++;
            if (oi == ROWS) printf("CYCLES %ld\n", cycle + 1 - cstart);
        }
        t->clock = 1; t->eval(); t->clock = 0; t->eval();
        cycle++;
    }
    printf("PASS\n");
    delete t;
    return 0;
}
"#;
    let dir = std::env::temp_dir().join(format!("logattn-vl-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("top.v"), verilog).unwrap();
    std::fs::write(dir.join("main.cpp"), cpp).unwrap();
    let out = Command::new("verilator")
        .current_dir(&dir)
        .args([
            "--cc",
            "top.v",
            "--exe",
            "main.cpp",
            "--build",
            "-Wno-WIDTH",
            "-Wno-DECLFILENAME",
        ])
        .args(["--top-module", "top", "-Mdir", "obj", "-j", "2"])
        .output()
        .expect("cannot run verilator");
    assert!(
        out.status.success(),
        "verilator build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cycles = envs
        .iter()
        .map(|(idle, stall)| {
            let run = Command::new(dir.join("obj/Vtop"))
                .args([idle.to_string(), stall.to_string()])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&run.stdout).into_owned();
            assert!(
                run.status.success() && text.contains("PASS"),
                "{name} idle {idle} stall {stall}: {text}"
            );
            text.lines()
                .find_map(|l| l.strip_prefix("CYCLES "))
                .and_then(|c| c.trim().parse().ok())
                .expect("no CYCLES line")
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    cycles
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// The generated Verilog of the small core, under Verilator: exact results with and without
    /// stalls, and (without) the cycles `model::timing` predicts.
    #[test]
    fn generated_verilog_is_exact_and_on_time_in_verilator() {
        let p = CoreParams::new(4, 64, 16, 3).unwrap();
        for (k, v) in [Variant::General, Variant::Octave, Variant::Dense]
            .into_iter()
            .enumerate()
        {
            let vlog = crate::attnv_verilog(&p, v).unwrap();
            let mut rng = StdRng::seed_from_u64(50 + k as u64);
            let job = Job::random(&mut rng, v, 4, 53, 12, 25);
            let cycles = run_job_in_verilator(
                &format!("{v:?}"),
                &p,
                &vlog,
                &job,
                &[(0, 0), (30, 50), (10, 80)],
            );
            assert_eq!(
                cycles[0],
                model::timing::job_cycles(&p, v, job.codes.view()),
                "{v:?}"
            );
            // The stalled runs (1, 2) are checked for exact results inside the driver.
            assert_eq!(cycles.len(), 3);
        }
    }
}
