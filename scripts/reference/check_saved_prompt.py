"""Checks a prompt directory saved by SoftPrompt with the Python reference stack.

  torch.load(decoder.pt / encoder.pt) gives the saved tensor (shape, dtype = trained_torch_dtype);
  config.yml (PyYAML) has exactly caikit-nlp's keys (spec §1.12);
  training_logs.jsonl lines have caikit's shape;
  with has_base_model: PeftConfig.from_pretrained reads <base_model_name>/adapter_config.json, the
  tensor in adapter_model.safetensors equals the .pt prompt, and with --tiny-base a random base model
  of the adapter's size is built and PeftModel.from_pretrained loads the adapter into it.

Usage:   py=$(scripts/reference/setup_venv.sh) && $py scripts/reference/check_saved_prompt.py DIR [--tiny-base]
         (make a sample DIR with: SOFTPROMPT_SAVED_PROMPT_OUT=DIR swift test --filter SavedPromptTests)
Pinned:  torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2, safetensors 0.8.0 (see setup_venv.sh).
"""
import json
import pathlib
import sys
import tempfile

import torch
import yaml
from peft import PeftConfig, PeftModel
from safetensors.torch import load_file

KEYS = {"caikit_nlp_version", "created", "saved", "name", "tracking_id", "module_id", "module_class", "version",
        "base_model_config", "base_model_name", "eos_token", "has_base_model", "verbalizer", "tuning_type",
        "task_type", "trained_torch_dtype", "output_model_types", "ENCODER", "DECODER", "training_logs"}


def main(d: pathlib.Path, tiny_base: bool) -> None:
    cfg = yaml.safe_load((d / "config.yml").read_text())
    want = KEYS | ({"full_model_path", "tokenizer_path"} if cfg["has_base_model"] else set())
    want |= {"softprompt_base_model_path"} & set(cfg)   # softprompt train records the base model's path
    assert set(cfg) == want, f"config.yml keys differ: extra {set(cfg) - want}, missing {want - set(cfg)}"
    assert cfg["module_id"] == "6655831b-960a-4dc5-8df4-867026e2cd41" and cfg["name"] == "Peft generation"
    types = json.loads(cfg["output_model_types"])
    dtype = getattr(torch, cfg["trained_torch_dtype"])
    prompts = {}
    for key in ("ENCODER", "DECODER"):
        if cfg[key]:
            assert key in types, f"{key} file saved but not in output_model_types {types}"
            t = torch.load(d / cfg[key], weights_only=True)
            assert isinstance(t, torch.Tensor) and t.dim() == 2 and t.dtype == dtype, (t.shape, t.dtype)
            prompts[key] = t
            print(f"torch.load({cfg[key]}): shape {tuple(t.shape)} dtype {t.dtype} OK")
    assert prompts, "no prompt file"
    for n, line in enumerate((d / cfg["training_logs"]).read_text().splitlines()):
        rec = json.loads(line)
        assert rec["name"] == "loss" and list(rec["data"]) == ["epoch", "step", "value", "timestamp"], f"line {n + 1}"
    print(f"training_logs.jsonl: {n + 1} lines OK")
    if cfg["has_base_model"]:
        sub = d / cfg["full_model_path"]
        pc = PeftConfig.from_pretrained(sub)
        assert pc.peft_type.value == cfg["tuning_type"] and pc.task_type == cfg["task_type"], (pc.peft_type, pc.task_type)
        emb = load_file(sub / "adapter_model.safetensors")["prompt_embeddings"]
        n = pc.num_virtual_tokens
        for k, key in enumerate(t for t in ("ENCODER", "DECODER") if t in prompts):
            assert torch.equal(emb[k * n:(k + 1) * n], prompts[key]), f"{key} prompt differs from prompt_embeddings"
        print(f"PeftConfig.from_pretrained: {pc.peft_type.value} {pc.task_type} n={n} dim={pc.token_dim}; "
              f"safetensors prompt_embeddings == .pt prompt OK")
        if tiny_base:
            from transformers import GPT2Config, GPT2LMHeadModel
            assert pc.task_type == "CAUSAL_LM", "--tiny-base builds a causal LM only"
            base = GPT2LMHeadModel(GPT2Config(n_embd=pc.token_dim, n_layer=pc.num_layers, n_head=pc.num_attention_heads,
                                              vocab_size=64, n_positions=64))
            with tempfile.TemporaryDirectory() as tmp:
                model = PeftModel.from_pretrained(base, sub)
                w = model.prompt_encoder["default"].embedding.weight.detach()
                assert torch.equal(w.to(emb.dtype), emb), "PeftModel did not load our prompt_embeddings"
                out = model(input_ids=torch.tensor([[1, 2, 3]]))
                assert out.logits.shape[1] == 3 + n
            print("PeftModel.from_pretrained on a tiny GPT-2: embedding loaded, forward OK")
    print(f"{d}: OK")


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]), "--tiny-base" in sys.argv[2:])
