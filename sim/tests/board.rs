//! The simulated board (`hdl::link::link_head::LinkHead` in Verilator) against the behavioural board
//! `model::link::Device`: for any byte stream, good frames, damaged frames or garbage, the
//! response bytes must be identical, byte for byte (results, statuses, sequence numbers,
//! cycles, CRCs), whatever the link's idle cycles and back-pressure.

use model::link::*;
use model::{Codebook, Variant};
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sim::board::{LinkDrive, SimBoard};
use sim::verilator::BuildOptions;

mod common;
use common::{config, golden_heads, random_request, weights};

/// Runs `bytes` through the board under `drive` and through a fresh `Device`; they must agree
/// byte for byte. Returns the decoded responses.
fn agree(board: &mut SimBoard, bytes: &[u8], drive: LinkDrive, what: &str) -> Vec<Response> {
    let mut dev = Device::new(board.config().clone());
    let want = dev.feed(bytes);
    board.set_drive(drive);
    let got = board.exchange(bytes).unwrap();
    if got != want {
        let dec = |b: &[u8]| Decoder::new(Direction::Responses, 1 << 24).push(b);
        let at = got.iter().zip(&want).position(|(a, b)| a != b);
        panic!(
            "{what}: the board's {} response bytes differ from the device's {} (first at {at:?})\nboard: {:?}\ndevice: {:?}",
            got.len(),
            want.len(),
            dec(&got),
            dec(&want)
        );
    }
    Decoder::new(Direction::Responses, 1 << 24)
        .push(&got)
        .into_iter()
        .map(|e| match e {
            Event::Response(r) => r,
            e => panic!("{what}: the board sent {e:?}"),
        })
        .collect()
}

const DRIVES: [LinkDrive; 3] = [
    LinkDrive::FULL_SPEED,
    LinkDrive {
        idle: 0.3,
        stall: 0.5,
        seed: 5,
    },
    LinkDrive {
        idle: 0.9,
        stall: 0.1,
        seed: 6,
    },
];

#[test]
fn board_serves_golden_and_random_heads_as_the_device() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let mut board = SimBoard::new(&config(4, 64, &cb), &BuildOptions::default()).unwrap();
    let mut rng = StdRng::seed_from_u64(42);
    let golden = golden_heads(4);
    for (k, drive) in DRIVES.into_iter().enumerate() {
        let mut bytes = Request::info(1).encode().unwrap();
        let mut seq = 2;
        for c in &golden {
            bytes.extend(c.request(seq).unwrap().encode().unwrap());
            seq += 1;
        }
        for _ in 0..[12, 6, 3][k] {
            bytes.extend(random_request(&mut rng, 4, 64, &cb, seq).encode().unwrap());
            seq += 1;
        }
        let rs = agree(&mut board, &bytes, drive, &format!("drive {drive:?}"));
        assert_eq!(rs.len() as u16, seq - 1, "one response per request");
        assert!(rs.iter().all(|r| r.status == Status::Ok));
        assert_eq!(rs[0].info.unwrap().d, 4);
        for (r, c) in rs[1..].iter().zip(&golden) {
            assert_eq!(r.result.as_ref(), Some(&c.expected), "{}", c.name);
        }
        assert!(rs[1..].iter().all(|r| r.cycles > 0));
    }
}

/// The link design as an ECP5 part builds it (its score and lane products' registers inside
/// the MULT18X18D primitives, simulated with their behavioural model): general lanes and the
/// log codebook at D = 4, P = K = 1 at full speed and P = K = 2 under back-pressure, golden and
/// random heads, byte for byte the device's.
#[test]
fn the_ecp5_build_serves_heads_as_the_device() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let mut rng = StdRng::seed_from_u64(43);
    let golden = golden_heads(4);
    for (pk, drive) in [1usize, 2].into_iter().zip(DRIVES) {
        let cfg = config(4, 64, &cb).with_parallelism(pk, pk).unwrap();
        let mut board = SimBoard::new_ecp5(&cfg, &BuildOptions::default()).unwrap();
        let mut bytes = Vec::new();
        let mut seq = 1;
        for c in &golden {
            bytes.extend(c.request(seq).unwrap().encode().unwrap());
            seq += 1;
        }
        for _ in 0..6 {
            bytes.extend(random_request(&mut rng, 4, 64, &cb, seq).encode().unwrap());
            seq += 1;
        }
        let rs = agree(
            &mut board,
            &bytes,
            drive,
            &format!("ecp5 P = K = {pk}, {drive:?}"),
        );
        assert_eq!(rs.len() as u16, seq - 1, "one response per request");
        assert!(rs.iter().all(|r| r.status == Status::Ok));
        for (r, c) in rs.iter().zip(&golden) {
            assert_eq!(r.result.as_ref(), Some(&c.expected), "{}", c.name);
        }
    }
}

