//! Where compiled models live, how they are keyed, and how the cache stays sound and bounded.
//!
//! A model's folder is `<root>/<key>` (the key a SHA-256 of everything that shapes the
//! library, [`hash_parts`]); builds happen in `<root>/<key>.tmp-<pid>-<nonce>` and are
//! renamed into place ([`publish`]). Beside the library, [`MANIFEST`] records its size and
//! SHA-256 at publish; a cached library is loaded only after it matches ([`verify`]), else
//! it is discarded and rebuilt (a truncated `model.so` from a full disk or a killed copy no
//! longer fails every later run). The manifest's modification time is the model's last use.
//! [`sweep`] removes the temporary folders of builders that died; [`evict`] keeps the cache
//! within [`CacheLimits`], least recently used first.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The file beside a model's library: its size and SHA-256 (`<size> <hex>`), written at publish.
pub const MANIFEST: &str = "model.so.sha256";

/// A temporary folder whose owner is alive is still swept when older than this (its process
/// id was reused).
const TEMP_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// The cache root: `$LOGATTN_CACHE` if set; else `<target dir>/verilator-cache`, where the target
/// dir is `$CARGO_TARGET_DIR` or the nearest ancestor of the running executable holding cargo's
/// `CACHEDIR.TAG`; else `<temp dir>/logattn-verilator-cache`.
pub fn default_cache_root() -> PathBuf {
    if let Some(p) = std::env::var_os("LOGATTN_CACHE").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("CARGO_TARGET_DIR").filter(|p| !p.is_empty()) {
        return PathBuf::from(p).join("verilator-cache");
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Some(t) = exe
            .ancestors()
            .skip(1)
            .find(|d| d.join("CACHEDIR.TAG").is_file())
        {
            return t.join("verilator-cache");
        }
    }
    std::env::temp_dir().join("logattn-verilator-cache")
}

/// How large the cache may grow: at most `models` models and `megabytes` MB (whichever is
/// reached first); the least recently used go first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheLimits {
    pub models: usize,
    pub megabytes: u64,
}

impl Default for CacheLimits {
    /// `$LOGATTN_CACHE_MAX_MODELS` (default 256) and `$LOGATTN_CACHE_MAX_MB` (default 4096),
    /// read once per process: room for every model the tests and the results build, a few
    /// times over.
    fn default() -> Self {
        static FROM_ENV: std::sync::OnceLock<CacheLimits> = std::sync::OnceLock::new();
        *FROM_ENV.get_or_init(Self::from_env)
    }
}

impl CacheLimits {
    fn from_env() -> Self {
        let env = |k: &str, d: u64| match std::env::var(k) {
            Ok(s) if !s.trim().is_empty() => s.trim().parse::<u64>().unwrap_or_else(|_| {
                eprintln!("[sim] {k}={s:?} is not a whole number: using {d}");
                d
            }),
            _ => d,
        };
        Self {
            models: env("LOGATTN_CACHE_MAX_MODELS", 256) as usize,
            megabytes: env("LOGATTN_CACHE_MAX_MB", 4096),
        }
    }
}

/// A SHA-256 over length-prefixed parts, as lowercase hex.
pub fn hash_parts(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn lib_of(dir: &Path) -> PathBuf {
    dir.join(super::compile::LIB_NAME)
}

/// The size and SHA-256 of the library in `dir`, as the manifest states them.
fn fingerprint(dir: &Path) -> std::io::Result<String> {
    let bytes = std::fs::read(lib_of(dir))?;
    Ok(format!("{} {}", bytes.len(), hex(&Sha256::digest(&bytes))))
}

/// Records the library's size and hash in `dir` (a build folder, before [`publish`]).
pub fn write_manifest(dir: &Path) -> Result<()> {
    let path = dir.join(MANIFEST);
    let f = fingerprint(dir).with_context(|| format!("reading {}", lib_of(dir).display()))?;
    std::fs::write(&path, f + "\n").with_context(|| format!("writing {}", path.display()))
}

/// Checks a cached model: its library has the size and hash its manifest recorded. The error
/// says what is wrong.
pub fn verify(dir: &Path) -> std::result::Result<(), String> {
    let lib = lib_of(dir);
    let want =
        std::fs::read_to_string(dir.join(MANIFEST)).map_err(|e| format!("no manifest ({e})"))?;
    let want = want.trim();
    let size: u64 = want
        .split(' ')
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("a corrupt manifest ({want:?})"))?;
    let got_size = std::fs::metadata(&lib)
        .map_err(|e| format!("{}: {e}", lib.display()))?
        .len();
    if got_size != size {
        return Err(format!(
            "{} has {got_size} bytes, {size} when it was built",
            lib.display()
        ));
    }
    let got = fingerprint(dir).map_err(|e| format!("{}: {e}", lib.display()))?;
    if got != want {
        return Err(format!(
            "{}'s SHA-256 differs from the one recorded when it was built",
            lib.display()
        ));
    }
    Ok(())
}

