// Inside `BF16Compute.with` the hidden states are bf16 values, as a PyTorch model cast to
// torch.bfloat16 keeps them: the embedding sum, every residual add and every norm output are rounded
// (`BF16Compute.roundHidden`). Outside the switch the same weights give float32 hidden states.
// Training forward and the KV-cache decode path, on tiny fixtures loaded in bf16 covering each
// residual wiring: gpt2 (LayerNorm, learned positions), llama (RMSNorm), granite (residual
// multiplier), gpt_neox (parallel residual), opt_post_ln (post-norm). Disabled on CPUs without
// AVX512-BF16.

import Foundation
@testable import SPModels
import SPTensor
import Testing

@Suite(.enabled(if: LinearBF16.isAvailable, "needs AVX512-BF16"))
struct BF16HiddenStateTests {
    static func isBF16(_ x: Float) -> Bool { x.bitPattern & 0xFFFF == 0 }
    static func allBF16(_ p: UnsafePointer<Float>, _ n: Int) -> Bool { (0..<n).allSatisfy { isBF16(p[$0]) } }

    /// Token embeddings of a few ids, the first row nudged off the bf16 grid (a float32 prompt row).
    static func inputs(_ model: DecoderModel) -> [Float] {
        var x = [5, 17, 42, 7, 3].flatMap { model.tokenEmbedding.row($0) }
        for i in 0..<model.inputWidth { x[i] += 1e-3 * Float(i % 7) }
        return x
    }

    @Test(arguments: ["gpt2", "llama", "granite", "gpt_neox", "opt_post_ln"])
    func trainingForwardKeepsHiddenStatesBF16(_ name: String) throws {
        let model = try ModelFixture(name).load(dtype: .bfloat16)
        let x = Self.inputs(model), t = x.count / model.inputWidth, c = model.spec.hidden
        let mask = [Int32](repeating: 1, count: t)
        func run(bf16: Bool) -> (input: Bool, last: Bool, head: Bool) {
            // Saved norm inputs kept float32 (bf16States: false), so that their values are checked
            // (stored as bf16 they would be bf16 by construction).
            let ws = TrainingWorkspace(checkpointing: false, bf16States: false)
            let head = bf16 ? BF16Compute.with { model.forwardTraining(embeds: x, mask: mask, batch: 1, tokens: t, ws: ws) }
                : model.forwardTraining(embeds: x, mask: mask, batch: 1, tokens: t, ws: ws)
            return (Self.allBF16(ws.states[0].norm1In.f32.data, t * c), Self.allBF16(ws.x.data, t * c),
                    Self.allBF16(head, t * model.head.weight.inFeatures))
        }
        let on = run(bf16: true), off = run(bf16: false)
        #expect(on.input && on.last && on.head, "\(name): embedding sum, last residual, final norm output rounded to bf16: \(on)")
        #expect(!off.input && !off.last && !off.head, "\(name): float32 hidden states outside the switch: \(off)")
    }

    @Test(arguments: ["gpt2", "llama", "granite", "gpt_neox", "opt_post_ln"])
    func decodeKeepsHiddenStatesBF16(_ name: String) throws {
        let model = try ModelFixture(name).load(dtype: .bfloat16)
        let x = Self.inputs(model), t = x.count / model.inputWidth, c = model.spec.hidden
        let mask = [Int32](repeating: 1, count: t)
        func run(bf16: Bool) throws -> (last: Bool, head: Bool) {
            let cache = KVCache(model: model, batch: 1, capacity: t)
            let ws = InferenceWorkspace()
            var logits = [Float](repeating: 0, count: model.head.vocab)
            try logits.withUnsafeMutableBufferPointer { l in
                let out = l.baseAddress!
                func call() throws {
                    try model.decode(embeds: x, mask: mask, tokens: t, cache: cache, rule: .cumsumMask(padValue: 1),
                                     logits: out, workspace: ws)
                }
                if bf16 { try BF16Compute.with { try call() } } else { try call() }
            }
            return (Self.allBF16(ws.x.data, t * c), Self.allBF16(ws.rowsIn.data, model.head.weight.inFeatures))
        }
        let on = try run(bf16: true), off = try run(bf16: false)
        #expect(on.last && on.head, "\(name): decode's last residual and final norm output are bf16: \(on)")
        #expect(!off.last && !off.head, "\(name): float32 outside the switch: \(off)")
    }
}
