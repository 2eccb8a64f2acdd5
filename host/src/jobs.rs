//! From tensors to link jobs and back: the host's half of the hardware contract.
//!
//! - [`head_jobs`]: float Q, K, V heads to head requests (the model's float-to-integer step:
//!   int8 rows, row multipliers, the shift), with what it takes to turn results back into
//!   floats ([`Dequant`]).
//! - [`codes_jobs`]: probabilities and V to codes requests.
//! - [`expected`]: the model's response to a request (`model::link::Device::serve`): the
//!   integers and the compute cycles the board must return.

use crate::driver::Job;
use anyhow::{anyhow, bail, ensure, Result};
use model::contract::quantize_probs;
use model::frontend::front_end;
use model::link::{
    codebook_tag, CodesPayload, DeviceConfig, HeadPayload, Payload, Request, Response,
};
use model::{dequantize, quantize_v, AccRows, Codebook, Variant};
use ndarray::{Array1, Array2, ArrayView3, Axis};

/// What turns a result's accumulators back into floats: V's per-lane scales and the
/// codebook's weight scale.
#[derive(Clone, Debug)]
pub struct Dequant {
    pub scales: Array1<f64>,
    pub g: f64,
}

impl Dequant {
    /// The float output of `acc`.
    pub fn apply(&self, acc: &AccRows) -> Array2<f32> {
        dequantize(acc, &self.scales, self.g)
    }
}

/// Head requests for float Q `[h, rows, d]`, K and V `[h, n, d]`, for a board built as `cfg`;
/// `valid_len` masks keys at or past it. Errors name the head and the problem (d not the
/// board's, n or rows beyond N_MAX, a multiplier or shift that does not fit the link).
pub fn head_jobs(
    cfg: &DeviceConfig,
    q: ArrayView3<f32>,
    k: ArrayView3<f32>,
    v: ArrayView3<f32>,
    valid_len: usize,
    names: &[String],
) -> Result<(Vec<Job>, Vec<Dequant>)> {
    let Some((fe, cb)) = cfg.front_end() else {
        bail!("this board has no Q/K front end (it takes codes: use --probs P.npy --v V.npy)");
    };
    let (rows, n, d) = (q.len_of(Axis(1)), k.len_of(Axis(1)), k.len_of(Axis(2)));
    check_dims(cfg, rows, n, d)?;
    ensure!(
        valid_len <= n,
        "valid length {valid_len} exceeds n = {n} keys"
    );
    ensure!(
        valid_len >= 1,
        "valid length 0: at least one key must be valid (1..=n = {n})"
    );
    let g = cb.weights().scale;
    let (mut jobs, mut dequants) = (Vec::new(), Vec::new());
    for (h, name) in names.iter().enumerate() {
        let (qh, kh, vh) = (
            q.index_axis(Axis(0), h),
            k.index_axis(Axis(0), h),
            v.index_axis(Axis(0), h),
        );
        let t = front_end(fe, cb, qh, kh, valid_len).map_err(|e| anyhow!("{name}: {e}"))?;
        let qv = quantize_v(vh).map_err(|e| anyhow!("{name}: V: {e}"))?;
        let u16s = |m: &Array1<u32>, what: &str| -> Result<Vec<u16>> {
            m.iter()
                .map(|&x| {
                    u16::try_from(x)
                        .map_err(|_| anyhow!("{name}: {what} multiplier {x} exceeds 16 bits"))
                })
                .collect()
        };
        let shift = u8::try_from(t.shift)
            .ok()
            .filter(|&s| s <= 63)
            .ok_or_else(|| {
                anyhow!(
                    "{name}: the head's shift {} is outside 0..=63: Q and K scales too far apart for the front end",
                    t.shift
                )
            })?;
        let payload = HeadPayload {
            kq: t.kq.clone(),
            mk: u16s(&t.mk.m, "key")?,
            vq: qv.vq,
            qq: t.qq.clone(),
            mq: u16s(&t.mq.m, "query")?,
            shift,
            valid_len: valid_len as u16,
        };
        jobs.push(Job {
            name: name.clone(),
            request: Request::head(0, cb, payload),
        });
        dequants.push(Dequant {
            scales: qv.scales,
            g,
        });
    }
    Ok((jobs, dequants))
}

