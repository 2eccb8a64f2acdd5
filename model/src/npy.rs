//! Reading and writing `.npy` files with errors that name the file and the problem, and
//! all-or-nothing output (a temporary file renamed into place). Every runner (host, sim) reads
//! tensors through here.

use crate::ModelError;
use ndarray::{ArrayD, Dimension};
use ndarray_npy::npy::header::Header;
use ndarray_npy::{ReadNpyError, ReadNpyExt, ReadableElement, WritableElement, WriteNpyExt};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

type Result<T> = std::result::Result<T, ModelError>;

pub(crate) fn fail(path: &Path, why: impl std::fmt::Display) -> ModelError {
    ModelError::Io(format!("{}: {why}", path.display()))
}

/// Reads an `.npy` array of element type `T` and any rank.
pub fn read<T: ReadableElement>(path: &Path) -> Result<ArrayD<T>> {
    let bytes = std::fs::read(path).map_err(|e| fail(path, format!("cannot open: {e}")))?;
    read_bytes(&bytes, path)
}

/// Reads an `.npy` array from `bytes` (errors name `path`). The header's shape is checked
/// against the bytes that follow it before anything is allocated for the data, so a corrupt
/// or hostile header cannot make the reader allocate more than the file holds.
pub fn read_bytes<T: ReadableElement>(bytes: &[u8], path: &Path) -> Result<ArrayD<T>> {
    let len = bytes.len() as u64;
    let mut cursor = bytes;
    if let Ok(h) = Header::from_reader(&mut cursor) {
        let data = cursor.len();
        let need = h
            .shape
            .iter()
            .try_fold(std::mem::size_of::<T>(), |acc, &d| acc.checked_mul(d));
        match need {
            Some(need) if need <= data => {}
            _ => {
                return Err(fail(
                    path,
                    format!(
                        "truncated .npy file ({len} bytes): its header says shape {:?}, {} bytes of data, but {data} follow the header",
                        h.shape,
                        need.map_or("more than 2^64".to_string(), |n| n.to_string())
                    ),
                ))
            }
        }
    }
    read_from(bytes, len, path)
}

fn read_from<T: ReadableElement, R: std::io::Read>(
    reader: R,
    len: u64,
    path: &Path,
) -> Result<ArrayD<T>> {
    ArrayD::<T>::read_npy(reader).map_err(|e| {
        let why = match &e {
            ReadNpyError::Io(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
                format!("truncated .npy file ({len} bytes)")
            }
            ReadNpyError::ParseHeader(h) => format!("not a .npy file ({h})"),
            ReadNpyError::WrongDescriptor(d) => {
                format!("wrong dtype {d}: expected {}", dtype_name::<T>())
            }
            ReadNpyError::MissingData => {
                format!("truncated .npy file ({len} bytes): data ends early")
            }
            ReadNpyError::ExtraBytes(n) => {
                format!("corrupt .npy file: {n} unexpected bytes after the data")
            }
            _ => e.to_string(),
        };
        fail(path, why)
    })
}

/// Reads float32 data and rejects NaN and infinities, naming the first bad element.
pub fn read_finite_f32(path: &Path) -> Result<ArrayD<f32>> {
    let a = read::<f32>(path)?;
    if let Some((idx, v)) = a.indexed_iter().find(|(_, v)| !v.is_finite()) {
        let at = idx.slice().to_vec();
        return Err(fail(
            path,
            format!("value {v} at index {at:?} is not finite"),
        ));
    }
    Ok(a)
}

/// Reads attention probabilities: finite float32 values in `[0, 1]`, rank >= 1.
pub fn read_probs(path: &Path) -> Result<ArrayD<f32>> {
    let a = read_finite_f32(path)?;
    if let Some((idx, v)) = a.indexed_iter().find(|(_, v)| !(0.0..=1.0).contains(*v)) {
        let at = idx.slice().to_vec();
        return Err(fail(
            path,
            format!("value {v} at index {at:?} is not a probability (outside [0, 1])"),
        ));
    }
    if a.ndim() == 0 {
        return Err(fail(
            path,
            "expected an array whose last axis is the key axis, got a scalar",
        ));
    }
    Ok(a)
}

/// Writes `array` to `path` atomically: a sibling temporary file, renamed on success.
pub fn write_atomic<T: WritableElement, D: Dimension>(
    path: &Path,
    array: &ndarray::Array<T, D>,
) -> Result<()> {
    let tmp = crate::output::temp_sibling(path);
    let result = (|| -> Result<()> {
        let f = File::create(&tmp).map_err(|e| fail(&tmp, format!("cannot create: {e}")))?;
        let mut w = BufWriter::new(f);
        array.write_npy(&mut w).map_err(|e| fail(path, e))?;
        w.flush().map_err(|e| fail(path, e))?;
        let f = w.into_inner().map_err(|e| fail(path, e))?;
        f.sync_all().map_err(|e| fail(path, e))?;
        std::fs::rename(&tmp, path).map_err(|e| fail(path, format!("cannot write: {e}")))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// numpy's name of an element type, for error messages.
fn dtype_name<T>() -> &'static str {
    match std::any::type_name::<T>() {
        "f32" => "float32 ('<f4')",
        "f64" => "float64 ('<f8')",
        "u8" => "uint8 ('|u1')",
        "i8" => "int8 ('|i1')",
        other => other,
    }
}
