#!/usr/bin/env python3
"""Golden fixtures for Tests/SPFormatsTests (safetensors and GGUF).

Pinned: safetensors 0.8.0, torch 2.13.0+cpu, gguf 0.19.0, numpy 2.x (see setup_venv.sh).
Run:  py=$(SOFTPROMPT_REF_VENV=/work/main/.venv-ref scripts/reference/setup_venv.sh)
      $py scripts/reference/formats_goldens.py
Re-runnable and seeded: the output is the same on every run. The library writes several
__metadata__ keys in Rust HashMap order, which changes from run to run; the script saves such a file
until the keys come out sorted (the order SoftPrompt's writer uses), so that file is byte-comparable too.

Writes Tests/SPFormatsTests/Fixtures/:
  safetensors/<case>.safetensors  written by safetensors.torch.save_file
  safetensors/cases.json          per case: tensors (name, dtype, shape, float32 input values, values
                                  as read back by the library) and metadata, so the Swift writer can
                                  write the same tensors and compare bytes
  gguf/types_v3.gguf              GGUFWriter output: one tensor of every supported ggml type, random
                                  but valid blocks (random bytes, finite random f16 scales), metadata
                                  of every value type incl. string arrays and nested arrays
  gguf/types_v2.gguf              the same written with general.alignment = 64, then the version
                                  field patched to 2 (GGUFWriter only writes v3; v2 and v3 share the
                                  little-endian layout)
  gguf/types.json                 per tensor: name, ggml type, shape (torch order), float offset
                                  into types_expected.bin; plus the metadata values
  gguf/types_expected.bin         gguf.quants.dequantize() output, float32 little-endian
"""
import json
import os
import struct

import numpy as np
import torch
from safetensors.torch import save_file
from safetensors import safe_open
import gguf
from gguf import GGUFWriter, GGMLQuantizationType as T, GGUFValueType as V
from gguf.constants import GGML_QUANT_SIZES

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "SPFormatsTests", "Fixtures")
rng = np.random.default_rng(20240601)
torch.manual_seed(0)


def floats(n, scale=1.0):
    return (rng.standard_normal(n) * scale).astype(np.float32)


# ---------------------------------------------------------------- safetensors
def metadata_keys(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))  # json keeps the file's key order
    return list(header.get("__metadata__", {}))


