// A Llama of TinyLlama-1.1B's widths (hidden 2048, 32 heads, 4 KV heads, FFN 5632; the shape of
// scripts/make_random_gguf.py --shape 1b) at 2 layers and a 2,048-token vocabulary, its 2-D weights
// seeded random ggml blocks in llama.cpp's Q4_K_M mix (Q4_K; Q6_K for v_proj, down_proj and the
// head), built in the test (no file, seconds): the native model (blocks kept) against the same
// weights dequantized to float32. The FFN matrices (11.5 M weights) span three dequantized chunks,
// so the chunked panel products are checked where they differ from float32 by summation order.

import Foundation
import SPFormats
import SPJSON
import SPModels
import SPTensor
import Testing

/// Random ggml blocks by tensor name (every float16 scale / min a small finite value, as
/// make_random_gguf.py writes them), norms of ones.
final class RandomBlockSource: TensorSource, @unchecked Sendable {
    let shapes: [String: [Int]], tensorNames: [String]
    private var blocks: [String: (BlockFormat, UnsafeMutableRawPointer)] = [:]

    init(_ tensors: [(String, [Int], BlockFormat?)], seed: UInt64) {
        shapes = Dictionary(uniqueKeysWithValues: tensors.map { ($0.0, $0.1) })
        tensorNames = tensors.map(\.0)
        var s = seed
        func next() -> UInt64 {
            s &+= 0x9E37_79B9_7F4A_7C15
            var z = s
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        for (name, shape, format) in tensors {
            guard let f = format else { continue }
            let n = shape[0] * shape[1] / f.blockElements
            let p = UnsafeMutableRawPointer.allocate(byteCount: n * f.blockBytes, alignment: 64)
            for i in 0..<(n * f.blockBytes / 8) { p.storeBytes(of: next(), toByteOffset: 8 * i, as: UInt64.self) }
            for i in (n * f.blockBytes / 8 * 8)..<(n * f.blockBytes) { p.storeBytes(of: UInt8(truncatingIfNeeded: next()), toByteOffset: i, as: UInt8.self) }
            // make_random_gguf.py's scales: d (and dmin, half as large) giving weights of ~0.02
            let (offsets, scale): ([Int], Float) = f == .q6_K ? ([208], 0.00002) : ([0, 2], 0.00015)
            for b in 0..<n {
                for (j, off) in offsets.enumerated() {
                    var v = (Float(next() % 1000) / 2000 + 0.5) * scale * (j == 0 ? 1 : 0.5)
                    if f == .q6_K, next() & 1 == 1 { v = -v }
                    p.storeBytes(of: Float16(v).bitPattern, toByteOffset: b * f.blockBytes + off, as: UInt16.self)
                }
            }
            blocks[name] = (f, p)
        }
    }

    deinit { for (_, p) in blocks.values { p.deallocate() } }

    func shape(of name: String) throws -> [Int] {
        guard let s = shapes[name] else { throw ModelError.missingTensor(name, file: "random blocks") }
        return s
    }

    func tensor(_ name: String) throws -> Tensor {
        let s = try shape(of: name)
        if let (f, p) = blocks[name] {
            let t = Tensor(shape: s)
            f.reference(p, blocks: 0..<(t.count / f.blockElements), into: t.data)   // the Swift reference
            return t
        }
        let t = Tensor(shape: s)
        for i in 0..<t.count { t.data[i] = 1 }
        return t
    }

    func weight(_ name: String, transposed: Bool) throws -> Weight {
        let s = try shape(of: name)
        guard let (f, p) = blocks[name] else { return Weight(try tensor(name), transposed: transposed) }
        return Weight(outFeatures: s[0], inFeatures: s[1], storage: .blocks(f, UnsafeRawPointer(p)), owner: self)
    }
}

@Suite(.serialized) struct OneBShapeNativeTests {
    static let (hidden, heads, kvHeads, ffn, vocab, layers) = (2048, 32, 4, 5632, 2048, 2)

