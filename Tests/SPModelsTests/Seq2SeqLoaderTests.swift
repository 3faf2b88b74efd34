// Strict loading of encoder-decoder checkpoints: a missing, unused or mis-shaped tensor is an error
// that names it; an unknown model_type lists the supported ones.

import Foundation
import SPFormats
import SPJSON
import SPModels
import SPTensor
import SPTestSupport
import Testing

@Suite struct Seq2SeqLoaderTests {
    func parts(_ name: String) throws -> (JSONConfig, SafetensorsFile, String) {
        let dir = Seq2SeqFixture.root.appendingPathComponent(name).path
        return (try JSONConfig(contentsOf: dir + "/config.json"), try SafetensorsFile(path: dir + "/model.safetensors"),
                dir)
    }

    @Test func strictLoadingNamesTheTensor() throws {
        let (config, file, dir) = try parts("t5")
        let extra = Renamed(file, extra: ("decoder.block.1.layer.1.EncDecAttention.extra", [3]))
        #expect { try Seq2SeqRegistry.build(config: config, source: extra) } throws: { e in
            "\(e)".contains("decoder.block.1.layer.1.EncDecAttention.extra")
        }
        let missing = Renamed(file, drop: "decoder.block.1.layer.1.EncDecAttention.k.weight")
        #expect { try Seq2SeqRegistry.build(config: config, source: missing) } throws: { e in
            "\(e)".contains("missing tensor 'decoder.block.1.layer.1.EncDecAttention.k.weight'")
        }
        let text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: dir + "/config.json")), as: UTF8.self)
        let wide = try JSONConfig(json: text.replacingOccurrences(of: "\"d_ff\": 40", with: "\"d_ff\": 48"),
                                  file: "config.json")
        #expect { try Seq2SeqRegistry.build(config: wide, source: file) } throws: { e in
            "\(e)".contains("encoder.block.0.layer.1.DenseReluDense.wi.weight") && "\(e)".contains("has shape")
        }
        // transformers ignores this legacy key (`_keys_to_ignore_on_load_unexpected`), so do we.
        let legacy = Renamed(file, extra: ("decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight", [8, 4]))
        _ = try Seq2SeqRegistry.build(config: config, source: legacy)
        let gpt2 = try JSONConfig(json: "{\"model_type\": \"gpt2\"}", file: "config.json")
        #expect { try Seq2SeqRegistry.build(config: gpt2, source: file) } throws: { e in
            "\(e)".contains("'gpt2' is not supported") && "\(e)".contains("bart, mbart, mt5, t5, umt5")
        }
        let badFFN = try JSONConfig(json: text.replacingOccurrences(of: "\"feed_forward_proj\": \"relu\"",
                                                                    with: "\"feed_forward_proj\": \"fancy-relu\""),
                                    file: "config.json")
        #expect { try Seq2SeqRegistry.build(config: badFFN, source: file) } throws: { e in
            "\(e)".contains("feed_forward_proj")
        }
        let fewBuckets = try JSONConfig(json: text.replacingOccurrences(of: "\"relative_attention_num_buckets\": 8",
                                                                        with: "\"relative_attention_num_buckets\": 2"),
                                        file: "config.json")
        #expect { try Seq2SeqRegistry.build(config: fewBuckets, source: file) } throws: { e in
            "\(e)".contains("relative_attention_num_buckets")
        }
    }

    /// Half-precision storage (bf16 / f16 weights, float32 compute) stays close to float32.
    @Test(arguments: [DType.bfloat16, .float16])
    func halfPrecisionWeights(_ dtype: DType) throws {
        for name in ["t5_v1_1", "bart"] {
            let f = try Seq2SeqFixture(name)
            let model = try Seq2SeqRegistry.load(directory: f.dir.path, dtype: dtype)
            let c = f.golden["case"] as! [String: Any]
            let enc = try floats(c["inputs_embeds"]), dec = try floats(c["decoder_inputs_embeds"])
            let (b, s, t) = (enc.shape[0], enc.shape[1], dec.shape[1])
            let (loss, _) = try model.lossAndGradient(encoderEmbeds: enc.data, encoderMask: try ints(c["attention_mask"]),
                                                      sourceTokens: s, decoderEmbeds: dec.data, labels: try ints(c["labels"]),
                                                      targetTokens: t, batch: b, dEncoderEmbeds: nil, dDecoderEmbeds: nil,
                                                      workspace: Seq2SeqWorkspace())
            let want = try number(c["loss"])
            #expect(abs(Double(loss) - want) <= 3e-2 * want, "\(name) \(dtype): loss \(loss) vs float32 reference \(want)")
        }
    }

    /// transformers 4.x files (caikit-nlp's tiny T5, t5-small) also hold the tied copies
    /// `encoder.embed_tokens.weight`, `decoder.embed_tokens.weight` and `lm_head.weight` = `shared.weight`.
    @Test func tiedDuplicatesOfSharedLoad() throws {
        let (config, file, _) = try parts("t5")
        let aliased = Aliased(file, ["encoder.embed_tokens.weight": "shared.weight",
                                     "decoder.embed_tokens.weight": "shared.weight", "lm_head.weight": "shared.weight"])
        let model = try Seq2SeqRegistry.build(config: config, source: aliased)
        let plain = try Seq2SeqRegistry.build(config: config, source: file)
        #expect(model.head.weight.row(5) == plain.head.weight.row(5) && model.head.logitScale == plain.head.logitScale)
        // A duplicate with a wrong shape is still an error naming it.
        let wrong = Renamed(file, extra: ("encoder.embed_tokens.weight", [3]))
        #expect { try Seq2SeqRegistry.build(config: config, source: wrong) } throws: { e in
            "\(e)".contains("encoder.embed_tokens.weight")
        }
    }

    @Test func umt5NeedsATableInEveryLayer() throws {
        let (config, file, _) = try parts("umt5")
        let missing = Renamed(file, drop: "encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight")
        #expect { try Seq2SeqRegistry.build(config: config, source: missing) } throws: { e in
            "\(e)".contains("encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight")
        }
    }

    @Test func headsAndScales() throws {
        // v1.0: tied head with the rescale; v1.1 / mT5: their own lm_head, no rescale; BART: bias.
        let t5 = try Seq2SeqFixture("t5").load(), v11 = try Seq2SeqFixture("t5_v1_1").load()
        let mt5 = try Seq2SeqFixture("mt5").load(), bart = try Seq2SeqFixture("bart").load()
        #expect(abs(t5.head.logitScale - 1 / Float(24).squareRoot()) < 1e-7)
        #expect(v11.head.logitScale == 1 && mt5.head.logitScale == 1)
        #expect(v11.head.weight.row(3) != v11.tokenEmbedding.row(3))
        #expect(bart.head.bias != nil && bart.embedScale == Float(24).squareRoot())
        #expect(bart.seq2seqSpec.decoderStartTokenId == 2 && bart.seq2seqSpec.padTokenId == 1)
        // mBART: the decoder starts with each row's last non-pad label.
        let mbart = try Seq2SeqFixture("mbart").load()
        #expect(mbart.shiftRight([7, 8, 9, 5, 6, -100], batch: 2) == [9, 7, 8, 6, 5, 6])
        #expect(bart.shiftRight([7, 8, 9, 5, 6, -100], batch: 2) == [2, 7, 8, 2, 5, 6])
        // Bad calls are errors, not traps.
        #expect(throws: ModelError.self) {
            try bart.forward(encoderEmbeds: [Float](repeating: 0, count: 24), encoderMask: [1], sourceTokens: 1,
                             decoderEmbeds: [Float](repeating: 0, count: 24), targetTokens: 1, batch: 1, rows: [1],
                             workspace: Seq2SeqWorkspace())
        }
        #expect(throws: ModelError.self) {
            try bart.forward(encoderEmbeds: [Float](repeating: 0, count: 24 * 33), encoderMask: [Int32](repeating: 1, count: 33),
                             sourceTokens: 33, decoderEmbeds: [Float](repeating: 0, count: 24), targetTokens: 1, batch: 1,
                             workspace: Seq2SeqWorkspace())   // 33 > 32 learned positions
        }
        #expect(throws: ModelError.self) { try bart.embed([67]) }
    }
}

