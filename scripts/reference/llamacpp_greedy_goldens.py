#!/usr/bin/env python3
"""llama.cpp's own greedy answer on the SmolLM2-135M Q4_1 GGUF, for the `--activations q8` parity test.

Runs llama_greedy_ref (scripts/reference/llama_greedy.cpp, built by build_llama_bench.sh against the
llama-cpp-python==0.3.36 sdist's llama.cpp, GGML_NATIVE) on the chat prompt ids of
Tests/SPModelsTests/Fixtures/smollm2/reference.json (the same ids our engine gets) and writes
Tests/SPModelsTests/Fixtures/smollm2/llamacpp_greedy.json. Standard library only.
Usage: scripts/reference/llamacpp_greedy_goldens.py [--threads N] [--new-tokens N]
"""
import argparse, json, os, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
cache = os.environ.get("SOFTPROMPT_CACHE", os.path.expanduser("~/.cache/softprompt"))
ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--new-tokens", type=int, default=32)
args = ap.parse_args()

tool = os.path.join(cache, "llama.cpp-build/build-bench/bin/llama_greedy_ref")
gguf = os.path.join(cache, "SmolLM2-135M-Instruct.Q4_1.gguf")
for p, how in [(tool, "scripts/reference/build_llama_bench.sh"), (gguf, "scripts/fetch_smollm2.sh")]:
    if not os.path.exists(p):
        sys.exit(f"{p} missing: run {how}")
fixtures = os.path.join(root, "Tests/SPModelsTests/Fixtures/smollm2")
ref = json.load(open(os.path.join(fixtures, "reference.json")))
prompt = ref["greedy"]["chat"]["prompt_ids"]
def run(kv):
    out = subprocess.run([tool, gguf, str(args.new_tokens), str(args.threads), kv], input=" ".join(map(str, prompt)),
                         capture_output=True, text=True, check=True).stdout
    return [int(t) for t in out.split()]

new_ids = run("f16kv")
new_ids_f32kv = run("f32kv")
doc = {
    "format": "llama.cpp greedy ids on the SmolLM2 Q4_1 GGUF (its Q8 activations, integer block dots, F16 KV cache)",
    "llama_cpp": "llama-cpp-python==0.3.36 sdist vendor/llama.cpp, GGML_NATIVE, via scripts/reference/llama_greedy.cpp",
    "gguf_sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    "threads": args.threads,
    "prompt_ids": prompt,
    "new_ids": new_ids,
    "new_ids_f32kv": new_ids_f32kv,
    "f32kv": "llama.cpp with an F32 KV cache and flash attention off (attention in float32)",
}
path = os.path.join(fixtures, "llamacpp_greedy.json")
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
os.replace(tmp, path)
print(f"{path}: {len(new_ids)} new ids {new_ids}; F32 KV {new_ids_f32kv}")
