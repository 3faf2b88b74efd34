import Testing
@testable import SPTensor

@Suite struct EmbeddingTests {
    /// F.embedding on the table in float32, float16 and bfloat16 storage.
    @Test(arguments: [DType.float32, .float16, .bfloat16])
    func matchesTorch(_ dtype: DType) throws {
        let fx = try Fixture("embedding")
        let table = Weight(fx.tensor("table")).converted(to: dtype)
        let ids = fx.int32s("ids")
        let key = ["float32": "f32", "float16": "f16", "bfloat16": "bf16"][dtype.rawValue]!
        let out = Tensor(shape: [ids.count, table.inFeatures])
        try ids.withUnsafeBufferPointer { try Embedding.forward(ids: $0, table: table, out.data) }
        #expect(out.array == fx.floats("\(key).out"), "widening must be exact")
        let out2 = Tensor(shape: [ids.count, table.inFeatures])
        Embedding.forwardUnchecked(ids: ids, count: ids.count, table: table, out2.data)
        #expect(out2.array == out.array)
    }

    @Test func outOfRangeIdsThrowAndWriteNothing() {
        let table = Weight(Tensor(shape: [4, 3], values: (0..<12).map(Float.init)))
        let out = Tensor(shape: [3, 3])
        for (ids, bad) in [([0, 4, 1] as [Int32], (4, 1)), ([-1, 0, 0], (-1, 0))] {
            #expect(throws: KernelInputError.tokenIdOutOfRange(id: bad.0, position: bad.1, vocabSize: 4)) {
                try ids.withUnsafeBufferPointer { try Embedding.forward(ids: $0, table: table, out.data) }
            }
        }
        #expect(out.array.allSatisfy { $0 == 0 })
    }

    @Test func transposedStorageAndPooledRows() throws {
        // [V, C] stored transposed ([C, V], GPT-2 Conv1D style) gathers the same rows.
        let (v, c) = (300, 257)
        let vals = randomValues(v * c, seed: 1)
        let t = Tensor(shape: [v, c], values: vals)
        var tt = [Float](repeating: 0, count: v * c)
        for i in 0..<v { for j in 0..<c { tt[j * v + i] = vals[i * c + j] } }
        let w = Weight(t), wt = Weight(Tensor(shape: [c, v], values: tt), transposed: true)
        let ids: [Int32] = (0..<400).map { Int32(($0 * 37) % v) }   // 400·257 floats → pooled
        let a = Tensor(shape: [400, c]), b = Tensor(shape: [400, c])
        try ids.withUnsafeBufferPointer { try Embedding.forward(ids: $0, table: w, a.data) }
        try ids.withUnsafeBufferPointer { try Embedding.forward(ids: $0, table: wt, b.data) }
        #expect(a.array == b.array)
        #expect(Array(a.array[(5 * c)..<(6 * c)]) == Array(vals[(185 * c)..<(186 * c)]))
    }
}

@Suite struct DropoutTests {
    @Test func identityWhenOffOrZero() {
        let x = randomValues(1000, seed: 1)
        var y = [Float](repeating: 0, count: 1000)
        Dropout.forward(x, &y, count: 1000, p: 0.3, seed: 1, stream: 0, training: false)
        #expect(y == x)
        Dropout.forward(x, &y, count: 1000, p: 0, seed: 1, stream: 0)
        #expect(y == x)
        Dropout.forward(x, &y, count: 1000, p: 1, seed: 1, stream: 0)
        #expect(y.allSatisfy { $0 == 0 })
    }

    /// Keep fraction within 5σ of 1 − p, kept values scaled by 1/(1 − p), neighbours uncorrelated.
    @Test(arguments: [Float(0.1), 0.5, 0.9])
    func statistics(_ p: Float) {
        let n = 200_001
        let x = [Float](repeating: 1, count: n)
        var y = [Float](repeating: 0, count: n)
        Dropout.forward(x, &y, count: n, p: p, seed: 42, stream: 7)
        let kept = y.filter { $0 != 0 }
        #expect(kept.allSatisfy { $0 == 1 / (1 - p) })
        let q = Double(1 - p), sigma = (Double(n) * q * (1 - q)).squareRoot()
        #expect(abs(Double(kept.count) - Double(n) * q) < 5 * sigma, "kept \(kept.count) of \(n)")
        var both = 0
        for i in 0..<(n - 1) where y[i] != 0 && y[i + 1] != 0 { both += 1 }
        let pairSigma = (Double(n) * q * q * (1 - q * q)).squareRoot()
        #expect(abs(Double(both) - Double(n - 1) * q * q) < 5 * pairSigma, "adjacent kept pairs \(both)")
        for i in [0, 1, 8, 65_535, n - 1] {
            #expect((y[i] != 0) == Dropout.keeps(index: i, p: p, seed: 42, stream: 7))
        }
    }

    @Test func deterministicPerStreamAndBackwardUsesTheSameMask() {
        let n = 70_003   // pooled
        let x = randomValues(n, seed: 3), dy = randomValues(n, seed: 4)
        var a = [Float](repeating: 0, count: n), b = a, c = a, dx = a
        Dropout.forward(x, &a, count: n, p: 0.25, seed: 9, stream: 1)
        Dropout.forward(x, &b, count: n, p: 0.25, seed: 9, stream: 1)
        Dropout.forward(x, &c, count: n, p: 0.25, seed: 9, stream: 2)
        #expect(a == b && a != c)
        Dropout.backward(dy, &dx, count: n, p: 0.25, seed: 9, stream: 1)
        var same = true
        for i in 0..<n { same = same && (dx[i] == 0) == (a[i] == 0) && (a[i] == 0 || dx[i] == dy[i] * (1 / Float(0.75))) }
        #expect(same)
        var acc = [Float](repeating: 1, count: n)
        Dropout.backward(dy, &acc, count: n, p: 0.25, seed: 9, stream: 1, accumulate: true)
        #expect(acc == dx.map { $0 + 1 })
        // a different seed gives a different mask
        Dropout.forward(x, &c, count: n, p: 0.25, seed: 10, stream: 1)
        #expect(a != c)
    }
}
