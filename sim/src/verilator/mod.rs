//! A reusable Verilator harness driven from Rust.
//!
//! [`VerilatedModel::build`] verilates Verilog at run time into a cache keyed by a SHA-256 of the
//! Verilog, the Verilator version, the options and the shim version (see [`cache`]), generates a
//! C++ shim with `extern "C"` entry points ([`shim`]), compiles everything into one shared library
//! ([`compile`]) and loads it with `libloading`. Any parameter set chosen at run time gets its own
//! model; a second build of the same Verilog is a cache hit that only loads the library.
//!
//! Per cycle the harness costs at most two FFI calls (two `eval`s): ports are looked up by name once
//! ([`VerilatedModel::port`]) and then read and written directly in the model's memory by index.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use sim::verilator::{BuildOptions, VerilatedModel};
//! let v = "module top(input clock, output reg [7:0] q); always @(posedge clock) q <= q + 1; endmodule";
//! let mut m = VerilatedModel::build(v, "top", &BuildOptions::default())?;
//! let q = m.port("q")?;
//! m.set_clock("clock")?;
//! m.run_cycles(3);
//! println!("q = {}", m.get(q));
//! # Ok(()) }
//! ```

pub mod cache;
pub mod compile;
pub mod ports;
pub mod shim;

pub use compile::BuildReport;
pub use ports::{Direction, PortInfo, Storage};

use anyhow::{anyhow, bail, Context, Result};
use libloading::Library;
use std::ffi::{c_char, c_void, CStr, CString};
use std::path::{Path, PathBuf};

/// How to build a model.
#[derive(Clone, Debug)]
pub struct BuildOptions {
    /// Build with `--trace` so [`VerilatedModel::trace_open`] can write a VCD (a separate cache entry).
    pub trace: bool,
    /// Cache root; `None` means [`cache::default_cache_root`].
    pub cache_dir: Option<PathBuf>,
    /// Parallel C++ compile jobs (default 2).
    pub jobs: usize,
    /// Optimisation flag for the model's per-cycle code and the runtime (default `-O2`).
    pub opt_fast: String,
    /// Optimisation flag for Verilator's `__Slow` files (construction, initial blocks; default `-O1`).
    pub opt_slow: String,
    /// The C++ compiler (default `$CXX` or `g++`).
    pub cxx: String,
    /// The Verilator executable (default `$VERILATOR` or `verilator`).
    pub verilator: String,
    /// Extra Verilator arguments (part of the cache key).
    pub extra_verilator_args: Vec<String>,
    /// Print progress to stderr on a cache miss (default true).
    pub verbose: bool,
    /// Keep the build directory of a failed build for inspection (default false).
    pub keep_failed: bool,
    /// How large the cache may grow (default: `$LOGATTN_CACHE_MAX_MODELS` models and
    /// `$LOGATTN_CACHE_MAX_MB` MB, else 256 and 4096); the least recently used models go first.
    pub cache_limits: cache::CacheLimits,
}

impl Default for BuildOptions {
    fn default() -> Self {
        let env = |k: &str, d: &str| {
            std::env::var(k)
                .ok()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| d.to_string())
        };
        Self {
            trace: false,
            cache_dir: None,
            jobs: 2,
            opt_fast: "-O2".into(),
            opt_slow: "-O1".into(),
            cxx: env("CXX", "g++"),
            verilator: env("VERILATOR", "verilator"),
            extra_verilator_args: Vec::new(),
            verbose: true,
            keep_failed: false,
            cache_limits: cache::CacheLimits::default(),
        }
    }
}

/// A port handle: an index into the model's port table, valid for the model that issued it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Port(u32);

