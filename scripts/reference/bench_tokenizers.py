"""Single-thread encode throughput of the Python `tokenizers` library (tokenizers==0.23.3), to
compare with `softprompt tokenize bench` on the same tokenizer and corpus:

    py=$(scripts/reference/setup_venv.sh)
    $py scripts/reference/bench_tokenizers.py --tokenizer tokenizer.json --corpus Tests/SPTokenizersTests/Fixtures/corpus.jsonl

Reports a cold pass (fresh tokenizer, one `encode` per line) and the best of `--repeats` warm passes,
both as per-line `encode` calls and as one `encode_batch` call (parallelism off, so one thread).
"""
import argparse
import json
import os
import time

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"

from tokenizers import Tokenizer  # noqa: E402


def read_lines(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if not line:
                continue
            if line.startswith('"'):
                try:
                    v = json.loads(line)
                    if isinstance(v, str):
                        out.append(v)
                        continue
                except ValueError:
                    pass
            out.append(line)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    lines = read_lines(a.corpus)
    t0 = time.perf_counter()
    tk = Tokenizer.from_file(a.tokenizer)
    load = time.perf_counter() - t0
    t0 = time.perf_counter()
    tokens = sum(len(tk.encode(line).ids) for line in lines)
    cold = time.perf_counter() - t0
    warm_loop = min(_timed(lambda: [tk.encode(line) for line in lines]) for _ in range(a.repeats))
    warm_batch = min(_timed(lambda: tk.encode_batch(lines)) for _ in range(a.repeats))
    print(json.dumps({
        "lines": len(lines), "bytes": sum(len(x.encode()) for x in lines), "tokens": tokens, "load_s": load,
        "cold_s": cold, "warm_encode_s": warm_loop, "warm_batch_s": warm_batch,
        "cold_tokens_per_s": tokens / cold, "warm_encode_tokens_per_s": tokens / warm_loop,
        "warm_batch_tokens_per_s": tokens / warm_batch,
    }))


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
