#!/usr/bin/env python3
"""Golden Q8_0 quantization: gguf-py's own quantizer on seeded float32 rows.

Writes Tests/SPTensorTests/Fixtures/q8_0.json: the input rows (float32-exact), the Q8_0 bytes
gguf.quants.quantize produces (hex, 34 bytes per block of 32), the values gguf.quants.dequantize
gives back, and y = dequant(W)·x in float64 for the GEMV check.

Run: .venv-ref/bin/python scripts/reference/q8_goldens.py   (gguf 0.19.0, numpy)
"""
import json
import pathlib
import sys

import numpy as np
from gguf import GGMLQuantizationType, quants

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from golden_util import f32_values  # noqa: E402

rng = np.random.default_rng(80)
rows, cols = 6, 96
w = rng.standard_normal((rows, cols)).astype(np.float32)
w[1, 32:64] = 0.0                      # an all-zero block (d = 0)
w[2, :32] = np.linspace(-1, 1, 32, dtype=np.float32) * 127 / 64   # many exact .5 ties
w[3] *= 1e-3                           # small scale (float16 subnormal-adjacent d)
w[4, 64:] = 1e4 * rng.standard_normal(32).astype(np.float32)      # large magnitudes
x = rng.standard_normal(cols).astype(np.float32)

q = quants.quantize(w, GGMLQuantizationType.Q8_0)
assert q.shape == (rows, cols // 32 * 34), q.shape
deq = quants.dequantize(q, GGMLQuantizationType.Q8_0).astype(np.float32)
y = deq.astype(np.float64) @ x.astype(np.float64)

out = {
    "rows": rows, "cols": cols,
    "w": f32_values(w), "x": f32_values(x),
    "q8_0_hex": q.tobytes().hex(),
    "dequantized": f32_values(deq),
    "y": [float(v) for v in y],
}
dst = pathlib.Path(__file__).resolve().parents[2] / "Tests/SPTensorTests/Fixtures/q8_0.json"
dst.write_text(json.dumps(out) + "\n")
print(f"wrote {dst} ({dst.stat().st_size} bytes)")
