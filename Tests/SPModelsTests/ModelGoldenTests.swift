// Every architecture against transformers on padded batches: logits at real positions, the loss and
// d(inputs_embeds), with and without a PEFT soft prompt, and greedy decoding with the KV cache.

import Foundation
import SPTestSupport
import SPModels
import SPTensor
import Testing

@Suite struct ModelGoldenTests {
    static let names = ModelFixture.names

    @Test func fixturesArePresent() throws {
        let names = try ModelFixture.index()
        #expect(names.count == ModelFixture.count, "Fixtures/index.json lists \(names.count) models, not \(ModelFixture.count)")
        for n in names { _ = try ModelFixture(n) }
    }

    @Test(arguments: names)
    func lossGradientAndLogits(_ name: String) throws {
        let f = try ModelFixture(name)
        let model = try f.load()
        let ws = TrainingWorkspace()
        for c in try f.cases() {
            let embeds = try floats(c["inputs_embeds"])
            let (b, t) = (embeds.shape[0], embeds.shape[1])
            try check(model, ws, case: c, embeds: embeds.data, batch: b, tokens: t, label: "\(name)/\(c["name"]!)")
            // The PEFT prompt variant: prompt rows in front of every row.
            let p = c["prompt"] as! [String: Any]
            let prompt = try floats(f.golden["prompt_embeddings"])
            let nv = prompt.shape[0], e = prompt.shape[1]
            var pe = [Float]()
            for r in 0..<b {
                pe += prompt.data
                pe += embeds.data[(r * t * e)..<((r + 1) * t * e)]
            }
            try check(model, ws, case: p, embeds: pe, batch: b, tokens: t + nv, label: "\(name)/\(c["name"]!)/prompt")
        }
    }

    func check(_ model: DecoderModel, _ ws: TrainingWorkspace, case c: [String: Any], embeds: [Float], batch b: Int,
               tokens t: Int, label: String) throws {
        let mask = try ints(c["attention_mask"]), labels = try ints(c["labels"])
        let e = model.inputWidth, v = model.head.vocab
        var d = [Float](repeating: 0, count: b * t * e)
        let (loss, _) = try embeds.withUnsafeBufferPointer { x in
            try d.withUnsafeMutableBufferPointer { dx in
                try model.lossAndGradient(embeds: x.baseAddress!, mask: mask, labels: labels, batch: b, tokens: t,
                                          dEmbeds: dx.baseAddress!, workspace: ws)
            }
        }
        // Tolerances as Fixtures/README.md states them: 1e-5 absolute on the loss, 1e-4 absolute on
        // logits and gradients.
        assertClose(loss, number(c["loss"]), .absolute(1e-5), "\(label) loss")
        let gd = try floats(c["d_inputs_embeds"]).data
        assertClose(d, gd, .absolute(1e-4), "\(label) d_inputs_embeds")
        // Logits where the position is real (pad rows are meaningless by construction).
        let rows = (0..<(b * t)).filter { mask[$0] != 0 }
        let logits = embeds.withUnsafeBufferPointer { x in
            model.logits(embeds: x.baseAddress!, mask: mask, batch: b, tokens: t, rows: rows, workspace: ws)
        }
        let all = try floats(c["logits"]).data
        var want = [Float]()
        for r in rows { want += all[(r * v)..<((r + 1) * v)] }
        assertClose(logits, want, .absolute(1e-4), "\(label) logits")
    }

    @Test(arguments: names)
    func greedyDecodingWithCache(_ name: String) throws {
        let f = try ModelFixture(name)
        let model = try f.load()
        let g = f.golden["generation"] as! [String: Any]
        let ids = try ints(g["input_ids"]), want = try ints(g["new_ids"])
        let newTokens = try #require(g["max_new_tokens"] as? Int)
        #expect(newTokens == 8 && want.count == newTokens, "\(name): golden has \(want.count) new ids, max_new_tokens \(newTokens)")
        let cache = KVCache(model: model, batch: 1, capacity: ids.count + newTokens)
        let ws = InferenceWorkspace()
        var logits = [Float](repeating: 0, count: model.head.vocab)
        var tokens = ids
        var out: [Int32] = []
        let e = model.inputWidth
        var step = tokens
        for _ in 0..<newTokens {
            var x = [Float](repeating: 0, count: step.count * e)
            for (i, id) in step.enumerated() { x.replaceSubrange((i * e)..<((i + 1) * e), with: model.tokenEmbedding.row(Int(id))) }
            let mask = [Int32](repeating: 1, count: step.count)
            try logits.withUnsafeMutableBufferPointer { l in
                try model.decode(embeds: x, mask: mask, tokens: step.count, cache: cache, rule: .cumsumMask(padValue: 1),
                                 logits: l.baseAddress!, workspace: ws)
            }
            let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
            out.append(next)
            tokens.append(next)
            step = [next]
        }
        // llama_dynamic's cached generation differs from no-cache in transformers (dynamic rope state).
        #expect(out == want, "\(name): greedy \(out) vs transformers \(want)")
    }
}
