//! Tests of the Verilator harness (`sim::verilator`) on small designs: hand-written Verilog that
//! covers every port storage type, and a rust-hdl design (DFF counter, 16-bit adder, a 100-bit port).

use rust_hdl::prelude::*;
use sim::verilator::{BuildOptions, Direction, Storage, VerilatedModel};
use std::time::Instant;

const RAW: &str = r#"
module top(input clock, input reset, input [15:0] a, input [2:0] b, output [15:0] sum,
           input [99:0] wide, output [99:0] wout, output reg [7:0] cnt,
           input [40:0] i41, output [63:0] o64, input [31:0] i32, output [31:0] o32);
  assign wout = ~wide;
  assign o64 = {23'd0, i41} + 64'd1;
  assign o32 = i32 ^ 32'hdeadbeef;
  assign sum = a + {13'd0, b};
  initial cnt = 0;
  always @(posedge clock) if (reset) cnt <= 0; else cnt <= cnt + 1;
endmodule
"#;

fn opts() -> BuildOptions {
    BuildOptions {
        verbose: true,
        ..Default::default()
    }
}

#[test]
fn raw_verilog_every_storage_type() -> anyhow::Result<()> {
    let mut m = VerilatedModel::build(RAW, "top", &opts())?;
    let info = |n: &str| m.ports()[m.port(n).unwrap().index()].clone();
    assert_eq!(info("wide").storage, Storage::Wide(4));
    assert_eq!(info("wout").dir, Direction::Output);
    assert_eq!(info("i41").storage, Storage::U64);
    assert_eq!(info("i32").storage, Storage::U32);
    assert_eq!(info("a").storage, Storage::U16);
    assert_eq!(info("b").width, 3);
    assert!(m
        .port("nope")
        .unwrap_err()
        .to_string()
        .contains("its ports are"));

    let (a, b, sum) = (m.port("a")?, m.port("b")?, m.port("sum")?);
    let (wide, wout) = (m.port("wide")?, m.port("wout")?);
    let (i41, o64, i32p, o32) = (
        m.port("i41")?,
        m.port("o64")?,
        m.port("i32")?,
        m.port("o32")?,
    );
    m.set(a, 0xFFFE);
    m.set(b, 0xF); // masked to 3 bits: 7
    m.set(i41, (1u64 << 41) - 1);
    m.set(i32p, 0x1234_5678);
    m.set_words(wide, &[0x0123_4567, 0x89AB_CDEF, 0xDEAD_BEE0, 0xF]);
    m.eval();
    assert_eq!(m.get(sum), (0xFFFEu64 + 7) & 0xFFFF);
    assert_eq!(m.get(o64), 1u64 << 41);
    assert_eq!(m.get(o32), 0x1234_5678 ^ 0xdead_beef);
    let mut w = [0u32; 4];
    m.get_words(wout, &mut w);
    assert_eq!(w, [!0x0123_4567, !0x89AB_CDEF, !0xDEAD_BEE0, 0]);
    assert_eq!(m.get_bits(wout, 96, 4), 0);
    assert_eq!(
        m.get_bits(wout, 60, 8),
        ((!0x89AB_CDEFu32 >> 28) | ((!0xDEAD_BEE0u32 & 0xF) << 4)) as u64
    );

    let (reset, cnt) = (m.port("reset")?, m.port("cnt")?);
    m.set_clock("clock")?;
    m.set(reset, 1);
    m.clock_edge();
    m.set(reset, 0);
    m.run_cycles(300);
    assert_eq!(m.get(cnt), 300 % 256);
    assert_eq!(m.cycles(), 301);
    Ok(())
}

#[test]
fn second_build_is_a_cache_hit() -> anyhow::Result<()> {
    let v =
        "module top(input clock, input [7:0] x, output [7:0] y); assign y = x + 8'd3; endmodule";
    let m1 = VerilatedModel::build(v, "top", &opts())?;
    let m2 = VerilatedModel::build(v, "top", &opts())?;
    assert!(m2.build_report().cache_hit);
    assert_eq!(m1.build_report().hash, m2.build_report().hash);
    // Two live instances of one library are independent.
    let (mut m1, mut m2) = (m1, m2);
    let (x1, y1, x2, y2) = (m1.port("x")?, m1.port("y")?, m2.port("x")?, m2.port("y")?);
    m1.set(x1, 1);
    m2.set(x2, 100);
    m1.eval();
    m2.eval();
    assert_eq!((m1.get(y1), m2.get(y2)), (4, 103));
    Ok(())
}

#[test]
fn errors_name_the_failing_step() {
    let bad = "module top(input clock); this is not verilog endmodule";
    let e = VerilatedModel::build(bad, "top", &opts()).unwrap_err();
    let s = format!("{e:#}");
    assert!(
        s.contains("verilator failed") && s.contains("--top-module top"),
        "{s}"
    );
    assert!(s.contains("%Error"), "stderr tail missing: {s}");
    // A failing compiler: the error quotes the compile command.
    let o = BuildOptions {
        cxx: "false".into(),
        ..opts()
    };
    let e = VerilatedModel::build(
        "module top(input a, output b); assign b = a; endmodule",
        "top",
        &o,
    )
    .unwrap_err();
    let s = format!("{e:#}");
    assert!(s.contains("`false -O") && s.contains("failed"), "{s}");
    let e = VerilatedModel::build("module top(); endmodule", "to p", &opts()).unwrap_err();
    assert!(format!("{e:#}").contains("not a plain Verilog identifier"));
}

#[test]
fn vcd_trace() -> anyhow::Result<()> {
    let o = BuildOptions {
        trace: true,
        ..opts()
    };
    let mut m = VerilatedModel::build(RAW, "top", &o)?;
    // Into a folder that does not exist: the path and why (it once said "failed (code -3)").
    let nowhere = std::env::temp_dir().join("logattn-no-such-folder/t.vcd");
    let e = m.trace_open(&nowhere).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}: cannot write the VCD: the folder {} does not exist",
            nowhere.display(),
            nowhere.parent().unwrap().display()
        )
    );
    let path = std::env::temp_dir().join(format!("logattn-sim-trace-{}.vcd", std::process::id()));
    m.trace_open(&path)?;
    m.set_clock("clock")?;
    m.run_cycles(10);
    m.trace_close();
    let vcd = std::fs::read_to_string(&path)?;
    let _ = std::fs::remove_file(&path);
    assert!(
        vcd.contains("$var") && vcd.contains("cnt") && vcd.contains("#19"),
        "{}",
        &vcd[..vcd.len().min(400)]
    );
    // A model built without --trace refuses politely.
    let mut plain = VerilatedModel::build(RAW, "top", &opts())?;
    assert!(plain.trace_open(&path).is_err());
    Ok(())
}

