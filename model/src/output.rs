//! All-or-nothing output: every file is written to a temporary sibling and renamed into place
//! on success, so a failed write never leaves a half-written file ([`crate::npy::write_atomic`]
//! for arrays).

use crate::npy::fail;
use crate::ModelError;
use std::path::{Path, PathBuf};

type Result<T> = std::result::Result<T, ModelError>;

/// Writes text (a JSON report) atomically.
pub fn write_text_atomic(path: &Path, text: &str) -> Result<()> {
    let tmp = temp_sibling(path);
    let result = std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|e| fail(path, format!("cannot write: {e}")));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

pub(crate) fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}
