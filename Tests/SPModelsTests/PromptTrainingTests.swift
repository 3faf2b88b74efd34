// The shared-prompt training step (the prompt's rows computed once per batch) against transformers'
// gradients on the concatenated batch, and against SoftPrompt's own full-batch step.

import Foundation
import SPTestSupport
import SPModels
import SPTensor
import Testing

@Suite struct PromptTrainingTests {
    /// Σ over the batch of d(inputs_embeds) at the prompt rows, from a `[B, T, E]` gradient.
    static func summedPromptRows(_ d: [Float], batch b: Int, tokens t: Int, virtual p: Int, width e: Int) -> [Float] {
        var out = [Float](repeating: 0, count: p * e)
        for r in 0..<b { for i in 0..<(p * e) { out[i] += d[r * t * e + i] } }
        return out
    }

    @Test(arguments: ModelFixture.names)
    func matchesTransformersAndTheFullBatch(_ name: String) throws {
        let f = try ModelFixture(name)
        let model = try f.load()
        let prompt = try floats(f.golden["prompt_embeddings"])
        let (p, e) = (prompt.shape[0], prompt.shape[1])
        for checkpointing in [false, true] {
            let ws = PromptTrainingWorkspace(checkpointing: checkpointing)
            let full = TrainingWorkspace(checkpointing: checkpointing)
            for c in try f.cases() {
                let embeds = try floats(c["inputs_embeds"])
                let (b, s) = (embeds.shape[0], embeds.shape[1]), t = p + s
                let pc = c["prompt"] as! [String: Any]
                let mask = try ints(pc["attention_mask"]), labels = try ints(pc["labels"])
                let label = "\(name)/\(c["name"]!)\(checkpointing ? "/checkpointing" : "")"
                var dPrompt = [Float](repeating: .nan, count: p * e)
                var hits = [Int32](repeating: 7, count: b * t)
                let (loss, count) = try prompt.data.withUnsafeBufferPointer { pp in
                    try embeds.data.withUnsafeBufferPointer { x in
                        try dPrompt.withUnsafeMutableBufferPointer { d in
                            try hits.withUnsafeMutableBufferPointer { h in
                                try model.promptLossAndGradient(
                                    prompt: pp.baseAddress!, embeds: x.baseAddress!, mask: mask, labels: labels, batch: b,
                                    virtualTokens: p, tokens: s, dPrompt: d.baseAddress!, workspace: ws, hits: h.baseAddress!)
                            }
                        }
                    }
                }
                // transformers (PeftModel forward/backward on the concatenated rows).
                let want = number(pc["loss"])
                assertClose(loss, want, .absolute(1e-5), "\(label) loss")
                let golden = Self.summedPromptRows(try floats(pc["d_inputs_embeds"]).data, batch: b, tokens: t, virtual: p, width: e)
                assertClose(dPrompt, golden, .absolute(1e-4), "\(label) d prompt")

                // SoftPrompt's full-batch step on the same rows: same loss, count, hits, gradient.
                var cat = [Float]()
                for r in 0..<b { cat += prompt.data; cat += embeds.data[(r * s * e)..<((r + 1) * s * e)] }
                var d = [Float](repeating: 0, count: b * t * e)
                var fullHits = [Int32](repeating: 7, count: b * t)
                let (fullLoss, fullCount) = try cat.withUnsafeBufferPointer { x in
                    try d.withUnsafeMutableBufferPointer { dx in
                        try fullHits.withUnsafeMutableBufferPointer { h in
                            try model.lossAndGradient(embeds: x.baseAddress!, mask: mask, labels: labels, batch: b, tokens: t,
                                                      dEmbeds: dx.baseAddress!, workspace: full, hits: h.baseAddress!)
                        }
                    }
                }
                #expect(count == fullCount && hits == fullHits, "\(label) counted rows / hits differ")
                #expect(abs(loss - fullLoss) <= 1e-6 * max(1, abs(fullLoss)), "\(label) loss \(loss) vs full \(fullLoss)")
                let fromFull = Self.summedPromptRows(d, batch: b, tokens: t, virtual: p, width: e)
                // Only the float summation order differs (BLOOM's is the worst conditioned: 1.6e-5).
                assertClose(dPrompt, fromFull, .relative(5e-5), "\(label) d prompt vs full")
            }
        }
    }

    @Test func rejectsAMaskedPromptRow() throws {
        let f = try ModelFixture("gpt2")
        let model = try f.load()
        let e = model.inputWidth, (b, p, s) = (2, 3, 4), t = p + s
        let prompt = [Float](repeating: 0.01, count: p * e), embeds = [Float](repeating: 0.02, count: b * s * e)
        var mask = [Int32](repeating: 1, count: b * t)
        mask[t + 1] = 0
        let labels = [Int32](repeating: 1, count: b * t)
        var d = [Float](repeating: 0, count: p * e)
        #expect(throws: ModelError.self) {
            try d.withUnsafeMutableBufferPointer { dp in
                _ = try model.promptLossAndGradient(prompt: prompt, embeds: embeds, mask: mask, labels: labels, batch: b,
                                                    virtualTokens: p, tokens: s, dPrompt: dp.baseAddress!,
                                                    workspace: PromptTrainingWorkspace())
            }
        }
    }

    @Test func secondStepAllocatesNoNewBuffers() throws {
        let f = try ModelFixture("llama")
        let model = try f.load()
        let e = model.inputWidth, (b, p, s) = (3, 4, 9), t = p + s
        var rng = SystemRandomNumberGenerator()
        let prompt = (0..<(p * e)).map { _ in Float.random(in: -0.1...0.1, using: &rng) }
        let embeds = (0..<(b * s * e)).map { _ in Float.random(in: -0.1...0.1, using: &rng) }
        let mask = [Int32](repeating: 1, count: b * t)
        let labels = (0..<(b * t)).map { $0 % t < p ? -100 : Int32($0 % 17) }
        let ws = PromptTrainingWorkspace()
        var d = [Float](repeating: 0, count: p * e)
        func step() throws -> Float {
            try d.withUnsafeMutableBufferPointer { dp in
                try model.promptLossAndGradient(prompt: prompt, embeds: embeds, mask: mask, labels: labels, batch: b,
                                                virtualTokens: p, tokens: s, dPrompt: dp.baseAddress!, workspace: ws).loss
            }
        }
        let l1 = try step(), before = ws.bufferAddresses, g1 = d
        let l2 = try step()
        #expect(ws.bufferAddresses == before)
        #expect(l1 == l2 && g1 == d, "a repeated step must give the same result")
    }
}