/// A rust-hdl design: a 32-bit DFF counter, a 16-bit adder and a 100-bit port.
#[derive(LogicBlock, Default)]
struct Dut {
    pub clock: Signal<In, Clock>,
    pub a: Signal<In, Bits<16>>,
    pub b: Signal<In, Bits<16>>,
    pub sum: Signal<Out, Bits<16>>,
    pub wide_in: Signal<In, Bits<100>>,
    pub wide_out: Signal<Out, Bits<100>>,
    pub count: Signal<Out, Bits<32>>,
    cnt: DFF<Bits<32>>,
    acc: DFF<Bits<100>>,
}

impl Logic for Dut {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clock, cnt, acc);
        self.cnt.d.next = self.cnt.q.val() + 1;
        self.count.next = self.cnt.q.val();
        self.sum.next = self.a.val() + self.b.val();
        self.acc.d.next = self.acc.q.val() ^ self.wide_in.val();
        self.wide_out.next = self.acc.q.val();
    }
}

fn dut_verilog() -> String {
    let mut uut = Dut::default();
    uut.connect_all();
    generate_verilog(&uut)
}

#[test]
fn rust_hdl_design_matches_and_is_fast() -> anyhow::Result<()> {
    let v = dut_verilog();
    let t = Instant::now();
    let mut m = VerilatedModel::build(&v, "top", &opts())?;
    let r = m.build_report().clone();
    eprintln!(
        "rust-hdl DUT: build {:.2} s (hit {}, verilate {:.2} s, compile {:.2} s)",
        t.elapsed().as_secs_f64(),
        r.cache_hit,
        r.verilate_secs,
        r.compile_secs
    );
    let (a, b, sum, count) = (m.port("a")?, m.port("b")?, m.port("sum")?, m.port("count")?);
    let (wi, wo) = (m.port("wide_in")?, m.port("wide_out")?);
    assert_eq!(m.port_info(wi).width, 100);
    m.set_clock("clock")?;

    // Adder, with wrap-around.
    for &(x, y) in &[(1u64, 2u64), (0xFFFF, 1), (0x8000, 0x8000), (12345, 54321)] {
        m.set(a, x);
        m.set(b, y);
        m.eval();
        assert_eq!(m.get(sum), (x + y) & 0xFFFF);
    }
    // The 100-bit accumulator XORs wide_in each cycle; compare with a u128 model.
    let mask: u128 = (1u128 << 100) - 1;
    let mut expect: u128 = 0;
    let mut x: u128 = 0x0123_4567_89AB_CDEF_0011_2233_4455_6677 & mask;
    for _ in 0..100 {
        let words = [
            x as u32,
            (x >> 32) as u32,
            (x >> 64) as u32,
            (x >> 96) as u32,
        ];
        m.set_words(wi, &words);
        m.clock_edge();
        expect ^= x;
        let mut out = [0u32; 4];
        m.eval();
        m.get_words(wo, &mut out);
        let got = out[0] as u128
            | (out[1] as u128) << 32
            | (out[2] as u128) << 64
            | (out[3] as u128) << 96;
        assert_eq!(got, expect);
        x = (x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407))
            & mask;
    }
    assert_eq!(m.get(count), 100);

    // Speed: a tight loop of clock edges, and the testbench pattern (set, eval, read, posedge).
    let n = 2_000_000u64;
    let t = Instant::now();
    m.run_cycles(n);
    let batched = n as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut s = 0u64;
    for i in 0..n {
        m.set(a, i & 0xFFFF);
        m.eval();
        s = s.wrapping_add(m.get(sum));
        m.posedge();
    }
    let stepped = n as f64 / t.elapsed().as_secs_f64();
    assert!(s > 0);
    assert_eq!(m.get(count), (100 + 2 * n) & 0xFFFF_FFFF);
    eprintln!(
        "rust-hdl DUT: {:.1} M cycles/s batched, {:.1} M cycles/s stepped",
        batched / 1e6,
        stepped / 1e6
    );
    Ok(())
}

