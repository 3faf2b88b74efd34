#!/usr/bin/env python3
"""Golden fixture for the bf16 attention path (AttentionOptions.bf16, Rotary bf16, GatedMLP.forwardBF16):
what transformers computes for a model cast to torch.bfloat16 (no autocast).

Pinned stack: torch 2.13.0+cpu, transformers 5.23.0 (see setup_venv.sh). Seeded; re-running
rewrites identical files. Run from the repository root:

    py=$(scripts/reference/setup_venv.sh) && "$py" scripts/reference/kernel_goldens_attention_bf16.py

References: `eager_attention_forward` of GPT-2 (softmax in the scores' dtype) and of Llama (softmax
in float32, `.to(query.dtype)`, GQA via repeat_kv) on bf16 q, k, v with the bf16 `eager_mask`;
Llama's `apply_rotary_pos_emb` on bf16 q, k with cos/sin cast to bf16 (the float32 tables are
stored for the Swift side, which casts them itself); LlamaMLP's `act_fn(gate) * up` on bf16 tensors.

Output: Tests/SPTensorTests/Fixtures/attention_bf16.json, keys "<case>.<tensor>" as attention.json
(q/k/v/out token-major [B, T, H, HD], probs [B, NH, T, S]); every stored tensor is bf16-valued
except the float32 cos/sin tables.
"""
import os
import sys

import torch
import transformers
from transformers import LlamaConfig
from transformers import masking_utils as mu
from transformers.activations import ACT2FN
from transformers.models.gpt2 import modeling_gpt2 as gpt2
from transformers.models.llama import modeling_llama as llama

sys.path.insert(0, os.path.dirname(__file__))
from kernel_goldens_attention import Module, Writer, key_mask  # noqa: E402

assert torch.__version__.startswith("2.13.0"), torch.__version__
assert transformers.__version__ == "5.23.0", transformers.__version__

torch.manual_seed(4321)
torch.set_num_threads(1)
BF = torch.bfloat16


def attention_case(w, name, kind, B, T, S, NH, NKV, HD, offset=0, pads=None):
    q = torch.randn(B, NH, T, HD).to(BF)
    k = torch.randn(B, NKV, S, HD).to(BF)
    v = torch.randn(B, NKV, S, HD).to(BF)
    pad = key_mask(B, S, pads) if pads is not None else None
    mask = mu.eager_mask(batch_size=B, q_length=T, kv_length=S, q_offset=offset,
                         mask_function=mu.causal_mask_function, attention_mask=pad, dtype=BF)
    scaling = HD ** -0.5
    if kind == "gpt2":
        out, probs = gpt2.eager_attention_forward(Module(1), q, k, v, mask, scaling=scaling)
    else:
        out, probs = llama.eager_attention_forward(Module(NH // NKV), q, k, v, mask, scaling=scaling)
    assert out.dtype == BF and probs.dtype == BF
    tm = lambda x: x.transpose(1, 2)
    for key, val in [("q", tm(q)), ("k", tm(k)), ("v", tm(v)), ("out", out), ("probs", probs)]:
        w.put(name + "." + key, val.float())
    keys = pad.float() if pad is not None else torch.ones(B, S)
    w.put(name + ".keymask", keys)
    w.put(name + ".config", torch.tensor([B, T, S, NH, NKV, HD, offset, scaling], dtype=torch.float64))


def rotary_case(w, name, B, T, H, HD, positions):
    cfg = LlamaConfig(hidden_size=H * HD, num_attention_heads=H, num_key_value_heads=H, rope_theta=10000.0)
    emb = llama.LlamaRotaryEmbedding(cfg)
    pos = torch.tensor(positions, dtype=torch.long)
    cos32, sin32 = emb(torch.zeros(1), pos)                  # float32 [B, T, HD]
    cos, sin = emb(torch.zeros(1, dtype=BF), pos)            # cast to bf16, as for a bf16 model
    q = torch.randn(B, H, T, HD).to(BF)
    k = torch.randn(B, H, T, HD).to(BF)
    qe, ke = llama.apply_rotary_pos_emb(q, k, cos, sin)
    assert qe.dtype == BF
    tm = lambda x: x.transpose(1, 2)
    for key, val in [("q", tm(q)), ("k", tm(k)), ("qout", tm(qe)), ("kout", tm(ke)),
                     ("cos", cos32.reshape(B * T, -1)[:, : HD // 2]), ("sin", sin32.reshape(B * T, -1)[:, : HD // 2])]:
        w.put(name + "." + key, val.float())
    w.put(name + ".config", torch.tensor([B, T, H, HD], dtype=torch.float64))


def gated_case(w, name, act, n):
    gate = (torch.randn(n) * 3).to(BF)
    up = torch.randn(n).to(BF)
    h = ACT2FN[act](gate) * up
    assert h.dtype == BF
    for key, val in [("gate", gate), ("up", up), ("h", h)]:
        w.put(name + "." + key, val.float())


def main():
    w = Writer()
    # GPT-2: causal with left/right padding; HD 16 (scale 1/4, exact) and HD 5 (scale rounds).
    attention_case(w, "gpt2_pad", "gpt2", 3, 6, 6, 2, 2, 16, pads=[(2, 0), (0, 1), (0, 0)])
    attention_case(w, "gpt2_hd5", "gpt2", 2, 7, 7, 3, 3, 5, pads=[(0, 2), (1, 0)])
    # Llama: GQA, a long causal row set (several 32-row query blocks), and one-token decode (grouped rows).
    attention_case(w, "llama_gqa", "llama", 2, 7, 7, 6, 2, 5, pads=[(0, 2), (1, 0)])
    attention_case(w, "llama_long", "llama", 1, 70, 70, 2, 1, 16, pads=[(3, 0)])
    attention_case(w, "llama_decode", "llama", 2, 1, 9, 4, 2, 8, offset=8, pads=[(2, 0), (0, 0)])
    rotary_case(w, "rope", 2, 5, 3, 16, [[0, 1, 2, 3, 4], [7, 8, 9, 10, 11]])
    gated_case(w, "silu", "silu", 257)
    gated_case(w, "gelu", "gelu", 100)
    w.save("attention_bf16.json")


if __name__ == "__main__":
    main()
