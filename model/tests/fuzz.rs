//! Fuzzing with proptest: the `.npy` reader and the link's frame decoder on mutated and
//! hostile input. Neither may panic, allocate beyond its input, or accept what it should not.
//!
//! Cases run (each a proptest case; `cargo test` runs the first count, `make stress` the
//! second, [`model::stress::count`]):
//! - `npy_reader_survives_mutations`: 6,000 / 200,000 mutated `.npy` files of four dtypes and
//!   ranks 0-3 (bytes flipped, cut, inserted; header digits rewritten, including shapes far
//!   larger than the file).
//! - `request_frames_with_good_crcs_but_random_fields`: 20,000 / 1,000,000 frames whose header
//!   and frame CRCs are correct but whose every other field and payload byte is random.
//! - `response_frames_with_good_crcs_but_random_fields`: 20,000 / 1,000,000 of the same for
//!   responses.
//! - `byte_streams_of_damaged_frames`: 3,000 / 100,000 streams of valid frames, damaged by
//!   drops, duplicates, flips and garbage: the decoder delivers only frames that were sent.
//!
//! `docs/link.md` states these counts (`the_docs_state_the_counts_run_here`).

use model::link::*;
use model::{npy, stress};
use ndarray::{Array, Array2, IxDyn};
use ndarray_npy::WriteNpyExt;
use proptest::prelude::*;
use proptest::test_runner::{FileFailurePersistence, TestCaseError, TestRunner};
use std::path::Path;

mod common;
use common::thousands;

/// Cases of each property: (`cargo test`, `make stress`).
pub const NPY_CASES: (u64, u64) = (6_000, 200_000);
pub const REQUEST_CASES: (u64, u64) = (20_000, 1_000_000);
pub const RESPONSE_CASES: (u64, u64) = (20_000, 1_000_000);
pub const STREAM_CASES: (u64, u64) = (3_000, 100_000);

/// Runs `check` on the cases `strategy` draws, as many as `cases` says for this run (failures
/// are shrunk and persisted beside this file, as `proptest!` does), and records the count.
fn fuzz<S: Strategy>(
    name: &str,
    cases: (u64, u64),
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let n = stress::count(cases.0, cases.1) as u32;
    let config = ProptestConfig {
        cases: n,
        source_file: Some(file!()),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    };
    let t = std::time::Instant::now();
    if let Err(e) = TestRunner::new(config).run(&strategy, check) {
        panic!("{name}: {e}");
    }
    stress::record(
        &format!("fuzz: {name}"),
        &[
            ("cases", n as f64),
            ("failed", 0.0),
            ("seconds", t.elapsed().as_secs_f64()),
        ],
    );
}

fn npy_bytes(kind: u8, shape: &[usize], seed: u64) -> Vec<u8> {
    let n: usize = shape.iter().product();
    let mut out = Vec::new();
    let s = IxDyn(shape);
    match kind {
        0 => Array::from_shape_vec(s, (0..n).map(|i| (i as f32 + seed as f32) * 0.1).collect())
            .unwrap()
            .write_npy(&mut out),
        1 => Array::from_shape_vec(s, (0..n).map(|i| (i as u64 ^ seed) as u8).collect())
            .unwrap()
            .write_npy(&mut out),
        2 => Array::from_shape_vec(s, (0..n).map(|i| (i as i64 - 3) as i8).collect())
            .unwrap()
            .write_npy(&mut out),
        _ => Array::from_shape_vec(s, (0..n).map(|i| i as f64).collect())
            .unwrap()
            .write_npy(&mut out),
    }
    .unwrap();
    out
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip(usize, u8),
    Cut(usize),
    Insert(usize, u8),
    /// Rewrite a digit inside the header (shapes and lengths).
    Digit(usize, u8),
    /// Make the first shape entry huge.
    HugeShape(u64),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(a, b)| Mutation::Flip(a, b)),
        any::<usize>().prop_map(Mutation::Cut),
        (any::<usize>(), any::<u8>()).prop_map(|(a, b)| Mutation::Insert(a, b)),
        (any::<usize>(), b'0'..=b'9').prop_map(|(a, b)| Mutation::Digit(a, b)),
        any::<u64>().prop_map(Mutation::HugeShape),
    ]
}

