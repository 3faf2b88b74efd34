#!/usr/bin/env python3
# Writes the encoder-decoder goldens of Tests/SPModelsTests/Fixtures/seq2seq/<name>/:
#   config.json, model.safetensors  (a tiny random T5 / mT5 / UMT5 / BART, save_pretrained + the
#                                    edits described per spec below)
#   golden.json  (right-padded batch with -100 labels -> encoder output, logits, loss,
#                 d(encoder inputs_embeds), d(decoder inputs_embeds); the same with a PEFT ENCODER
#                 prompt; greedy ids with and without the prompt)
# and Tests/SPModelsTests/Fixtures/seq2seq/index.json. Keys are documented in Fixtures/README.md.
#
# Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2 (float32, eager attention, no dropout).
# Run: SOFTPROMPT_REF_VENV=/root/venv-ref /root/venv-ref/bin/python scripts/reference/seq2seq_goldens.py
# Re-running reproduces the files bit for bit (everything is seeded, one thread).

import json
import os
import shutil
import sys

import torch
import transformers
import peft
from peft import PeftModel, PromptTuningConfig, get_peft_model
from safetensors.torch import load_file, save_file
from transformers import (AutoModelForSeq2SeqLM, BartConfig, GenerationConfig, MBartConfig, MT5Config, T5Config,
                          UMT5Config)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import (build_fixture_models, dir_bytes, f32, ftensor, itensor,  # noqa: E402
                         randomize_parameters, write_json)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "Tests", "SPModelsTests", "Fixtures", "seq2seq")
VIRTUAL = 3                 # PEFT virtual tokens (ENCODER prompt, num_transformer_submodules 1)
SOURCE_LENGTHS = (9, 6)     # real encoder tokens per row (right padding to 9)
TARGET_LENGTHS = (6, 4)     # real label tokens per row (the rest -100)
MAX_NEW = 6                 # greedy generation length
GEN_SOURCE = 5              # tokens of the (unpadded) generation input
VOCAB = 67

T5_BASE = dict(vocab_size=VOCAB, d_model=24, d_kv=8, d_ff=40, num_layers=2, num_decoder_layers=2,
               num_heads=4, relative_attention_num_buckets=8, relative_attention_max_distance=12,
               dropout_rate=0.0, layer_norm_epsilon=1e-6, pad_token_id=0, eos_token_id=1,
               decoder_start_token_id=0)

# name, config class, kwargs, post-processing, description.
#   "untied": add a distinct random lm_head.weight to the checkpoint and write config.json as the
#             real checkpoints of that family do (tie_word_embeddings false, no scale_decoder_outputs).
SPECS = [
    ("t5", T5Config, dict(T5_BASE, feed_forward_proj="relu"), None,
     "T5 v1.0: ReLU FFN (wi, wo), relative bias in layer 0 shared by all layers, tied head with the "
     "d_model^-0.5 rescale, d_kv 8 x 4 heads = 32 != d_model 24, 8 buckets / max distance 12."),
    ("t5_v1_1", T5Config, dict(T5_BASE, feed_forward_proj="gated-gelu"), "untied",
     "T5 v1.1 / flan-T5: gated-GELU (wi_0, wi_1, wo, gelu_new), untied lm_head, no rescale."),
    ("mt5", MT5Config, dict(T5_BASE, feed_forward_proj="gated-gelu"), "untied",
     "mT5: T5 v1.1 layout under model_type mt5, untied lm_head, no rescale."),
    ("umt5", UMT5Config, dict(T5_BASE, feed_forward_proj="gated-gelu"), None,
     "UMT5: relative-attention bias table in every layer, gated-GELU, tied head with the rescale "
     "(transformers 5.23 forces tie_word_embeddings for umt5)."),
    ("bart", BartConfig, dict(
        vocab_size=VOCAB, d_model=24, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=40, decoder_ffn_dim=40, max_position_embeddings=32,
        activation_function="gelu", scale_embedding=True, dropout=0.0, attention_dropout=0.0,
        activation_dropout=0.0, pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2,
        forced_eos_token_id=None), "final_logits_bias",
     "BART: post-LN, learned positions offset 2, layernorm_embedding, scale_embedding (x sqrt(24)), "
     "q/k/v/out biases, gelu, tied head, random final_logits_bias."),
    ("mbart", MBartConfig, dict(
        vocab_size=VOCAB, d_model=24, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
        decoder_attention_heads=4, encoder_ffn_dim=40, decoder_ffn_dim=40, max_position_embeddings=32,
        activation_function="gelu", scale_embedding=True, dropout=0.0, attention_dropout=0.0,
        activation_dropout=0.0, pad_token_id=1, bos_token_id=0, eos_token_id=2, decoder_start_token_id=2,
        forced_eos_token_id=None), "final_logits_bias",
     "mBART: BART with pre-LN layers and a final layer_norm per stack; decoder inputs start with the "
     "labels' last real token (mBART's shift_tokens_right wraps the language id)."),
]


