#!/usr/bin/env python3
# Writes the per-architecture causal-LM goldens of Tests/SPModelsTests/Fixtures/<name>/:
#   config.json, generation_config.json, model.safetensors  (a tiny random model, save_pretrained)
#   peft_adapter/{adapter_config.json, adapter_model.safetensors}  (PEFT prompt tuning, 3 RANDOM tokens)
#   golden.json  (padded batches -> logits, loss, d(inputs_embeds), PEFT-prompt variant, greedy ids)
# and Tests/SPModelsTests/Fixtures/index.json. Every key is documented in Fixtures/README.md.
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2 (float32, eager attention, no dropout).
# Run: py=$(SOFTPROMPT_REF_VENV=/work/main/.venv-ref scripts/reference/setup_venv.sh)
#      $py scripts/reference/model_goldens.py [--only NAME ...]
# Re-running reproduces the files bit for bit (everything is seeded, one thread).

import os
import shutil
import sys

import torch
import transformers
import peft
from peft import PeftModel, PromptTuningConfig, get_peft_model
from transformers import AutoModelForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import (Recorder, build_fixture_models, dir_bytes, f32, ftensor, greedy,  # noqa: E402
                         itensor, randomize_parameters, rotary_module, write_json)
from model_specs import DEFAULT_GAIN, INIT_GAIN, SPECS  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "SPModelsTests", "Fixtures")
VIRTUAL = 3          # PEFT virtual tokens in the prompt variant and the adapter
MAX_NEW = 8          # greedy generation length
GEN_PROMPT = 4       # tokens of the (unpadded) generation prompt
LENGTHS = {"right_pad": (12, 8), "left_pad": (9, 12)}   # real tokens per row; T = 12
PROMPT_TOKENS = (3, 2)  # per row: the first k real tokens are "input" and get label -100


def load(path):
    """A fresh copy from disk: goldens describe the saved files, and a fresh model has no RoPE
    state left over from an earlier call (dynamic NTK caches the longest length it has seen)."""
    m = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation="eager")
    return m.eval()


def make_batch(gen, vocab, pad_id, side):
    """input_ids, attention_mask, labels [2, 12] for one padding side."""
    lens = LENGTHS[side]
    T = max(lens)
    ids = torch.full((2, T), pad_id, dtype=torch.long)
    mask = torch.zeros((2, T), dtype=torch.long)
    labels = torch.full((2, T), -100, dtype=torch.long)
    for b, n in enumerate(lens):
        toks = torch.randint(4, vocab - 2, (n,), generator=gen)
        start = 0 if side == "right_pad" else T - n
        ids[b, start:start + n] = toks
        mask[b, start:start + n] = 1
        k = PROMPT_TOKENS[b]
        labels[b, start + k:start + n] = toks[k:]
    return ids, mask, labels


def forward_record(model, embeds, mask, labels):
    """One forward+backward from inputs_embeds; returns the golden entries of that call."""
    x = embeds.detach().clone().requires_grad_(True)
    with Recorder(model) as rec:
        out = model(inputs_embeds=x, attention_mask=mask, labels=labels, use_cache=False)
    out.loss.backward()
    V = out.logits.shape[-1]
    # HF's loss is the shifted mean cross entropy over labels != -100: check that reading.
    manual = torch.nn.functional.cross_entropy(out.logits[:, :-1].reshape(-1, V).double(),
                                               labels[:, 1:].reshape(-1), ignore_index=-100)
    assert abs(manual.item() - out.loss.item()) < 1e-5 * max(1.0, manual.item()), (manual, out.loss)
    B, T = mask.shape
    entry = {
        "attention_mask": itensor(mask), "labels": itensor(labels),
        "logits": ftensor(out.logits), "loss": f32(out.loss.item()),
        "d_inputs_embeds": ftensor(x.grad),
        "block_input": ftensor(rec.block_input),
        "block_outputs": ftensor(torch.stack(rec.block_outputs)),
        "lm_head_input": ftensor(rec.lm_head_input),
    }
    if rec.position_ids is not None:
        entry["position_ids"] = itensor(rec.position_ids.expand(B, T))
    if model.config.model_type == "bloom":
        from transformers.models.bloom.modeling_bloom import build_alibi_tensor
        H = model.config.n_head
        entry["alibi"] = ftensor(build_alibi_tensor(mask, H, torch.float32).reshape(B, H, T))
    rot = rotary_module(model)
    if rot is not None:
        entry["rope_inv_freq"] = ftensor(rot.inv_freq)
        entry["rope_attention_scaling"] = f32(rot.attention_scaling)
    return entry, x.grad, out


