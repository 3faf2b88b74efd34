# Helpers shared by scripts/reference/model_goldens.py (and the SmolLM2 reference):
# float32-exact JSON tensors, seeded re-initialisation of every parameter of a tiny model,
# and forward hooks that record what a transformers model computed internally.
#
# Pinned stack: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2 (see setup_venv.sh).

import argparse
import json
import math
import os

import numpy as np
import torch
from torch import nn
from transformers.pytorch_utils import Conv1D


def f32_values(t) -> list:
    """Flat row-major float list whose JSON text is the shortest decimal that round-trips float32.

    `str(np.float32(x))` is numpy's shortest-unique float32 repr ('0.1', '1e-08'); parsing it back
    to a Python float keeps those digits when json writes it, so a reader that parses the number
    as Double and rounds to Float gets the exact float32 bits back.
    """
    a = t.detach().to(torch.float32).cpu().numpy().ravel() if torch.is_tensor(t) else np.asarray(t, np.float32).ravel()
    out = [float(str(v)) for v in a]
    if any(math.isinf(v) or math.isnan(v) for v in out):
        raise ValueError("non-finite value in a golden tensor")
    return out


def ftensor(t) -> dict:
    """`{"shape": [...], "data": [float32 values, row-major]}`."""
    return {"shape": list(t.shape), "data": f32_values(t)}


def itensor(t) -> dict:
    """`{"shape": [...], "data": [ints, row-major]}`."""
    return {"shape": list(t.shape), "data": [int(v) for v in t.reshape(-1).tolist()]}


def f32(x) -> float:
    """A scalar rounded to float32, written with its shortest float32 repr."""
    return float(str(np.float32(float(x))))


def write_json(path, obj):
    """Compact JSON (no indentation: the files are mostly long number arrays) plus a final newline."""
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))
        f.write("\n")


@torch.no_grad()
def randomize_parameters(model: nn.Module, seed: int, gain: float = 1.0):
    """Overwrites every parameter with seeded values large enough that bugs show.

    transformers' own init (std 0.02, zero biases, unit norm weights) gives near-uniform attention
    and hides missing biases or norm weights. Here: Linear/Conv1D weights ~ N(0, (gain/sqrt(fan_in))²)
    except an untied lm_head (gain 1), embeddings ~ N(0, 1/dim), every bias ~ N(0, 0.1²), every
    1-D norm weight ~ 1 + N(0, 0.2²). A gain > 1 makes the blocks' outputs dominate the residual
    stream (with gain 1, tied-embedding models mostly predict their last input token again).
    Tied parameters are visited once (module order is deterministic, so is the result).
    """
    head = model.get_output_embeddings()
    g = torch.Generator().manual_seed(seed)
    seen = set()
    for mod in model.modules():
        for pname, p in mod.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            if pname == "bias":
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif isinstance(mod, nn.Embedding):
                p.copy_(torch.randn(p.shape, generator=g) / math.sqrt(p.shape[1]))
            elif isinstance(mod, nn.Linear):
                k = 1.0 if mod is head else gain
                p.copy_(torch.randn(p.shape, generator=g) * (k / math.sqrt(mod.in_features)))
            elif isinstance(mod, Conv1D):  # GPT-2 stores weight as [in, out]
                p.copy_(torch.randn(p.shape, generator=g) * (gain / math.sqrt(p.shape[0])))
            elif p.ndim == 1 and pname == "weight":  # LayerNorm / RMSNorm scale
                p.copy_(1.0 + 0.2 * torch.randn(p.shape, generator=g))
            else:
                raise ValueError(f"no init rule for {type(mod).__name__}.{pname} {tuple(p.shape)}")


def decoder_blocks(model: nn.Module) -> nn.ModuleList:
    """The ModuleList of transformer blocks (`model.layers`, `transformer.h`, `decoder.layers`, ...)."""
    base = model.base_model
    for path in ("layers", "h", "decoder.layers"):
        obj = base
        for part in path.split("."):
            obj = getattr(obj, part, None)
        if isinstance(obj, nn.ModuleList):
            return obj
    raise ValueError(f"cannot find the decoder blocks of {type(model).__name__}")


