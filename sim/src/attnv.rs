//! The AttnV core's AXI-Stream driver.
//!
//! Ports (names fixed by the core's contract; widths from [`model::CoreParams`]):
//!
//! | port | width | meaning |
//! | --- | --- | --- |
//! | `clock` | 1 | rising-edge clock |
//! | `reset` (optional) | 1 | held active for [`DriveConfig::reset_cycles`] before the first job |
//! | `s_axis_w_tdata` / `_tuser` / `_tvalid` / `_tready` | 16 / k / 1 / 1 | weight `w[c]`, code index `c` |
//! | `s_axis_v_tdata` / `_tvalid` / `_tready` / `_tlast` | 8D / 1 / 1 / 1 | one V row (lane l at bits 8l+7:8l), tlast on the last row |
//! | `s_axis_c_tdata` / `_tvalid` / `_tready` / `_tlast` | Wk / 1 / 1 / 1 | W codes (position beat*W+m at bits km+k-1:km), tlast on a row's last beat |
//! | `m_axis_tdata` / `_tuser` / `_tvalid` / `_tready` | D*ACC / RSUM / 1 / 1 | one beat per query row: acc lanes (two's complement), row weight sum |
//!
//! A job is pushed in three phases (all weights, then all V rows, then every code beat) while
//! output beats are collected; idle cycles on the inputs and back-pressure on `m_axis_tready` are
//! drawn from a seeded RNG. Valid data is held until accepted (AXI-Stream rules).

use crate::bits::{put_bits, sign_extend, words_for};
use crate::verilator::{BuildOptions, Direction, Port, VerilatedModel};
use anyhow::{bail, ensure, Context, Result};
use model::{AccRows, CoreParams};
use ndarray::{Array1, Array2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};

/// One job for the core: weights, quantized V and the codes of every query row.
#[derive(Clone, Debug, PartialEq)]
pub struct AttnvJob {
    /// One weight per code value (`2^k` of them, each `< 2^16`).
    pub weights: Vec<u32>,
    /// Quantized V `[n, D]`.
    pub vq: Array2<i8>,
    /// Codes `[rows, n]`, each `< 2^k`.
    pub codes: Array2<u8>,
}

impl AttnvJob {
    /// Checks the job against the core's parameters; the error names the first problem.
    pub fn validate(&self, p: &CoreParams) -> Result<()> {
        let nw = 1usize << p.code_bits;
        ensure!(
            self.weights.len() == nw,
            "{} weights given, the core takes 2^k = {nw}",
            self.weights.len()
        );
        if let Some((c, w)) = self
            .weights
            .iter()
            .enumerate()
            .find(|(_, &w)| w > model::params::max_weight())
        {
            bail!("weight w[{c}] = {w} does not fit 16 bits");
        }
        let (n, d) = self.vq.dim();
        ensure!(
            d == p.d,
            "V has {d} columns, the core has D = {} lanes",
            p.d
        );
        ensure!(
            (1..=p.n_max).contains(&n),
            "V has {n} rows, the core takes 1..={} (N_MAX)",
            p.n_max
        );
        ensure!(
            self.codes.ncols() == n,
            "codes have {} columns but V has {n} rows",
            self.codes.ncols()
        );
        ensure!(
            self.codes.nrows() >= 1,
            "the job has no query rows (the core takes at least one)"
        );
        if let Some(((i, j), c)) = self.codes.indexed_iter().find(|(_, &c)| c as usize >= nw) {
            bail!("code[{i}][{j}] = {c} does not fit k = {} bits", p.code_bits);
        }
        Ok(())
    }