#[test]
fn board_answers_every_kind_of_bad_frame_as_the_device() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let mut board = SimBoard::new(&config(4, 64, &cb), &BuildOptions::default()).unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let good = |rng: &mut StdRng, seq| random_request(rng, 4, 64, &cb, seq).encode().unwrap();
    let with = |seq, f: &dyn Fn(&mut HeadPayload, &mut Request)| {
        let mut r = random_request(&mut StdRng::seed_from_u64(seq as u64), 4, 64, &cb, seq);
        let Payload::Head(mut h) = r.payload.clone() else {
            unreachable!()
        };
        f(&mut h, &mut r);
        r.payload = Payload::Head(h);
        r.encode().unwrap()
    };
    let mut cases: Vec<(&str, Vec<u8>)> = vec![];
    let mut flipped = good(&mut rng, 10);
    let at = flipped.len() - 9;
    flipped[at] ^= 0x10;
    cases.push(("payload bit flip: bad CRC", flipped));
    let mut hdr = good(&mut rng, 11);
    hdr[9] ^= 1;
    cases.push(("header bit flip: bad header", hdr));
    cases.push((
        "n above N_MAX: overflow",
        with(12, &|h, _| {
            h.kq = Array2::zeros((65, 4));
            h.vq = Array2::zeros((65, 4));
            h.mk = vec![1; 65];
        }),
    ));
    cases.push((
        "payload longer than any job: overflow, skipped",
        with(13, &|h, _| {
            h.kq = Array2::zeros((300, 4));
            h.vq = Array2::zeros((300, 4));
            h.mk = vec![1; 300];
        }),
    ));
    cases.push((
        "d not the board's: overflow",
        with(14, &|h, _| {
            let (n, rows) = (h.kq.nrows().min(20), h.qq.nrows().min(20));
            h.kq = Array2::zeros((n, 8));
            h.vq = Array2::zeros((n, 8));
            h.mk.truncate(n);
            h.qq = Array2::zeros((rows, 8));
            h.mq.truncate(rows);
        }),
    ));
    cases.push(("k = 4: overflow", with(15, &|_, r| r.bits = 4)));
    cases.push((
        "another codebook: unsupported",
        with(16, &|_, r| r.codebook = 0),
    ));
    cases.push(("shift 64: unsupported", with(17, &|h, _| h.shift = 64)));
    cases.push((
        "a codes job: unsupported here",
        Request {
            seq: 18,
            bits: 3,
            weights: weights(&cb),
            codebook: codebook_tag(&cb),
            payload: Payload::Codes(CodesPayload {
                vq: Array2::zeros((16, 4)),
                codes: Array2::zeros((2, 16)),
            }),
        }
        .encode()
        .unwrap(),
    ));
    // An info request with a payload, its CRCs made good: malformed, so bad header.
    let mut inf = Request::info(19).encode().unwrap();
    inf.truncate(44);
    inf[36] = 3;
    let hc = crc32(&inf[..40]);
    inf[40..44].copy_from_slice(&hc.to_le_bytes());
    inf.extend([1, 2, 3]);
    let fc = crc32(&inf);
    inf.extend(fc.to_le_bytes());
    cases.push(("info with a payload: bad header", inf));
    // A head whose payload length disagrees with its shape, CRCs good: bad header.
    let mut len = good(&mut rng, 20);
    len.truncate(len.len() - 4);
    len[36] = len[36].wrapping_add(1);
    let hc = crc32(&len[..40]);
    len[40..44].copy_from_slice(&hc.to_le_bytes());
    len.push(0);
    let fc = crc32(&len);
    len.extend(fc.to_le_bytes());
    cases.push(("payload length off by one: bad header", len));
    let mut dropped = good(&mut rng, 21);
    dropped.remove(100);
    cases.push(("a dropped byte", dropped));
    let mut dup = good(&mut rng, 22);
    dup.insert(60, dup[60]);
    cases.push(("a duplicated byte", dup));
    cases.push((
        "garbage with stray magic",
        vec![0x4C, 0x41, 0x4C, 0x4C, 0x41, 9, 9, 0x41, 0x4C],
    ));
    for (what, bad) in cases {
        for drive in [DRIVES[0], DRIVES[1]] {
            // The damaged frame between two good ones: the second must always be served.
            let mut bytes = good(&mut rng, 100);
            bytes.extend(&bad);
            bytes.extend(good(&mut rng, 101));
            bytes.extend(good(&mut rng, 102));
            let rs = agree(&mut board, &bytes, drive, what);
            let last = rs.last().unwrap();
            assert_eq!((last.seq, last.status), (102, Status::Ok), "{what}");
        }
    }
}

