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
from peft import PromptTuningConfig, PromptTuningInit, TaskType, get_peft_model
from transformers import AutoModelForSeq2SeqLM, get_linear_schedule_with_warmup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import ftensor, f32, write_json  # noqa: E402

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
    n = max(len(e["input_ids"]) for e in batch)
    m = max(len(e["labels"]) for e in batch)
    ids = [e["input_ids"] + [pad] * (n - len(e["input_ids"])) for e in batch]
    mask = [[1] * len(e["input_ids"]) + [0] * (n - len(e["input_ids"])) for e in batch]
    labels = [e["labels"] + [-100] * (m - len(e["labels"])) for e in batch]
    return torch.tensor(ids), torch.tensor(mask), torch.tensor(labels)


def run(name):
    torch.manual_seed(0)
    model = AutoModelForSeq2SeqLM.from_pretrained(MODELS / name, dtype=torch.float32, attn_implementation="eager")
    cfg = model.config
    init_ids = [5, 17, 9, 33]
    peft_cfg = PromptTuningConfig(task_type=TaskType.SEQ_2_SEQ_LM, num_virtual_tokens=NUM_VIRTUAL,
                                  prompt_tuning_init=PromptTuningInit.RANDOM, num_transformer_submodules=1)
    pm = get_peft_model(model, peft_cfg)
    emb = pm.get_input_embeddings()
    with torch.no_grad():
        pm.prompt_encoder["default"].embedding.weight.copy_(emb(torch.tensor(init_ids)))
    init = pm.prompt_encoder["default"].embedding.weight.detach().clone()
    params = [p for p in pm.parameters() if p.requires_grad]
    assert len(params) == 1 and params[0].shape == (NUM_VIRTUAL, cfg.d_model)
    opt = torch.optim.AdamW(params, lr=LR[name])
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=0, num_training_steps=STEPS)
    data = examples(cfg.vocab_size, cfg.eos_token_id, seed=13)
    pm.train()
    losses = []
    for micro in range(STEPS * ACCUM):
        ids, mask, labels = collate(data[micro * BATCH:(micro + 1) * BATCH], cfg.pad_token_id)
        loss = pm(input_ids=ids, attention_mask=mask, labels=labels).loss
        losses.append(f32(loss.item()))
        (loss / ACCUM).backward()
        if (micro + 1) % ACCUM == 0:
            opt.step()
            sched.step()
            opt.zero_grad()
    final = pm.prompt_encoder["default"].embedding.weight.detach()
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
