// Greedy decoding of the encoder-decoder fixtures (encoder once, decoder with self-attention and
// cross-attention caches) against transformers' and PEFT's `generate`, and the cached decoder
// against the training forward.

import Foundation
import SPModels
import SPTensor
import SPTestSupport
import Testing

@Suite struct Seq2SeqDecodingTests {
    @Test(arguments: Seq2SeqFixture.names)
    func greedyIdsMatchTransformersAndPEFT(_ name: String) throws {
        let f = try Seq2SeqFixture(name)
        let model = try f.load()
        let g = f.golden["generation"] as! [String: Any]
        let ids = try ints(g["input_ids"])
        let maxNew = (g["max_new_tokens"] as! NSNumber).intValue
        let x = try model.embed(ids)
        let got = try model.greedy(encoderEmbeds: x, encoderMask: [Int32](repeating: 1, count: ids.count), batch: 1,
                                   sourceTokens: ids.count, maxNewTokens: maxNew)
        let wantIds = try ints(g["new_ids"])
        #expect(got == [wantIds], "\(name): \(got[0]) vs \(g["new_ids"]!)")
        // PEFT ENCODER prompt: prompt rows in front of the encoder input, mask ones.
        let prompt = try floats(f.golden["prompt_embeddings"])
        let nv = prompt.shape[0]
        let withPrompt = try model.greedy(encoderEmbeds: prompt.data + x,
                                          encoderMask: [Int32](repeating: 1, count: nv + ids.count), batch: 1,
                                          sourceTokens: nv + ids.count, maxNewTokens: maxNew)
        let wantPromptIds = try ints(g["prompt_new_ids"])
        #expect(withPrompt == [wantPromptIds], "\(name) prompt: \(withPrompt[0]) vs \(g["prompt_new_ids"]!)")
    }

    /// A padded batch of two decoded step by step with the caches gives the training forward's logits.
    @Test(arguments: Seq2SeqFixture.names)
    func cachedDecoderMatchesTrainingForward(_ name: String) throws {
        let f = try Seq2SeqFixture(name)
        let model = try f.load()
        let c = f.golden["case"] as! [String: Any]
        let enc = try floats(c["inputs_embeds"]), dec = try floats(c["decoder_inputs_embeds"])
        let mask = try ints(c["attention_mask"])
        let (b, s, t) = (enc.shape[0], enc.shape[1], dec.shape[1])
        let want = try model.forward(encoderEmbeds: enc.data, encoderMask: mask, sourceTokens: s,
                                     decoderEmbeds: dec.data, targetTokens: t, batch: b,
                                     workspace: Seq2SeqWorkspace()).logits
        let ws = Seq2SeqDecodeWorkspace()
        let cache = try model.encode(embeds: enc.data, mask: mask, batch: b, sourceTokens: s, capacity: t, workspace: ws)
        let v = model.head.vocab, e = model.spec.hidden
        var logits = [Float](repeating: 0, count: b * v)
        for step in 0..<t {
            var x = [Float]()
            for r in 0..<b { x += dec.data[((r * t + step) * e)..<((r * t + step + 1) * e)] }
            try model.decode(embeds: x, tokens: 1, cache: cache, logits: &logits, workspace: ws)
            for r in 0..<b {
                let w = Array(want[((r * t + step) * v)..<((r * t + step + 1) * v)])
                let got = Array(logits[(r * v)..<((r + 1) * v)])
                assertClose(got, w, .relative(1e-5), "\(name) row \(r) step \(step):")
            }
        }
        #expect(throws: ModelError.self) {
            try model.decode(embeds: [Float](repeating: 0, count: b * e), tokens: 1, cache: cache, logits: &logits,
                             workspace: ws)
        }
    }
}

