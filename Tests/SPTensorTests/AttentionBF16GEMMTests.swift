// The bf16 attention products on the AVX512-BF16 GEMM (Attention.BF16Products, bf16_ff.c): the
// product itself against float64 sums of the same bf16 operands over every layout and tail, and the
// whole bf16 attention (forward and backward) against a scalar re-derivation with its roundings.
// (PyTorch's bf16 outputs and probabilities: AttentionBF16Tests, which runs the same path.)

import Testing
@testable import SPTensor

@Suite struct AttentionBF16GEMMTests {
    static let shapes = [(1, 1, 1), (2, 5, 3), (7, 33, 17), (32, 64, 276), (32, 276, 64), (276, 32, 64),
                         (17, 31, 15), (45, 1700, 70), (33, 97, 129)]

    /// C (+)= op(A)·op(B) within 1e-5 of Σ|terms| of the float64 sum of the bf16-rounded operands, for
    /// A stored [m][k] or [k][m], B stored [n][k] or [k][n], with strides and accumulation.
    @Test(.enabled(if: LinearBF16.isAvailable, "this CPU has no AVX512-BF16"), arguments: shapes)
    func productsMatchFloat64(_ shape: (Int, Int, Int)) {
        let (m, k, n) = shape
        for transA in [false, true] {
            for transB in [false, true] {
                let lda = transA ? m + 3 : k + 3, ldb = transB ? k + 5 : n + 7, ldc = n + 2
                let a = randomValues((transA ? k : m) * lda, seed: 41), b = randomValues((transB ? n : k) * ldb, seed: 42)
                for accumulate in [false, true] {
                    var c = (0..<(m * ldc)).map { Float($0 % 5) * 0.25 }
                    let c0 = c
                    let floats = Attention.BF16Products.scratchFloats(rows: m, keys: max(n, k), headDim: max(n, k))
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: floats)
                    defer { scratch.deallocate() }
                    Attention.BF16Products.gemm(transA: transA, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b,
                                                ldb: ldb, c: &c, ldc: ldc, accumulate: accumulate, scratch: scratch)
                    var worst = 0.0
                    for i in 0..<m {
                        for j in 0..<n {
                            var sum = accumulate ? Double(c0[i * ldc + j]) : 0, size = 0.0
                            for t in 0..<k {
                                let x = BF16Compute.round(transA ? a[t * lda + i] : a[i * lda + t])
                                let y = BF16Compute.round(transB ? b[j * ldb + t] : b[t * ldb + j])
                                sum += Double(x) * Double(y)
                                size += abs(Double(x) * Double(y))
                            }
                            worst = max(worst, abs(Double(c[i * ldc + j]) - sum) / max(size, 1e-30))
                        }
                    }
                    #expect(worst < 1e-5, "\(shape) transA \(transA) transB \(transB) acc \(accumulate): \(worst)")
                    // Columns past n in each row (the stride's padding) are untouched.
                    #expect((0..<m).allSatisfy { i in (n..<ldc).allSatisfy { c[i * ldc + $0] == c0[i * ldc + $0] } })
                }
            }
        }
    }

    /// A head's K/V packed once (``Attention/PackedHead``) and multiplied over key windows c0..<c1
    /// (odd and even starts, windows inside one 64-key panel and across panels and 768-key slices):
    /// X·xᵀ's columns c0..<c1 and Y·x within 1e-5 of Σ|terms| of the float64 sums of the bf16
    /// operands; X·xᵀ leaves the columns before c0 rounded down to 64, and from c1 on, untouched.
    @Test(.enabled(if: LinearBF16.isAvailable, "this CPU has no AVX512-BF16"), arguments: [(276, 64), (70, 5), (900, 80)])
    func packedHeadProductsMatchFloat64(_ dims: (Int, Int)) {
        let (S, HD, rows) = (dims.0, dims.1, 13)
        let ld = HD + 3, lda = HD + 1, ldc = S + 2
        let x = randomValues(S * ld, seed: 51), a = randomValues(rows * lda, seed: 52), y0 = randomValues(rows * S, seed: 53)
        let floats = Attention.BF16Products.packedFloats(keys: S, headDim: HD)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Attention.BF16Products.scratchFloats(rows: rows, keys: S, headDim: HD))
        let byKey = UnsafeMutablePointer<Float>.allocate(capacity: floats), byDim = UnsafeMutablePointer<Float>.allocate(capacity: floats)
        defer { scratch.deallocate(); byKey.deallocate(); byDim.deallocate() }
        let kT = Attention.BF16Products.pack(x, ld: ld, keys: S, headDim: HD, byKey: true, into: byKey)
        let kN = Attention.BF16Products.pack(x, ld: ld, keys: S, headDim: HD, byKey: false, into: byDim)
        let r = BF16Compute.round
        for (c0, c1) in [(0, S), (1, S), (65, S - 3), ((S / 2) | 1, S / 2 + 7), (64, 70), (2, 3)] where c0 < c1 && c1 <= S {
            var c = [Float](repeating: 0.75, count: rows * ldc)
            Attention.BF16Products.timesTransposed(kT, rows: rows, a, lda: lda, c0: c0, c1: c1, c: &c, ldc: ldc,
                                                   round: false, scratch: scratch)
            var worst = 0.0
            for i in 0..<rows {
                for j in 0..<ldc {
                    if j < c0 / 64 * 64 || j >= c1 {
                        #expect(c[i * ldc + j] == 0.75, "S \(S) window \(c0)..<\(c1): column \(j) written")
                        continue
                    }
                    let terms = (0..<HD).map { Double(r(a[i * lda + $0])) * Double(r(x[j * ld + $0])) }
                    let e = abs(Double(c[i * ldc + j]) - terms.reduce(0, +)) / max(terms.map(abs).reduce(0, +), 1e-30)
                    worst = max(worst, e)
                }
            }
            var y = y0, d = [Float](repeating: 0.25, count: rows * HD)
            Attention.BF16Products.times(kN, rows: rows, &y, ldy: S, c0: c0, c1: c1, c: &d, ldc: HD, accumulate: true,
                                         round: false, scratch: scratch)
            for i in 0..<rows {
                for t in 0..<HD {
                    let terms = (c0..<c1).map { Double(r(y0[i * S + $0])) * Double(r(x[$0 * ld + t])) }
                    let e = abs(Double(d[i * HD + t]) - 0.25 - terms.reduce(0, +)) / (terms.map(abs).reduce(0, +) + 0.25)
                    worst = max(worst, e)
                }
            }
            #expect(worst < 1e-5, "S \(S) HD \(HD) window \(c0)..<\(c1): \(worst)")
        }
    }

    /// The bf16 attention (AttentionOptions.bf16) on the fixture's bf16 q, k, v against a scalar
    /// float64 re-derivation with the same roundings: scores bf16(bf16(q·k)·scale), probabilities
    /// bf16(softmax); from those probabilities P, out = bf16(P·V), dP = dO·Vᵀ, dV = Pᵀ·dO,
    /// dS = P⊙(dP − ΣP⊙dP)·scale rounded to bf16, dQ = dS·K, dK = dSᵀ·Q. Probabilities ≥ 95 %
    /// identical and ≥ 99 % within one bf16 ulp (a score whose float32 and float64 sums round to
    /// different bf16 moves its probability further); outputs within one ulp, ≥ 95 % identical;
    /// gradients within 2⁻⁷ of each element's Σ|terms| (a dS element may round the other way).
    @Test(.enabled(if: LinearBF16.isAvailable, "this CPU has no AVX512-BF16"), arguments: AttentionBF16Tests.cases)
    func attentionMatchesScalarRederivation(_ name: String) throws {
        let f = try Fixture("attention_bf16")
        let c = f.tensor("\(name).config").array.map(Double.init)
        let s = AttentionShape(batch: Int(c[0]), queries: Int(c[1]), keys: Int(c[2]), heads: Int(c[3]),
                               kvHeads: Int(c[4]), headDim: Int(c[5]))
        let mask = f.tensor("\(name).keymask")
        var opts = AttentionOptions(scale: Float(c[7]), causal: true, queryOffset: Int(c[6]), keyMask: mask.data)
        opts.bf16 = true
        let (q, k, v) = (f.tensor("\(name).q").array, f.tensor("\(name).k").array, f.tensor("\(name).v").array)
        let dOut = randomValues(s.batch * s.queries * s.heads * s.headDim, seed: 9).map(BF16Compute.round)
        let got = runAttention(s, q: q, k: k, v: v, dOut: dOut, options: opts, fused: false, saveProbs: true)
        let naive = BF16NaiveAttention(shape: s, options: opts)
        let probs = naive.probabilities(q: q, k: k)
        let same = zip(got.probs, probs).filter { $0 == $1 }.count
        let near = zip(got.probs, probs).filter { AttentionBF16Tests.within($0, $1, ulps: 1) }.count
        #expect(Double(same) >= 0.95 * Double(probs.count), "\(name) probs: \(same)/\(probs.count) identical")
        #expect(Double(near) >= 0.99 * Double(probs.count), "\(name) probs: \(near)/\(probs.count) within 1 ulp")
        let want = naive.fromProbabilities(got.probs, q: q, k: k, v: v, dOut: dOut)
        AttentionBF16Tests.check(got.out, want.out, ulps: 1, identical: 0.95, "\(name) out")
        for (label, g, w, size) in [("dq", got.dq, want.dq, want.dqSize), ("dk", got.dk, want.dk, want.dkSize),
                                    ("dv", got.dv, want.dv, want.dvSize)] {
            let bad = g.indices.filter { abs(Double(g[$0]) - w[$0]) > 0x1p-7 * size[$0] + 1e-30 }
            #expect(bad.isEmpty, "\(name) \(label): \(bad.count) of \(g.count) beyond 2⁻⁷ Σ|terms|, first \(bad.first ?? -1)")
        }
    }
}
