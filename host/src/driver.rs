//! The board driver: jobs in, verified responses out, over any [`Transport`].
//!
//! [`Driver::run`] keeps up to `window` requests unanswered (two by default: the board holds
//! one job while it answers the previous one, and a UART board's receive FIFO takes the next
//! one), so the board never waits for the host. It gives every attempt a fresh sequence number
//! and detects every fault the link can cause:
//! - a request damaged on the way: the board answers *bad CRC* or *bad header*;
//! - a response damaged on the way: its CRC fails in [`model::link::Decoder`];
//! - a response lost: the board answers in order, so a response to a later request means
//!   every earlier one still unanswered is lost; and a link that goes quiet (a timeout; on a
//!   simulated board, the board idle with every frame answered) means all of them are.
//!
//! Each failed attempt is retried, up to `max_attempts` per job; a response to an earlier
//! attempt of a job that arrives late is used if its CRC is good (it is the same job). A
//! result is accepted only from a frame whose header and frame CRCs are good, with the
//! job's kind and shape. *Overflow* and *unsupported* are the board's considered answers to
//! a good header: they end the run with an error naming the job.

use crate::transport::Transport;
use anyhow::{bail, Result};
use model::link::{
    Decoder, DeviceInfo, Direction, Event, Kind, Payload, Request, Response, Status,
    RSP_HEADER_LEN, SEQ_UNKNOWN,
};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// How the driver works the link.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DriverOptions {
    /// Requests unanswered at most.
    pub window: usize,
    /// Attempts per job before the run fails.
    pub max_attempts: u32,
    /// Wait for a response this long before declaring the outstanding requests lost (`None`:
    /// from the link rate and the bytes in flight; unused by simulated transports, which know
    /// when nothing more can come).
    pub timeout: Option<Duration>,
}

impl Default for DriverOptions {
    fn default() -> Self {
        Self {
            window: 2,
            max_attempts: 8,
            timeout: None,
        }
    }
}

/// A job: a request (its sequence number is the driver's to set) and a name for messages.
#[derive(Clone, Debug)]
pub struct Job {
    pub name: String,
    pub request: Request,
}

/// A job's verified response and what it took.
#[derive(Clone, Debug)]
pub struct Done {
    /// Index into the jobs.
    pub job: usize,
    /// An `Ok` response of the job's kind and shape, from a frame whose CRCs are good.
    pub response: Response,
    pub attempts: u32,
    /// Wall-clock time from the job's first send to its response.
    pub latency: Duration,
    /// Board cycles simulated over the same span (simulated transports).
    pub sim_cycles: Option<u64>,
}

/// What became of a job in [`Driver::run_each`]: each job has exactly one outcome.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// A verified response.
    Done(Done),
    /// The job ran out of attempts; `why` is its last failure.
    Failed {
        job: usize,
        attempts: u32,
        why: String,
    },
}

impl Outcome {
    /// The job's index.
    pub fn job(&self) -> usize {
        match self {
            Outcome::Done(d) => d.job,
            Outcome::Failed { job, .. } => *job,
        }
    }
}

/// What the link did over the driver's life.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LinkStats {
    pub jobs_done: u64,
    pub frames_sent: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    /// Attempts beyond each job's first.
    pub retries: u64,
    /// The board answered *bad CRC* or *bad header*: a request damaged on the way.
    pub board_rejected: u64,
    /// Response frames that failed their CRC or header check, or did not fit their job.
    pub responses_damaged: u64,
    /// Requests found lost: skipped by the in-order answers.
    pub lost_by_order: u64,
    /// Receives that timed out (or found a simulated board quiet) with requests outstanding.
    pub timeouts: u64,
    /// Good responses to attempts already superseded or to jobs already done.
    pub stale: u64,
}

impl LinkStats {
    /// What happened since `before` (an earlier reading of the same driver's stats).
    pub fn since(&self, before: &LinkStats) -> LinkStats {
        LinkStats {
            jobs_done: self.jobs_done - before.jobs_done,
            frames_sent: self.frames_sent - before.frames_sent,
            bytes_sent: self.bytes_sent - before.bytes_sent,
            bytes_received: self.bytes_received - before.bytes_received,
            retries: self.retries - before.retries,
            board_rejected: self.board_rejected - before.board_rejected,
            responses_damaged: self.responses_damaged - before.responses_damaged,
            lost_by_order: self.lost_by_order - before.lost_by_order,
            timeouts: self.timeouts - before.timeouts,
            stale: self.stale - before.stale,
        }
    }

