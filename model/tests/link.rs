//! The link protocol: round trips, the behavioural device against the golden heads, and
//! recovery from every kind of damage (flipped, dropped, duplicated bytes, garbage, oversize).

use model::golden::{golden_dir, load_head_cases, HeadCase};
use model::link::*;
use model::{Codebook, CoreParams, Variant};
use ndarray::Array2;
use proptest::prelude::*;

fn device(d: usize, n_max: usize, cb: &Codebook) -> Device {
    Device::new(DeviceConfig::head(d, n_max, cb).unwrap())
}

fn head_request(c: &HeadCase, seq: u16) -> Request {
    let cb = c.codebook().unwrap();
    let w = cb.weights().w;
    Request {
        seq,
        bits: 3,
        weights: std::array::from_fn(|i| w[i] as u16),
        codebook: codebook_tag(&cb),
        payload: Payload::Head(HeadPayload {
            kq: c.kq.clone(),
            mk: c.mk.iter().map(|&m| m as u16).collect(),
            vq: c.vq.clone(),
            qq: c.qq.clone(),
            mq: c.mq.iter().map(|&m| m as u16).collect(),
            shift: c.shift.clamp(0, 63) as u8,
            valid_len: c.valid_len as u16,
        }),
    }
}

fn case(name: &str) -> HeadCase {
    load_head_cases(&golden_dir().join("head"))
        .unwrap()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap()
}

fn responses(bytes: &[u8]) -> Vec<Event> {
    Decoder::new(Direction::Responses, 1 << 24).push(bytes)
}

fn ok_response(ev: &Event) -> &Response {
    match ev {
        Event::Response(r) => r,
        e => panic!("expected a response, got {e:?}"),
    }
}

#[test]
fn crc_is_ieee() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}

#[test]
fn requests_round_trip() {
    let c = case("d4_n20_log3");
    let head = head_request(&c, 7);
    let codes = Request {
        seq: 8,
        bits: 3,
        weights: [0, 1, 2, 4, 8, 16, 32, 64],
        codebook: 0,
        payload: Payload::Codes(CodesPayload {
            vq: c.vq.clone(),
            codes: c.codes.clone(),
        }),
    };
    let info = Request {
        seq: 9,
        bits: 3,
        weights: [0; 8],
        codebook: 0,
        payload: Payload::Info,
    };
    let mut bytes = Vec::new();
    for r in [&head, &codes, &info] {
        bytes.extend(r.encode().unwrap());
    }
    let evs = Decoder::new(Direction::Requests, 1 << 20).push(&bytes);
    assert_eq!(
        evs,
        vec![
            Event::Request(head.clone()),
            Event::Request(codes),
            Event::Request(info)
        ]
    );
    let frame = head.encode().unwrap();
    assert_eq!(frame.len(), REQ_HEADER_LEN + head_payload_len(20, 5, 4) + 4);
    assert_eq!(&frame[..2], b"LA");
}

#[test]
fn device_serves_every_golden_head_bit_exactly() {
    for c in load_head_cases(&golden_dir().join("head")).unwrap() {
        let cb = c.codebook().unwrap();
        let (d, n_max) = (c.q.ncols(), if c.q.ncols() <= 8 { 64 } else { 512 });
        let mut dev = device(d, n_max, &cb);
        let out = dev.feed(&head_request(&c, 42).encode().unwrap());
        let evs = responses(&out);
        assert_eq!(evs.len(), 1, "{}", c.name);
        let r = ok_response(&evs[0]);
        assert_eq!((r.seq, r.status), (42, Status::Ok), "{}", c.name);
        assert_eq!(r.result.as_ref().unwrap(), &c.expected, "{}", c.name);
        let p = CoreParams::new(d, n_max, 16, 3).unwrap();
        let v = Variant::for_codebook(&cb);
        assert_eq!(
            r.cycles as usize,
            model::timing::head_compute_cycles(&p, 1, v, c.codes.view()),
            "{}",
            c.name
        );
    }
}

