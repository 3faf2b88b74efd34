# Shared by scripts/reference/peft_training_goldens.py (causal) and seq2seq_training_goldens.py:
# a PEFT prompt started from the embedding rows of fixed ids (TEXT init emulated exactly), dynamic
# padding of fixed-id examples, and the accumulated AdamW + linear-schedule loop whose micro-batch
# losses, learning rates and final prompt the parity tests compare.
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2.

import torch
from peft import PromptTuningConfig, PromptTuningInit, get_peft_model
from transformers import get_linear_schedule_with_warmup

from golden_util import f32


def prompt_from_ids(model, task_type, virtual, init_ids, **config):
    """PEFT prompt tuning whose prompt starts as word_embeddings(init_ids) (what TEXT init computes
    from the tokenized init text); returns the PEFT model and the initial prompt."""
    pm = get_peft_model(model, PromptTuningConfig(task_type=task_type, num_virtual_tokens=virtual,
                                                  prompt_tuning_init=PromptTuningInit.RANDOM, **config))
    with torch.no_grad():
        pm.prompt_encoder["default"].embedding.weight.copy_(pm.get_input_embeddings()(torch.tensor(init_ids)))
    init = pm.prompt_encoder["default"].embedding.weight.detach().clone()
    params = [p for p in pm.parameters() if p.requires_grad]
    assert len(params) == 1 and params[0].shape == (virtual, init.shape[1]), "only the prompt may train"
    return pm, init


def right_pad(rows, value):
    """Rows right-padded with `value` to the longest, and their masks (1 real, 0 padding)."""
    n = max(len(r) for r in rows)
    return [r + [value] * (n - len(r)) for r in rows], [[1] * len(r) + [0] * (n - len(r)) for r in rows]


def train(pm, batches, steps, accum, lr):
    """`steps` AdamW steps (weight decay 0.01) with get_linear_schedule_with_warmup(0, steps), each
    after `accum` micro-batches from `batches` (a list of (ids, mask, labels) tensors) whose loss is
    scaled by 1/accum. Returns the float32 micro-batch losses, the rate of each step and the prompt."""
    opt = torch.optim.AdamW([p for p in pm.parameters() if p.requires_grad], lr=lr)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=0, num_training_steps=steps)
    pm.train()
    losses, lrs = [], []
    for micro, (ids, mask, labels) in enumerate(batches[:steps * accum]):
        loss = pm(input_ids=ids, attention_mask=mask, labels=labels).loss
        losses.append(f32(loss.item()))
        (loss / accum).backward()
        if (micro + 1) % accum == 0:
            lrs.append(f32(opt.param_groups[0]["lr"]))
            opt.step()
            sched.step()
            opt.zero_grad()
    return losses, lrs, pm.prompt_encoder["default"].embedding.weight.detach()