impl Port {
    /// The port's index in [`VerilatedModel::ports`].
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

type FnCreate = unsafe extern "C" fn() -> *mut c_void;
type FnHandle = unsafe extern "C" fn(*mut c_void);
type FnPortPtr = unsafe extern "C" fn(*mut c_void, u32) -> *mut c_void;
type FnTick = unsafe extern "C" fn(*mut c_void, u32, u64, u64);
type FnTraceOpen = unsafe extern "C" fn(*mut c_void, *const c_char) -> i32;
type FnTraceDump = unsafe extern "C" fn(*mut c_void, u64);
type FnU32 = unsafe extern "C" fn() -> u32;
type FnIdxU32 = unsafe extern "C" fn(u32) -> u32;
type FnIdxStr = unsafe extern "C" fn(u32) -> *const c_char;

/// A port's storage inside the model, resolved once.
#[derive(Clone, Copy, Debug)]
struct Slot {
    ptr: *mut u8,
    storage: Storage,
    width: u32,
}

/// A compiled, loaded Verilator model.
///
/// Not `Send`: a model stays on the thread that built it.
pub struct VerilatedModel {
    handle: *mut c_void,
    destroy: FnHandle,
    eval_fn: FnHandle,
    tick_fn: FnTick,
    trace_open_fn: FnTraceOpen,
    trace_dump_fn: FnTraceDump,
    trace_close_fn: FnHandle,
    has_trace: bool,
    tracing: bool,
    last_dump: Option<u64>,
    ports: Vec<PortInfo>,
    slots: Vec<Slot>,
    clock: Option<Port>,
    /// True when the last `eval` saw the clock low, so raising it is a rising edge.
    low_evaluated: bool,
    cycles: u64,
    report: BuildReport,
    lib_path: PathBuf,
    // Dropped last: the handle and every function pointer above point into it.
    _lib: Library,
}

impl VerilatedModel {
    /// Builds (or finds in the cache) and loads the model of `verilog` with top module `top`.
    ///
    /// Errors name the failing step: the command line of a failing `verilator` or `g++` and the
    /// tail of its output, an unparsable model header, or a library that does not load.
    pub fn build(verilog: &str, top: &str, opts: &BuildOptions) -> Result<Self> {
        let build = || {
            compile::ensure_built(verilog, top, opts)
                .with_context(|| format!("building the Verilator model of top module `{top}`"))
        };
        let (lib, report) = build()?;
        match Self::load(&lib, report.clone()) {
            // A library that does not load (damaged before its manifest was written, or
            // removed by another process that found it unsound): built once more.
            Err(e) => {
                if opts.verbose {
                    eprintln!(
                        "[sim] model {} does not load ({e:#}): rebuilding it",
                        report.dir.display()
                    );
                }
                cache::discard(&report.dir);
                let (lib, report) = build()?;
                Self::load(&lib, report)
            }
            loaded => loaded,
        }
    }

    /// Loads a model library built by [`VerilatedModel::build`].
    fn load(path: &Path, report: BuildReport) -> Result<Self> {
        // SAFETY: the library is one this module generated; its initialisers are Verilator's.
        let lib =
            unsafe { Library::new(path) }.with_context(|| format!("loading {}", path.display()))?;
        macro_rules! sym {
            ($name:literal, $ty:ty) => {{
                // SAFETY: the shim defines each symbol with exactly this signature.
                let s: libloading::Symbol<$ty> =
                    unsafe { lib.get(concat!($name, "\0").as_bytes()) }
                        .with_context(|| format!("{} has no symbol {}", path.display(), $name))?;
                *s
            }};
        }
        let version = sym!("logattn_shim_version", FnU32);
        // SAFETY: plain C functions without arguments or with an index they bound-check.
        let v = unsafe { version() };
        if v != shim::SHIM_VERSION {
            bail!(
                "{} has shim version {v}, expected {}",
                path.display(),
                shim::SHIM_VERSION
            );
        }
        let num_ports = sym!("logattn_shim_num_ports", FnU32);
        let port_name = sym!("logattn_shim_port_name", FnIdxStr);
        let port_dir = sym!("logattn_shim_port_dir", FnIdxU32);
        let port_width = sym!("logattn_shim_port_width", FnIdxU32);
        let port_kind = sym!("logattn_shim_port_kind", FnIdxU32);
        let has_trace = sym!("logattn_shim_has_trace", FnU32);
        let create = sym!("logattn_shim_create", FnCreate);
        let destroy = sym!("logattn_shim_destroy", FnHandle);
        let eval_fn = sym!("logattn_shim_eval", FnHandle);
        let port_ptr = sym!("logattn_shim_port_ptr", FnPortPtr);
        let tick_fn = sym!("logattn_shim_tick", FnTick);
        let trace_open_fn = sym!("logattn_shim_trace_open", FnTraceOpen);
        let trace_dump_fn = sym!("logattn_shim_trace_dump", FnTraceDump);
        let trace_close_fn = sym!("logattn_shim_trace_close", FnHandle);

        let mut ports = Vec::new();
        // SAFETY: indices are below num_ports; names are static NUL-terminated strings.
        unsafe {
            for i in 0..num_ports() {
                let name = port_name(i);
                if name.is_null() {
                    bail!("port {i} of {} has no name", path.display());
                }
                let name = CStr::from_ptr(name).to_string_lossy().into_owned();
                let width = port_width(i);
                ports.push(PortInfo {
                    name,
                    dir: Direction::from_code(port_dir(i))?,
                    width,
                    storage: Storage::from_code(port_kind(i), width)?,
                });
            }
        }
        // SAFETY: creates a fresh model owned by this struct and destroyed in Drop.
        let handle = unsafe { create() };
        if handle.is_null() {
            bail!("{}: creating the model failed", path.display());
        }
        let mut slots = Vec::with_capacity(ports.len());
        for (i, p) in ports.iter().enumerate() {
            // SAFETY: i < num_ports.
            let ptr = unsafe { port_ptr(handle, i as u32) } as *mut u8;
            if ptr.is_null() {
                // SAFETY: handle came from create().
                unsafe { destroy(handle) };
                bail!("{}: port {} has no storage", path.display(), p.name);
            }
            slots.push(Slot {
                ptr,
                storage: p.storage,
                width: p.width,
            });
        }
        // SAFETY: no arguments.
        let has_trace = unsafe { has_trace() } != 0;
        Ok(Self {
            handle,
            destroy,
            eval_fn,
            tick_fn,
            trace_open_fn,
            trace_dump_fn,
            trace_close_fn,
            has_trace,
            tracing: false,
            last_dump: None,
            ports,
            slots,
            clock: None,
            low_evaluated: false,
            cycles: 0,
            report,
            lib_path: path.to_path_buf(),
            _lib: lib,
        })
    }

