//! Where compiled models live and how they are keyed.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

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

/// A SHA-256 over length-prefixed parts, as lowercase hex.
pub fn hash_parts(parts: &[&[u8]]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Moves a finished build directory into place. Another process may have won the race: then its
/// result is used and ours removed.
pub fn publish(tmp: &Path, dest: &Path) -> Result<()> {
    match std::fs::rename(tmp, dest) {
        Ok(()) => Ok(()),
        Err(e) => {
            if dest.join(super::compile::LIB_NAME).is_file() {
                let _ = std::fs::remove_dir_all(tmp);
                Ok(())
            } else {
                Err(e).with_context(|| format!("moving {} to {}", tmp.display(), dest.display()))
            }
        }
    }
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
}
