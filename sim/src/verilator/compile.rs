//! Verilating and compiling a model into the cache: `verilator --cc`, the generated shim, `g++`
//! in parallel, one shared library per distinct Verilog + options.

use super::cache::{self, default_cache_root, hash_parts, publish};
use super::ports::parse_header;
use super::shim::{self, SHIM_VERSION};
use super::BuildOptions;
use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// File name of the compiled model inside its cache directory.
pub const LIB_NAME: &str = "model.so";

/// Verilator arguments always passed (before `--top-module`).
pub const VERILATOR_ARGS: &[&str] = &[
    "--cc",
    "-O3",
    "--x-assign",
    "fast",
    "--x-initial",
    "fast",
    "-Wno-WIDTH",
    "-Wno-DECLFILENAME",
    "-Wno-UNOPTFLAT",
];

/// Generated C++ files smaller than this are compiled together in one translation unit.
const UNITY_MAX_BYTES: u64 = 64 * 1024;

/// Flags of every C++ compile besides the optimisation level and include paths.
const CXX_FLAGS: &[&str] = &[
    "-fPIC",
    "-fvisibility=hidden",
    "-faligned-new",
    "-fcf-protection=none",
    "-Wno-bool-operation",
    "-Wno-sign-compare",
    "-Wno-uninitialized",
    "-Wno-unused-but-set-variable",
    "-Wno-unused-parameter",
    "-Wno-unused-variable",
    "-Wno-shadow",
    "-DVM_COVERAGE=0",
    "-DVM_SC=0",
    "-DVM_TRACE_FST=0",
];

/// What a build did: where the model is and how long each step took.
#[derive(Clone, Debug)]
pub struct BuildReport {
    /// The model's cache directory.
    pub dir: PathBuf,
    /// The cache key (SHA-256 hex).
    pub hash: String,
    /// True when the library was already in the cache.
    pub cache_hit: bool,
    /// Seconds spent in `verilator` (0 on a hit).
    pub verilate_secs: f64,
    /// Seconds spent compiling and linking C++ (0 on a hit).
    pub compile_secs: f64,
}

/// The Verilator install: its version line and include directory.
#[derive(Clone)]
struct Toolchain {
    version: String,
    include: PathBuf,
}

/// The toolchain behind `verilator`, asked once per process (the `verilator` wrapper is a Perl
/// script: each query costs ~0.1-0.3 s, which would dominate a cache hit).
fn toolchain(verilator: &str) -> Result<Toolchain> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static KNOWN: OnceLock<Mutex<HashMap<String, Toolchain>>> = OnceLock::new();
    let known = KNOWN.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(t) = known.lock().ok().and_then(|k| k.get(verilator).cloned()) {
        return Ok(t);
    }
    let t = query_toolchain(verilator)?;
    if let Ok(mut k) = known.lock() {
        k.insert(verilator.to_string(), t.clone());
    }
    Ok(t)
}

fn query_toolchain(verilator: &str) -> Result<Toolchain> {
    let out = run_capture(
        Command::new(verilator).arg("--version"),
        "verilator --version",
    )?;
    let version = String::from_utf8_lossy(&out).trim().to_string();
    let root = run_capture(
        Command::new(verilator).args(["--getenv", "VERILATOR_ROOT"]),
        "verilator --getenv",
    )?;
    let root = PathBuf::from(String::from_utf8_lossy(&root).trim());
    let include = root.join("include");
    if !include.join("verilated.cpp").is_file() {
        bail!("Verilator's runtime sources are not at {} (from `{verilator} --getenv VERILATOR_ROOT`)", include.display());
    }
    Ok(Toolchain { version, include })
}