    /// What the build did (cache hit, directory, timings).
    pub fn build_report(&self) -> &BuildReport {
        &self.report
    }

    /// Path of the loaded shared library.
    pub fn library_path(&self) -> &Path {
        &self.lib_path
    }

    /// Every top-level port, in the order of the model header.
    pub fn ports(&self) -> &[PortInfo] {
        &self.ports
    }

    /// Description of a port.
    pub fn port_info(&self, p: Port) -> &PortInfo {
        &self.ports[p.index().min(self.ports.len() - 1)]
    }

    /// Looks up a port by its Verilog name (`$` may be written as is or as Verilator's `__024`).
    pub fn port(&self, name: &str) -> Result<Port> {
        let cpp = ports::cpp_name(name);
        self.ports
            .iter()
            .position(|p| p.name == cpp)
            .map(|i| Port(i as u32))
            .ok_or_else(|| {
                let names: Vec<&str> = self.ports.iter().map(|p| p.name.as_str()).collect();
                anyhow!(
                    "the model has no port `{name}`; its ports are: {}",
                    names.join(", ")
                )
            })
    }

    /// Looks up a port and checks its direction and width.
    pub fn port_checked(&self, name: &str, dir: Direction, width: u32) -> Result<Port> {
        let p = self.port(name)?;
        let info = &self.ports[p.index()];
        if info.dir != dir || info.width != width {
            bail!(
                "port `{name}` is {:?} [{}:0] but {:?} [{}:0] was expected",
                info.dir,
                info.width.saturating_sub(1),
                dir,
                width.saturating_sub(1)
            );
        }
        Ok(p)
    }

    #[inline]
    fn slot(&self, p: Port) -> &Slot {
        &self.slots[p.index()]
    }

    /// Writes the low bits of `v` to a port (masked to its width; the upper words of a wide port
    /// are cleared). No FFI call.
    #[inline]
    pub fn set(&mut self, p: Port, v: u64) {
        let s = *self.slot(p);
        let v = if s.width >= 64 {
            v
        } else {
            v & ((1u64 << s.width) - 1)
        };
        // SAFETY: ptr points at the port's storage of the given type, owned by the live model.
        unsafe {
            match s.storage {
                Storage::U8 => *s.ptr = v as u8,
                Storage::U16 => *(s.ptr as *mut u16) = v as u16,
                Storage::U32 => *(s.ptr as *mut u32) = v as u32,
                Storage::U64 => *(s.ptr as *mut u64) = v,
                Storage::Wide(n) => {
                    let w = s.ptr as *mut u32;
                    *w = v as u32;
                    if n > 1 {
                        *w.add(1) = (v >> 32) as u32;
                    }
                    for i in 2..n as usize {
                        *w.add(i) = 0;
                    }
                    mask_top(w, s.width, n);
                }
            }
        }
    }

