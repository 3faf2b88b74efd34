"""Golden epoch orders for Sources/SPTuning/Batching/EpochShuffler.swift, from an independent
pure-Python implementation of the documented algorithm: SplitMix64 seeded with
seed ^ (epoch * 0xD1B54A32D192ED03 mod 2^64), Lemire's unbiased multiply-shift draw in [0, n),
and a Fisher–Yates shuffle from the last index down.

Re-run:  python3 scripts/reference/shuffle_goldens.py      (standard library only)
Writes:  Tests/SPTuningTests/Fixtures/shuffle.json
"""
import json
import pathlib

M64 = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & M64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & M64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    def below(self, n):
        m = self.next() * n
        if (m & M64) < n:
            t = ((1 << 64) - n) % n
            while (m & M64) < t:
                m = self.next() * n
        return m >> 64


def order(seed, epoch, n):
    rng = SplitMix64(seed ^ ((epoch * 0xD1B54A32D192ED03) & M64))
    p = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rng.below(i + 1)
        p[i], p[j] = p[j], p[i]
    return p


raw = SplitMix64(73)
cases = [{"seed": str(s), "epoch": e, "count": n, "order": order(s, e, n)}
         for s, e, n in [(73, 0, 10), (73, 1, 10), (73, 19, 10), (1, 0, 37), (2**63 + 5, 3, 5), (73, 0, 1), (73, 0, 0)]]
path = pathlib.Path(__file__).resolve().parents[2] / "Tests/SPTuningTests/Fixtures/shuffle.json"
path.write_text(json.dumps({"splitmix64_seed73_first4": [str(raw.next()) for _ in range(4)], "cases": cases}))
print(f"wrote {path}")