/// Makes sure the model for `verilog` with top module `top` is in the cache; returns the path of
/// its shared library and what the build did.
pub fn ensure_built(
    verilog: &str,
    top: &str,
    opts: &BuildOptions,
) -> Result<(PathBuf, BuildReport)> {
    if top.is_empty() || !top.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("top module name {top:?} is not a plain Verilog identifier");
    }
    let tc = toolchain(&opts.verilator)?;
    let mut vargs: Vec<String> = VERILATOR_ARGS.iter().map(|s| s.to_string()).collect();
    if opts.trace {
        vargs.push("--trace".into());
    }
    vargs.extend(opts.extra_verilator_args.iter().cloned());
    let cxx_key = format!(
        "{} {} {} {}",
        opts.cxx,
        opts.opt_fast,
        opts.opt_slow,
        CXX_FLAGS.join(" ")
    );
    let hash = hash_parts(&[
        b"logattn-sim-model",
        &SHIM_VERSION.to_le_bytes(),
        include_str!("shim.cpp.in").as_bytes(),
        tc.version.as_bytes(),
        vargs.join("\0").as_bytes(),
        cxx_key.as_bytes(),
        top.as_bytes(),
        verilog.as_bytes(),
    ]);
    let root = opts.cache_dir.clone().unwrap_or_else(default_cache_root);
    cache::sweep_once(&root);
    let dir = root.join(&hash);
    let lib = dir.join(LIB_NAME);
    if dir.exists() {
        // Loaded only if it is what was built; else built again.
        match cache::verify(&dir) {
            Ok(()) => {
                cache::touch(&dir);
                return Ok((
                    lib,
                    BuildReport {
                        dir,
                        hash,
                        cache_hit: true,
                        verilate_secs: 0.0,
                        compile_secs: 0.0,
                    },
                ));
            }
            Err(why) => {
                if opts.verbose {
                    eprintln!(
                        "[sim] cached model {} is unsound ({why}): rebuilding it",
                        dir.display()
                    );
                }
                cache::discard(&dir);
            }
        }
    }
    std::fs::create_dir_all(&root)
        .with_context(|| format!("creating cache root {}", root.display()))?;
    let tmp = root.join(format!(
        "{hash}.tmp-{}-{}",
        std::process::id(),
        cache::nonce()
    ));
    std::fs::create_dir_all(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let result = build_into(&tmp, verilog, top, opts, &tc, &vargs, &root);
    let (verilate_secs, compile_secs) = match result {
        Ok(t) => t,
        Err(e) => {
            if !opts.keep_failed {
                let _ = std::fs::remove_dir_all(&tmp);
            }
            return Err(e);
        }
    };
    publish(&tmp, &dir)?;
    cache::touch(&dir);
    let evicted = cache::evict(&root, &dir, opts.cache_limits);
    if opts.verbose {
        eprintln!("[sim] model {top} ready in {}", dir.display());
        if !evicted.is_empty() {
            eprintln!(
                "[sim] removed the {} least recently used models from the cache (limits: {} models, {} MB)",
                evicted.len(),
                opts.cache_limits.models,
                opts.cache_limits.megabytes
            );
        }
    }
    Ok((
        lib,
        BuildReport {
            dir,
            hash,
            cache_hit: false,
            verilate_secs,
            compile_secs,
        },
    ))
}

