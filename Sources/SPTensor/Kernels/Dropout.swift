// Inverted dropout with a counter-based mask: the keep/drop decision for element i is a hash of
// (seed, stream, i), so the backward pass regenerates the forward mask instead of storing it, and
// the result does not depend on how the work is split across threads.

/// Seeded inverted dropout: y = x·mask/(1 − p) in training, y = x otherwise.
///
/// The mask is a pure function of `(seed, stream, element index)`: the top 23 bits of a two-round
/// 32-bit integer hash (Wellons' `lowbias32`) keyed by `(seed, stream)` form u ∈ [0, 1), and
/// element i is dropped when u < p. Callers give every dropout site and step its own `stream` (e.g. a counter
/// incremented per call) and pass the same `(seed, stream)` to ``backward(_:_:count:p:seed:stream:training:accumulate:)``.
///
/// This does **not** reproduce torch's dropout masks (torch draws from its Philox/MT generator
/// stream, which depends on the device, the call order and the kernel); only the distribution
/// (each element kept independently with probability 1 − p, scaled by 1/(1 − p)) matches. Training
/// runs are therefore statistically, not bitwise, comparable with PyTorch unless p = 0.
public enum Dropout {
    /// x[n] → y[n] = keep(i)·x[i]/(1 − p)   (`y` may alias `x`)
    ///
    /// - Parameters:
    ///   - p: drop probability in [0, 1]. p = 0 or `training == false` copies `x`; p = 1 gives zeros.
    ///   - seed, stream: select the mask; equal values give equal masks.
    public static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               count n: Int, p: Float, seed: UInt64, stream: UInt64,
                               training: Bool = true) {
        apply(x, y, n, p, seed, stream, training, accumulate: false)
    }

    /// dx[n] (+)= keep(i)·dy[i]/(1 − p)   with the mask of the forward call with the same arguments
    ///
    /// - Parameters:
    ///   - dx: may alias `dy`. Overwritten unless `accumulate`.
    public static func backward(_ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                count n: Int, p: Float, seed: UInt64, stream: UInt64,
                                training: Bool = true, accumulate: Bool = false) {
        apply(dy, dx, n, p, seed, stream, training, accumulate: accumulate)
    }

    /// Whether element `index` is kept (the scalar form of the mask; for tests and debugging).
    public static func keeps(index: Int, p: Float, seed: UInt64, stream: UInt64) -> Bool {
        let key = Key(seed: seed, stream: stream)
        return uniform(hash(SIMD8<UInt32>(repeating: UInt32(truncatingIfNeeded: index)), key))[0] >= p
    }

    private static func apply(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                              _ p: Float, _ seed: UInt64, _ stream: UInt64, _ training: Bool,
                              accumulate: Bool) {
        precondition(p >= 0 && p <= 1, "dropout probability \(p) outside [0, 1]")
        precondition(n <= Int(UInt32.max), "dropout over more than 2³² elements in one call")
        if !training || p == 0 {
            if accumulate {
                Elementwise.addInto(y, x, count: n)
            } else if x != UnsafePointer(y) {
                y.update(from: x, count: n)
            }
            return
        }
        let key = Key(seed: seed, stream: stream)
        let scale: Float = p == 1 ? 0 : 1 / (1 - p)
        Chunking.elements(n) { r in
            var i = r.lowerBound
            let lane = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
            while i < r.upperBound {
                let m = min(8, r.upperBound - i)
                let h = hash(lane &+ UInt32(truncatingIfNeeded: i), key)
                let keep = uniform(h) .>= p
                let xv = m == 8 ? VectorMath.load(x, i) : VectorMath.load(x, i, count: m, fill: 0)
                var v = SIMD8<Float>(repeating: 0).replacing(with: xv * scale, where: keep)
                if accumulate {
                    v += m == 8 ? VectorMath.load(UnsafePointer(y), i)
                        : VectorMath.load(UnsafePointer(y), i, count: m, fill: 0)
                }
                if m == 8 { VectorMath.store(v, y, i) } else { VectorMath.store(v, y, i, count: m) }
                i += 8
            }
        }
    }

    /// u = 1.m − 1 with the mantissa m from the top 23 hash bits: uniform on [0, 1) in steps of
    /// 2⁻²³, built with bit operations only (an integer SIMD compare or int→float conversion would
    /// not vectorise).
    @inline(__always)
    private static func uniform(_ h: SIMD8<UInt32>) -> SIMD8<Float> {
        unsafeBitCast((h &>> 9) | 0x3F80_0000, to: SIMD8<Float>.self) - 1
    }

    /// Two 32-bit round keys derived from (seed, stream) with SplitMix64.
    private struct Key {
        let k1: UInt32, k2: UInt32
        init(seed: UInt64, stream: UInt64) {
            let a = Key.splitmix(seed ^ Key.splitmix(stream &+ 0x632B_E59B_D9B4_E019))
            k1 = UInt32(truncatingIfNeeded: a)
            k2 = UInt32(truncatingIfNeeded: a >> 32)
        }
        static func splitmix(_ v: UInt64) -> UInt64 {
            var z = v &+ 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// lowbias32(lowbias32(i ⊕ k1) + k2): a keyed bijection of the element index per round.
    @inline(__always)
    private static func hash(_ i: SIMD8<UInt32>, _ key: Key) -> SIMD8<UInt32> {
        @inline(__always) func lowbias32(_ v: SIMD8<UInt32>) -> SIMD8<UInt32> {
            var x = v
            x ^= x &>> 16
            x &*= 0x7FEB_352D
            x ^= x &>> 15
            x &*= 0x846C_A68B
            x ^= x &>> 16
            return x
        }
        return lowbias32(lowbias32(i ^ key.k1) &+ key.k2)
    }
}
