#!/usr/bin/env python3
# The seq2seq PEFT training golden of seq2seq_training_goldens.py (ENCODER prompt) with the tiny bart
# and mbart fixtures loaded in torch.bfloat16 (Tests/SPTuningTests/Fixtures/peft_training_seq2seq_bf16_<name>.json):
# same examples, TEXT-style initial prompt (the bf16 scaled embedding rows, widened), 4 AdamW steps
# with accumulate_steps 2. PEFT keeps the prompt and AdamW state in float32 and casts the prompt to
# bf16 in forward, so every Linear, norm, softmax and residual runs as transformers runs a bf16 BART/mBART
# on a CPU. Recorded: each micro-batch's loss (a bf16 value) and the float32 cross-entropy over the
# same bf16 logits, and the prompt before every micro-batch (PEFT's trajectory), so the test compares
# its bf16 loss on PEFT's own prompt at each micro-batch (bf16 trajectories drift apart; see
# peft_training_bf16_goldens.py). T5 is not here: SoftPrompt trains T5 in float32 (its bf16 needs
# `wo` kept float32 and a float32 residual stream after it, not implemented).
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2.
# Run: SOFTPROMPT_REF_VENV=/root/venv-ref /root/venv-ref/bin/python scripts/reference/seq2seq_training_bf16_goldens.py

import os
import sys

import torch
import transformers
from peft import TaskType
from transformers import AutoModelForSeq2SeqLM, get_linear_schedule_with_warmup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import f32, ftensor, write_json  # noqa: E402
from peft_training_util import prompt_from_ids  # noqa: E402
from seq2seq_training_goldens import BATCH, MODELS, NUM_VIRTUAL, OUT, collate, examples  # noqa: E402

STEPS, ACCUM, LR = 4, 2, 0.3


def run(name):
    torch.manual_seed(0)
    model = AutoModelForSeq2SeqLM.from_pretrained(MODELS / name, dtype=torch.bfloat16, attn_implementation="eager")
    assert all(p.dtype == torch.bfloat16 for p in model.parameters()), "bart and mbart keep no float32 module"
    cfg = model.config
    init_ids = [5, 17, 9, 33]
    pm, init = prompt_from_ids(model, TaskType.SEQ_2_SEQ_LM, NUM_VIRTUAL, init_ids, num_transformer_submodules=1)
    weight = pm.prompt_encoder["default"].embedding.weight
    assert weight.dtype == torch.float32, "PEFT keeps a float32 prompt"
    data = examples(cfg.vocab_size, cfg.eos_token_id, seed=13)
    batches = [collate(data[m * BATCH:(m + 1) * BATCH], cfg.pad_token_id) for m in range(STEPS * ACCUM)]
    opt = torch.optim.AdamW([weight], lr=LR)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=0, num_training_steps=STEPS)
    pm.train()
    losses, ce, before = [], [], []
    for micro, (ids, mask, labels) in enumerate(batches):
        before.append(weight.detach().clone())
        out = pm(input_ids=ids, attention_mask=mask, labels=labels)
        loss = out.loss
        losses.append(f32(loss.item()))
        # BART's loss is a bf16 tensor (cross-entropy over bf16 logits, 1/32 apart near 5); the same
        # cross-entropy in float32 over the same bf16 logits resolves finer differences.
        with torch.no_grad():
            ce.append(f32(torch.nn.functional.cross_entropy(out.logits.float().flatten(0, 1), labels.flatten()).item()))
        (loss / ACCUM).backward()
        if (micro + 1) % ACCUM == 0:
            opt.step()
            sched.step()
            opt.zero_grad()
    write_json(OUT / f"peft_training_seq2seq_bf16_{name}.json", {
        "format": "softprompt-peft-training-seq2seq-bf16-v1", "model": name, "dtype": "bfloat16", "versions": {
            "torch": torch.__version__, "transformers": transformers.__version__,
            "peft": __import__("peft").__version__},
        "num_virtual_tokens": NUM_VIRTUAL, "steps": STEPS, "accumulate_steps": ACCUM, "batch_size": BATCH,
        "learning_rate": LR, "weight_decay": 0.01, "pad_token_id": cfg.pad_token_id, "init_ids": init_ids,
        "examples": data[:STEPS * ACCUM * BATCH], "init_prompt": ftensor(init.float()), "micro_losses": losses,
        "micro_losses_float32_ce": ce,
        "prompts_before_micro": [ftensor(b) for b in before]})
    print(name, "bf16 losses", losses, "float32 CE over the bf16 logits", ce)


if __name__ == "__main__":
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    for n in ("bart", "mbart"):
        run(n)
