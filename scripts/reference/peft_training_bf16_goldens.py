#!/usr/bin/env python3
# The PEFT training golden of peft_training_goldens.py repeated with the base model cast to
# torch.bfloat16 (Tests/SPTuningTests/Fixtures/peft_training_bf16_<name>.json): same examples, same
# TEXT-style initial prompt (the bf16 embedding rows, widened), same 10 AdamW steps. PEFT keeps the
# prompt and AdamW state in float32 and casts the prompt to the embeddings' dtype (bf16) in forward,
# so every Linear, norm, softmax and residual runs as transformers runs a bf16 model on a CPU.
# Also recorded: the prompt before every micro-batch (PEFT's trajectory), so the test can compare
# its bf16 loss on PEFT's own prompt at each step: 10 AdamW steps at lr 0.3 are chaotic in bf16 (a
# 1e-3 relative perturbation of the initial prompt moves PyTorch's own bf16 losses by 9-16 %, see
# bf16_trajectory_sensitivity.py), so two independent trajectories cannot agree to 2e-2. Then
# greedy continuations (full recompute, no cache) of the first examples' sources behind PEFT's final
# prompt, in the same bf16 model, for the "identical generations" check.
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2.
# Run: py=$(scripts/reference/setup_venv.sh); $py scripts/reference/peft_training_bf16_goldens.py

import os
import pathlib
import sys

import torch
from peft import TaskType
from transformers import AutoModelForCausalLM, get_linear_schedule_with_warmup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import ftensor, write_json  # noqa: E402
from peft_training_goldens import ACCUM, BATCH, LR, MODELS, NUM_VIRTUAL, OUT, STEPS, collate, examples  # noqa: E402
from golden_util import f32  # noqa: E402
from peft_training_util import prompt_from_ids  # noqa: E402

GENERATE_ROWS, NEW_TOKENS = 4, 6


def train_recording(pm, batches, steps, accum, lr):
    """peft_training_util.train, also returning the prompt before each micro-batch."""
    opt = torch.optim.AdamW([p for p in pm.parameters() if p.requires_grad], lr=lr)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=0, num_training_steps=steps)
    pm.train()
    weight = pm.prompt_encoder["default"].embedding.weight
    losses, lrs, before = [], [], []
    for micro, (ids, mask, labels) in enumerate(batches[:steps * accum]):
        before.append(weight.detach().clone())
        loss = pm(input_ids=ids, attention_mask=mask, labels=labels).loss
        losses.append(f32(loss.item()))
        (loss / accum).backward()
        if (micro + 1) % accum == 0:
            lrs.append(f32(opt.param_groups[0]["lr"]))
            opt.step()
            sched.step()
            opt.zero_grad()
    return losses, lrs, weight.detach(), before


@torch.no_grad()
def greedy(model, prompt, ids, new):
    """`new` greedy tokens after [prompt; embed(ids)] in `model` (bf16), recomputing every step."""
    emb = model.get_input_embeddings()
    out = []
    for _ in range(new):
        x = torch.cat([prompt.to(torch.bfloat16), emb(torch.tensor(ids + out))], 0)[None]
        logits = model(inputs_embeds=x).logits[0, -1].float()
        out.append(int(torch.argmax(logits)))
    return out


def run(name):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_pretrained(MODELS / name, dtype=torch.float32, attn_implementation="eager")
    model = model.to(torch.bfloat16)
    cfg = model.config
    eos = cfg.eos_token_id if cfg.eos_token_id is not None else 0
    pad = cfg.pad_token_id if cfg.pad_token_id is not None else eos
    init_ids = [5, 17, 9, 33]
    pm, init = prompt_from_ids(model, TaskType.CAUSAL_LM, NUM_VIRTUAL, init_ids)
    assert pm.prompt_encoder["default"].embedding.weight.dtype == torch.float32, "PEFT keeps a float32 prompt"
    data = examples(cfg.vocab_size, eos, seed=11)
    batches = [collate(data[m * BATCH:(m + 1) * BATCH], pad) for m in range(STEPS * ACCUM)]
    losses, lrs, final, before = train_recording(pm, batches, STEPS, ACCUM, LR)
    model.eval()
    sources = [data[i]["source"] for i in range(GENERATE_ROWS)]
    gens = [greedy(model, final, s, NEW_TOKENS) for s in sources]
    write_json(OUT / f"peft_training_bf16_{name}.json", {
        "format": "softprompt-peft-training-bf16-v1", "model": name, "dtype": "bfloat16", "versions": {
            "torch": torch.__version__, "transformers": __import__("transformers").__version__,
            "peft": __import__("peft").__version__},
        "num_virtual_tokens": NUM_VIRTUAL, "steps": STEPS, "accumulate_steps": ACCUM, "batch_size": BATCH,
        "learning_rate": LR, "weight_decay": 0.01, "eos_token_id": eos, "pad_token_id": pad,
        "init_ids": init_ids, "examples": [{"input_ids": e["input_ids"], "labels": e["labels"]} for e in data],
        "init_prompt": ftensor(init.float()), "micro_losses": losses, "step_learning_rates": lrs,
        "final_prompt": ftensor(final.float()),
        "prompts_before_micro": [ftensor(b) for b in before], "generate_sources": sources, "generate_new_tokens": NEW_TOKENS,
        "greedy_generations": gens})
    print(name, "bf16 losses", losses[0], "->", losses[-1], "generations", gens)


if __name__ == "__main__":
    for n in ("gpt2", "llama"):
        run(n)
