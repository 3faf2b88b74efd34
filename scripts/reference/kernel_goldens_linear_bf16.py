"""Golden values for Sources/SPTensor/Kernels/LinearBF16.swift (a Linear computed in bfloat16).

Re-run:  py=$(scripts/reference/setup_venv.sh) && $py scripts/reference/kernel_goldens_linear_bf16.py
Pinned:  torch 2.13.0+cpu (see setup_venv.sh). Writes Tests/SPTensorTests/Fixtures/linear_bf16.json.

PyTorch with the module cast to torch.bfloat16, as `torch_dtype: bfloat16` loads it: the input is
cast to bf16, `F.linear` runs in bf16 (float32 accumulation inside oneDNN/ATen), the output and the
input gradient are bf16. The inputs come from an integer hash (`value` below, mirrored in the Swift
test) so that the fixture only holds the outputs.
"""
import json
import pathlib

import torch


def value(i, seed, scale):
    # float64 arithmetic is exact here; the final cast rounds to float32 as Swift's Float(Double) does.
    h = ((i + 1) * 2654435761 + seed * 40503) % 4294967296
    return (h / 4294967296.0 - 0.5) * scale


def tensor(shape, seed, scale):
    n = 1
    for d in shape:
        n *= d
    return torch.tensor([value(i, seed, scale) for i in range(n)], dtype=torch.float64).to(torch.float32).reshape(shape)


out = {"torch": torch.__version__, "cases": []}
# (M, K, N): odd sizes, N past the kernel's 64-wide panel, M past its 6-row tile.
for m, k, n in ((5, 37, 11), (13, 392, 33)):
    x = tensor((m, k), 1, 4.0)
    w = tensor((n, k), 2, 0.25)
    b = tensor((n,), 3, 1.0)
    dy = tensor((m, n), 4, 2.0)
    lin = torch.nn.Linear(k, n).to(torch.bfloat16)
    with torch.no_grad():
        lin.weight.copy_(w.to(torch.bfloat16))
        lin.bias.copy_(b.to(torch.bfloat16))
    xb = x.to(torch.bfloat16).requires_grad_(True)
    y = lin(xb)
    y.backward(dy.to(torch.bfloat16))
    y_nobias = torch.nn.functional.linear(x.to(torch.bfloat16), w.to(torch.bfloat16))
    out["cases"].append({
        "m": m, "k": k, "n": n,
        "y": [float(v) for v in y.detach().to(torch.float32).reshape(-1).tolist()],
        "y_nobias": [float(v) for v in y_nobias.to(torch.float32).reshape(-1).tolist()],
        "dx": [float(v) for v in xb.grad.to(torch.float32).reshape(-1).tolist()],
    })

path = pathlib.Path(__file__).resolve().parents[2] / "Tests/SPTensorTests/Fixtures/linear_bf16.json"
path.write_text(json.dumps(out))
print(f"wrote {path} ({path.stat().st_size} bytes)")
