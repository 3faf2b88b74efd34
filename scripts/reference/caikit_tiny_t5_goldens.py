#!/usr/bin/env python3
"""caikit-nlp's tiny T5ForConditionalGeneration (scripts/fetch_caikit_fixtures.sh caches it; only
pytorch_model.bin) prompt-tuned with PEFT the way `softprompt train` runs caikit's loop, then greedy
generation with the trained prompt.

Training: PEFT PROMPT_TUNING SEQ_2_SEQ_LM, 4 virtual tokens, TEXT init ("classify the sentiment"
through PEFT's own init: tokenizer ids, repeated or cut to 4), num_transformer_submodules 1
(caikit's ENCODER); caikit's seq2seq examples (input ids = tokenizer(input), labels =
tokenizer(output), both with the tokenizer's </s>), the four records in ONE micro-batch per epoch
(batch_size 4, accumulate_steps 1, so the shuffle order cannot matter), dynamic padding (source pad 0,
mask 0; labels -100), torch AdamW (weight decay 0.01), get_linear_schedule_with_warmup(0 warm-up,
3 steps), 3 epochs, lr 0.05. Dropout is off (the model's config says 0.1; SoftPrompt has none, and
with it PyTorch's run is not reproducible).
Generation: PEFT's `generate` with the trained prompt, greedy, max_new_tokens 8, eos 1, for three
inputs; `min_top2_gap` is the smallest top-1 minus top-2 logit over the steps, to show that the
greedy ids are not a coin toss between near-equal logits.

Re-run:  scripts/fetch_caikit_fixtures.sh && SOFTPROMPT_REF_VENV=/root/venv-ref /root/venv-ref/bin/python \
           scripts/reference/caikit_tiny_t5_goldens.py && scripts/update_fixture_manifest.sh
Pinned:  torch 2.13.0+cpu, transformers 5.23.0, peft 0.21.2 (see setup_venv.sh). Deterministic.
Writes:  Tests/SPGenerationTests/Fixtures/caikit_tiny_t5.json
"""
import os
import pathlib
import sys

import torch
import transformers
from peft import PromptTuningConfig, PromptTuningInit, TaskType, get_peft_model
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, get_linear_schedule_with_warmup

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_util import f32, ftensor, write_json  # noqa: E402

CACHE = pathlib.Path(os.environ.get("SOFTPROMPT_CACHE", pathlib.Path.home() / ".cache/softprompt"))
MODEL = CACHE / "caikit-tiny/T5ForConditionalGeneration"
OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests/SPGenerationTests/Fixtures/caikit_tiny_t5.json"
RECORDS = [("I loved this film", "positive"), ("terrible acting", "negative"),
           ("a fine day", "positive"), ("never again", "negative")]
PROMPTS = ["I loved this film", "what a waste of time", "caikit"]
INIT_TEXT, VIRTUAL, EPOCHS, LR, NEW = "classify the sentiment", 4, 3, 0.05, 8


def main():
    torch.manual_seed(0)
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    tok = AutoTokenizer.from_pretrained(MODEL)
    model = AutoModelForSeq2SeqLM.from_pretrained(MODEL, dtype=torch.float32, dropout_rate=0.0,
                                                  attn_implementation="eager")
    pm = get_peft_model(model, PromptTuningConfig(
        task_type=TaskType.SEQ_2_SEQ_LM, num_virtual_tokens=VIRTUAL, prompt_tuning_init=PromptTuningInit.TEXT,
        prompt_tuning_init_text=INIT_TEXT, tokenizer_name_or_path=str(MODEL), num_transformer_submodules=1))
    init = pm.prompt_encoder["default"].embedding.weight.detach().clone()
    examples = [{"input_ids": tok(i)["input_ids"], "labels": tok(o)["input_ids"]} for i, o in RECORDS]
    n = max(len(e["input_ids"]) for e in examples)
    m = max(len(e["labels"]) for e in examples)
    ids = torch.tensor([e["input_ids"] + [0] * (n - len(e["input_ids"])) for e in examples])
    mask = torch.tensor([[1] * len(e["input_ids"]) + [0] * (n - len(e["input_ids"])) for e in examples])
    labels = torch.tensor([e["labels"] + [-100] * (m - len(e["labels"])) for e in examples])
    opt = torch.optim.AdamW([p for p in pm.parameters() if p.requires_grad], lr=LR)
    sched = get_linear_schedule_with_warmup(opt, num_warmup_steps=0, num_training_steps=EPOCHS)
    pm.train()
    losses = []
    for _ in range(EPOCHS):
        loss = pm(input_ids=ids, attention_mask=mask, labels=labels).loss
        losses.append(f32(loss.item()))
        loss.backward()
        opt.step()
        sched.step()
        opt.zero_grad()
    pm.eval()
    generated = []
    for text in PROMPTS:
        enc = tok(text, return_tensors="pt")
        with torch.no_grad():
            out = pm.generate(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], do_sample=False,
                              max_new_tokens=NEW, eos_token_id=1, pad_token_id=0, output_scores=True,
                              return_dict_in_generate=True)
        new = out.sequences[0, 1:].tolist()  # after the decoder start token
        gap = min(float(s[0].topk(2).values[0] - s[0].topk(2).values[1]) for s in out.scores)
        generated.append({"text": text, "input_ids": enc["input_ids"][0].tolist(), "new_ids": new,
                          "min_top2_gap": gap})
        print(text, new, "min top-2 gap", gap)
    write_json(OUT, {
        "format": "softprompt-caikit-tiny-t5-v1", "versions": {
            "torch": torch.__version__, "transformers": transformers.__version__,
            "peft": __import__("peft").__version__},
        "records": [{"input": i, "output": o} for i, o in RECORDS], "examples": examples,
        "init_text": INIT_TEXT, "num_virtual_tokens": VIRTUAL, "num_epochs": EPOCHS, "batch_size": len(RECORDS),
        "learning_rate": LR, "max_new_tokens": NEW, "init_prompt": ftensor(init), "epoch_losses": losses,
        "final_prompt": ftensor(pm.prompt_encoder["default"].embedding.weight), "generated": generated})
    print("losses", losses)


if __name__ == "__main__":
    main()
