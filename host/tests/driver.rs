//! The driver over every transport that needs no board: the Verilated board on its byte
//! streams (`SimLink`), at its FrontPanel endpoints (`SimPipes`), and behind a pseudo serial
//! port (`Uart`); with and without injected faults. Every result is compared integer for
//! integer (and cycle for cycle) with `model::link::Device`.

use host::driver::{Driver, DriverOptions, Job, LinkStats};
use host::transport::faults::{FaultCounts, FaultSpec, Faulty};
use host::transport::sim::{sim_pipes, SimLink};
use host::transport::uart::Uart;
use host::transport::Transport;
use model::golden::{golden_dir, load_head_cases};
use model::link::{DeviceConfig, HeadPayload, Request, Response, Status};
use model::Codebook;
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Duration;

/// The simulated head board for `d` lanes (N_MAX = 64 at D = 4) with `cb`'s front end.
fn config(d: usize, cb: &Codebook) -> DeviceConfig {
    hdl::Build::head_board(d, cb).unwrap()
}

/// A random head job of `d` lanes, n keys and rows query rows up to the limits given.
fn random_job(
    rng: &mut StdRng,
    d: usize,
    n_max: usize,
    rows_max: usize,
    cb: &Codebook,
    i: usize,
) -> Job {
    let n = rng.gen_range(1..=n_max);
    let rows = rng.gen_range(1..=rows_max);
    let mut m = |r: usize, c: usize| Array2::from_shape_fn((r, c), |_| rng.gen::<i8>());
    let (kq, vq, qq) = (m(n, d), m(n, d), m(rows, d));
    let mk = (0..n).map(|_| rng.gen_range(8000..32768)).collect();
    let mq = (0..rows).map(|_| rng.gen_range(8000..32768)).collect();
    Job {
        name: format!("job {i}"),
        request: Request::head(
            0,
            cb,
            HeadPayload {
                kq,
                mk,
                vq,
                qq,
                mq,
                shift: rng.gen_range(14..24),
                valid_len: rng.gen_range(1..=n) as u16,
            },
        ),
    }
}

/// Runs `jobs` and counts results that differ from the model's in any integer or in cycles.
/// Every job must come back exactly once: a job index delivered twice, or never, fails.
fn run_and_count_wrong<T: Transport>(
    driver: &mut Driver<T>,
    cfg: &DeviceConfig,
    jobs: &[Job],
) -> anyhow::Result<(usize, usize)> {
    let mut wrong = 0;
    let mut seen = vec![0u32; jobs.len()];
    driver.run(jobs, |d| {
        seen[d.job] += 1;
        let want: Response = host::jobs::expected(cfg, &jobs[d.job].request);
        assert_eq!(want.status, Status::Ok);
        if d.response.result != want.result || d.response.cycles != want.cycles {
            wrong += 1;
        }
        Ok(())
    })?;
    if let Some(j) = seen.iter().position(|&c| c != 1) {
        anyhow::bail!("job {j} came back {} times", seen[j]);
    }
    Ok((seen.len(), wrong))
}

/// Prints (and under `make stress` records) what a run with faults did.
fn report(
    what: &str,
    (jobs, wrong): (usize, usize),
    s: &LinkStats,
    f: &FaultCounts,
    t: std::time::Instant,
) {
    model::stress::record(
        what,
        &[
            ("jobs", jobs as f64),
            ("each_exactly_once", 1.0),
            ("faults", f.total() as f64),
            ("dropped", f.dropped as f64),
            ("duplicated", f.duplicated as f64),
            ("flipped", f.flipped as f64),
            ("stalled", f.stalled as f64),
            ("requests_damaged", f.requests_damaged as f64),
            ("responses_damaged", f.responses_damaged as f64),
            ("detected", s.detected() as f64),
            ("board_rejected", s.board_rejected as f64),
            ("responses_failed", s.responses_damaged as f64),
            ("lost_by_order", s.lost_by_order as f64),
            ("timeouts", s.timeouts as f64),
            ("retries", s.retries as f64),
            ("stale", s.stale as f64),
            ("wrong", wrong as f64),
            ("seconds", t.elapsed().as_secs_f64()),
        ],
    );
}