fn mutate(b: &mut Vec<u8>, m: &Mutation) {
    if b.is_empty() {
        return;
    }
    match *m {
        Mutation::Flip(at, x) => {
            let i = at % b.len();
            b[i] ^= x;
        }
        Mutation::Cut(at) => b.truncate(at % b.len()),
        Mutation::Insert(at, x) => {
            let i = at % (b.len() + 1);
            b.insert(i, x);
        }
        Mutation::Digit(at, x) => {
            let hl = b.len().min(128);
            let digits: Vec<usize> = (0..hl).filter(|&i| b[i].is_ascii_digit()).collect();
            if !digits.is_empty() {
                let i = digits[at % digits.len()];
                b[i] = x;
            }
        }
        Mutation::HugeShape(v) => {
            let key = b"'shape': (";
            let head = &b[..b.len().min(128)];
            let Some(p) = head.windows(key.len()).position(|w| w == key) else {
                return;
            };
            let start = p + key.len();
            let Some(len) = head[start..].iter().position(|&c| c == b',' || c == b')') else {
                return;
            };
            if len == 0 {
                return;
            }
            let new = (v % 10u64.pow(len.min(19) as u32)).to_string();
            let new = format!("{new:>len$}");
            b[start..start + len].copy_from_slice(new.as_bytes());
        }
    }
}

#[test]
fn npy_reader_survives_mutations() {
    let strategy = (
        0u8..4,
        proptest::collection::vec(0usize..6, 0..4),
        any::<u64>(),
        proptest::collection::vec(mutation(), 1..4),
    );
    fuzz(
        "the .npy reader on mutated files",
        NPY_CASES,
        strategy,
        |(kind, shape, seed, ms)| {
            let mut b = npy_bytes(kind, &shape, seed);
            for m in &ms {
                mutate(&mut b, m);
            }
            let p = Path::new("fuzz.npy");
            // Whatever comes back, no panic, and an error names the file.
            for r in [
                npy::read_bytes::<f32>(&b, p).map(|a| a.len()),
                npy::read_bytes::<u8>(&b, p).map(|a| a.len()),
                npy::read_bytes::<i8>(&b, p).map(|a| a.len()),
                npy::read_bytes::<f64>(&b, p).map(|a| a.len()),
            ] {
                match r {
                    // An array read can never hold more elements than the file has bytes.
                    Ok(n) => prop_assert!(n <= b.len()),
                    Err(e) => prop_assert!(e.to_string().starts_with("fuzz.npy: "), "{}", e),
                }
            }
            Ok(())
        },
    );
}

/// A request frame with correct CRCs around random fields and payload.
fn random_request_frame(
    kind: u8,
    n: u16,
    rows: u16,
    d: u16,
    rest: &[u8; 28],
    payload: &[u8],
) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&REQ_MAGIC);
    f.push(VERSION);
    f.push(kind);
    f.extend_from_slice(&rest[0..2]); // seq
    f.extend_from_slice(&n.to_le_bytes());
    f.extend_from_slice(&rows.to_le_bytes());
    f.extend_from_slice(&d.to_le_bytes());
    f.extend_from_slice(&rest[2..26]); // bits, shift, valid_len, weights, codebook
    f.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    let hc = crc32(&f);
    f.extend_from_slice(&hc.to_le_bytes());
    f.extend_from_slice(payload);
    let c = crc32(&f);
    f.extend_from_slice(&c.to_le_bytes());
    f
}

