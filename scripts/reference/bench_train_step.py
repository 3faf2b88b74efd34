#!/usr/bin/env python3
# The PyTorch + PEFT side of `softprompt bench train-step`: one prompt-tuning step (forward,
# backward to the soft prompt, AdamW step) of a random GPT-2-small-shaped model on the CPU.
#
# Default shape: 12 layers, 768 wide, 12 heads, vocab 50257, 20 virtual tokens, batch 8 x 256
# source tokens, labels on every source token (the virtual positions get -100, as in PEFT).
# One warm-up step, then --steps timed steps; prints one JSON line
#   {"seconds_per_step", "peak_rss_bytes", "gflop_per_step", "torch", "threads", ...}
# seconds_per_step is the mean wall time of the timed steps (each also listed in step_seconds);
# cpu_seconds_per_step the process CPU time (all threads) and loadavg_1min the machine's load, to
# judge a figure taken on a shared machine.
#
# gflop_per_step counts the matrix products only (2 FLOP per multiply-add), with S = source + virtual
# positions, N = B*S tokens, C = hidden, L = layers, V = vocab:
#   forward : L * (24*N*C^2 + 4*N*S*C) + 2*N*C*V
#             (per layer: qkv 6NC^2, out proj 2NC^2, MLP C->4C->C 16NC^2; scores QK^T and P.V over
#              the full S x S, 2NSC each; the LM head at every position)
#   backward: L * (24*N*C^2 + 8*N*S*C) + 2*N*C*V
#             (weights are frozen: only input gradients, one product per linear; attention needs
#              dQ, dK, dP, dV, four S x S products)
#   total   : L * (48*N*C^2 + 12*N*S*C) + 4*N*C*V        (about 1159 GFLOP for the default shape)
# Norms, activations, softmax, cross entropy and the optimizer (V*C numbers) are not counted.
#
# --arch t5: a random T5 v1.0 (ReLU FFN, tied head; T5-small shape with --layers 6 --hidden 512
# --ffn 2048 --heads 8 --vocab 32128) with PEFT SEQ_2_SEQ_LM prompt tuning (ENCODER prompt): batch x
# --source-len source tokens, --target-len random target tokens as labels. No GFLOP count for t5.
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2.
# Run: py=$(SOFTPROMPT_REF_VENV=/work/main/.venv-ref scripts/reference/setup_venv.sh)
#      $py scripts/reference/bench_train_step.py [--steps 1 --batch 8 --source-len 256 ...]

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import add_shape_args, emit, gpt2_random, setup, t5_random, with_prompt  # noqa: E402


def gflop_per_step(batch, source_len, virtual, layers, hidden, vocab):
    """The formula in the header comment, in GFLOP."""
    S = source_len + virtual
    N = batch * S
    C = hidden
    return (layers * (48 * N * C * C + 12 * N * S * C) + 4 * N * C * vocab) / 1e9


def prompt_step(model, args, ids, mask, labels):
    """PEFT's training step on one fixed batch: forward with labels, backward, AdamW on the prompt
    (the only trainable tensor). Train mode, as in training; every dropout probability is 0."""
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    assert sum(p.numel() for p in params) == args.virtual * args.hidden, "only the prompt may train"
    opt = torch.optim.AdamW(params, lr=args.lr)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        opt.step()
        return loss.item()
    return step


def timed_steps(step, steps):
    """One warm-up step (allocator, thread pool, kernels), then `steps` timed ones: (the warm-up's
    loss, wall seconds per step, process CPU seconds per step)."""
    first_loss = step()
    times, cpu = [], []
    for _ in range(steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return first_loss, times, cpu


def main():
    ap = argparse.ArgumentParser(description="PyTorch+PEFT prompt-tuning train step benchmark")
    ap.add_argument("--steps", type=int, default=1, help="timed steps after one warm-up")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--source-len", type=int, default=256)
    ap.add_argument("--lr", type=float, default=0.3)
    ap.add_argument("--arch", default="gpt2", choices=["gpt2", "t5"])
    ap.add_argument("--target-len", type=int, default=128, help="t5: target tokens")
    ap.add_argument("--ffn", type=int, default=2048, help="t5: d_ff")
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"],
                    help="gpt2: the base model cast to this dtype (PEFT keeps the prompt float32)")
    add_shape_args(ap)
    args = ap.parse_args()
    setup(args)
    if args.arch == "t5":
        if args.dtype != "float32":
            ap.error("--dtype bfloat16 is for --arch gpt2 only")
        return t5_main(args)

    base = gpt2_random(args, args.source_len + args.virtual).to(getattr(torch, args.dtype))
    model = with_prompt(base, args.virtual)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, args.vocab, (args.batch, args.source_len), generator=g)
    mask = torch.ones_like(ids)
    labels = ids.clone()  # every source token is a target; PEFT prepends -100 for the prompt

    first_loss, times, cpu = timed_steps(prompt_step(model, args, ids, mask, labels), args.steps)
    emit({
        "seconds_per_step": sum(times) / len(times),
        "cpu_seconds_per_step": sum(cpu) / len(cpu),  # all threads together
        "gflop_per_step": gflop_per_step(args.batch, args.source_len, args.virtual, args.layers,
                                         args.hidden, args.vocab),
        "step_seconds": times,
        "first_loss": first_loss,
        "dtype": args.dtype,
        "shape": {"layers": args.layers, "hidden": args.hidden, "heads": args.heads, "vocab": args.vocab,
                  "batch": args.batch, "source_len": args.source_len, "virtual": args.virtual},
    }, args)


def t5_main(args):
    model = with_prompt(t5_random(args), args.virtual)  # ENCODER prompt (num_transformer_submodules 1)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(2, args.vocab, (args.batch, args.source_len), generator=g)
    mask = torch.ones_like(ids)
    labels = torch.randint(2, args.vocab, (args.batch, args.target_len), generator=g)

    first_loss, times, cpu = timed_steps(prompt_step(model, args, ids, mask, labels), args.steps)
    emit({
        "seconds_per_step": sum(times) / len(times),
        "cpu_seconds_per_step": sum(cpu) / len(cpu),
        "step_seconds": times,
        "first_loss": first_loss,
        "shape": {"arch": "t5", "layers": args.layers, "hidden": args.hidden, "ffn": args.ffn, "heads": args.heads,
                  "vocab": args.vocab, "batch": args.batch, "source_len": args.source_len,
                  "target_len": args.target_len, "virtual": args.virtual},
    }, args)


if __name__ == "__main__":
    main()