    /// A random job: `n` keys, `rows` query rows, each code non-zero with probability `density`
    /// (uniform over `1..2^k`), V uniform in `[-127, 127]`, weights uniform in `[0, 2^16)`. With
    /// `poison_w0`, `w[0]` is non-zero too (the contract ignores code 0 whatever its weight).
    pub fn random(
        p: &CoreParams,
        n: usize,
        rows: usize,
        density: f64,
        poison_w0: bool,
        seed: u64,
    ) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let nw = 1usize << p.code_bits;
        let weights = (0..nw)
            .map(|c| {
                if c == 0 && !poison_w0 {
                    0
                } else {
                    rng.gen_range(0..=model::params::max_weight())
                }
            })
            .collect();
        let vq = Array2::from_shape_fn((n, p.d), |_| {
            rng.gen_range(-model::V_MAX..=model::V_MAX) as i8
        });
        let density = density.clamp(0.0, 1.0);
        let codes = Array2::from_shape_fn((rows, n), |_| {
            if nw > 1 && rng.gen_bool(density) {
                rng.gen_range(1..nw) as u8
            } else {
                0
            }
        });
        Self { weights, vq, codes }
    }

    /// A random job whose weights suit `variant`: random (with a poisoned `w[0]`) for the general
    /// and dense datapaths, the octave codebook's `w[c] = 2^(c-1)` for the shift-only octave
    /// datapath (which ignores loaded weights in its products).
    pub fn random_for(
        p: &CoreParams,
        variant: model::Variant,
        n: usize,
        rows: usize,
        density: f64,
        seed: u64,
    ) -> Self {
        let octave = variant == model::Variant::Octave;
        let mut job = Self::random(p, n, rows, density, !octave, seed);
        if octave {
            if let Ok(cb) = model::Codebook::octave(p.code_bits) {
                job.weights = cb.weights().w;
            }
        }
        job
    }
}

/// Stimulus options of one run.
#[derive(Clone, Debug)]
pub struct DriveConfig {
    /// RNG seed for idle cycles and back-pressure.
    pub seed: u64,
    /// Probability that an input stream with data to send stays idle in a cycle (0 = never).
    pub idle_prob: f64,
    /// Probability that `m_axis_tready` is low in a cycle (0 = always ready).
    pub backpressure_prob: f64,
    /// Give up after this many cycles (`None`: a generous bound from the job size).
    pub max_cycles: Option<u64>,
    /// Cycles of reset before the first job, when the core has a reset port.
    pub reset_cycles: u64,
    /// Cycles to watch for spurious output beats after the last expected one.
    pub drain_cycles: u64,
}

impl Default for DriveConfig {
    fn default() -> Self {
        Self {
            seed: 1,
            idle_prob: 0.0,
            backpressure_prob: 0.0,
            max_cycles: None,
            reset_cycles: 4,
            drain_cycles: 16,
        }
    }
}

/// What a run produced.
#[derive(Clone, Debug)]
pub struct AttnvRun {
    /// Every output beat: `acc` sign-extended from ACC_BITS, `rsum` from `m_axis_tuser`.
    pub out: AccRows,
    /// Cycles from the first code-beat handshake to the last output handshake, inclusive.
    pub cycles: u64,
    /// Cycles the whole job took (weights, V, codes, outputs; without reset and drain).
    pub total_cycles: u64,
    /// Code beats sent.
    pub code_beats: u64,
    /// Wall time of the run.
    pub wall: Duration,
    /// CPU time the simulating thread got during the run (`None` if unavailable). On a loaded
    /// machine this, not `wall`, measures the simulator's speed.
    pub cpu: Option<Duration>,
}

impl AttnvRun {
    /// Simulated cycles per second of CPU time (or of wall time when CPU time is unknown).
    pub fn cycles_per_sec(&self) -> f64 {
        let t = self.cpu.unwrap_or(self.wall).as_secs_f64();
        if t > 0.0 {
            self.total_cycles as f64 / t
        } else {
            0.0
        }
    }
}

/// CPU time of the calling thread so far (`CLOCK_THREAD_CPUTIME_ID`; `None` if unavailable).
pub fn thread_cpu_time() -> Option<Duration> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

/// Name and polarity of the optional reset port.
#[derive(Clone, Debug)]
pub struct ResetSpec {
    /// Port name.
    pub name: String,
    /// True when the reset is asserted high.
    pub active_high: bool,
}

impl Default for ResetSpec {
    /// `reset`, active high (hdl's AttnV: synchronous, active high).
    fn default() -> Self {
        Self {
            name: "reset".into(),
            active_high: true,
        }
    }
}