#[test]
fn device_reports_its_configuration_and_limits() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let mut dev = device(4, 64, &cb);
    let info = Request {
        seq: 1,
        bits: 3,
        weights: [0; 8],
        codebook: 0,
        payload: Payload::Info,
    };
    let r = responses(&dev.feed(&info.encode().unwrap()));
    let i = ok_response(&r[0]).info.unwrap();
    assert_eq!(
        (i.d, i.n_max, i.bits, i.front_end, i.acc_bits),
        (4, 64, 3, 1, 30)
    );
    assert_eq!(i.codebook, codebook_tag(&cb));
    // d != D, n > N_MAX, wrong k, another codebook's front end.
    let c = case("d4_n20_log3");
    let mut wrong_d = head_request(&c, 2);
    if let Payload::Head(h) = &mut wrong_d.payload {
        h.kq = Array2::zeros((20, 8));
        h.vq = Array2::zeros((20, 8));
        h.qq = Array2::zeros((5, 8));
    }
    let mut big = head_request(&c, 3);
    if let Payload::Head(h) = &mut big.payload {
        h.kq = Array2::zeros((65, 4));
        h.vq = Array2::zeros((65, 4));
        h.mk = vec![1; 65];
    }
    let mut bits = head_request(&c, 4);
    bits.bits = 4;
    let mut other = head_request(&c, 5);
    other.codebook = 0;
    for (req, want) in [
        (wrong_d, Status::Overflow),
        (big, Status::Overflow),
        (bits, Status::Overflow),
        (other, Status::Unsupported),
    ] {
        let r = responses(&dev.feed(&req.encode().unwrap()));
        let r = ok_response(&r[0]);
        assert_eq!((r.seq, r.status), (req.seq, want));
        assert!(r.result.is_none());
    }
    // A payload larger than any job the device takes is skipped unread, then service resumes.
    let mut huge = head_request(&c, 6);
    if let Payload::Head(h) = &mut huge.payload {
        h.kq = Array2::zeros((1000, 4));
        h.vq = Array2::zeros((1000, 4));
        h.mk = vec![1; 1000];
    }
    let mut bytes = huge.encode().unwrap();
    bytes.extend(head_request(&c, 7).encode().unwrap());
    let r = responses(&dev.feed(&bytes));
    assert_eq!(r.len(), 2);
    assert_eq!(ok_response(&r[0]).status, Status::Overflow);
    assert_eq!(ok_response(&r[1]).result.as_ref().unwrap(), &c.expected);
}

/// Feeds `damaged` then two good frames; no `Ok` response may carry a wrong result, and the
/// last good frame must be served.
fn recovers(damaged: &[u8], c: &HeadCase) -> Vec<Response> {
    let mut dev = device(4, 64, &c.codebook().unwrap());
    let mut bytes = damaged.to_vec();
    bytes.extend(head_request(c, 100).encode().unwrap());
    bytes.extend(head_request(c, 101).encode().unwrap());
    let rs: Vec<Response> = responses(&dev.feed(&bytes))
        .iter()
        .map(|e| ok_response(e).clone())
        .collect();
    for r in &rs {
        if r.status == Status::Ok {
            assert_eq!(
                r.result.as_ref(),
                Some(&c.expected),
                "an Ok response with a wrong result"
            );
        }
    }
    let last = rs.last().expect("at least the last frame is answered");
    assert_eq!((last.seq, last.status), (101, Status::Ok));
    rs
}

#[test]
fn every_single_byte_flip_is_caught_and_the_device_recovers() {
    let c = case("d4_n20_log3");
    let frame = head_request(&c, 50).encode().unwrap();
    for at in 0..frame.len() {
        for bit in [0, 3, 7] {
            let mut f = frame.clone();
            f[at] ^= 1 << bit;
            let rs = recovers(&f, &c);
            assert!(
                rs.iter().all(|r| r.seq != 50 || r.status != Status::Ok),
                "flip at byte {at} bit {bit} went unnoticed"
            );
        }
    }
}

