// The sign-only ReLU feed-forward (what the seq2seq training step keeps for T5 v1.0: one byte per
// pre-activation instead of a float) against the float path: the same bits forward and backward.

import SPModels
import SPTensor
import Testing

@Suite struct ReluSignMLPTests {
    /// Seeded values in [-1, 1), some exactly 0 (ReLU's kink).
    func values(_ count: Int, seed: UInt64) -> [Float] {
        var s = seed
        return (0..<count).map { i in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return i % 11 == 0 ? 0 : Float(s >> 40) / Float(1 << 23) - 1
        }
    }

    func layer(_ activation: Activation, c: Int, f: Int, bias: Bool) -> MLPLayer {
        let fc1 = Weight(Tensor(shape: [f, c], values: values(f * c, seed: 1)))
        let fc2 = Weight(Tensor(shape: [c, f], values: values(c * f, seed: 2)))
        let b1 = bias ? Tensor(shape: [f], values: values(f, seed: 3)) : nil
        return MLPLayer(kind: .plain(fc1: fc1, b1: b1, fc2: fc2, b2: nil), activation: activation)
    }

    @Test(arguments: [false, true])
    func signOnlyPathGivesTheSameBits(_ bias: Bool) {
        let (n, c, f) = (9, 16, 40)
        let m = layer(.relu, c: c, f: f, bias: bias)
        #expect(m.backwardNeedsOnlySign)
        // fc1 zero rows give exact-zero pre-activations too (the sign of 0 is "not positive").
        var x = values(n * c, seed: 4)
        for j in 0..<c { x[j] = 0 }
        let dOut = values(n * c, seed: 5)
        var a = [Float](repeating: 0, count: n * f), b = a, scratch = a
        var sign = [UInt8](repeating: 7, count: n * f)
        var out1 = [Float](repeating: 0, count: n * c), out2 = out1
        var dx1 = values(n * c, seed: 6), dx2 = dx1
        m.forward(x, &out1, rows: n, saveA: &a, saveB: &b, scratch: &scratch)
        m.forward(x, &out2, rows: n, saveSign: &sign, scratch: &scratch)
        #expect(out1 == out2)
        #expect(sign.allSatisfy { $0 <= 1 } && sign.contains(0) && sign.contains(1))
        m.backward(dOut, &dx1, rows: n, savedA: &a, savedB: &b, scratch: &scratch, accumulate: true)
        m.backward(dOut, &dx2, rows: n, savedSign: sign, scratch: &scratch, accumulate: true)
        #expect(dx1 == dx2)
    }

    @Test func onlyPlainReluKeepsTheSign() {
        #expect(!layer(.gelu, c: 4, f: 8, bias: false).backwardNeedsOnlySign)
        #expect(!layer(.relu2, c: 4, f: 8, bias: false).backwardNeedsOnlySign)
        let g = Weight(Tensor(shape: [8, 4])), d = Weight(Tensor(shape: [4, 8]))
        #expect(!MLPLayer(kind: .gated(gate: g, up: g, down: d), activation: .relu).backwardNeedsOnlySign)
    }
}
