import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct ElementwiseTests {
    @Test func matchesTorch() throws {
        let fx = try Fixture("elementwise")
        let a = fx.floats("a"), b = fx.floats("b"), v = fx.floats("v")
        let n = a.count, (rows, cols) = (3, 37)
        var out = [Float](repeating: 0, count: n)
        Elementwise.add(a, b, &out, count: n)
        assertClose(out, fx.floats("add"), .relative(1e-5), "add")
        Elementwise.scale(a, by: 0.37, &out, count: n)
        assertClose(out, fx.floats("scale_037"), .relative(1e-5), "scale")
        Elementwise.multiply(a, b, &out, count: n)
        assertClose(out, fx.floats("multiply"), .relative(1e-5), "multiply")
        out = a
        Elementwise.addScaled(&out, b, alpha: 0.5, count: n)
        assertClose(out, fx.floats("add_scaled_05"), .relative(1e-5), "addScaled")
        Elementwise.addRow(a, v, &out, rows: rows, cols: cols)
        assertClose(out, fx.floats("add_row"), .relative(1e-5), "addRow")
        var s = [Float](repeating: 9, count: cols)
        Elementwise.sumRows(a, rows: rows, cols: cols, &s)
        assertClose(s, fx.floats("sum_rows"), .relative(1e-5), "sumRows")
    }

    /// Pooled sizes with ragged tails equal the scalar definition; in-place forms work.
    @Test func largeAndInPlace() {
        let n = 131_075
        let a = randomValues(n, seed: 1), b = randomValues(n, seed: 2)
        let t = Tensor(shape: [n], values: a)
        Elementwise.addInto(t.data, b, count: n)
        #expect(t.array == zip(a, b).map { $0 + $1 })
        Elementwise.scale(t.data, by: 2, t.data, count: n)
        #expect(t.array == zip(a, b).map { ($0 + $1) * 2 })
        var y = a
        Elementwise.addScaled(&y, b, alpha: -3, count: n)
        #expect(y == zip(a, b).map { $0.addingProduct(-3, $1) })
    }

    /// The soft-prompt gradient: rows 0..<P of every example in d(inputs_embeds) [B, T, C], summed.
    @Test func sumRowsWithStride() {
        let (batch, t, p, c) = (3, 5, 2, 4)
        let d = (0..<(batch * t * c)).map { Float($0) }
        var out = [Float](repeating: 0, count: p * c)
        Elementwise.sumRows(d, rows: batch, cols: p * c, &out, rowStride: t * c)
        let expected = (0..<(p * c)).map { j in (0..<batch).reduce(Float(0)) { $0 + d[$1 * t * c + j] } }
        #expect(out == expected)
        Elementwise.sumRows(d, rows: batch, cols: p * c, &out, rowStride: t * c, accumulate: true)
        #expect(out == expected.map { $0 * 2 })
    }
}
