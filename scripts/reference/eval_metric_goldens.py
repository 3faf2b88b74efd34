"""Golden metric values for Sources/SPEval (Rouge.swift, ClassificationMetrics.swift).

520 seeded prediction/reference pairs (ASCII words, unicode letters and scripts, emoji, the Kelvin
sign and dotted capital I that lowercase to ASCII, digits, empty strings, punctuation-only and
whitespace-only strings, multi-line texts with "\n", "\r\n" and blank lines, repeated words,
near-copies of the reference) scored by:

- HF evaluate's "rouge" metric (rouge_score's RougeScorer through evaluate's _compute, defaults:
  use_stemmer=False, default tokenizer) with use_aggregator=False: per-pair F-measures of rouge1,
  rouge2, rougeL, rougeLsum. The aggregate is their mean; evaluate's default use_aggregator=True
  reports the median of an unseeded 1000-sample bootstrap of that mean instead (recorded here, with
  its distance from the mean, for information only).
- sklearn.metrics.accuracy_score and matthews_corrcoef on the raw strings (hundreds of labels), and
  on a label-like subset (labels "positive", "negative", "neutral", "", "Positive", "négatif").
- evaluate's "exact_match" with its defaults.

evaluate.load fetches the metric scripts from the Hugging Face Hub. Without Hub access, put
huggingface/evaluate's metrics/rouge/rouge.py and metrics/exact_match/exact_match.py under
$EVALUATE_METRICS_DIR/rouge/ and $EVALUATE_METRICS_DIR/exact_match/ (evaluate.load takes a local
module directory).

Re-run:  /root/venv-ref/bin/pip install evaluate rouge_score scikit-learn
         [EVALUATE_METRICS_DIR=DIR] /root/venv-ref/bin/python scripts/reference/eval_metric_goldens.py
Writes:  Tests/SPEvalTests/Fixtures/metric_goldens.json
"""
import json
import os
import pathlib
import random

import evaluate
import numpy as np
import importlib.metadata
import sklearn
from sklearn.metrics import accuracy_score, matthews_corrcoef

OUT = pathlib.Path(__file__).resolve().parents[2] / "Tests/SPEvalTests/Fixtures/metric_goldens.json"

WORDS = ("the cat sat on a mat dog ran far away yes no positive negative neutral tweet service was great "
         "terrible love hate 2024 42 covid-19 don't it's U.S.A e-mail").split()
UNICODE = ["café", "naïve", "über", "日本語", "テスト", "😀", "👍🏽", "Ünïcödé", "İstanbul", "\u212Aelvin", "ﬁne",
           "straße", "ΣΊΣΥΦΟΣ", "e\u0301clair", "\u00e9clair", "Ωmega", "x²", "١٢٣", "naïve—done", "\u00a0nbsp"]
PUNCT = ["...", "!!!", "?", "—", "--", "(", ")", "#", "@user", ",", ";:", "''", "\"", "«»", "…", "*", "~"]
LABELS = ["positive", "negative", "neutral", "", "Positive", "négatif"]


def sentence(rng, n):
    pool = WORDS * 3 + UNICODE + PUNCT
    return " ".join(rng.choice(pool) for _ in range(n))


def text(rng):
    kind = rng.random()
    if kind < 0.06:
        return ""
    if kind < 0.12:
        return rng.choice(["...", "!!! ???", "— – -", "  ", "\n", "\n\n", ".\n,\n", "😀😀", "\t", "日本語"])
    if kind < 0.35:
        sep = rng.choice(["\n", "\r\n", "\n\n", "\n \n"])
        return sep.join(sentence(rng, rng.randint(0, 8)) for _ in range(rng.randint(2, 4)))
    return sentence(rng, rng.randint(1, 14))


def perturb(rng, ref):
    words = ref.split(" ")
    out = [w for w in words if rng.random() > 0.25]
    for _ in range(rng.randint(0, 3)):
        out.insert(rng.randint(0, len(out)), rng.choice(WORDS + UNICODE))
    if rng.random() < 0.3:
        rng.shuffle(out)
    s = " ".join(out)
    return s.upper() if rng.random() < 0.1 else s


def pairs():
    rng = random.Random(21)
    out = []
    for i in range(520):
        ref = text(rng)
        r = rng.random()
        if r < 0.1:
            pred = ref
        elif r < 0.5:
            pred = perturb(rng, ref)
        else:
            pred = text(rng)
        out.append((pred, ref))
    return out


def load_metric(name):
    base = os.environ.get("EVALUATE_METRICS_DIR")
    return evaluate.load(os.path.join(base, name) if base else name)


def main():
    ps = pairs()
    preds, refs = [p for p, _ in ps], [r for _, r in ps]
    rouge = load_metric("rouge")
    per = rouge.compute(predictions=preds, references=refs, use_aggregator=False)
    boot = rouge.compute(predictions=preds, references=refs)
    keys = ["rouge1", "rouge2", "rougeL", "rougeLsum"]
    mean = {k: float(np.mean(per[k])) for k in keys}
    em = load_metric("exact_match").compute(predictions=preds, references=refs)["exact_match"]
    rng = random.Random(7)
    lab_refs = [rng.choice(LABELS) for _ in range(300)]
    lab_preds = [x if rng.random() < 0.6 else rng.choice(LABELS) for x in lab_refs]
    doc = {
        "about": "scripts/reference/eval_metric_goldens.py",
        "versions": {"evaluate": evaluate.__version__, "rouge_score": importlib.metadata.version("rouge_score"),
                     "scikit-learn": sklearn.__version__, "numpy": np.__version__},
        "pairs": [{"prediction": p, "reference": r, **{k: float(per[k][i]) for k in keys}}
                  for i, (p, r) in enumerate(ps)],
        "rouge_mean": mean,
        "rouge_bootstrap_median_for_information": {k: float(boot[k]) for k in keys},
        "accuracy": float(accuracy_score(refs, preds)),
        "exact_match": float(em),
        "matthews_correlation": float(matthews_corrcoef(refs, preds)),
        "labels": {"predictions": lab_preds, "references": lab_refs,
                   "accuracy": float(accuracy_score(lab_refs, lab_preds)),
                   "matthews_correlation": float(matthews_corrcoef(lab_refs, lab_preds))},
        "binary": {"predictions": ["positive", "negative", "negative", "positive", "positive"],
                   "references": ["positive", "negative", "positive", "positive", "negative"],
                   "matthews_correlation": float(matthews_corrcoef(
                       ["positive", "negative", "positive", "positive", "negative"],
                       ["positive", "negative", "negative", "positive", "positive"]))},
        "constant": {"matthews_correlation": float(matthews_corrcoef(["a", "b", "a"], ["a", "a", "a"]))},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}: {len(ps)} pairs; mean {mean}; bootstrap {doc['rouge_bootstrap_median_for_information']}")


if __name__ == "__main__":
    main()
