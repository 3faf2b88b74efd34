#!/usr/bin/env python3
# How chaotic the bf16 PEFT golden's trajectory is: PyTorch's own bf16 run of
# peft_training_bf16_goldens.py against the same run with the initial prompt scaled by
# (1 + 1e-3·N(0,1)), at the golden's lr 0.3 and at 0.03; prints the largest relative micro-loss
# difference and the final prompts' difference relative to max |prompt|.
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2.
# Run from the repository root: $py scripts/reference/bf16_trajectory_sensitivity.py
import sys, torch
sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
from peft import TaskType
from transformers import AutoModelForCausalLM
from peft_training_goldens import ACCUM, BATCH, MODELS, NUM_VIRTUAL, STEPS, collate, examples
from peft_training_util import prompt_from_ids, train
for name in ("gpt2", "llama"):
  for lr in (0.3, 0.03):
    res = []
    for eps in (0.0, 1e-3):
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_pretrained(MODELS / name, dtype=torch.float32, attn_implementation="eager").to(torch.bfloat16)
        cfg = model.config
        eos = cfg.eos_token_id if cfg.eos_token_id is not None else 0
        pad = cfg.pad_token_id if cfg.pad_token_id is not None else eos
        pm, init = prompt_from_ids(model, TaskType.CAUSAL_LM, NUM_VIRTUAL, [5, 17, 9, 33])
        with torch.no_grad():
            w = pm.prompt_encoder["default"].embedding.weight
            w.mul_(1 + eps * torch.randn(w.shape, generator=torch.Generator().manual_seed(1)))
        data = examples(cfg.vocab_size, eos, seed=11)
        batches = [collate(data[m * BATCH:(m + 1) * BATCH], pad) for m in range(STEPS * ACCUM)]
        losses, lrs, final = train(pm, batches, STEPS, ACCUM, lr)
        res.append((losses, final.clone()))
    (a, fa), (b, fb) = res
    rel = max(abs(x - y) / abs(x) for x, y in zip(a, b))
    print(name, "lr", lr, "max rel loss diff from 1e-3 prompt perturbation:", rel,
          "final prompt rel diff", float((fa - fb).abs().max() / fa.abs().max()), flush=True)
