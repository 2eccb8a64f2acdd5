//! The AttnV driver against a STAND-IN core.
//!
//! `standin_verilog` below is NOT a deliverable and NOT the AttnV design: it is a small behavioural
//! Verilog module with the core's exact ports (one non-zero code per cycle, one extra cycle per
//! beat), written only so the driver and checker can be tested before the real core lands in hdl/.

use model::CoreParams;
use sim::attnv::{AttnvJob, AttnvSim, DriveConfig, ResetSpec};
use sim::check::check_job;
use sim::verilator::BuildOptions;

/// Behavioural stand-in with the AttnV ports (test scaffolding only).
fn standin_verilog(p: &CoreParams) -> String {
    let (d, k, w) = (p.d, p.code_bits, p.codes_per_cycle);
    let (acc, rs, ab, nmax) = (p.acc_bits(), p.rsum_bits(), p.addr_bits(), p.n_max);
    let nw = 1 << k;
    format!(
        r#"
// STAND-IN for tests of the sim driver only: not the AttnV core.
module top(
  input clock, input reset,
  input [15:0] s_axis_w_tdata, input [{k1}:0] s_axis_w_tuser, input s_axis_w_tvalid, output s_axis_w_tready,
  input [{vb1}:0] s_axis_v_tdata, input s_axis_v_tvalid, output s_axis_v_tready, input s_axis_v_tlast,
  input [{cb1}:0] s_axis_c_tdata, input s_axis_c_tvalid, output s_axis_c_tready, input s_axis_c_tlast,
  output [{ob1}:0] m_axis_tdata, output [{rs1}:0] m_axis_tuser, output reg m_axis_tvalid, input m_axis_tready);
  reg [15:0] wmem [0:{nw1}];
  reg [{vb1}:0] vmem [0:{nmax1}];
  reg [{ab}:0] vaddr;
  reg [{cb1}:0] cur;
  reg cur_valid, cur_last;
  reg [{ab}:0] base;
  reg signed [{acc1}:0] acc [0:{d1}];
  reg [{rs1}:0] rsum;
  reg [{ob1}:0] out_data;
  reg [{rs1}:0] out_user;
  assign s_axis_w_tready = 1'b1;
  assign s_axis_v_tready = 1'b1;
  assign s_axis_c_tready = !cur_valid;
  assign m_axis_tdata = out_data;
  assign m_axis_tuser = out_user;
  // Lowest non-zero code of the current beat.
  integer m, l;
  reg found;
  reg [{k1}:0] code;
  reg [31:0] pos;
  always @(*) begin
    found = 1'b0; code = 0; pos = 0;
    for (m = {w1}; m >= 0; m = m - 1)
      if (cur[m*{k} +: {k}] != 0) begin found = 1'b1; code = cur[m*{k} +: {k}]; pos = m; end
  end
  wire out_free = !m_axis_tvalid || m_axis_tready;
  initial begin vaddr = 0; cur_valid = 0; cur_last = 0; base = 0; rsum = 0; m_axis_tvalid = 0;
    for (l = 0; l <= {d1}; l = l + 1) acc[l] = 0; end
  always @(posedge clock) begin
    if (reset) begin
      vaddr <= 0; cur_valid <= 0; base <= 0; rsum <= 0; m_axis_tvalid <= 0;
      for (l = 0; l <= {d1}; l = l + 1) acc[l] <= 0;
    end else begin
      if (m_axis_tvalid && m_axis_tready) m_axis_tvalid <= 1'b0;
      if (s_axis_w_tvalid) wmem[s_axis_w_tuser] <= s_axis_w_tdata;
      if (s_axis_v_tvalid) begin
        vmem[vaddr[{ab1}:0]] <= s_axis_v_tdata;
        vaddr <= s_axis_v_tlast ? 0 : vaddr + 1;
      end
      if (!cur_valid) begin
        if (s_axis_c_tvalid) begin cur <= s_axis_c_tdata; cur_last <= s_axis_c_tlast; cur_valid <= 1'b1; end
      end else if (found) begin
        for (l = 0; l <= {d1}; l = l + 1)
          acc[l] <= acc[l] + $signed({{1'b0, wmem[code]}}) * $signed(vmem[base + pos][l*8 +: 8]);
        rsum <= rsum + wmem[code];
        cur[pos*{k} +: {k}] <= 0;
      end else if (!cur_last) begin
        cur_valid <= 1'b0; base <= base + {w};
      end else if (out_free) begin
        for (l = 0; l <= {d1}; l = l + 1) begin out_data[l*{acc} +: {acc}] <= acc[l]; acc[l] <= 0; end
        out_user <= rsum; rsum <= 0;
        m_axis_tvalid <= 1'b1;
        cur_valid <= 1'b0; base <= 0;
      end
    end
  end
endmodule
"#,
        k1 = k - 1,
        vb1 = d * 8 - 1,
        cb1 = w * k as usize - 1,
        ob1 = d * acc as usize - 1,
        rs1 = rs - 1,
        nw1 = nw - 1,
        nmax1 = nmax - 1,
        ab = ab,
        ab1 = ab - 1,
        acc1 = acc - 1,
        acc = acc,
        d1 = d - 1,
        w1 = w - 1,
        w = w,
        k = k,
    )
}

fn build(p: CoreParams) -> anyhow::Result<AttnvSim> {
    AttnvSim::new(
        &standin_verilog(&p),
        "top",
        p,
        &ResetSpec::default(),
        &BuildOptions::default(),
    )
}

#[test]
fn standin_d32_random_jobs_with_idle_and_backpressure() -> anyhow::Result<()> {
    let p = CoreParams::new(32, 512, 16, 3)?;
    let mut sim = build(p)?;
    let cases = [
        (1usize, 1usize, 1.0f64),
        (17, 3, 0.5),
        (512, 4, 0.03),
        (512, 2, 1.0),
        (100, 5, 0.0),
        (33, 6, 0.3),
    ];
    for (i, &(n, rows, density)) in cases.iter().enumerate() {
        let job = AttnvJob::random(&p, n, rows, density, true, 100 + i as u64);
        for (idle, bp) in [(0.0, 0.0), (0.3, 0.5), (0.9, 0.9)] {
            let cfg = DriveConfig {
                seed: i as u64 * 7 + 1,
                idle_prob: idle,
                backpressure_prob: bp,
                ..Default::default()
            };
            let run = sim.run(&job, &cfg)?;
            check_job(&job, &p, &run.out).map_err(|e| {
                e.context(format!(
                    "case n={n} rows={rows} density={density} idle={idle} bp={bp}"
                ))
            })?;
        }
    }
    Ok(())
}

#[test]
fn standin_extreme_values_fill_the_accumulator() -> anyhow::Result<()> {
    // N_MAX rows of -127 (and +127) with the largest weight: |acc| = 512 * 65535 * 127 needs 33 bits.
    let p = CoreParams::new(32, 512, 16, 3)?;
    let mut sim = build(p)?;
    let mut job = AttnvJob::random(&p, 512, 2, 1.0, false, 5);
    job.weights = vec![0, 65535, 65535, 65535, 65535, 65535, 65535, 65535];
    job.vq.column_mut(0).fill(-127);
    job.vq.column_mut(1).fill(127);
    job.codes.row_mut(0).fill(7);
    let run = sim.run(&job, &DriveConfig::default())?;
    check_job(&job, &p, &run.out)?;
    assert_eq!(run.out.acc[(0, 0)], -(512 * 65535 * 127));
    assert_eq!(run.out.rsum[0], 512 * 65535);
    Ok(())
}

#[test]
fn checker_reports_a_wrong_core() -> anyhow::Result<()> {
    let p = CoreParams::new(32, 512, 16, 3)?;
    // A "core" that drops the last lane's sign bit: the checker must say where.
    let v = standin_verilog(&p).replace(
        "out_data[l*33 +: 33] <= acc[l]",
        "out_data[l*33 +: 33] <= (l == 31) ? 0 : acc[l]",
    );
    let mut sim = AttnvSim::new(
        &v,
        "top",
        p,
        &ResetSpec::default(),
        &BuildOptions::default(),
    )?;
    let job = AttnvJob::random(&p, 40, 2, 1.0, false, 9);
    let run = sim.run(&job, &DriveConfig::default())?;
    let e = check_job(&job, &p, &run.out).unwrap_err().to_string();
    assert!(
        e.contains("lane 31") && e.contains("2 values differ"),
        "{e}"
    );
    Ok(())
}

#[test]
fn driver_rejects_bad_jobs_and_mismatched_cores() -> anyhow::Result<()> {
    let p = CoreParams::new(32, 512, 16, 3)?;
    let mut sim = build(p)?;
    let mut job = AttnvJob::random(&p, 8, 1, 1.0, false, 1);
    job.codes[(0, 3)] = 8;
    assert!(sim
        .run(&job, &DriveConfig::default())
        .unwrap_err()
        .to_string()
        .contains("does not fit k = 3"));
    let job = AttnvJob::random(&CoreParams::new(16, 512, 16, 3)?, 8, 1, 1.0, false, 1);
    assert!(sim
        .run(&job, &DriveConfig::default())
        .unwrap_err()
        .to_string()
        .contains("D = 32"));
    // The same Verilog checked against other parameters fails on the first port that differs.
    let e = AttnvSim::new(
        &standin_verilog(&p),
        "top",
        CoreParams::new(64, 512, 16, 3)?,
        &ResetSpec::default(),
        &BuildOptions::default(),
    )
    .err()
    .map(|e| format!("{e:#}"))
    .unwrap_or_default();
    assert!(e.contains("s_axis_v_tdata"), "{e}");
    Ok(())
}

#[test]
fn standin_d64_speed() -> anyhow::Result<()> {
    let p = CoreParams::default();
    let mut sim = build(p)?;
    let r = sim.model().build_report().clone();
    eprintln!(
        "D=64 stand-in: cache hit {}, verilate {:.2} s, compile {:.2} s",
        r.cache_hit, r.verilate_secs, r.compile_secs
    );
    let job = AttnvJob::random(&p, 512, 64, 0.25, true, 42);
    let cfg = DriveConfig {
        idle_prob: 0.1,
        backpressure_prob: 0.2,
        ..Default::default()
    };
    let run = sim.run(&job, &cfg)?;
    check_job(&job, &p, &run.out)?;
    let rate = run.total_cycles as f64 / run.wall.as_secs_f64();
    eprintln!(
        "D=64 stand-in: {} rows x n=512 at 25%: {} cycles (codes->last out), {} total, {:.2} M cycles/s",
        job.codes.nrows(),
        run.cycles,
        run.total_cycles,
        rate / 1e6
    );
    Ok(())
}

#[test]
fn driver_flags_an_output_that_drops_valid_under_backpressure() -> anyhow::Result<()> {
    let p = CoreParams::new(32, 512, 16, 3)?;
    // A "core" that withdraws its output beat after one cycle whether or not it was accepted.
    let v = standin_verilog(&p).replace(
        "if (m_axis_tvalid && m_axis_tready) m_axis_tvalid <= 1'b0;",
        "if (m_axis_tvalid) m_axis_tvalid <= 1'b0;",
    );
    assert_ne!(v, standin_verilog(&p));
    let mut sim = AttnvSim::new(
        &v,
        "top",
        p,
        &ResetSpec::default(),
        &BuildOptions::default(),
    )?;
    let job = AttnvJob::random(&p, 40, 8, 0.5, false, 3);
    let cfg = DriveConfig {
        backpressure_prob: 0.7,
        ..Default::default()
    };
    let e = sim.run(&job, &cfg).unwrap_err().to_string();
    assert!(e.contains("m_axis_tvalid fell before"), "{e}");
    Ok(())
}

#[test]
fn a_failed_job_resets_the_core_before_the_next() -> anyhow::Result<()> {
    let p = CoreParams::new(32, 512, 16, 3)?;
    let mut sim = build(p)?;
    let job = AttnvJob::random(&p, 300, 4, 0.5, true, 11);
    // Far too few cycles: the job times out half-way, leaving the core mid-row.
    let short = DriveConfig {
        max_cycles: Some(200),
        ..Default::default()
    };
    assert!(sim
        .run(&job, &short)
        .unwrap_err()
        .to_string()
        .contains("timeout after 200 cycles"));
    let run = sim.run(&job, &DriveConfig::default())?;
    check_job(&job, &p, &run.out)
}
