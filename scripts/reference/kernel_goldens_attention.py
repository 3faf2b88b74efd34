#!/usr/bin/env python3
"""Golden fixtures for the attention-family kernels (Sources/SPTensor/Kernels/Attention*.swift,
Rotary.swift, ALiBi.swift, RelativeBias.swift).

Pinned stack: torch 2.13.0+cpu, transformers 5.23.0 (see setup_venv.sh). Seeded; re-running
rewrites identical files. Run from the repository root:

    py=$(scripts/reference/setup_venv.sh) && "$py" scripts/reference/kernel_goldens_attention.py

The references are transformers' own functions where they exist: `eager_attention_forward` of Llama
(GQA via repeat_kv) and T5 (position_bias), `masking_utils.eager_mask` for causal / sliding-window /
padding masks with a query offset, BLOOM's `build_alibi_tensor` + its baddbmm scores, T5's
`_relative_position_bucket` / `compute_bias`, the rotary embedding modules (rope init functions of
modeling_rope_utils.py) and `apply_rotary_pos_emb` of Llama, GPT-NeoX and GPT-J. Input gradients
come from autograd of sum(output * g) with a fixed random g.

Query rows that see no key (left padding under a causal mask) get g = 0: in training they are
padding positions with zero upstream gradient, and there autograd passes a meaningless value
through the scores that transformers' finfo.min mask swallows (see AttentionOptions in Swift).

Output (Tests/SPTensorTests/Fixtures, read by Support.swift's `Fixture`):
  attention.json  keys "<case>.<tensor>"; q/k/v/out/grads token-major [B, T, H, HD]
  rotary.json     keys "<case>.<tensor>"; inv-frequency tables "invfreq.<base>.<dim>"
  alibi.json      slopes for many head counts, bias tensors
  t5bias.json     bucket tables and bias tensors
"""
import json
import math
import os
import sys

import torch
import transformers
from transformers import GPTNeoXConfig, LlamaConfig, T5Config
from transformers import masking_utils as mu
from transformers.models.bloom.modeling_bloom import _get_alibi_slopes, build_alibi_tensor
from transformers.models.gpt_neox import modeling_gpt_neox as neox
from transformers.models.gptj import modeling_gptj as gptj
from transformers.models.llama import modeling_llama as llama
from transformers.models.t5 import modeling_t5 as t5

assert torch.__version__.startswith("2.13.0"), torch.__version__
assert transformers.__version__ == "5.23.0", transformers.__version__

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "SPTensorTests", "Fixtures")
torch.manual_seed(1234)
torch.set_num_threads(1)


def num(x):
    s = "%.9g" % x
    if s in ("inf", "-inf", "nan"):
        raise ValueError("non-finite value in fixture")
    return s if any(c in s for c in ".e") else s + ".0"


class Writer:
    def __init__(self):
        self.items = []

    def put(self, name, t):
        t = torch.as_tensor(t).detach().to(torch.float64).contiguous()
        shape = list(t.shape)
        data = ",".join(num(v) for v in t.reshape(-1).tolist())
        self.items.append('"%s":{"shape":%s,"data":[%s]}' % (name, json.dumps(shape), data))

    def save(self, fname):
        path = os.path.join(OUT, fname)
        with open(path, "w") as f:
            f.write("{\n" + ",\n".join(self.items) + "\n}\n")
        print("wrote", os.path.relpath(path, ROOT), os.path.getsize(path), "bytes")


class Module:  # what eager_attention_forward reads from `module`
    def __init__(self, groups, scaling=None):
        self.num_key_value_groups = groups
        self.training = False
        self.scaling = scaling


def key_mask(B, S, pads):
    """pads[b] = (left, right) padding counts -> bool [B, S] (True attend)."""
    m = torch.ones(B, S, dtype=torch.bool)
    for b, (l, r) in enumerate(pads):
        m[b, :l] = False
        if r:
            m[b, S - r:] = False
    return m


def mask4d(B, T, S, offset, fn, pad):
    return mu.eager_mask(batch_size=B, q_length=T, kv_length=S, q_offset=offset, mask_function=fn,
                         attention_mask=pad, dtype=torch.float32)


def bool4d(B, T, S, offset, fn, pad):
    return mu.sdpa_mask(batch_size=B, q_length=T, kv_length=S, q_offset=offset, mask_function=fn,
                        attention_mask=pad, allow_is_causal_skip=False)


