//! §7 The host driver: every board design on its Verilated board through `logattn bench`
//! (in-process), with the projected figures of each board; §8 Boards against a GPU: time and
//! energy a head at n = 128 next to the H100 reference (`docs/data/gpu_h100.json`).

use super::format::{md_table, thou, uj, us, x};
use super::{logattn, read_json};
use crate::fig::{self, Scale};
use crate::Page;
use anyhow::{ensure, Context, Result};
use serde_json::{json, Value};

/// Assumed board power while computing, W (not measured: no board has run here):
/// [`hdl::boards::Resources::assumed_power_w`].
pub fn board_power_w() -> Vec<(&'static str, f64)> {
    hdl::boards::BOARDS
        .iter()
        .map(|&b| {
            let r = hdl::boards::board_resources(b).expect("a known board");
            (b, r.assumed_power_w)
        })
        .collect()
}

/// The bench runs: board, design, `logattn bench` arguments.
const RUNS: [(&str, &str, &str); 4] = [
    (
        "ulx3s",
        "link",
        "--board ulx3s --n 128,512 --heads 2 --sparsity 0.8",
    ),
    (
        "ulx3s",
        "core",
        "--board ulx3s --design core --n 128,512 --heads 2 --sparsity 0.8,0.95",
    ),
    (
        "alchitry_cu",
        "link",
        "--board alchitry_cu --octave --n 64 --heads 2 --sparsity 0.8,0.95",
    ),
    (
        "xem7010",
        "link",
        "--board xem7010 --octave --n 128,512 --heads 2 --sparsity 0.9",
    ),
];

/// `logattn bench ARGS --verify --quiet --json -` in-process, as JSON.
fn bench(args: &str) -> Result<Value> {
    logattn(
        &format!("bench {args} --verify --quiet --json -"),
        host::bench::run,
    )
}

/// A board's figures a head: compute time and latency (link + compute), µs; its power, W;
/// the clock its head computes on, MHz (the bench's).
#[derive(Clone, Copy)]
struct BoardHead {
    compute_us: f64,
    clock_mhz: f64,
    latency_us: f64,
    watts: f64,
}

/// The bench's rows by (board/design, n, target zeros).
struct Benched(Vec<((String, u64, f64), BoardHead)>);

impl Benched {
    fn get(&self, bd: &str, n: u64, z: f64) -> Result<BoardHead> {
        self.0
            .iter()
            .find(|(k, _)| k.0 == bd && k.1 == n && (k.2 - z).abs() < 1e-9)
            .map(|(_, v)| *v)
            .with_context(|| format!("bench row {bd} n = {n} zeros {z}"))
    }
}

/// Time (µs) and energy (µJ) a head on the GPU.
#[derive(Clone, Copy, Default)]
struct GpuHead {
    us: f64,
    uj: f64,
}

/// The GPU reference at n = 128: the whole head (SDPA) and P V alone, at batch 1 and batched.
struct Gpu {
    head_b1: GpuHead,
    head_batched: GpuHead,
    pv_b1: GpuHead,
    pv_batched: GpuHead,
}

/// The boards' heads at n = 128 the comparison quotes.
struct Boards {
    /// XEM7010, the whole head (octave, 90% zeros).
    xem: BoardHead,
    /// ULX3S `link`, the whole head (80% zeros).
    ulx: BoardHead,
    /// ULX3S `core` (codes in) at 80% and 95% zeros.
    core80: BoardHead,
    core95: BoardHead,
}

