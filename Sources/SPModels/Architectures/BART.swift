// BART (transformers `modeling_bart.py`): post-LN layers (norm(x + f(x))), learned positions read
// at position + 2, `layernorm_embedding` after the positions, q/k/v/out biases with scores scaled
// by head_dim^-0.5, `fc1`/`fc2` with `activation_function`, token embeddings × √d_model when
// `scale_embedding`, LM head tied to `shared` plus the `final_logits_bias` buffer.
// mBART (`modeling_mbart.py`) is the same with pre-LN layers (x + f(norm(x))), a final `layer_norm`
// per stack, and decoder inputs that start with the labels' last token (the language id).

import SPFormats
import SPJSON
import SPTensor

enum BART {
    static func build(_ c: JSONConfig, _ w: StrictLoader) throws -> Seq2SeqModel { try build(c, w, mbart: false) }
    static func buildMBART(_ c: JSONConfig, _ w: StrictLoader) throws -> Seq2SeqModel { try build(c, w, mbart: true) }

    static func build(_ c: JSONConfig, _ w: StrictLoader, mbart: Bool) throws -> Seq2SeqModel {
        let d = try c.int("d_model"), vocab = try c.int("vocab_size")
        let encLayers = try c.int("encoder_layers"), decLayers = try c.int("decoder_layers")
        let encHeads = try c.int("encoder_attention_heads"), decHeads = try c.int("decoder_attention_heads")
        let encFFN = try c.int("encoder_ffn_dim"), decFFN = try c.int("decoder_ffn_dim")
        let maxPos = try c.int("max_position_embeddings")
        let act = try Activation(configName: c.stringIfPresent("activation_function") ?? "gelu",
                                 field: "activation_function")
        guard d > 0, vocab > 0, encLayers > 0, decLayers > 0, maxPos > 0, encHeads > 0, d % encHeads == 0 else {
            throw ModelError.invalidConfig("d_model, vocab_size, *_layers and max_position_embeddings must be positive and d_model a multiple of encoder_attention_heads",
                                           file: c.file)
        }
        guard decHeads == encHeads, decFFN == encFFN else {
            throw ModelError.invalidConfig("encoder and decoder with different attention heads or ffn_dim (\(encHeads)/\(decHeads), \(encFFN)/\(decFFN)) are not supported",
                                           file: c.file)
        }
        if try c.bool("add_final_layer_norm", default: false) || c.bool("normalize_before", default: false) {
            throw ModelError.invalidConfig("pre-LN BART variants (normalize_before / add_final_layer_norm) are not supported",
                                           file: c.file)
        }
        let hd = d / encHeads
        func ln(_ name: String) throws -> NormLayer { try w.layerNorm(name, d, eps: 1e-5) }
        func attention(_ p: String) throws -> Seq2SeqAttention {
            Seq2SeqAttention(q: try w.weight(p + ".q_proj.weight", d, d), k: try w.weight(p + ".k_proj.weight", d, d),
                             v: try w.weight(p + ".v_proj.weight", d, d), o: try w.weight(p + ".out_proj.weight", d, d),
                             qb: try w.vector(p + ".q_proj.bias", d), kb: try w.vector(p + ".k_proj.bias", d),
                             vb: try w.vector(p + ".v_proj.bias", d), ob: try w.vector(p + ".out_proj.bias", d),
                             heads: encHeads, headDim: hd, scale: 1 / Float(hd).squareRoot())
        }
        func stack(_ name: String, layers: Int, decoder: Bool) throws -> Seq2SeqStack {
            var blocks: [Seq2SeqBlock] = []
            for l in 0..<layers {
                let p = "\(name).layers.\(l)."
                var subs: [(norm: NormLayer, layer: Seq2SeqBlock.Sublayer)] = [
                    (try ln(p + "self_attn_layer_norm"), .selfAttention(try attention(p + "self_attn")))]
                if decoder {
                    subs.append((try ln(p + "encoder_attn_layer_norm"), .crossAttention(try attention(p + "encoder_attn"))))
                }
                let mlp = MLPLayer(kind: .plain(fc1: try w.weight(p + "fc1.weight", encFFN, d), b1: try w.vector(p + "fc1.bias", encFFN),
                                                fc2: try w.weight(p + "fc2.weight", d, encFFN), b2: try w.vector(p + "fc2.bias", d)),
                                   activation: act)
                subs.append((try ln(p + "final_layer_norm"), .feedForward(mlp)))
                blocks.append(Seq2SeqBlock(sublayers: subs, preNorm: mbart))
            }
            return Seq2SeqStack(blocks: blocks, learnedPositions: try w.weight(name + ".embed_positions.weight", maxPos + 2, d),
                                positionOffset: 2, embeddingNorm: try ln(name + ".layernorm_embedding"),
                                finalNorm: mbart ? try ln(name + ".layer_norm") : nil,
                                relativeBias: nil, causal: decoder)
        }
        let shared = try w.weight("model.shared.weight", vocab, d)
        for alias in ["model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight"] where w.has(alias) {
            _ = try w.weight(alias, vocab, d)   // tied to `shared` (transformers ties them on load)
        }
        let encoder = try stack("model.encoder", layers: encLayers, decoder: false)
        let decoder = try stack("model.decoder", layers: decLayers, decoder: true)
        let headWeight = w.has("lm_head.weight") ? try w.weight("lm_head.weight", vocab, d) : shared
        // `final_logits_bias` [1, V] is a buffer transformers zero-fills when absent.
        var bias: Tensor?
        if w.has("final_logits_bias") {
            let b = try w.weight("final_logits_bias", 1, vocab)
            let t = Tensor(shape: [vocab])
            b.rows(0, 1, into: t.data)
            bias = t
        }
        let pad = Int32(try c.int("pad_token_id", default: 1))
        var spec = Seq2SeqSpec(modelType: try c.modelType(), hidden: d, vocab: vocab, encoderLayers: encLayers,
                               decoderLayers: decLayers, heads: encHeads, headDim: hd, ffn: encFFN, padTokenId: pad,
                               decoderStartTokenId: Int32(try c.int("decoder_start_token_id", default: 2)),
                               eosTokenId: try c.intIfPresent("eos_token_id").map(Int32.init), maxPositions: maxPos)
        spec.startsWithLastLabel = mbart
        let scale = try c.bool("scale_embedding", default: false) ? Float(d).squareRoot() : 1
        return Seq2SeqModel(spec: spec, tokenEmbedding: shared, embedScale: scale, encoder: encoder, decoder: decoder,
                            head: LMHead(weight: headWeight, bias: bias))
    }
}