struct Ports {
    w_data: Port,
    w_user: Port,
    w_valid: Port,
    w_ready: Port,
    v_data: Port,
    v_valid: Port,
    v_ready: Port,
    v_last: Port,
    c_data: Port,
    c_valid: Port,
    c_ready: Port,
    c_last: Port,
    m_data: Port,
    m_user: Port,
    m_valid: Port,
    m_ready: Port,
    reset: Option<(Port, bool)>,
}

/// A Verilated AttnV core and its driver.
pub struct AttnvSim {
    model: VerilatedModel,
    params: CoreParams,
    ports: Ports,
    /// True before the first job and after a failed one: the next job starts with a reset.
    needs_reset: bool,
}

impl AttnvSim {
    /// Builds (or loads from the cache) the core in `verilog` (top module `top`) and checks every
    /// port against `params`. A port named by `reset` is used if present.
    pub fn new(
        verilog: &str,
        top: &str,
        params: CoreParams,
        reset: &ResetSpec,
        opts: &BuildOptions,
    ) -> Result<Self> {
        let model = VerilatedModel::build(verilog, top, opts)?;
        Self::from_model(model, params, reset)
    }

    /// Wraps an already built model, checking its ports against `params`.
    pub fn from_model(
        mut model: VerilatedModel,
        params: CoreParams,
        reset: &ResetSpec,
    ) -> Result<Self> {
        use Direction::{Input as I, Output as O};
        let (d, k, w) = (
            params.d as u32,
            params.code_bits,
            params.codes_per_cycle as u32,
        );
        let p = |m: &VerilatedModel, name: &str, dir, width| {
            m.port_checked(name, dir, width)
                .with_context(|| format!("the core's ports do not match {params:?}"))
        };
        model
            .set_clock("clock")
            .context("the core needs a 1-bit input `clock`")?;
        let ports = Ports {
            w_data: p(&model, "s_axis_w_tdata", I, model::WEIGHT_BITS)?,
            w_user: p(&model, "s_axis_w_tuser", I, k)?,
            w_valid: p(&model, "s_axis_w_tvalid", I, 1)?,
            w_ready: p(&model, "s_axis_w_tready", O, 1)?,
            v_data: p(&model, "s_axis_v_tdata", I, d * model::V_BITS)?,
            v_valid: p(&model, "s_axis_v_tvalid", I, 1)?,
            v_ready: p(&model, "s_axis_v_tready", O, 1)?,
            v_last: p(&model, "s_axis_v_tlast", I, 1)?,
            c_data: p(&model, "s_axis_c_tdata", I, w * k)?,
            c_valid: p(&model, "s_axis_c_tvalid", I, 1)?,
            c_ready: p(&model, "s_axis_c_tready", O, 1)?,
            c_last: p(&model, "s_axis_c_tlast", I, 1)?,
            m_data: p(&model, "m_axis_tdata", O, d * params.acc_bits())?,
            m_user: p(&model, "m_axis_tuser", O, params.rsum_bits())?,
            m_valid: p(&model, "m_axis_tvalid", O, 1)?,
            m_ready: p(&model, "m_axis_tready", I, 1)?,
            reset: match model.port(&reset.name) {
                Ok(_) => Some((p(&model, &reset.name, I, 1)?, reset.active_high)),
                Err(_) => None,
            },
        };
        Ok(Self {
            model,
            params,
            ports,
            needs_reset: true,
        })
    }

    /// The underlying model (cycle count, build report, tracing).
    pub fn model(&mut self) -> &mut VerilatedModel {
        &mut self.model
    }

    /// The core's parameters.
    pub fn params(&self) -> &CoreParams {
        &self.params
    }

    fn idle_inputs(&mut self) {
        let ps = &self.ports;
        for p in [
            ps.w_valid, ps.v_valid, ps.c_valid, ps.v_last, ps.c_last, ps.m_ready,
        ] {
            self.model.set(p, 0);
        }
    }