    /// Failed attempts the driver detected.
    pub fn detected(&self) -> u64 {
        self.board_rejected + self.responses_damaged + self.lost_by_order + self.timeouts
    }
}

/// The largest response payload the driver accepts (a response to N_MAX = 65535 rows of
/// D = 256 accumulators is smaller).
const MAX_RESPONSE_PAYLOAD: usize = 1 << 27;

/// A driver of one board over one transport.
pub struct Driver<T: Transport> {
    link: T,
    opts: DriverOptions,
    next_seq: u16,
    decoder: Decoder,
    stats: LinkStats,
}

struct Slot {
    job: usize,
    sent_bytes: usize,
}

impl<T: Transport> Driver<T> {
    pub fn new(link: T, opts: DriverOptions) -> Result<Self> {
        if opts.window == 0 || opts.max_attempts == 0 {
            bail!("the driver needs a window and attempts of at least 1");
        }
        Ok(Self {
            link,
            opts,
            next_seq: 0,
            decoder: Decoder::new(Direction::Responses, MAX_RESPONSE_PAYLOAD),
            stats: LinkStats::default(),
        })
    }

    /// The transport.
    pub fn link(&mut self) -> &mut T {
        &mut self.link
    }

    /// The transport, read-only.
    pub fn link_ref(&self) -> &T {
        &self.link
    }

    /// What the link did so far.
    pub fn stats(&self) -> LinkStats {
        self.stats
    }

    fn seq(&mut self) -> u16 {
        let s = self.next_seq;
        self.next_seq = if s == SEQ_UNKNOWN - 1 { 0 } else { s + 1 };
        s
    }

    /// Asks the board for its configuration.
    pub fn info(&mut self) -> Result<DeviceInfo> {
        let job = Job {
            name: "info".into(),
            request: Request::info(0),
        };
        let mut info = None;
        self.run(std::slice::from_ref(&job), |d| {
            info = d.response.info;
            Ok(())
        })?;
        info.ok_or_else(|| anyhow::anyhow!("the board's info response carried no configuration"))
    }

    /// Runs `jobs`, calling `on_done` once per job with its verified response, in the order
    /// they complete. Fails (naming the job) when a job runs out of attempts or the board
    /// refuses one; `on_done` has then been called only for jobs that completed.
    pub fn run(&mut self, jobs: &[Job], mut on_done: impl FnMut(Done) -> Result<()>) -> Result<()> {
        self.run_each(jobs, |o| match o {
            Outcome::Done(d) => on_done(d),
            Outcome::Failed {
                job,
                attempts,
                why,
            } => bail!(
                "{}: no verified response after {attempts} attempts (last: {why}); nothing was written for it",
                jobs[job].name
            ),
        })
    }

