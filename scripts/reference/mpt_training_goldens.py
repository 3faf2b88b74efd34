#!/usr/bin/env python3
# PEFT multitask prompt-tuning trajectories for Tests/SPTuningTests/Fixtures/mpt_training_<name>.json:
# MULTITASK_PROMPT_TUNING with num_tasks K = 3 and num_ranks r = 2, 10 optimizer steps with
# accumulate_steps 2 (20 micro-batches of 3 examples whose tasks are drawn at random, so most batches
# mix tasks) on the tiny gpt2 and llama fixtures, torch AdamW (lr 0.03, weight decay 0.01) over P, U
# and V, get_linear_schedule_with_warmup(0 warm-up, 10 steps), dropout 0. At lr 0.3 (the plain
# prompt-tuning goldens' rate) Adam moves U and V (init scale 0.02) by ~15× their size per step and
# the cubic P ∘ (U·V) amplifies float32 rounding: SoftPrompt's micro losses then drift to 1.9e-4
# relative by step 8 and the final tensors to ~1e-3; torch's own float32 run is as far from a float64
# one (scripts/reference/mpt_lr_drift.py, docs/MULTITASK.md).
#
# Examples are peft_training_goldens.py's (caikit's causal-LM layout from fixed token ids, right-padded
# to the batch's longest row), each with a task drawn from a second seeded generator. TEXT init is emulated exactly: P starts as
# word_embeddings(init_ids); U and V keep PEFT's N(0, 0.02) init (torch.manual_seed(0)) and are
# dumped, so both sides start from the same values.
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2.
# Run: SOFTPROMPT_REF_VENV=/root/venv-ref /root/venv-ref/bin/python scripts/reference/mpt_training_goldens.py

import os
import pathlib
import sys

import torch
from peft import MultitaskPromptTuningConfig, MultitaskPromptTuningInit, TaskType, get_peft_model
from transformers import AutoModelForCausalLM, get_linear_schedule_with_warmup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import ftensor, f32, write_json  # noqa: E402
from peft_training_goldens import collate, examples  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODELS = ROOT / "Tests/SPModelsTests/Fixtures"
OUT = ROOT / "Tests/SPTuningTests/Fixtures"
NUM_VIRTUAL, STEPS, ACCUM, BATCH, LR, TASKS, RANKS = 4, 10, 2, 3, 0.03, 3, 2


def tasked_examples(vocab, eos):
    """peft_training_goldens' examples, each given a task drawn from its own seeded generator."""
    data = examples(vocab, eos, seed=11, count=STEPS * ACCUM * BATCH)
    g = torch.Generator().manual_seed(12)
    return [{"input_ids": e["input_ids"], "labels": e["labels"], "task_id": int(torch.randint(0, TASKS, (1,), generator=g))}
            for e in data]


def run(name):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(MODELS / name, dtype=torch.float32, attn_implementation="eager")
    cfg = model.config
    eos = cfg.eos_token_id if cfg.eos_token_id is not None else 0
    pad = cfg.pad_token_id if cfg.pad_token_id is not None else eos
    init_ids = [5, 17, 9, 33]
    peft_cfg = MultitaskPromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=NUM_VIRTUAL,
                                           num_tasks=TASKS, num_ranks=RANKS,
                                           prompt_tuning_init=MultitaskPromptTuningInit.RANDOM)
    pm = get_peft_model(model, peft_cfg)
    enc = pm.prompt_encoder["default"]
    emb = pm.get_input_embeddings()
    with torch.no_grad():
        enc.embedding.weight.copy_(emb(torch.tensor(init_ids)))
    init = {k: v.detach().clone() for k, v in (("prompt_embeddings", enc.embedding.weight),
                                                ("prefix_task_cols", enc.prefix_task_cols),
                                                ("prefix_task_rows", enc.prefix_task_rows))}
    params = [p for p in pm.parameters() if p.requires_grad]
    assert len(params) == 3, [p.shape for p in params]
    opt = torch.optim.AdamW(params, lr=LR)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=0, num_training_steps=STEPS)
    data = tasked_examples(cfg.vocab_size, eos)
    pm.train()
    losses = []
    for micro in range(STEPS * ACCUM):
        batch = data[micro * BATCH:(micro + 1) * BATCH]
        ids, mask, labels = collate(batch, pad)
        tasks = torch.tensor([e["task_id"] for e in batch])
        loss = pm(input_ids=ids, attention_mask=mask, labels=labels, task_ids=tasks).loss
        losses.append(f32(loss.item()))
        (loss / ACCUM).backward()
        if (micro + 1) % ACCUM == 0:
            opt.step()
            sched.step()
            opt.zero_grad()
    final = {"prompt_embeddings": enc.embedding.weight, "prefix_task_cols": enc.prefix_task_cols,
             "prefix_task_rows": enc.prefix_task_rows}
    write_json(OUT / f"mpt_training_{name}.json", {
        "format": "softprompt-mpt-training-v1", "model": name, "versions": {
            "torch": torch.__version__, "transformers": __import__("transformers").__version__,
            "peft": __import__("peft").__version__},
        "num_virtual_tokens": NUM_VIRTUAL, "num_tasks": TASKS, "num_ranks": RANKS, "steps": STEPS,
        "accumulate_steps": ACCUM, "batch_size": BATCH, "learning_rate": LR, "weight_decay": 0.01,
        "eos_token_id": eos, "pad_token_id": pad, "init_ids": init_ids,
        "examples": data, "init": {k: ftensor(v) for k, v in init.items()}, "micro_losses": losses,
        "final": {k: ftensor(v.detach()) for k, v in final.items()}})
    mixed = sum(len({e["task_id"] for e in data[i * BATCH:(i + 1) * BATCH]}) > 1 for i in range(STEPS * ACCUM))
    print(name, "losses", losses[0], "->", losses[-1], f"({mixed} of {STEPS * ACCUM} batches mix tasks)")


if __name__ == "__main__":
    for n in ("gpt2", "llama"):
        run(n)
