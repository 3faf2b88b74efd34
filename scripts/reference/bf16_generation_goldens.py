#!/usr/bin/env python3
# Greedy generation goldens of a causal LM run as a bf16 model (Tests/SPModelsTests/Fixtures/
# bf16_generation.json): the tiny gpt2 and llama fixtures loaded with torch_dtype=torch.bfloat16
# (caikit's torch_dtype), eager attention, KV cache, batch 1. Per model: the prompt ids, the greedy
# new ids, the raw logits of the first LOGIT_STEPS steps (bf16 values, written as float32) and the
# smallest top-1/top-2 logit gap over the steps (how close greedy came to a tie).
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0.
# Run: py=$(SOFTPROMPT_REF_VENV=/root/venv-ref scripts/reference/setup_venv.sh)
#      $py scripts/reference/bf16_generation_goldens.py
# Re-running reproduces the file bit for bit (one thread, no sampling).

import os
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import f32, f32_values, write_json  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "SPModelsTests", "Fixtures")
MODELS = ["gpt2", "llama"]
PROMPT = [5, 17, 42, 7, 3, 11, 250, 64]   # < every fixture's vocab (347); no step ties in bf16
MAX_NEW, LOGIT_STEPS = 12, 3


@torch.no_grad()
def run(name):
    model = AutoModelForCausalLM.from_pretrained(os.path.join(FIXTURES, name), dtype=torch.bfloat16,
                                                 attn_implementation="eager").eval()
    assert all(p.dtype == torch.bfloat16 for p in model.parameters()), "every weight in bf16"
    ids = torch.tensor([PROMPT])
    out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=MAX_NEW,
                         min_new_tokens=MAX_NEW, use_cache=True, return_dict_in_generate=True, output_logits=True)
    logits = [l[0] for l in out.logits]
    assert all(torch.equal(l, l.to(torch.bfloat16).float()) for l in logits), "bf16 logits"
    gaps = [float(l.topk(2).values[0] - l.topk(2).values[1]) for l in logits]
    return {"name": name, "new_ids": [int(v) for v in out.sequences[0, len(PROMPT):].tolist()],
            "logits": [f32_values(l) for l in logits[:LOGIT_STEPS]], "min_top2_gap": f32(min(gaps))}


def main():
    torch.set_num_threads(1)
    assert torch.__version__.startswith("2.13.0") and transformers.__version__ == "5.23.0", "pinned versions"
    obj = {"format": "softprompt-bf16-generation-v1", "versions": {"torch": torch.__version__,
                                                                   "transformers": transformers.__version__},
           "torch_dtype": "bfloat16", "attn_implementation": "eager", "input_ids": PROMPT, "max_new_tokens": MAX_NEW,
           "models": [run(n) for n in MODELS]}
    write_json(os.path.join(FIXTURES, "bf16_generation.json"), obj)
    for m in obj["models"]:
        print(m["name"], m["new_ids"], "min gap", m["min_top2_gap"])


if __name__ == "__main__":
    main()
