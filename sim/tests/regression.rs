//! The golden vectors and the real-attention fixture through the Verilated cores: bit-exact,
//! cycle counts as `model::timing` predicts, and the zero-skipping targets met.

use model::golden::{golden_dir, load_attnv_cases};
use model::{Codebook, Variant};
use sim::attnv::AttnvJob;
use sim::bench::{heads_of, measure, run_heads, Cores, Measured, Stimulus};
use std::path::Path;

#[test]
fn golden_vectors_replay_bit_exactly_on_every_variant() {
    let mut cores = Cores::default();
    let cases = load_attnv_cases(&golden_dir().join("attnv")).unwrap();
    assert!(cases.len() >= 6);
    let oct = Codebook::octave(3).unwrap().weights().w;
    for c in &cases {
        let job = AttnvJob {
            weights: c.weights.clone(),
            vq: c.vq.clone(),
            codes: c.codes.clone(),
        };
        let mut variants = vec![Variant::General];
        if c.weights == oct {
            variants.push(Variant::Octave);
        }
        for v in variants {
            // measure() runs the dense baseline too.
            let m = measure(
                &mut cores,
                &c.name,
                v,
                &job,
                &c.expected,
                Stimulus::default(),
            )
            .unwrap();
            assert!(m.bit_exact, "{} on {v:?}: {:?}", c.name, m.error);
            assert_eq!(
                m.cycles_as_predicted,
                Some(true),
                "{} on {v:?}: {:?}",
                c.name,
                m.error
            );
        }
    }
}

#[test]
fn real_attention_meets_the_zero_skipping_targets() {
    let f = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/minilm");
    let p = model::npy::read_probs(&f.join("probs.npy")).unwrap();
    let v = model::npy::read_finite_f32(&f.join("v.npy")).unwrap();
    let mut cores = Cores::default();
    for cb in [
        Codebook::log(3, 1e-3).unwrap(),
        Codebook::octave(3).unwrap(),
    ] {
        let heads = heads_of(&p, &v, &cb).unwrap();
        assert_eq!(heads.len(), 72);
        let ms = run_heads(&mut cores, &heads, &cb, None).unwrap();
        let t = Measured::total("all", &ms);
        assert!(
            ms.iter().all(|m| m.ok()),
            "{}: {:?}",
            cb.describe(),
            ms.iter().find(|m| !m.ok())
        );
        // Cycle counts are deterministic: these are properties of the design, not timings.
        assert!(
            t.efficiency() >= 0.95,
            "{}: efficiency {}",
            cb.describe(),
            t.efficiency()
        );
        let ratio = t.speedup() / t.ideal_speedup();
        assert!(
            (0.9..=1.1).contains(&ratio),
            "{}: speed-up {} vs ideal {}",
            cb.describe(),
            t.speedup(),
            t.ideal_speedup()
        );
    }
}

#[test]
fn bad_real_data_gets_clear_errors() {
    let cb = Codebook::log(3, 1e-3).unwrap();
    let msg = |p: &[usize], v: &[usize]| {
        let p = ndarray::ArrayD::<f32>::from_elem(p, 0.1);
        let v = ndarray::ArrayD::<f32>::zeros(v);
        heads_of(&p, &v, &cb)
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default()
    };
    assert!(
        msg(&[2, 600, 600], &[2, 600, 64]).contains("n = 600 keys: the core takes 1..=512 (N_MAX)")
    );
    assert!(msg(&[2, 8, 8], &[2, 8, 48]).contains("d = 48 is not a configured core width"));
    assert!(msg(&[2, 8, 8], &[3, 8, 64]).contains("V must be [..., n, d] with P's leading axes"));
    assert!(msg(&[8, 8], &[8]).contains("same rank"));
}
