//! The float path against sentence-transformers: reference embeddings of a few fixture
//! passages, made once by `docs/scripts/reference_embeddings.py` (see its header) and committed.

use encode::backend::Float;
use encode::report::run_backend;
use encode::text::{read_passages, TextTokenizer};
use encode::{cached_model, Bert, ModelDir};
use ndarray::Array2;
use std::path::Path;

fn root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn float_path_matches_sentence_transformers_within_1e_4() {
    let dir = ModelDir::open(&cached_model().unwrap()).unwrap();
    assert_eq!(
        dir.max_seq_length, 256,
        "sentence_bert_config.json's, not tokenizer.json's 128"
    );
    assert!(dir.normalize && dir.pooling == encode::config::Pooling::Mean);
    let fx = root().join("tests/fixtures/passages");
    let rec: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fx.join("reference.json")).unwrap()).unwrap();
    let want: Array2<f32> = ndarray_npy::read_npy(fx.join("reference.npy")).unwrap();
    let lines: Vec<usize> = serde_json::from_value(rec["lines"].clone()).unwrap();
    let tokens: Vec<usize> = serde_json::from_value(rec["tokens"].clone()).unwrap();
    let all = read_passages(&fx.join("passages.txt")).unwrap();
    let tok = TextTokenizer::load(&dir.tokenizer, dir.max_seq_length).unwrap();
    let toks: Vec<_> = lines
        .iter()
        .map(|&l| tok.tokens(&all[l - 1]).unwrap())
        .collect();
    let got_tokens: Vec<usize> = toks.iter().map(|t| t.ids.len()).collect();
    assert_eq!(
        got_tokens, tokens,
        "token counts differ from the reference tokenizer's"
    );
    let bert = Bert::load(&dir).unwrap();
    let cb = model::Codebook::log(3, 1e-3).unwrap();
    let run = run_backend(&bert, &toks, &mut Float, &cb, &mut || {}).unwrap();
    assert_eq!(run.embeddings.dim(), want.dim());
    let diff = (&run.embeddings - &want)
        .mapv(f32::abs)
        .fold(0f32, |a, &b| a.max(b));
    eprintln!("max |diff| against sentence-transformers: {diff:e}");
    assert!(
        diff <= 1e-4,
        "max |diff| against sentence-transformers: {diff}"
    );
}
