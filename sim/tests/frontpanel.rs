//! The XEM7010's design at its FrontPanel endpoints (`hdl::link::frontpanel_link::FrontPanelLink`:
//! pipe FIFOs, framer, buffers, head; Verilated) driven by a FrontPanel host model
//! (`sim::frontpanel::SimFrontPanel`: pipe words written only up to the words-free count and
//! read only up to the words-ready count, two bytes a word low byte first, odd batches padded
//! with 0x00), against the behavioural board `model::link::Device`: after dropping the pad bytes
//! between response frames, the response bytes are identical, byte for byte.

use model::link::*;
use model::Codebook;
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::SeedableRng;
use sim::frontpanel::{strip_pads, HostDrive, SimFrontPanel};
use sim::verilator::BuildOptions;

mod common;
use common::{config, golden_heads, random_request};

/// The pipe FIFOs of the simulated design: small, so that the counts limit every transfer and
/// the output FIFO fills when the host reads slowly (the XEM7010 has 4096 words).
const FIFO_WORDS: usize = 64;

/// The request stream as the host sends it: each batch, a 0x00 after an odd-length one.
fn padded(batches: &[Vec<u8>]) -> Vec<u8> {
    let mut v = Vec::new();
    for b in batches {
        v.extend(b);
        if b.len() % 2 == 1 {
            v.push(0);
        }
    }
    v
}

fn decode(bytes: &[u8]) -> Vec<Event> {
    Decoder::new(Direction::Responses, 1 << 24).push(bytes)
}

/// Runs `batches` through the simulated board under `drive` and the padded request stream
/// through a fresh `Device`; the responses, pad bytes dropped, must agree byte for byte, and the
/// host's decoder must read the same frames with the pads as without. Returns the responses.
fn agree(
    board: &mut SimFrontPanel,
    batches: &[Vec<u8>],
    drive: HostDrive,
    what: &str,
) -> Vec<Response> {
    let want = Device::new(board.config().clone()).feed(&padded(batches));
    board.set_drive(drive);
    let got = board
        .exchange(batches)
        .unwrap_or_else(|e| panic!("{what}: {e:#}"));
    let frames = strip_pads(&got).unwrap_or_else(|e| panic!("{what}: {e:#}"));
    if frames != want {
        let at = frames.iter().zip(&want).position(|(a, b)| a != b);
        panic!(
            "{what}: the board's {} response bytes differ from the device's {} (first at {at:?})\nboard: {:?}\ndevice: {:?}",
            frames.len(),
            want.len(),
            decode(&frames),
            decode(&want)
        );
    }
    let events = decode(&got);
    assert_eq!(
        format!("{events:?}"),
        format!("{:?}", decode(&frames)),
        "{what}: pads"
    );
    events
        .into_iter()
        .map(|e| match e {
            Event::Response(r) => r,
            other => panic!("{what}: a response the host cannot decode: {other:?}"),
        })
        .collect()
}

const DRIVES: [HostDrive; 3] = [
    HostDrive::FULL_SPEED,
    // Gaps between words, pauses between calls, small transfers.
    HostDrive {
        word_gap: 0.3,
        pause: 40,
        max_words: 7,
        seed: 5,
    },
    // A slow host moving 3 words a call: the output FIFO fills and holds the link design off.
    HostDrive {
        word_gap: 0.0,
        pause: 300,
        max_words: 3,
        seed: 6,
    },
];

#[test]
fn frontpanel_board_serves_golden_heads_and_info_as_the_device() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let cfg = config(4, 64, &cb);
    let mut board = SimFrontPanel::new(&cfg, FIFO_WORDS, &BuildOptions::default()).unwrap();
    let mut rng = StdRng::seed_from_u64(42);
    let golden = golden_heads(4);
    for (k, drive) in DRIVES.into_iter().enumerate() {
        let mut batches = vec![Request::info(1).encode().unwrap()];
        let mut seq = 2;
        for c in &golden {
            batches.push(c.request(seq).unwrap().encode().unwrap());
            seq += 1;
        }
        for _ in 0..[6, 3, 2][k] {
            batches.push(random_request(&mut rng, 4, 64, &cb, seq).encode().unwrap());
            seq += 1;
        }
        // Good frames: pads between them would change nothing for the device either.
        let dev = |b: &[u8]| Device::new(cfg.clone()).feed(b);
        assert_eq!(dev(&padded(&batches)), dev(&batches.concat()));
        let t0 = board.cycles();
        let rs = agree(&mut board, &batches, drive, &format!("drive {drive:?}"));
        eprintln!(
            "drive {k}: {} frames, {} request bytes, {} cycles of ti_clk",
            batches.len(),
            padded(&batches).len(),
            board.cycles() - t0
        );
        assert_eq!(rs.len() as u16, seq - 1, "one response per request");
        assert!(rs.iter().all(|r| r.status == Status::Ok));
        assert_eq!(rs[0].info.unwrap().d, 4);
        for (r, c) in rs[1..].iter().zip(&golden) {
            assert_eq!(r.result.as_ref(), Some(&c.expected), "{}", c.name);
        }
    }
}

