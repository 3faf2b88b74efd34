"""Golden outputs of transformers' logits processors on fixed logits, for Sources/SPGeneration
(LogitsProcessors.swift).

Each case applies one processor (or the list `generate` builds, in its order) to seeded float32
scores [B, V] and records the result. Filtered entries are -inf: they are listed in `neg_inf`
(flat indices) and written as 0 in `data`, since JSON has no infinity.

Re-run:  py=$(SOFTPROMPT_REF_VENV=/work/main/.venv-ref scripts/reference/setup_venv.sh)
         $py scripts/reference/logits_processors_goldens.py
Pinned:  torch 2.13.0+cpu, transformers 5.23.0 (see setup_venv.sh).
Writes:  Tests/SPGenerationTests/Fixtures/logits_processors.json
"""
import math
import os
import sys

import torch
import transformers
from transformers.generation.logits_process import (
    ExponentialDecayLengthPenalty,
    LogitsProcessorList,
    MinNewTokensLengthLogitsProcessor,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
    TypicalLogitsWarper,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import f32_values, write_json  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "SPGenerationTests", "Fixtures", "logits_processors.json")
V = 64


def scores_tensor(t):
    """`{"shape", "data", "neg_inf"}` with -inf entries listed by flat index (written as 0)."""
    flat = t.detach().to(torch.float32).reshape(-1)
    neg = [i for i, v in enumerate(flat.tolist()) if v == -math.inf]
    if any(math.isnan(v) or v == math.inf for v in flat.tolist()):
        raise ValueError("NaN or +inf in processed scores")
    clean = flat.clone()
    clean[clean == -math.inf] = 0
    return {"shape": list(t.shape), "data": f32_values(clean), "neg_inf": neg}


def main():
    torch.manual_seed(7)
    g = torch.Generator().manual_seed(7)
    # Row 0 peaked, row 1 flat, row 2 moderate with a negative block, row 3 very peaked.
    base = torch.randn(4, V, generator=g)
    scores = torch.stack([base[0] * 3.0, base[1] * 0.3, base[2] * 1.5 - 0.5, base[3] * 6.0]).to(torch.float32)
    # input_ids: [B, T] with repeats; the last 3 columns are "generated".
    input_ids = torch.randint(0, V, (4, 9), generator=g)
    input_ids[:, 4] = input_ids[:, 1]  # a repeated id in every row
    prompt_len = 6
    eos = [3, 11]
    cases = []

    def add(name, params, procs):
        out = scores.clone()
        for p in procs:
            out = p(input_ids, out)
        cases.append({"name": name, "params": params, "output": scores_tensor(out)})

    for pen in (1.3, 0.7):
        add(f"repetition_penalty_{pen}", {"repetition_penalty": pen}, [RepetitionPenaltyLogitsProcessor(pen)])
    for m in (2, 5):  # 3 generated: 2 → no change, 5 → EOS suppressed
        add(f"min_new_tokens_{m}", {"min_new_tokens": m, "eos": eos, "generated": 9 - prompt_len},
            [MinNewTokensLengthLogitsProcessor(prompt_len, m, eos)])
    for start, factor in ((1, 1.5), (0, 0.8), (3, 2.0)):
        add(f"exponential_decay_{start}_{factor}",
            {"start_index": start, "decay_factor": factor, "eos": eos, "generated": 9 - prompt_len},
            [ExponentialDecayLengthPenalty((start, factor), eos, prompt_len)])
    for t in (0.7, 1.6):
        add(f"temperature_{t}", {"temperature": t}, [TemperatureLogitsWarper(t)])
    for k in (1, 5, 63, 100):
        add(f"top_k_{k}", {"top_k": k}, [TopKLogitsWarper(k)])
    for p in (0.1, 0.5, 0.9, 0.99):
        add(f"top_p_{p}", {"top_p": p}, [TopPLogitsWarper(p)])
    for p in (0.2, 0.5, 0.9, 0.95):
        add(f"typical_p_{p}", {"typical_p": p}, [TypicalLogitsWarper(p)])
    # The list generate() builds for these settings, in its order.
    combo = {"repetition_penalty": 1.2, "min_new_tokens": 5, "start_index": 1, "decay_factor": 1.5,
             "temperature": 0.8, "top_k": 20, "top_p": 0.9, "typical_p": 0.95, "eos": eos,
             "generated": 9 - prompt_len}
    add("generate_sampling_pipeline", combo, LogitsProcessorList([
        RepetitionPenaltyLogitsProcessor(1.2),
        MinNewTokensLengthLogitsProcessor(prompt_len, 5, eos),
        ExponentialDecayLengthPenalty((1, 1.5), eos, prompt_len),
        TemperatureLogitsWarper(0.8),
        TopKLogitsWarper(20),
        TopPLogitsWarper(0.9),
        TypicalLogitsWarper(0.95),
    ]))
    write_json(OUT, {
        "format": "softprompt-logits-processors-v1",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__},
        "vocab": V,
        "scores": scores_tensor(scores),
        "input_ids": {"shape": list(input_ids.shape), "data": input_ids.reshape(-1).tolist()},
        "prompt_length": prompt_len,
        "cases": cases,
    })
    print(f"wrote {OUT}: {len(cases)} cases")


if __name__ == "__main__":
    main()
