// Every encoder-decoder architecture against transformers (Fixtures/seq2seq, written by
// scripts/reference/seq2seq_goldens.py): encoder output, decoder logits, loss, d(encoder
// inputs_embeds) and d(decoder inputs_embeds) on a right-padded batch with -100 labels, with and
// without a PEFT ENCODER prompt.

import Foundation
import SPFormats
import SPModels
import SPTensor
import SPTestSupport
import Testing

/// One seq2seq fixture directory.
struct Seq2SeqFixture {
    let name: String
    let dir: URL
    let golden: [String: Any]

    static var root: URL { ModelFixture.root.appendingPathComponent("seq2seq") }

    static var names: [String] {
        guard let data = try? Data(contentsOf: root.appendingPathComponent("index.json")),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let models = obj["models"] as? [[String: Any]] else { return [] }
        return models.compactMap { $0["name"] as? String }
    }

    init(_ name: String) throws {
        self.name = name
        dir = Seq2SeqFixture.root.appendingPathComponent(name)
        golden = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("golden.json")))
            as! [String: Any]
    }

    func load() throws -> Seq2SeqModel { try Seq2SeqRegistry.load(directory: dir.path) }
}

@Suite struct Seq2SeqGoldenTests {
    static let names = Seq2SeqFixture.names

    @Test func fixturesArePresent() {
        #expect(Self.names == ["t5", "t5_v1_1", "mt5", "umt5", "bart", "mbart"], "\(Self.names)")
    }

    @Test(arguments: names)
    func lossGradientsAndLogits(_ name: String) throws {
        let f = try Seq2SeqFixture(name)
        let model = try f.load()
        #expect(model.spec.modelType == f.golden["model_type"] as? String)
        let ws = Seq2SeqWorkspace()
        let c = f.golden["case"] as! [String: Any]
        let enc = try floats(c["inputs_embeds"]), dec = try floats(c["decoder_inputs_embeds"])
        let (b, s, t) = (enc.shape[0], enc.shape[1], dec.shape[1])
        // The inputs the model builds from ids match the reference's (embedding × scale, shift right).
        let ids = try ints(c["input_ids"]), labels = try ints(c["labels"])
        #expect(try model.embed(ids) == enc.data, "\(name) inputs_embeds from ids")
        let wantShifted = try ints(c["decoder_input_ids"])
        #expect(model.shiftRight(labels, batch: b) == wantShifted, "\(name) shift right")
        try check(model, ws, c, enc: enc.data, dec: dec.data, batch: b, source: s, target: t, label: name)
        // PEFT ENCODER prompt: the prompt rows in front of every encoder row.
        let prompt = try floats(f.golden["prompt_embeddings"])
        let nv = prompt.shape[0], e = prompt.shape[1]
        var pe = [Float]()
        for r in 0..<b { pe += prompt.data; pe += enc.data[(r * s * e)..<((r + 1) * s * e)] }
        let p = c["prompt"] as! [String: Any]
        let dEnc = try check(model, ws, p, enc: pe, dec: dec.data, batch: b, source: s + nv, target: t,
                             label: "\(name)/prompt")
        var dPrompt = [Float](repeating: 0, count: nv * e)
        for r in 0..<b { for i in 0..<(nv * e) { dPrompt[i] += dEnc[r * (s + nv) * e + i] } }
        let want = try floats(p["d_prompt"]).data
        assertClose(dPrompt, want, .relative(1e-4), "\(name) d_prompt")
    }

