"""Tiny torch.save fixtures for Sources/SPFormats/Torch/TorchPT.swift (reader and writer).

Each file is written by torch.save on this CPU-only machine; `torch_pt.json` holds the values
torch.load gives back (as float32), the dtype and the storage location. Cases: float32, bfloat16,
float16; a row slice of a larger tensor (storage bigger than the view, as caikit saves
`prompt_vector[:num_virtual_tokens]`); a transposed (non-contiguous) tensor; an nn.Parameter; a
state dict like an MPT source prompt; and a tensor whose storage location reads `cuda:0` (saved
with torch's location tag patched, since this machine has no GPU: the bytes are what a CUDA save
writes, and torch.load(map_location="cpu") reads them).

Re-run:  py=$(scripts/reference/setup_venv.sh) && $py scripts/reference/torch_pt_fixtures.py
Pinned:  torch 2.13.0+cpu (see setup_venv.sh).
Writes:  Tests/SPTuningTests/Fixtures/torch/*.pt and torch_pt.json
"""
import json
import pathlib

import torch
import torch.serialization as ser

torch.manual_seed(7)
out = pathlib.Path(__file__).resolve().parents[2] / "Tests/SPTuningTests/Fixtures/torch"
out.mkdir(parents=True, exist_ok=True)
expect = {}


def describe(t):
    return {"shape": list(t.shape), "dtype": str(t.dtype).split(".")[-1],
            "values": [float(v) for v in t.detach().to(torch.float32).reshape(-1).tolist()]}


def save(name, obj):
    path = out / f"{name}.pt"
    torch.save(obj, path)
    back = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(back, dict):
        expect[name] = {"state_dict": {k: describe(v) for k, v in back.items()}, "location": "cpu"}
    else:
        assert torch.equal(back, obj.detach())
        expect[name] = dict(describe(back), location="cpu")


save("f32_2x3", torch.tensor([[0.0, 1.0, -2.5], [3.25, 1e-8, -7e5]]))
save("bf16_3x4", torch.randn(3, 4).to(torch.bfloat16))
save("f16_3x4", torch.randn(3, 4).to(torch.float16))
save("slice_2x5_of_4x5", torch.randn(4, 5)[:2])
save("transposed_3x2", torch.randn(2, 3).t())
save("parameter_2x2", torch.nn.Parameter(torch.randn(2, 2)))
save("mpt_state_dict", {"prompt_embeddings": torch.randn(4, 6), "prefix_task_cols": torch.randn(1, 4, 1),
                        "prefix_task_rows": torch.randn(1, 1, 6)})

# A CUDA save, as caikit writes it on a GPU machine: same bytes but location 'cuda:0'.
orig = ser.location_tag
ser.location_tag = lambda storage: "cuda:0"
cuda_t = torch.randn(2, 4)
torch.save(cuda_t, out / "cuda_location_2x4.pt")
ser.location_tag = orig
back = torch.load(out / "cuda_location_2x4.pt", map_location="cpu", weights_only=True)
assert torch.equal(back, cuda_t)
expect["cuda_location_2x4"] = dict(describe(back), location="cuda:0")

(out.parent / "torch_pt.json").write_text(json.dumps({"torch": torch.__version__, "files": expect}, indent=1))
print(f"wrote {len(expect)} files to {out}")
