"""Goldens for Sources/SPJSON/PythonJSON.swift and Sources/SPPrompt/TrainingLog.swift: what CPython's
json.dumps writes (float repr, ensure_ascii escapes, separators, indent=2/sort_keys) and the exact
training_logs.jsonl line caikit writes (`json.dump({"name": "loss", "data": {...}}, f)`).

Floats travel as their IEEE-754 bit patterns so no parser sits between Python and the test.

Re-run:  python3 scripts/reference/python_json_goldens.py       (standard library only)
Writes:  Tests/SPTuningTests/Fixtures/python_json.json
"""
import json
import pathlib
import random
import struct

random.seed(5)


def bits(x):
    return str(struct.unpack("<Q", struct.pack("<d", x))[0])


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


floats = [0.1, 1 / 3, 1e16, 1e15, 123456789012345678.0, 9999999999999998.0, 1e-4, 1e-5, 1.5e-5, 0.00012345,
          2.345678949356079, 5e-324, 1.7976931348623157e308, -0.0, 0.0, 1.0, -2.5, 100.0, 1e22, 1.25e-7]
# float32 losses widened to float64, as loss.detach().float().item() gives them
floats += [f32(random.uniform(0, 12)) for _ in range(100)]
floats += [f32(10 ** random.uniform(-9, 9)) for _ in range(100)]
floats += [float("nan"), float("inf"), float("-inf")]
strings = ["plain", "quote \" backslash \\ slash /", "tab\tnewline\ncr\rbs\bff\f", "ctl \x01\x1f del \x7f",
           "é ü ñ", "emoji 🙂 astral 𝄞", "{{input}} Label : ", ""]
structure = {"b": [1, 2.5, None, True, False, "x"], "a": {"z": [], "y": {}}, "name": "é"}
log = {"name": "loss", "data": {"epoch": 3, "step": 41, "value": f32(1.2345678),
                                "timestamp": "2025-02-18T09:41:07.123456"}}
path = pathlib.Path(__file__).resolve().parents[2] / "Tests/SPTuningTests/Fixtures/python_json.json"
path.write_text(json.dumps({
    "floats": [{"bits": bits(x), "repr": json.dumps(x)} for x in floats],
    "strings": [{"utf8": list(s.encode("utf-8")), "dumps": json.dumps(s)} for s in strings],
    "structure_compact": json.dumps(structure),
    "structure_indent2_sorted": json.dumps(structure, indent=2, sort_keys=True),
    "log_line": json.dumps(log),
    "log_value_bits": bits(log["data"]["value"]),
}))
print(f"wrote {path}")