#[test]
fn random_damage_never_yields_a_wrong_result() {
    let cb = Codebook::octave(3).unwrap();
    let mut board = SimBoard::new(&config(8, 64, &cb), &BuildOptions::default()).unwrap();
    let mut rng = StdRng::seed_from_u64(99);
    let mut served = 0;
    for round in 0..40u16 {
        let mut bytes = Vec::new();
        for j in 0..3u16 {
            let mut f = random_request(&mut rng, 8, 64, &cb, 3 * round + j)
                .encode()
                .unwrap();
            match rng.gen_range(0..5) {
                0 => {
                    let i = rng.gen_range(0..f.len());
                    f[i] ^= 1 << rng.gen_range(0..8);
                }
                1 => {
                    f.remove(rng.gen_range(0..f.len()));
                }
                2 => {
                    let i = rng.gen_range(0..f.len());
                    f.insert(i, rng.gen());
                }
                _ => {}
            }
            bytes.extend(f);
            if rng.gen_bool(0.3) {
                bytes.extend((0..rng.gen_range(1..20)).map(|_| rng.gen::<u8>()));
            }
        }
        let rs = agree(
            &mut board,
            &bytes,
            DRIVES[(round % 2) as usize],
            "random damage",
        );
        served += rs.iter().filter(|r| r.status == Status::Ok).count();
        // Whatever the damage, a frame cut short may still wait for bytes: flush it with
        // enough zeros to end any payload this board accepts, then resynchronize.
        board.reset();
    }
    assert!(served > 40, "only {served} jobs served");
}

fn codes_config(d: usize, variant: Variant) -> DeviceConfig {
    DeviceConfig::codes(d, 64, variant).unwrap()
}

/// A random codes job: n and rows up to 64, about `density` of the codes non-zero.
fn codes_request(rng: &mut StdRng, d: usize, w: [u16; 8], seq: u16) -> Request {
    let n = rng.gen_range(1..=64);
    let rows = rng.gen_range(1..=64);
    let density = rng.gen_range(0.0..1.0);
    let codes = Array2::from_shape_fn((rows, n), |_| {
        if rng.gen_bool(density) {
            rng.gen_range(1..8u8)
        } else {
            0
        }
    });
    let vq = Array2::from_shape_fn((n, d), |_| rng.gen::<i8>());
    Request {
        seq,
        bits: 3,
        weights: w,
        codebook: 0,
        payload: Payload::Codes(CodesPayload { vq, codes }),
    }
}

#[test]
fn codes_board_serves_codes_jobs_as_the_device() {
    let oct = Codebook::octave(3).unwrap();
    let log = Codebook::log(3, 1e-3).unwrap();
    for (variant, w) in [
        (Variant::Octave, weights(&oct)),
        (Variant::General, weights(&log)),
    ] {
        let mut board = SimBoard::new(&codes_config(8, variant), &BuildOptions::default()).unwrap();
        let mut rng = StdRng::seed_from_u64(3);
        for drive in [DRIVES[0], DRIVES[1]] {
            let mut bytes = Request::info(1).encode().unwrap();
            for seq in 2..14 {
                bytes.extend(codes_request(&mut rng, 8, w, seq).encode().unwrap());
            }
            let rs = agree(
                &mut board,
                &bytes,
                drive,
                &format!("{variant:?} codes jobs"),
            );
            assert_eq!(rs.len(), 13);
            assert!(rs.iter().all(|r| r.status == Status::Ok), "{variant:?}");
            let i = rs[0].info.unwrap();
            assert_eq!((i.front_end, i.codes, i.d), (0, 1, 8));
        }
        // Damage, a head job (no front end here) and, on the octave board, other weights.
        let mut cases: Vec<Vec<u8>> = Vec::new();
        let mut f = codes_request(&mut rng, 8, w, 50).encode().unwrap();
        let at = f.len() - 7;
        f[at] ^= 4;
        cases.push(f);
        let mut f = codes_request(&mut rng, 8, w, 51).encode().unwrap();
        f.remove(70);
        cases.push(f);
        cases.push(random_request(&mut rng, 8, 64, &log, 52).encode().unwrap());
        cases.push(
            codes_request(&mut rng, 8, weights(&log), 53)
                .encode()
                .unwrap(),
        );
        let mut wide = codes_request(&mut rng, 8, w, 54);
        if let Payload::Codes(c) = &mut wide.payload {
            c.codes = Array2::zeros((65, c.codes.ncols()));
        }
        cases.push(wide.encode().unwrap());
        for bad in cases {
            let mut bytes = codes_request(&mut rng, 8, w, 100).encode().unwrap();
            bytes.extend(bad);
            bytes.extend(codes_request(&mut rng, 8, w, 101).encode().unwrap());
            bytes.extend(codes_request(&mut rng, 8, w, 102).encode().unwrap());
            let rs = agree(&mut board, &bytes, DRIVES[1], "codes board, damage");
            assert_eq!(
                rs.last().map(|r| (r.seq, r.status)),
                Some((102, Status::Ok))
            );
        }
    }
}

