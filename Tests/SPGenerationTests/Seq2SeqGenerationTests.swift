// Generation on encoder-decoder models through `TokenGenerator` (the seq2seq decoding session):
// greedy ids equal the engine's cached greedy decoding (itself checked against transformers + PEFT
// in SPModelsTests), a row gives the same ids alone or in a padded batch, EOS stops a row, and
// DECODER / ENCODER+DECODER prompts go in front of the decoder input.

import Foundation
import SPGeneration
import SPModels
import Testing
import SPPrompt

@Suite struct Seq2SeqGenerationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("SPModelsTests/Fixtures/seq2seq")

    func load(_ name: String) throws -> Seq2SeqModel {
        try #require(try ModelLoader.load(directory: Self.root.appendingPathComponent(name).path) as? Seq2SeqModel)
    }

    /// A deterministic `[rows, C]` prompt.
    func prompt(_ m: Seq2SeqModel, rows: Int) -> [Float] {
        (0..<(rows * m.inputWidth)).map { Float(sin(Double($0) * 0.37)) * 0.5 }
    }

    /// The engine's own greedy decoding of `[encoderPrompt; embed(ids)]`.
    func engineGreedy(_ m: Seq2SeqModel, _ p: [Float], _ ids: [Int32], n: Int) throws -> [Int32] {
        let x = p + (try m.embed(ids))
        let rows = x.count / m.inputWidth
        let mask = [Int32](repeating: 1, count: rows)
        return try x.withUnsafeBufferPointer { e in
            try mask.withUnsafeBufferPointer { k in
                try m.greedy(encoderEmbeds: e.baseAddress!, encoderMask: k.baseAddress!, batch: 1, sourceTokens: rows,
                             maxNewTokens: n)[0]
            }
        }
    }

    func params(_ n: Int) -> GenerationParameters {
        var p = GenerationParameters()
        p.maxNewTokens = n
        return p
    }

    @Test(arguments: ["t5", "t5_v1_1", "umt5", "bart", "mbart"])
    func encoderPromptMatchesEngineAloneAndBatched(_ name: String) throws {
        let m = try load(name)
        let p = prompt(m, rows: 3)
        let tuned = TunedPrompt(values: p, virtualTokens: 3, tokenDim: m.inputWidth, taskType: .seq2seqLM, encoderRows: 3)
        let gen = try TokenGenerator(model: m, prompt: tuned)
        let a: [Int32] = [5, 9, 11, 4, 7], b: [Int32] = [6, 8]
        let n = 6
        let wantA = try engineGreedy(m, p, a, n: n), wantB = try engineGreedy(m, p, b, n: n)
        let noEOS: [Int32] = []
        let batched = try gen.generate([TokenRequest(inputIds: a, parameters: params(n)),
                                        TokenRequest(inputIds: b, parameters: params(n))], eos: noEOS, pad: 0)
        #expect(batched[0].ids == wantA, "\(name) row 0 in a padded batch")
        #expect(batched[1].ids == wantB, "\(name) row 1 in a padded batch")
        let alone = try gen.generate([TokenRequest(inputIds: b, parameters: params(n))], eos: noEOS, pad: 0)
        #expect(alone[0].ids == wantB)
        // EOS ends the row with the EOS token included.
        let stop = wantA[2]
        let eos = try gen.generate([TokenRequest(inputIds: a, parameters: params(n))], eos: [stop], pad: 0)
        let first = wantA.firstIndex(of: stop)!
        #expect(eos[0].ids == Array(wantA[...first]) && eos[0].finishReason == .eosToken)
    }

    @Test func decoderPromptRowsGoBeforeTheStartToken() throws {
        let m = try load("t5")
        let ids: [Int32] = [5, 9, 11]
        let p = prompt(m, rows: 4)   // ENCODER+DECODER: rows 0..<2 encoder, 2..<4 decoder
        let both = try TokenGenerator(model: m, prompt: TunedPrompt(values: p, virtualTokens: 4, tokenDim: m.inputWidth,
                                                                   taskType: .seq2seqLM, encoderRows: 2))
        let got = try both.generate([TokenRequest(inputIds: ids, parameters: params(4))], eos: [], pad: 0)[0].ids
        // By hand: encoder over [p0; p1; ids], decoder over [p2; p3; start; ...].
        let c = m.inputWidth
        let x = Array(p[0..<(2 * c)]) + (try m.embed(ids))
        let mask = [Int32](repeating: 1, count: 2 + ids.count)
        let ws = Seq2SeqDecodeWorkspace()
        let cache = try x.withUnsafeBufferPointer { e in
            try mask.withUnsafeBufferPointer { k in
                try m.encode(embeds: e.baseAddress!, mask: k.baseAddress!, batch: 1, sourceTokens: 2 + ids.count, capacity: 8,
                             workspace: ws)
            }
        }
        var logits = [Float](repeating: 0, count: m.vocabularySize)
        var y = Array(p[(2 * c)...]) + (try m.embed([m.seq2seqSpec.decoderStartTokenId]))
        var want: [Int32] = []
        for _ in 0..<4 {
            let t = y.count / c
            try y.withUnsafeBufferPointer { e in
                try logits.withUnsafeMutableBufferPointer { l in
                    try m.decode(embeds: e.baseAddress!, tokens: t, cache: cache, logits: l.baseAddress!, workspace: ws)
                }
            }
            let best = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
            want.append(best)
            y = try m.embed([best])
        }
        #expect(got == want)
        // A causal prompt does not fit a seq2seq model, nor the reverse.
        #expect(throws: GenerationError.self) {
            try TokenGenerator(model: m, prompt: TunedPrompt(values: p, virtualTokens: 4, tokenDim: m.inputWidth))
        }
    }

    /// Adapters written by `softprompt train` on the tiny T5: PEFT's greedy ids
    /// (scripts/reference/seq2seq_adapter_goldens.py; ENCODER through PeftModel.from_pretrained +
    /// generate, ENCODER+DECODER through PEFT's forward step by step).
    @Test(arguments: ["encoder", "encoder_decoder"])
    func trainedAdaptersMatchPEFT(_ kind: String) throws {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/seq2seq_adapters")
        let golden = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("golden.json"))) as? [String: Any])
        let prompt = try TunedPrompt.load(directory: dir.appendingPathComponent(kind).path)
        #expect(prompt.taskType == .seq2seqLM && prompt.encoderRows * (kind == "encoder" ? 1 : 2) == prompt.virtualTokens)
        let gen = try TokenGenerator(model: try load("t5"), prompt: prompt)
        let inputs = golden["inputs"] as! [[Int]], want = golden[kind] as! [[Int]], n = golden["max_new_tokens"] as! Int
        for (ids, w) in zip(inputs, want) {
            let got = try gen.generate([TokenRequest(inputIds: ids.map(Int32.init), parameters: params(n))], eos: [], pad: 0)
            #expect(got[0].ids.map(Int.init) == w, "\(kind) \(ids)")
        }
    }
}
