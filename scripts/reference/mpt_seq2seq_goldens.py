#!/usr/bin/env python3
# PEFT multitask prompt-tuning trajectory on a seq2seq model, for
# Tests/SPTuningTests/Fixtures/mpt_training_seq2seq_t5.json: MULTITASK_PROMPT_TUNING SEQ_2_SEQ_LM
# with num_transformer_submodules 1 (caikit's ENCODER: the task's prompt P ∘ (U·V) in front of the
# encoder input only), num_tasks K = 3, num_ranks r = 2, 10 AdamW steps with accumulate_steps 2
# (20 micro-batches of 3 examples whose tasks are drawn at random, so most batches mix tasks) on
# the tiny t5 fixture, lr 0.003, weight decay 0.01, get_linear_schedule_with_warmup(0 warm-up,
# 10 steps), dropout 0. The rate is 10× lower than the causal goldens' because T5's ReLU trajectory
# times the cubic P ∘ (U·V) amplifies float32 rounding: torch's own float32 and float64 runs of this
# script differ at lr 0.03 by 1.9e-2 in a micro-batch loss and 2.4e-2 / 1.0e-1 / 1.3e-1 (P / U / V,
# relative to the largest value) at the end, so no float32 implementation can be held to 1e-4 there;
# at lr 0.01: 9.4e-6 and 1.3e-5 / 1.7e-4 / 2.3e-4; at lr 0.003: 1.7e-7 and 3.8e-7 / 9.4e-6 / 6.2e-6.
#
# Examples are seq2seq_training_goldens.py's layout (input_ids = S + [eos], labels = T + [eos],
# right-padded per micro-batch: source with pad and mask 0, labels with -100). TEXT init is emulated:
# P starts as word_embeddings(init_ids); U and V keep PEFT's N(0, 0.02) init (torch.manual_seed(0))
# and are dumped, so both sides start from the same values.
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2.
# Run: SOFTPROMPT_REF_VENV=/root/venv-ref /root/venv-ref/bin/python scripts/reference/mpt_seq2seq_goldens.py

import os
import sys

import torch
import transformers
from peft import MultitaskPromptTuningConfig, MultitaskPromptTuningInit, TaskType, get_peft_model
from transformers import AutoModelForSeq2SeqLM, get_linear_schedule_with_warmup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import ftensor, f32, write_json  # noqa: E402
from seq2seq_training_goldens import MODELS, OUT, collate  # noqa: E402

NUM_VIRTUAL, STEPS, ACCUM, BATCH, LR, TASKS, RANKS = 4, 10, 2, 3, 0.003, 3, 2
NAMES = ("prompt_embeddings", "prefix_task_cols", "prefix_task_rows")


def examples(vocab, eos, seed):
    """seq2seq_training_goldens' example shapes, each with a task from a second seeded generator."""
    g, gt = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed + 1)
    out = []
    for _ in range(STEPS * ACCUM * BATCH):
        s = torch.randint(3, vocab, (int(torch.randint(2, 7, (1,), generator=g)),), generator=g).tolist()
        t = torch.randint(3, vocab, (int(torch.randint(1, 4, (1,), generator=g)),), generator=g).tolist()
        out.append({"input_ids": s + [eos], "labels": t + [eos], "task_id": int(torch.randint(0, TASKS, (1,), generator=gt))})
    return out


def run(name):
    torch.manual_seed(0)
    model = AutoModelForSeq2SeqLM.from_pretrained(MODELS / name, dtype=torch.float32, attn_implementation="eager")
    cfg = model.config
    init_ids = [5, 17, 9, 33]
    pm = get_peft_model(model, MultitaskPromptTuningConfig(
        task_type=TaskType.SEQ_2_SEQ_LM, num_virtual_tokens=NUM_VIRTUAL, num_transformer_submodules=1,
        num_tasks=TASKS, num_ranks=RANKS, prompt_tuning_init=MultitaskPromptTuningInit.RANDOM))
    enc = pm.prompt_encoder["default"]
    with torch.no_grad():
        enc.embedding.weight.copy_(pm.get_input_embeddings()(torch.tensor(init_ids)))
    tensors = (enc.embedding.weight, enc.prefix_task_cols, enc.prefix_task_rows)
    init = {k: v.detach().clone() for k, v in zip(NAMES, tensors)}
    params = [p for p in pm.parameters() if p.requires_grad]
    assert len(params) == 3, [p.shape for p in params]
    opt = torch.optim.AdamW(params, lr=LR)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=0, num_training_steps=STEPS)
    data = examples(cfg.vocab_size, cfg.eos_token_id, seed=17)
    pm.train()
    losses = []
    for micro in range(STEPS * ACCUM):
        batch = data[micro * BATCH:(micro + 1) * BATCH]
        ids, mask, labels = collate(batch, cfg.pad_token_id)
        tasks = torch.tensor([e["task_id"] for e in batch])
        loss = pm(input_ids=ids, attention_mask=mask, labels=labels, task_ids=tasks).loss
        losses.append(f32(loss.item()))
        (loss / ACCUM).backward()
        if (micro + 1) % ACCUM == 0:
            opt.step()
            sched.step()
            opt.zero_grad()
    write_json(OUT / f"mpt_training_seq2seq_{name}.json", {
        "format": "softprompt-mpt-training-v1", "model": name, "versions": {
            "torch": torch.__version__, "transformers": transformers.__version__, "peft": __import__("peft").__version__},
        "num_virtual_tokens": NUM_VIRTUAL, "num_tasks": TASKS, "num_ranks": RANKS, "steps": STEPS,
        "accumulate_steps": ACCUM, "batch_size": BATCH, "learning_rate": LR, "weight_decay": 0.01,
        "eos_token_id": cfg.eos_token_id, "pad_token_id": cfg.pad_token_id, "init_ids": init_ids,
        "examples": data, "init": {k: ftensor(v) for k, v in init.items()}, "micro_losses": losses,
        "final": {k: ftensor(v.detach()) for k, v in zip(NAMES, tensors)}})
    mixed = sum(len({e["task_id"] for e in data[i * BATCH:(i + 1) * BATCH]}) > 1 for i in range(STEPS * ACCUM))
    print(name, "losses", losses[0], "->", losses[-1], f"({mixed} of {STEPS * ACCUM} batches mix tasks)")


if __name__ == "__main__":
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    run("t5")
