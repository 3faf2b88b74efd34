"""Golden caikit-nlp example layouts for Sources/SPTuning/Batching/Examples.swift.

Three word-level HF tokenizers (tokenizers WordLevel + Whitespace pre-tokenizer, wrapped in
transformers' PreTrainedTokenizerFast) stand for the post-processor families that matter:
`bos_eos` (Llama-like "<s> $A </s>"), `eos_only` (T5-like "$A </s>") and `plain` (GPT-2-like, no
special tokens and no pad token, so caikit pads with EOS). For each case the script performs
caikit's steps with the real tokenizer calls:

causal (HFAutoCausalLM._causal_lm_padding_as_seq2seq):
    S = tok(source, truncation=True, max_length=max_source)["input_ids"]
    T = tok(target, truncation=True, max_length=max_target + 1)["input_ids"] + [eos]
    ids = S + T; labels = [-100]*len(S) + T; mask = [1]*len(ids)
    tok.pad({"input_ids": ids, "attention_mask": mask}, padding="max_length", max_length=L),
    labels padded with -100 on tok.padding_side, everything cut to [:L]
seq2seq (HFAutoSeq2SeqLM.tokenize_function):
    tok(source, max_length=max_source, padding="max_length", truncation=True)
    labels = tok(target, max_length=max_target, padding="max_length", truncation=True)["input_ids"]
    labels = [-100 if t == pad else t for t in labels]
padding_side follows caikit: "left" if "gpt", "opt" or "bloom" is in the model name, else "right".

Re-run:  py=$(scripts/reference/setup_venv.sh) && $py scripts/reference/label_goldens.py
Pinned:  transformers 5.23.0, tokenizers 0.23.3 (see setup_venv.sh).
Writes:  Tests/SPTuningTests/Fixtures/labels.json
"""
import json
import pathlib

from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import PreTrainedTokenizerFast

WORDS = "the cat sat on mat a dog ran far away yes no complaint tweet label text".split()
SPECIAL = ["<pad>", "<s>", "</s>", "<unk>"]
VOCAB = {w: i for i, w in enumerate(SPECIAL + WORDS)}


def make(kind, padding_side):
    t = Tokenizer(models.WordLevel(vocab=VOCAB, unk_token="<unk>"))
    t.pre_tokenizer = pre_tokenizers.Whitespace()
    kw = {"unk_token": "<unk>", "eos_token": "</s>", "bos_token": "<s>"}
    if kind == "bos_eos":
        t.post_processor = processors.TemplateProcessing(single="<s> $A </s>", special_tokens=[("<s>", 1), ("</s>", 2)])
        kw["pad_token"] = "<pad>"
    elif kind == "eos_only":
        t.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 2)])
        kw["pad_token"] = "<pad>"
    tok = PreTrainedTokenizerFast(tokenizer_object=t, padding_side=padding_side, **kw)
    if tok.pad_token_id is None:  # caikit's bootstrap
        tok.pad_token_id = tok.eos_token_id
    return tok


def side(model_name):
    return "left" if any(k in model_name for k in ("gpt", "opt", "bloom")) else "right"


def causal(tok, source, target, ms, mt):
    L = ms + mt + 1
    s = tok(source, truncation=True, max_length=ms)["input_ids"]
    t = tok(target, truncation=True, max_length=mt + 1)["input_ids"] + [tok.eos_token_id]
    ids, labels = s + t, [-100] * len(s) + t
    enc = tok.pad({"input_ids": ids, "attention_mask": [1] * len(ids)}, padding="max_length", max_length=L)
    fill = [-100] * (L - len(ids))
    labels = fill + labels if tok.padding_side == "left" else labels + fill
    return {"unpadded": {"input_ids": ids[:L], "labels": ([-100] * len(s) + t)[:L]},
            "padded": {"input_ids": enc["input_ids"][:L], "attention_mask": enc["attention_mask"][:L],
                       "labels": labels[:L]}}


def seq2seq(tok, source, target, ms, mt):
    enc = tok(source, max_length=ms, padding="max_length", truncation=True)
    lab = tok(target, max_length=mt, padding="max_length", truncation=True)["input_ids"]
    return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"],
            "labels": [-100 if x == tok.pad_token_id else x for x in lab]}


TEXTS = [
    ("the cat sat", "yes", 8, 4),
    ("the cat sat on the mat a dog ran far away", "no complaint", 5, 3),        # source truncated
    ("tweet text", "the dog ran far away on the mat", 6, 2),                    # target truncated
    ("the cat sat on the mat", "a dog ran far away", 3, 2),                     # both at max: EOS cut
    ("label", "", 4, 4),                                                        # empty target
    ("zebra cat", "unicorn", 4, 2),                                             # unknown words
]
MODELS = ["bigscience/bloom-560m", "meta-llama/Llama-3.2-1B", "GPT2-upper", "facebook/opt-125m"]
cases = []
for kind in ("bos_eos", "eos_only", "plain"):
    for model in MODELS:
        tok = make(kind, side(model))
        for source, target, ms, mt in TEXTS:
            cases.append({"tokenizer": kind, "model": model, "padding_side": tok.padding_side,
                          "source": source, "target": target, "max_source_length": ms, "max_target_length": mt,
                          "pad_token_id": tok.pad_token_id, "eos_token_id": tok.eos_token_id,
                          "causal": causal(tok, source, target, ms, mt),
                          "seq2seq": seq2seq(tok, source, target, ms, mt)})
path = pathlib.Path(__file__).resolve().parents[2] / "Tests/SPTuningTests/Fixtures/labels.json"
path.write_text(json.dumps({"vocab": SPECIAL + WORDS, "cases": cases}))
print(f"wrote {path} ({path.stat().st_size} bytes, {len(cases)} cases)")
