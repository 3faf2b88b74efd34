#!/usr/bin/env python3
"""PyTorch goldens for the SPTensor pointwise/normalisation kernels.

Writes Tests/SPTensorTests/Fixtures/{norms,activations,gated_mlp,softmax,cross_entropy,embedding,
elementwise}.json in the format `Fixture` (Tests/SPTensorTests/Support.swift) reads:
{"name": {"shape": [...], "data": [...]}, ...}; integer tensors (ids, labels) are stored as floats.

Each fixture holds the inputs, the float32 forward outputs and the input gradients torch autograd
computes for a fixed random upstream gradient `dy` (loss = sum(y * dy)).

Pinned: torch 2.13.0+cpu, transformers 5.23.0, numpy (any 2.x). Deterministic (torch.manual_seed).
Run:  py=$(SOFTPROMPT_REF_VENV=/work/main/.venv-ref scripts/reference/setup_venv.sh)
      $py scripts/reference/kernel_goldens_norms.py
"""
import json
import math
import os

import torch
import torch.nn.functional as F
from transformers.activations import ACT2FN
from transformers.models.gemma.modeling_gemma import GemmaRMSNorm
from transformers.models.llama.modeling_llama import LlamaRMSNorm
from transformers.models.t5.modeling_t5 import T5LayerNorm

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "SPTensorTests", "Fixtures")
torch.set_default_dtype(torch.float32)


def put(d, name, t):
    t = torch.as_tensor(t).detach().to(torch.float32)
    assert torch.isfinite(t).all(), name
    d[name] = {"shape": list(t.shape), "data": [float("%.9g" % v) for v in t.reshape(-1).tolist()]}


def save(name, d):
    path = os.path.join(OUT, name + ".json")
    with open(path, "w") as f:
        f.write("{\n")
        items = list(d.items())
        for i, (k, v) in enumerate(items):
            data = ",".join("%.9g" % x for x in v["data"])
            sep = "," if i + 1 < len(items) else ""
            f.write('"%s": {"shape": %s, "data": [%s]}%s\n' % (k, json.dumps(v["shape"]), data, sep))
        f.write("}\n")
    print("wrote", os.path.relpath(path, ROOT), os.path.getsize(path), "bytes")


def fwd_bwd(fn, x, dy):
    x = x.clone().requires_grad_(True)
    y = fn(x)
    y.backward(dy)
    return y.detach(), x.grad.detach()


def norms():
    d = {}
    x = torch.randn(3, 7, 33) * 2 + 0.5
    x[1, 3] += 40.0  # a row with a large mean (LayerNorm stability)
    x[2, 5] *= 1e-3  # a row whose mean square (~4e-6) is comparable to eps: a wrong eps shows
    dy = torch.randn(3, 7, 33)
    dy[2, 5] *= 1e-3  # keeps that row's dx (∝ dy / rms) at the scale of the others
    w = torch.randn(33) * 0.5 + 1
    b = torch.randn(33) * 0.3
    wg = torch.randn(33) * 0.2  # Gemma stores w with scale 1 + w
    for k, v in [("x", x), ("dy", dy), ("weight", w), ("bias", b), ("gemma_weight", wg)]:
        put(d, k, v)
    put(d, "ln_eps", torch.tensor(1e-5))
    put(d, "rms_eps", torch.tensor(1e-6))
    with torch.no_grad():
        ln = torch.nn.LayerNorm(33, eps=1e-5)
        ln.weight.copy_(w); ln.bias.copy_(b)
        ln_nb = torch.nn.LayerNorm(33, eps=1e-5, bias=False)
        ln_nb.weight.copy_(w)
        ln_na = torch.nn.LayerNorm(33, eps=1e-5, elementwise_affine=False)
        llama = LlamaRMSNorm(33, eps=1e-6); llama.weight.copy_(w)
        t5 = T5LayerNorm(33, eps=1e-6); t5.weight.copy_(w)
        gemma = GemmaRMSNorm(33, eps=1e-6); gemma.weight.copy_(wg)
    for name, m in [("ln", ln), ("ln_nobias", ln_nb), ("ln_noaffine", ln_na),
                    ("llama_rms", llama), ("t5_rms", t5), ("gemma_rms", gemma)]:
        for p in m.parameters():
            p.requires_grad_(False)  # frozen: only the input gradient is wanted
        y, dx = fwd_bwd(m, x, dy)
        put(d, name + ".y", y)
        put(d, name + ".dx", dx)
    save("norms", d)


ACT_NAMES = ["gelu", "gelu_python", "gelu_new", "gelu_pytorch_tanh", "gelu_python_tanh", "gelu_fast",
             "gelu_accurate", "gelu_10", "quick_gelu", "relu", "relu2", "relu6", "silu", "swish",
             "sigmoid", "tanh", "linear"]