def rotary_module(model: nn.Module):
    """The model's rotary-embedding module (`rotary_emb`), or None for non-RoPE architectures."""
    for name, mod in model.named_modules():
        if name.endswith("rotary_emb"):
            return mod
    return None


class Recorder:
    """Forward hooks that record, for one forward call:

    - `position_ids`: the position ids the model used (from the rotary module's argument, GPT-2 /
      BigCode `wpe`'s input, or OPT `embed_positions`' `position_ids` argument, before OPT's +2 offset);
    - `block_input`: the hidden states entering the first block;
    - `block_outputs`: the hidden states leaving each block;
    - `lm_head_input`: the input of the output projection.
    """

    def __init__(self, model: nn.Module):
        self.model = model
        self.handles = []
        self.position_ids = None
        self.block_input = None
        self.block_outputs = []
        self.lm_head_input = None

    def __enter__(self):
        def pos_hook(name):
            def hook(mod, args, kwargs):
                if name.endswith("rotary_emb"):
                    pid = kwargs.get("position_ids", args[1] if len(args) > 1 else None)
                elif name.endswith("embed_positions"):
                    pid = kwargs.get("position_ids")
                else:  # wpe: nn.Embedding(position_ids)
                    pid = args[0]
                if self.position_ids is None:
                    self.position_ids = pid.detach().clone()
            return hook

        for name, mod in self.model.named_modules():
            if name.endswith(("rotary_emb", "embed_positions", ".wpe")):
                self.handles.append(mod.register_forward_pre_hook(pos_hook(name), with_kwargs=True))

        blocks = decoder_blocks(self.model)

        def first_in(mod, args, kwargs):
            h = args[0] if args else kwargs["hidden_states"]
            self.block_input = h.detach().clone()

        def block_out(mod, args, kwargs, out):
            h = out[0] if isinstance(out, tuple) else out
            self.block_outputs.append(h.detach().clone())

        self.handles.append(blocks[0].register_forward_pre_hook(first_in, with_kwargs=True))
        for b in blocks:
            self.handles.append(b.register_forward_hook(block_out, with_kwargs=True))

        def head_in(mod, args):
            self.lm_head_input = args[0].detach().clone()

        self.handles.append(self.model.get_output_embeddings().register_forward_pre_hook(head_in))
        return self

    def __exit__(self, *exc):
        for h in self.handles:
            h.remove()
        return False


@torch.no_grad()
def greedy(model, ids, max_new, use_cache=True):
    """transformers greedy `generate` of a causal LM at batch 1: (the new ids, the smallest
    top-1/top-2 logit gap over the steps, float32)."""
    out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                         max_new_tokens=max_new, use_cache=use_cache, return_dict_in_generate=True,
                         output_scores=True)
    new = out.sequences[0, ids.shape[1]:]
    gaps = [float((s[0].topk(2).values[0] - s[0].topk(2).values[1]).item()) for s in out.scores]
    return [int(v) for v in new.tolist()], f32(min(gaps))


def dir_bytes(path):
    """Total size of the files under `path`."""
    return sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(path) for f in fs)


def build_fixture_models(description, fixtures, specs, build, seed_base):
    """The main() of the tiny-model golden scripts: `--only NAME...` rebuilds those (default all),
    torch on one thread, the pinned transformers/PEFT asserted; `build(*spec, seed=...)` writes one
    model's folder and returns its index entry; the others keep theirs. Writes `index.json`."""
    import peft
    import transformers
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--only", nargs="*", help="names to rebuild (default: all)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    assert transformers.__version__ == "5.23.0" and peft.__version__ == "0.21.2", "pin the reference stack"
    os.makedirs(fixtures, exist_ok=True)
    index = []
    for i, spec in enumerate(specs):
        name, cls, desc = spec[0], spec[1], spec[-1]
        if args.only and name not in args.only:
            index.append({"name": name, "model_type": cls.model_type, "description": desc})
            continue
        index.append(build(*spec, seed=seed_base + 17 * i))
    write_json(os.path.join(fixtures, "index.json"), {"models": index})