#[test]
fn request_frames_with_good_crcs_but_random_fields() {
    let strategy = (
        0u8..5,
        prop_oneof![0u16..20, any::<u16>()],
        prop_oneof![0u16..20, any::<u16>()],
        prop_oneof![0u16..9, any::<u16>()],
        any::<[u8; 28]>(),
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..600),
    );
    let name = "the request decoder on frames with good CRCs and random fields";
    fuzz(
        name,
        REQUEST_CASES,
        strategy,
        |(kind, n, rows, d, rest, fit, noise)| {
            // Half the frames get exactly the payload length their header implies.
            let (nn, rr, dd) = (n as usize, rows as usize, d as usize);
            let want = match kind {
                1 => head_payload_len(nn, rr, dd),
                2 => codes_payload_len(nn, rr, dd),
                _ => 0,
            };
            let payload: Vec<u8> = if fit && want <= 4096 {
                (0..want)
                    .map(|i| noise.get(i % noise.len().max(1)).copied().unwrap_or(0))
                    .collect()
            } else {
                noise
            };
            let f = random_request_frame(kind, n, rows, d, &rest, &payload);
            let evs = Decoder::new(Direction::Requests, 4096).push(&f);
            // A frame with an unknown kind is a bad header, and the decoder hunts on through its
            // payload: any further event comes from there.
            if let Some(Event::Request(r)) = evs.first() {
                // What is accepted has the header's shape and re-encodes to a frame that decodes
                // to the same request; a head frame re-encodes byte for byte.
                let again = r.encode().expect("an accepted request encodes");
                if kind == 1 {
                    prop_assert_eq!(&again, &f);
                }
                let evs2 = Decoder::new(Direction::Requests, 4096).push(&again);
                prop_assert_eq!(evs2, vec![Event::Request(r.clone())]);
                // The board's verdict on any header is defined (no panic).
                let cfg = DeviceConfig::codes(4, 64, model::Variant::General).unwrap();
                let _ = Device::new(cfg).serve(r);
            }
            Ok(())
        },
    );
}

#[test]
fn response_frames_with_good_crcs_but_random_fields() {
    let strategy = (
        any::<[u8; 14]>(),
        prop_oneof![0u16..10, any::<u16>()],
        prop_oneof![0u16..10, any::<u16>()],
        proptest::collection::vec(any::<u8>(), 0..400),
    );
    let name = "the response decoder on frames with good CRCs and random fields";
    fuzz(
        name,
        RESPONSE_CASES,
        strategy,
        |(head, rows, d, payload)| {
            let mut f = Vec::new();
            f.extend_from_slice(&RSP_MAGIC);
            f.push(VERSION);
            f.push(head[0] % 6); // status, one unknown
            f.extend_from_slice(&head[1..3]); // seq
            f.push(head[3] % 5); // kind
            f.push(head[4] % 10); // bytes per accumulator
            f.extend_from_slice(&rows.to_le_bytes());
            f.extend_from_slice(&d.to_le_bytes());
            f.extend_from_slice(&head[5..9]); // cycles
            f.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            let hc = crc32(&f);
            f.extend_from_slice(&hc.to_le_bytes());
            f.extend_from_slice(&payload);
            let c = crc32(&f);
            f.extend_from_slice(&c.to_le_bytes());
            let evs = Decoder::new(Direction::Responses, 4096).push(&f);
            if let Some(Event::Response(r)) = evs.first() {
                if let Some(acc) = &r.result {
                    prop_assert_eq!(acc.acc.dim(), (rows as usize, d as usize));
                    prop_assert_eq!(acc.rsum.len(), rows as usize);
                }
            }
            Ok(())
        },
    );
}

