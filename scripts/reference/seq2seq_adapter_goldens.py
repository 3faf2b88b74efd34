"""Greedy ids of SoftPrompt-trained seq2seq PEFT adapters, computed by PEFT on the tiny T5 fixture.

  ENCODER adapter (num_transformer_submodules 1): PeftModel.from_pretrained + generate — PEFT's own
  generation path, so the adapter SoftPrompt writes is checked to load and run in PEFT.
  ENCODER+DECODER adapter (2 submodules): PEFT's generate drops the decoder half, so the ids are
  PEFT's training forward (prompt halves in front of the encoder and the decoder inputs) run greedily
  step by step — what SoftPrompt's generation does.

Usage:
  softprompt train --base-model <tiny-t5 with tokenizer> ... --output E            (ENCODER)
  softprompt train ... --output-model-types ENCODER DECODER --output ED
  py=$(scripts/reference/setup_venv.sh) && $py scripts/reference/seq2seq_adapter_goldens.py E/tiny-t5 ED/tiny-t5
  → Tests/SPGenerationTests/Fixtures/seq2seq_adapters/{encoder,encoder_decoder}/ and golden.json
Pinned:  torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2 (see setup_venv.sh).
"""
import json
import pathlib
import shutil
import sys

import torch
from peft import PeftModel
from transformers import T5ForConditionalGeneration

ROOT = pathlib.Path(__file__).resolve().parents[2]
BASE = ROOT / "Tests/SPModelsTests/Fixtures/seq2seq/t5"
OUT = ROOT / "Tests/SPGenerationTests/Fixtures/seq2seq_adapters"
INPUTS = [[10, 20, 30, 1], [5, 6, 7, 8, 9, 1], [33, 44, 1], [60, 3, 1]]
NEW = 8


def peft_generate(adapter: pathlib.Path) -> list:
    pm = PeftModel.from_pretrained(T5ForConditionalGeneration.from_pretrained(BASE), adapter).eval()
    out = []
    with torch.no_grad():
        for ids in INPUTS:
            x = torch.tensor([ids])
            g = pm.generate(input_ids=x, attention_mask=torch.ones_like(x), max_new_tokens=NEW, do_sample=False,
                            num_beams=1, eos_token_id=None)
            out.append(g[0, 1:].tolist())   # drop decoder_start_token_id
    return out


def forward_greedy(adapter: pathlib.Path) -> list:
    m = T5ForConditionalGeneration.from_pretrained(BASE).eval()
    pm = PeftModel.from_pretrained(m, adapter).eval()
    p = pm.peft_config["default"].num_virtual_tokens
    prompt = pm.get_prompt_embedding_to_save("default")
    emb = m.get_input_embeddings()
    out = []
    with torch.no_grad():
        for ids in INPUTS:
            enc = torch.cat([prompt[:p][None], emb(torch.tensor([ids]))], 1)
            dec, new = [m.config.decoder_start_token_id], []
            for _ in range(NEW):
                d = torch.cat([prompt[p:][None], emb(torch.tensor([dec]))], 1)
                t = int(m(inputs_embeds=enc, decoder_inputs_embeds=d).logits[0, -1].argmax())
                new.append(t)
                dec.append(t)
            out.append(new)
    return out


def copy(adapter: pathlib.Path, name: str) -> None:
    dst = OUT / name
    dst.mkdir(parents=True, exist_ok=True)
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    cfg["base_model_name_or_path"] = cfg["tokenizer_name_or_path"] = "tiny-t5"
    (dst / "adapter_config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    shutil.copy(adapter / "adapter_model.safetensors", dst / "adapter_model.safetensors")


def main(encoder: pathlib.Path, both: pathlib.Path) -> None:
    copy(encoder, "encoder")
    copy(both, "encoder_decoder")
    golden = {"inputs": INPUTS, "max_new_tokens": NEW,
              "encoder": peft_generate(OUT / "encoder"), "encoder_decoder": forward_greedy(OUT / "encoder_decoder")}
    (OUT / "golden.json").write_text(json.dumps(golden, indent=1) + "\n")
    print(json.dumps(golden))


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]))