    /// Runs `jobs`, calling `on` once per job, in the order they finish: with its verified
    /// response, or with its last failure when it runs out of attempts (the other jobs go on).
    /// Fails when the transport does, when the board refuses a job (*overflow* or
    /// *unsupported*: it was built for other jobs) or when `on` does; `on` has then been
    /// called only for the jobs that finished.
    pub fn run_each(
        &mut self,
        jobs: &[Job],
        mut on: impl FnMut(Outcome) -> Result<()>,
    ) -> Result<()> {
        let mut pending: VecDeque<usize> = (0..jobs.len()).collect();
        let mut inflight: VecDeque<(u16, Slot)> = VecDeque::new();
        let mut owner: HashMap<u16, usize> = HashMap::new();
        let mut attempts = vec![0u32; jobs.len()];
        let mut done = vec![false; jobs.len()];
        let mut first_sent: Vec<Option<(Instant, Option<u64>)>> = vec![None; jobs.len()];
        let mut why: Vec<String> = vec![String::new(); jobs.len()];
        let mut left = jobs.len();
        while left > 0 {
            while inflight.len() < self.opts.window {
                let Some(j) = pending.pop_front() else { break };
                if done[j] {
                    continue;
                }
                if attempts[j] >= self.opts.max_attempts {
                    done[j] = true;
                    left -= 1;
                    owner.retain(|_, &mut o| o != j);
                    on(Outcome::Failed {
                        job: j,
                        attempts: attempts[j],
                        why: std::mem::take(&mut why[j]),
                    })?;
                    continue;
                }
                let seq = self.seq();
                let mut req = jobs[j].request.clone();
                req.seq = seq;
                let bytes = req
                    .encode()
                    .map_err(|e| anyhow::anyhow!("{}: {e}", jobs[j].name))?;
                if attempts[j] > 0 {
                    self.stats.retries += 1;
                }
                attempts[j] += 1;
                first_sent[j].get_or_insert((Instant::now(), self.link.sim_cycles()));
                self.link.send(&bytes)?;
                self.stats.frames_sent += 1;
                self.stats.bytes_sent += bytes.len() as u64;
                owner.insert(seq, j);
                inflight.push_back((
                    seq,
                    Slot {
                        job: j,
                        sent_bytes: bytes.len(),
                    },
                ));
            }
            if left == 0 {
                break;
            }
            let timeout = self.timeout(jobs, &inflight);
            let bytes = self.link.recv(timeout)?;
            self.stats.bytes_received += bytes.len() as u64;
            if bytes.is_empty() {
                if !inflight.is_empty() {
                    self.stats.timeouts += 1;
                }
                // Resend in the original order.
                let lost: Vec<(u16, Slot)> = inflight.drain(..).collect();
                for (_, s) in lost.into_iter().rev() {
                    why[s.job] = "no response (link quiet or timed out)".into();
                    requeue(&mut pending, &inflight, s.job);
                }
                continue;
            }
            for ev in self.decoder.push(&bytes) {
                let (seq, resp) = match ev {
                    Event::Response(r) => (r.seq, Some(r)),
                    Event::BadCrc { seq, .. } => {
                        self.stats.responses_damaged += 1;
                        (seq, None)
                    }
                    Event::BadHeader | Event::Overflow { .. } | Event::Malformed { .. } => {
                        // Whose response this was is unknown: the in-order rule or a timeout
                        // finds the loss.
                        self.stats.responses_damaged += 1;
                        continue;
                    }
                    Event::Request(_) => continue,
                };
                // Everything sent before `seq` and still unanswered is lost.
                if let Some(pos) = inflight.iter().position(|(s, _)| *s == seq) {
                    let lost: Vec<(u16, Slot)> = inflight.drain(..pos).collect();
                    for (_, s) in lost.into_iter().rev() {
                        self.stats.lost_by_order += 1;
                        why[s.job] = "its response was lost".into();
                        requeue(&mut pending, &inflight, s.job);
                    }
                    inflight.pop_front();
                } else if seq == SEQ_UNKNOWN {
                    // The board saw a magic and a damaged header: most likely the oldest
                    // request's. Resend it (if it was not, its answer still counts).
                    if let Some((_, s)) = inflight.pop_front() {
                        self.stats.board_rejected += 1;
                        why[s.job] = "the board saw a damaged header".into();
                        requeue(&mut pending, &inflight, s.job);
                    }
                    continue;
                }
                let Some(&j) = owner.get(&seq) else {
                    self.stats.stale += 1;
                    continue;
                };
                if done[j] {
                    self.stats.stale += 1;
                    continue;
                }
                let Some(r) = resp else {
                    why[j] = "its response failed the CRC".into();
                    requeue(&mut pending, &inflight, j);
                    continue;
                };
                match r.status {
                    Status::Ok => {}
                    Status::BadCrc | Status::BadHeader => {
                        self.stats.board_rejected += 1;
                        why[j] = format!("the board answered {:?}", r.status);
                        requeue(&mut pending, &inflight, j);
                        continue;
                    }
                    Status::Overflow | Status::Unsupported => bail!(
                        "{}: the board refused the job ({}); nothing was written for it",
                        jobs[j].name,
                        refusal(r.status)
                    ),
                }
                if let Err(e) = fits(&jobs[j].request, &r) {
                    self.stats.responses_damaged += 1;
                    why[j] = e;
                    requeue(&mut pending, &inflight, j);
                    continue;
                }
                done[j] = true;
                left -= 1;
                self.stats.jobs_done += 1;
                owner.retain(|_, &mut o| o != j);
                inflight.retain(|(_, s)| s.job != j);
                let (t0, c0) = first_sent[j].expect("sent");
                on(Outcome::Done(Done {
                    job: j,
                    response: r,
                    attempts: attempts[j],
                    latency: t0.elapsed(),
                    sim_cycles: c0.zip(self.link.sim_cycles()).map(|(a, b)| b - a),
                }))?;
            }
        }
        Ok(())
    }

