// The decoding matvec (Sources/CBLAS/gemv.c) against a float64 reference, at every kernel level,
// for widths with and without a vector tail and row counts with and without a 4-row remainder.

import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct F32GemvTests {
    @Test("rows · x within float32 summation error of a float64 sum", arguments: [(7, 576), (64, 1536), (5, 37), (9, 16), (3, 1)])
    func kernel(_ shape: (Int, Int)) throws {
        let (rows, k) = shape
        var rng = SplitMix(UInt64(rows * 1000 + k))
        let w = rng.floats(rows * k), x = rng.floats(k)
        let want = (0..<rows).map { r in (0..<k).reduce(0.0) { $0 + Double(w[r * k + $1]) * Double(x[$1]) } }
        for level in 0...QuantDot.maxLevel {
            var y = [Float](repeating: .nan, count: rows)
            F32Gemv.rows(w, 0, rows, k: k, x: x, y: &y, level: level)
            for r in 0..<rows {
                let bound = 1e-6 * Double(k).squareRoot() * (0..<k).reduce(0.0) { $0 + abs(Double(w[r * k + $1] * x[$1])) } + 1e-30
                #expect(abs(Double(y[r]) - want[r]) <= bound, "level \(level) row \(r): \(y[r]) vs \(want[r])")
            }
            var acc = [Float](repeating: 2, count: rows)
            F32Gemv.rows(w, 0, rows, k: k, x: x, y: &acc, accumulate: true, level: level)
            #expect(zip(acc, y).allSatisfy { abs($0 - 2 - $1) <= 1e-5 * max(1, abs($1)) }, "level \(level) accumulate")
        }
    }

    @Test("Linear's one-row float32 product takes the streaming kernel and equals the GEMM to rounding")
    func linearOneRow() throws {
        var rng = SplitMix(9)
        let (n, k) = (300, 200)
        let w = Weight(Tensor(shape: [n, k], values: rng.floats(n * k)))
        let x = rng.floats(2 * k), bias = rng.floats(n)
        var one = [Float](repeating: 0, count: n), two = [Float](repeating: 0, count: 2 * n)
        Linear.forward(x, w, bias: bias, &one, m: 1)
        Linear.forward(x, w, bias: bias, &two, m: 2)  // the GEMM path
        _ = assertClose(one, Array(two[0..<n]), .relative(1e-5), "one row vs GEMM row")
        var acc = [Float](repeating: 1, count: n)
        Linear.forward(x, w, bias: nil, &acc, m: 1, accumulate: true)
        var plain = [Float](repeating: 0, count: n)
        Linear.forward(x, w, bias: nil, &plain, m: 1)
        #expect(zip(acc, plain).allSatisfy { abs($0 - 1 - $1) <= 1e-5 * max(1, abs($1)) })
    }
}