/// Marks a cached model as used now (the manifest's modification time, for [`evict`]).
pub fn touch(dir: &Path) {
    if let Ok(f) = std::fs::File::options()
        .write(true)
        .open(dir.join(MANIFEST))
    {
        let _ = f.set_modified(SystemTime::now());
    }
}

/// Removes a cached model: renamed aside first (one atomic step, so no other process finds
/// it half removed), then deleted.
pub fn discard(dir: &Path) {
    let Some(name) = dir.file_name() else { return };
    let aside = dir.with_file_name(format!(
        "{}.tmp-{}-discarded-{}",
        name.to_string_lossy(),
        std::process::id(),
        nonce()
    ));
    if std::fs::rename(dir, &aside).is_ok() {
        let _ = std::fs::remove_dir_all(&aside);
    }
}

/// A number that differs between calls (for temporary names).
pub fn nonce() -> u128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Moves a finished build directory into place. Another process may have won the race: then its
/// result is used (if it checks out) and ours removed.
pub fn publish(tmp: &Path, dest: &Path) -> Result<()> {
    for _ in 0..2 {
        match std::fs::rename(tmp, dest) {
            Ok(()) => return Ok(()),
            Err(e) => {
                if !dest.exists() {
                    return Err(e).with_context(|| {
                        format!("moving {} to {}", tmp.display(), dest.display())
                    });
                }
                if verify(dest).is_ok() {
                    let _ = std::fs::remove_dir_all(tmp);
                    return Ok(());
                }
                // What is there is not a sound model: replace it.
                discard(dest);
            }
        }
    }
    anyhow::bail!(
        "could not move {} to {}: another process keeps replacing it",
        tmp.display(),
        dest.display()
    )
}

/// The process that owns a temporary folder `<key>.tmp-<pid>-...`, if the name is one.
fn temp_owner(name: &str) -> Option<u32> {
    let rest = &name[name.find(".tmp-")? + 5..];
    rest.split('-').next()?.parse().ok()
}

/// Whether process `pid` is alive (`None`: this system cannot tell).
fn alive(pid: u32) -> Option<bool> {
    let proc_fs = Path::new("/proc");
    proc_fs
        .join("self")
        .exists()
        .then(|| proc_fs.join(pid.to_string()).exists())
}

/// Removes the temporary build folders under `root` whose builder is gone (a killed build),
/// or that are older than a day. Returns how many it removed.
pub fn sweep(root: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(root) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = temp_owner(&name) else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > TEMP_MAX_AGE);
        if alive(pid) == Some(false) || old {
            let p = e.path();
            let gone = if p.is_dir() {
                std::fs::remove_dir_all(&p)
            } else {
                std::fs::remove_file(&p)
            };
            removed += usize::from(gone.is_ok());
        }
    }
    removed
}

