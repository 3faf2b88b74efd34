// The bf16 attention path (AttentionOptions.bf16), the bf16 rotary rotation and the bf16 gated-MLP
// product against PyTorch on bf16 tensors (scripts/reference/kernel_goldens_attention_bf16.py,
// fixture attention_bf16.json): transformers' eager attention of GPT-2 and Llama, Llama's
// apply_rotary_pos_emb and act_fn(gate) * up, all on a model cast to torch.bfloat16.

import SPTestSupport
import Testing
@testable import SPTensor

@Suite struct AttentionBF16Tests {
    /// |a − b| ≤ `ulps` bf16 ulps of the larger magnitude (absolute floor: one ulp of `floor`).
    static func within(_ a: Float, _ b: Float, ulps: Float, floor: Float = 0) -> Bool {
        let big = max(abs(a), abs(b), floor)
        if big == 0 { return true }
        return abs(a - b) <= ulps * Float(sign: .plus, exponent: big.exponent - 7, significand: 1)
    }

    /// Every value bf16, every value within `ulps` of the reference, and at least `identical` of
    /// them bit-identical.
    static func check(_ got: [Float], _ want: [Float], ulps: Float, floor: Float = 0, identical: Double,
                      _ label: String) {
        #expect(got.count == want.count, "\(label) count")
        guard got.count == want.count, !got.isEmpty else { return }
        var same = 0, worst = 0
        for i in got.indices {
            #expect(BF16Compute.round(got[i]) == got[i], "\(label)[\(i)] is not bf16")
            if got[i] == want[i] { same += 1 }
            if !within(got[i], want[i], ulps: ulps, floor: floor) { worst += 1 }
            if worst == 1, !within(got[i], want[i], ulps: ulps, floor: floor) {
                Issue.record("\(label)[\(i)]: \(got[i]) vs PyTorch \(want[i])")
            }
        }
        #expect(worst == 0, "\(label): \(worst) values beyond \(ulps) ulps")
        #expect(Double(same) >= identical * Double(got.count), "\(label): \(same)/\(got.count) identical")
    }

    static let cases = ["gpt2_pad", "gpt2_hd5", "llama_gqa", "llama_long", "llama_decode"]

    @Test(arguments: cases) func attentionMatchesTorchBF16(_ name: String) throws {
        let f = try Fixture("attention_bf16")
        let c = f.tensor("\(name).config").array.map(Double.init)
        let s = AttentionShape(batch: Int(c[0]), queries: Int(c[1]), keys: Int(c[2]), heads: Int(c[3]),
                               kvHeads: Int(c[4]), headDim: Int(c[5]))
        let mask = f.tensor("\(name).keymask")
        var opts = AttentionOptions(scale: Float(c[7]), causal: true, queryOffset: Int(c[6]), keyMask: mask.data)
        opts.bf16 = true
        let (q, k, v) = (f.tensor("\(name).q").array, f.tensor("\(name).k").array, f.tensor("\(name).v").array)
        let dOut = randomValues(s.batch * s.queries * s.heads * s.headDim, seed: 9)
        var grads: [[Float]] = []
        for fused in s.queries == s.keys ? [false, true] : [false] {
            for save in [true, false] {
                let r = runAttention(s, q: q, k: k, v: v, dOut: dOut, options: opts, fused: fused, saveProbs: save)
                let label = "\(name) fused=\(fused) saved=\(save)"
                // Probabilities: float32 softmax of the same bf16 scores, our exp vs PyTorch's, then
                // rounded: one ulp apart at most. The output sums probabilities·V in float32.
                Self.check(r.out, f.tensor("\(name).out").array, ulps: 2, floor: 1e-2, identical: 0.9, "\(label) out")
                if save { Self.check(r.probs, f.tensor("\(name).probs").array, ulps: 1, identical: 0.95, "\(label) probs") }
                // Recomputed probabilities (probs: nil) are rounded as the saved ones: same gradients.
                if grads.isEmpty { grads = [r.dq, r.dk, r.dv] } else {
                    #expect([r.dq, r.dk, r.dv] == grads, "\(label) gradients differ from the first run")
                }
            }
            grads = []
        }
    }

    /// bf16 options with bf16 q, k, v on an all-float32 path differ from float32 attention: the
    /// switch is live (scores, probabilities and output are rounded).
    @Test func bf16OptionChangesTheResult() throws {
        let f = try Fixture("attention_bf16")
        let name = "llama_gqa"
        let c = f.tensor("\(name).config").array.map(Double.init)
        let s = AttentionShape(batch: Int(c[0]), queries: Int(c[1]), keys: Int(c[2]), heads: Int(c[3]),
                               kvHeads: Int(c[4]), headDim: Int(c[5]))
        let mask = f.tensor("\(name).keymask")
        var opts = AttentionOptions(scale: Float(c[7]), causal: true, keyMask: mask.data)
        let (q, k, v) = (f.tensor("\(name).q").array, f.tensor("\(name).k").array, f.tensor("\(name).v").array)
        let dOut = [Float](repeating: 0, count: q.count)
        let f32 = runAttention(s, q: q, k: k, v: v, dOut: dOut, options: opts, fused: false, saveProbs: true)
        opts.bf16 = true
        let b16 = runAttention(s, q: q, k: k, v: v, dOut: dOut, options: opts, fused: false, saveProbs: true)
        #expect(f32.out != b16.out)
        #expect(f32.out.contains { BF16Compute.round($0) != $0 })
        #expect(b16.out.allSatisfy { BF16Compute.round($0) == $0 })
    }

    @Test func rotaryMatchesTorchBF16() throws {
        let f = try Fixture("attention_bf16")
        let c = f.tensor("rope.config").array.map { Int($0) }
        let (B, T, H, HD) = (c[0], c[1], c[2], c[3])
        let cos = f.tensor("rope.cos"), sin = f.tensor("rope.sin")
        for x in ["q", "k"] {
            let t = f.tensor("rope.\(x)")
            Rotary.forward(MutableHeadsView(t.data, .contiguous(tokens: T, heads: H, headDim: HD)), batch: B,
                           tokens: T, heads: H, headDim: HD, rotaryDim: HD, cos: cos.data, sin: sin.data, bf16: true)
            // Each product and the sum are single roundings of exact float32 values: bit-identical.
            #expect(t.array == f.tensor("rope.\(x)out").array, "rope \(x)")
        }
    }

    @Test(arguments: [("silu", Activation.silu), ("gelu", Activation.gelu)])
    func gatedProductMatchesTorchBF16(_ name: String, _ act: Activation) throws {
        let f = try Fixture("attention_bf16")
        let gate = f.tensor("\(name).gate"), up = f.tensor("\(name).up")
        let h = Tensor(shape: gate.shape)
        GatedMLP.forwardBF16(gate: gate.data, up: up.data, h.data, count: gate.count, activation: act)
        // act(gate) in float32 (our polynomial vs PyTorch's) rounds to the same bf16 but near ties;
        // GELU's far negative tail is ~1e-22 here and 0 in PyTorch (floor: ulps of 1e-3 there).
        Self.check(h.array, f.tensor("\(name).h").array, ulps: 1, floor: 1e-3, identical: 0.9, "\(name)")
    }
}