/// The Alchitry Cu board top (pins, PLL stand-in, reset sync, UART bridge, codes board) in
/// Verilator, driven through its UART pins at the board's baud rate by a host that keeps at
/// most two requests unanswered: its response bytes equal the device's.
#[test]
fn alchitry_cu_top_answers_over_its_uart_as_the_device() {
    use sim::verilator::{Direction as Dir, VerilatedModel};
    let b = hdl::boards::board("alchitry_cu").unwrap();
    let cfg = b.device_config();
    let verilog = format!(
        "{}{}",
        hdl::boards::top_verilog(&b, "link").unwrap(),
        b.stand_ins()
    );
    let mut m = VerilatedModel::build(&verilog, "top", &BuildOptions::default()).unwrap();
    m.set_clock("clk").unwrap();
    let rx = m.port_checked("usb_rx", Dir::Input, 1).unwrap();
    let tx = m.port_checked("usb_tx", Dir::Output, 1).unwrap();
    let rst_n = m.port_checked("rst_n", Dir::Input, 1).unwrap();
    let baud = b.baud().unwrap();
    let per_bit = (b.design_clock_hz() / baud) as usize;
    assert_eq!(per_bit * baud as usize, b.design_clock_hz() as usize);
    let mut rng = StdRng::seed_from_u64(11);
    let w = weights(&Codebook::octave(3).unwrap());
    let small = |rng: &mut StdRng, seq| {
        let mut r = codes_request(rng, cfg.core.d, w, seq);
        if let Payload::Codes(c) = &mut r.payload {
            let (rows, n) = (c.codes.nrows().min(6), c.codes.ncols().min(40));
            c.codes = c.codes.slice(ndarray::s![..rows, ..n]).to_owned();
            c.vq = c.vq.slice(ndarray::s![..n, ..]).to_owned();
        }
        r.encode().unwrap()
    };
    let mut frames = vec![Request::info(1).encode().unwrap()];
    for seq in 2..6 {
        frames.push(small(&mut rng, seq));
    }
    let mut bad = small(&mut rng, 6);
    bad[50] ^= 0x20;
    frames.insert(2, bad);
    let want = Device::new(cfg.clone()).feed(&frames.concat());
    // The line: idle high; 8N1, LSB first.
    m.set(rst_n, 1);
    m.set(rx, 1);
    let mut dec = Decoder::new(Direction::Responses, 1 << 20);
    let (mut got, mut done) = (Vec::new(), 0usize);
    let (mut sent, mut bits): (usize, Vec<u64>) = (0, Vec::new());
    let (mut rx_bit, mut rx_byte, mut rx_t, mut rx_on) = (0usize, 0u8, 0usize, false);
    let mut quiet = 0usize;
    for _cycle in 0..3_000_000 {
        if bits.is_empty() && sent < frames.len() && sent <= done + 1 {
            for &byte in &frames[sent] {
                bits.extend(std::iter::repeat_n(0, per_bit));
                for i in 0..8 {
                    bits.extend(std::iter::repeat_n(((byte >> i) & 1) as u64, per_bit));
                }
                bits.extend(std::iter::repeat_n(1, per_bit));
            }
            bits.reverse();
            sent += 1;
        }
        m.set(rx, bits.pop().unwrap_or(1));
        m.eval();
        let line = m.get(tx);
        m.posedge();
        // Receive: the start bit's falling edge, then sample each bit in its middle.
        if !rx_on {
            if line == 0 {
                (rx_on, rx_t, rx_bit, rx_byte) = (true, 0, 0, 0);
            }
        } else {
            rx_t += 1;
            if rx_t == per_bit / 2 + per_bit * (rx_bit + 1) {
                if rx_bit < 8 {
                    rx_byte |= (line as u8) << rx_bit;
                    rx_bit += 1;
                } else {
                    assert_eq!(line, 1, "stop bit of response byte {}", got.len());
                    got.push(rx_byte);
                    done += dec.push(&[rx_byte]).len();
                    rx_on = false;
                }
            }
        }
        quiet = if sent == frames.len() && bits.is_empty() && !rx_on && done == want_frames(&want) {
            quiet + 1
        } else {
            0
        };
        if quiet > 10 * per_bit {
            break;
        }
    }
    assert_eq!(got, want, "the board's UART bytes differ from the device's");
    assert_eq!(done, frames.len());
}

fn want_frames(bytes: &[u8]) -> usize {
    Decoder::new(Direction::Responses, 1 << 20)
        .push(bytes)
        .len()
}