/// [`sweep`] once per process and root.
pub fn sweep_once(root: &Path) {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static DONE: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    let first = DONE
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .map(|mut d| d.insert(root.to_path_buf()))
        .unwrap_or(false);
    if first {
        sweep(root);
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

/// Whether `name` is a model folder's: a 64-digit hex key.
fn is_model(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Removes the least recently used models under `root` until at most `limits` remain,
/// never `keep` (the model just built). Returns the folders removed.
pub fn evict(root: &Path, keep: &Path, limits: CacheLimits) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    // (last use, bytes, folder), most recent first.
    let mut models: Vec<(SystemTime, u64, PathBuf)> = entries
        .flatten()
        .filter(|e| is_model(&e.file_name().to_string_lossy()))
        .map(|e| {
            let p = e.path();
            let used = std::fs::metadata(p.join(MANIFEST))
                .or_else(|_| e.metadata())
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            (used, dir_bytes(&p), p)
        })
        .collect();
    models.sort_by_key(|m| std::cmp::Reverse(m.0));
    if let Some(i) = models.iter().position(|m| m.2 == keep) {
        let k = models.remove(i);
        models.insert(0, k);
    }
    let max_bytes = limits.megabytes.saturating_mul(1 << 20);
    let (mut count, mut bytes) = (0usize, 0u64);
    let mut removed = Vec::new();
    for (i, (_, b, p)) in models.into_iter().enumerate() {
        if i == 0 || (count < limits.models && bytes + b <= max_bytes) {
            count += 1;
            bytes += b;
        } else {
            discard(&p);
            removed.push(p);
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_prefix_free() {
        assert_eq!(hash_parts(&[b"ab", b"c"]), hash_parts(&[b"ab", b"c"]));
        assert_ne!(hash_parts(&[b"ab", b"c"]), hash_parts(&[b"a", b"bc"]));
        assert_eq!(hash_parts(&[]).len(), 64);
    }

    fn root(name: &str) -> PathBuf {
        let r = std::env::temp_dir().join(format!("logattn-cache-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&r);
        std::fs::create_dir_all(&r).unwrap();
        r
    }

    /// A model folder holding a fake library of `bytes` bytes, published with its manifest.
    fn fake_model(root: &Path, key: char, bytes: usize) -> PathBuf {
        let d = root.join(key.to_string().repeat(64));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(lib_of(&d), vec![7u8; bytes]).unwrap();
        write_manifest(&d).unwrap();
        d
    }

    #[test]
    fn a_library_that_changed_after_publish_fails_verification() {
        let r = root("verify");
        let d = fake_model(&r, 'a', 1000);
        assert_eq!(verify(&d), Ok(()));
        // Truncated (a full disk, a killed copy).
        let lib = lib_of(&d);
        std::fs::write(&lib, vec![7u8; 600]).unwrap();
        let e = verify(&d).unwrap_err();
        assert!(e.contains("has 600 bytes, 1000 when it was built"), "{e}");
        // Same size, other bytes.
        std::fs::write(&lib, vec![8u8; 1000]).unwrap();
        assert!(verify(&d).unwrap_err().contains("SHA-256 differs"));
        // No manifest (a folder from before manifests).
        std::fs::remove_file(d.join(MANIFEST)).unwrap();
        assert!(verify(&d).unwrap_err().starts_with("no manifest"));
    }

    #[test]
    fn sweep_removes_the_temporary_folders_of_dead_builders_only() {
        let r = root("sweep");
        let key = "b".repeat(64);
        // No process has pid 4000000000 (above Linux's pid_max).
        let dead = r.join(format!("{key}.tmp-4000000000-123"));
        let mine = r.join(format!("{key}.tmp-{}-456", std::process::id()));
        let model = fake_model(&r, 'c', 10);
        for d in [&dead, &mine] {
            std::fs::create_dir_all(d.join("obj_dir")).unwrap();
        }
        if alive(1).is_none() {
            return; // no /proc: only the age rule applies
        }
        assert_eq!(sweep(&r), 1);
        assert!(!dead.exists() && mine.exists() && model.exists());
    }

    #[test]
    fn eviction_keeps_the_most_recent_models_within_the_limits() {
        let r = root("evict");
        let keys = ['1', '2', '3', '4'];
        let dirs: Vec<PathBuf> = keys.iter().map(|&k| fake_model(&r, k, 1 << 19)).collect();
        // Last used: '1' oldest ... '4' newest.
        for (i, d) in dirs.iter().enumerate() {
            let f = std::fs::File::options()
                .write(true)
                .open(d.join(MANIFEST))
                .unwrap();
            f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1000 + i as u64))
                .unwrap();
        }
        // By count: the two most recent stay, and the one just built ('1') is never evicted.
        let limits = CacheLimits {
            models: 2,
            megabytes: 100,
        };
        let gone = evict(&r, &dirs[0], limits);
        assert_eq!(gone, [dirs[2].clone(), dirs[1].clone()]);
        assert!(dirs[0].exists() && dirs[3].exists());
        // By size: 1 MB holds the two newest (0.4 MB each), not a third (0.5 MB).
        let dirs: Vec<PathBuf> = ['5', '6']
            .iter()
            .map(|&k| fake_model(&r, k, 400_000))
            .collect();
        let limits = CacheLimits {
            models: 100,
            megabytes: 1,
        };
        let gone = evict(&r, &dirs[1], limits);
        assert_eq!(gone.len(), 2, "{gone:?}");
        assert!(dirs[0].exists() && dirs[1].exists());
    }
}