    /// Writes a port from little-endian 32-bit words (missing words are zero, extra words
    /// ignored, the value masked to the port's width). No FFI call.
    #[inline]
    pub fn set_words(&mut self, p: Port, words: &[u32]) {
        let s = *self.slot(p);
        match s.storage {
            Storage::Wide(n) => {
                let w = s.ptr as *mut u32;
                // SAFETY: the port holds n words.
                unsafe {
                    for i in 0..n as usize {
                        *w.add(i) = words.get(i).copied().unwrap_or(0);
                    }
                    mask_top(w, s.width, n);
                }
            }
            _ => {
                let v = words.first().copied().unwrap_or(0) as u64
                    | (words.get(1).copied().unwrap_or(0) as u64) << 32;
                self.set(p, v);
            }
        }
    }

    /// Reads the low 64 bits of a port. No FFI call.
    #[inline]
    pub fn get(&self, p: Port) -> u64 {
        let s = self.slot(p);
        // SAFETY: as in `set`.
        unsafe {
            match s.storage {
                Storage::U8 => *s.ptr as u64,
                Storage::U16 => *(s.ptr as *const u16) as u64,
                Storage::U32 => *(s.ptr as *const u32) as u64,
                Storage::U64 => *(s.ptr as *const u64),
                Storage::Wide(n) => {
                    let w = s.ptr as *const u32;
                    let hi = if n > 1 { *w.add(1) as u64 } else { 0 };
                    *w as u64 | hi << 32
                }
            }
        }
    }

    /// Reads a port into little-endian 32-bit words (`out` beyond the port's words is zeroed).
    #[inline]
    pub fn get_words(&self, p: Port, out: &mut [u32]) {
        let s = self.slot(p);
        match s.storage {
            Storage::Wide(n) => {
                let w = s.ptr as *const u32;
                for (i, o) in out.iter_mut().enumerate() {
                    // SAFETY: i < n.
                    *o = if i < n as usize {
                        unsafe { *w.add(i) }
                    } else {
                        0
                    };
                }
            }
            _ => {
                let v = self.get(p);
                for (i, o) in out.iter_mut().enumerate() {
                    *o = match i {
                        0 => v as u32,
                        1 => (v >> 32) as u32,
                        _ => 0,
                    };
                }
            }
        }
    }

    /// Reads `width` (<= 64) bits of a port starting at bit `lo`, zero-extended; bits past the
    /// port's width read as zero.
    #[inline]
    pub fn get_bits(&self, p: Port, lo: u32, width: u32) -> u64 {
        let s = self.slot(p);
        let width = width.min(64);
        if width == 0 || lo >= s.width {
            return 0;
        }
        let raw = match s.storage {
            Storage::Wide(n) => {
                let w = s.ptr as *const u32;
                let (first, shift) = ((lo / 32) as usize, lo % 32);
                let mut acc: u128 = 0;
                for k in 0..3usize {
                    let i = first + k;
                    if i < n as usize {
                        // SAFETY: i < n.
                        acc |= (unsafe { *w.add(i) } as u128) << (32 * k);
                    }
                }
                (acc >> shift) as u64
            }
            _ => self.get(p) >> lo,
        };
        if width == 64 {
            raw
        } else {
            raw & ((1u64 << width) - 1)
        }
    }

    /// Evaluates the model (one FFI call). Dumps a VCD sample when a trace is open.
    #[inline]
    pub fn eval(&mut self) {
        // SAFETY: live handle.
        unsafe { (self.eval_fn)(self.handle) };
        let clk = self.clock_slot();
        // SAFETY: the clock slot, when set, is a live 8-bit port.
        self.low_evaluated = !clk.is_null() && unsafe { *clk } == 0;
        if self.tracing {
            self.dump(2 * self.cycles);
        }
    }

    /// Names the clock used by [`Self::clock_edge`], [`Self::posedge`] and [`Self::run_cycles`].
    /// The clock must be a 1-bit input.
    pub fn set_clock(&mut self, name: &str) -> Result<Port> {
        let p = self.port_checked(name, Direction::Input, 1)?;
        self.clock = Some(p);
        Ok(p)
    }

    fn clock_slot(&self) -> *mut u8 {
        match self.clock {
            Some(c) => self.slots[c.index()].ptr,
            None => std::ptr::null_mut(),
        }
    }

    /// One full clock cycle: clock 0, eval, clock 1, eval (one FFI call). Counts the cycle.
    /// Does nothing but count when no clock was set with [`Self::set_clock`].
    #[inline]
    pub fn clock_edge(&mut self) {
        self.run_cycles(1);
    }

