// Reproducible per-epoch shuffling. caikit reshuffles the whole buffered stream every epoch with
// Python's `random` (Mersenne Twister seeded by `transformers.set_seed`); we cannot match that
// sequence, so the order here is our own, fully specified and stable across platforms and Swift
// versions (no use of the standard library's unspecified `shuffle(using:)` algorithm).

/// SplitMix64 (Steele, Lea & Flood 2014): the 64-bit generator used for epoch shuffling.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The generator state.
    public private(set) var state: UInt64

    /// Starts the sequence at `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<n` (Lemire's multiply-shift with rejection, so unbiased).
    public mutating func next(below n: UInt64) -> UInt64 {
        precondition(n > 0, "empty range")
        var m = next().multipliedFullWidth(by: n)
        if m.low < n {
            let threshold = (0 &- n) % n
            while m.low < threshold { m = next().multipliedFullWidth(by: n) }
        }
        return m.high
    }
}

/// The order in which training examples are visited each epoch.
///
/// Epoch `e` uses a fresh ``SplitMix64`` seeded with `seed ^ (e &* 0xD1B54A32D192ED03)` and a
/// Fisher–Yates shuffle from the last position down: `for i in n-1 ... 1 { swap(i, next(below: i+1)) }`.
/// An epoch's order thus depends only on `(seed, epoch, n)`, so a resumed run sees the same batches.
public struct EpochShuffler: Sendable {
    /// The run's seed (caikit's `seed`, default 73).
    public let seed: UInt64

    /// Creates a shuffler.
    public init(seed: UInt64) { self.seed = seed }

    /// A permutation of `0..<count` for `epoch`.
    public func order(count: Int, epoch: Int) -> [Int] {
        var rng = SplitMix64(seed: seed ^ (UInt64(epoch) &* 0xD1B5_4A32_D192_ED03))
        var p = Array(0..<count)
        var i = count - 1
        while i > 0 {
            let j = Int(rng.next(below: UInt64(i + 1)))
            p.swapAt(i, j)
            i -= 1
        }
        return p
    }
}
