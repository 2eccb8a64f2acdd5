//! The whole head's AXI-Stream driver: integer Q, K, V in, accumulator rows out.
//!
//! Ports of `hdl::attn_head::AttnHead` (module `top`):
//!
//! | port | width | meaning |
//! | --- | --- | --- |
//! | `s_axis_w_*` | 16 / k | weights `w[c]`, as the AttnV core: eight beats per head (one per code) |
//! | `s_axis_k_tdata` / `_tuser` / `_tvalid` / `_tready` / `_tlast` | 8D / 16 | Kq row j, `mk[j]`; tlast on the last key |
//! | `s_axis_v_tdata` / `_tvalid` / `_tready` / `_tlast` | 8D | Vq row j; tlast on the last |
//! | `s_axis_q_tdata` / `_tuser` / `_tvalid` / `_tready` / `_tlast` | 8D / 40 | Qq row i; `mq[i]` `[15:0]`, shift `[21:16]`, valid length `[39:24]`; tlast on the head's last row |
//! | `m_axis_tdata` / `_tuser` / `_tvalid` / `_tready` | D*ACC / RSUM | one beat per query row, as the AttnV core |
//!
//! Every head's weights, K, V and Q streams are offered at once (each stream in head order,
//! each beat held until accepted); the hardware's sequencing keeps the heads apart (a head's Q
//! rows wait for its weights, K and V). Idle cycles and back-pressure come from a seeded RNG.