def attention_case(w, name, B, T, S, NH, NKV, HD, offset=0, fn=mu.causal_mask_function, pads=None,
                   window=None, scale=None, bias_kind=None, causal=True):
    """bias_kind: None | "alibi" | "t5enc" | "t5dec"."""
    q = torch.randn(B, NH, T, HD, requires_grad=True)
    k = torch.randn(B, NKV, S, HD, requires_grad=True)
    v = torch.randn(B, NKV, S, HD, requires_grad=True)
    pad = key_mask(B, S, pads) if pads is not None else None
    allowed = bool4d(B, T, S, offset, fn, pad).expand(B, 1, T, S)
    mask = mask4d(B, T, S, offset, fn, pad)
    scaling = HD ** -0.5 if scale is None else scale
    bias = None
    if bias_kind == "alibi":
        # BLOOM: alibi.baddbmm(q, kᵀ, beta=1, alpha=inv_norm_factor) + causal_mask, softmax in float32
        alibi = build_alibi_tensor(pad.long(), NH, torch.float32)            # [B*NH, 1, S]
        bias = alibi.view(B, NH, 1, S)
        scores = alibi.baddbmm(q.reshape(B * NH, T, HD), k.reshape(B * NH, S, HD).transpose(-1, -2),
                               beta=1.0, alpha=scaling).view(B, NH, T, S) + mask
        probs = torch.softmax(scores, dim=-1, dtype=torch.float32)
        out = torch.bmm(probs.view(B * NH, T, S), v.reshape(B * NH, S, HD)).view(B, NH, T, HD).transpose(1, 2)
        w.put(name + ".alibi", bias.reshape(B, NH, S))
    elif bias_kind in ("t5enc", "t5dec"):
        cfg = T5Config(d_model=NH * HD, d_kv=HD, num_heads=NH, relative_attention_num_buckets=16,
                       relative_attention_max_distance=20, is_decoder=(bias_kind == "t5dec"))
        att = t5.T5Attention(cfg, has_relative_attention_bias=True)
        with torch.no_grad():
            att.relative_attention_bias.weight.copy_(torch.randn(16, NH))
        bias = att.compute_bias(T, S, past_seen_tokens=offset).detach()        # [1, NH, T, S]
        out, probs = t5.eager_attention_forward(Module(1), q, k, v, mask, scaling=scaling, position_bias=bias)
        w.put(name + ".table", att.relative_attention_bias.weight)
        w.put(name + ".bias", bias[0])
    else:
        out, probs = llama.eager_attention_forward(Module(NH // NKV), q, k, v, mask, scaling=scaling)
    dead = ~allowed.any(-1)                                                  # [B, 1, T]
    g = torch.randn(B, T, NH, HD) * (~dead[:, 0, :, None, None]).float()
    (out * g).sum().backward()
    tm = lambda x: x.transpose(1, 2)                                         # [B, H, T, HD] -> [B, T, H, HD]
    for key, val in [("q", tm(q)), ("k", tm(k)), ("v", tm(v)), ("out", out), ("dout", g),
                     ("dq", tm(q.grad)), ("dk", tm(k.grad)), ("dv", tm(v.grad)), ("probs", probs)]:
        w.put(name + "." + key, val)
    keys = pad.float() if pad is not None else torch.ones(B, S)
    w.put(name + ".keymask", keys)
    cfg = [B, T, S, NH, NKV, HD, offset, 1 if causal else 0, window or 0, scaling]
    w.put(name + ".config", torch.tensor(cfg, dtype=torch.float64))


def attention_fixtures():
    w = Writer()
    c = mu.causal_mask_function
    attention_case(w, "causal_pad", 3, 5, 5, 3, 3, 4, pads=[(2, 0), (0, 1), (0, 0)])
    attention_case(w, "gqa", 2, 7, 7, 6, 2, 5, pads=[(0, 2), (1, 0)])
    attention_case(w, "mqa", 2, 6, 6, 4, 1, 3, pads=[(0, 0), (3, 0)])
    attention_case(w, "sliding", 2, 9, 9, 2, 2, 4, fn=mu.sliding_window_causal_mask_function(3),
                   pads=[(2, 0), (0, 0)], window=3)
    for T, past in [(1, 5), (2, 4), (3, 3)]:
        attention_case(w, "offset%d" % T, 2, T, past + T, 4, 2, 6, offset=past, pads=[(2, 0), (0, 0)])
    attention_case(w, "offset_window", 1, 2, 8, 2, 1, 4, offset=6,
                   fn=mu.sliding_window_causal_mask_function(4), pads=[(0, 0)], window=4)
    attention_case(w, "bidir", 2, 4, 6, 3, 3, 5, fn=mu.bidirectional_mask_function, pads=[(0, 2), (0, 0)],
                   scale=0.37, causal=False)
    attention_case(w, "alibi6", 2, 7, 7, 6, 6, 4, pads=[(3, 0), (0, 0)], bias_kind="alibi")
    attention_case(w, "alibi8", 2, 2, 5, 8, 8, 3, offset=3, pads=[(1, 0), (0, 0)], bias_kind="alibi")
    attention_case(w, "t5enc", 2, 7, 7, 3, 3, 4, fn=mu.bidirectional_mask_function, pads=[(0, 2), (0, 0)],
                   scale=1.0, bias_kind="t5enc", causal=False)
    attention_case(w, "t5dec", 2, 3, 7, 3, 3, 4, offset=4, fn=c, pads=[(0, 0), (0, 0)],
                   scale=1.0, bias_kind="t5dec")
    w.save("attention.json")


def rope_case(w, name, emb, apply, B, T, H, HK, HD, R, positions, style_interleaved=False):
    q = torch.randn(B, T, H, HD, requires_grad=True)
    k = torch.randn(B, T, HK, HD, requires_grad=True)
    pos = torch.tensor(positions, dtype=torch.long)
    cos, sin, inv = emb(pos)
    qe, ke = apply(q, k, cos, sin)
    gq, gk = torch.randn_like(qe), torch.randn_like(ke)
    ((qe * gq).sum() + (ke * gk).sum()).backward()
    for key, val in [("q", q), ("k", k), ("qout", qe), ("kout", ke), ("gq", gq), ("gk", gk),
                     ("dq", q.grad), ("dk", k.grad), ("positions", pos.float()), ("invfreq", inv),
                     ("cos", cos.reshape(B * T, -1)[:, : R // 2]), ("sin", sin.reshape(B * T, -1)[:, : R // 2])]:
        w.put(name + "." + key, val)
    w.put(name + ".config", torch.tensor([B, T, H, HK, HD, R, 1 if style_interleaved else 0], dtype=torch.float64))


def llama_rope(cfg):
    m = llama.LlamaRotaryEmbedding(cfg)

    def emb(pos):
        cos, sin = m(torch.zeros(1), pos)       # dynamic rope updates inv_freq inside
        return cos, sin, m.inv_freq.clone()
    return emb


def apply_tm(fn):  # transformers' apply_rotary_pos_emb on [B, T, H, HD] (unsqueeze_dim=2)
    return lambda q, k, cos, sin: fn(q, k, cos, sin, unsqueeze_dim=2)


def rotary_fixtures():
    w = Writer()
    B, T = 2, 5
    left = [[0, 0, 1, 2, 3], [0, 1, 2, 3, 4]]
    far = [[90, 91, 92, 93, 94], [300, 301, 302, 303, 304]]

    def lcfg(hd, rp, maxpos=2048):
        return LlamaConfig(hidden_size=3 * hd, num_attention_heads=3, num_key_value_heads=1, head_dim=hd,
                           max_position_embeddings=maxpos, rope_parameters=rp)
    lap = apply_tm(llama.apply_rotary_pos_emb)
    rope_case(w, "default", llama_rope(lcfg(16, {"rope_type": "default", "rope_theta": 10000.0})),
              lap, B, T, 3, 1, 16, 16, left)
    rope_case(w, "default_far", llama_rope(lcfg(16, {"rope_type": "default", "rope_theta": 500000.0})),
              lap, B, T, 3, 1, 16, 16, far)
    rope_case(w, "linear", llama_rope(lcfg(12, {"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0})),
              lap, B, T, 3, 1, 12, 12, far)
    rope_case(w, "dynamic", llama_rope(lcfg(16, {"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0}, 16)),
              lap, B, T, 3, 1, 16, 16, [[30, 31, 32, 33, 34], [36, 37, 38, 39, 40]])
    rope_case(w, "dynamic_short", llama_rope(lcfg(16, {"rope_type": "dynamic", "rope_theta": 10000.0,
                                                      "factor": 2.0}, 16)),
              lap, B, T, 3, 1, 16, 16, [[0, 1, 2, 3, 4], [9, 10, 11, 12, 13]])
    rope_case(w, "llama3", llama_rope(lcfg(16, {"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0,
                                               "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                               "original_max_position_embeddings": 64})),
              lap, B, T, 3, 1, 16, 16, far)
    for name, hd, pf in [("partial25", 16, 0.25), ("partial50", 20, 0.5)]:
        cfg = GPTNeoXConfig(hidden_size=3 * hd, num_attention_heads=3, rotary_pct=pf, max_position_embeddings=512)
        m = neox.GPTNeoXRotaryEmbedding(cfg)
        emb = lambda pos, m=m: (*m(torch.zeros(1), pos), m.inv_freq.clone())
        rope_case(w, name, emb, apply_tm(neox.apply_rotary_pos_emb), B, T, 3, 3, hd, int(hd * pf), far)

    # GPT-J: interleaved pairs, rotary_dim < head_dim, sin/cos gathered from create_sinusoidal_positions
    hd, rd = 12, 8
    table = gptj.create_sinusoidal_positions(512, rd)

    def gj_emb(pos):
        sincos = table[pos]
        sin, cos = torch.split(sincos, rd // 2, dim=-1)
        inv = 1.0 / (10000 ** (torch.arange(0, rd, 2, dtype=torch.int64) / rd))
        return torch.cat([cos, cos], -1), torch.cat([sin, sin], -1), inv

    def gj_apply(q, k, cos, sin):
        c, s = cos[..., : rd // 2], sin[..., : rd // 2]
        rot = lambda x: torch.cat([gptj.apply_rotary_pos_emb(x[..., :rd], s, c), x[..., rd:]], -1)
        return rot(q), rot(k)
    rope_case(w, "gptj", gj_emb, gj_apply, B, T, 3, 2, hd, rd, far, style_interleaved=True)

    # inverse frequencies of the default rope for many (base, dim): exercises both halves of torch's
    # pow loop (SLEEF vector chunks, glibc tail)
    for base in [10000.0, 500000.0, 1000000.0, 25000.0]:
        for dim in [8, 16, 24, 32, 48, 64, 80, 96, 128, 160, 256]:
            inv, _ = llama.LlamaRotaryEmbedding.compute_default_rope_parameters(lcfg(dim, {"rope_type": "default",
                                                                                          "rope_theta": base}))
            w.put("invfreq.%d.%d" % (int(base), dim), inv)
    w.put("torch_vector_chunk", torch.tensor([{"AVX512": 32, "AVX2": 16}.get(
        torch.backends.cpu.get_cpu_capability(), 0)], dtype=torch.float64))
    w.save("rotary.json")


def alibi_fixtures():
    w = Writer()
    for nh in [1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 20, 24, 32, 40, 48, 64, 96, 112]:
        w.put("slopes.%d" % nh, _get_alibi_slopes(nh, "cpu"))
    mask = torch.tensor([[0, 0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 0], [1, 0, 1, 1, 0, 1, 1]])
    for nh in [6, 8]:
        w.put("mask", mask.float())
        w.put("bias.%d" % nh, build_alibi_tensor(mask, nh, torch.float32).view(3, nh, 7))
    w.put("torch_vector_chunk", torch.tensor([{"AVX512": 32, "AVX2": 16}.get(
        torch.backends.cpu.get_cpu_capability(), 0)], dtype=torch.float64))
    w.save("alibi.json")


def t5_fixtures():
    w = Writer()
    rp = torch.arange(-300, 301)
    for bidir in [True, False]:
        for nb, md in [(32, 128), (16, 32), (64, 256), (8, 20)]:
            b = t5.T5Attention._relative_position_bucket(rp, bidirectional=bidir, num_buckets=nb, max_distance=md)
            w.put("bucket.%s.%d.%d" % ("bi" if bidir else "uni", nb, md), b.float())
    for name, dec, T, S, past in [("enc", False, 6, 6, 0), ("dec", True, 3, 9, 6)]:
        cfg = T5Config(d_model=16, d_kv=4, num_heads=4, relative_attention_num_buckets=32,
                       relative_attention_max_distance=128, is_decoder=dec)
        att = t5.T5Attention(cfg, has_relative_attention_bias=True)
        with torch.no_grad():
            att.relative_attention_bias.weight.copy_(torch.randn(32, 4))
        w.put(name + ".table", att.relative_attention_bias.weight)
        w.put(name + ".bias", att.compute_bias(T, S, past_seen_tokens=past)[0])
        w.put(name + ".config", torch.tensor([T, S, past, 0 if dec else 1], dtype=torch.float64))
    w.save("t5bias.json")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    attention_fixtures()
    rotary_fixtures()
    alibi_fixtures()
    t5_fixtures()
    sys.exit(0)