/// A driver over the simulated head board for `d` lanes with faults of `spec` injected, at
/// most `max_attempts` attempts per job.
fn faulty_driver(
    d: usize,
    cb: &Codebook,
    spec: &str,
    max_attempts: u32,
) -> (
    Driver<Faulty<SimLink>>,
    DeviceConfig,
    std::rc::Rc<std::cell::Cell<FaultCounts>>,
) {
    let cfg = config(d, cb);
    let link = Faulty::new(SimLink::new(&cfg).unwrap(), spec.parse().unwrap());
    let faults = link.counts_handle();
    let opts = DriverOptions {
        max_attempts,
        ..Default::default()
    };
    (Driver::new(link, opts).unwrap(), cfg, faults)
}

#[test]
fn golden_and_random_heads_over_the_sim_link_equal_the_model() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let cfg = config(4, &cb);
    let mut d = Driver::new(SimLink::new(&cfg).unwrap(), DriverOptions::default()).unwrap();
    let info = d.info().unwrap();
    assert_eq!((info.d, info.n_max, info.front_end), (4, 64, 1));
    // The golden head of D = 4: the board's integers equal the golden files.
    let cases = load_head_cases(&golden_dir().join("head")).unwrap();
    let g = cases.iter().find(|c| c.name == "d4_n20_log3").unwrap();
    let job = Job {
        name: g.name.clone(),
        request: g.request(0).unwrap(),
    };
    let mut got = None;
    d.run(std::slice::from_ref(&job), |r| {
        got = r.response.result;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        got.as_ref(),
        Some(&g.expected),
        "the golden head's acc/rsum"
    );
    // Random heads, two in flight at a time.
    let mut rng = StdRng::seed_from_u64(5);
    let jobs: Vec<Job> = (0..40)
        .map(|i| random_job(&mut rng, 4, 64, 64, &cb, i))
        .collect();
    let (done, wrong) = run_and_count_wrong(&mut d, &cfg, &jobs).unwrap();
    assert_eq!((done, wrong), (40, 0));
    let s = d.stats();
    assert_eq!((s.retries, s.detected(), s.stale), (0, 0, 0), "{s:?}");
    assert_eq!(s.frames_sent, 42);
}

/// Small heads (d = 4, n <= 16) at 2% of every fault per transfer: 3,000 jobs in `cargo
/// test`, 20,000 under `make stress`; every job back exactly once, none wrong.
#[test]
fn thousands_of_jobs_with_injected_faults_complete_and_none_is_wrong() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let spec = "drop=0.02,dup=0.02,flip=0.02,stall=0.02,seed=11";
    let (mut d, cfg, faults) = faulty_driver(4, &cb, spec, 8);
    let n = model::stress::count(3_000, 20_000) as usize;
    let mut rng = StdRng::seed_from_u64(6);
    let jobs: Vec<Job> = (0..n)
        .map(|i| random_job(&mut rng, 4, 16, 4, &cb, i))
        .collect();
    let t0 = std::time::Instant::now();
    let (done, wrong) = run_and_count_wrong(&mut d, &cfg, &jobs).unwrap();
    let (s, f) = (d.stats(), faults.get());
    report(
        "driver: sim link, d = 4, n <= 16, 2% of each fault per transfer",
        (done, wrong),
        &s,
        &f,
        t0,
    );
    assert_eq!(done, n, "every job completes");
    assert_eq!(wrong, 0, "no wrong output");
    assert!(f.total() as usize >= n / 10, "faults were injected: {f:?}");
    // Every damaged transfer and every stall costs at least one failed attempt, detected.
    assert!(s.detected() > 0 && s.retries > 0, "{s:?}");
    assert!(
        s.detected() as f64 >= 0.9 * (f.requests_damaged + f.responses_damaged) as f64,
        "detected {} of {} damaged transfers",
        s.detected(),
        f.requests_damaged + f.responses_damaged
    );
}

