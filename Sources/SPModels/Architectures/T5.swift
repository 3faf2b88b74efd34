// T5 family (transformers `modeling_t5.py`, `modeling_mt5.py`, `modeling_umt5.py`): pre-norm RMS
// (`T5LayerNorm`) layers, no biases, unscaled attention scores with a bucketed relative-position
// bias (T5/mT5: layer 0's table shared by every layer of a stack; UMT5: a table in every layer),
// ReLU (v1.0) or gated-GELU (v1.1, flan-T5, mT5, UMT5) feed-forward, final norm per stack.
// The LM head is `lm_head.weight` when the checkpoint has it (v1.1), else the shared embedding;
// the decoder output is rescaled by d_model^-0.5 for tied T5 (v1.0) heads.

import SPFormats
import SPJSON
import SPTensor

enum T5 {
    enum Variant { case t5, mt5, umt5 }

    static func build(_ c: JSONConfig, _ w: StrictLoader) throws -> Seq2SeqModel { try build(c, w, .t5) }
    static func buildMT5(_ c: JSONConfig, _ w: StrictLoader) throws -> Seq2SeqModel { try build(c, w, .mt5) }
    static func buildUMT5(_ c: JSONConfig, _ w: StrictLoader) throws -> Seq2SeqModel { try build(c, w, .umt5) }

    /// `feed_forward_proj` → (gated, activation) as `T5Config.__post_init__` reads it.
    static func feedForward(_ c: JSONConfig) throws -> (gated: Bool, activation: Activation) {
        let proj = try c.stringIfPresent("feed_forward_proj") ?? "relu"
        let parts = proj.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 1 || (parts.count == 2 && parts[0] == "gated") else {
            throw ModelError.invalidConfig("feed_forward_proj '\(proj)' is not 'ACT' or 'gated-ACT' (e.g. 'relu', 'gated-gelu')",
                                           file: c.file)
        }
        let name = proj == "gated-gelu" ? "gelu_new" : parts[parts.count - 1]
        return (parts.count == 2, try Activation(configName: name, field: "feed_forward_proj"))
    }

