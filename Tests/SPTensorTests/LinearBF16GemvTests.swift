// The decoding one-row bf16 product (LinearBF16Gemv, Sources/CBLAS/bf16_gemv.c): bit for bit
// against a scalar re-derivation of its documented summation order (vdpbf16ps: per lane the odd
// product then the even one, each rounded to float32; then the lane tree), and against the GEMM
// path (LinearBF16.gemm) within float32 summation error. Also: with row invariance on, a bf16
// Linear row gives the same bits alone as inside a batch (what the server's batcher relies on).

import Testing
@testable import SPTensor

@Suite(.enabled(if: LinearBF16.isAvailable, "this CPU has no AVX512-BF16"))
struct LinearBF16GemvTests {
    static func bf16(_ x: Float) -> Float {
        var v = x
        LinearBF16.roundToBF16(&v, count: 1)
        return v
    }

    /// The header's order, in scalar float32: 16 lanes over 32-element chunks (zero-padded), the
    /// odd product added before the even one, then lanes l + l⊕8, ⊕4, ⊕2, ⊕1.
    static func reference(_ x: [Float], _ w: [Float], row j: Int, k: Int) -> Float {
        var lane = [Float](repeating: 0, count: 16)
        for c in stride(from: 0, to: k, by: 32) {
            for l in 0..<16 {
                let i = c + 2 * l
                let xe: Float = i < k ? bf16(x[i]) : 0, we: Float = i < k ? w[j * k + i] : 0
                let xo: Float = i + 1 < k ? bf16(x[i + 1]) : 0, wo: Float = i + 1 < k ? w[j * k + i + 1] : 0
                lane[l] = lane[l] + xo * wo
                lane[l] = lane[l] + xe * we
            }
        }
        var width = 8
        while width >= 1 {
            for l in 0..<width { lane[l] = lane[l] + lane[l + width] }
            width /= 2
        }
        return lane[0]
    }

    static func weight(n: Int, k: Int, seed: UInt64) -> (Weight, [Float]) {
        let w = Weight(Tensor(shape: [n, k], values: randomValues(n * k, seed: seed, scale: 0.5))).converted(to: .bfloat16)
        let wf = Tensor(shape: [n, k])
        w.rows(0, n, into: wf.data)
        return (w, Array(UnsafeBufferPointer(start: wf.data, count: n * k)))
    }

    /// Every k tail (below one chunk, exact chunks, odd), row counts past the 4-row passes and the
    /// 64-row thread grain; accumulate, bias and the output rounding.
    @Test(arguments: [(1, 5), (7, 32), (37, 777), (130, 2048), (203, 63)])
    func matchesScalarReferenceBitForBit(_ shape: (Int, Int)) {
        let (n, k) = shape
        let (w, wf) = Self.weight(n: n, k: k, seed: 31)
        let x = randomValues(k, seed: 32, scale: 3), bias = randomValues(n, seed: 33).map(Self.bf16)
        let start = randomValues(n, seed: 34)
        let sums = (0..<n).map { Self.reference(x, wf, row: $0, k: k) }
        for (accumulate, withBias, round) in [(false, false, false), (true, false, false), (false, true, true),
                                               (true, true, true)] {
            var y = start
            bias.withUnsafeBufferPointer { b in
                LinearBF16Gemv.product(x, w, bias: withBias ? b.baseAddress : nil, &y, accumulate: accumulate,
                                       roundOutput: round)
            }
            let want = (0..<n).map { j -> Float in
                var s = accumulate ? start[j] + sums[j] : sums[j]
                if withBias { s += bias[j] }
                return round ? Self.bf16(s) : s
            }
            let bad = zip(y, want).filter { $0.bitPattern != $1.bitPattern }.count
            #expect(bad == 0, "\(n)×\(k) acc \(accumulate) bias \(withBias) round \(round): \(bad) rows differ")
        }
    }

    /// The gemv (one row, row invariance off) and the GEMM (the same row with row invariance on)
    /// agree within float32 summation error of Σ|terms|, and within one bf16 ulp once rounded.
    @Test(arguments: [(64, 768), (300, 1001), (97, 3072)])
    func agreesWithGEMMPath(_ shape: (Int, Int)) {
        let (n, k) = shape
        let (w, wf) = Self.weight(n: n, k: k, seed: 41)
        let x = randomValues(k, seed: 42, scale: 3), bias = randomValues(n, seed: 43).map(Self.bf16)
        var gemv = [Float](repeating: 0, count: n), gemm = gemv, gemvR = gemv, gemmR = gemv
        LinearBF16.forward(x, w, bias: nil, &gemv, m: 1, roundOutput: false)
        RowInvariance.with { LinearBF16.forward(x, w, bias: nil, &gemm, m: 1, roundOutput: false) }
        LinearBF16.forward(x, w, bias: bias, &gemvR, m: 1)
        RowInvariance.with { LinearBF16.forward(x, w, bias: bias, &gemmR, m: 1) }
        var worst: Float = 0
        for j in 0..<n {
            let mag = (0..<k).reduce(Float(0)) { $0 + abs(Self.bf16(x[$1]) * wf[j * k + $1]) }
            worst = max(worst, abs(gemv[j] - gemm[j]) / max(mag, 1e-30))
        }
        #expect(worst < 1e-6, "\(n)×\(k): gemv and GEMM differ by \(worst) of Σ|terms|")
        #expect(gemv != gemm || k <= 32, "\(n)×\(k): the two paths sum in different orders; identical bits suggest one path")
        let ulp = zip(gemvR, gemmR).filter { a, b in
            abs(a - b) > Float(sign: .plus, exponent: max(abs(a), abs(b)).exponent - 7, significand: 1)
        }.count
        #expect(ulp == 0, "\(n)×\(k): \(ulp) rounded outputs more than one bf16 ulp apart")
        #expect(gemvR.allSatisfy { Self.bf16($0) == $0 })
    }

    /// With row invariance on (the server's batcher), a bf16 Linear's row has the same bits alone,
    /// in a few-row batch (per-part GEMM) and in a many-row batch (the packed GEMM).
    @Test(arguments: [(768, 2304), (1001, 130)])
    func rowsAreBatchInvariantUnderRowInvariance(_ shape: (Int, Int)) {
        let (k, n) = shape
        let (w, _) = Self.weight(n: n, k: k, seed: 51)
        let bias = randomValues(n, seed: 52).map(Self.bf16)
        for m in [5, 60] {
            let x = randomValues(m * k, seed: 53, scale: 3)
            var batch = [Float](repeating: 0, count: m * n)
            RowInvariance.with { LinearBF16.forward(x, w, bias: bias, &batch, m: m) }
            for i in [0, m / 2, m - 1] {
                var alone = [Float](repeating: 0, count: n)
                RowInvariance.with { LinearBF16.forward(Array(x[i * k..<(i + 1) * k]), w, bias: bias, &alone, m: 1) }
                #expect(Array(batch[i * n..<(i + 1) * n]) == alone, "k \(k) n \(n): row \(i) of \(m) differs from the row alone")
            }
        }
    }
}
