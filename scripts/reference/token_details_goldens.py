#!/usr/bin/env python3
"""Golden per-token details (TGIS `input_tokens` / `generated_tokens` with `token_logprobs` and
`token_ranks`) for Sources/SPGeneration, on the 14 tiny model fixtures and their PEFT prompt adapters.

For every fixture (Tests/SPModelsTests/Fixtures/<name>/, with peft_adapter/) and two unpadded inputs:
- input tokens: `PeftModel(input_ids=ids, attention_mask=ones).logits` [1, P+n, V] (P = 3 virtual
  tokens in front); input token j is predicted by position P+j-1, so token 0 is predicted by the last
  virtual token and has a real log-probability. logprob = log_softmax(logits)[id], rank = 1 + the
  number of vocabulary entries with a strictly larger logit.
- generated tokens: `PeftModel.generate(do_sample=False, max_new_tokens=6, use_cache=True,
  output_scores=True, output_logits=True)`; for greedy with no processors the processed scores
  equal the raw logits (asserted), and logprob/rank are taken from them the same way.
- `plain`: the first input through the base model alone (no prompt): token 0 has no context
  (TGIS reports NaN), written as null.
`*_min_gap` is the smallest |logit[id] - logit[other]| over the recorded tokens: how close a rank
came to a tie.

Re-run:  py=$(SOFTPROMPT_REF_VENV=/work/main/.venv-ref scripts/reference/setup_venv.sh)
         $py scripts/reference/token_details_goldens.py
Pinned:  torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2 (float32, eager attention, one thread).
Writes:  Tests/SPGenerationTests/Fixtures/token_details.json
"""
import json
import os
import sys

import torch
import transformers
import peft
from peft import PeftModel
from transformers import AutoModelForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import f32, write_json  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(ROOT, "Tests", "SPModelsTests", "Fixtures")
OUT = os.path.join(ROOT, "Tests", "SPGenerationTests", "Fixtures", "token_details.json")
MAX_NEW = 6
LONG = 9  # tokens of the second input


def load(path):
    """A fresh copy each time: dynamic NTK RoPE keeps state between calls."""
    return AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation="eager").eval()


def details(rows, ids):
    """logprobs, ranks and the smallest logit gap of `ids[k]` under the logits `rows[k]` [K, V]."""
    lp = torch.log_softmax(rows, dim=-1)
    logprobs, ranks, gap = [], [], float("inf")
    for k, t in enumerate(ids):
        row = rows[k]
        logprobs.append(f32(lp[k, t].item()))
        ranks.append(int((row > row[t]).sum().item()) + 1)
        others = torch.cat([row[:t], row[t + 1:]])
        gap = min(gap, (others - row[t]).abs().min().item())
    return logprobs, ranks, gap


def case(path, adapter, ids, eos):
    n = ids.shape[1]
    with torch.no_grad():
        pm = PeftModel.from_pretrained(load(path), adapter)
        p = pm.peft_config["default"].num_virtual_tokens
        logits = pm(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0]  # [P+n, V]
        assert logits.shape[0] == p + n
        in_lp, in_rk, in_gap = details(logits[p - 1:p + n - 1], ids[0].tolist())
        pm = PeftModel.from_pretrained(load(path), adapter)
        out = pm.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                          max_new_tokens=MAX_NEW, use_cache=True, eos_token_id=eos, return_dict_in_generate=True,
                          output_scores=True, output_logits=True)
    new = out.sequences[0, n:].tolist()
    scores = torch.stack([s[0] for s in out.scores])
    raw = torch.stack([s[0] for s in out.logits])
    assert torch.equal(scores, raw), "greedy scores differ from the raw logits"
    new_lp, new_rk, new_gap = details(raw, new)
    return {"input_ids": ids[0].tolist(), "input_logprobs": in_lp, "input_ranks": in_rk, "input_min_gap": f32(in_gap),
            "new_ids": new, "new_logprobs": new_lp, "new_ranks": new_rk, "new_min_gap": f32(new_gap)}


def plain(path, ids):
    with torch.no_grad():
        logits = load(path)(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0]
    lp, rk, gap = details(logits[:-1], ids[0, 1:].tolist())
    return {"input_ids": ids[0].tolist(), "input_logprobs": [None] + lp, "input_ranks": [None] + rk,
            "input_min_gap": f32(gap)}


def main():
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    assert transformers.__version__ == "5.23.0" and peft.__version__ == "0.21.2", "pin the reference stack"
    with open(os.path.join(MODELS, "index.json")) as f:
        names = [m["name"] for m in json.load(f)["models"]]
    models = []
    worst = float("inf")
    for i, name in enumerate(names):
        path = os.path.join(MODELS, name)
        adapter = os.path.join(path, "peft_adapter")
        with open(os.path.join(path, "golden.json")) as f:
            golden = json.load(f)
        gen = torch.Generator().manual_seed(4000 + i)
        short = torch.tensor([golden["generation"]["input_ids"]["data"]], dtype=torch.long)
        long = torch.randint(4, golden["vocab_size"] - 2, (1, LONG), generator=gen)
        eos = golden["generation"]["eos_token_id"]
        cases = [case(path, adapter, ids, eos) for ids in (short, long)]
        entry = {"name": name, "eos_token_id": eos, "cases": cases, "plain": plain(path, short)}
        models.append(entry)
        gaps = [c["input_min_gap"] for c in cases] + [c["new_min_gap"] for c in cases]
        worst = min(worst, *gaps)
        print(f"{name:22s} new {[c['new_ids'] for c in cases]}  min gap {min(gaps):.3g}")
    write_json(OUT, {
        "format": "softprompt-token-details-golden-v1",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "num_virtual_tokens": 3, "max_new_tokens": MAX_NEW, "models": models,
    })
    print(f"wrote {OUT} (smallest logit gap {worst:.3g})")


if __name__ == "__main__":
    main()