    static func build(_ c: JSONConfig, _ w: StrictLoader, _ variant: Variant) throws -> Seq2SeqModel {
        let d = try c.int("d_model"), dkv = try c.int("d_kv"), dff = try c.int("d_ff")
        let heads = try c.int("num_heads"), vocab = try c.int("vocab_size")
        let encLayers = try c.int("num_layers")
        let decLayers = try c.intIfPresent("num_decoder_layers") ?? encLayers
        let buckets = try c.int("relative_attention_num_buckets", default: 32)
        let maxDistance = try c.int("relative_attention_max_distance", default: 128)
        let eps = Float(try c.double("layer_norm_epsilon", default: 1e-6))
        let (gated, act) = try feedForward(c)
        guard d > 0, dkv > 0, dff > 0, heads > 0, vocab > 0, encLayers > 0, decLayers > 0 else {
            throw ModelError.invalidConfig("d_model, d_kv, d_ff, num_heads, vocab_size, num_layers and num_decoder_layers must be positive",
                                           file: c.file)
        }
        // The bucket formula needs exact buckets in both directions and a log range above them.
        guard buckets >= 4, maxDistance > buckets / 2 else {
            throw ModelError.invalidConfig("relative_attention_num_buckets \(buckets) must be at least 4 and relative_attention_max_distance \(maxDistance) larger than half of it",
                                           file: c.file)
        }
        let inner = heads * dkv
        let type = try c.modelType()
        w.ignorable = { $0 == "decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight" }

        func norm(_ name: String) throws -> NormLayer {
            NormLayer(kind: .rms(weightOffset: 0), width: d, eps: eps, weight: try w.vector(name + ".weight", d))
        }
        func attention(_ p: String) throws -> Seq2SeqAttention {
            Seq2SeqAttention(q: try w.weight(p + ".q.weight", inner, d), k: try w.weight(p + ".k.weight", inner, d),
                             v: try w.weight(p + ".v.weight", inner, d), o: try w.weight(p + ".o.weight", d, inner),
                             heads: heads, headDim: dkv, scale: 1)
        }
        func mlp(_ p: String) throws -> MLPLayer {
            if gated {
                return MLPLayer(kind: .gated(gate: try w.weight(p + ".wi_0.weight", dff, d),
                                             up: try w.weight(p + ".wi_1.weight", dff, d),
                                             down: try w.weight(p + ".wo.weight", d, dff)), activation: act)
            }
            return MLPLayer(kind: .plain(fc1: try w.weight(p + ".wi.weight", dff, d), b1: nil,
                                         fc2: try w.weight(p + ".wo.weight", d, dff), b2: nil), activation: act)
        }
        func stack(_ name: String, layers: Int, decoder: Bool) throws -> Seq2SeqStack {
            var blocks: [Seq2SeqBlock] = []
            var tables: [Weight] = []
            for l in 0..<layers {
                let p = "\(name).block.\(l).layer."
                if l == 0 || variant == .umt5 {
                    tables.append(try w.weight(p + "0.SelfAttention.relative_attention_bias.weight", buckets, heads))
                }
                var subs: [(norm: NormLayer, layer: Seq2SeqBlock.Sublayer)] = [
                    (try norm(p + "0.layer_norm"), .selfAttention(try attention(p + "0.SelfAttention")))]
                if decoder {
                    subs.append((try norm(p + "1.layer_norm"), .crossAttention(try attention(p + "1.EncDecAttention"))))
                }
                let f = decoder ? 2 : 1
                subs.append((try norm(p + "\(f).layer_norm"), .feedForward(try mlp(p + "\(f).DenseReluDense"))))
                blocks.append(Seq2SeqBlock(sublayers: subs, preNorm: true))
            }
            return Seq2SeqStack(blocks: blocks, finalNorm: try norm(name + ".final_layer_norm"),
                                relativeBias: RelativeBiasSpec(tables: tables, maxDistance: maxDistance,
                                                               bidirectional: !decoder),
                                causal: decoder)
        }
        let shared = try w.weight("shared.weight", vocab, d)
        for alias in ["encoder.embed_tokens.weight", "decoder.embed_tokens.weight"] where w.has(alias) {
            _ = try w.weight(alias, vocab, d)   // tied to `shared` (transformers ties them on load)
        }
        let encoder = try stack("encoder", layers: encLayers, decoder: false)
        let decoder = try stack("decoder", layers: decLayers, decoder: true)
        let untied = w.has("lm_head.weight")
        let headWeight = untied ? try w.weight("lm_head.weight", vocab, d) : shared
        // The d_model^-0.5 rescale of tied T5 heads: transformers 5 writes `scale_decoder_outputs`;
        // older configs say `tie_word_embeddings` (default true). mT5 never rescales.
        let rescale: Bool
        switch variant {
        case .mt5: rescale = false
        case .t5: rescale = try c.boolIfPresent("scale_decoder_outputs") ?? c.bool("tie_word_embeddings", default: true)
        case .umt5: rescale = try c.bool("tie_word_embeddings", default: true)
        }
        let pad = Int32(try c.int("pad_token_id", default: 0))
        let spec = Seq2SeqSpec(modelType: type, hidden: d, vocab: vocab, encoderLayers: encLayers,
                               decoderLayers: decLayers, heads: heads, headDim: dkv, ffn: dff, padTokenId: pad,
                               decoderStartTokenId: Int32(try c.intIfPresent("decoder_start_token_id") ?? Int(pad)),
                               eosTokenId: try c.intIfPresent("eos_token_id").map(Int32.init), maxPositions: nil)
        return Seq2SeqModel(spec: spec, tokenEmbedding: shared, embedScale: 1, encoder: encoder, decoder: decoder,
                            head: LMHead(weight: headWeight, logitScale: rescale ? 1 / Float(d).squareRoot() : 1))
    }
}