/// The link design on its own clock, faster, slower or a hair off `ti_clk` (their edges slide
/// through every phase): the same bytes as the device, and the cycles the responses report are
/// the design's own (the device's), whatever the ratio.
#[test]
fn frontpanel_board_serves_heads_across_its_clock_crossing_at_any_ratio() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let cfg = config(4, 64, &cb);
    let mut board = SimFrontPanel::new(&cfg, FIFO_WORDS, &BuildOptions::default()).unwrap();
    let mut rng = StdRng::seed_from_u64(9);
    let golden = golden_heads(4);
    for (ti_hz, head_hz) in [
        (48_000_000, 100_000_000),
        (48_000_000, 30_000_000),
        (48_000_000, 47_900_000),
        (48_000_000, 150_000_000),
    ] {
        board.set_clocks(ti_hz, head_hz);
        board.reset();
        let mut batches: Vec<Vec<u8>> = vec![];
        for (seq, c) in golden.iter().enumerate() {
            batches.push(c.request(seq as u16).unwrap().encode().unwrap());
        }
        for seq in 0..2 {
            batches.push(
                random_request(&mut rng, 4, 64, &cb, 50 + seq)
                    .encode()
                    .unwrap(),
            );
        }
        let t0 = board.cycles();
        let what = format!("ti_clk {ti_hz} Hz, head_clock {head_hz} Hz");
        let rs = agree(&mut board, &batches, DRIVES[1], &what);
        eprintln!("{what}: {} cycles of ti_clk", board.cycles() - t0);
        assert_eq!(rs.len(), batches.len(), "{what}");
        for (r, c) in rs.iter().zip(&golden) {
            assert_eq!(r.result.as_ref(), Some(&c.expected), "{what}: {}", c.name);
        }
    }
}

#[test]
fn frontpanel_board_answers_damaged_frames_as_the_device() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let mut board =
        SimFrontPanel::new(&config(4, 64, &cb), FIFO_WORDS, &BuildOptions::default()).unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let good = |rng: &mut StdRng, seq| random_request(rng, 4, 64, &cb, seq).encode().unwrap();
    let mut cases: Vec<(&str, Vec<u8>)> = vec![];
    let mut flipped = good(&mut rng, 10);
    let at = flipped.len() - 9;
    flipped[at] ^= 0x10;
    cases.push(("payload bit flip: bad CRC", flipped));
    let mut hdr = good(&mut rng, 11);
    hdr[9] ^= 1;
    cases.push(("header bit flip: bad header", hdr));
    let mut big = random_request(&mut StdRng::seed_from_u64(12), 4, 64, &cb, 12);
    if let Payload::Head(h) = &mut big.payload {
        h.kq = Array2::zeros((300, 4));
        h.vq = Array2::zeros((300, 4));
        h.mk = vec![1; 300];
    }
    cases.push((
        "payload longer than any job: overflow, skipped",
        big.encode().unwrap(),
    ));
    // An info request with a 3-byte payload, its CRCs made good: bad header (odd: padded).
    let mut inf = Request::info(13).encode().unwrap();
    inf.truncate(44);
    inf[36] = 3;
    let hc = crc32(&inf[..40]);
    inf[40..44].copy_from_slice(&hc.to_le_bytes());
    inf.extend([1, 2, 3]);
    let fc = crc32(&inf);
    inf.extend(fc.to_le_bytes());
    cases.push(("info with a payload: bad header", inf));
    let mut dropped = good(&mut rng, 14);
    dropped.remove(100);
    cases.push(("a dropped byte (odd: padded)", dropped));
    let mut dup = good(&mut rng, 15);
    dup.insert(60, dup[60]);
    cases.push(("a duplicated byte (odd: padded)", dup));
    cases.push((
        "garbage with stray magic (odd: padded)",
        vec![0x4C, 0x41, 0x4C, 0x4C, 0x41, 9, 9, 0x41, 0x4C],
    ));
    for (what, bad) in cases {
        for drive in [DRIVES[0], DRIVES[1]] {
            // The damaged frame between good ones, each its own pipe transfer.
            let batches = vec![
                good(&mut rng, 100),
                bad.clone(),
                good(&mut rng, 101),
                good(&mut rng, 102),
            ];
            let rs = agree(&mut board, &batches, drive, what);
            let last = rs.last().unwrap();
            assert_eq!((last.seq, last.status), (102, Status::Ok), "{what}");
        }
    }
}

