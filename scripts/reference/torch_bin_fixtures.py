"""Tiny pytorch_model.bin fixtures for Sources/SPFormats/Torch/TorchCheckpoint.swift.

Each `<case>.bin` is written by torch.save; `<case>.safetensors` holds the same tensors (made
contiguous) written by safetensors, so the Swift test compares bytes. Cases: float32, float16,
bfloat16; a module's state_dict (an OrderedDict with `_metadata`, an nn.Parameter); shared storage
(a tensor saved under two names, a row view with a storage offset, a column view with a stride, a
transpose); a tensor with a Python attribute (`_rebuild_from_type_v2`); an int64 buffer; a sharded checkpoint (pytorch_model.bin.index.json, two shards); the
legacy non-zip format (`_use_new_zipfile_serialization=False`, with a shared storage and views). `malicious/*.bin` are torch-layout zips whose data.pkl is hostile;
torch.load(weights_only=True) refuses the globals, calls and lengths too (asserted here); the
Swift reader must refuse all of them.

Re-run:  SOFTPROMPT_REF_VENV=/root/venv-ref py=$(scripts/reference/setup_venv.sh) && $py scripts/reference/torch_bin_fixtures.py
Pinned:  torch 2.13.0+cpu, safetensors 0.8.0 (see setup_venv.sh).
Writes:  Tests/SPFormatsTests/Fixtures/torch_bin/, Tests/SPModelsTests/Fixtures/gpt2_bin/ (config.json + pytorch_model.bin
         of the tiny GPT-2 fixture, lm_head.weight tied to transformer.wte.weight)
"""
import collections
import json
import pathlib
import struct
import zipfile

import torch
from safetensors.torch import save_file

torch.manual_seed(11)
out = pathlib.Path(__file__).resolve().parents[2] / "Tests/SPFormatsTests/Fixtures/torch_bin"
(out / "sharded").mkdir(parents=True, exist_ok=True)
(out / "malicious").mkdir(parents=True, exist_ok=True)
cases = {}


def save(name, state, **kwargs):
    torch.save(state, out / f"{name}.bin", **kwargs)
    back = torch.load(out / f"{name}.bin", weights_only=True)
    for k, v in state.items():
        assert torch.equal(back[k], v.detach()), k
    save_file({k: v.detach().contiguous().clone() for k, v in state.items()}, out / f"{name}.safetensors")
    cases[name] = {k: {"shape": list(v.shape), "dtype": str(v.dtype).split(".")[-1]} for k, v in state.items()}


save("f32", {"a": torch.randn(2, 3), "b": torch.randn(5), "scalar": torch.tensor(2.5)})
save("f16", {"w": torch.randn(3, 4).half(), "v": torch.randn(7).half()})
save("bf16", {"w": torch.randn(4, 3).bfloat16(), "v": torch.randn(6).bfloat16()})

lin = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.LayerNorm(2))
sd = lin.state_dict()
assert isinstance(sd, collections.OrderedDict) and hasattr(sd, "_metadata")
sd["param"] = torch.nn.Parameter(torch.randn(2, 2))
save("module_state_dict", sd)

base = torch.randn(4, 6)
save("shared_views", {"base": base, "tied": base, "row2": base[2], "col3": base[:, 3],
                      "block": base[1:3, 2:5], "transposed": base.t(), "strided": base[::2, ::3]})
with_attr = torch.randn(3, 2)
with_attr.note = "a Python attribute: pickled through torch._tensor._rebuild_from_type_v2"
save("tensor_with_attribute", {"t": with_attr, "p": torch.nn.Parameter(torch.randn(2))})
save("int64_buffer", {"position_ids": torch.arange(9).reshape(1, 9), "w": torch.randn(2, 2)})

# Sharded: two shards + index, as transformers' save_pretrained writes them.
full = {"emb": torch.randn(5, 4), "l0.w": torch.randn(4, 4), "l1.w": torch.randn(4, 4), "norm": torch.randn(4)}
shards = {"pytorch_model-00001-of-00002.bin": ["emb", "l0.w"], "pytorch_model-00002-of-00002.bin": ["l1.w", "norm"]}
weight_map = {}
for fname, keys in shards.items():
    torch.save({k: full[k] for k in keys}, out / "sharded" / fname)
    weight_map.update({k: fname for k in keys})
total = sum(v.numel() * v.element_size() for v in full.values())
(out / "sharded/pytorch_model.bin.index.json").write_text(
    json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2) + "\n")
save_file(full, out / "sharded.safetensors")
cases["sharded"] = {k: {"shape": list(v.shape), "dtype": "float32"} for k, v in full.items()}

legacy_base = torch.randn(3, 4)
save("legacy", {"w": torch.randn(2, 2), "h": torch.randn(3).half(), "base": legacy_base, "col": legacy_base[:, 1],
                "row": legacy_base[2]}, _use_new_zipfile_serialization=False)


def torch_zip(name, pkl):
    """A zip laid out like torch.save's, with `pkl` as data.pkl; returns what torch.load does with it.

    torch refuses the globals, calls and impossible lengths; it accepts the deep, shared and cyclic
    containers (Python objects with shared references), which are no tensors, so SoftPrompt refuses them.
    """
    path = out / "malicious" / f"{name}.bin"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pkl)
        z.writestr("archive/byteorder", "little")
        z.writestr("archive/version", "3\n")
    try:
        torch.load(path, weights_only=True)
    except Exception as e:  # noqa: BLE001 - any refusal is what we want
        return "refused: " + type(e).__name__
    return "accepted (not tensors)"