    /// Gradient checkpointing replays each layer's forward in the backward: the same bits as keeping
    /// the activations, for every architecture (ReLU, gated, post-norm, learned positions), so the
    /// goldens hold too; a second step reuses every buffer.
    @Test(arguments: names)
    func checkpointingGivesTheSameBits(_ name: String) throws {
        let f = try Seq2SeqFixture(name)
        let model = try f.load()
        let c = f.golden["case"] as! [String: Any]
        let enc = try floats(c["inputs_embeds"]), dec = try floats(c["decoder_inputs_embeds"])
        let (b, s, t) = (enc.shape[0], enc.shape[1], dec.shape[1])
        let mask = try ints(c["attention_mask"]), labels = try ints(c["labels"])
        func step(_ ws: Seq2SeqWorkspace) throws -> (Float, [Float], [Float]) {
            var dEnc = [Float](repeating: 0, count: enc.data.count), dDec = [Float](repeating: 0, count: dec.data.count)
            let r = try model.lossAndGradient(encoderEmbeds: enc.data, encoderMask: mask, sourceTokens: s,
                                              decoderEmbeds: dec.data, labels: labels, targetTokens: t, batch: b,
                                              dEncoderEmbeds: &dEnc, dDecoderEmbeds: &dDec, workspace: ws)
            return (r.loss, dEnc, dDec)
        }
        let kept = try step(Seq2SeqWorkspace()), ws = Seq2SeqWorkspace(checkpointing: true)
        let replayed = try step(ws)
        #expect(kept.0 == replayed.0, "\(name) loss")
        #expect(kept.1 == replayed.1, "\(name) d(encoder inputs_embeds)")
        #expect(kept.2 == replayed.2, "\(name) d(decoder inputs_embeds)")
        let addresses = ws.bufferAddresses
        try check(model, ws, c, enc: enc.data, dec: dec.data, batch: b, source: s, target: t, label: "\(name)/checkpointing")
        #expect(ws.bufferAddresses == addresses, "\(name): checkpointing buffers were reallocated")
    }

    /// Checks one call against its golden entry; returns d(encoder inputs_embeds).
    @discardableResult
    func check(_ model: Seq2SeqModel, _ ws: Seq2SeqWorkspace, _ g: [String: Any], enc: [Float], dec: [Float],
               batch b: Int, source s: Int, target t: Int, label: String) throws -> [Float] {
        let mask = try ints(g["attention_mask"]), labels = try ints(g["labels"])
        let c = model.spec.hidden, v = model.head.vocab
        var dEnc = [Float](repeating: 0, count: b * s * c), dDec = [Float](repeating: 0, count: b * t * c)
        let (loss, count) = try enc.withUnsafeBufferPointer { x in
            try dec.withUnsafeBufferPointer { y in
                try dEnc.withUnsafeMutableBufferPointer { dx in
                    try dDec.withUnsafeMutableBufferPointer { dy in
                        try model.lossAndGradient(encoderEmbeds: x.baseAddress!, encoderMask: mask, sourceTokens: s,
                                                  decoderEmbeds: y.baseAddress!, labels: labels, targetTokens: t,
                                                  batch: b, dEncoderEmbeds: dx.baseAddress!,
                                                  dDecoderEmbeds: dy.baseAddress!, workspace: ws)
                    }
                }
            }
        }
        #expect(count == labels.filter { $0 != -100 }.count)
        let wantLoss = try number(g["loss"])
        #expect(abs(Double(loss) - wantLoss) <= 1e-5 * max(1, abs(wantLoss)), "\(label) loss \(loss) vs \(wantLoss)")
        let gEnc = try floats(g["d_inputs_embeds"]).data, gDec = try floats(g["d_decoder_inputs_embeds"]).data
        assertClose(dEnc, gEnc, .relative(1e-4), "\(label) d_inputs_embeds")
        assertClose(dDec, gDec, .relative(1e-4), "\(label) d_decoder_inputs_embeds")
        let out = try enc.withUnsafeBufferPointer { x in
            try dec.withUnsafeBufferPointer { y in
                try model.forward(encoderEmbeds: x.baseAddress!, encoderMask: mask, sourceTokens: s,
                                  decoderEmbeds: y.baseAddress!, targetTokens: t, batch: b, workspace: ws)
            }
        }
        // Encoder rows at real positions (padding rows differ only in meaningless ways), all logits.
        let rows = (0..<(b * s)).filter { mask[$0] != 0 }
        let allEnc = try floats(g["encoder_last_hidden_state"]).data
        var gotEnc = [Float](), wantEnc = [Float]()
        for r in rows { gotEnc += out.encoderOutput[(r * c)..<((r + 1) * c)]; wantEnc += allEnc[(r * c)..<((r + 1) * c)] }
        assertClose(gotEnc, wantEnc, .relative(1e-4), "\(label) encoder output")
        let logits = try floats(g["logits"]).data
        #expect(out.logits.count == b * t * v)
        assertClose(out.logits, logits, .relative(1e-4), "\(label) logits")
        return dEnc
    }
}
