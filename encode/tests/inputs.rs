//! Bad model folders and bad passages get errors naming the file and the problem; long
//! passages are truncated as sentence-transformers truncates them.

use encode::text::{read_passages, TextTokenizer};
use encode::{cached_model, ModelDir};
use std::path::PathBuf;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("encode-tests-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

/// A copy of the model folder's small files (the weights linked), `config.json` edited by `f`.
fn model_copy(name: &str, f: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let src = cached_model().unwrap();
    let d = tmp(name);
    std::fs::create_dir_all(d.join("1_Pooling")).unwrap();
    for n in [
        "tokenizer.json",
        "modules.json",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
    ] {
        std::fs::copy(src.join(n), d.join(n)).unwrap();
    }
    let _ = std::fs::remove_file(d.join("model.safetensors"));
    std::os::unix::fs::symlink(src.join("model.safetensors"), d.join("model.safetensors")).unwrap();
    let mut c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(src.join("config.json")).unwrap()).unwrap();
    f(&mut c);
    std::fs::write(d.join("config.json"), c.to_string()).unwrap();
    d
}

fn err(r: anyhow::Result<impl std::fmt::Debug>) -> String {
    format!("{:#}", r.unwrap_err())
}

#[test]
fn the_model_folder_is_checked() {
    let e = err(ModelDir::open(&tmp("nothing-here")));
    assert!(e.contains("no such model folder"), "{e}");
    let ok = model_copy("ok", |_| {});
    assert!(ModelDir::open(&ok).is_ok());
    let d = model_copy("roberta", |c| c["model_type"] = "roberta".into());
    let e = err(ModelDir::open(&d));
    assert!(
        e.contains("config.json: model_type is \"roberta\": only the BERT architecture"),
        "{e}"
    );
    let d = model_copy("relative", |c| {
        c["position_embedding_type"] = "relative_key".into()
    });
    assert!(err(ModelDir::open(&d))
        .contains("position_embedding_type \"relative_key\" is not supported"));
    let d = model_copy("gelu_new", |c| c["hidden_act"] = "gelu_new".into());
    assert!(err(ModelDir::open(&d)).contains("hidden_act \"gelu_new\" is not supported"));
    let d = model_copy("heads", |c| c["num_attention_heads"] = 5.into());
    assert!(err(ModelDir::open(&d)).contains("not a multiple of num_attention_heads 5"));
    let d = model_copy("no-tokenizer", |_| {});
    std::fs::remove_file(d.join("tokenizer.json")).unwrap();
    let e = err(ModelDir::open(&d));
    assert!(e.contains("missing tokenizer.json"), "{e}");
    let d = model_copy("two-poolings", |_| {});
    std::fs::write(
        d.join("1_Pooling/config.json"),
        r#"{"pooling_mode_mean_tokens": true, "pooling_mode_cls_token": true}"#,
    )
    .unwrap();
    assert!(err(ModelDir::open(&d)).contains("several pooling modes at once"));
    let d = model_copy("dense", |_| {});
    std::fs::write(
        d.join("modules.json"),
        r#"[{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}]"#,
    )
    .unwrap();
    assert!(err(ModelDir::open(&d)).contains("module \"Dense\""));
}

#[test]
fn passages_are_checked() {
    let write = |n: &str, b: &[u8]| {
        let p = tmp(n);
        std::fs::write(&p, b).unwrap();
        p
    };
    let p = write("blank.txt", b"one\n\nthree\n");
    let e = err(read_passages(&p));
    assert!(
        e.ends_with("blank.txt: line 2 is empty: one passage a line, no blank lines"),
        "{e}"
    );
    let p = write("spaces.txt", b"one\n  \t\n");
    assert!(err(read_passages(&p)).contains("line 2 is empty"));
    let p = write("latin1.txt", b"one\ntwo\ncaf\xe9\n");
    assert!(err(read_passages(&p)).contains("line 3 is not UTF-8"));
    let p = write("empty.txt", b"");
    assert!(err(read_passages(&p)).contains("no passages"));
    assert!(err(read_passages(&tmp("missing.txt"))).contains("cannot read"));
    let p = write("crlf.txt", b"one\r\ntwo\r\n");
    assert_eq!(read_passages(&p).unwrap(), vec!["one", "two"]);
}

#[test]
fn long_passages_are_truncated_keeping_cls_and_sep() {
    let dir = ModelDir::open(&cached_model().unwrap()).unwrap();
    let full = TextTokenizer::load(&dir.tokenizer, 512).unwrap();
    let cut = TextTokenizer::load(&dir.tokenizer, 8).unwrap();
    let text = "the quick brown fox jumps over the lazy dog again and again";
    let a = full.tokens(text).unwrap();
    let b = cut.tokens(text).unwrap();
    assert_eq!(
        (a.truncated_from, b.truncated_from),
        (None, Some(a.ids.len()))
    );
    assert_eq!(b.ids.len(), 8);
    assert_eq!(
        b.ids[..7],
        a.ids[..7],
        "the text's first tokens after [CLS]"
    );
    assert_eq!(b.ids[7], *a.ids.last().unwrap(), "[SEP] kept");
    let e = TextTokenizer::load(&dir.tokenizer, 1)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("at least 2"), "{e}");
}