/// 10% of every fault per transfer with up to 32 attempts a job: 300 jobs in `cargo test`,
/// 2,000 under `make stress`; every job back exactly once, none wrong.
#[test]
fn jobs_at_ten_percent_faults_with_more_attempts_all_complete() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let (mut d, cfg, faults) = faulty_driver(4, &cb, "all=0.1,seed=12", 32);
    let n = model::stress::count(300, 2_000) as usize;
    let mut rng = StdRng::seed_from_u64(13);
    let jobs: Vec<Job> = (0..n)
        .map(|i| random_job(&mut rng, 4, 64, 16, &cb, i))
        .collect();
    let t0 = std::time::Instant::now();
    let (done, wrong) = run_and_count_wrong(&mut d, &cfg, &jobs).unwrap();
    let (s, f) = (d.stats(), faults.get());
    report(
        "driver: sim link, d = 4, n <= 64, 10% of each fault, 32 attempts",
        (done, wrong),
        &s,
        &f,
        t0,
    );
    assert_eq!((done, wrong), (n, 0));
    assert!(f.total() as usize >= n / 4 && s.retries > 0, "{f:?} {s:?}");
}

/// Realistic heads (d = 32 and 64, n <= 128 keys, up to 128 query rows: up to 25 KB
/// requests) at 2% of each fault per transfer: 300 and 150 jobs in `cargo test`, 3,000 and
/// 1,500 under `make stress`; every job back exactly once, none wrong.
#[test]
fn realistic_heads_with_injected_faults_complete_and_none_is_wrong() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    for (d, jobs_n, seed) in [
        (32usize, model::stress::count(300, 3_000), 21u64),
        (64, model::stress::count(150, 1_500), 22),
    ] {
        let jobs_n = jobs_n as usize;
        let (mut drv, cfg, faults) = faulty_driver(d, &cb, &format!("all=0.02,seed={seed}"), 8);
        let mut rng = StdRng::seed_from_u64(seed);
        let jobs: Vec<Job> = (0..jobs_n)
            .map(|i| random_job(&mut rng, d, 128, 128, &cb, i))
            .collect();
        let t0 = std::time::Instant::now();
        let (done, wrong) = run_and_count_wrong(&mut drv, &cfg, &jobs).unwrap();
        let (s, f) = (drv.stats(), faults.get());
        report(
            &format!("driver: sim link, d = {d}, n <= 128, rows <= 128, 2% of each fault"),
            (done, wrong),
            &s,
            &f,
            t0,
        );
        assert_eq!((done, wrong), (jobs_n, 0), "d = {d}");
        assert!(
            f.total() >= 10 && s.retries > 0,
            "faults were injected: {f:?}"
        );
    }
}

#[test]
fn heavy_faults_end_in_an_error_naming_the_job_and_nothing_wrong_is_delivered() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let cfg = config(4, &cb);
    let spec: FaultSpec = "all=0.5,seed=3".parse().unwrap();
    let mut d = Driver::new(
        Faulty::new(SimLink::new(&cfg).unwrap(), spec),
        DriverOptions {
            max_attempts: 3,
            ..Default::default()
        },
    )
    .unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let jobs: Vec<Job> = (0..200)
        .map(|i| random_job(&mut rng, 4, 16, 4, &cb, i))
        .collect();
    let mut wrong = 0;
    let err = d
        .run(&jobs, |r| {
            let want = host::jobs::expected(&cfg, &jobs[r.job].request);
            wrong += usize::from(r.response.result != want.result);
            Ok(())
        })
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("job ") && err.contains("no verified response after 3 attempts"),
        "{err}"
    );
    assert!(err.contains("nothing was written for it"), "{err}");
    assert_eq!(wrong, 0);
}

#[test]
fn frontpanel_pipes_carry_jobs_with_faults() {
    let cb = Codebook::octave(3).unwrap();
    let cfg = config(4, &cb);
    let spec: FaultSpec = "all=0.03,seed=4".parse().unwrap();
    let link = Faulty::new(sim_pipes(&cfg, 64).unwrap(), spec);
    let faults = link.counts_handle();
    let mut d = Driver::new(link, DriverOptions::default()).unwrap();
    assert!(d.link_ref().describe().contains("FrontPanelLink"));
    let info = d.info().unwrap();
    assert_eq!((info.d, info.variant, info.codebook), (4, 1, 0));
    let mut rng = StdRng::seed_from_u64(8);
    // Odd and even frame lengths (pads), some longer than the 64-word FIFOs.
    let n = model::stress::count(300, 3_000) as usize;
    let jobs: Vec<Job> = (0..n)
        .map(|i| random_job(&mut rng, 4, 64, 8, &cb, i))
        .collect();
    let t0 = std::time::Instant::now();
    let (done, wrong) = run_and_count_wrong(&mut d, &cfg, &jobs).unwrap();
    let (s, f) = (d.stats(), faults.get());
    report(
        "driver: FrontPanel pipes, d = 4, 3% of each fault",
        (done, wrong),
        &s,
        &f,
        t0,
    );
    assert_eq!((done, wrong), (n, 0));
    assert!(f.total() > 20 && s.retries > 0, "{f:?} {s:?}");
}

