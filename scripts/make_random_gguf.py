#!/usr/bin/env python3
"""Writes a llama GGUF of a real model's shape with seeded random weights, for memory and speed
checks without downloading a model (docs/GGUF.md, "Native block weights").

  scripts/make_random_gguf.py --shape 1b --quant Q4_K_M OUT.gguf
  scripts/make_random_gguf.py --shape 7b --quant Q8_0 OUT.gguf

Shapes: 1b = TinyLlama-1.1B (hidden 2048, 22 layers, 32 heads, 4 KV heads, FFN 5632, vocab 32000),
7b = Llama-2-7B (hidden 4096, 32 layers, 32 heads, FFN 11008, vocab 32000), smollm2 =
SmolLM2-135M (hidden 576, 30 layers, 9 heads, 3 KV heads, FFN 1536, vocab 49152; untied head), tiny =
2 layers of 256 (for tests); --layers N keeps the widths with N layers (a CI-sized 1B shape). --quant: Q4_K_M (llama.cpp's mix: Q6_K for output.weight and for attn_v/ffn_down in the
layers llama.cpp's `use_more_bits` picks, Q4_K elsewhere), Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K,
Q6_K (every 2-D weight in that type), F16 or F32 (seeded normal weights of standard deviation 0.02, the
input llama-quantize takes: scripts/reference/make_1b_ggufs.sh quantizes them for llama-bench). A tensor whose row is not a whole number of 256-element
super-blocks gets llama.cpp's fallback for a K-quant (Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0), as
llama-quantize does (SmolLM2's width 576). Norms are F32 ones.

The blocks are seeded random bytes with every float16 scale set to a small finite value (weights of
magnitude ~0.02), written tensor by tensor (the 7B file, ~3.9 GB as Q4_K_M, never sits in memory).
Any bytes form valid blocks, so this exercises exactly the kernels a real file of that type does;
the text it generates is of course noise. The tokenizer metadata is a byte-level stand-in (ids only).
Needs the `gguf` and `numpy` packages (scripts/reference/setup_venv.sh's venv has both).
"""
import argparse
import os
import sys

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.constants import GGML_QUANT_SIZES

SHAPES = {
    "tiny": dict(hidden=256, layers=2, heads=4, kv=2, ffn=768, vocab=512, ctx=2048),
    "smollm2": dict(hidden=576, layers=30, heads=9, kv=3, ffn=1536, vocab=49152, ctx=8192),
    "1b": dict(hidden=2048, layers=22, heads=32, kv=4, ffn=5632, vocab=32000, ctx=2048),
    "7b": dict(hidden=4096, layers=32, heads=32, kv=32, ffn=11008, vocab=32000, ctx=4096),
}
# Byte offsets of the float16 scale (and min) fields in one block, per type.
HALF_FIELDS = {T.Q4_0: [0], T.Q5_0: [0], T.Q8_0: [0], T.Q4_1: [0, 2], T.Q5_1: [0, 2],
               T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}
# A scale giving weights of magnitude ~0.02 for the type's integer range (d·q, q up to 2^bits).
SCALE = {T.Q4_0: 0.005, T.Q4_1: 0.003, T.Q5_0: 0.0025, T.Q5_1: 0.0015, T.Q8_0: 0.0003,
         T.Q4_K: 0.00015, T.Q5_K: 0.00008, T.Q6_K: 0.00002}


# llama.cpp's llama_ftype of each --quant (general.file_type).
FILE_TYPES = {"F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q8_0": 7, "Q5_0": 8, "Q5_1": 9, "Q4_K_M": 15,
              "Q4_K": 14, "Q5_K": 16, "Q6_K": 18}
FLOATS = {"F16": (T.F16, np.float16), "F32": (T.F32, np.float32)}


def use_more_bits(i, n):
    """llama.cpp's choice of the layers whose attn_v / ffn_down get Q6_K in Q4_K_M."""
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


# llama.cpp's convert_incompatible_tensor: a K-quant on rows not a multiple of 256.
K_FALLBACK = {T.Q4_K: T.Q5_0, T.Q5_K: T.Q5_1, T.Q6_K: T.Q8_0}


def tensor_type(name, layer, n_layers, quant, cols):
    t = base_type(name, layer, n_layers, quant)
    return K_FALLBACK[t] if t in K_FALLBACK and cols % 256 else t


def base_type(name, layer, n_layers, quant):
    if quant != "Q4_K_M":
        return T[quant]
    if name == "output.weight":
        return T.Q6_K
    if name.endswith(("attn_v.weight", "ffn_down.weight")) and use_more_bits(layer, n_layers):
        return T.Q6_K
    return T.Q4_K