    /// `n` full clock cycles in one FFI call (see [`Self::clock_edge`]).
    pub fn run_cycles(&mut self, n: u64) {
        if let Some(c) = self.clock {
            if self.tracing {
                // Dump per half cycle from Rust so sample times stay consistent with `eval`.
                for _ in 0..n {
                    let ptr = self.clock_slot();
                    // SAFETY: clock slot is a live 8-bit port.
                    unsafe { *ptr = 0 };
                    self.eval();
                    self.posedge();
                }
                return;
            }
            // SAFETY: live handle; c is an 8-bit input port. The shim leaves the clock at 0
            // without evaluating it.
            unsafe { (self.tick_fn)(self.handle, c.0, n, self.cycles) };
            self.low_evaluated = false;
        }
        self.cycles += n;
    }

    /// The second half of a cycle for testbenches that set inputs and `eval` with the clock low
    /// (to sample combinational outputs) themselves: clock 1, eval, then clock 0 *without* an
    /// eval (the testbench's next `eval` does it). Counts the cycle. One FFI call when the last
    /// `eval` saw the clock low; otherwise it first evaluates the clock low so the edge is seen.
    #[inline]
    pub fn posedge(&mut self) {
        let ptr = self.clock_slot();
        if !ptr.is_null() {
            if !self.low_evaluated {
                // SAFETY: clock slot is a live 8-bit port.
                unsafe {
                    *ptr = 0;
                    (self.eval_fn)(self.handle);
                }
            }
            // SAFETY: clock slot is a live 8-bit port.
            unsafe {
                *ptr = 1;
                (self.eval_fn)(self.handle);
            }
            if self.tracing {
                self.dump(2 * self.cycles + 1);
            }
            // SAFETY: as above.
            unsafe { *ptr = 0 };
            self.low_evaluated = false;
        }
        self.cycles += 1;
    }

    /// Cycles run so far.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }

    /// Opens a VCD file; the model must have been built with [`BuildOptions::trace`]. Samples are
    /// dumped at every `eval` (time 2t, clock low) and rising edge (2t + 1) of cycle t.
    pub fn trace_open(&mut self, path: &Path) -> Result<()> {
        if !self.has_trace {
            bail!("the model was built without tracing: set BuildOptions::trace to write a VCD");
        }
        if self.tracing {
            bail!("a trace is already open");
        }
        let c = CString::new(path.to_string_lossy().as_bytes()).context("VCD path contains NUL")?;
        // SAFETY: live handle, NUL-terminated path.
        let rc = unsafe { (self.trace_open_fn)(self.handle, c.as_ptr()) };
        match rc {
            0 => {}
            // The shim's codes: -1 built without tracing, -2 a trace already open, -3 the file
            // could not be opened.
            -3 => {
                let why = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    Some(dir) if !dir.is_dir() => {
                        format!("the folder {} does not exist", dir.display())
                    }
                    _ => "the file cannot be created".to_string(),
                };
                bail!("{}: cannot write the VCD: {why}", path.display());
            }
            _ => bail!("{}: cannot write the VCD (shim code {rc})", path.display()),
        }
        self.tracing = true;
        self.last_dump = None;
        Ok(())
    }

    /// Closes the VCD file (no-op without one).
    pub fn trace_close(&mut self) {
        if self.tracing {
            // SAFETY: live handle.
            unsafe { (self.trace_close_fn)(self.handle) };
            self.tracing = false;
        }
    }

    fn dump(&mut self, t: u64) {
        let newer = match self.last_dump {
            Some(l) => t > l,
            None => true,
        };
        if newer {
            // SAFETY: live handle with an open trace.
            unsafe { (self.trace_dump_fn)(self.handle, t) };
            self.last_dump = Some(t);
        }
    }
}

/// Clears the bits above `width` in the top word of a wide port.
///
/// # Safety
/// `w` points at `n` writable words.
#[inline]
unsafe fn mask_top(w: *mut u32, width: u32, n: u32) {
    if width & 31 != 0 && n > 0 {
        *w.add(n as usize - 1) &= (1u32 << (width % 32)) - 1;
    }
}

impl Drop for VerilatedModel {
    fn drop(&mut self) {
        self.trace_close();
        // SAFETY: handle came from create() and is destroyed once; the library is still loaded.
        unsafe { (self.destroy)(self.handle) };
    }
}

impl std::fmt::Debug for VerilatedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerilatedModel")
            .field("library", &self.lib_path)
            .field("ports", &self.ports.len())
            .field("cycles", &self.cycles)
            .finish()
    }
}