    /// The source (Q4_K_M mix) and the llama config of the reduced 1B shape.
    static func source() throws -> (RandomBlockSource, JSONConfig) {
        let (h, kv) = (hidden, kvHeads * hidden / heads)
        var t: [(String, [Int], BlockFormat?)] = [("model.embed_tokens.weight", [vocab, h], .q4_K)]
        for l in 0..<layers {
            let p = "model.layers.\(l)."
            t += [(p + "input_layernorm.weight", [h], nil), (p + "post_attention_layernorm.weight", [h], nil),
                  (p + "self_attn.q_proj.weight", [h, h], .q4_K), (p + "self_attn.k_proj.weight", [kv, h], .q4_K),
                  (p + "self_attn.v_proj.weight", [kv, h], .q6_K), (p + "self_attn.o_proj.weight", [h, h], .q4_K),
                  (p + "mlp.gate_proj.weight", [ffn, h], .q4_K), (p + "mlp.up_proj.weight", [ffn, h], .q4_K),
                  (p + "mlp.down_proj.weight", [h, ffn], .q6_K)]
        }
        t += [("model.norm.weight", [h], nil), ("lm_head.weight", [vocab, h], .q6_K)]
        let config = try JSONConfig(json: """
            {"model_type": "llama", "hidden_size": \(h), "num_hidden_layers": \(layers), \
            "num_attention_heads": \(heads), "num_key_value_heads": \(kvHeads), "intermediate_size": \(ffn), \
            "vocab_size": \(vocab), "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, \
            "tie_word_embeddings": false}
            """, file: "1b-shape config")
        return (RandomBlockSource(t, seed: 19), config)
    }

    static func models() throws -> (native: DecoderModel, float: DecoderModel) {
        let (src, config) = try source()
        let native = try ModelRegistry.build(config: config, source: src, quantization: .native).decoderModel()
        let float = try ModelRegistry.build(config: config, source: src, dtype: .float32).decoderModel()
        return (native, float)
    }

    static func embed(_ m: DecoderModel, _ ids: [Int32]) -> [Float] { ids.flatMap { m.tokenEmbedding.row(Int($0)) } }

    @Test("1B widths: native training step equals the float32 step; greedy ids equal")
    func stepAndGreedy() throws {
        let (n, f) = try Self.models()
        #expect(n.weights.allSatisfy { $0.blockFormat != nil } && f.weights.allSatisfy { $0.dtype == .float32 })
        #expect(n.weights.contains { $0.outFeatures * $0.inFeatures > 2 * (1 << 22) },
                "an FFN matrix spans several 16 MiB chunks")
        // batch 2 × 24 tokens, the second row padded after 16
        let (batch, t) = (2, 24)
        let ids = (0..<(batch * t)).map { Int32(($0 * 7919 + 13) % Self.vocab) }
        let mask = [Int32](repeating: 1, count: t) + [Int32](repeating: 1, count: 16) + [Int32](repeating: 0, count: t - 16)
        let labels = ids.enumerated().map { mask[$0.offset] == 1 ? $0.element : -100 }
        let x = Self.embed(f, ids)
        #expect(x == Self.embed(n, ids), "embedding rows: C panel kernel == Swift reference, bitwise")
        func step(_ model: DecoderModel) throws -> (Float, [Float]) {
            var d = [Float](repeating: 0, count: x.count)
            let (loss, _) = try model.lossAndGradient(embeds: x, mask: mask, labels: labels, batch: batch, tokens: t,
                                                      dEmbeds: &d, workspace: TrainingWorkspace())
            return (loss, d)
        }
        let (ln, gn) = try step(n), (lf, gf) = try step(f)
        #expect(lf.isFinite && abs(ln - lf) <= 1e-4 * abs(lf), "loss native \(ln) vs float32 \(lf)")
        var worst = 0.0, scale = 0.0
        for i in gf.indices { worst = max(worst, Double(abs(gn[i] - gf[i]))); scale = max(scale, Double(abs(gf[i]))) }
        #expect(scale > 0 && worst <= 1e-4 * scale, "dEmbeds: max |native − float32| \(worst) vs max |float32| \(scale)")

        // greedy: a 12-token prompt (prefill on the chunked panels), then 8 single-token steps (block dots)
        func greedy(_ m: DecoderModel) throws -> [Int32] {
            var step = Array(ids[0..<12]), out: [Int32] = []
            let cache = KVCache(model: m, batch: 1, capacity: 20)
            var logits = [Float](repeating: 0, count: Self.vocab)
            while out.count < 8 {
                try m.decode(embeds: Self.embed(m, step), mask: [Int32](repeating: 1, count: step.count), tokens: step.count,
                             cache: cache, rule: .cumsumMask(padValue: 1), logits: &logits, workspace: InferenceWorkspace())
                let next = Int32(logits.indices.max { logits[$0] < logits[$1] }!)
                out.append(next)
                step = [next]
            }
            return out
        }
        let (gn8, gf8) = (try greedy(n), try greedy(f))
        #expect(gn8 == gf8, "greedy ids native \(gn8) vs float32 \(gf8)")
    }
}
