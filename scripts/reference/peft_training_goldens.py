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
from peft import TaskType
from transformers import AutoModelForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import ftensor, write_json  # noqa: E402
from peft_training_util import prompt_from_ids, right_pad, train  # noqa: E402

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
    ids, mask = right_pad([e["input_ids"] for e in batch], pad)
    labels, _ = right_pad([e["labels"] for e in batch], -100)
    return torch.tensor(ids), torch.tensor(mask), torch.tensor(labels)


def run(name):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(MODELS / name, dtype=torch.float32, attn_implementation="eager")
    cfg = model.config
    eos = cfg.eos_token_id if cfg.eos_token_id is not None else 0
    pad = cfg.pad_token_id if cfg.pad_token_id is not None else eos
    init_ids = [5, 17, 9, 33]
    pm, init = prompt_from_ids(model, TaskType.CAUSAL_LM, NUM_VIRTUAL, init_ids)
    data = examples(cfg.vocab_size, eos, seed=11)
    batches = [collate(data[m * BATCH:(m + 1) * BATCH], pad) for m in range(STEPS * ACCUM)]
    losses, lrs, final = train(pm, batches, STEPS, ACCUM, LR)
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
