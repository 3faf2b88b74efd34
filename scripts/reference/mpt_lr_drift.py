#!/usr/bin/env python3
# Why SoftPrompt's multitask trajectory drifts from PEFT's at lr 0.3 (~1e-3) but not at lr 0.03:
# mpt_training_goldens.py's run (tiny gpt2, K 3, r 2, 10 AdamW steps of 2 micro-batches) replayed
# three times from the same P, U, V and batches: torch float32 at lr 0.03 and 0.3, and torch
# float64 at both (the model, the prompt encoder and AdamW in double). The float64 run is the
# reference "exact" trajectory: if torch's own float32 run is as far from it as SoftPrompt's, the
# drift is float32 rounding amplified by the problem, not an error on either side.
#
# Writes Tests/SPTuningTests/Fixtures/mpt_lr03_gpt2.json (the float32 fixture at lr 0.3 in
# mpt_training_gpt2.json's format, plus "micro_losses_float64" / "final_float64" from the float64 run
# at lr 0.3) and prints the float32-vs-float64 distances for both rates.
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2.
# Run: SOFTPROMPT_REF_VENV=/root/venv-ref /root/venv-ref/bin/python scripts/reference/mpt_lr_drift.py

import os
import sys

import torch
from peft import MultitaskPromptTuningConfig, MultitaskPromptTuningInit, TaskType, get_peft_model
from transformers import AutoModelForCausalLM, get_linear_schedule_with_warmup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import ftensor, f32, write_json  # noqa: E402
from mpt_training_goldens import ACCUM, BATCH, MODELS, NUM_VIRTUAL, OUT, RANKS, STEPS, TASKS, tasked_examples  # noqa: E402
from peft_training_goldens import collate  # noqa: E402

NAMES = ("prompt_embeddings", "prefix_task_cols", "prefix_task_rows")


def trajectory(name, lr, dtype, init=None):
    """PEFT's loop at `lr` in `dtype`; `init` (float32 P, U, V) overrides the seeded init."""
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(MODELS / name, dtype=torch.float32, attn_implementation="eager")
    cfg = model.config
    eos = cfg.eos_token_id if cfg.eos_token_id is not None else 0
    pad = cfg.pad_token_id if cfg.pad_token_id is not None else eos
    init_ids = [5, 17, 9, 33]
    pm = get_peft_model(model, MultitaskPromptTuningConfig(
        task_type=TaskType.CAUSAL_LM, num_virtual_tokens=NUM_VIRTUAL, num_tasks=TASKS, num_ranks=RANKS,
        prompt_tuning_init=MultitaskPromptTuningInit.RANDOM))
    enc = pm.prompt_encoder["default"]
    with torch.no_grad():
        enc.embedding.weight.copy_(pm.get_input_embeddings()(torch.tensor(init_ids)))
    if init is None:
        init = {k: v.detach().clone() for k, v in zip(NAMES, (enc.embedding.weight, enc.prefix_task_cols, enc.prefix_task_rows))}
    pm = pm.to(dtype)
    enc = pm.prompt_encoder["default"]
    with torch.no_grad():
        for k, p in zip(NAMES, (enc.embedding.weight, enc.prefix_task_cols, enc.prefix_task_rows)):
            p.copy_(init[k].to(dtype))
    params = [p for p in pm.parameters() if p.requires_grad]
    assert len(params) == 3 and all(p.dtype == dtype for p in params)
    opt = torch.optim.AdamW(params, lr=lr)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=0, num_training_steps=STEPS)
    data = tasked_examples(cfg.vocab_size, eos)
    pm.train()
    losses = []
    for micro in range(STEPS * ACCUM):
        batch = data[micro * BATCH:(micro + 1) * BATCH]
        ids, mask, labels = collate(batch, pad)
        tasks = torch.tensor([e["task_id"] for e in batch])
        loss = pm(input_ids=ids, attention_mask=mask, labels=labels, task_ids=tasks).loss
        losses.append(loss.item())
        (loss / ACCUM).backward()
        if (micro + 1) % ACCUM == 0:
            opt.step()
            sched.step()
            opt.zero_grad()
    final = {k: v.detach().clone() for k, v in zip(NAMES, (enc.embedding.weight, enc.prefix_task_cols, enc.prefix_task_rows))}
    return dict(init=init, losses=losses, final=final, data=data, eos=eos, pad=pad, init_ids=init_ids)


def rel(a, b):
    """max |a - b| / max |b| (the tests' relative measure)."""
    a, b = a.double().flatten(), b.double().flatten()
    return float((a - b).abs().max() / b.abs().max())


if __name__ == "__main__":
    name = "gpt2"
    for lr in (0.03, 0.3):
        r32 = trajectory(name, lr, torch.float32)
        r64 = trajectory(name, lr, torch.float64, init=r32["init"])
        loss_rel = max(abs(a - b) / abs(b) for a, b in zip(r32["losses"], r64["losses"]))
        print(f"lr {lr}: torch float32 vs float64: micro losses {loss_rel:.2e}, "
              + ", ".join(f"{k} {rel(r32['final'][k], r64['final'][k]):.2e}" for k in NAMES))
        if lr == 0.3:
            write_json(OUT / f"mpt_lr03_{name}.json", {
                "format": "softprompt-mpt-training-v1", "model": name, "versions": {
                    "torch": torch.__version__, "transformers": __import__("transformers").__version__,
                    "peft": __import__("peft").__version__},
                "num_virtual_tokens": NUM_VIRTUAL, "num_tasks": TASKS, "num_ranks": RANKS, "steps": STEPS,
                "accumulate_steps": ACCUM, "batch_size": BATCH, "learning_rate": lr, "weight_decay": 0.01,
                "eos_token_id": r32["eos"], "pad_token_id": r32["pad"], "init_ids": r32["init_ids"],
                "examples": r32["data"], "init": {k: ftensor(v) for k, v in r32["init"].items()},
                "micro_losses": [f32(x) for x in r32["losses"]],
                "final": {k: ftensor(v) for k, v in r32["final"].items()},
                "micro_losses_float64": r64["losses"],
                "final_float64": {k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in r64["final"].items()}})