def load(path):
    m = AutoModelForSeq2SeqLM.from_pretrained(path, dtype=torch.float32, attn_implementation="eager")
    return m.eval()


def shift_right(labels, pad, start):
    out = labels.new_zeros(labels.shape)
    out[:, 1:] = labels[:, :-1].clone()
    out[:, 0] = start
    out.masked_fill_(out == -100, pad)
    return out


def make_batch(gen, cfg):
    """input_ids, attention_mask [2, S] right-padded; labels [2, T] with -100 after each target."""
    S, T = max(SOURCE_LENGTHS), max(TARGET_LENGTHS)
    ids = torch.full((2, S), cfg.pad_token_id, dtype=torch.long)
    mask = torch.zeros((2, S), dtype=torch.long)
    labels = torch.full((2, T), -100, dtype=torch.long)
    for b in range(2):
        n, m = SOURCE_LENGTHS[b], TARGET_LENGTHS[b]
        ids[b, :n] = torch.randint(3, VOCAB, (n,), generator=gen)
        mask[b, :n] = 1
        labels[b, :m] = torch.randint(3, VOCAB, (m,), generator=gen)
        labels[b, m - 1] = cfg.eos_token_id
    return ids, mask, labels


def forward_record(model, enc, mask, dec, labels):
    """One forward+backward from both inputs_embeds."""
    x = enc.detach().clone().requires_grad_(True)
    y = dec.detach().clone().requires_grad_(True)
    out = model(inputs_embeds=x, attention_mask=mask, decoder_inputs_embeds=y, labels=labels, use_cache=False)
    out.loss.backward()
    V = out.logits.shape[-1]
    manual = torch.nn.functional.cross_entropy(out.logits.reshape(-1, V).double(), labels.reshape(-1),
                                               ignore_index=-100)
    assert abs(manual.item() - out.loss.item()) < 1e-5 * max(1.0, manual.item()), (manual, out.loss)
    return {
        "attention_mask": itensor(mask), "labels": itensor(labels),
        "encoder_last_hidden_state": ftensor(out.encoder_last_hidden_state),
        "logits": ftensor(out.logits), "loss": f32(out.loss.item()),
        "d_inputs_embeds": ftensor(x.grad), "d_decoder_inputs_embeds": ftensor(y.grad),
    }, x.grad


def greedy(model, ids, cfg):
    gc = GenerationConfig(max_new_tokens=MAX_NEW, do_sample=False, num_beams=1,
                          decoder_start_token_id=cfg.decoder_start_token_id, eos_token_id=None,
                          pad_token_id=cfg.pad_token_id, forced_bos_token_id=None, forced_eos_token_id=None)
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=gc,
                             return_dict_in_generate=True, output_scores=True)
    seq = out.sequences[0].tolist()
    assert seq[0] == cfg.decoder_start_token_id, seq
    gaps = [float((s[0].topk(2).values[0] - s[0].topk(2).values[1]).item()) for s in out.scores]
    return [int(v) for v in seq[1:]], f32(min(gaps))