/// §7: every board design on the simulated board through the host driver; projections per
/// board next to the GPU reference.
pub fn run(page: &mut Page) -> Result<()> {
    page.log("§7 bench: every board design through the host driver (Verilated boards)");
    let gpu = read_json(&page.root.join("docs/data/gpu_h100.json"))?;
    let benched = bench_boards(page)?;
    let gpu = gpu_reference(page, &gpu)?;
    page.set(
        "board_power",
        board_power_w()
            .iter()
            .map(|(b, w)| format!("{b} {w} W"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let boards = Boards {
        xem: benched.get("xem7010/link", 128, 0.9)?,
        ulx: benched.get("ulx3s/link", 128, 0.8)?,
        core80: benched.get("ulx3s/core", 128, 0.8)?,
        core95: benched.get("ulx3s/core", 128, 0.95)?,
    };
    compare_table(page, &gpu, &boards);
    figures(page, &gpu, &boards)?;
    headlines(page, &gpu, &boards);
    Ok(())
}

/// Every bench run: the projection table, and the reports in results.json.
fn bench_boards(page: &mut Page) -> Result<Benched> {
    let mut rows = Vec::new();
    let mut at = Vec::new();
    let mut all = Vec::new();
    for (board, design, args) in RUNS {
        page.log(&format!("  logattn bench {args}"));
        let rep = bench(args)?;
        let b = hdl::boards::board(board)
            .context("board")?
            .for_design(design)
            .map_err(anyhow::Error::msg)?;
        for r in rep["rows"].as_array().context("bench rows")? {
            let p = &r["projection"];
            let cyc = r["cycles"]["median"].as_f64().context("cycles")?;
            let clock = p["clock_mhz"].as_f64().context("clock")? * 1e6;
            let head = BoardHead {
                compute_us: cyc / clock * 1e6,
                clock_mhz: clock / 1e6,
                latency_us: p["latency_us"]["median"].as_f64().context("latency")?,
                watts: b.assumed_power_w,
            };
            let n = r["n"].as_u64().unwrap_or(0);
            at.push((
                (
                    format!("{board}/{design}"),
                    n,
                    r["target_sparsity"].as_f64().unwrap_or(0.0),
                ),
                head,
            ));
            rows.push(vec![
                format!("{board}/{design}"),
                format!(
                    "{}, D = {}",
                    if b.design.front_end {
                        "whole head"
                    } else {
                        "codes + V"
                    },
                    b.design.d
                ),
                format!("{n}"),
                format!("{:.2}", r["sparsity"].as_f64().unwrap_or(0.0)),
                thou(cyc as u64),
                format!("{:.0} MHz", clock / 1e6),
                us(head.compute_us),
                us(head.latency_us),
                format!("{:.1}", p["heads_per_s"].as_f64().unwrap_or(0.0)),
                p["bound"].as_str().unwrap_or("?").to_string(),
                uj(head.latency_us * head.watts),
                uj(head.compute_us * head.watts),
            ]);
        }
        all.push(json!({"board": board, "design": design, "args": args, "report": rep}));
    }
    page.record("bench", &all)?;
    page.set(
        "projection_table",
        md_table(
            &[
                "board/design",
                "takes",
                "n = rows",
                "zeros",
                "compute cycles",
                "clock",
                "compute",
                "latency a head (link + compute)",
                "heads/s",
                "bound",
                "energy a head",
                "compute energy",
            ],
            &rows,
        ),
    );
    Ok(Benched(at))
}

/// The H100 reference: the GPU table, and the n = 128 figures the comparison needs. The
/// quantized P x V's energy is estimated at the measured power of SDPA at the same batch.
fn gpu_reference(page: &mut Page, gpu: &Value) -> Result<Gpu> {
    let mut grows = Vec::new();
    let (mut head_b1, mut head_batched) = (GpuHead::default(), GpuHead::default());
    for r in gpu["energy"].as_array().context("gpu_h100.json: energy")? {
        let n = r["n"].as_u64().unwrap_or(0);
        let batch = r["heads_per_call"].as_u64().unwrap_or(0);
        let us = r["us_per_head"].as_f64().unwrap_or(0.0);
        let uj = r["uj_per_head"].as_f64().unwrap_or(0.0);
        if n == 128 && batch == 1 {
            head_b1 = GpuHead { us, uj };
        }
        if n == 128 && batch > 1 {
            head_batched = GpuHead { us, uj };
        }
        grows.push(vec![
            "H100 (torch SDPA, fp16)".to_string(),
            format!("{batch} head{} a call", if batch == 1 { "" } else { "s" }),
            n.to_string(),
            "64".into(),
            if us < 1.0 {
                format!("{:.3} µs", us)
            } else {
                format!("{:.1} µs", us)
            },
            thou((1e6 / us).round() as u64),
            format!("{:.0} W", r["avg_power_w"].as_f64().unwrap_or(0.0)),
            if uj < 1000.0 {
                format!("{uj:.0} µJ")
            } else {
                format!("{:.2} mJ", uj / 1e3)
            },
        ]);
    }
    let (pv_b1_us, pv_bat_us) = quantized_pv_us(gpu)?;
    ensure!(
        pv_b1_us > 0.0 && pv_bat_us > 0.0,
        "gpu_h100.json: no quant_alpha_v_us at n = 128"
    );
    ensure!(
        head_b1.us > 0.0 && head_batched.us > 0.0,
        "gpu_h100.json: no n = 128 rows"
    );
    page.set(
        "gpu_table",
        md_table(
            &[
                "GPU",
                "batch",
                "n",
                "d",
                "time a head",
                "heads/s",
                "power",
                "energy a head",
            ],
            &grows,
        ),
    );
    // The GPU's quantized P x V at its batch-1 and batched power (an estimate: the reference
    // measured power for SDPA only).
    let at_power_of = |us: f64, head: GpuHead| GpuHead {
        us,
        uj: us * head.uj / head.us,
    };
    Ok(Gpu {
        head_b1,
        head_batched,
        pv_b1: at_power_of(pv_b1_us, head_b1),
        pv_batched: at_power_of(pv_bat_us, head_batched),
    })
}

/// The quantized P x V a head at n = 128 on the GPU, µs: at batch 1 and batched.
fn quantized_pv_us(gpu: &Value) -> Result<(f64, f64)> {
    let (mut pv_b1_us, mut pv_bat_us) = (0.0, 0.0);
    for r in gpu["latency"]
        .as_array()
        .context("gpu_h100.json: latency")?
    {
        if r["n"].as_u64() == Some(128) {
            let heads = r["heads"].as_f64().unwrap_or(1.0);
            let us = r["quant_alpha_v_us"].as_f64().unwrap_or(0.0) / heads;
            if heads == 1.0 {
                pv_b1_us = us;
            } else {
                pv_bat_us = us;
            }
        }
    }
    Ok((pv_b1_us, pv_bat_us))
}

/// Work a head at n = 128, the GPU against the boards: compute, and with the link.
fn compare_table(page: &mut Page, gpu: &Gpu, boards: &Boards) {
    // A board's row: compute and with the link, time and energy.
    let board_row = |label: &str, b: BoardHead| -> Vec<String> {
        vec![
            String::new(),
            label.into(),
            us(b.compute_us),
            uj(b.compute_us * b.watts),
            us(b.latency_us),
            uj(b.latency_us * b.watts),
        ]
    };
    let cmp_rows = vec![
        vec![
            "whole head (scores, softmax, P V)".into(),
            "H100, batch 1".into(),
            us(gpu.head_b1.us),
            uj(gpu.head_b1.uj),
            "-".into(),
            "-".into(),
        ],
        vec![
            "".into(),
            "H100, 4096 heads a call".into(),
            format!("{:.3} µs", gpu.head_batched.us),
            uj(gpu.head_batched.uj),
            "-".into(),
            "-".into(),
        ],
        board_row(
            &format!("XEM7010 (D = 64, octave), {:.0} MHz", boards.xem.clock_mhz),
            boards.xem,
        ),
        board_row(
            &format!("ULX3S `link` (D = 32), {:.0} MHz", boards.ulx.clock_mhz),
            boards.ulx,
        ),
        vec![
            "P V only (pruned 3-bit codes in)".into(),
            "H100, batch 1 (quantized P x V)".into(),
            us(gpu.pv_b1.us),
            format!("~{} (est.)", uj(gpu.pv_b1.uj)),
            "-".into(),
            "-".into(),
        ],
        vec![
            "".into(),
            "H100, 4096 heads a call".into(),
            format!("{:.3} µs", gpu.pv_batched.us),
            format!("~{} (est.)", uj(gpu.pv_batched.uj)),
            "-".into(),
            "-".into(),
        ],
        board_row("ULX3S `core` (D = 64), 80% zeros", boards.core80),
        board_row("ULX3S `core` (D = 64), 95% zeros", boards.core95),
    ];
    page.set(
        "compare_table",
        md_table(
            &[
                "work a head, n = 128",
                "on",
                "compute",
                "compute energy",
                "with the link",
                "energy with the link",
            ],
            &cmp_rows,
        ),
    );
}

/// Time and energy a head at n = 128, log scale, in the order of the comparison table.
fn figures(page: &Page, gpu: &Gpu, boards: &Boards) -> Result<()> {
    let cats: Vec<String> = [
        "H100 batch 1",
        "H100 batched",
        "XEM7010 head",
        "ULX3S head (D 32)",
        "H100 P V b1",
        "H100 P V batched",
        "ULX3S core 80%",
        "ULX3S core 95%",
    ]
    .map(String::from)
    .to_vec();
    let gpu_heads = [gpu.head_b1, gpu.head_batched];
    let gpu_pv = [gpu.pv_b1, gpu.pv_batched];
    let boards_head = [boards.xem, boards.ulx];
    let boards_core = [boards.core80, boards.core95];
    let series = |f: &dyn Fn(BoardHead) -> f64, g: &dyn Fn(GpuHead) -> f64| -> Vec<f64> {
        gpu_heads
            .iter()
            .map(|&p| g(p))
            .chain(boards_head.iter().map(|&b| f(b)))
            .chain(gpu_pv.iter().map(|&p| g(p)))
            .chain(boards_core.iter().map(|&b| f(b)))
            .collect()
    };
    fig::bars(
        &page.figure("time_per_head.svg"),
        "Time a head, n = 128 (boards: projected from measured cycles; H100: measured elsewhere)",
        "µs (log scale)",
        Scale::Log,
        &cats,
        &[
            ("compute".into(), series(&|b| b.compute_us, &|p| p.us)),
            (
                "with the board's link".into(),
                series(&|b| b.latency_us, &|_| f64::NAN),
            ),
        ],
        1200,
        Some(3e6),
    )?;
    fig::bars(
        &page.figure("energy_per_head.svg"),
        "Energy a head, n = 128 (boards: assumed power; H100 P V: estimated)",
        "µJ (log scale)",
        Scale::Log,
        &cats,
        &[
            (
                "compute".into(),
                series(&|b| b.compute_us * b.watts, &|p| p.uj),
            ),
            (
                "with the board's link".into(),
                series(&|b| b.latency_us * b.watts, &|_| f64::NAN),
            ),
        ],
        1200,
        Some(3e6),
    )
}

/// The comparison's figures quoted in the text.
fn headlines(page: &mut Page, gpu: &Gpu, boards: &Boards) {
    let Boards {
        xem,
        ulx,
        core95: c95,
        ..
    } = *boards;
    page.set("gpu_b1_us", us(gpu.head_b1.us));
    page.set("gpu_b1_mj", uj(gpu.head_b1.uj));
    page.set("gpu_bat_uj", uj(gpu.head_batched.uj));
    page.set("pv_b1_us", us(gpu.pv_b1.us));
    page.set("pv_b1_uj", uj(gpu.pv_b1.uj));
    page.set("pv_bat_uj", uj(gpu.pv_batched.uj));
    page.set("xem_compute", us(xem.compute_us));
    page.set("xem_compute_x", x(xem.compute_us, gpu.head_b1.us));
    page.set("xem_link", us(xem.latency_us));
    page.set("xem_energy", uj(xem.compute_us * xem.watts));
    page.set(
        "xem_energy_x",
        x(gpu.head_b1.uj, xem.compute_us * xem.watts),
    );
    page.set("xem_link_energy", uj(xem.latency_us * xem.watts));
    page.set(
        "xem_link_energy_x",
        x(xem.latency_us * xem.watts, gpu.head_b1.uj),
    );
    page.set(
        "xem_batched_x",
        x(xem.compute_us * xem.watts, gpu.head_batched.uj),
    );
    page.set("core95_compute", us(c95.compute_us));
    page.set("core95_compute_x", x(c95.compute_us, gpu.pv_b1.us));
    page.set("core95_energy", uj(c95.compute_us * c95.watts));
    page.set(
        "core95_energy_x",
        x(gpu.pv_b1.uj, c95.compute_us * c95.watts),
    );
    page.set(
        "core95_batched_x",
        x(c95.compute_us * c95.watts, gpu.pv_batched.uj),
    );
    page.set("ulx_link", us(ulx.latency_us));
    page.set("ulx_link_x", x(ulx.latency_us, gpu.head_b1.us));
}
