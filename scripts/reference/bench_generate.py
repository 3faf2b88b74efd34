#!/usr/bin/env python3
# The PyTorch side of `softprompt bench generate`: transformers + PEFT greedy `generate` speed on
# the CPU at batch 1: a 32-token prompt behind 20 PEFT virtual tokens (RANDOM init), 64 new tokens
# (min_new_tokens = max_new_tokens, so an EOS cannot end it early), KV cache on.
#
# Models (--model, default both, one JSON line each):
#   gpt2-random  a random GPT-2-small-shaped model (shape options as in bench_train_step.py)
#   smollm2      SmolLM2-135M-Instruct, the float32 HF folder $SOFTPROMPT_CACHE/smollm2-hf/ that
#                scripts/reference/smollm2_reference.py converts from the cached GGUF
#   t5-random    a random T5 v1.0 (ReLU FFN, tied head; T5-small shape with --layers 6 --hidden 512
#                --ffn 2048 --heads 8 --vocab 32128) with a PEFT SEQ_2_SEQ_LM ENCODER prompt
#                (num_transformer_submodules 1, as caikit sets it); the new tokens are the decoder's
#                (the decoder start token is not counted); its prefill is the encoder plus one
#                decoder step (`softprompt bench generate --arch t5`)
# The prompt ids are seeded random ids (speed does not depend on them). One warm-up generate of 4
# tokens, then --repeats timed generates; reported: the mean seconds of a whole generate call
# (prefill included) and tokens_per_second = new tokens / that time, plus the prefill alone.
# On a loaded machine torch's OpenMP threads spin on each other at every small decode op: there
# (load average above the core count) `--threads 1` measured 4-6x faster than the default.
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2.
# Run: py=$(SOFTPROMPT_REF_VENV=/work/main/.venv-ref scripts/reference/setup_venv.sh)
#      $py scripts/reference/bench_generate.py [--model smollm2] [--prompt-len 32 --new-tokens 64]

import argparse
import os
import subprocess
import sys
import time

import torch
from transformers import AutoModelForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_common import add_shape_args, emit, gpt2_random, setup, t5_random, with_prompt  # noqa: E402

CACHE = os.environ.get("SOFTPROMPT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "softprompt")
SMOLLM2_DIR = os.path.join(CACHE, "smollm2-hf")


def load(name, args):
    if name == "gpt2-random":
        return gpt2_random(args, args.prompt_len + args.virtual + args.new_tokens)
    if name == "t5-random":
        return t5_random(args)
    if not os.path.exists(os.path.join(SMOLLM2_DIR, "model.safetensors")):
        raise SystemExit(f"{SMOLLM2_DIR} is missing: run scripts/reference/smollm2_reference.py first")
    return AutoModelForCausalLM.from_pretrained(SMOLLM2_DIR, dtype=torch.float32, attn_implementation=args.attn)


def bench(name, args):
    base = load(name, args).eval()
    if args.torch_dtype == "bfloat16":  # the model as `generate --torch-dtype bfloat16` runs it
        base = base.to(torch.bfloat16)
    seq2seq = base.config.is_encoder_decoder
    model = with_prompt(base, args.virtual)
    vocab = base.config.vocab_size
    ids = torch.randint(0, vocab, (1, args.prompt_len), generator=torch.Generator().manual_seed(2))
    mask = torch.ones_like(ids)
    # What generate returns before the new tokens: the prompt (causal), the decoder start token (seq2seq).
    head = 1 if seq2seq else ids.shape[1]

    def generate(n):
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=n,
                                 min_new_tokens=n, use_cache=True)
        return out.shape[1] - head

    generate(4)  # warm-up
    times, cpu, new = [], [], 0
    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        new = generate(args.new_tokens)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    with torch.no_grad():  # the prefill alone: [prompt; embeds] through the model once
        t0 = time.perf_counter()
        extra = {"decoder_input_ids": torch.zeros(1, 1, dtype=torch.long)} if seq2seq else {}
        model(input_ids=ids, attention_mask=mask, **extra)
        prefill = time.perf_counter() - t0
    seconds = sum(times) / len(times)
    emit({"model": name, "tokens_per_second": new / seconds, "seconds": seconds, "new_tokens": new,
          "prefill_seconds": prefill, "prompt_len": args.prompt_len, "virtual": args.virtual,
          "batch": 1, "torch_dtype": args.torch_dtype, "generate_seconds": times, "cpu_seconds": sum(cpu) / len(cpu)}, args)
    del model, base


def main():
    ap = argparse.ArgumentParser(description="transformers+PEFT greedy generation benchmark")
    ap.add_argument("--model", choices=["gpt2-random", "smollm2", "t5-random", "both"], default="both")
    ap.add_argument("--ffn", type=int, default=2048, help="t5-random: d_ff")
    ap.add_argument("--prompt-len", type=int, default=32)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--torch-dtype", choices=["float32", "bfloat16"], default="float32",
                    help="bfloat16: the base model cast to torch.bfloat16 (the PEFT prompt stays float32)")
    add_shape_args(ap)
    args = ap.parse_args()
    if args.model == "both":  # one process per model, so that peak_rss_bytes is that model's
        rest, skip = [], False
        for a in sys.argv[1:]:
            if skip or a == "--model":
                skip = not skip
                continue
            rest.append(a)
        for name in ("gpt2-random", "smollm2"):
            subprocess.run([sys.executable, os.path.abspath(__file__), "--model", name, *rest], check=True)
        return
    setup(args)
    bench(args.model, args)


if __name__ == "__main__":
    main()
