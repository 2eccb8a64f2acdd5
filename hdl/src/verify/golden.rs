//! The shared golden vectors (`tests/golden/attnv/`) through full-size cores in rust-hdl's
//! simulator: bit-exact results, and cycles equal to `model::timing` without stalls (test only).

use crate::core::attnv::AttnV;
use crate::verify::testbench::{run_attnv, Env, Job};
use model::{CoreParams, Variant};
use ndarray::{Array1, Array2};
use ndarray_npy::read_npy;
use rust_hdl::prelude::*;
use std::path::PathBuf;

fn cases() -> Vec<(String, Job, Array2<i64>, Vec<u64>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/attnv");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let f = |x: &str| dir.join(&n).join(x);
            let codes: Array2<u8> = read_npy(f("codes.npy")).unwrap();
            let vq: Array2<i8> = read_npy(f("vq.npy")).unwrap();
            let w: Array1<u32> = read_npy(f("weights.npy")).unwrap();
            let acc: Array2<i64> = read_npy(f("acc.npy")).unwrap();
            let rsum: Array1<u64> = read_npy(f("rsum.npy")).unwrap();
            (
                n,
                Job {
                    w: w.to_vec(),
                    w_sent: (0..8).rev().collect(),
                    vq,
                    codes,
                },
                acc,
                rsum.to_vec(),
            )
        })
        .collect()
}

fn run<const VW: usize, const OW: usize, const A: usize, const ACC: usize, const RS: usize>(
    d: usize,
    variant: Variant,
    env: Env,
) -> usize {
    let p = CoreParams::new(d, 512, 16, 3).unwrap();
    let mut done = 0;
    for (name, job, acc, rsum) in cases() {
        if job.vq.ncols() != d
            || (variant == Variant::Octave && job.w[1..] != [1, 2, 4, 8, 16, 32, 64])
        {
            continue;
        }
        let mut uut = AttnV::<VW, OW, A, ACC, RS>::new(&p, variant);
        uut.connect_all();
        let r = run_attnv(&mut uut, &p, std::slice::from_ref(&job), env);
        assert_eq!(r.results[0].0, acc, "{name} {variant:?}: acc");
        assert_eq!(r.results[0].1, rsum, "{name} {variant:?}: rsum");
        if env.idle_pct == 0 && env.stall_pct == 0 {
            let want = model::timing::job_cycles(&p, variant, job.codes.view());
            assert_eq!(r.code_cycles[0], want, "{name} {variant:?}: cycles");
        }
        done += 1;
    }
    done
}

#[test]
fn golden_cases_on_full_size_cores() {
    let mut n = 0;
    for v in [Variant::General, Variant::Dense, Variant::Octave] {
        n += run::<256, { 32 * 33 }, 9, 33, 25>(32, v, Env::NO_STALL);
        n += run::<512, { 64 * 33 }, 9, 33, 25>(64, v, Env::NO_STALL);
    }
    // 6 cases on General and Dense, the octave one on Octave.
    assert_eq!(n, 13);
    let stalls = Env {
        idle_pct: 25,
        stall_pct: 50,
        seed: 11,
    };
    assert_eq!(
        run::<512, { 64 * 33 }, 9, 33, 25>(64, Variant::General, stalls),
        4
    );
}