def fp64_noise(path, embeds, mask, labels, entry, grad, logits):
    """How far the float32 goldens are from the same computation in float64 (a tolerance guide)."""
    m = load(path).double()
    x = embeds.detach().double().clone().requires_grad_(True)
    # Eager attention upcasts scores to float32 for the softmax; float64's mask value then becomes
    # -inf and a fully masked row is NaN. Keep the softmax in float64 (finite mask, as in float32).
    softmax = torch.nn.functional.softmax
    torch.nn.functional.softmax = lambda t, dim=None, dtype=None, **kw: softmax(t, dim=dim, **kw)
    try:
        out = m(inputs_embeds=x, attention_mask=mask, labels=labels, use_cache=False)
    finally:
        torch.nn.functional.softmax = softmax
    out.loss.backward()
    entry["fp64"] = {
        "loss": out.loss.item(),
        "logits_max_abs_diff": f32((out.logits - logits.double()).abs().max().item()),
        "d_inputs_embeds_max_abs_diff": f32((x.grad - grad.double()).abs().max().item()),
    }


def peft_check(path, adapter, ids, mask, labels, loss, d_prompt):
    """The same prompt variant through PEFT itself: loss and prompt gradient must agree."""
    pm = PeftModel.from_pretrained(load(path), adapter)  # PEFT refuses is_trainable for prompts
    pm.prompt_encoder["default"].embedding.weight.requires_grad_(True)
    out = pm(input_ids=ids, attention_mask=mask, labels=labels)
    out.loss.backward()
    g = pm.prompt_encoder["default"].embedding.weight.grad
    assert abs(out.loss.item() - loss) < 1e-5 * max(1.0, loss), (out.loss.item(), loss)
    err = (g - d_prompt).abs().max().item() / max(1e-6, d_prompt.abs().max().item())
    assert err < 1e-4, f"PEFT prompt gradient differs: rel {err}"