/// A TensorSource that also offers existing tensors under other names (tied duplicates).
final class Aliased: TensorSource, @unchecked Sendable {
    let base: TensorSource
    let aliases: [String: String]
    init(_ base: TensorSource, _ aliases: [String: String]) { self.base = base; self.aliases = aliases }
    var tensorNames: [String] { base.tensorNames + aliases.keys.sorted() }
    func shape(of name: String) throws -> [Int] { try base.shape(of: aliases[name] ?? name) }
    func tensor(_ name: String) throws -> Tensor { try base.tensor(aliases[name] ?? name) }
    func weight(_ name: String, transposed: Bool) throws -> Weight {
        try base.weight(aliases[name] ?? name, transposed: transposed)
    }
}

@Suite struct SyntheticT5Tests {
    /// The benchmark's random T5 loads strictly (every tensor named and shaped as T5.swift expects).
    @Test func syntheticT5LoadsStrictly() throws {
        let (ckpt, config) = try SyntheticCheckpoint.t5(layers: 2, hidden: 16, ffn: 32, heads: 4, vocab: 40)
        let m = try ModelRegistry.build(config: config, source: ckpt)
        #expect(m.kind == .seq2seqLM && m.spec.layers == 2 && m.inputWidth == 16 && m.vocabularySize == 40)
    }
}