fn build_into(
    tmp: &Path,
    verilog: &str,
    top: &str,
    opts: &BuildOptions,
    tc: &Toolchain,
    vargs: &[String],
    root: &Path,
) -> Result<(f64, f64)> {
    let src = tmp.join("top.v");
    std::fs::write(&src, verilog).with_context(|| format!("writing {}", src.display()))?;
    let obj_dir = tmp.join("obj_dir");
    if opts.verbose {
        eprintln!(
            "[sim] verilating {top} ({} KiB of Verilog) in {}",
            verilog.len() / 1024,
            tmp.display()
        );
    }
    let t0 = Instant::now();
    let mut cmd = Command::new(&opts.verilator);
    cmd.args(vargs)
        .arg("--Mdir")
        .arg(&obj_dir)
        .args(["--top-module", top])
        .arg(&src)
        .current_dir(tmp);
    run_logged(&mut cmd, &tmp.join("verilator.log"), "verilator")?;
    let verilate_secs = t0.elapsed().as_secs_f64();

    let class = format!("V{top}");
    let header_path = obj_dir.join(format!("{class}.h"));
    let header = std::fs::read_to_string(&header_path).with_context(|| {
        format!(
            "reading the generated model header {}",
            header_path.display()
        )
    })?;
    let ports =
        parse_header(&header).with_context(|| format!("parsing {}", header_path.display()))?;
    let shim_path = obj_dir.join("logattn_shim.cpp");
    std::fs::write(&shim_path, shim::generate(&class, &ports))
        .with_context(|| format!("writing {}", shim_path.display()))?;

    let t1 = Instant::now();
    let trace_def = if opts.trace { "1" } else { "0" };
    let defs = [
        format!("-DVM_TRACE={trace_def}"),
        format!("-DVM_TRACE_VCD={trace_def}"),
    ];
    let incs = [
        format!("-I{}", obj_dir.display()),
        format!("-I{}", tc.include.display()),
        format!("-I{}", tc.include.join("vltstd").display()),
    ];

    // Runtime objects are the same for every model with these flags: compile them once.
    let mut runtime_srcs = vec!["verilated.cpp", "verilated_threads.cpp"];
    if opts.trace {
        runtime_srcs.push("verilated_vcd_c.cpp");
    }
    let rt_hash = hash_parts(&[
        b"logattn-sim-runtime",
        tc.version.as_bytes(),
        opts.cxx.as_bytes(),
        CXX_FLAGS.join(" ").as_bytes(),
        opts.opt_fast.as_bytes(),
        trace_def.as_bytes(),
    ]);
    let rt_dir = root.join(format!("runtime-{}", &rt_hash[..16]));
    let mut jobs: Vec<CompileJob> = Vec::new();
    let mut objects = Vec::new();
    let rt_tmp = tmp.join("runtime");
    let is_cached = || {
        runtime_srcs
            .iter()
            .all(|s| rt_dir.join(obj_name(s)).is_file())
    };
    // Only one builder compiles the runtime; the others wait for it (parallel tests would otherwise
    // all compile the same ~8 s file at once).
    let _rt_lock = if is_cached() {
        None
    } else {
        wait_or_lock(
            &root.join(format!("runtime-{}.lock", &rt_hash[..16])),
            &is_cached,
            opts,
        )
    };
    let rt_cached = is_cached();
    for s in &runtime_srcs {
        if rt_cached {
            objects.push(rt_dir.join(obj_name(s)));
        } else {
            let out = rt_tmp.join(obj_name(s));
            // The runtime is the slowest file (~8 s): start it first.
            jobs.push(CompileJob {
                src: tc.include.join(s),
                out: out.clone(),
                opt: opts.opt_fast.clone(),
                weight: u64::MAX,
            });
            objects.push(out);
        }
    }
    if !rt_cached {
        std::fs::create_dir_all(&rt_tmp)
            .with_context(|| format!("creating {}", rt_tmp.display()))?;
    }
    // The model's own sources: everything Verilator generated for this class, plus the shim.
    let mut model_srcs: Vec<PathBuf> = std::fs::read_dir(&obj_dir)
        .with_context(|| format!("listing {}", obj_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            n.ends_with(".cpp")
                && (n.starts_with(&format!("{class}."))
                    || n.starts_with(&format!("{class}_"))
                    || n == "logattn_shim.cpp")
        })
        .collect();
    model_srcs.sort();
    // Each C++ file pays ~1.5 s for Verilator's headers, so small files are compiled together in one
    // "unity" translation unit per optimisation level (as Verilator's own `__ALL.cpp` does); big
    // files (the generated logic) compile alone so the jobs can share them out.
    let mut unity: [(Vec<String>, String, &str, u64); 2] = [
        (Vec::new(), opts.opt_fast.clone(), "logattn_unity_fast", 0),
        (Vec::new(), opts.opt_slow.clone(), "logattn_unity_slow", 0),
    ];
    for s in &model_srcs {
        let name = s
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("x.cpp")
            .to_string();
        let slow = name.contains("__Slow") || name.contains("__Syms");
        let size = std::fs::metadata(s).map(|m| m.len()).unwrap_or(0);
        if size < UNITY_MAX_BYTES {
            unity[slow as usize].0.push(name);
            unity[slow as usize].3 += size;
            continue;
        }
        let opt = if slow {
            opts.opt_slow.clone()
        } else {
            opts.opt_fast.clone()
        };
        let out = obj_dir.join(obj_name(&name));
        jobs.push(CompileJob {
            src: s.clone(),
            out: out.clone(),
            opt,
            weight: weight_of(size),
        });
        objects.push(out);
    }
    for (files, opt, stem, bytes) in unity {
        if files.is_empty() {
            continue;
        }
        let text: String = files
            .iter()
            .map(|f| format!("#include \"{f}\"\n"))
            .collect();
        let src = obj_dir.join(format!("{stem}.cpp"));
        std::fs::write(&src, text).with_context(|| format!("writing {}", src.display()))?;
        let out = obj_dir.join(format!("{stem}.o"));
        jobs.push(CompileJob {
            src,
            out: out.clone(),
            opt,
            weight: weight_of(bytes),
        });
        objects.push(out);
    }
    // Biggest first, so the pool finishes together.
    jobs.sort_by_key(|j| std::cmp::Reverse(j.weight));
    if opts.verbose {
        eprintln!(
            "[sim] compiling {} C++ files with {} jobs ({} runtime files {})",
            jobs.len(),
            opts.jobs.max(1),
            runtime_srcs.len(),
            if rt_cached { "cached" } else { "included" }
        );
    }
    compile_parallel(&jobs, opts, &defs, &incs)?;
    let lib = tmp.join(LIB_NAME);
    let mut link = Command::new(&opts.cxx);
    link.args(["-shared", "-fPIC", "-Wl,-Bsymbolic", "-o"])
        .arg(&lib)
        .args(&objects)
        .args(["-pthread", "-lpthread", "-latomic"]);
    run_logged(&mut link, &tmp.join("link.log"), "link")?;
    cache::write_manifest(tmp)?;
    if !rt_cached {
        // Share the runtime objects with later builds. A directory rename onto an existing
        // non-empty one fails, so racing builders cannot clobber each other.
        if std::fs::rename(&rt_tmp, &rt_dir).is_err() {
            let _ = std::fs::remove_dir_all(&rt_tmp);
        }
    }
    let compile_secs = t1.elapsed().as_secs_f64();
    if opts.verbose {
        eprintln!("[sim] verilate {verilate_secs:.1} s, compile+link {compile_secs:.1} s");
    }
    Ok((verilate_secs, compile_secs))
}