#[test]
fn frontpanel_reset_status_and_flags() {
    use hdl::link::frontpanel_link::*;
    let cb = Codebook::log(3, 1e-3).unwrap();
    let cfg = config(4, 64, &cb);
    let mut board = SimFrontPanel::new(&cfg, FIFO_WORDS, &BuildOptions::default()).unwrap();
    let wire = |b: &mut SimFrontPanel| {
        b.update_wire_outs();
        [EP_WORDS_FREE, EP_WORDS_READY, EP_STATUS].map(|a| b.get_wire_out(a).unwrap())
    };
    assert_eq!(wire(&mut board), [FIFO_WORDS as u16, 0, STATUS_SIGNATURE]);
    assert!(board.get_wire_out(0x23).is_err());
    assert!(
        board.write_to_pipe_in(EP_PIPE_IN, &[1, 2, 3]).is_err(),
        "odd"
    );
    assert!(
        board.write_to_pipe_in(0x81, &[1, 2]).is_err(),
        "no such pipe"
    );
    // Half a frame, then a reset: the next frames are served as on a fresh board.
    let frame = random_request(&mut StdRng::seed_from_u64(1), 4, 64, &cb, 1)
        .encode()
        .unwrap();
    board.write_to_pipe_in(EP_PIPE_IN, &frame[..40]).unwrap();
    board.reset();
    assert_eq!(wire(&mut board), [FIFO_WORDS as u16, 0, STATUS_SIGNATURE]);
    let batches = vec![Request::info(2).encode().unwrap(), frame.clone()];
    let rs = agree(&mut board, &batches, DRIVES[0], "after a reset");
    assert_eq!(rs.iter().map(|r| r.seq).collect::<Vec<_>>(), [2, 1]);
    // More words than the FIFO takes, nobody reading: overflow; reading nothing: underflow;
    // both sticky until the reset.
    let many = vec![0x55u8; 2 * (FIFO_WORDS + 300)];
    board.write_to_pipe_in(EP_PIPE_IN, &many).unwrap();
    let s = wire(&mut board)[2];
    assert_eq!(s & STATUS_OVERFLOW, STATUS_OVERFLOW, "status 0x{s:04X}");
    let mut two = [0xEEu8; 2];
    board.read_from_pipe_out(EP_PIPE_OUT, &mut two).unwrap();
    assert_eq!(two, [0, 0]);
    let s = wire(&mut board)[2];
    assert_eq!(s & STATUS_UNDERFLOW, STATUS_UNDERFLOW, "status 0x{s:04X}");
    board.reset();
    assert_eq!(wire(&mut board), [FIFO_WORDS as u16, 0, STATUS_SIGNATURE]);
}

/// The host's decoder hunts for the response magic between frames, so the pad bytes the pipe
/// bridge adds after an odd-length response frame are skipped; and a 0x00 between request
/// frames is skipped by the device's (and the on-chip framer's) hunt.
#[test]
fn pad_bytes_between_frames_are_skipped_by_both_decoders() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let cfg = config(4, 64, &cb);
    let mut rng = StdRng::seed_from_u64(3);
    let frames: Vec<Vec<u8>> = (0..6)
        .map(|s| random_request(&mut rng, 4, 64, &cb, s).encode().unwrap())
        .collect();
    let responses = Device::new(cfg.clone()).feed(&frames.concat());
    let with_zeros: Vec<u8> = frames
        .iter()
        .flat_map(|f| [f.clone(), vec![0]].concat())
        .collect();
    assert_eq!(Device::new(cfg.clone()).feed(&with_zeros), responses);
    // Responses, a 0x00 after every frame (odd-length or not).
    let mut at = 0;
    let mut padded_rsp = Vec::new();
    while at < responses.len() {
        let len = u32::from_le_bytes(responses[at + 16..at + 20].try_into().unwrap()) as usize;
        padded_rsp.extend(&responses[at..at + 28 + len]);
        padded_rsp.push(0);
        at += 28 + len;
    }
    assert_eq!(
        format!("{:?}", decode(&padded_rsp)),
        format!("{:?}", decode(&responses))
    );
    assert_eq!(decode(&responses).len(), 6);
    // strip_pads accepts a pad only after an odd-length frame.
    assert!(strip_pads(&padded_rsp).is_err());
    assert_eq!(strip_pads(&responses).unwrap(), responses);
}
