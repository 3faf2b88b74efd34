"""Offset goldens for Tests/SPTokenizersTests (tokens' character offsets from the Python
`tokenizers` library, `Encoding.offsets`, which the Python binding gives in characters).

Pinned as tokenizer_goldens.py (tokenizers==0.23.3, transformers==5.23.0). Run after
scripts/fetch_tokenizers.sh and tokenizer_goldens.py (it reads the committed matrix tokenizers):

    py=$(scripts/reference/setup_venv.sh); $py scripts/reference/offset_goldens.py

Writes Tests/SPTokenizersTests/Fixtures/offsets.zip: per family `<name>.jsonl` (line k = corpus line
k, encoded with special tokens: {"o": [start0, end0, start1, end1, ...]} or {"err": ...}), and per
matrix variant `matrix/<name>.jsonl` over the matrix subset ({"k": k, "o": [...]}) plus pairs
(`matrix/<name>.pairs.jsonl`: {"k": k, "o": [...]}, the pair being lines k and k+1).
"""
import os
import random
import sys

from tokenizers import Tokenizer

sys.path.insert(0, os.path.dirname(__file__))
import tokenizer_goldens as tg  # noqa: E402


def flat(enc):
    return [x for o in enc.offsets for x in o]


def lines_for(tk, lines, indices=None):
    out = []
    for k, line in enumerate(lines) if indices is None else ((k, lines[k]) for k in indices):
        rec = {} if indices is None else {"k": k}
        try:
            rec["o"] = flat(tk.encode(line))
        except Exception as e:
            rec["err"] = str(e)[:200]
        out.append(tg.dumps(rec))
    return "\n".join(out) + "\n"


def family_tokenizer(name, src):
    if src == "tiktoken":
        text, _ = tg.gpt2_from_tiktoken()
    elif src == "t5":
        text = open(os.path.join(tg.CACHE, "t5", "tokenizer.json"), encoding="utf-8").read()
    else:
        text, _ = tg.from_gguf(src)
    return Tokenizer.from_str(text)


def main():
    lines = tg.corpus()
    members = {}
    for name, (src, _) in sorted(tg.FAMILIES.items()):
        members[f"{name}.jsonl"] = lines_for(family_tokenizer(name, src), lines)
        print(name, "done", flush=True)
    rng = random.Random(7)
    subset = list(range(0, 200)) + sorted(rng.sample(range(200, len(lines)), 400))
    for name, tk in sorted((tg.committed_matrix() or {}).items()):
        members[f"matrix/{name}.jsonl"] = lines_for(tk, lines, subset)
        pairs = []
        for k in subset[::6]:
            try:
                pairs.append(tg.dumps({"k": k, "o": flat(tk.encode(lines[k], lines[(k + 1) % len(lines)]))}))
            except Exception as e:
                pairs.append(tg.dumps({"k": k, "err": str(e)[:200]}))
        members[f"matrix/{name}.pairs.jsonl"] = "\n".join(pairs) + "\n"
        print("matrix", name, flush=True)
    tg.write_zip(os.path.join(tg.FIX, "offsets.zip"), members)


if __name__ == "__main__":
    main()