/// Holds a lock file; removes it when dropped.
struct LockGuard(PathBuf);

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Takes the lock at `path`, or waits until `ready()` holds (another builder finished) and
/// returns `None`. A lock whose owner process is gone, or older than 10 minutes, is taken over.
fn wait_or_lock(path: &Path, ready: &dyn Fn() -> bool, opts: &BuildOptions) -> Option<LockGuard> {
    let start = Instant::now();
    let mut told = false;
    loop {
        if ready() {
            return None;
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(mut f) => {
                use std::io::Write;
                let _ = write!(f, "{}", std::process::id());
                return Some(LockGuard(path.to_path_buf()));
            }
            Err(_) => {
                let owner = std::fs::read_to_string(path)
                    .ok()
                    .and_then(|s| s.trim().parse::<u32>().ok());
                let alive = match owner {
                    Some(pid) => Path::new(&format!("/proc/{pid}")).exists(),
                    None => true,
                };
                let old = std::fs::metadata(path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age.as_secs() > 600);
                if (!alive && owner.is_some()) || old || start.elapsed().as_secs() > 600 {
                    let _ = std::fs::remove_file(path);
                    continue;
                }
                if opts.verbose && !told {
                    eprintln!(
                        "[sim] waiting for another build of the Verilator runtime ({})",
                        path.display()
                    );
                    told = true;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
    }
}

fn obj_name(src: &str) -> String {
    format!("{}.o", src.trim_end_matches(".cpp"))
}

struct CompileJob {
    src: PathBuf,
    out: PathBuf,
    opt: String,
    /// Estimated cost, for biggest-first scheduling.
    weight: u64,
}

/// Estimated compile cost of a translation unit with `bytes` of generated code: the headers cost
/// about as much as 50 KB of Verilator output.
fn weight_of(bytes: u64) -> u64 {
    bytes + 50 * 1024
}

/// Runs the compile jobs, at most `opts.jobs` at a time; the first failure stops the pool and is
/// reported with its command and the tail of its stderr.
fn compile_parallel(
    jobs: &[CompileJob],
    opts: &BuildOptions,
    defs: &[String],
    incs: &[String],
) -> Result<()> {
    let width = opts.jobs.max(1);
    let mut running: Vec<(Child, usize, PathBuf, String)> = Vec::new();
    let mut next = 0;
    let mut failure: Option<anyhow::Error> = None;
    while (next < jobs.len() && failure.is_none()) || !running.is_empty() {
        while failure.is_none() && next < jobs.len() && running.len() < width {
            let j = &jobs[next];
            let err_path = j.out.with_extension("err");
            let err_file = std::fs::File::create(&err_path)
                .with_context(|| format!("creating {}", err_path.display()))?;
            let mut cmd = Command::new(&opts.cxx);
            cmd.arg(&j.opt)
                .args(CXX_FLAGS)
                .args(defs)
                .args(incs)
                .arg("-c")
                .arg(&j.src)
                .arg("-o")
                .arg(&j.out);
            cmd.stdout(Stdio::null()).stderr(err_file);
            let line = describe(&cmd);
            let child = cmd.spawn().with_context(|| format!("starting `{line}`"))?;
            running.push((child, next, err_path, line));
            next += 1;
        }
        if running.is_empty() {
            break;
        }
        // Wait for whichever job finishes first.
        let done = loop {
            let mut found = None;
            for (i, r) in running.iter_mut().enumerate() {
                if let Some(st) =
                    r.0.try_wait()
                        .with_context(|| format!("waiting for `{}`", r.3))?
                {
                    found = Some((i, st));
                    break;
                }
            }
            match found {
                Some(f) => break f,
                None => std::thread::sleep(std::time::Duration::from_millis(20)),
            }
        };
        let (i, status) = done;
        let (_child, _idx, err_path, line) = running.remove(i);
        if !status.success() && failure.is_none() {
            let err = std::fs::read_to_string(&err_path).unwrap_or_default();
            failure = Some(anyhow!(
                "`{line}` failed ({status}); stderr tail:\n{}",
                tail(&err, 30)
            ));
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// The last `n` lines of `text`.
pub(crate) fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Runs `cmd`, logging both streams to `log`; on failure the error names the command and quotes
/// the tail of its output.
fn run_logged(cmd: &mut Command, log: &Path, what: &str) -> Result<()> {
    let line = describe(cmd);
    let out = cmd.stdin(Stdio::null()).output().with_context(|| {
        format!("could not start {what}: `{line}` (is it installed and on PATH?)")
    })?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let _ = std::fs::write(log, &text);
    if !out.status.success() {
        bail!(
            "{what} failed ({}): `{line}`; output tail:\n{}",
            out.status,
            tail(&text, 30)
        );
    }
    Ok(())
}

fn run_capture(cmd: &mut Command, what: &str) -> Result<Vec<u8>> {
    let line = describe(cmd);
    let out = cmd.stdin(Stdio::null()).output().with_context(|| {
        format!("could not start {what}: `{line}` (is Verilator installed and on PATH?)")
    })?;
    if !out.status.success() {
        bail!(
            "{what} failed ({}): `{line}`; stderr tail:\n{}",
            out.status,
            tail(&String::from_utf8_lossy(&out.stderr), 30)
        );
    }
    Ok(out.stdout)
}
