"""PEFT interop, both ways, on the tiny causal-LM fixtures (run by scripts/test.sh).

  softprompt → PEFT: `softprompt train` a 4-token prompt on a tiny model; torch.load(decoder.pt)
      gives the trained prompt, PeftModel.from_pretrained loads the adapter next to it (the same
      tensor), and PEFT's greedy ids, and an uncached greedy loop on [decoder.pt; embed(ids)],
      equal `softprompt generate --ids`.
  PEFT → softprompt: PEFT trains a prompt (AdamW, a few steps) and saves it with save_pretrained;
      `softprompt generate --model <adapter> --base-model <tiny model> --ids` gives PEFT's greedy ids.
  Multitask prompt tuning, both ways and every init method from a source prompt: interop_mpt.py.

Each check prints PASS/FAIL with its name; the last line is "N passed, M failed"; the exit status is
1 when any failed. Pinned: torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2 (setup_venv.sh).

Usage:  py=$(scripts/reference/setup_venv.sh)
        $py scripts/reference/interop_check.py --softprompt .build/release/softprompt [--keep DIR]
"""
import argparse
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import traceback
import warnings

import torch
import yaml
from peft import PeftModel, PromptTuningConfig, PromptTuningInit, TaskType, get_peft_model
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM
from transformers.utils import logging as transformers_logging

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import interop_mpt  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "Tests" / "SPModelsTests" / "Fixtures"
MODELS = ["gpt2", "llama"]          # tied / untied head, MHA / GQA, learned positions / RoPE
INPUTS = [[12, 13, 14], [20, 7, 33, 41, 5]]
NEW_TOKENS = 8
VIRTUAL = 4

results = []


def check(name, fn):
    try:
        fn()
        results.append((name, None))
        print(f"PASS {name}", flush=True)
    except Exception as e:  # every failure is reported, the run goes on
        msg = f"{type(e).__name__}: {e}"
        results.append((name, msg))
        print(f"FAIL {name}: {msg}", flush=True)
        if os.environ.get("SOFTPROMPT_INTEROP_TRACE"):
            traceback.print_exc()


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args[:2]))} exited {p.returncode}: {p.stderr.strip()[-800:]}")
    return p.stdout


def tiny_model(name, dst):
    """The fixture model with a word-level tokenizer: token i is "w<i>", the eos id is "<eos>"."""
    dst.mkdir(parents=True)
    for f in ["config.json", "generation_config.json", "model.safetensors"]:
        shutil.copy(FIXTURES / name / f, dst / f)
    cfg = json.loads((dst / "config.json").read_text())
    vocab, eos = cfg["vocab_size"], cfg["eos_token_id"]
    words = {("<eos>" if i == eos else f"w{i}"): i for i in range(vocab)}
    tok = {"version": "1.0", "truncation": None, "padding": None,
           "added_tokens": [{"id": eos, "content": "<eos>", "single_word": False, "lstrip": False, "rstrip": False,
                             "normalized": False, "special": True}],
           "normalizer": None, "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": None, "decoder": None,
           "model": {"type": "WordLevel", "vocab": words, "unk_token": "w0"}}
    (dst / "tokenizer.json").write_text(json.dumps(tok))
    (dst / "tokenizer_config.json").write_text(json.dumps({"eos_token": "<eos>", "pad_token": "<eos>"}))
    return dst


def load_base(path):
    m = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32, attn_implementation="eager")
    m.eval()
    return m


def peft_greedy(model, ids):
    """PEFT's generate, greedy; returns the new ids and the smallest top-1 minus top-2 logit gap."""
    x = torch.tensor([ids])
    with torch.no_grad():
        out = model.generate(input_ids=x, attention_mask=torch.ones_like(x), max_new_tokens=NEW_TOKENS,
                             do_sample=False, output_scores=True, return_dict_in_generate=True)
    new = out.sequences[0, len(ids):].tolist()
    gap = min((s[0].topk(2).values[0] - s[0].topk(2).values[1]).item() for s in out.scores)
    return new, gap


def manual_greedy(base, prompt, ids, eos):
    """Uncached greedy decoding on [prompt; embed(ids + generated)] (what PEFT does, by hand)."""
    emb = base.get_input_embeddings()
    seq, new = list(ids), []
    with torch.no_grad():
        for _ in range(NEW_TOKENS):
            x = torch.cat([prompt.to(torch.float32), emb(torch.tensor(seq))])[None]
            nxt = int(base(inputs_embeds=x, attention_mask=torch.ones(x.shape[:2], dtype=torch.long)).logits[0, -1].argmax())
            new.append(nxt)
            seq.append(nxt)
            if nxt == eos:
                break
    return new


def ours(binary, model_args, ids):
    out = run([binary, "generate", *model_args, "--json", "--max-new-tokens", str(NEW_TOKENS), "--ids",
               ",".join(map(str, ids))])
    return json.loads(out.splitlines()[0])["new_ids"]


def same(label, got, want, gap):
    if got != want:
        raise AssertionError(f"{label}: SoftPrompt {got} vs {want} (smallest top-2 logit gap {gap:.4g})")