/// Codes requests for probabilities P `[h, rows, n]` and V `[h, n, d]` quantized with `cb`.
pub fn codes_jobs(
    cfg: &DeviceConfig,
    cb: &Codebook,
    p: ArrayView3<f32>,
    v: ArrayView3<f32>,
    names: &[String],
) -> Result<(Vec<Job>, Vec<Dequant>)> {
    ensure!(
        cfg.takes_codes(),
        "this board takes whole heads (Q, K, V), not codes: use --q/--k/--v"
    );
    if cfg.variant == Variant::Octave && cb.kind() != model::CodebookKind::Octave {
        bail!(
            "the board's AttnV lanes are shift-only (octave codebook); you asked for {} (pass --octave)",
            cb.describe()
        );
    }
    let (rows, n, d) = (p.len_of(Axis(1)), v.len_of(Axis(1)), v.len_of(Axis(2)));
    check_dims(cfg, rows, n, d)?;
    let w = cb.weights();
    let weights: [u16; 8] = std::array::from_fn(|i| w.w.get(i).map_or(0, |&x| x as u16));
    let (mut jobs, mut dequants) = (Vec::new(), Vec::new());
    for (h, name) in names.iter().enumerate() {
        let codes =
            quantize_probs(p.index_axis(Axis(0), h), cb).map_err(|e| anyhow!("{name}: P: {e}"))?;
        let qv = quantize_v(v.index_axis(Axis(0), h)).map_err(|e| anyhow!("{name}: V: {e}"))?;
        jobs.push(Job {
            name: name.clone(),
            request: Request {
                seq: 0,
                bits: cb.bits() as u8,
                weights,
                codebook: codebook_tag(cb),
                payload: Payload::Codes(CodesPayload { vq: qv.vq, codes }),
            },
        });
        dequants.push(Dequant {
            scales: qv.scales,
            g: w.scale,
        });
    }
    Ok((jobs, dequants))
}

/// Checks a job's shape against the board: d its D, n and rows in 1..=N_MAX.
pub fn check_dims(cfg: &DeviceConfig, rows: usize, n: usize, d: usize) -> Result<()> {
    let c = &cfg.core;
    ensure!(
        d == c.d,
        "d = {d}, but the board is built for D = {} (see `logattn info`)",
        c.d
    );
    ensure!(
        (1..=c.n_max).contains(&n),
        "n = {n} keys, but the board takes 1..={} (N_MAX)",
        c.n_max
    );
    ensure!(
        (1..=c.n_max).contains(&rows),
        "{rows} query rows, but the board takes 1..={} (N_MAX)",
        c.n_max
    );
    Ok(())
}

/// The response the model gives `req` on a board built as `cfg`: what the board must return,
/// integer for integer, compute cycles included.
pub fn expected(cfg: &DeviceConfig, req: &Request) -> Response {
    model::link::Device::new(cfg.clone()).serve(req)
}

/// Compares a board's response with the model's; the error names the first difference.
pub fn verify(name: &str, got: &Response, want: &Response) -> Result<()> {
    let (Some(g), Some(w)) = (&got.result, &want.result) else {
        bail!(
            "{name}: the model answers {:?}, the board {:?}",
            want.status,
            got.status
        );
    };
    if let Some(((i, l), a)) = g.acc.indexed_iter().find(|(ix, a)| **a != w.acc[*ix]) {
        bail!(
            "{name}: VERIFY FAILED: acc[{i}][{l}] = {a} from the board, {} from the model",
            w.acc[[i, l]]
        );
    }
    if let Some((i, r)) = g.rsum.iter().enumerate().find(|(i, r)| **r != w.rsum[*i]) {
        bail!(
            "{name}: VERIFY FAILED: row sum {i} = {r} from the board, {} from the model",
            w.rsum[i]
        );
    }
    ensure!(
        got.cycles == want.cycles,
        "{name}: VERIFY FAILED: the board reports {} compute cycles, the model predicts {}",
        got.cycles,
        want.cycles
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::link::DeviceInfo;

    fn info(front_end: u8, tag: u32) -> DeviceInfo {
        DeviceInfo {
            d: 64,
            n_max: 512,
            bits: 3,
            variant: 1,
            acc_bits: 33,
            rsum_bits: 25,
            codebook: tag,
            front_end,
            codes: 1 - front_end,
            version: 1,
            keys_per_cycle: 1,
            nnz_per_cycle: 1,
        }
    }

    #[test]
    fn shift_only_lanes_take_only_octave_codes() {
        let log = Codebook::log(3, 1e-3).unwrap();
        let oct = Codebook::octave(3).unwrap();
        let p = ndarray::Array3::<f32>::from_elem((1, 2, 16), 1.0 / 16.0);
        let v = ndarray::Array3::<f32>::from_elem((1, 16, 64), 0.5);
        let names = ["head [0]".to_string()];
        let octave_board = DeviceConfig::from_info(&info(0, 0), &oct).unwrap();
        assert!(codes_jobs(&octave_board, &oct, p.view(), v.view(), &names).is_ok());
        let e = codes_jobs(&octave_board, &log, p.view(), v.view(), &names)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("shift-only (octave codebook)") && e.contains("(pass --octave)"),
            "{e}"
        );
        let general = DeviceInfo {
            variant: 0,
            ..info(0, 0)
        };
        let general_board = DeviceConfig::from_info(&general, &log).unwrap();
        assert!(codes_jobs(&general_board, &log, p.view(), v.view(), &names).is_ok());
    }
}
