"""Goldens for caikit-nlp's tiny test models (scripts/fetch_caikit_fixtures.sh puts them in the cache).

BloomForCausalLM (tokenizer.json + pytorch_model.bin, float32): the tokenizer's ids for a few
prompts, transformers' greedy continuation (8 new tokens, eos 2) with each new token's log
probability, and the log probability of every input token given the ones before; the tensor count and a
checksum (sum of float64 values) of a few tensors. T5ForConditionalGeneration: every tensor's
name and shape as torch.load(weights_only=True) reads them, and the same checksums.

Re-run:  scripts/fetch_caikit_fixtures.sh && py=$(SOFTPROMPT_REF_VENV=/root/venv-ref scripts/reference/setup_venv.sh)
         $py scripts/reference/caikit_tiny_goldens.py
Pinned:  torch 2.13.0+cpu, transformers 5.23.0 (see setup_venv.sh). Deterministic (greedy, float32).
Writes:  Tests/SPGenerationTests/Fixtures/caikit_tiny.json
"""
import json
import os
import pathlib

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

torch.set_num_threads(1)
cache = pathlib.Path(os.environ.get("SOFTPROMPT_CACHE", pathlib.Path.home() / ".cache/softprompt")) / "caikit-tiny"
out = pathlib.Path(__file__).resolve().parents[2] / "Tests/SPGenerationTests/Fixtures/caikit_tiny.json"


def checksums(sd, names):
    return {n: float(sd[n].double().sum()) for n in names}


bloom_dir = cache / "BloomForCausalLM"
tok = AutoTokenizer.from_pretrained(bloom_dir)
model = AutoModelForCausalLM.from_pretrained(bloom_dir, torch_dtype=torch.float32).eval()
sd = torch.load(bloom_dir / "pytorch_model.bin", weights_only=True)
greedy = []
for text in ["Hello world", "The quick brown fox jumps over", "caikit"]:
    ids = tok(text, add_special_tokens=True)["input_ids"]
    with torch.no_grad():
        gen = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                             do_sample=False, max_new_tokens=8, eos_token_id=2, pad_token_id=3,
                             output_scores=True, return_dict_in_generate=True)
        lp = torch.log_softmax(model(torch.tensor([ids])).logits[0].double(), -1)
    new = gen.sequences[0, len(ids):].tolist()
    new_lp = [float(torch.log_softmax(s[0].double(), -1)[t]) for s, t in zip(gen.scores, new)]
    greedy.append({"text": text, "prompt_ids": ids, "new_ids": new, "new_logprobs": new_lp,
                   # log p(ids[i] | ids[:i]) for i >= 1 (caikit's input_tokens logprobs)
                   "input_logprobs": [float(lp[i - 1, ids[i]]) for i in range(1, len(ids))],
                   "new_text": tok.decode(new, skip_special_tokens=True)})

t5_sd = torch.load(cache / "T5ForConditionalGeneration/pytorch_model.bin", weights_only=True)
golden = {
    "transformers": __import__("transformers").__version__, "torch": torch.__version__,
    "bloom": {"tensor_count": len(sd), "greedy": greedy,
              "checksums": checksums(sd, ["transformer.word_embeddings.weight", "transformer.h.0.self_attention.query_key_value.weight",
                                          "transformer.ln_f.bias"])},
    "t5": {"tensors": {k: list(v.shape) for k, v in t5_sd.items()},
           "dtypes": sorted({str(v.dtype) for v in t5_sd.values()}),
           "checksums": checksums(t5_sd, ["shared.weight", "encoder.block.0.layer.0.SelfAttention.q.weight"])},
}
out.write_text(json.dumps(golden, indent=1) + "\n")
print("wrote", out)