def softprompt_to_peft(binary, work, name):
    base_dir = tiny_model(name, work / f"{name}-base")
    data = work / f"{name}-train.jsonl"
    data.write_text("\n".join(json.dumps({"input": f"w{10 + i} w{11 + i} w{12 + i}", "output": f"w{30 + i % 3}"})
                              for i in range(8)) + "\n")
    out = work / f"{name}-prompt"
    run([binary, "train", "--base-model", str(base_dir), "--train-data", str(data), "--output", str(out),
         "--num-virtual-tokens", str(VIRTUAL), "--init-method", "TEXT", "--init-text", "w5 w6 w7 w8",
         "--num-epochs", "3", "--batch-size", "2", "--accumulate-steps", "1", "--lr", "0.05",
         "--verbalizer", "{{input}}", "--silence-progress-bars"])
    cfg = yaml.safe_load((out / "config.yml").read_text())
    decoder = torch.load(out / cfg["DECODER"], weights_only=True)
    assert decoder.shape == (VIRTUAL, load_base(base_dir).get_input_embeddings().weight.shape[1]), decoder.shape
    adapter = out / cfg["full_model_path"]
    base = load_base(base_dir)
    init = base.get_input_embeddings().weight[[5, 6, 7, 8]].detach()
    assert not torch.equal(decoder.to(torch.float32), init), "the saved prompt is still the TEXT init: nothing trained"
    model = PeftModel.from_pretrained(load_base(base_dir), adapter)
    model.eval()
    loaded = model.prompt_encoder["default"].embedding.weight.detach()
    assert torch.equal(loaded.to(decoder.dtype), decoder), "PeftModel's prompt differs from torch.load(decoder.pt)"
    assert torch.equal(load_file(adapter / "adapter_model.safetensors")["prompt_embeddings"].to(decoder.dtype), decoder)
    eos = json.loads((base_dir / "generation_config.json").read_text())["eos_token_id"]
    for ids in INPUTS:
        want, gap = peft_greedy(model, ids)
        assert len(want) > 0, "PEFT generated nothing"
        by_hand = manual_greedy(base, decoder, ids, eos)
        assert by_hand == want, f"greedy on torch.load(decoder.pt) {by_hand} vs PEFT {want}"
        same(f"{name} {ids}", ours(binary, ["--model", str(out), "--base-model", str(base_dir)], ids), want, gap)


def peft_to_softprompt(binary, work, name):
    base_dir = tiny_model(name, work / f"{name}-peft-base")
    torch.manual_seed(7)
    model = get_peft_model(load_base(base_dir), PromptTuningConfig(
        task_type=TaskType.CAUSAL_LM, num_virtual_tokens=VIRTUAL, prompt_tuning_init=PromptTuningInit.RANDOM))
    before = model.prompt_encoder["default"].embedding.weight.detach().clone()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=0.05)
    model.train()
    rows = [[10 + i, 11 + i, 12 + i, 30 + i % 3] for i in range(8)]
    for step in range(6):
        batch = torch.tensor(rows[(2 * step) % 8:(2 * step) % 8 + 2])
        loss = model(input_ids=batch, attention_mask=torch.ones_like(batch), labels=batch).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
    model.eval()
    assert not torch.equal(model.prompt_encoder["default"].embedding.weight.detach(), before), "PEFT did not train"
    adapter = work / f"{name}-peft-adapter"
    model.save_pretrained(adapter)
    reloaded = PeftModel.from_pretrained(load_base(base_dir), adapter)
    reloaded.eval()
    for ids in INPUTS:
        want, gap = peft_greedy(reloaded, ids)
        assert len(want) > 0, "PEFT generated nothing"
        same(f"{name} {ids}", ours(binary, ["--model", str(adapter), "--base-model", str(base_dir)], ids), want, gap)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--softprompt", required=True, help="the built softprompt binary")
    ap.add_argument("--keep", help="write the work files here (kept) instead of a temporary directory")
    a = ap.parse_args()
    binary = str(pathlib.Path(a.softprompt).resolve())
    if not os.access(binary, os.X_OK):
        sys.exit(f"interop_check: {binary} is not an executable; build it first")
    transformers_logging.set_verbosity_error()
    transformers_logging.disable_progress_bar()
    warnings.filterwarnings("ignore")  # PEFT's "position ids are not supported", deprecations
    torch.set_num_threads(1)
    if a.keep and pathlib.Path(a.keep).exists():
        sys.exit(f"interop_check: --keep {a.keep} exists; give a new directory")
    tmp = None if a.keep else tempfile.TemporaryDirectory(prefix="softprompt-interop-")
    work = pathlib.Path(a.keep or tmp.name)
    work.mkdir(parents=True, exist_ok=True)
    try:
        for name in MODELS:
            check(f"softprompt train -> torch.load + PeftModel.from_pretrained greedy ids ({name})",
                  lambda: softprompt_to_peft(binary, work, name))
            check(f"PEFT-trained adapter -> softprompt generate greedy ids ({name})",
                  lambda: peft_to_softprompt(binary, work, name))
            for label, fn in interop_mpt.checks(sys.modules[__name__], binary, work, name):
                check(label, fn)
    finally:
        if tmp:
            tmp.cleanup()
    failed = sum(1 for _, e in results if e)
    print(f"interop: {len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
