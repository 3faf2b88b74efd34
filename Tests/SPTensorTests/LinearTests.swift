import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct LinearTests {
    @Test func forwardByHand() {
        // x[2,3] · W[2,3]ᵀ + b
        let x = Tensor(shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let w = Weight(Tensor(shape: [2, 3], values: [1, 0, -1, 2, 1, 0]))
        let b: [Float] = [0.5, -1]
        let y = Tensor(shape: [2, 2])
        Linear.forward(x.data, w, bias: b, y.data, m: 2)
        #expect(y.array == [-1.5, 3, -1.5, 12])
    }

    @Test(arguments: ["linear", "conv1d", "bf16", "f16"])
    func matchesTorch(_ variant: String) throws {
        let f = try Fixture("linear")
        let x = f.tensor("x"), b = f.tensor("b"), dy = f.tensor("dy")
        let (m, n, k) = (x.shape[0], f.tensor("w").shape[0], x.shape[1])
        let w: Weight
        switch variant {
        case "conv1d": w = Weight(f.tensor("w_conv1d"), transposed: true)
        case "bf16": w = Weight(f.tensor("w")).converted(to: .bfloat16)
        case "f16": w = Weight(f.tensor("w")).converted(to: .float16)
        default: w = Weight(f.tensor("w"))
        }
        #expect(w.outFeatures == n && w.inFeatures == k)
        let suffix = (variant == "bf16" || variant == "f16") ? "_\(variant)" : ""
        let y = Tensor(shape: [m, n]), dx = Tensor(shape: [m, k])
        Linear.forward(x.data, w, bias: b.data, y.data, m: m)
        Linear.backwardInput(dy.data, w, dx.data, m: m)
        assertClose(y.array, f.tensor("y" + suffix).array, .relative(1e-5), "y" + suffix)
        assertClose(dx.array, f.tensor("dx" + suffix).array, .relative(1e-5), "dx" + suffix)
        // accumulate adds on top of what is there
        Linear.backwardInput(dy.data, w, dx.data, m: m, accumulate: true)
        assertClose(dx.array, f.tensor("dx" + suffix).array.map { 2 * $0 }, .relative(1e-5), "dx·2" + suffix)
    }

    @Test func backwardMatchesFiniteDifferences() {
        let (m, k, n) = (3, 5, 4)
        let w = Weight(Tensor(shape: [n, k], values: randomValues(n * k, seed: 7)))
        let x0 = randomValues(m * k, seed: 8)
        let err = gradCheck(input: x0, outputCount: m * n, forward: { xs in
            let x = Tensor(shape: [m, k], values: xs), y = Tensor(shape: [m, n])
            Linear.forward(x.data, w, bias: nil, y.data, m: m)
            return y.array
        }, analytic: { _, r in
            let dy = Tensor(shape: [m, n], values: r), dx = Tensor(shape: [m, k])
            Linear.backwardInput(dy.data, w, dx.data, m: m)
            return dx.array
        })
        #expect(err < 1e-3)
    }

    @Test func halfPanelsCoverLargeWeights() {
        // More rows than one scratch panel holds, so several panels are widened and accumulated.
        let k = 3000, n = PanelScratch.floats / k + 7, m = 2
        let wt = Tensor(shape: [n, k], values: randomValues(n * k, seed: 3))
        let w32 = Weight(wt), w16 = Weight(wt).converted(to: .bfloat16)
        let x = Tensor(shape: [m, k], values: randomValues(m * k, seed: 4))
        let y32 = Tensor(shape: [m, n]), y16 = Tensor(shape: [m, n])
        Convert.roundTrip(wt.data, wt.count, through: .bfloat16)  // w32 now holds bf16-rounded values
        Linear.forward(x.data, w32, bias: nil, y32.data, m: m)
        Linear.forward(x.data, w16, bias: nil, y16.data, m: m)
        assertClose(y16.array, y32.array, .relative(1e-5), "f16 y vs f32")
        let dy = Tensor(shape: [m, n], values: randomValues(m * n, seed: 5))
        let d32 = Tensor(shape: [m, k]), d16 = Tensor(shape: [m, k])
        Linear.backwardInput(dy.data, w32, d32.data, m: m)
        Linear.backwardInput(dy.data, w16, d16.data, m: m)
        assertClose(d16.array, d32.array, .relative(1e-5), "f16 dx vs f32")
    }
}

@Suite struct LinearSingleRowTests {
    /// One row goes through GEMV / the fused half-precision dot kernel; it must equal the GEMM result.
    @Test(arguments: [DType.float32, .float16, .bfloat16], [false, true])
    func singleRowMatchesGEMM(_ dtype: DType, _ transposed: Bool) {
        let (k, n) = (37, 29)
        let t = Tensor(shape: transposed ? [k, n] : [n, k], values: randomValues(n * k, seed: 21))
        if dtype != .float32 && transposed { return }  // half storage is always [out, in]
        let w = dtype == .float32 ? Weight(t, transposed: transposed) : Weight(t).converted(to: dtype)
        let x = Tensor(shape: [2, k], values: randomValues(2 * k, seed: 22))
        let b = randomValues(n, seed: 23)
        let y2 = Tensor(shape: [2, n]), y1 = Tensor(shape: [1, n])
        Linear.forward(x.data, w, bias: b, y2.data, m: 2)
        Linear.forward(x.data, w, bias: b, y1.data, m: 1)
        assertClose(y1.array, Array(y2.array[0..<n]), .relative(1e-5), "first rows")
        Linear.forward(x.data, w, bias: nil, y1.data, m: 1, accumulate: true)   // += x·Wᵀ
        let twice = (0..<n).map { 2 * y2.array[$0] - b[$0] }
        assertClose(y1.array, twice, .relative(1e-5), "accumulated")
    }
}

@Suite struct LinearBiasTests {
    /// bias with accumulate: y += x·Wᵀ + b, on the GEMM path (several rows).
    @Test func accumulateWithBias() {
        let (m, k, n) = (3, 11, 7)
        let w = Weight(Tensor(shape: [n, k], values: randomValues(n * k, seed: 31)))
        let x = Tensor(shape: [m, k], values: randomValues(m * k, seed: 32))
        let b = randomValues(n, seed: 33)
        let once = Tensor(shape: [m, n]), twice = Tensor(shape: [m, n])
        Linear.forward(x.data, w, bias: b, once.data, m: m)
        Linear.forward(x.data, w, bias: b, twice.data, m: m)
        Linear.forward(x.data, w, bias: b, twice.data, m: m, accumulate: true)
        assertClose(twice.array, once.array.map { 2 * $0 }, .relative(1e-5), "beta 1 accumulates")
    }
}
