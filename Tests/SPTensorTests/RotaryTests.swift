import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct RotaryTests {
    /// (fixture case, rope scaling, base, max_position_embeddings)
    static let cases: [(String, RopeScaling, Double, Int)] = [
        ("default", .none, 10000, 2048),
        ("default_far", .none, 500_000, 2048),
        ("linear", RopeScaling(kind: .linear, factor: 4), 10000, 2048),
        ("dynamic", RopeScaling(kind: .dynamic, factor: 2), 10000, 16),
        ("dynamic_short", RopeScaling(kind: .dynamic, factor: 2), 10000, 16),
        ("llama3", RopeScaling(kind: .llama3, factor: 8, lowFreqFactor: 1, highFreqFactor: 4,
                               originalMaxPositionEmbeddings: 64), 10000, 2048),
        ("partial25", .none, 10000, 512),
        ("partial50", .none, 10000, 512),
        ("gptj", .none, 10000, 512),
    ]

    static var chunk: Int { (try? Fixture("rotary").scalar("torch_vector_chunk")).map { Int($0) } ?? 0 }

    @Test(arguments: cases) func matchesTransformers(_ name: String, _ scaling: RopeScaling, _ base: Double,
                                                     _ maxPos: Int) throws {
        let f = try Fixture("rotary")
        let c = f.tensor("\(name).config").array.map { Int($0) }
        let (B, T, H, HK, HD, R) = (c[0], c[1], c[2], c[3], c[4], c[5])
        let style: Rotary.Style = c[6] == 1 ? .interleaved : .halves
        let positions = f.tensor("\(name).positions").array.map { Int32($0) }
        let seqLen = Int(positions.max()!) + 1
        let inv = Rotary.inverseFrequencies(rotaryDim: R, base: base, scaling: scaling, maxPositionEmbeddings: maxPos,
                                            seqLen: seqLen, chunk: Self.chunk)
        #expect(inv == f.tensor("\(name).invfreq").array, "\(name) inv_freq must match bit for bit")
        let cos = Tensor(shape: [B * T, R / 2]), sin = Tensor(shape: [B * T, R / 2])
        positions.withUnsafeBufferPointer {
            Rotary.cosSin(inverseFrequencies: inv, positions: $0.baseAddress!, count: B * T, cos: cos.data, sin: sin.data)
        }
        assertClose(cos.array, f.tensor("\(name).cos").array, .relative(1e-6), "\(name) cos")
        assertClose(sin.array, f.tensor("\(name).sin").array, .relative(1e-6), "\(name) sin")

        for (x, heads) in [("q", H), ("k", HK)] {
            let t = f.tensor("\(name).\(x)")
            let view = MutableHeadsView(t.data, .contiguous(tokens: T, heads: heads, headDim: HD))
            Rotary.forward(view, batch: B, tokens: T, heads: heads, headDim: HD, rotaryDim: R, cos: cos.data,
                           sin: sin.data, style: style)
            assertClose(t.array, f.tensor("\(name).\(x)out").array, .relative(1e-5), "\(name) \(x) forward")
            let g = f.tensor("\(name).g\(x)")
            Rotary.backward(MutableHeadsView(g.data, view.layout), batch: B, tokens: T, heads: heads, headDim: HD,
                            rotaryDim: R, cos: cos.data, sin: sin.data, style: style)
            assertClose(g.array, f.tensor("\(name).d\(x)").array, .relative(1e-5), "\(name) d\(x)")
        }
    }

    /// Default-rope inverse frequencies for many (base, head_dim): both halves of torch's pow loop.
    @Test func inverseFrequencyTablesAreBitExact() throws {
        let f = try Fixture("rotary")
        var checked = 0
        for base in [10000, 500_000, 1_000_000, 25000] {
            for dim in [8, 16, 24, 32, 48, 64, 80, 96, 128, 160, 256] {
                let inv = Rotary.inverseFrequencies(rotaryDim: dim, base: Double(base), scaling: .none,
                                                    maxPositionEmbeddings: 2048, seqLen: nil, chunk: Self.chunk)
                #expect(inv == f.tensor("invfreq.\(base).\(dim)").array, "base \(base) dim \(dim)")
                checked += inv.count
            }
        }
        #expect(checked == 4 * 456)
    }

    /// The rotation on a strided slice (q inside a fused qkv row) leaves everything else alone.
    @Test func stridedSliceAndPassThrough() {
        let (B, T, H, HD, R) = (2, 3, 2, 6, 4)
        let W = 3 * H * HD
        let buf = Tensor(shape: [B, T, W], values: randomValues(B * T * W, seed: 3))
        let before = buf.array
        let inv = Rotary.inverseFrequencies(rotaryDim: R, base: 10000)
        let pos: [Int32] = [0, 1, 2, 5, 6, 7]
        let cos = Tensor(shape: [B * T, R / 2]), sin = Tensor(shape: [B * T, R / 2])
        pos.withUnsafeBufferPointer {
            Rotary.cosSin(inverseFrequencies: inv, positions: $0.baseAddress!, count: B * T, cos: cos.data, sin: sin.data)
        }
        let k = MutableHeadsView(buf.data + H * HD, .rows(tokens: T, rowWidth: W, headDim: HD))
        Rotary.forward(k, batch: B, tokens: T, heads: H, headDim: HD, rotaryDim: R, cos: cos.data, sin: sin.data)
        let after = buf.array
        for i in 0..<after.count {
            let col = i % W, d = (col - H * HD) % HD
            let rotated = col >= H * HD && col < 2 * H * HD && d < R
            if !rotated { #expect(after[i] == before[i]) }
        }
        Rotary.backward(k, batch: B, tokens: T, heads: H, headDim: HD, rotaryDim: R, cos: cos.data, sin: sin.data)
        assertClose(buf.array, before, .relative(1e-6), "R(−θ)·R(θ)")       // R(−θ)·R(θ) = I
    }

    @Test(arguments: [Rotary.Style.halves, .interleaved]) func gradientMatchesFiniteDifferences(_ style: Rotary.Style) {
        let (B, T, H, HD, R) = (1, 3, 2, 6, 4)
        let inv = Rotary.inverseFrequencies(rotaryDim: R, base: 10000)
        let pos: [Int32] = [3, 4, 9]
        let cos = Tensor(shape: [B * T, R / 2]), sin = Tensor(shape: [B * T, R / 2])
        pos.withUnsafeBufferPointer {
            Rotary.cosSin(inverseFrequencies: inv, positions: $0.baseAddress!, count: B * T, cos: cos.data, sin: sin.data)
        }
        let layout = HeadLayout.contiguous(tokens: T, heads: H, headDim: HD)
        let n = B * T * H * HD
        let worst = gradCheck(input: randomValues(n, seed: 5), outputCount: n, forward: { x in
            let t = Tensor(shape: [n], values: x)
            Rotary.forward(MutableHeadsView(t.data, layout), batch: B, tokens: T, heads: H, headDim: HD, rotaryDim: R,
                           cos: cos.data, sin: sin.data, style: style)
            return t.array
        }, analytic: { _, r in
            let t = Tensor(shape: [n], values: r)
            Rotary.backward(MutableHeadsView(t.data, layout), batch: B, tokens: T, heads: H, headDim: HD, rotaryDim: R,
                            cos: cos.data, sin: sin.data, style: style)
            return t.array
        })
        #expect(worst < 1e-3, "worst relative FD error \(worst)")
    }

    @Test func ropeScalingValidation() throws {
        #expect(try RopeScaling(type: "linear", factor: 2) == RopeScaling(kind: .linear, factor: 2))
        #expect(try RopeScaling(type: "default", factor: nil) == .none)
        #expect(throws: RopeScalingError.unsupportedType("yarn")) { try RopeScaling(type: "yarn", factor: 2) }
        #expect(throws: RopeScalingError.missingField(type: "dynamic", field: "factor")) {
            try RopeScaling(type: "dynamic", factor: nil)
        }
        #expect(throws: RopeScalingError.missingField(type: "llama3", field: "original_max_position_embeddings")) {
            try RopeScaling(type: "llama3", factor: 8, lowFreqFactor: 1, highFreqFactor: 4)
        }
        #expect(throws: RopeScalingError.self) { try RopeScaling(type: "linear", factor: -1) }
        #expect("\(RopeScalingError.missingField(type: "llama3", field: "factor"))".contains("config.json"))
    }
}