deep = b"\x80\x02" + b"]" + b"\x85" * 10_000 + b"."
laughs = b"\x80\x02]q\x00" + b"".join(b"h%c h%c \x86q%c" .replace(b" ", b"") % (i, i, i + 1) for i in range(40)) + b"."
malicious = {
    # GLOBAL os.system, then REDUCE: pickle's classic code execution.
    "global_os_system": b"\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.",
    # builtins.eval through STACK_GLOBAL (protocol 4).
    "stack_global_eval": b"\x80\x04\x8c\x08builtins\x8c\x04eval\x93X\x01\x00\x00\x001\x85R.",
    # REDUCE on something that is not an allowed callable (a storage class, allowed only as a name).
    "reduce_storage_class": b"\x80\x02ctorch\nFloatStorage\n)R.",
    # REDUCE on a value that is not a global at all.
    "reduce_on_string": b"\x80\x02X\x03\x00\x00\x00abc)R.",
    # Lengths far past the end of the stream.
    "huge_binunicode8": b"\x80\x04\x8d" + struct.pack("<Q", 1 << 62) + b"abc.",
    "huge_binbytes": b"\x80\x03B\xff\xff\xff\xffabc.",
    "huge_long4": b"\x80\x02\x8b\xff\xff\xff\x7f\x01.",
    # 10,000 nested tuples, and 2^40 nodes through shared memo references.
    "deep_nesting": deep,
    "exponential_memo": laughs,
    # A list that contains itself.
    "self_cycle": b"\x80\x02]q\x00h\x00a.",
}
refusals = {name: torch_zip(name, pkl) for name, pkl in malicious.items()}
for name in ["global_os_system", "stack_global_eval", "reduce_storage_class", "reduce_on_string",
             "huge_binunicode8", "huge_binbytes", "huge_long4"]:
    assert refusals[name].startswith("refused"), (name, refusals[name])

# A model directory with only pytorch_model.bin: the tiny GPT-2 of Tests/SPModelsTests/Fixtures/gpt2,
# its state_dict torch.saved as older transformers' save_pretrained did (lm_head.weight tied to
# transformer.wte.weight: one storage, two names).
from transformers import AutoModelForCausalLM  # noqa: E402

models = out.parents[2] / "SPModelsTests/Fixtures"
gpt2_bin = models / "gpt2_bin"
gpt2_bin.mkdir(exist_ok=True)
gpt2 = AutoModelForCausalLM.from_pretrained(models / "gpt2")
state = gpt2.state_dict()
assert state["lm_head.weight"].data_ptr() == state["transformer.wte.weight"].data_ptr()
torch.save(state, gpt2_bin / "pytorch_model.bin")
(gpt2_bin / "config.json").write_text((models / "gpt2/config.json").read_text())

# Legacy format, bfloat16 with a transposed (strided) view and an offset row sharing one storage.
# Drawn last so the cases above keep their random values.
legacy16 = torch.randn(4, 5).bfloat16()
save("legacy_bf16", {"base": legacy16, "t": legacy16.t(), "row": legacy16[3], "f16": torch.randn(2, 3).half()},
     _use_new_zipfile_serialization=False)


def legacy_file(name, pickles, tail=b""):
    """A legacy-format file (magic, protocol, sys_info, object, keys, storages) with hostile parts;
    torch.load(weights_only=True) must refuse it too (asserted)."""
    path = out / "malicious" / f"{name}.bin"
    path.write_bytes(b"".join(pickles) + tail)
    try:
        torch.load(path, weights_only=True)
    except Exception as e:  # noqa: BLE001 - any refusal is what we want
        return "refused: " + type(e).__name__
    return "accepted"


import io  # noqa: E402
import pickle  # noqa: E402

magic = pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)
proto = pickle.dumps(1001, protocol=2)
info = pickle.dumps({"protocol_version": 1001, "little_endian": True,
                     "type_sizes": {"short": 2, "int": 4, "long": 4}}, protocol=2)
legacy_bytes = (out / "legacy.bin").read_bytes()


class _Skip(pickle.Unpickler):
    """Reads past a pickle without building anything (every global is a no-op callable)."""

    def find_class(self, module, name):
        return lambda *a, **k: None

    def persistent_load(self, pid):
        return None


_stream = io.BytesIO(legacy_bytes)
for _ in range(5):  # magic, protocol, sys_info, object, storage keys
    _Skip(_stream).load()
first_count = _stream.tell()  # the first storage's int64 element count
legacy_malicious = {
    # The object pickle calls os.system.
    "legacy_global_os_system": legacy_file("legacy_global_os_system", [
        magic, proto, info, malicious["global_os_system"], pickle.dumps([], protocol=2)]),
    # The protocol pickle is a REDUCE of builtins.eval.
    "legacy_reduce_eval": legacy_file("legacy_reduce_eval", [magic, malicious["stack_global_eval"]]),
    # A storage whose element count runs far past the end of the file.
    "legacy_huge_storage": legacy_file(
        "legacy_huge_storage", [legacy_bytes[:first_count]], struct.pack("<q", 1 << 60) + legacy_bytes[first_count + 8:]),
}
for name, outcome in legacy_malicious.items():
    assert outcome.startswith("refused"), (name, outcome)
refusals.update(legacy_malicious)

(out / "torch_bin.json").write_text(json.dumps(
    {"torch": torch.__version__, "cases": cases, "malicious_torch_errors": refusals}, indent=1, sort_keys=True) + "\n")
print("wrote", out)
