import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct NormTests {
    @Test func layerNormByHand() {
        // candle layer_norm.rs: [1, 2, 3] → [-1.2247, 0, 1.2247]
        let x: [Float] = [1, 2, 3]
        var y = [Float](repeating: 0, count: 3), mean: [Float] = [0], rstd: [Float] = [0]
        LayerNorm.forward(x, weight: nil, bias: nil, &y, mean: &mean, rstd: &rstd, rows: 1, cols: 3, eps: 0)
        #expect(abs(y[0] + 1.2247449) < 1e-6 && abs(y[1]) < 1e-6 && abs(y[2] - 1.2247449) < 1e-6)
        #expect(mean[0] == 2)
        #expect(abs(rstd[0] - 1.2247449) < 1e-6)   // var = 2/3
    }

    @Test func rmsNormByHand() {
        // [3, 4]: mean(x²) = 12.5 → y = x/√12.5 · w
        let x: [Float] = [3, 4], w: [Float] = [2, 0.5]
        var y: [Float] = [0, 0], rstd: [Float] = [0]
        RMSNorm.forward(x, weight: w, &y, rstd: &rstd, rows: 1, cols: 2, eps: 0)
        let r = 1 / Float(12.5).squareRoot()
        #expect(abs(y[0] - 6 * r) < 1e-6 && abs(y[1] - 2 * r) < 1e-6 && abs(rstd[0] - r) < 1e-7)
        RMSNorm.forward(x, weight: w, &y, rstd: nil, rows: 1, cols: 2, eps: 0, weightOffset: 1)
        #expect(abs(y[0] - 9 * r) < 1e-6 && abs(y[1] - 6 * r) < 1e-6)
    }

    /// nn.LayerNorm with bias, without bias, without affine: forward and torch autograd dx.
    @Test(arguments: ["ln", "ln_nobias", "ln_noaffine"])
    func layerNormGolden(_ name: String) throws {
        let fx = try Fixture("norms")
        let x = fx.floats("x"), dy = fx.floats("dy"), eps = fx.scalar("ln_eps")
        let w: [Float]? = name == "ln_noaffine" ? nil : fx.floats("weight")
        let b: [Float]? = name == "ln" ? fx.floats("bias") : nil
        let (rows, c) = (x.count / 33, 33)
        var y = [Float](repeating: 0, count: x.count), dx = y
        var mean = [Float](repeating: 0, count: rows), rstd = mean
        LayerNorm.forward(x, weight: w, bias: b, &y, mean: &mean, rstd: &rstd, rows: rows, cols: c, eps: eps)
        LayerNorm.backward(dy, x, weight: w, mean: mean, rstd: rstd, &dx, rows: rows, cols: c)
        assertClose(y, fx.floats("\(name).y"), .relative(1e-5), "\(name).y")
        assertClose(dx, fx.floats("\(name).dx"), .relative(1e-5), "\(name).dx")
    }

    /// LlamaRMSNorm, T5LayerNorm (offset 0) and GemmaRMSNorm (offset 1) from transformers.
    @Test(arguments: ["llama_rms", "t5_rms", "gemma_rms"])
    func rmsNormGolden(_ name: String) throws {
        let fx = try Fixture("norms")
        let x = fx.floats("x"), dy = fx.floats("dy"), eps = fx.scalar("rms_eps")
        let gemma = name == "gemma_rms"
        let w = fx.floats(gemma ? "gemma_weight" : "weight")
        let off: Float = gemma ? 1 : 0
        let (rows, c) = (x.count / 33, 33)
        var y = [Float](repeating: 0, count: x.count), dx = y
        var rstd = [Float](repeating: 0, count: rows)
        RMSNorm.forward(x, weight: w, &y, rstd: &rstd, rows: rows, cols: c, eps: eps, weightOffset: off)
        RMSNorm.backward(dy, x, weight: w, rstd: rstd, &dx, rows: rows, cols: c, weightOffset: off)
        assertClose(y, fx.floats("\(name).y"), .relative(1e-5), "\(name).y")
        assertClose(dx, fx.floats("\(name).dx"), .relative(1e-5), "\(name).dx")
    }

    @Test(arguments: [(false, false), (true, false), (true, true)])
    func layerNormGradCheck(_ affine: Bool, _ withBias: Bool) {
        let (rows, c) = (3, 19)
        let x = randomValues(rows * c, seed: 11, scale: 2)
        let w: [Float]? = affine ? randomValues(c, seed: 12).map { $0 + 1.2 } : nil
        let b: [Float]? = withBias ? randomValues(c, seed: 13) : nil
        func fwd(_ x: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: x.count)
            LayerNorm.forward(x, weight: w, bias: b, &y, mean: nil, rstd: nil, rows: rows, cols: c, eps: 1e-5)
            return y
        }
        let worst = gradCheck(input: x, outputCount: x.count, h: 1e-2, forward: fwd) { x, dy in
            var y = [Float](repeating: 0, count: x.count), dx = y
            var mean = [Float](repeating: 0, count: rows), rstd = mean
            LayerNorm.forward(x, weight: w, bias: b, &y, mean: &mean, rstd: &rstd, rows: rows, cols: c, eps: 1e-5)
            LayerNorm.backward(dy, x, weight: w, mean: mean, rstd: rstd, &dx, rows: rows, cols: c)
            return dx
        }
        #expect(worst < 2e-3, "worst relative FD error \(worst)")
    }

    @Test(arguments: [Float(0), 1])
    func rmsNormGradCheck(_ offset: Float) {
        let (rows, c) = (3, 21)
        let x = randomValues(rows * c, seed: 21, scale: 2)
        let w = randomValues(c, seed: 22)
        func fwd(_ x: [Float]) -> [Float] {
            var y = [Float](repeating: 0, count: x.count)
            RMSNorm.forward(x, weight: w, &y, rstd: nil, rows: rows, cols: c, eps: 1e-6, weightOffset: offset)
            return y
        }
        let worst = gradCheck(input: x, outputCount: x.count, h: 1e-2, forward: fwd) { x, dy in
            var y = [Float](repeating: 0, count: x.count), dx = y
            var rstd = [Float](repeating: 0, count: rows)
            RMSNorm.forward(x, weight: w, &y, rstd: &rstd, rows: rows, cols: c, eps: 1e-6, weightOffset: offset)
            RMSNorm.backward(dy, x, weight: w, rstd: rstd, &dx, rows: rows, cols: c, weightOffset: offset)
            return dx
        }
        #expect(worst < 2e-3, "worst relative FD error \(worst)")
    }

    /// Large problems go through the thread pool; results must equal the single-row computation,
    /// and `accumulate` must add to what is already there.
    @Test func parallelRowsAndAccumulate() {
        let (rows, c) = (300, 517)   // 155K elements → parallel
        let x = randomValues(rows * c, seed: 31, scale: 3), dy = randomValues(rows * c, seed: 32)
        let w = randomValues(c, seed: 33)
        var y = [Float](repeating: 0, count: rows * c), dx = [Float](repeating: 1, count: rows * c)
        var mean = [Float](repeating: 0, count: rows), rstd = mean
        LayerNorm.forward(x, weight: w, bias: nil, &y, mean: &mean, rstd: &rstd, rows: rows, cols: c, eps: 1e-5)
        LayerNorm.backward(dy, x, weight: w, mean: mean, rstd: rstd, &dx, rows: rows, cols: c, accumulate: true)
        var ok = true
        for r in [0, 149, 150, 299] {
            let xs = Array(x[(r * c)..<((r + 1) * c)]), dys = Array(dy[(r * c)..<((r + 1) * c)])
            var y1 = [Float](repeating: 0, count: c), dx1 = y1, m1: [Float] = [0], r1: [Float] = [0]
            LayerNorm.forward(xs, weight: w, bias: nil, &y1, mean: &m1, rstd: &r1, rows: 1, cols: c, eps: 1e-5)
            LayerNorm.backward(dys, xs, weight: w, mean: m1, rstd: r1, &dx1, rows: 1, cols: c)
            ok = ok && y1 == Array(y[(r * c)..<((r + 1) * c)])
                && dx1.map { $0 + 1 } == Array(dx[(r * c)..<((r + 1) * c)])
        }
        #expect(ok)
    }
}
