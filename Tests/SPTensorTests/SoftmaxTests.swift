import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct SoftmaxTests {
    @Test func byHand() {
        let x: [Float] = [1, 2, 3, 1000, 1001, 1002]
        var y = [Float](repeating: 0, count: 6)
        Softmax.forward(x, &y, rows: 2, cols: 3)
        let e: [Float] = [0.09003057, 0.24472847, 0.66524096]
        for i in 0..<6 { #expect(abs(y[i] - e[i % 3]) < 1e-7, "y[\(i)] = \(y[i])") }
    }

    /// softmax(x·scale) with large, peaked and "masked" (−1e4) rows against torch autograd.
    @Test(arguments: ["scale1", "scale_0125"])
    func matchesTorch(_ name: String) throws {
        let fx = try Fixture("softmax")
        let x = fx.floats("x"), dy = fx.floats("dy"), scale = fx.scalar("\(name).scale")
        let (rows, cols) = (x.count / 33, 33)
        var y = [Float](repeating: 0, count: x.count), dx = y
        Softmax.forward(x, &y, rows: rows, cols: cols, scale: scale)
        Softmax.backward(dy, y, &dx, rows: rows, cols: cols, scale: scale)
        assertClose(y, fx.floats("\(name).y"), .relative(1e-5), "\(name).y")
        assertClose(dx, fx.floats("\(name).dx"), .relative(1e-5), "\(name).dx")
    }

    @Test func maskedEntriesAreExactlyZeroAndFullyMaskedRowIsNaN() {
        let x: [Float] = [0.5, -.infinity, 2, -.infinity, -.infinity, -.infinity]
        var y = [Float](repeating: 0, count: 6)
        Softmax.forward(x, &y, rows: 2, cols: 3)
        #expect(y[1] == 0 && abs(y[0] + y[2] - 1) < 1e-7)
        #expect(y[3].isNaN && y[4].isNaN && y[5].isNaN)   // torch gives NaN for an all -inf row
    }

    @Test(arguments: [Float(1), 0.37])
    func finiteDifference(_ scale: Float) {
        let (rows, cols) = (3, 19)
        let x = randomValues(rows * cols, seed: 3, scale: 2)
        let worst = gradCheck(input: x, outputCount: x.count, forward: { x in
            var y = [Float](repeating: 0, count: x.count)
            Softmax.forward(x, &y, rows: rows, cols: cols, scale: scale)
            return y
        }, analytic: { x, dy in
            var y = [Float](repeating: 0, count: x.count), dx = y
            Softmax.forward(x, &y, rows: rows, cols: cols, scale: scale)
            Softmax.backward(dy, y, &dx, rows: rows, cols: cols, scale: scale)
            return dx
        })
        #expect(worst < 2e-3, "worst relative FD error \(worst)")
    }

    /// The pooled path, in-place forward/backward and accumulate agree with per-row calls.
    @Test func parallelInPlaceAccumulate() {
        let (rows, cols) = (200, 517)
        let x = randomValues(rows * cols, seed: 5, scale: 8), dy = randomValues(rows * cols, seed: 6)
        let t = Tensor(shape: [rows, cols], values: x)
        Softmax.forward(t.data, t.data, rows: rows, cols: cols, scale: 0.5)
        let y = t.array
        let g = Tensor(shape: [rows, cols], values: dy)
        Softmax.backward(g.data, t.data, g.data, rows: rows, cols: cols, scale: 0.5)
        var acc = [Float](repeating: 1, count: rows * cols)
        Softmax.backward(dy, y, &acc, rows: rows, cols: cols, scale: 0.5, accumulate: true)
        var ok = true
        for r in [0, 99, 100, 199] {
            let s = (r * cols)..<((r + 1) * cols)
            var y1 = [Float](repeating: 0, count: cols), dx1 = y1
            Softmax.forward(Array(x[s]), &y1, rows: 1, cols: cols, scale: 0.5)
            Softmax.backward(Array(dy[s]), y1, &dx1, rows: 1, cols: cols, scale: 0.5)
            ok = ok && y1 == Array(y[s]) && dx1 == Array(g.array[s]) && dx1.map { $0 + 1 } == Array(acc[s])
        }
        #expect(ok)
    }
}
