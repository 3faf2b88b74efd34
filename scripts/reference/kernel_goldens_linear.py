"""Golden values for Sources/SPTensor/Kernels/Linear.swift.

Re-run:  py=$(scripts/reference/setup_venv.sh) && $py scripts/reference/kernel_goldens_linear.py
Pinned:  torch 2.13.0+cpu (see setup_venv.sh). Writes Tests/SPTensorTests/Fixtures/linear.json.
"""
import json
import pathlib

import torch

torch.manual_seed(1234)
out = {}


def put(name, t):
    t = t.detach().to(torch.float32).contiguous()
    out[name] = {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1).tolist()]}


M, K, N = 5, 37, 11  # odd sizes on purpose
x = torch.randn(M, K, requires_grad=True)
w = torch.randn(N, K)
b = torch.randn(N)
dy = torch.randn(M, N)

# nn.Linear: y = x·Wᵀ + b; dx = dy·W
y = torch.nn.functional.linear(x, w, b)
y.backward(dy)
put("x", x); put("w", w); put("b", b); put("dy", dy); put("y", y); put("dx", x.grad)

# GPT-2 Conv1D: weight stored [in, out], y = x·W + b (same math, transposed storage)
put("w_conv1d", w.t().contiguous())

# Half-precision storage: the weight is rounded to bf16 / f16, compute stays float32.
for name, dt in (("bf16", torch.bfloat16), ("f16", torch.float16)):
    x2 = x.detach().clone().requires_grad_(True)
    wq = w.to(dt).to(torch.float32)
    y2 = torch.nn.functional.linear(x2, wq, b)
    y2.backward(dy)
    put(f"y_{name}", y2); put(f"dx_{name}", x2.grad)

path = pathlib.Path(__file__).resolve().parents[2] / "Tests/SPTensorTests/Fixtures/linear.json"
path.write_text(json.dumps(out))
print(f"wrote {path} ({path.stat().st_size} bytes)")