fn valid_frames(seed: u64) -> Vec<(Vec<u8>, Request)> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let cb = model::Codebook::log(3, 1e-3).unwrap();
    (0..6)
        .map(|i| {
            let (n, rows, d) = (
                rng.gen_range(1..12),
                rng.gen_range(1..5),
                rng.gen_range(1..6),
            );
            let mut m = |r: usize| Array2::from_shape_fn((r, d), |_| rng.gen::<i8>());
            let (kq, vq, qq) = (m(n), m(n), m(rows));
            let r = if i % 3 == 2 {
                Request::info(i as u16)
            } else {
                Request::head(
                    i as u16,
                    &cb,
                    HeadPayload {
                        kq,
                        mk: vec![9000; n],
                        vq,
                        qq,
                        mq: vec![12000; rows],
                        shift: 20,
                        valid_len: n as u16,
                    },
                )
            };
            (r.encode().unwrap(), r)
        })
        .collect()
}

#[test]
fn byte_streams_of_damaged_frames() {
    let strategy = (
        any::<u64>(),
        proptest::collection::vec(mutation(), 0..6),
        proptest::collection::vec(any::<u8>(), 0..64),
        any::<usize>(),
    );
    let name = "the decoder on streams of damaged frames";
    fuzz(
        name,
        STREAM_CASES,
        strategy,
        |(seed, ms, garbage, split)| {
            let frames = valid_frames(seed);
            let mut stream: Vec<u8> = frames.iter().flat_map(|(b, _)| b.clone()).collect();
            for m in &ms {
                if !matches!(m, Mutation::Digit(..) | Mutation::HugeShape(_)) {
                    mutate(&mut stream, m);
                }
            }
            let at = split % (stream.len() + 1);
            stream.splice(at..at, garbage);
            // Fed in two pieces at an arbitrary point.
            let cut = split.rotate_left(7) % (stream.len() + 1);
            let mut dec = Decoder::new(Direction::Requests, 1 << 16);
            let mut evs = dec.push(&stream[..cut]);
            evs.extend(dec.push(&stream[cut..]));
            for e in &evs {
                if let Event::Request(r) = e {
                    prop_assert!(
                        frames.iter().any(|(_, f)| f == r),
                        "a request that was never sent was decoded: {:?}",
                        r
                    );
                }
            }
            if ms.is_empty() {
                // Garbage alone costs at most the frame it runs into... or one more if it holds a
                // magic.
                let got = evs
                    .iter()
                    .filter(|e| matches!(e, Event::Request(_)))
                    .count();
                prop_assert!(got + 2 >= frames.len(), "{} of {}", got, frames.len());
            }
            Ok(())
        },
    );
}

/// A header claiming far more data than the file holds is refused before any allocation
/// (ndarray-npy alone allocates the shape its header declares before reading: 4 TB here).
#[test]
fn a_header_larger_than_its_file_is_refused_before_allocating() {
    let mut b = npy_bytes(0, &[2], 0);
    let key = b"'shape': (2,";
    let p = b.windows(key.len()).position(|w| w == key).unwrap() + b"'shape': (".len();
    b.splice(p..p + 1, b"999999999999".iter().copied());
    // Keep the header's declared length consistent: pad or trim spaces before the newline.
    let hl = u16::from_le_bytes([b[8], b[9]]) as usize;
    let nl = b.iter().position(|&c| c == b'\n').unwrap();
    let extra = nl + 1 - (10 + hl);
    b.drain(nl - extra..nl);
    let e = npy::read_bytes::<f32>(&b, Path::new("huge.npy"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("huge.npy: truncated .npy file") && e.contains("shape [999999999999]"),
        "{e}"
    );
}

/// docs/link.md states the counts these tests run (it once said 10,000 response frames while
/// the code ran 20,000).
#[test]
fn the_docs_state_the_counts_run_here() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/link.md"))
            .unwrap();
    let doc = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    for (cases, what) in [
        (REQUEST_CASES, "request frames"),
        (RESPONSE_CASES, "response frames"),
        (STREAM_CASES, "streams of valid frames"),
        (NPY_CASES, "mutated `.npy` files"),
    ] {
        let want = format!("{} / {} {what}", thousands(cases.0), thousands(cases.1));
        assert!(doc.contains(&want), "docs/link.md does not say {want:?}");
    }
}