def build_one(name, cfg_cls, kwargs, description, seed):
    out_dir = os.path.join(FIXTURES, name)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    torch.manual_seed(seed)
    config = cfg_cls(**kwargs)
    config._attn_implementation = "eager"
    model = AutoModelForCausalLM.from_config(config, attn_implementation="eager", dtype=torch.float32)
    randomize_parameters(model, seed, INIT_GAIN.get(name, DEFAULT_GAIN))
    model.save_pretrained(out_dir)
    model = load(out_dir)
    cfg = model.config
    V = cfg.vocab_size
    C = model.get_input_embeddings().weight.shape[1]

    # PEFT prompt-tuning adapter, RANDOM init (N(0,1) rows) from a fixed seed.
    torch.manual_seed(seed + 1)
    pcfg = PromptTuningConfig(task_type="CAUSAL_LM", num_virtual_tokens=VIRTUAL, prompt_tuning_init="RANDOM",
                              token_dim=C)
    pm = get_peft_model(model, pcfg)
    pm.peft_config["default"].base_model_name_or_path = f"Tests/SPModelsTests/Fixtures/{name}"
    adapter_dir = os.path.join(out_dir, "peft_adapter")
    pm.save_pretrained(adapter_dir)
    readme = os.path.join(adapter_dir, "README.md")  # PEFT's model-card template: not needed
    if os.path.exists(readme):
        os.remove(readme)
    prompt = pm.prompt_encoder["default"].embedding.weight.detach().clone()  # [VIRTUAL, C]

    gen = torch.Generator().manual_seed(seed + 2)
    cases = []
    for side in ("right_pad", "left_pad"):
        ids, mask, labels = make_batch(gen, V, cfg.pad_token_id, side)
        model = load(out_dir)
        embeds = model.get_input_embeddings()(ids).detach()
        entry, grad, out = forward_record(model, embeds, mask, labels)
        fp64_noise(out_dir, embeds, mask, labels, entry, grad, out.logits)
        case = {"name": side, "padding_side": side.split("_")[0], "input_ids": itensor(ids),
                "inputs_embeds": ftensor(embeds), **entry}
        # PEFT-style prompt variant: [prompt; embeds], mask ones in front, labels -100 in front.
        B = ids.shape[0]
        p_embeds = torch.cat([prompt.unsqueeze(0).expand(B, -1, -1), embeds], dim=1)
        p_mask = torch.cat([torch.ones(B, VIRTUAL, dtype=torch.long), mask], dim=1)
        p_labels = torch.cat([torch.full((B, VIRTUAL), -100, dtype=torch.long), labels], dim=1)
        model = load(out_dir)
        p_entry, grad, out = forward_record(model, p_embeds, p_mask, p_labels)
        fp64_noise(out_dir, p_embeds, p_mask, p_labels, p_entry, grad, out.logits)
        d_prompt = grad[:, :VIRTUAL].sum(0)
        p_entry["d_prompt"] = ftensor(d_prompt)
        for k in ("block_input", "block_outputs", "lm_head_input"):  # debug aids: plain cases only
            del p_entry[k]
        peft_check(out_dir, adapter_dir, ids, mask, labels, p_entry["loss"], d_prompt)
        case["prompt"] = p_entry
        cases.append(case)

    # Greedy generation for one unpadded prompt, with and without the saved adapter.
    g_ids = torch.randint(4, V - 2, (1, GEN_PROMPT), generator=gen)
    new, gap = greedy(load(out_dir), g_ids, MAX_NEW)
    new_nc, _ = greedy(load(out_dir), g_ids, MAX_NEW, use_cache=False)
    pm = PeftModel.from_pretrained(load(out_dir), adapter_dir)
    p_new, p_gap = greedy(pm, g_ids, MAX_NEW)
    generation = {
        "input_ids": itensor(g_ids), "max_new_tokens": MAX_NEW, "eos_token_id": cfg.eos_token_id,
        "new_ids": new, "min_top2_gap": gap, "new_ids_no_cache": new_nc,
        "peft": {"adapter_dir": "peft_adapter", "num_virtual_tokens": VIRTUAL, "new_ids": p_new,
                 "min_top2_gap": p_gap},
    }
    golden = {
        "format": "softprompt-causal-lm-golden-v1", "name": name, "model_type": cfg.model_type,
        "description": description, "seed": seed,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__,
                     "peft": peft.__version__},
        "vocab_size": V, "embed_dim": C, "num_virtual_tokens": VIRTUAL,
        "prompt_embeddings": ftensor(prompt), "cases": cases, "generation": generation,
    }
    write_json(os.path.join(out_dir, "golden.json"), golden)
    print(f"{name:22s} {dir_bytes(out_dir) / 1e6:6.2f} MB  loss {cases[0]['loss']:.4f}/{cases[1]['loss']:.4f}"
          f"  gen {new} peft {p_new} gap {gap:.3g}/{p_gap:.3g}" + ("" if new == new_nc else f" no-cache {new_nc}"))
    return {"name": name, "model_type": cfg.model_type, "description": description}


def main():
    build_fixture_models(__doc__, FIXTURES, SPECS, build_one, seed_base=1000)


if __name__ == "__main__":
    main()
