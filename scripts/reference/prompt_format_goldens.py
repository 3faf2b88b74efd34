"""Reference PEFT adapters for Sources/SPPrompt (Safetensors.swift, AdapterConfig.swift).

Builds tiny random models from configs (no download), wraps them with peft.get_peft_model exactly
as caikit-nlp configures it (tokenizer_name_or_path = the base model path, num_transformer_submodules
from the output model types), and saves with PeftModel.save_pretrained. Committed per case:
adapter_config.json and adapter_model.safetensors, byte for byte as PEFT wrote them, plus a
bfloat16 single-tensor safetensors file written by safetensors.torch.save_file.

Cases: causal PROMPT_TUNING RANDOM (tiny GPT-2), causal PROMPT_TUNING TEXT (tiny GPT-2 with a
word-level tokenizer saved beside it), seq2seq PROMPT_TUNING (tiny T5, ENCODER only), causal
MULTITASK_PROMPT_TUNING RANDOM (three tensors).

Re-run:  py=$(scripts/reference/setup_venv.sh) && $py scripts/reference/prompt_format_goldens.py
Pinned:  torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2, safetensors 0.8.0 (setup_venv.sh).
Writes:  Tests/SPTuningTests/Fixtures/peft/<case>/{adapter_config.json,adapter_model.safetensors}
"""
import os
import pathlib
import shutil
import tempfile

import torch
from peft import (MultitaskPromptTuningConfig, PromptTuningConfig, TaskType, get_peft_model)
from safetensors.torch import save_file
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import (GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast, T5Config,
                          T5ForConditionalGeneration)

torch.manual_seed(11)
out = pathlib.Path(__file__).resolve().parents[2] / "Tests/SPTuningTests/Fixtures/peft"
work = pathlib.Path(tempfile.mkdtemp())
os.chdir(work)  # relative model paths, as caikit's base_model strings usually are


def gpt2(path):
    m = GPT2LMHeadModel(GPT2Config(n_embd=16, n_layer=2, n_head=2, vocab_size=32, n_positions=64,
                                   bos_token_id=1, eos_token_id=2))
    m.save_pretrained(path)
    m = GPT2LMHeadModel.from_pretrained(path)  # as caikit loads it: name_or_path = the path
    t = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(
        "<pad> <s> </s> <unk> classify the tweet complaint".split())}, unk_token="<unk>"))
    t.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=t, unk_token="<unk>", eos_token="</s>").save_pretrained(path)
    return m


def save(name, model, config):
    pm = get_peft_model(model, config)
    d = out / name
    shutil.rmtree(d, ignore_errors=True)
    pm.save_pretrained(work / name)
    d.mkdir(parents=True)
    for f in ("adapter_config.json", "adapter_model.safetensors"):
        shutil.copy(work / name / f, d / f)


base = "models/tiny-gpt2"
save("causal_pt_random", gpt2(base), PromptTuningConfig(
    task_type=TaskType.CAUSAL_LM, num_virtual_tokens=4, tokenizer_name_or_path=base,
    num_transformer_submodules=1, prompt_tuning_init="RANDOM"))
save("causal_pt_text", gpt2(base), PromptTuningConfig(
    task_type=TaskType.CAUSAL_LM, num_virtual_tokens=3, tokenizer_name_or_path=base,
    num_transformer_submodules=1, prompt_tuning_init="TEXT", prompt_tuning_init_text="classify the tweet"))

t5 = T5ForConditionalGeneration(T5Config(d_model=8, d_kv=4, d_ff=16, num_layers=1, num_heads=2, vocab_size=32))
t5.save_pretrained("google/flan-t5-small")
t5 = T5ForConditionalGeneration.from_pretrained("google/flan-t5-small")
save("seq2seq_pt_random", t5, PromptTuningConfig(
    task_type=TaskType.SEQ_2_SEQ_LM, num_virtual_tokens=5, tokenizer_name_or_path="google/flan-t5-small",
    num_transformer_submodules=1, prompt_tuning_init="RANDOM"))

save("causal_mpt_random", gpt2(base), MultitaskPromptTuningConfig(
    task_type=TaskType.CAUSAL_LM, num_virtual_tokens=4, tokenizer_name_or_path=base,
    num_transformer_submodules=1, prompt_tuning_init="RANDOM"))

(out / "bf16").mkdir(exist_ok=True)
save_file({"prompt_embeddings": torch.randn(3, 5).to(torch.bfloat16)}, out / "bf16/prompt_bf16.safetensors",
          metadata={"format": "pt"})
shutil.rmtree(work)
print(f"wrote {sorted(p.name for p in out.iterdir())}")
