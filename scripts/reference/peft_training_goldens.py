#!/usr/bin/env python3
# PEFT prompt-tuning trajectories for the trainer parity test (Tests/SPTuningTests/Fixtures/
# peft_training_<name>.json): 10 optimizer steps with accumulate_steps 2 (20 micro-batches of 2
# examples) on the tiny gpt2 and llama fixtures, torch AdamW (lr 0.3, weight decay 0.01) and
# transformers' get_linear_schedule_with_warmup(0 warm-up, 10 steps), dropout 0.
#
# Examples are caikit's causal-LM layout built from fixed token ids (no tokenizer is needed):
# input_ids = S + T + [eos], labels = [-100]*len(S) + T + [eos], right-padded to the batch's longest
# row (pad id, mask 0, label -100), i.e. SoftPrompt's dynamic padding. TEXT init is emulated exactly:
# the prompt starts as word_embeddings(init_ids) (what PEFT's TEXT init computes from the tokenized
# init text), so the same ids give the same start on both sides.
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2.
# Run: py=$(scripts/reference/setup_venv.sh); $py scripts/reference/peft_training_goldens.py

import os
import pathlib
import sys

import torch
from peft import PromptTuningConfig, PromptTuningInit, TaskType, get_peft_model
from transformers import AutoModelForCausalLM, get_linear_schedule_with_warmup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import ftensor, f32, write_json  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODELS = ROOT / "Tests/SPModelsTests/Fixtures"
OUT = ROOT / "Tests/SPTuningTests/Fixtures"
NUM_VIRTUAL, STEPS, ACCUM, BATCH, LR = 4, 10, 2, 2, 0.3


def examples(vocab, eos, seed, count=STEPS * ACCUM * BATCH):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(count):
        s = torch.randint(3, vocab, (int(torch.randint(2, 7, (1,), generator=g)),), generator=g).tolist()
        t = torch.randint(3, vocab, (int(torch.randint(1, 3, (1,), generator=g)),), generator=g).tolist()
        out.append({"source": s, "target": t, "input_ids": s + t + [eos],
                    "labels": [-100] * len(s) + t + [eos]})
    return out


def collate(batch, pad):
    n = max(len(e["input_ids"]) for e in batch)
    ids = [e["input_ids"] + [pad] * (n - len(e["input_ids"])) for e in batch]
    mask = [[1] * len(e["input_ids"]) + [0] * (n - len(e["input_ids"])) for e in batch]
    labels = [e["labels"] + [-100] * (n - len(e["labels"])) for e in batch]
    return torch.tensor(ids), torch.tensor(mask), torch.tensor(labels)


def run(name):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(MODELS / name, dtype=torch.float32, attn_implementation="eager")
    cfg = model.config
    eos = cfg.eos_token_id if cfg.eos_token_id is not None else 0
    pad = cfg.pad_token_id if cfg.pad_token_id is not None else eos
    init_ids = [5, 17, 9, 33]
    peft_cfg = PromptTuningConfig(task_type=TaskType.CAUSAL_LM, num_virtual_tokens=NUM_VIRTUAL,
                                  prompt_tuning_init=PromptTuningInit.RANDOM)
    pm = get_peft_model(model, peft_cfg)
    emb = pm.get_input_embeddings()
    with torch.no_grad():
        pm.prompt_encoder["default"].embedding.weight.copy_(emb(torch.tensor(init_ids)))
    init = pm.prompt_encoder["default"].embedding.weight.detach().clone()
    params = [p for p in pm.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=LR)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=0, num_training_steps=STEPS)
    data = examples(cfg.vocab_size, eos, seed=11)
    pm.train()
    losses, lrs = [], []
    for micro in range(STEPS * ACCUM):
        ids, mask, labels = collate(data[micro * BATCH:(micro + 1) * BATCH], pad)
        loss = pm(input_ids=ids, attention_mask=mask, labels=labels).loss
        losses.append(f32(loss.item()))
        (loss / ACCUM).backward()
        if (micro + 1) % ACCUM == 0:
            lrs.append(f32(opt.param_groups[0]["lr"]))
            opt.step()
            sched.step()
            opt.zero_grad()
    final = pm.prompt_encoder["default"].embedding.weight.detach()
    write_json(OUT / f"peft_training_{name}.json", {
        "format": "softprompt-peft-training-v1", "model": name, "versions": {
            "torch": torch.__version__, "transformers": __import__("transformers").__version__,
            "peft": __import__("peft").__version__},
        "num_virtual_tokens": NUM_VIRTUAL, "steps": STEPS, "accumulate_steps": ACCUM, "batch_size": BATCH,
        "learning_rate": LR, "weight_decay": 0.01, "eos_token_id": eos, "pad_token_id": pad,
        "init_ids": init_ids, "examples": [{"input_ids": e["input_ids"], "labels": e["labels"]} for e in data],
        "init_prompt": ftensor(init), "micro_losses": losses, "step_learning_rates": lrs,
        "final_prompt": ftensor(final)})
    print(name, "losses", losses[0], "->", losses[-1])


if __name__ == "__main__":
    for n in ("gpt2", "llama"):
        run(n)