def postprocess(out_dir, how, seed):
    path = os.path.join(out_dir, "model.safetensors")
    sd = load_file(path)
    cfg_path = os.path.join(out_dir, "config.json")
    cfg = json.load(open(cfg_path))
    g = torch.Generator().manual_seed(seed + 7)
    if how == "untied":
        V, C = sd["shared.weight"].shape
        sd["lm_head.weight"] = torch.randn((V, C), generator=g).contiguous()
        cfg["tie_word_embeddings"] = False
        cfg.pop("scale_decoder_outputs", None)
    elif how == "final_logits_bias":
        assert "final_logits_bias" in sd, sorted(sd)
        sd["final_logits_bias"] = (0.5 * torch.randn(sd["final_logits_bias"].shape, generator=g)).contiguous()
    save_file(sd, path, metadata={"format": "pt"})
    with open(cfg_path, "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def build_one(name, cls, kwargs, post, description, seed):
    out_dir = os.path.join(FIXTURES, name)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    torch.manual_seed(seed)
    config = cls(**kwargs)
    model = AutoModelForSeq2SeqLM.from_config(config, attn_implementation="eager", dtype=torch.float32)
    randomize_parameters(model, seed, 1.5)
    model.save_pretrained(out_dir)
    for extra in ("generation_config.json",):
        p = os.path.join(out_dir, extra)
        if os.path.exists(p):
            os.remove(p)
    if post:
        postprocess(out_dir, post, seed)
    model = load(out_dir)
    cfg = model.config
    if post == "untied":
        assert model.lm_head.weight is not model.get_input_embeddings().weight
    C = model.get_input_embeddings().weight.shape[1]

    torch.manual_seed(seed + 1)
    pcfg = PromptTuningConfig(task_type="SEQ_2_SEQ_LM", num_virtual_tokens=VIRTUAL, prompt_tuning_init="RANDOM",
                              token_dim=C, num_transformer_submodules=1)
    pm = get_peft_model(model, pcfg)
    prompt = pm.prompt_encoder["default"].embedding.weight.detach().clone()  # [VIRTUAL, C]
    assert prompt.shape == (VIRTUAL, C)

    gen = torch.Generator().manual_seed(seed + 2)
    ids, mask, labels = make_batch(gen, cfg)
    model = load(out_dir)
    dec_ids = model.prepare_decoder_input_ids_from_labels(labels=labels)
    if cfg.model_type != "mbart":
        assert torch.equal(dec_ids, shift_right(labels, cfg.pad_token_id, cfg.decoder_start_token_id))
    with torch.no_grad():
        enc = model.get_input_embeddings()(ids).detach()   # BART: x embed_scale
        dec = model.get_input_embeddings()(dec_ids).detach()
    entry, _ = forward_record(model, enc, mask, dec, labels)
    case = {"input_ids": itensor(ids), "decoder_input_ids": itensor(dec_ids), "inputs_embeds": ftensor(enc),
            "decoder_inputs_embeds": ftensor(dec), **entry}
    # The PEFT ENCODER prompt: [prompt; embeds] and ones in front of the encoder mask only.
    B = ids.shape[0]
    p_enc = torch.cat([prompt.unsqueeze(0).expand(B, -1, -1), enc], dim=1)
    p_mask = torch.cat([torch.ones(B, VIRTUAL, dtype=torch.long), mask], dim=1)
    p_entry, grad = forward_record(load(out_dir), p_enc, p_mask, dec, labels)
    d_prompt = grad[:, :VIRTUAL].sum(0)
    p_entry["d_prompt"] = ftensor(d_prompt)
    # PEFT itself on token ids: same loss and prompt gradient.
    pm = get_peft_model(load(out_dir), pcfg)
    with torch.no_grad():
        pm.prompt_encoder["default"].embedding.weight.copy_(prompt)
    out = pm(input_ids=ids, attention_mask=mask, labels=labels)
    out.loss.backward()
    g = pm.prompt_encoder["default"].embedding.weight.grad
    assert abs(out.loss.item() - p_entry["loss"]) < 1e-5 * max(1.0, p_entry["loss"]), (out.loss.item(), p_entry["loss"])
    err = (g - d_prompt).abs().max().item() / max(1e-6, d_prompt.abs().max().item())
    assert err < 1e-4, f"PEFT prompt gradient differs: rel {err}"
    case["prompt"] = p_entry
    # ENCODER+DECODER (num_transformer_submodules 2), as PEFT's generic seq2seq branch builds it:
    # prompt rows [:n] before the encoder input, rows [n:] before embed(shift_right(labels)), and
    # labels with n x -100 in front. PEFT's PROMPT_TUNING branch never does this, so it is written here.
    g2 = torch.Generator().manual_seed(seed + 3)
    prompt2 = torch.randn((2 * VIRTUAL, C), generator=g2)
    P = prompt2.clone().requires_grad_(True)
    e_in = torch.cat([P[:VIRTUAL].unsqueeze(0).expand(B, -1, -1), enc], dim=1)
    d_in = torch.cat([P[VIRTUAL:].unsqueeze(0).expand(B, -1, -1), dec], dim=1)
    l2 = torch.cat([torch.full((B, VIRTUAL), -100, dtype=torch.long), labels], dim=1)
    out = load(out_dir)(inputs_embeds=e_in, attention_mask=p_mask, decoder_inputs_embeds=d_in, labels=l2, use_cache=False)
    out.loss.backward()
    case["encoder_decoder_prompt"] = {"prompt_embeddings": ftensor(prompt2), "labels": itensor(l2),
                                      "loss": f32(out.loss.item()), "d_prompt": ftensor(P.grad)}
    # DECODER only: the same decoder half, the encoder input untouched.
    P = prompt2[VIRTUAL:].clone().requires_grad_(True)
    d_in = torch.cat([P.unsqueeze(0).expand(B, -1, -1), dec], dim=1)
    out = load(out_dir)(inputs_embeds=enc, attention_mask=mask, decoder_inputs_embeds=d_in, labels=l2, use_cache=False)
    out.loss.backward()
    case["decoder_prompt"] = {"prompt_embeddings": ftensor(prompt2[VIRTUAL:]), "labels": itensor(l2),
                              "loss": f32(out.loss.item()), "d_prompt": ftensor(P.grad)}

    g_ids = torch.randint(3, VOCAB, (1, GEN_SOURCE), generator=gen)
    new, gap = greedy(load(out_dir), g_ids, cfg)
    pm = get_peft_model(load(out_dir), pcfg)
    with torch.no_grad():
        pm.prompt_encoder["default"].embedding.weight.copy_(prompt)
    pm.eval()
    gc = GenerationConfig(max_new_tokens=MAX_NEW, do_sample=False, num_beams=1,
                          decoder_start_token_id=cfg.decoder_start_token_id, eos_token_id=None,
                          pad_token_id=cfg.pad_token_id, forced_bos_token_id=None, forced_eos_token_id=None)
    with torch.no_grad():
        p_seq = pm.generate(input_ids=g_ids, attention_mask=torch.ones_like(g_ids), generation_config=gc)
    p_new = [int(v) for v in p_seq[0].tolist()[1:]]
    generation = {"input_ids": itensor(g_ids), "max_new_tokens": MAX_NEW,
                  "decoder_start_token_id": cfg.decoder_start_token_id, "new_ids": new, "min_top2_gap": gap,
                  "prompt_new_ids": p_new}
    golden = {
        "format": "softprompt-seq2seq-golden-v1", "name": name, "model_type": cfg.model_type,
        "description": description, "seed": seed,
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "vocab_size": cfg.vocab_size, "embed_dim": C, "num_virtual_tokens": VIRTUAL,
        "pad_token_id": cfg.pad_token_id, "decoder_start_token_id": cfg.decoder_start_token_id,
        "prompt_embeddings": ftensor(prompt), "case": case, "generation": generation,
    }
    write_json(os.path.join(out_dir, "golden.json"), golden)
    print(f"{name:10s} {dir_bytes(out_dir) / 1e3:7.1f} kB  loss {case['loss']:.4f} prompt {p_entry['loss']:.4f}"
          f"  gen {new} peft {p_new} gap {gap:.3g}")
    return {"name": name, "model_type": cfg.model_type, "description": description}


def main():
    build_fixture_models(__doc__, FIXTURES, SPECS, build_one, seed_base=2000)


if __name__ == "__main__":
    main()