use crate::attnv::{thread_cpu_time, DriveConfig, ResetSpec};
use crate::bits::{put_bits, sign_extend, words_for};
use crate::verilator::{BuildOptions, Direction, Port, VerilatedModel};
use anyhow::{bail, ensure, Context, Result};
use model::frontend::FrontEndTrace;
use model::{AccRows, CoreParams};
use ndarray::{Array1, Array2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

/// Largest shift the hardware takes (6 bits); larger shifts give the same x (0).
pub const MAX_SHIFT: i32 = 63;

/// One head for the hardware: the integer inputs the front end takes and quantized V.
#[derive(Clone, Debug, PartialEq)]
pub struct HeadJob {
    /// Quantized Q `[rows, D]`, each in `[-127, 127]`.
    pub qq: Array2<i8>,
    /// Query multipliers, one per row, each `< 2^16`.
    pub mq: Vec<u32>,
    /// Quantized K `[n, D]`.
    pub kq: Array2<i8>,
    /// Key multipliers, one per key, each `< 2^16`.
    pub mk: Vec<u32>,
    /// The per-head right shift, `0..=63`.
    pub shift: u32,
    /// Keys `j >= valid_len` are masked.
    pub valid_len: usize,
    /// Quantized V `[n, D]`.
    pub vq: Array2<i8>,
}

impl HeadJob {
    /// The job of a model trace (`model::frontend::front_end`) and quantized V. Errors if the
    /// trace's shift is negative (Q/K scales too large for the hardware) or the multipliers
    /// do not fit 16 bits; shifts above 63 are clamped (same result).
    pub fn from_trace(t: &FrontEndTrace, vq: Array2<i8>, valid_len: usize) -> Result<Self> {
        ensure!(
            t.shift >= 0,
            "the Q/K scales are too large for the hardware: the head's shift is {} (must be >= 0)",
            t.shift
        );
        let job = Self {
            qq: t.qq.clone(),
            mq: t.mq.m.to_vec(),
            kq: t.kq.clone(),
            mk: t.mk.m.to_vec(),
            shift: t.shift.min(MAX_SHIFT) as u32,
            valid_len,
            vq,
        };
        Ok(job)
    }

    /// Checks the job against the core's parameters; the error names the first problem.
    pub fn validate(&self, p: &CoreParams) -> Result<()> {
        let (rows, d) = self.qq.dim();
        let (n, dk) = self.kq.dim();
        ensure!(rows >= 1, "the head has no query rows");
        ensure!(n >= 1, "the head has no keys");
        ensure!(
            d == p.d && dk == p.d,
            "Q has {d} and K has {dk} columns, the core has D = {}",
            p.d
        );
        ensure!(
            n <= p.n_max,
            "K has {n} keys, more than N_MAX = {}",
            p.n_max
        );
        ensure!(
            self.vq.dim() == (n, p.d),
            "V is {:?}, K is [{n}, {}]",
            self.vq.dim(),
            p.d
        );
        ensure!(
            self.mq.len() == rows,
            "{} query multipliers for {rows} rows",
            self.mq.len()
        );
        ensure!(
            self.mk.len() == n,
            "{} key multipliers for {n} keys",
            self.mk.len()
        );
        if let Some(m) = self.mq.iter().chain(&self.mk).find(|&&m| m >= 1 << 16) {
            bail!("multiplier {m} does not fit 16 bits");
        }
        ensure!(
            self.shift <= MAX_SHIFT as u32,
            "shift {} exceeds 63",
            self.shift
        );
        ensure!(
            self.valid_len <= n,
            "valid length {} exceeds n = {n}",
            self.valid_len
        );
        if self.qq.iter().chain(&self.kq).any(|&x| x == i8::MIN) {
            bail!("Q/K values must be in [-127, 127]");
        }
        Ok(())
    }
}

/// What a run of heads produced.
#[derive(Clone, Debug)]
pub struct HeadRun {
    /// Every head's output rows.
    pub out: Vec<AccRows>,
    /// Cycles from the first cycle the weights, K, V and Q are offered to the last output
    /// handshake, inclusive, for all heads together.
    pub cycles: u64,
    /// Wall time of the run.
    pub wall: Duration,
    /// CPU time of the simulating thread.
    pub cpu: Option<Duration>,
}

struct Ports {
    w_data: Port,
    w_user: Port,
    w_valid: Port,
    w_ready: Port,
    k_data: Port,
    k_user: Port,
    k_valid: Port,
    k_ready: Port,
    k_last: Port,
    v_data: Port,
    v_valid: Port,
    v_ready: Port,
    v_last: Port,
    q_data: Port,
    q_user: Port,
    q_valid: Port,
    q_ready: Port,
    q_last: Port,
    m_data: Port,
    m_user: Port,
    m_valid: Port,
    m_ready: Port,
    reset: (Port, bool),
}

/// A stream of pre-packed beats.
struct Stream {
    words: usize,
    data: Vec<u32>,
    user: Vec<u64>,
    last: Vec<bool>,
    next: usize,
    valid: bool,
}

impl Stream {
    fn new(words: usize) -> Self {
        Self {
            words,
            data: Vec::new(),
            user: Vec::new(),
            last: Vec::new(),
            next: 0,
            valid: false,
        }
    }
    fn push_row(&mut self, row: ndarray::ArrayView1<i8>, user: u64, last: bool) {
        let at = self.data.len();
        self.data.resize(at + self.words, 0);
        for (l, &x) in row.iter().enumerate() {
            put_bits(&mut self.data[at..], l * 8, 8, x as u8 as u64);
        }
        self.user.push(user);
        self.last.push(last);
    }
    fn len(&self) -> usize {
        self.last.len()
    }
    fn beat(&self) -> &[u32] {
        &self.data[self.next * self.words..(self.next + 1) * self.words]
    }
}

/// A Verilated `AttnHead` and its driver.
pub struct HeadSim {
    model: VerilatedModel,
    params: CoreParams,
    ports: Ports,
    needs_reset: bool,
}

impl HeadSim {
    /// Builds (or loads from the cache) the head in `verilog` and checks its ports.
    pub fn new(verilog: &str, params: CoreParams, opts: &BuildOptions) -> Result<Self> {
        use Direction::{Input as I, Output as O};
        let mut model = VerilatedModel::build(verilog, "top", opts)?;
        model
            .set_clock("clock")
            .context("the head needs a 1-bit input `clock`")?;
        let d = params.d as u32;
        let p = |m: &VerilatedModel, name: &str, dir, width| {
            m.port_checked(name, dir, width)
                .with_context(|| format!("the head's ports do not match {params:?}"))
        };
        let reset = ResetSpec::default();
        let ports = Ports {
            w_data: p(&model, "s_axis_w_tdata", I, model::WEIGHT_BITS)?,
            w_user: p(&model, "s_axis_w_tuser", I, params.code_bits)?,
            w_valid: p(&model, "s_axis_w_tvalid", I, 1)?,
            w_ready: p(&model, "s_axis_w_tready", O, 1)?,
            k_data: p(&model, "s_axis_k_tdata", I, 8 * d)?,
            k_user: p(&model, "s_axis_k_tuser", I, 16)?,
            k_valid: p(&model, "s_axis_k_tvalid", I, 1)?,
            k_ready: p(&model, "s_axis_k_tready", O, 1)?,
            k_last: p(&model, "s_axis_k_tlast", I, 1)?,
            v_data: p(&model, "s_axis_v_tdata", I, 8 * d)?,
            v_valid: p(&model, "s_axis_v_tvalid", I, 1)?,
            v_ready: p(&model, "s_axis_v_tready", O, 1)?,
            v_last: p(&model, "s_axis_v_tlast", I, 1)?,
            q_data: p(&model, "s_axis_q_tdata", I, 8 * d)?,
            q_user: p(&model, "s_axis_q_tuser", I, 40)?,
            q_valid: p(&model, "s_axis_q_tvalid", I, 1)?,
            q_ready: p(&model, "s_axis_q_tready", O, 1)?,
            q_last: p(&model, "s_axis_q_tlast", I, 1)?,
            m_data: p(&model, "m_axis_tdata", O, d * params.acc_bits())?,
            m_user: p(&model, "m_axis_tuser", O, params.rsum_bits())?,
            m_valid: p(&model, "m_axis_tvalid", O, 1)?,
            m_ready: p(&model, "m_axis_tready", I, 1)?,
            reset: (p(&model, &reset.name, I, 1)?, reset.active_high),
        };
        Ok(Self {
            model,
            params,
            ports,
            needs_reset: true,
        })
    }

    /// The underlying model.
    pub fn model(&mut self) -> &mut VerilatedModel {
        &mut self.model
    }

    /// The core's parameters.
    pub fn params(&self) -> &CoreParams {
        &self.params
    }

    /// Runs `heads` back to back, each with the codebook weights `weights` (offered with its K
    /// and V), and returns every head's output rows. The head is reset before the first run and
    /// after a failed one.
    pub fn run(
        &mut self,
        weights: &[u32],
        heads: &[HeadJob],
        cfg: &DriveConfig,
    ) -> Result<HeadRun> {
        ensure!(!heads.is_empty(), "no heads to run");
        ensure!(
            weights.len() == 1 << self.params.code_bits,
            "{} weights given, the core takes {}",
            weights.len(),
            1 << self.params.code_bits
        );
        for (h, job) in heads.iter().enumerate() {
            job.validate(&self.params)
                .with_context(|| format!("head {h}"))?;
        }
        ensure!(
            (0.0..1.0).contains(&cfg.idle_prob) && (0.0..1.0).contains(&cfg.backpressure_prob),
            "idle and back-pressure probabilities must be in [0, 1)"
        );
        let p = self.params;
        let d = p.d;
        let acc_bits = p.acc_bits();
        let words = words_for(8 * d);
        let (mut k, mut v, mut q) = (Stream::new(words), Stream::new(words), Stream::new(words));
        let mut ws = Stream::new(1);
        let mut rows_of = Vec::new();
        for job in heads {
            for (c, &wc) in weights.iter().enumerate() {
                ws.data.push(wc);
                ws.user.push(c as u64);
                ws.last.push(c + 1 == weights.len());
            }
            let n = job.kq.nrows();
            for j in 0..n {
                k.push_row(job.kq.row(j), job.mk[j] as u64, j + 1 == n);
                v.push_row(job.vq.row(j), 0, j + 1 == n);
            }
            let rows = job.qq.nrows();
            for i in 0..rows {
                let user =
                    job.mq[i] as u64 | (job.shift as u64) << 16 | (job.valid_len as u64) << 24;
                q.push_row(job.qq.row(i), user, i + 1 == rows);
            }
            rows_of.push(rows);
        }
        let total_rows: usize = rows_of.iter().sum();
        let work: usize = heads
            .iter()
            .map(|j| (j.qq.nrows() + 3) * (16 * j.kq.nrows().div_ceil(16) + 64) + 2 * j.kq.nrows())
            .sum();
        let max_cycles = cfg.max_cycles.unwrap_or(100_000 + 8 * work as u64);

        let mut outs: Vec<AccRows> = rows_of
            .iter()
            .map(|&r| AccRows {
                acc: Array2::zeros((r, d)),
                rsum: Array1::zeros(r),
            })
            .collect();
        let mut rng = StdRng::seed_from_u64(cfg.seed);
        let (idle, bp) = (cfg.idle_prob, cfg.backpressure_prob);
        let wall = Instant::now();
        let cpu0 = thread_cpu_time();
        let ps = &self.ports;
        let m = &mut self.model;
        for port in [ps.w_valid, ps.k_valid, ps.v_valid, ps.q_valid, ps.m_ready] {
            m.set(port, 0);
        }
        if self.needs_reset {
            let (r, high) = ps.reset;
            m.set(r, high as u64);
            for _ in 0..cfg.reset_cycles {
                m.eval();
                m.posedge();
            }
            m.set(r, !high as u64);
        }
        self.needs_reset = true;
        // Heads.
        let start = m.cycles();
        let (mut head, mut row, mut last_out) = (0usize, 0usize, 0u64);
        let mut received = 0usize;
        while received < total_rows {
            let now = m.cycles();
            if now - start >= max_cycles {
                bail!(
                    "timeout after {max_cycles} cycles: W {}/{}, K {}/{}, V {}/{}, Q {}/{}, outputs {received}/{total_rows} \
                     (ready: w {} k {} v {} q {}; m_axis_tvalid {})",
                    ws.next,
                    ws.len(),
                    k.next,
                    k.len(),
                    v.next,
                    v.len(),
                    q.next,
                    q.len(),
                    m.get(ps.w_ready),
                    m.get(ps.k_ready),
                    m.get(ps.v_ready),
                    m.get(ps.q_ready),
                    m.get(ps.m_valid)
                );
            }
            for (s, data, user, last) in [
                (&mut ws, ps.w_data, Some(ps.w_user), None),
                (&mut k, ps.k_data, Some(ps.k_user), Some(ps.k_last)),
                (&mut v, ps.v_data, None, Some(ps.v_last)),
                (&mut q, ps.q_data, Some(ps.q_user), Some(ps.q_last)),
            ] {
                if !s.valid && s.next < s.len() && (idle == 0.0 || !rng.gen_bool(idle)) {
                    m.set_words(data, s.beat());
                    if let Some(u) = user {
                        m.set(u, s.user[s.next]);
                    }
                    if let Some(l) = last {
                        m.set(l, s.last[s.next] as u64);
                    }
                    s.valid = true;
                }
            }
            let ready = bp == 0.0 || !rng.gen_bool(bp);
            m.set(ps.w_valid, ws.valid as u64);
            m.set(ps.k_valid, k.valid as u64);
            m.set(ps.v_valid, v.valid as u64);
            m.set(ps.q_valid, q.valid as u64);
            m.set(ps.m_ready, ready as u64);
            m.eval();
            for (s, rdy) in [
                (&mut ws, ps.w_ready),
                (&mut k, ps.k_ready),
                (&mut v, ps.v_ready),
                (&mut q, ps.q_ready),
            ] {
                if s.valid && m.get(rdy) != 0 {
                    s.valid = false;
                    s.next += 1;
                }
            }
            if ready && m.get(ps.m_valid) != 0 {
                if head >= outs.len() {
                    bail!(
                        "cycle {}: an output beat arrived after all {total_rows} rows",
                        now - start
                    );
                }
                let out = &mut outs[head];
                for l in 0..d {
                    out.acc[[row, l]] = sign_extend(
                        m.get_bits(ps.m_data, l as u32 * acc_bits, acc_bits),
                        acc_bits,
                    );
                }
                out.rsum[row] = m.get(ps.m_user);
                row += 1;
                if row == rows_of[head] {
                    head += 1;
                    row = 0;
                }
                received += 1;
                last_out = now;
            }
            m.posedge();
        }
        m.set(ps.w_valid, 0);
        m.set(ps.k_valid, 0);
        m.set(ps.v_valid, 0);
        m.set(ps.q_valid, 0);
        m.set(ps.m_ready, 1);
        for t in 0..cfg.drain_cycles {
            m.eval();
            if m.get(ps.m_valid) != 0 {
                bail!(
                    "a spurious output beat appeared {} cycles after the last row",
                    t + 1
                );
            }
            m.posedge();
        }
        self.needs_reset = false;
        let cpu = thread_cpu_time()
            .zip(cpu0)
            .map(|(b, a)| b.saturating_sub(a));
        Ok(HeadRun {
            out: outs,
            cycles: last_out - start + 1,
            wall: wall.elapsed(),
            cpu,
        })
    }
}