#[test]
fn dropped_and_duplicated_bytes_are_caught() {
    let c = case("d4_n20_log3");
    let frame = head_request(&c, 60).encode().unwrap();
    for at in (0..frame.len()).step_by(7) {
        let mut dropped = frame.clone();
        dropped.remove(at);
        let mut dup = frame.clone();
        dup.insert(at, frame[at]);
        // (A duplicated first byte is garbage before an intact frame, which is served.)
        for (f, damaged) in [(dropped, true), (dup, at > 0)] {
            let rs = recovers(&f, &c);
            if damaged {
                assert!(
                    rs.iter().all(|r| r.seq != 60 || r.status != Status::Ok),
                    "damage at {at} unnoticed"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Garbage between frames never yields a wrong result, and frames after it are served.
    #[test]
    fn garbage_between_frames(garbage in proptest::collection::vec(any::<u8>(), 0..400)) {
        let c = case("d4_n20_log3");
        recovers(&garbage, &c);
    }

    /// Responses round-trip through the host's decoder.
    #[test]
    fn responses_round_trip(rows in 1usize..5, d in 1usize..6, seed in any::<u64>(), cycles in any::<u32>()) {
        let mut s = seed;
        let mut next = || { s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); s };
        let lim = 1i64 << 32;
        let acc = Array2::from_shape_fn((rows, d), |_| (next() as i64).rem_euclid(2 * lim) - lim);
        let rsum = ndarray::Array1::from_shape_fn(rows, |_| next() % (1 << 25));
        let r = Response { seq: 3, status: Status::Ok, kind: 1, cycles, result: Some(model::AccRows { acc, rsum }), info: None };
        let evs = responses(&r.encode());
        prop_assert_eq!(evs, vec![Event::Response(r)]);
    }
}

#[test]
fn verdicts_follow_the_documented_order() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let dev = device(4, 64, &cb);
    let c = case("d4_n20_log3");
    let h = c.request(9).unwrap().header().unwrap();
    assert_eq!(dev.verdict(&h), Status::Ok);
    let with = |f: &dyn Fn(&mut RequestHeader)| {
        let mut x = h;
        f(&mut x);
        dev.verdict(&x)
    };
    // Shape before length before codebook.
    assert_eq!(
        with(&|x| {
            x.d = 8;
            x.payload_len += 1;
            x.codebook = 0;
        }),
        Status::Overflow
    );
    assert_eq!(
        with(&|x| {
            x.payload_len += 1;
            x.codebook = 0;
        }),
        Status::BadHeader
    );
    assert_eq!(with(&|x| x.codebook = 0), Status::Unsupported);
    assert_eq!(with(&|x| x.shift = 64), Status::Unsupported);
    assert_eq!(with(&|x| x.rows = 0), Status::Overflow);
    assert_eq!(with(&|x| x.bits = 2), Status::Overflow);
    // Info: an empty payload only; codes on a board with the codes path.
    let info = Request::info(1).header().unwrap();
    assert_eq!(dev.verdict(&info), Status::Ok);
    assert_eq!(
        dev.verdict(&RequestHeader {
            payload_len: 3,
            ..info
        }),
        Status::BadHeader
    );
    // A frame whose payload does not fit its header is answered by the verdict too.
    let mut bytes = Request::info(5).encode().unwrap();
    bytes.truncate(REQ_HEADER_LEN);
    bytes[36] = 2;
    let hc = crc32(&bytes[..40]);
    bytes[40..44].copy_from_slice(&hc.to_le_bytes());
    bytes.extend([7, 7]);
    let fc = crc32(&bytes);
    bytes.extend(fc.to_le_bytes());
    let r = responses(&device(4, 64, &cb).feed(&bytes));
    let r = ok_response(&r[0]);
    assert_eq!((r.seq, r.status, r.kind), (5, Status::BadHeader, 3));
}
