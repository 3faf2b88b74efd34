// Token choice from processed scores: greedy argmax, seeded multinomial sampling, and the
// per-token log-probability and rank reported in `GeneratedToken`.
//
// The RNG is xoshiro256** (Blackman & Vigna) seeded through SplitMix64. It cannot reproduce
// torch's Philox/MT19937 stream, so a sampled text equals transformers' only in distribution, not
// token for token; what it guarantees is that the same seed and parameters give the same text on
// every run, in a batch or alone.

import Foundation

/// xoshiro256**: a small, fast, seedable generator (period 2²⁵⁶ − 1).
public struct SeededRandom: RandomNumberGenerator, Sendable, Equatable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    /// The state is filled from `seed` by SplitMix64, so nearby seeds give unrelated streams.
    public init(seed: UInt64) {
        var z = seed
        s = (Self.splitMix64(&z), Self.splitMix64(&z), Self.splitMix64(&z), Self.splitMix64(&z))
    }

    /// A generator with the given raw state (not all zero).
    init(state: (UInt64, UInt64, UInt64, UInt64)) { s = state }

    /// SplitMix64's next output (Steele, Lea & Flood), advancing `state`.
    static func splitMix64(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var x = state
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        return x ^ (x >> 31)
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    /// A uniform double in [0, 1) with 53 random bits.
    public mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public static func == (a: SeededRandom, b: SeededRandom) -> Bool {
        a.s.0 == b.s.0 && a.s.1 == b.s.1 && a.s.2 == b.s.2 && a.s.3 == b.s.3
    }
}

/// Choosing the next token from one row of processed scores.
public enum TokenChooser {
    /// The first index of the largest score (`torch.argmax`).
    public static func argmax(_ scores: UnsafePointer<Float>, vocab: Int) -> Int {
        var best = 0
        var m = scores[0]
        for i in 1..<vocab where scores[i] > m {
            m = scores[i]
            best = i
        }
        return best
    }

    /// Draws an index with probability softmax(scores) (`torch.multinomial(softmax(s), 1)`):
    /// one uniform number, inverted through the cumulative weights. Falls back to the argmax when
    /// no score is finite.
    public static func sample(_ scores: UnsafePointer<Float>, vocab: Int, rng: inout SeededRandom) -> Int {
        var m = -Float.infinity
        for i in 0..<vocab where scores[i] > m { m = scores[i] }
        guard m.isFinite else { return argmax(scores, vocab: vocab) }
        var total = 0.0
        for i in 0..<vocab { total += exp(Double(scores[i] - m)) }
        let target = rng.nextUnit() * total
        var cum = 0.0, last = 0
        for i in 0..<vocab {
            let w = exp(Double(scores[i] - m))
            guard w > 0 else { continue }
            cum += w
            last = i
            if cum > target { return i }
        }
        return last
    }

    /// log softmax(scores)[id] and the 1-based rank of `id` (1 + number of strictly larger scores).
    public static func logprobAndRank(_ scores: UnsafePointer<Float>, vocab: Int, id: Int) -> (logprob: Double, rank: Int) {
        var m = -Float.infinity
        for i in 0..<vocab where scores[i] > m { m = scores[i] }
        var s = 0.0, above = 0
        let chosen = scores[id]
        for i in 0..<vocab {
            s += exp(Double(scores[i] - m))
            if scores[i] > chosen { above += 1 }
        }
        return (Double(chosen - m) - log(s), above + 1)
    }
}