def activations():
    d = {}
    special = torch.tensor([0.0, 1e-7, -1e-7, 1e-4, -1e-4, 1e-2, -1e-2, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0,
                            5.999, 6.0, 6.001, -6.0])
    x = torch.cat([special, (torch.randn(231 - special.numel()) * 2.5).clamp(-8, 8)])
    big = torch.tensor([-100.0, -50.0, -20.0, -12.0, -10.0, -9.0, -8.0, -7.0, 7.0, 8.0, 9.0, 10.0, 12.0,
                        20.0, 50.0, 100.0])
    dy = torch.randn(x.numel())
    dyb = torch.randn(big.numel())
    put(d, "x", x); put(d, "dy", dy); put(d, "big.x", big); put(d, "big.dy", dyb)
    for name in ACT_NAMES:
        act = ACT2FN[name]
        y, dx = fwd_bwd(act, x, dy)
        put(d, name + ".y", y); put(d, name + ".dx", dx)
        y, dx = fwd_bwd(act, big, dyb)
        put(d, name + ".big.y", y); put(d, name + ".big.dx", dx)
        # float64 torch on the same inputs: in the far tails float32 torch formulas such as
        # sigmoid's (1 - y)·y cancel, and the Swift kernels are allowed to be closer to this.
        y, dx = fwd_bwd(act, big.double(), dyb.double())
        put(d, name + ".big.y64", y); put(d, name + ".big.dx64", dx)
    save("activations", d)


def gated_mlp():
    d = {}
    gate = torch.randn(5, 33) * 2
    up = torch.randn(5, 33)
    dh = torch.randn(5, 33)
    put(d, "gate", gate); put(d, "up", up); put(d, "dh", dh)
    for name, act in [("swiglu", "silu"), ("geglu", "gelu"), ("geglu_tanh", "gelu_new")]:
        g = gate.clone().requires_grad_(True)
        u = up.clone().requires_grad_(True)
        h = ACT2FN[act](g) * u
        h.backward(dh)
        put(d, name + ".h", h); put(d, name + ".dgate", g.grad); put(d, name + ".dup", u.grad)
    save("gated_mlp", d)


def softmax():
    d = {}
    x = torch.randn(3, 7, 33) * 3
    x[0, 2] += 1000.0          # large logits: needs the max subtraction
    x[2, 5] *= 30.0            # a very peaked row
    x[1, 1, ::3] = -1e4        # "masked" entries
    dy = torch.randn(3, 7, 33)
    put(d, "x", x); put(d, "dy", dy)
    for name, scale in [("scale1", 1.0), ("scale_0125", 0.125)]:
        y, dx = fwd_bwd(lambda t: torch.softmax(t * scale, dim=-1), x, dy)
        put(d, name + ".y", y); put(d, name + ".dx", dx)
        put(d, name + ".scale", torch.tensor(scale))
    save("softmax", d)


def cross_entropy():
    d = {}
    for name, (n, v) in [("small", (12, 67)), ("wide", (5, 301))]:
        z = torch.randn(n, v) * 3
        z[1] += 500.0                       # large logits row
        labels = torch.randint(0, v, (n,))
        labels[[0, 4]] = -100               # ignored rows
        if n > 7:
            labels[7] = -100
        labels[2] = v - 1                   # last class (tail lane)
        zz = z.clone().requires_grad_(True)
        loss = F.cross_entropy(zz, labels, reduction="mean", ignore_index=-100)
        loss.backward()
        put(d, name + ".logits", z); put(d, name + ".labels", labels.float())
        put(d, name + ".loss", loss.detach()); put(d, name + ".dlogits", zz.grad)
    save("cross_entropy", d)


def embedding():
    d = {}
    table = torch.randn(50, 33)
    ids = torch.tensor([0, 49, 7, 7, 13, 2, 48, 31, 0])
    put(d, "table", table); put(d, "ids", ids.float())
    put(d, "f32.out", F.embedding(ids, table))
    put(d, "f16.out", F.embedding(ids, table.half()).float())
    put(d, "bf16.out", F.embedding(ids, table.bfloat16()).float())
    save("embedding", d)


def elementwise():
    d = {}
    a = torch.randn(3, 37)
    b = torch.randn(3, 37)
    v = torch.randn(37)
    put(d, "a", a); put(d, "b", b); put(d, "v", v)
    put(d, "add", a + b)
    put(d, "scale_037", a * 0.37)
    put(d, "multiply", a * b)
    put(d, "add_scaled_05", a + 0.5 * b)   # y = a; y += 0.5·b
    put(d, "add_row", a + v)
    put(d, "sum_rows", a.sum(0))
    save("elementwise", d)


if __name__ == "__main__":
    assert torch.__version__.startswith("2.13"), torch.__version__
    torch.manual_seed(0)
    for f in [norms, activations, gated_mlp, softmax, cross_entropy, embedding, elementwise]:
        f()