def safetensors_cases():
    out_dir = os.path.join(ROOT, "safetensors")
    os.makedirs(out_dir, exist_ok=True)
    dt = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
    cases = {
        "mixed": (
            [("model.embed.weight", "F32", [4, 3]), ("b.bias", "F16", [5]), ("a.norm", "BF16", [2, 2]),
             ("scalar", "F32", []), ("zero", "F32", [0, 3]), ("h.0.attn.c_attn.weight", "BF16", [3, 6]),
             ("éé.unicode", "F16", [2, 1, 3]), ("Z.upper", "F32", [7])],
            {"format": "pt"},
        ),
        "nometa": ([("w", "F32", [2, 3])], None),
        "multimeta": ([("prompt_embeddings", "F32", [4, 8])],
                      {"format": "pt", "softprompt": "1", "note": "quote \" backslash \\ newline \n tab \t é \u0001"}),
        "empty": ([], None),
    }
    manifest = {}
    for case, (specs, meta) in cases.items():
        tensors, entries = {}, []
        for name, dtype, shape in specs:
            n = int(np.prod(shape)) if shape else 1
            vals = floats(n)
            t = torch.from_numpy(vals.copy()).reshape(shape).to(dt[dtype])
            tensors[name] = t
            entries.append({"name": name, "dtype": dtype, "shape": shape, "values": [float(v) for v in vals],
                            "read": [float(v) for v in t.to(torch.float32).reshape(-1).tolist()]})
        path = os.path.join(out_dir, case + ".safetensors")
        for _ in range(1000):
            save_file(tensors, path, metadata=meta)
            if meta is None or metadata_keys(path) == sorted(meta, key=lambda k: k.encode()):
                break
        else:
            raise RuntimeError("could not get sorted __metadata__ keys")
        with safe_open(path, "pt") as f:  # the library must read back what it wrote
            assert sorted(f.keys()) == sorted(tensors), case
        manifest[case] = {"tensors": entries, "metadata": meta}
    with open(os.path.join(out_dir, "cases.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)


# ---------------------------------------------------------------- GGUF
# Byte offsets of the f16 scale fields in each block type (the only fields that must be finite).
F16_FIELDS = {T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
              T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}
# (type, torch shape): two or more blocks per tensor, several rows.
GGUF_TENSORS = [
    (T.F32, [2, 3, 4]), (T.F16, [3, 5]), (T.BF16, [3, 5]),
    (T.Q4_0, [3, 64]), (T.Q4_1, [3, 64]), (T.Q5_0, [3, 64]), (T.Q5_1, [3, 64]), (T.Q8_0, [3, 64]),
    (T.Q4_K, [2, 512]), (T.Q5_K, [2, 512]), (T.Q6_K, [2, 512]),
]


def random_blocks(qtype, shape):
    block, size = GGML_QUANT_SIZES[qtype]
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    n_blocks = rows * cols // block
    raw = rng.integers(0, 256, size=(n_blocks, size), dtype=np.uint8)
    for off in F16_FIELDS[qtype]:
        scale = rng.uniform(-2, 2, size=n_blocks).astype(np.float16)  # finite halves, both signs
        raw[:, off:off + 2] = scale.view(np.uint8).reshape(n_blocks, 2)
    return raw.reshape(*shape[:-1], cols // block * size)


def tensor_data(qtype, shape):
    if qtype == T.F32:
        return floats(int(np.prod(shape))).reshape(shape), None
    if qtype == T.F16:
        return floats(int(np.prod(shape))).astype(np.float16).reshape(shape), None
    if qtype == T.BF16:
        bits = (floats(int(np.prod(shape))).view(np.uint32) >> 16).astype(np.uint16)
        return bits.view(np.uint8).reshape(*shape[:-1], shape[-1] * 2), T.BF16
    return random_blocks(qtype, shape), qtype


def add_metadata(w):
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -100)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_uint32("test.u32", 4000000000)
    w.add_int32("test.i32", -2000000000)
    w.add_float32("test.f32", 0.1)
    w.add_uint64("test.u64", 18000000000000000000)
    w.add_int64("test.i64", -9000000000000000000)
    w.add_float64("test.f64", 0.1)
    w.add_bool("test.bool", True)
    w.add_string("test.string", "héllo \"gguf\"\n")
    w.add_array("test.strings", ["a", "", "ü", "<0x0A>"])
    w.add_array("test.ints", [1, -2, 3])
    w.add_array("test.floats", [0.5, -1.25])
    w.add_key_value("test.u8s", [1, 2, 255], V.ARRAY, sub_type=V.UINT8)
    w.add_array("test.nested", [[1, 2], [3]])
    w.add_array("test.nested_strings", [["x", "y"], ["z"]])
    w.add_array("test.bools", [True, False])
    w.add_uint32("llama.block_count", 2)
    w.add_float32("llama.rope.freq_base", 10000.0)


METADATA_EXPECTED = {
    "general.architecture": ["string", "llama"],
    "test.u8": ["uint8", 200], "test.i8": ["int8", -100], "test.u16": ["uint16", 60000],
    "test.i16": ["int16", -30000], "test.u32": ["uint32", 4000000000], "test.i32": ["int32", -2000000000],
    "test.f32": ["float32", float(np.float32(0.1))], "test.u64": ["uint64", 18000000000000000000],
    "test.i64": ["int64", -9000000000000000000], "test.f64": ["float64", 0.1], "test.bool": ["bool", True],
    "test.string": ["string", "héllo \"gguf\"\n"], "test.strings": ["strings", ["a", "", "ü", "<0x0A>"]],
    "test.ints": ["ints", [1, -2, 3]], "test.floats": ["floats", [0.5, -1.25]], "test.u8s": ["ints", [1, 2, 255]],
    "test.nested": ["nested_ints", [[1, 2], [3]]], "test.nested_strings": ["nested_strings", [["x", "y"], ["z"]]],
    "test.bools": ["bools", [True, False]], "llama.block_count": ["uint32", 2],
    "llama.rope.freq_base": ["float32", 10000.0],
}


def write_gguf(path, data, alignment=None):
    w = GGUFWriter(path, "llama")
    if alignment:
        w.add_custom_alignment(alignment)
    add_metadata(w)
    for name, (arr, raw_dtype, _qtype, _shape) in data.items():
        w.add_tensor(name, arr, raw_dtype=raw_dtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def gguf_cases():
    out_dir = os.path.join(ROOT, "gguf")
    os.makedirs(out_dir, exist_ok=True)
    data = {}
    for qtype, shape in GGUF_TENSORS:
        arr, raw = tensor_data(qtype, shape)
        data[f"t.{qtype.name.lower()}"] = (arr, raw, qtype, shape)
    v3 = os.path.join(out_dir, "types_v3.gguf")
    v2 = os.path.join(out_dir, "types_v2.gguf")
    write_gguf(v3, data)
    write_gguf(v2, data, alignment=64)
    with open(v2, "r+b") as f:
        f.seek(4)
        assert struct.unpack("<I", f.read(4))[0] == 3
        f.seek(4)
        f.write(struct.pack("<I", 2))
    # Reference values: dequantize what the reader sees in the file we wrote.
    tensors, blob = [], bytearray()
    for path in (v3, v2):
        r = gguf.GGUFReader(path)
        got = []
        for t in r.tensors:
            deq = gguf.quants.dequantize(t.data, t.tensor_type).astype("<f4").reshape(-1)
            got.append((t.name, t.tensor_type.name, [int(x) for x in reversed(t.shape.tolist())], deq))
        if path == v3:
            for name, tname, shape, deq in got:
                tensors.append({"name": name, "type": tname, "shape": shape, "offset": len(blob) // 4,
                                "count": int(deq.size)})
                blob += deq.tobytes()
            first = got
        else:  # same tensors and values in the v2 file
            assert [(a[0], a[1], a[2], a[3].tobytes()) for a in got] == \
                   [(a[0], a[1], a[2], a[3].tobytes()) for a in first]
        assert r.fields["test.nested"].types == [V.ARRAY, V.ARRAY, V.INT32]
    with open(os.path.join(out_dir, "types_expected.bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(out_dir, "types.json"), "w") as f:
        json.dump({"tensors": tensors, "metadata": METADATA_EXPECTED,
                   "alignment": {"types_v3.gguf": 32, "types_v2.gguf": 64}}, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    safetensors_cases()
    gguf_cases()
    print("wrote", ROOT)
