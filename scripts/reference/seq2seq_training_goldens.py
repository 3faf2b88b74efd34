#!/usr/bin/env python3
# PEFT seq2seq prompt-tuning trajectories for Tests/SPTuningTests/Fixtures/peft_training_seq2seq_<name>.json:
# 10 optimizer steps with accumulate_steps 2 (20 micro-batches of 2 examples) on the tiny t5 and bart
# fixtures of Tests/SPModelsTests/Fixtures/seq2seq (scripts/reference/seq2seq_goldens.py), PEFT
# PROMPT_TUNING SEQ_2_SEQ_LM with num_transformer_submodules 1 (caikit's ENCODER), torch AdamW
# (weight decay 0.01), get_linear_schedule_with_warmup(0 warm-up, 10 steps), dropout 0.
# Learning rate 0.3 for bart; 0.03 for t5, whose ReLU trajectory at higher rates amplifies float32
# rounding: PyTorch's own float32 and float64 runs differ by 4e-4 relative in a micro-batch loss at
# lr 0.3, and by 1.4e-4 in the final prompt at lr 0.05, so no float32 implementation could be checked
# at 1e-4 there; at 0.03 they agree to 1.6e-6 (losses) and 9.5e-6 (final prompt).
#
# Examples are caikit's seq2seq layout from fixed token ids: input_ids = S + [eos], labels = T + [eos],
# each right-padded to the micro-batch's longest (source: pad id, mask 0; labels: -100), i.e. dynamic
# padding. The prompt starts as word_embeddings(init_ids) (TEXT init; BART: scaled embeddings).
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2.
# Run: SOFTPROMPT_REF_VENV=/root/venv-ref /root/venv-ref/bin/python scripts/reference/seq2seq_training_goldens.py

import os
import pathlib
import sys

import torch
import transformers
from peft import TaskType
from transformers import AutoModelForSeq2SeqLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import ftensor, write_json  # noqa: E402
from peft_training_util import prompt_from_ids, right_pad, train  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODELS = ROOT / "Tests/SPModelsTests/Fixtures/seq2seq"
OUT = ROOT / "Tests/SPTuningTests/Fixtures"
NUM_VIRTUAL, STEPS, ACCUM, BATCH = 4, 10, 2, 2
LR = {"t5": 0.03, "bart": 0.3}


def examples(vocab, eos, seed):
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(STEPS * ACCUM * BATCH):
        s = torch.randint(3, vocab, (int(torch.randint(2, 7, (1,), generator=g)),), generator=g).tolist()
        t = torch.randint(3, vocab, (int(torch.randint(1, 4, (1,), generator=g)),), generator=g).tolist()
        out.append({"input_ids": s + [eos], "labels": t + [eos]})
    return out


def collate(batch, pad):
    ids, mask = right_pad([e["input_ids"] for e in batch], pad)
    labels, _ = right_pad([e["labels"] for e in batch], -100)
    return torch.tensor(ids), torch.tensor(mask), torch.tensor(labels)


def run(name):
    torch.manual_seed(0)
    model = AutoModelForSeq2SeqLM.from_pretrained(MODELS / name, dtype=torch.float32, attn_implementation="eager")
    cfg = model.config
    init_ids = [5, 17, 9, 33]
    pm, init = prompt_from_ids(model, TaskType.SEQ_2_SEQ_LM, NUM_VIRTUAL, init_ids, num_transformer_submodules=1)
    data = examples(cfg.vocab_size, cfg.eos_token_id, seed=13)
    batches = [collate(data[m * BATCH:(m + 1) * BATCH], cfg.pad_token_id) for m in range(STEPS * ACCUM)]
    losses, _, final = train(pm, batches, STEPS, ACCUM, LR[name])
    write_json(OUT / f"peft_training_seq2seq_{name}.json", {
        "format": "softprompt-peft-training-seq2seq-v1", "model": name, "versions": {
            "torch": torch.__version__, "transformers": transformers.__version__,
            "peft": __import__("peft").__version__},
        "num_virtual_tokens": NUM_VIRTUAL, "steps": STEPS, "accumulate_steps": ACCUM, "batch_size": BATCH,
        "learning_rate": LR[name], "weight_decay": 0.01, "pad_token_id": cfg.pad_token_id,
        "init_ids": init_ids, "examples": data, "init_prompt": ftensor(init), "micro_losses": losses,
        "final_prompt": ftensor(final)})
    print(name, "losses", losses[0], "->", losses[-1])


if __name__ == "__main__":
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    for n in ("t5", "bart"):
        run(n)