@Suite struct Seq2SeqPromptTrainingTests {
    /// PEFT's own PROMPT_TUNING forward on token ids (checked in the reference script) gives the
    /// prompt case's loss and d_prompt.
    @Test(arguments: Seq2SeqFixture.names)
    func encoderPromptStepMatchesPEFT(_ name: String) throws {
        let f = try Seq2SeqFixture(name)
        let model = try f.load()
        let c = f.golden["case"] as! [String: Any], p = c["prompt"] as! [String: Any]
        let ids = try ints(c["input_ids"]), labels = try ints(c["labels"])
        let prompt = try floats(f.golden["prompt_embeddings"])
        let (nv, e) = (prompt.shape[0], prompt.shape[1])
        let b = 2, s = ids.count / 2, t = labels.count / 2
        var d = [Float](repeating: 0, count: nv * e)
        let ws = Seq2SeqPromptWorkspace()
        var addresses: [Int] = []
        for _ in 0..<2 {   // a second step reuses the workspace and its buffers
            let (loss, _) = try prompt.data.withUnsafeBufferPointer { pp in
                try d.withUnsafeMutableBufferPointer { dp in
                    try model.promptLossAndGradient(prompt: pp.baseAddress!, virtualTokens: nv, inputIds: ids,
                                                           attentionMask: try ints(c["attention_mask"]), labels: labels,
                                                           batch: b, sourceTokens: s, targetTokens: t,
                                                           dPrompt: dp.baseAddress!, workspace: ws)
                }
            }
            let want = try number(p["loss"])
            #expect(abs(Double(loss) - want) <= 1e-5 * max(1, want), "\(name) loss \(loss) vs \(want)")
            let g = try floats(p["d_prompt"]).data
            assertClose(d, g, .relative(1e-4), "\(name) d_prompt")
            if addresses.isEmpty { addresses = ws.bufferAddresses } else {
                #expect(ws.bufferAddresses == addresses, "\(name): activation buffers were reallocated")
            }
        }
        #expect(throws: ModelError.self) {
            try model.promptLossAndGradient(prompt: prompt.data, virtualTokens: nv, inputIds: ids,
                                                   attentionMask: try ints(c["attention_mask"]), labels: labels, batch: b,
                                                   sourceTokens: s + 1, targetTokens: t, dPrompt: nil,
                                                   workspace: ws)
        }
    }
}

@Suite struct Seq2SeqDecoderPromptTests {
    func step(_ model: Seq2SeqModel, _ prompt: [Float], _ c: [String: Any], nv: Int, _ placement: Seq2SeqPromptPlacement,
              ws: Seq2SeqPromptWorkspace, dPrompt: UnsafeMutablePointer<Float>?) throws -> Float {
        let ids = try ints(c["input_ids"]), labels = try ints(c["labels"])
        return try model.promptLossAndGradient(prompt: prompt, virtualTokens: nv, placement: placement, inputIds: ids,
                                               attentionMask: try ints(c["attention_mask"]), labels: labels, batch: 2,
                                               sourceTokens: ids.count / 2, targetTokens: labels.count / 2,
                                               dPrompt: dPrompt, workspace: ws).loss
    }

    /// ENCODER+DECODER (2 submodules) and DECODER: the PyTorch steps of the reference script, and a
    /// central finite difference of the loss along the largest gradient entry of each prompt half
    /// (h 2e-3 in float32: within 2 % of the largest gradient entry; curvature and rounding fit in that).
    @Test(arguments: Seq2SeqFixture.names)
    func decoderSidePromptSteps(_ name: String) throws {
        let f = try Seq2SeqFixture(name)
        let model = try f.load()
        let c = f.golden["case"] as! [String: Any]
        for (key, placement) in [("encoder_decoder_prompt", Seq2SeqPromptPlacement.encoderAndDecoder),
                                 ("decoder_prompt", .decoder)] {
            let g = c[key] as! [String: Any]
            let prompt = try floats(g["prompt_embeddings"])
            let e = prompt.shape[1], nv = placement == .decoder ? prompt.shape[0] : prompt.shape[0] / 2
            #expect(placement.rows(virtualTokens: nv) == prompt.shape[0])
            let ws = Seq2SeqPromptWorkspace()
            var d = [Float](repeating: 0, count: prompt.data.count)
            let loss = try d.withUnsafeMutableBufferPointer {
                try step(model, prompt.data, c, nv: nv, placement, ws: ws, dPrompt: $0.baseAddress!)
            }
            let want = try number(g["loss"])
            #expect(abs(Double(loss) - want) <= 1e-5 * max(1, want), "\(name) \(key) loss \(loss) vs \(want)")
            let wantD = try floats(g["d_prompt"]).data
            assertClose(d, wantD, .relative(1e-4), "\(name) \(key) d_prompt")
            let halves = placement == .decoder ? [0..<(nv * e)] : [0..<(nv * e), (nv * e)..<d.count]
            let scaleMax = d.map(abs).max()!
            for half in halves {
                #expect(d[half].contains { $0 != 0 }, "\(name) \(key): a prompt half has no gradient")
                let i = half.max { abs(d[$0]) < abs(d[$1]) }!
                let h: Float = 2e-3
                var plus = prompt.data, minus = prompt.data
                plus[i] += h
                minus[i] -= h
                let fd = (try step(model, plus, c, nv: nv, placement, ws: ws, dPrompt: nil)
                          - step(model, minus, c, nv: nv, placement, ws: ws, dPrompt: nil)) / (2 * h)
                #expect(abs(fd - d[i]) <= 2e-2 * scaleMax, "\(name) \(key) entry \(i): finite difference \(fd) vs gradient \(d[i])")
            }
        }
    }
}