def random_blocks(rng, qtype, rows, cols):
    block, size = GGML_QUANT_SIZES[qtype]
    assert cols % block == 0, f"{cols} columns is not a whole number of {qtype.name} blocks"
    nb = rows * (cols // block)
    raw = rng.integers(0, 256, size=(nb, size), dtype=np.uint8)
    for j, off in enumerate(HALF_FIELDS[qtype]):
        scale = SCALE[qtype] * (0.5 if j else 1.0)
        h = (rng.random(nb, dtype=np.float32) * 0.5 + 0.5) * scale
        if qtype in (T.Q4_0, T.Q5_0, T.Q8_0, T.Q6_K):
            h *= np.where(rng.random(nb) < 0.5, -1.0, 1.0).astype(np.float32)
        raw[:, off:off + 2] = h.astype(np.float16).view(np.uint8).reshape(nb, 2)
    return raw.reshape(rows, (cols // block) * size)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("output")
    ap.add_argument("--shape", choices=sorted(SHAPES), default="1b")
    ap.add_argument("--quant", default="Q4_K_M",
                    choices=["Q4_K_M", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K", "F16", "F32"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layers", type=int, help="override the shape's layer count (same widths)")
    ap.add_argument("--force", action="store_true", help="replace an existing output file")
    a = ap.parse_args()
    if os.path.exists(a.output) and not a.force:
        sys.exit(f"{a.output} exists; pass --force to replace it")
    s = dict(SHAPES[a.shape])
    if a.layers is not None:
        if a.layers < 1:
            sys.exit(f"--layers must be >= 1, got {a.layers}")
        s["layers"] = a.layers
    hd = s["hidden"] // s["heads"]
    tensors = [("token_embd.weight", -1, (s["vocab"], s["hidden"]))]
    for i in range(s["layers"]):
        p = f"blk.{i}."
        tensors += [(p + "attn_norm.weight", i, (s["hidden"],)),
                    (p + "attn_q.weight", i, (s["hidden"], s["hidden"])),
                    (p + "attn_k.weight", i, (s["kv"] * hd, s["hidden"])),
                    (p + "attn_v.weight", i, (s["kv"] * hd, s["hidden"])),
                    (p + "attn_output.weight", i, (s["hidden"], s["hidden"])),
                    (p + "ffn_norm.weight", i, (s["hidden"],)),
                    (p + "ffn_gate.weight", i, (s["ffn"], s["hidden"])),
                    (p + "ffn_up.weight", i, (s["ffn"], s["hidden"])),
                    (p + "ffn_down.weight", i, (s["hidden"], s["ffn"]))]
    tensors += [("output_norm.weight", -1, (s["hidden"],)), ("output.weight", -1, (s["vocab"], s["hidden"]))]

    tmp = a.output + ".partial"
    w = gguf.GGUFWriter(tmp, "llama")
    w.add_name(f"random-{a.shape}-{s['layers']}l-{a.quant}-seed{a.seed}")
    w.add_context_length(s["ctx"])
    w.add_embedding_length(s["hidden"])
    w.add_block_count(s["layers"])
    w.add_feed_forward_length(s["ffn"])
    w.add_head_count(s["heads"])
    w.add_head_count_kv(s["kv"])
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_file_type(FILE_TYPES[a.quant])
    # A byte-level stand-in vocabulary: <unk>, <s>, </s>, then byte tokens and filler pieces.
    toks = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    toks += [f"tok{i}" for i in range(s["vocab"] - len(toks))]
    toks = toks[:s["vocab"]]
    w.add_tokenizer_model("llama")
    w.add_token_list(toks)
    w.add_token_scores([0.0] * len(toks))
    w.add_token_types([2, 3, 3] + [6] * min(256, len(toks) - 3) + [1] * max(0, len(toks) - 259))
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)

    plan = []
    for name, layer, shape in tensors:
        if len(shape) == 1:
            plan.append((name, shape, None))
            w.add_tensor_info(name, shape, np.dtype(np.float32), shape[0] * 4, raw_dtype=T.F32)
            continue
        if a.quant in FLOATS:
            qt, dt = FLOATS[a.quant]
            plan.append((name, shape, qt))
            w.add_tensor_info(name, shape, np.dtype(dt), shape[0] * shape[1] * np.dtype(dt).itemsize, raw_dtype=qt)
            continue
        qt = tensor_type(name, layer, s["layers"], a.quant, shape[1])
        block, size = GGML_QUANT_SIZES[qt]
        rows, cols = shape
        plan.append((name, shape, qt))
        w.add_tensor_info(name, (rows, cols // block * size), np.dtype(np.uint8), rows * cols // block * size, raw_dtype=qt)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    rng = np.random.default_rng(a.seed)
    total = 0
    for name, shape, qt in plan:
        if qt is None:
            data = np.ones(shape, dtype=np.float32)
        elif a.quant in FLOATS:
            data = (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(FLOATS[a.quant][1])
        else:
            data = random_blocks(rng, qt, *shape)
        total += data.nbytes
        w.write_tensor_data(data)
    w.close()
    os.replace(tmp, a.output)
    print(f"{a.output}: {a.shape} shape, {a.quant}, {len(plan)} tensors, {total / 2**30:.2f} GiB of tensor data")


if __name__ == "__main__":
    main()
