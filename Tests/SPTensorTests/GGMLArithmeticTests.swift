// llama.cpp's float ops for `--activations q8` (GGMLArithmetic, Sources/CBLAS/ggml_ops.c): every
// vectorized kernel set this CPU runs (AVX2 + FMA + F16C, AVX-512) equals the scalar definition
// (level 0: soft-float half conversions, libm fmaf) bitwise, on inputs with odd sizes, negative
// zeros, large magnitudes, values near the f16 and float32 subnormal ranges and past f16's range;
// the attention split over parts equals one part; the vectorized activation quantizers equal the
// scalar ones, NaN inputs included (a random-weight model's activations can overflow to NaN). The
// float ops' tests leave NaN out: a NaN result stays NaN at every level, but its payload bits may not.

import Testing
@testable import SPTensor

@Suite struct GGMLArithmeticTests {
    struct Rng {
        var s: UInt64
        mutating func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        /// Uniform in [-1, 1).
        mutating func unit() -> Float { Float(Double(next() >> 11) / Double(1 << 53)) * 2 - 1 }
        /// Mostly ordinary values, with -0, +0, large, tiny (f16- and f32-subnormal ranges) and
        /// f16-overflowing ones mixed in.
        mutating func awkward(_ n: Int, scale: Float = 1) -> [Float] {
            (0..<n).map { _ in
                let u = unit() * scale
                switch next() % 23 {
                case 0: return -0.0
                case 1: return 0
                case 2: return u * 70000         // past f16's largest (65504)
                case 3: return u * 1e-6           // f16 subnormals
                case 4: return u * 1e-39          // float32 subnormals
                case 5: return u * 3e4
                case 6: return Float(Int(u * 8)) + 0.5 / 1024  // near f16 rounding ties
                default: return u
                }
            }
        }
    }

    static let levels = Array(0...GGMLArithmetic.maxLevel)