/// A private cache root for one test, with the default root's compiled Verilator runtime
/// copied in (so the test compiles only its own models).
fn private_cache(name: &str) -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("logattn-cache-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let shared = sim::verilator::cache::default_cache_root();
    for e in std::fs::read_dir(&shared).into_iter().flatten().flatten() {
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with("runtime-") && e.path().is_dir() {
            std::fs::create_dir_all(root.join(&n)).unwrap();
            for f in std::fs::read_dir(e.path()).unwrap().flatten() {
                std::fs::copy(f.path(), root.join(&n).join(f.file_name())).unwrap();
            }
        }
    }
    root
}

/// A killed build's folder is swept, a cached library that was damaged after it was built
/// (truncated: "file too short" on every later load) is rebuilt instead of failing, and the
/// cache keeps to its limits, least recently used first.
#[test]
fn the_cache_sweeps_dead_builds_rebuilds_damaged_models_and_stays_bounded() -> anyhow::Result<()> {
    use sim::verilator::cache::{CacheLimits, MANIFEST};
    let root = private_cache("sound");
    let o = BuildOptions {
        cache_dir: Some(root.clone()),
        ..opts()
    };
    let adder = |k: u32| {
        format!("module top(input clock, input [7:0] x, output [7:0] y); assign y = x + 8'd{k}; endmodule")
    };
    // A build killed midway leaves its folder; no process has pid 4000000000.
    let dead = root.join(format!("{}.tmp-4000000000-1", "e".repeat(64)));
    std::fs::create_dir_all(dead.join("obj_dir"))?;
    let m = VerilatedModel::build(&adder(1), "top", &o)?;
    assert!(!m.build_report().cache_hit);
    if std::path::Path::new("/proc/self").exists() {
        assert!(!dead.exists(), "the dead build's folder was swept");
    }
    let dir = m.build_report().dir.clone();
    assert!(
        dir.join(MANIFEST).is_file(),
        "the library's size and hash are recorded"
    );
    drop(m);
    // Truncate the cached library (a new file in its place: this process may still map the
    // old one): the next build finds it unsound and rebuilds it.
    let lib = dir.join("model.so");
    let bytes = std::fs::read(&lib)?;
    std::fs::write(dir.join("cut"), &bytes[..bytes.len() / 3])?;
    std::fs::rename(dir.join("cut"), &lib)?;
    let mut m = VerilatedModel::build(&adder(1), "top", &o)?;
    assert!(!m.build_report().cache_hit, "rebuilt, not loaded");
    let (x, y) = (m.port("x")?, m.port("y")?);
    m.set(x, 41);
    m.eval();
    assert_eq!(m.get(y), 42);
    drop(m);
    assert!(
        VerilatedModel::build(&adder(1), "top", &o)?
            .build_report()
            .cache_hit
    );
    // At most two models: building a third removes the least recently used.
    let o2 = BuildOptions {
        cache_limits: CacheLimits {
            models: 2,
            megabytes: 1 << 20,
        },
        ..o.clone()
    };
    let m2 = VerilatedModel::build(&adder(2), "top", &o2)?;
    std::thread::sleep(std::time::Duration::from_millis(20));
    let m1 = VerilatedModel::build(&adder(1), "top", &o2)?; // adder(1) used last
    assert!(m1.build_report().cache_hit);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let m3 = VerilatedModel::build(&adder(3), "top", &o2)?;
    let models = |r: &std::path::Path| -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(r)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().unwrap().len() == 64)
            .collect();
        v.sort();
        v
    };
    let mut want = vec![m1.build_report().dir.clone(), m3.build_report().dir.clone()];
    want.sort();
    assert_eq!(
        models(&root),
        want,
        "adder(2), the least recently used, was removed"
    );
    assert!(!m2.build_report().dir.exists());
    let _ = std::fs::remove_dir_all(&root);
    Ok(())
}
