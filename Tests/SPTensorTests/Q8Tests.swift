// Q8_0 storage against gguf-py (scripts/reference/q8_goldens.py → Fixtures/q8_0.json).

import Foundation
import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct Q8Tests {
    struct Golden {
        let rows: Int, cols: Int
        let w: [Float], x: [Float], bytes: [UInt8], dequantized: [Float], y: [Double]

        init() throws {
            let o = try Fixture.root.jsonObject("q8_0.json")
            func floats(_ k: String) -> [Float] { ((o[k] as? [Double]) ?? []).map { Float($0) } }
            rows = o["rows"] as? Int ?? 0
            cols = o["cols"] as? Int ?? 0
            (w, x, dequantized) = (floats("w"), floats("x"), floats("dequantized"))
            y = (o["y"] as? [Double]) ?? []
            let hex = Array((o["q8_0_hex"] as? String ?? "").utf8)
            bytes = stride(from: 0, to: hex.count, by: 2).map { UInt8(String(decoding: hex[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
        }

        var weight: Weight { Weight(Tensor(shape: [rows, cols], values: w)) }
    }

    @Test func quantizationIsByteIdenticalToGGUF() throws {
        let g = try Golden()
        let q = try #require(g.weight.quantizedQ8_0())
        guard case .q8_0(let p) = q.storage else { Issue.record("not Q8_0 storage"); return }
        let ours = Array(UnsafeRawBufferPointer(start: p, count: q.storageBytes))
        #expect(ours.count == g.bytes.count)
        let firstDiff = zip(ours, g.bytes).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        #expect(firstDiff == nil, "first differing byte at \(firstDiff ?? -1)")
    }

    @Test func dequantizationMatchesGGUF() throws {
        let g = try Golden()
        let q = try #require(g.weight.quantizedQ8_0())
        let out = [Float](unsafeUninitializedCapacity: g.rows * g.cols) { b, n in
            q.rows(0, g.rows, into: b.baseAddress!); n = g.rows * g.cols
        }
        #expect(out == g.dequantized)
        // addRow adds the same values.
        var acc = [Float](repeating: 1, count: g.cols)
        q.addRow(4, into: &acc)
        #expect(acc == (0..<g.cols).map { 1 + g.dequantized[4 * g.cols + $0] })
    }

    @Test func gemvAndGemmComputeTheDequantizedWeights() throws {
        let g = try Golden()
        let q = try #require(g.weight.quantizedQ8_0())
        let y = Tensor(shape: [1, g.rows])
        g.x.withUnsafeBufferPointer { Linear.forward($0.baseAddress!, q, bias: nil, y.data, m: 1) }
        for j in 0..<g.rows {
            #expect(abs(Double(y.data[j]) - g.y[j]) <= 1e-5 * max(1, abs(g.y[j])), "row \(j): \(y.data[j]) vs \(g.y[j])")
        }
        // Several rows go through the widened-panel GEMM: same values as float32 weights.
        let x3 = Tensor(shape: [3, g.cols], values: g.x + g.x.map { -$0 } + g.x.map { 2 * $0 })
        let yq = Tensor(shape: [3, g.rows]), yf = Tensor(shape: [3, g.rows])
        Linear.forward(x3.data, q, bias: nil, yq.data, m: 3)
        Linear.forward(x3.data, Weight(Tensor(shape: [g.rows, g.cols], values: g.dequantized)), bias: nil, yf.data, m: 3)
        assertClose(yq.array, yf.array, .relative(1e-6), "q8 y vs dequantized f32")
        // Backward to the input through the panels too.
        let dy = Tensor(shape: [3, g.rows], values: (0..<(3 * g.rows)).map { Float($0 % 5) - 2 })
        let dxq = Tensor(shape: [3, g.cols]), dxf = Tensor(shape: [3, g.cols])
        Linear.backwardInput(dy.data, q, dxq.data, m: 3)
        Linear.backwardInput(dy.data, Weight(Tensor(shape: [g.rows, g.cols], values: g.dequantized)), dxf.data, m: 3)
        assertClose(dxq.array, dxf.array, .relative(1e-6), "q8 dx vs dequantized f32")
    }

    @Test func transposedAndUnalignedWeights() {
        // A Conv1D-layout weight quantizes its logical rows; widths not a multiple of 32 are refused.
        let t = Tensor(shape: [64, 3], values: (0..<192).map { Float($0) / 7 - 10 })
        let conv = Weight(t, transposed: true)
        let q = conv.quantizedQ8_0()
        #expect(q?.outFeatures == 3 && q?.inFeatures == 64)
        let back = q.map { w in (0..<3).flatMap { w.row($0) } } ?? []
        let logical = (0..<3).flatMap { conv.row($0) }
        assertClose(back, logical, .relative(0.01), "transposed weight round trip")
        #expect(Weight(Tensor(shape: [2, 48])).quantizedQ8_0() == nil)
    }
}

@Suite struct SplitRowsGEMMTests {
    /// The split GEMM (one single-threaded OpenBLAS call per pool thread, on rows or, for a few rows,
    /// on columns) equals one BLAS call, for both B layouts, with beta 0 and 1, and leaves OpenBLAS's
    /// thread count as configured.
    @Test(arguments: [false, true], [[1000, 72, 40], [20, 300, 40], [3, 1031, 17]])
    func matchesOneCall(_ transB: Bool, _ mnk: [Int]) {
        let (m, n, k) = (mnk[0], mnk[1], mnk[2])
        var rng = SplitMixTest(seed: 9)
        let a = (0..<(m * k)).map { _ in rng.float() }, b = (0..<(n * k)).map { _ in rng.float() }
        let c0 = (0..<(m * n)).map { _ in rng.float() }
        for beta: Float in [0, 1] {
            var one = c0, split = c0
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    BLAS.sgemm(transA: false, transB: transB, m: m, n: n, k: k, a: ap.baseAddress!, lda: k,
                               b: bp.baseAddress!, ldb: transB ? k : n, beta: beta, c: &one, ldc: n)
                    BLAS.sgemmSplitRows(transB: transB, m: m, n: n, k: k, a: ap.baseAddress!, lda: k,
                                        b: bp.baseAddress!, ldb: transB ? k : n, beta: beta, c: &split, ldc: n)
                }
            }
            assertClose(split, one, .relative(1e-6), "transB \(transB) beta \(beta)")
        }
        #expect(BLAS.threadCountIsConsistent)
    }
}

@Suite struct SplitWideGEMMTests {
    /// The LM head's GEMMs on the pool: columns of C split (x·Wᵀ, W [V, C]) and the inner dimension
    /// split with partial sums (dy·W) equal one BLAS call, with beta 0 and 1.
    @Test(arguments: [[64, 40, 3000], [5, 33, 2049]])
    func matchOneCall(_ mkn: [Int]) {
        let (m, k, n) = (mkn[0], mkn[1], mkn[2])
        var rng = SplitMixTest(seed: 11)
        let x = (0..<(m * k)).map { _ in rng.float() }, w = (0..<(n * k)).map { _ in rng.float() }
        let dy = (0..<(m * n)).map { _ in rng.float() }
        let y0 = (0..<(m * n)).map { _ in rng.float() }, dx0 = (0..<(m * k)).map { _ in rng.float() }
        for beta: Float in [0, 1] {
            var one = y0, split = y0, dOne = dx0, dSplit = dx0
            x.withUnsafeBufferPointer { xp in
                w.withUnsafeBufferPointer { wp in
                    dy.withUnsafeBufferPointer { dp in
                        BLAS.sgemm(transA: false, transB: true, m: m, n: n, k: k, a: xp.baseAddress!, lda: k,
                                   b: wp.baseAddress!, ldb: k, beta: beta, c: &one, ldc: n)
                        BLAS.sgemmSplitColumns(m: m, n: n, k: k, a: xp.baseAddress!, lda: k, b: wp.baseAddress!,
                                               ldb: k, beta: beta, c: &split, ldc: n)
                        BLAS.sgemm(transA: false, transB: false, m: m, n: k, k: n, a: dp.baseAddress!, lda: n,
                                   b: wp.baseAddress!, ldb: k, beta: beta, c: &dOne, ldc: k)
                        BLAS.sgemmSplitInner(m: m, n: k, k: n, a: dp.baseAddress!, lda: n, b: wp.baseAddress!,
                                             ldb: k, beta: beta, c: &dSplit, ldc: k)
                    }
                }
            }
            assertClose(split, one, .relative(1e-6), "columns \(mkn) beta \(beta)")
            assertClose(dSplit, dOne, .relative(1e-5), "inner \(mkn) beta \(beta)")
        }
        #expect(BLAS.threadCountIsConsistent)
    }
}

/// A tiny seeded generator for test data.
struct SplitMixTest {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func float() -> Float {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Float((z ^ (z >> 31)) >> 40) / Float(1 << 24) - 0.5
    }
}