    fn timeout(&self, jobs: &[Job], inflight: &VecDeque<(u16, Slot)>) -> Duration {
        if let Some(t) = self.opts.timeout {
            return t;
        }
        let Some(rate) = self.link.bytes_per_second() else {
            return Duration::ZERO;
        };
        let bytes: usize = inflight
            .iter()
            .map(|(_, s)| s.sent_bytes + response_len(&jobs[s.job].request))
            .sum();
        Duration::from_secs_f64(0.5 + 3.0 * bytes as f64 / rate)
    }
}

/// Queues job `j` to be sent again first, unless an attempt of it is in flight or queued.
fn requeue(pending: &mut VecDeque<usize>, inflight: &VecDeque<(u16, Slot)>, j: usize) {
    if !inflight.iter().any(|(_, s)| s.job == j) && !pending.contains(&j) {
        pending.push_front(j);
    }
}

/// Bytes of the response to `req` if it succeeds.
pub fn response_len(req: &Request) -> usize {
    let payload = match &req.payload {
        Payload::Info => 16,
        Payload::Head(h) => h.qq.nrows() * (h.qq.ncols() * model::link::ACC_BYTES + 4),
        Payload::Codes(c) => c.codes.nrows() * (c.vq.ncols() * model::link::ACC_BYTES + 4),
    };
    RSP_HEADER_LEN + payload + 4
}

fn refusal(s: Status) -> &'static str {
    match s {
        Status::Overflow => {
            "overflow: n, rows, d or k beyond what the bitstream was built for (see `logattn info`)"
        }
        Status::Unsupported => {
            "unsupported: the bitstream lacks this kind of job or was built for another codebook (see `logattn info`)"
        }
        _ => "an unexpected status",
    }
}

/// Checks an `Ok` response against its request: kind, rows and d.
fn fits(req: &Request, r: &Response) -> std::result::Result<(), String> {
    let (kind, shape) = match &req.payload {
        Payload::Info => (Kind::Info, None),
        Payload::Head(h) => (Kind::Head, Some((h.qq.nrows(), h.qq.ncols()))),
        Payload::Codes(c) => (Kind::Codes, Some((c.codes.nrows(), c.vq.ncols()))),
    };
    if r.kind != kind as u8 {
        return Err(format!(
            "the response is of kind {}, the job of {kind:?}",
            r.kind
        ));
    }
    match (shape, &r.result, &r.info) {
        (None, None, Some(_)) => Ok(()),
        (Some(s), Some(acc), None) if acc.acc.dim() == s && acc.rsum.len() == s.0 => Ok(()),
        _ => Err(format!(
            "the response's payload does not fit the job ({:?} rows x d expected)",
            shape
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nothing;
    impl Transport for Nothing {
        fn describe(&self) -> String {
            "nothing".into()
        }
        fn send(&mut self, _: &[u8]) -> Result<()> {
            Ok(())
        }
        fn recv(&mut self, _: Duration) -> Result<Vec<u8>> {
            Ok(Vec::new())
        }
        fn bytes_per_second(&self) -> Option<f64> {
            None
        }
    }

    #[test]
    fn options_are_checked_and_a_dead_link_fails_naming_the_job() {
        let bad = DriverOptions {
            window: 0,
            ..Default::default()
        };
        let e = Driver::new(Nothing, bad).err().unwrap().to_string();
        assert!(e.contains("a window and attempts of at least 1"), "{e}");
        let mut d = Driver::new(Nothing, DriverOptions::default()).unwrap();
        let e = d.info().unwrap_err().to_string();
        assert_eq!(
            e,
            "info: no verified response after 8 attempts (last: no response (link quiet or timed out)); nothing was written for it"
        );
        assert_eq!((d.stats().frames_sent, d.stats().timeouts), (8, 8));
    }
}