#[test]
fn the_board_refusing_a_job_ends_the_run_with_its_reason() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let cfg = config(4, &cb);
    let mut d = Driver::new(SimLink::new(&cfg).unwrap(), DriverOptions::default()).unwrap();
    let mut rng = StdRng::seed_from_u64(9);
    // A head for another codebook's front end: unsupported.
    let other = Codebook::log(3, 1e-2).unwrap();
    let job = random_job(&mut rng, 4, 8, 2, &other, 0);
    let err = d.run(&[job], |_| Ok(())).unwrap_err().to_string();
    assert!(
        err.contains("job 0: the board refused the job (unsupported"),
        "{err}"
    );
    // A head wider than the board: overflow.
    let job = random_job(&mut rng, 8, 8, 2, &cb, 1);
    let err = d.run(&[job], |_| Ok(())).unwrap_err().to_string();
    assert!(
        err.contains("job 1: the board refused the job (overflow"),
        "{err}"
    );
    // The link is still in step: a good job after them succeeds.
    let jobs = [random_job(&mut rng, 4, 8, 2, &cb, 2)];
    assert_eq!(run_and_count_wrong(&mut d, &cfg, &jobs).unwrap(), (1, 0));
}

/// The Verilated board behind a pseudo-terminal, relayed by a thread (dropping the request
/// bytes at the positions in `drop_at`), with the host's `Uart` transport on the other side.
#[test]
fn uart_transport_over_a_pseudo_terminal() {
    use serialport::{SerialPort, TTYPort};
    use std::io::{Read, Write};
    let cb = Codebook::log(3, 1e-3).unwrap();
    let cfg = config(4, &cb);
    let (mut master, slave) = TTYPort::pair().expect("a pseudo-terminal pair");
    let slave_name = slave.name().expect("the slave has a path");
    master.set_timeout(Duration::from_millis(20)).unwrap();
    let cfg2 = cfg.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let relay = std::thread::spawn(move || {
        let mut board = SimLink::new(&cfg2).unwrap();
        let mut buf = [0u8; 4096];
        let mut seen = 0usize;
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            let n = master.read(&mut buf).unwrap_or_default();
            if n > 0 {
                // Lose byte 100 of the stream once: a frame cut short.
                let mut bytes = buf[..n].to_vec();
                if seen <= 100 && seen + n > 100 {
                    bytes.remove(100 - seen);
                }
                seen += n;
                board.send(&bytes).unwrap();
            }
            loop {
                let out = board.recv(Duration::ZERO).unwrap();
                if out.is_empty() {
                    break;
                }
                master.write_all(&out).unwrap();
            }
        }
    });
    let port = serialport::new(&slave_name, 3_000_000)
        .timeout(Duration::from_millis(50))
        .open()
        .expect("opens the pseudo-terminal's slave");
    let link = Uart::from_port(port, &slave_name, 3_000_000).unwrap();
    assert!(link.describe().starts_with("uart /dev/pts/"));
    assert_eq!(link.bytes_per_second(), Some(300_000.0));
    let mut d = Driver::new(
        link,
        DriverOptions {
            timeout: Some(Duration::from_millis(300)),
            ..Default::default()
        },
    )
    .unwrap();
    let mut rng = StdRng::seed_from_u64(10);
    let jobs: Vec<Job> = (0..20)
        .map(|i| random_job(&mut rng, 4, 32, 8, &cb, i))
        .collect();
    let (done, wrong) = run_and_count_wrong(&mut d, &cfg, &jobs).unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    relay.join().unwrap();
    let s = d.stats();
    assert_eq!((done, wrong), (20, 0));
    // The lost byte cost the first frame: found by the board's CRC or by a timeout, and
    // retried.
    assert!(s.retries >= 1 && s.detected() >= 1, "{s:?}");
}
