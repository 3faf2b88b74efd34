// The real model: SmolLM2-135M-Instruct from its Q4_1 GGUF against transformers on the same
// dequantized weights (Fixtures/smollm2, written by scripts/reference/smollm2_reference.py).

import Foundation
import SPTestSupport
import SPModels
import SPTensor
import Testing

enum SmolLM2 {
    /// The cached GGUF (scripts/fetch_smollm2.sh).
    static let file = ExternalFile.smolLM2
    nonisolated(unsafe) static var loaded: DecoderModel?
    static let lock = NSLock()

    static func model() throws -> DecoderModel {
        lock.lock(); defer { lock.unlock() }
        if let m = loaded { return m }
        let m = try ModelLoader.load(gguf: file.require().path).decoderModel()
        loaded = m
        return m
    }

    static func reference() throws -> [String: Any] { try ModelFixture.fixtures.jsonObject("smollm2/reference.json") }

    static func embed(_ m: DecoderModel, _ ids: [Int32]) -> [Float] {
        ids.flatMap { m.tokenEmbedding.row(Int($0)) }
    }
}

@Suite(.requires(SmolLM2.file), .serialized)
struct SmolLM2Tests {
    @Test func configFromMetadata() throws {
        let m = try SmolLM2.model()
        #expect(m.spec.layers == 30 && m.spec.hidden == 576 && m.spec.heads == 9 && m.spec.kvHeads == 3)
        #expect(m.spec.intermediate == 1536 && m.spec.vocab == 49152 && m.spec.headDim == 64)
        #expect(m.head.weight === m.tokenEmbedding, "tied embeddings")
    }

    @Test func logitsLossAndPerplexity() throws {
        let m = try SmolLM2.model()
        let ref = try SmolLM2.reference()
        let ids = (ref["input_ids"] as! [Int]).map(Int32.init)
        let t = ids.count
        let x = SmolLM2.embed(m, ids)
        let mask = [Int32](repeating: 1, count: t)
        let ws = TrainingWorkspace()
        let (loss, count) = try m.lossAndGradient(embeds: x, mask: mask, labels: ids, batch: 1, tokens: t, dEmbeds: nil,
                                                  workspace: ws)
        #expect(count == t - 1)
        let ppl = exp(Double(loss))
        #expect(abs(ppl - 14.31) <= 0.01, "perplexity \(ppl)")
        #expect(abs(Double(loss) - number(ref["loss"])) < 1e-4, "loss \(loss) vs \(number(ref["loss"]))")
        let last = m.logits(embeds: x, mask: mask, batch: 1, tokens: t, rows: [t - 1], workspace: ws)
        let bin = try ModelFixture.fixtures.data("smollm2/last_logits.bin")
        let want = bin.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        assertClose(last, want, .absolute(1e-3), "last-position logits")
        // top-20 ids at every position agree
        let top = ref["top20_ids"] as! [[Int]]
        let all = m.logits(embeds: x, mask: mask, batch: 1, tokens: t, workspace: ws)
        let v = m.head.vocab
        for p in 0..<t {
            let row = Array(all[(p * v)..<((p + 1) * v)])
            let best = row.indices.max { row[$0] < row[$1] }!
            #expect(best == top[p][0], "argmax at position \(p)")
        }
    }

    @Test(arguments: ["story", "chat"])
    func greedy(_ which: String) throws {
        let m = try SmolLM2.model()
        let g = (try SmolLM2.reference()["greedy"] as! [String: Any])[which] as! [String: Any]
        let prompt = (g["prompt_ids"] as! [Int]).map(Int32.init), want = (g["new_ids"] as! [Int]).map(Int32.init)
        let cache = KVCache(model: m, batch: 1, capacity: prompt.count + want.count)
        let ws = InferenceWorkspace()
        var logits = [Float](repeating: 0, count: m.head.vocab)
        var step = prompt, out: [Int32] = []
        while out.count < want.count {
            try m.decode(embeds: SmolLM2.embed(m, step), mask: [Int32](repeating: 1, count: step.count), tokens: step.count,
                         cache: cache, rule: .cumsumMask(padValue: 1), logits: &logits, workspace: ws)
            let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
            out.append(next)
            if next == 2 { break }
            step = [next]
        }
        #expect(out == want, "\(which): \(out) vs \(want)")
    }

    /// Q8_0 storage (the Q4_1 weights re-blocked to 8 bits, ~1.06 bytes per weight): close to float32.
    @Test func q8_0Storage() throws {
        let m = try ModelLoader.load(gguf: SmolLM2.file.require().path, quantization: .q8_0).decoderModel()
        if case .q8_0 = m.head.weight.storage {} else { Issue.record("LM head is not Q8_0") }
        let ref = try SmolLM2.reference()
        let ids = (ref["input_ids"] as! [Int]).map(Int32.init)
        let t = ids.count
        let (loss, _) = try m.lossAndGradient(embeds: SmolLM2.embed(m, ids), mask: [Int32](repeating: 1, count: t),
                                              labels: ids, batch: 1, tokens: t, dEmbeds: nil, workspace: TrainingWorkspace())
        let ppl = exp(Double(loss))
        // Measured 13.96 (float32: 14.31): 8-bit blocks are an approximation, within a few percent.
        #expect(abs(ppl / 14.31 - 1) <= 0.05, "Q8_0 perplexity \(ppl)")
        let g = (ref["greedy"] as! [String: Any])["chat"] as! [String: Any]
        let prompt = (g["prompt_ids"] as! [Int]).map(Int32.init), want = (g["new_ids"] as! [Int]).map(Int32.init)
        let cache = KVCache(model: m, batch: 1, capacity: prompt.count + want.count)
        var logits = [Float](repeating: 0, count: m.head.vocab)
        var step = prompt, out: [Int32] = []
        while out.count < want.count {
            try m.decode(embeds: SmolLM2.embed(m, step), mask: [Int32](repeating: 1, count: step.count), tokens: step.count,
                         cache: cache, rule: .cumsumMask(padValue: 1), logits: &logits, workspace: InferenceWorkspace())
            let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
            out.append(next)
            if next == 2 { break }
            step = [next]
        }
        #expect(out == want, "Q8_0 chat answer \(out) vs \(want)")
    }
}