    /// Runs one job and returns every output beat. The core is reset (when it has a reset port)
    /// before the first job and after a failed one; otherwise jobs follow each other on an idle
    /// core, as in the hardware.
    pub fn run(&mut self, job: &AttnvJob, cfg: &DriveConfig) -> Result<AttnvRun> {
        job.validate(&self.params)?;
        ensure!(
            (0.0..1.0).contains(&cfg.idle_prob),
            "idle probability must be in [0, 1), got {}",
            cfg.idle_prob
        );
        ensure!(
            (0.0..1.0).contains(&cfg.backpressure_prob),
            "back-pressure probability must be in [0, 1), got {}",
            cfg.backpressure_prob
        );
        let p = self.params;
        let (n, d) = job.vq.dim();
        let rows = job.codes.nrows();
        let (k, wpc) = (p.code_bits, p.codes_per_cycle);
        let acc_bits = p.acc_bits();

        // Pack every beat up front: nothing is allocated per cycle.
        let v_words = words_for(d * 8);
        let mut v_beats = vec![0u32; n * v_words];
        for (j, row) in job.vq.rows().into_iter().enumerate() {
            let beat = &mut v_beats[j * v_words..(j + 1) * v_words];
            for (l, &x) in row.iter().enumerate() {
                put_bits(beat, l * 8, 8, x as u8 as u64);
            }
        }
        let per_row = p.words_per_row(n);
        let c_words = words_for(wpc * k as usize);
        let total_beats = rows * per_row;
        let mut c_beats = vec![0u32; total_beats * c_words];
        let mut c_lasts = vec![false; total_beats];
        for (i, crow) in job.codes.rows().into_iter().enumerate() {
            for (j, &c) in crow.iter().enumerate() {
                let b = i * per_row + j / wpc;
                put_bits(
                    &mut c_beats[b * c_words..(b + 1) * c_words],
                    (j % wpc) * k as usize,
                    k,
                    c as u64,
                );
            }
            c_lasts[i * per_row + per_row - 1] = true;
        }
        let nw = job.weights.len();
        let max_cycles = cfg
            .max_cycles
            .unwrap_or(100_000 + 64 * (nw + n + total_beats * wpc) as u64);

        let mut acc = Array2::<i64>::zeros((rows, d));
        let mut rsum = Array1::<u64>::zeros(rows);
        let mut rng = StdRng::seed_from_u64(cfg.seed);
        let (idle, bp) = (cfg.idle_prob, cfg.backpressure_prob);
        let wall = Instant::now();
        let cpu0 = thread_cpu_time();

        self.idle_inputs();
        if self.needs_reset {
            if let Some((r, high)) = self.ports.reset {
                self.model.set(r, high as u64);
                for _ in 0..cfg.reset_cycles {
                    self.model.eval();
                    self.model.posedge();
                }
                self.model.set(r, !high as u64);
            }
        }
        // Until this job succeeds, the core's state is suspect.
        self.needs_reset = true;

        let ps = &self.ports;
        let m = &mut self.model;
        let start = m.cycles();
        let (mut w_next, mut v_next, mut c_next, mut out_next) = (0usize, 0usize, 0usize, 0usize);
        let (mut w_valid, mut v_valid, mut c_valid) = (false, false, false);
        let (mut first_code, mut last_out) = (None::<u64>, 0u64);
        let out_words = m.port_info(ps.m_data).words();
        let (mut held, mut seen) = (vec![0u32; out_words], vec![0u32; out_words]);
        let (mut holding, mut held_user) = (false, 0u64);
        while out_next < rows {
            let now = m.cycles();
            if now - start >= max_cycles {
                bail!(
                    "timeout after {max_cycles} cycles: weights {w_next}/{nw}, V rows {v_next}/{n}, code beats \
                     {c_next}/{total_beats}, output beats {out_next}/{rows} (ready: w {} v {} c {}; m_axis_tvalid {})",
                    m.get(ps.w_ready),
                    m.get(ps.v_ready),
                    m.get(ps.c_ready),
                    m.get(ps.m_valid)
                );
            }
            // Present the next beat of the active phase unless the stream idles this cycle.
            if !w_valid && w_next < nw && (idle == 0.0 || !rng.gen_bool(idle)) {
                m.set(ps.w_data, job.weights[w_next] as u64);
                m.set(ps.w_user, w_next as u64);
                w_valid = true;
            }
            if !v_valid && w_next == nw && v_next < n && (idle == 0.0 || !rng.gen_bool(idle)) {
                m.set_words(
                    ps.v_data,
                    &v_beats[v_next * v_words..(v_next + 1) * v_words],
                );
                m.set(ps.v_last, (v_next + 1 == n) as u64);
                v_valid = true;
            }
            if !c_valid
                && v_next == n
                && c_next < total_beats
                && (idle == 0.0 || !rng.gen_bool(idle))
            {
                m.set_words(
                    ps.c_data,
                    &c_beats[c_next * c_words..(c_next + 1) * c_words],
                );
                m.set(ps.c_last, c_lasts[c_next] as u64);
                c_valid = true;
            }
            let ready = bp == 0.0 || !rng.gen_bool(bp);
            m.set(ps.w_valid, w_valid as u64);
            m.set(ps.v_valid, v_valid as u64);
            m.set(ps.c_valid, c_valid as u64);
            m.set(ps.m_ready, ready as u64);
            m.eval();
            // Handshakes happen at the coming rising edge.
            if w_valid && m.get(ps.w_ready) != 0 {
                w_valid = false;
                w_next += 1;
            }
            if v_valid && m.get(ps.v_ready) != 0 {
                v_valid = false;
                v_next += 1;
            }
            if c_valid && m.get(ps.c_ready) != 0 {
                c_valid = false;
                c_next += 1;
                first_code.get_or_insert(now);
            }
            let m_valid = m.get(ps.m_valid) != 0;
            // AXI-Stream: a stalled output beat must stay valid and unchanged until accepted.
            if holding {
                if !m_valid {
                    bail!(
                        "cycle {}: m_axis_tvalid fell before output beat {} was accepted",
                        now - start,
                        out_next + 1
                    );
                }
                m.get_words(ps.m_data, &mut seen);
                if seen != held || m.get(ps.m_user) != held_user {
                    bail!(
                        "cycle {}: m_axis_tdata/tuser changed while output beat {} was stalled",
                        now - start,
                        out_next + 1
                    );
                }
            }
            holding = m_valid && !ready;
            if holding {
                m.get_words(ps.m_data, &mut held);
                held_user = m.get(ps.m_user);
            }
            if ready && m_valid {
                if out_next >= rows {
                    bail!("cycle {}: an output beat arrived but all {rows} rows were already received", now - start);
                }
                let mut row = acc.row_mut(out_next);
                for (l, a) in row.iter_mut().enumerate() {
                    *a = sign_extend(
                        m.get_bits(ps.m_data, l as u32 * acc_bits, acc_bits),
                        acc_bits,
                    );
                }
                rsum[out_next] = m.get(ps.m_user);
                out_next += 1;
                last_out = now;
                if first_code.is_none() || c_next == 0 {
                    bail!("cycle {}: output beat {out_next} arrived before any code beat was accepted", now - start);
                }
            }
            m.posedge();
        }
        let total_cycles = m.cycles() - start;
        // Nothing more may come out.
        m.set(ps.w_valid, 0);
        m.set(ps.v_valid, 0);
        m.set(ps.c_valid, 0);
        m.set(ps.m_ready, 1);
        for t in 0..cfg.drain_cycles {
            m.eval();
            if m.get(ps.m_valid) != 0 {
                bail!(
                    "a spurious output beat appeared {} cycles after the last of {rows} rows",
                    t + 1
                );
            }
            m.posedge();
        }
        if c_next < total_beats {
            bail!("all {rows} outputs arrived but only {c_next}/{total_beats} code beats were accepted");
        }
        let cycles = first_code.map_or(0, |f| last_out - f + 1);
        self.needs_reset = false;
        let cpu = thread_cpu_time()
            .zip(cpu0)
            .map(|(b, a)| b.saturating_sub(a));
        Ok(AttnvRun {
            out: AccRows { acc, rsum },
            cycles,
            total_cycles,
            code_beats: c_next as u64,
            wall: wall.elapsed(),
            cpu,
        })
    }
}
