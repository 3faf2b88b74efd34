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
from peft.utils.other import shift_tokens_right  # noqa: E402
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


def run(name, placement="encoder", lr=LR, dtype=torch.float32, write=True):
    """One trajectory. `placement`: "encoder" (PEFT's MPT, one submodule), "encoder_decoder" (PEFT's
    MPT with num_transformer_submodules 2: PeftModelForSeq2SeqLM.forward's generic branch splits the
    prompt, rows 0..<T before the encoder input, rows T..<2T before embed(shift_right(labels)) with
    T × -100 in front of the labels), or "decoder" (no PEFT config expresses it: PEFT's one-submodule
    prompt encoder, and the generic branch's decoder half written out in PyTorch below)."""
    torch.manual_seed(0)
    model = AutoModelForSeq2SeqLM.from_pretrained(MODELS / name, dtype=dtype, attn_implementation="eager")
    cfg = model.config
    init_ids = [5, 17, 9, 33]
    subs = 2 if placement == "encoder_decoder" else 1
    pm = get_peft_model(model, MultitaskPromptTuningConfig(
        task_type=TaskType.SEQ_2_SEQ_LM, num_virtual_tokens=NUM_VIRTUAL, num_transformer_submodules=subs,
        num_tasks=TASKS, num_ranks=RANKS, prompt_tuning_init=MultitaskPromptTuningInit.RANDOM))
    enc = pm.prompt_encoder["default"]
    with torch.no_grad():
        emb = pm.get_input_embeddings()(torch.tensor(init_ids))
        enc.embedding.weight.copy_(emb.repeat(subs, 1))
    tensors = (enc.embedding.weight, enc.prefix_task_cols, enc.prefix_task_rows)
    init = {k: v.detach().clone() for k, v in zip(NAMES, tensors)}
    params = [p for p in pm.parameters() if p.requires_grad]
    assert len(params) == 3, [p.shape for p in params]
    opt = torch.optim.AdamW(params, lr=lr)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=0, num_training_steps=STEPS)
    data = examples(cfg.vocab_size, cfg.eos_token_id, seed=17)
    pm.train()
    losses = []
    for micro in range(STEPS * ACCUM):
        batch = data[micro * BATCH:(micro + 1) * BATCH]
        ids, mask, labels = collate(batch, cfg.pad_token_id)
        tasks = torch.tensor([e["task_id"] for e in batch])
        if placement == "decoder":
            # The generic branch's decoder half, without its encoder half.
            prompts = pm.get_prompt(batch_size=len(batch), task_ids=tasks).to(dtype)
            dec_ids = shift_tokens_right(labels, cfg.pad_token_id, cfg.decoder_start_token_id)
            dec = torch.cat((prompts, pm.get_input_embeddings()(dec_ids)), dim=1)
            prefix = torch.full((len(batch), NUM_VIRTUAL), -100)
            loss = pm.base_model(input_ids=ids, attention_mask=mask, decoder_inputs_embeds=dec,
                                 labels=torch.cat((prefix, labels), dim=1)).loss
        else:
            loss = pm(input_ids=ids, attention_mask=mask, labels=labels, task_ids=tasks).loss
        losses.append(float(loss.item()))
        (loss / ACCUM).backward()
        if (micro + 1) % ACCUM == 0:
            opt.step()
            sched.step()
            opt.zero_grad()
    final = {k: v.detach().clone() for k, v in zip(NAMES, tensors)}
    mixed = sum(len({e["task_id"] for e in data[i * BATCH:(i + 1) * BATCH]}) > 1 for i in range(STEPS * ACCUM))
    print(name, placement, dtype, "losses", losses[0], "->", losses[-1], f"({mixed} of {STEPS * ACCUM} batches mix tasks)")
    if not write:
        return losses, init, final
    suffix = "" if placement == "encoder" else "_" + placement
    write_json(OUT / f"mpt_training_seq2seq_{name}{suffix}.json", {
        "format": "softprompt-mpt-training-v1", "model": name, "placement": placement, "versions": {
            "torch": torch.__version__, "transformers": transformers.__version__, "peft": __import__("peft").__version__},
        "num_virtual_tokens": NUM_VIRTUAL, "num_transformer_submodules": subs, "num_tasks": TASKS, "num_ranks": RANKS,
        "steps": STEPS, "accumulate_steps": ACCUM, "batch_size": BATCH, "learning_rate": lr, "weight_decay": 0.01,
        "eos_token_id": cfg.eos_token_id, "pad_token_id": cfg.pad_token_id, "init_ids": init_ids,
        "examples": data, "init": {k: ftensor(v) for k, v in init.items()},
        "micro_losses": [f32(x) for x in losses], "final": {k: ftensor(v) for k, v in final.items()}})


def drift(name, placement, lr):
    """torch float32 against float64 from the same start: how far float32 rounding alone moves it."""
    l32, _, f32_ = run(name, placement, lr, torch.float32, write=False)
    l64, _, f64_ = run(name, placement, lr, torch.float64, write=False)
    dl = max(abs(a - b) / max(abs(b), 1e-12) for a, b in zip(l32, l64))
    dt = [float((f32_[k].double() - f64_[k]).abs().max() / f64_[k].abs().max()) for k in NAMES]
    print(f"drift {name} {placement} lr {lr}: losses {dl:.2e}, P/U/V {dt[0]:.2e} / {dt[1]:.2e} / {dt[2]:.2e}")


if __name__ == "__main__":
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    # argv: "drift" prints the float32 ↔ float64 distances instead of writing fixtures; otherwise
    # the fixtures named (default: all).
    jobs = {"t5": ("t5", "encoder", LR), "t5_decoder": ("t5", "decoder", LR),
            "t5_encoder_decoder": ("t5", "encoder_decoder", LR / 3), "bart": ("bart", "encoder", LR)}
    names = [a for a in sys.argv[1:] if a != "drift"] or list(jobs)
    for n in names:
        (drift if "drift" in sys.argv[1:] else run)(*jobs[n])
