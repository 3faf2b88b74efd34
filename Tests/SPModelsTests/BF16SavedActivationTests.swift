// Inside `BF16Compute.with`, a block whose Linears are all bf16 saves its activations for the
// backward as bf16 (`BlockState`, `SavedActivation`): the values are exactly bf16 there, so the
// loss and every gradient are bit-identical to keeping them in float32, at half the memory.
// Covers every residual wiring (gpt2, llama with rotary and a gated MLP, granite, gpt_neox
// parallel, opt post-norm), the plain and the prompt-training paths and gradient checkpointing.
// Disabled on CPUs without AVX512-BF16.

import Foundation
@testable import SPModels
import SPTensor
import Testing

@Suite(.enabled(if: LinearBF16.isAvailable, "needs AVX512-BF16"))
struct BF16SavedActivationTests {
    static let names = ["gpt2", "llama", "granite", "gpt_neox", "opt_post_ln"]

    /// Two rows of 6 tokens (the second right-padded by 2), the first embedding row nudged off the
    /// bf16 grid (a float32 prompt row), labels on every real token.
    static func batch(_ model: DecoderModel) -> (x: [Float], mask: [Int32], labels: [Int32]) {
        let ids = [5, 17, 42, 7, 3, 11, 9, 23, 4, 30, 1, 1]
        var x = ids.flatMap { model.tokenEmbedding.row($0) }
        for i in 0..<model.inputWidth { x[i] += 1e-3 * Float(i % 7) }
        let mask: [Int32] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]
        let labels = zip(ids, mask).map { $1 == 1 ? Int32($0) : -100 }
        return (x, mask, labels)
    }

    @Test(arguments: names) func bf16StorageGivesBitIdenticalGradients(_ name: String) throws {
        let model = try ModelFixture(name).load(dtype: .bfloat16)
        let (x, mask, labels) = Self.batch(model)
        func run(compact: Bool, checkpointing: Bool) throws -> (loss: Float, grad: [Float], ws: TrainingWorkspace) {
            let ws = TrainingWorkspace(checkpointing: checkpointing, bf16States: compact)
            var d = [Float](repeating: 0, count: x.count)
            let loss = try BF16Compute.with {
                try model.lossAndGradient(embeds: x, mask: mask, labels: labels, batch: 2, tokens: 6, dEmbeds: &d,
                                          workspace: ws).loss
            }
            return (loss, d, ws)
        }
        let f32 = try run(compact: false, checkpointing: false)
        #expect(f32.loss.isFinite && f32.grad.contains { $0 != 0 })
        for checkpointing in [false, true] {
            let b16 = try run(compact: true, checkpointing: checkpointing)
            let s = b16.ws.states[0]
            let compact = s.norm1In.compact && s.norm2In.compact && s.qkv.compact && s.probs.compact && s.mlpA.compact
            #expect(compact, "\(name): stored as bf16")
            #expect(b16.loss.bitPattern == f32.loss.bitPattern, "\(name) checkpointing=\(checkpointing) loss")
            #expect(b16.grad == f32.grad, "\(name) checkpointing=\(checkpointing): gradients differ")
        }
        #expect(!f32.ws.states[0].qkv.compact)
    }

    @Test(arguments: ["gpt2", "llama"]) func promptTrainingBitIdentical(_ name: String) throws {
        let model = try ModelFixture(name).load(dtype: .bfloat16)
        let (x, _, _) = Self.batch(model)
        let e = model.inputWidth, p = 2, s = 4
        let prompt = Array(x[0..<(p * e)])
        let embeds = Array(x[(p * e)..<((p + 2 * s) * e)])
        let mask: [Int32] = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]
        let labels: [Int32] = [-100, -100, 4, 9, 2, 8, -100, -100, 6, 3, 5, -100]
        func run(compact: Bool) throws -> (Float, [Float]) {
            let ws = PromptTrainingWorkspace(checkpointing: false, bf16States: compact)
            var d = [Float](repeating: 0, count: p * e)
            let loss = try BF16Compute.with {
                try model.promptLossAndGradient(prompt: prompt, embeds: embeds, mask: mask, labels: labels, batch: 2,
                                                virtualTokens: p, tokens: s, dPrompt: &d, workspace: ws).loss
            }
            #expect(ws.rows.states[0].probs.compact == compact && !ws.prefix.states[0].qkv.compact)
            return (loss, d)
        }
        let (l32, g32) = try run(compact: false), (l16, g16) = try run(compact: true)
        #expect(l32.isFinite && g32.contains { $0 != 0 })
        #expect(l16.bitPattern == l32.bitPattern && g16 == g32, "\(name): bf16 storage changed the prompt gradient")
    }

    /// Outside the switch, or with weights that are not bf16, the activations are not exactly bf16:
    /// they stay float32.
    @Test func float32WhereValuesAreNotBF16() throws {
        let (x, mask, labels) = Self.batch(try ModelFixture("gpt2").load(dtype: .bfloat16))
        for (dtype, inside) in [(DType.bfloat16, false), (DType.float32, true)] {
            let model = try ModelFixture("gpt2").load(dtype: dtype)
            let ws = TrainingWorkspace()
            func call() throws {
                _ = try model.lossAndGradient(embeds: x, mask: mask, labels: labels, batch: 2, tokens: 6, dEmbeds: nil,
                                              workspace: ws)
            }
            if inside { try BF16Compute.with { try call() } } else { try call() }
            #expect(!ws.states[0].qkv.compact && !ws.states[0].norm1In.compact, "\(dtype) inside=\(inside)")
        }
    }
}
