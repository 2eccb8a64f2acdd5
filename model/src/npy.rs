//! Reading and writing `.npy` files with errors that name the file and the problem, and
//! all-or-nothing output (a temporary file renamed into place). Every runner (host, sim) reads
//! tensors through here.

use crate::ModelError;
use ndarray::{ArrayD, Dimension};
use ndarray_npy::npy::header::Header;
use ndarray_npy::{ReadNpyError, ReadNpyExt, ReadableElement, WritableElement};
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

/// Reads an `.npy` array from `bytes` (errors name `path`). The header's dtype is checked
/// first (an int8 file is of the wrong dtype, not truncated), then its shape against the bytes
/// that follow it, before anything is allocated for the data, so a corrupt or hostile header
/// cannot make the reader allocate more than the file holds.
pub fn read_bytes<T: ReadableElement>(bytes: &[u8], path: &Path) -> Result<ArrayD<T>> {
    let len = bytes.len() as u64;
    let mut cursor = bytes;
    if let Ok(h) = Header::from_reader(&mut cursor) {
        // Reading no elements checks the descriptor and nothing else.
        if T::read_to_end_exact_vec(&[][..], &h.type_descriptor, 0).is_err() {
            return Err(fail(
                path,
                format!(
                    "wrong dtype {}: expected {}",
                    h.type_descriptor,
                    dtype_name::<T>()
                ),
            ));
        }
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

/// Writes `array` to `path` atomically: a sibling temporary file, renamed on success
/// ([`crate::output::Outputs`] with one output).
pub fn write_atomic<T: WritableElement, D: Dimension>(
    path: &Path,
    array: &ndarray::Array<T, D>,
) -> Result<()> {
    let mut o = crate::output::Outputs::new();
    o.npy(path, array)?;
    o.commit()
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

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray_npy::WriteNpyExt;

    fn bytes<T: WritableElement>(a: ndarray::Array2<T>) -> Vec<u8> {
        let mut b = Vec::new();
        a.write_npy(&mut b).unwrap();
        b
    }

    /// A file of narrower elements is of the wrong dtype, not truncated: the dtype is checked
    /// before the size the shape needs.
    #[test]
    fn a_narrower_dtype_is_named_not_reported_as_truncated() {
        let p = Path::new("x.npy");
        for (b, descr) in [
            (bytes(ndarray::Array2::<i8>::zeros((2, 16))), "'|i1'"),
            (bytes(ndarray::Array2::<u8>::zeros((2, 16))), "'|u1'"),
            (bytes(ndarray::Array2::<u16>::zeros((2, 16))), "'<u2'"),
            (bytes(ndarray::Array2::<f64>::zeros((2, 16))), "'<f8'"),
        ] {
            let e = read_bytes::<f32>(&b, p).unwrap_err().to_string();
            assert_eq!(
                e,
                format!("x.npy: wrong dtype {descr}: expected float32 ('<f4')")
            );
        }
        // float16, as numpy writes it (ndarray-npy cannot).
        let mut h = bytes(ndarray::Array2::<u16>::zeros((2, 16)));
        let at = h.windows(4).position(|w| w == b"<u2'").unwrap();
        h[at..at + 3].copy_from_slice(b"<f2");
        let e = read_bytes::<f32>(&h, p).unwrap_err().to_string();
        assert_eq!(e, "x.npy: wrong dtype '<f2': expected float32 ('<f4')");
        // The right dtype, cut short: truncated.
        let f = bytes(ndarray::Array2::<f32>::zeros((2, 16)));
        let e = read_bytes::<f32>(&f[..f.len() - 4], p)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("x.npy: truncated .npy file"), "{e}");
    }
}