    static func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }

    @Test func roundF16EveryLevel() {
        var rng = Rng(s: 1)
        let x = rng.awkward(1037) + [65504, 65520, 65519.99, -65520, 5.9604645e-8, 2.9802322e-8, 2.9802326e-8, 1e-45]
        var want = x
        GGMLArithmetic.roundF16(&want, count: want.count, level: 0)
        #expect(want[x.count - 7].isInfinite && want[x.count - 6] == 65504 && want[x.count - 3] == 0, "f16 rounding ties to even")
        for l in Self.levels {
            var got = x
            GGMLArithmetic.roundF16(&got, count: got.count, level: l)
            #expect(Self.bits(got) == Self.bits(want), "level \(l)")
        }
    }

    /// (headDim, ggufRotary): the AVX-512 in-register GGUF order (64, 128 with rot = headDim or 0) and
    /// the permuted-copy path (partial rotary, a head of 80 with 16 leftover lanes, 48 < 64).
    @Test(arguments: [(64, 64), (64, 0), (128, 128), (64, 32), (80, 80), (48, 48)])
    func flashAttentionEveryLevelAndSplit(_ shape: (Int, Int)) {
        let (hd, rot) = shape
        let heads = 6, kvHeads = 2, tokens = 9, past = 5, keys = past + tokens
        for window in [nil, 4] as [Int?] {
            var rng = Rng(s: UInt64(hd * 1000 + rot + (window ?? 0)))
            // f16-overflowing q or k would make scores ∞ − ∞ (NaN): kept below 65504 here.
            func finite(_ x: [Float]) -> [Float] { x.map { abs($0) > 30000 ? $0 / 8 : $0 } }
            let q = finite(rng.awkward(tokens * heads * hd, scale: 2))
            var k = finite(rng.awkward(keys * kvHeads * hd, scale: 2)), v = finite(rng.awkward(keys * kvHeads * hd))
            GGMLArithmetic.roundF16(&k, count: k.count, level: 0)
            GGMLArithmetic.roundF16(&v, count: v.count, level: 0)
            let mask: [Float] = (0..<keys).map { $0 == 2 || $0 == 7 ? 0 : 1 }
            func run(level: Int, parts: Int?) -> [Float] {
                var out = [Float](repeating: .nan, count: tokens * heads * hd)
                GGMLArithmetic.flashAttention(q: q, qStride: heads * hd, tokens: tokens, heads: heads, kvHeads: kvHeads,
                                              headDim: hd, k: k, v: v, kvStride: kvHeads * hd, keyMask: mask, past: past,
                                              window: window, scale: 0.125, ggufRotary: rot, out: &out,
                                              outStride: heads * hd, level: level, parts: parts)
                return out
            }
            let want = run(level: 0, parts: 1)
            let finiteOut = want.allSatisfy { $0.isFinite }
            #expect(finiteOut)
            for l in Self.levels {
                #expect(Self.bits(run(level: l, parts: 1)) == Self.bits(want), "level \(l), head \(hd), rot \(rot)")
            }
            for parts in [2, 5] {
                #expect(Self.bits(run(level: -1, parts: parts)) == Self.bits(want), "\(parts) parts")
            }
            #expect(Self.bits(run(level: -1, parts: nil)) == Self.bits(want), "the pool's split")
        }
    }

    @Test(arguments: [37, 576, 1001])
    func rmsNormEveryLevel(_ cols: Int) {
        var rng = Rng(s: UInt64(cols))
        let rows = 5
        let x = rng.awkward(rows * cols), w = rng.awkward(cols, scale: 3)
        for weight in [true, false] {
            var want = [Float](repeating: 0, count: rows * cols)
            GGMLArithmetic.rmsNorm(x, weight: weight ? w : nil, &want, rows: rows, cols: cols, eps: 1e-5, level: 0)
            for l in Self.levels {
                var got = [Float](repeating: 0, count: rows * cols)
                GGMLArithmetic.rmsNorm(x, weight: weight ? w : nil, &got, rows: rows, cols: cols, eps: 1e-5, level: l)
                #expect(Self.bits(got) == Self.bits(want), "level \(l), cols \(cols)")
            }
        }
    }

    @Test(arguments: [7, 37, 64, 1541])
    func swigluEveryLevel(_ cols: Int) {
        var rng = Rng(s: UInt64(cols) + 99)
        let rows = 3
        // Gates up to ±200 reach ggml_v_expf's |n| > 192 branch (0 and ∞).
        var gate = rng.awkward(rows * cols, scale: 12)
        for i in stride(from: 0, to: gate.count, by: 11) { gate[i] = rng.unit() * 200 }
        let up = rng.awkward(rows * cols, scale: 4)
        var want = [Float](repeating: 0, count: rows * cols)
        GGMLArithmetic.swiglu(gate: gate, up: up, &want, rows: rows, cols: cols, level: 0)
        for l in Self.levels {
            var got = [Float](repeating: 0, count: rows * cols)
            GGMLArithmetic.swiglu(gate: gate, up: up, &got, rows: rows, cols: cols, level: l)
            #expect(Self.bits(got) == Self.bits(want), "level \(l), cols \(cols)")
        }
    }

    @Test(arguments: [6, 64, 128])
    func ropeEveryLevelAndRows(_ dims: Int) {
        var rng = Rng(s: UInt64(dims) + 7)
        let rows = 4, heads = 3, hd = dims + 2, tokenStride = heads * hd + 5
        let positions: [Int32] = [0, 3, 17, 4000]
        var cos = [Float](repeating: 0, count: rows * dims / 2), sin = cos
        GGMLArithmetic.ropeTables(positions: positions, count: rows, dims: dims, base: 10000, cos: &cos, sin: &sin)
        let x = rng.awkward(rows * tokenStride, scale: 5)
        for interleaved in [false, true] {
            var want = x
            want.withUnsafeMutableBufferPointer { wp in
                cos.withUnsafeBufferPointer { c in
                    sin.withUnsafeBufferPointer { s in
                        for t in 0..<rows {
                            for h in 0..<heads {
                                GGMLArithmetic.rope(wp.baseAddress! + t * tokenStride + h * hd, dims: dims, interleaved: interleaved,
                                                    cos: c.baseAddress! + t * dims / 2, sin: s.baseAddress! + t * dims / 2, level: 0)
                            }
                        }
                    }
                }
            }
            for l in Self.levels {
                var got = x
                GGMLArithmetic.ropeRows(&got, rows: rows, tokenStride: tokenStride, heads: heads, headStride: hd, dims: dims,
                                        interleaved: interleaved, cos: cos, sin: sin, level: l)
                #expect(Self.bits(got) == Self.bits(want), "level \(l), dims \(dims), interleaved \(interleaved)")
            }
        }
    }

    @Test("vectorized activation quantizers equal the scalar ones bitwise", arguments: [BlockFormat.q4_0, .q4_1, .q6_K])
    func quantizeEveryLevel(_ f: BlockFormat) {
        var rng = Rng(s: 5)
        let k = 2048
        var x = rng.awkward(k, scale: 9)
        for i in 512..<768 { x[i] = rng.unit() * 1e-39 }         // a block of float32 subnormals (127/max overflows)
        for i in 768..<1024 { x[i] = i % 3 == 0 ? -0.0 : 0 }      // signed zeros only
        x[1030] = 40; x[1100] = -40                                // Q8_K: the first of tied magnitudes sets the sign
        x[1300] = -7e4; x[1310] = 7e4
        x[1400] = .nan; x[1401] = -.nan; for i in 1536..<1792 { x[i] = .nan }  // NaN is skipped by max|x|, as in the scalar scan
        func run(_ level: Int) -> [UInt8] {
            var out = [UInt8](repeating: 0xAB, count: QuantDotQ8.activationBytes(f, k: k))
            out.withUnsafeMutableBytes { QuantDotQ8.quantize(f, x, k: k, into: $0.baseAddress!, level: level) }
            return out
        }
        let want = run(0)
        #expect(run(-1) == want, "\(f)")
        #expect(run(2) == want, "\(f) at AVX-512 (the scalar set where the CPU lacks it)")
    }

    @Test("one quantization and one pool run for weights sharing an input: the bits of one product each",
          arguments: [BlockFormat.q4_0, .q4_1, .q4_K])
    func sharedInputProducts(_ f: BlockFormat) throws {
        let bpr = f.blockElements == 32 ? 8 : 1
        // Row counts that are not whole 16-row tiles, and one weight of a different count.
        let ws = try [37, 70, 16].enumerated().map { i, n in
            try #require(RandomBlocks(f, rows: n, blocksPerRow: bpr, seed: 9 + UInt64(i)).weight.withQ8Activations())
        }
        let k = ws[0].inFeatures, width = ws.reduce(0) { $0 + $1.outFeatures }
        for m in [1, 3, 40] {
            var rng = Rng(s: UInt64(m))
            let x = rng.awkward(m * k, scale: 3)
            var want = [Float](repeating: .nan, count: m * width), got = want
            var off = 0
            for w in ws {
                want.withUnsafeMutableBufferPointer { Linear.forward(x, w, bias: nil, $0.baseAddress! + off, m: m, ldy: width) }
                off += w.outFeatures
            }
            let done = got.withUnsafeMutableBufferPointer { y in
                QuantDotQ8.products(ws, x: x, m: m, k: k, outputs: [(y.baseAddress!, width), (y.baseAddress! + 37, width),
                                                                     (y.baseAddress! + 107, width)])
            }
            #expect(done)
            #expect(Self.bits(got) == Self.bits(want), "\(f) m=\(m)")
        }
        let other = try #require(RandomBlocks(.q8_0, rows: 16, blocksPerRow: bpr * f.blockElements / 32, seed: 3).weight.withQ8Activations())
        if QuantDotQ8.activationKind(f) != QuantDotQ8.activationKind(.q8_0) {
            var y = [Float](repeating: 0, count: 64)
            let x = [Float](repeating: 1, count: k)
            let mixed = y.withUnsafeMutableBufferPointer { QuantDotQ8.products([ws[0], other], x: x, m: 1, k: k,
                                                                                outputs: [($0.baseAddress!, 53), ($0.baseAddress! + 37, 53)]) }
            #expect(!mixed, "different activation kinds are refused (the caller falls back to one product each)")
        }
    }
}
