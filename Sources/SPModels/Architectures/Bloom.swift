// BLOOM (transformers `modeling_bloom.py`): ALiBi instead of positions, LayerNorm on the word
// embeddings, fused per-head query_key_value [NH][3][HD], tanh GELU, tied lm_head.

import SPFormats
import SPJSON
import SPTensor

enum Bloom {
    static func build(_ c: JSONConfig, _ w: StrictLoader) throws -> DecoderModel {
        let hidden = try c.int(["hidden_size", "n_embed"]), layers = try c.int(["n_layer", "num_hidden_layers"])
        let heads = try c.int(["n_head", "num_attention_heads"]), vocab = try c.int("vocab_size")
        let eps = Float(try c.double("layer_norm_epsilon", default: 1e-5))
        if try c.bool("apply_residual_connection_post_layernorm", default: false) {
            throw ModelError.invalidConfig("apply_residual_connection_post_layernorm true is not supported", file: c.file)
        }
        let hd = hidden / heads, inner = 4 * hidden
        let spec = ModelSpec(modelType: "bloom", hidden: hidden, vocab: vocab, layers: layers, heads: heads,
                             intermediate: inner, maxPositions: Int.max / 2)
        let p = w.has("transformer.word_embeddings.weight") ? "transformer." : ""
        func ln(_ name: String) throws -> NormLayer { try w.layerNorm(name, hidden, eps: eps) }
        var blocks: [DecoderBlock] = []
        for l in 0..<layers {
            let b = "\(p)h.\(l)."
            let attn = AttentionLayer(
                projection: .fusedPerHead(try w.weight(b + "self_attention.query_key_value.weight", 3 * hidden, hidden),
                                          bias: try w.vector(b + "self_attention.query_key_value.bias", 3 * hidden)),
                out: try w.weight(b + "self_attention.dense.weight", hidden, hidden),
                outBias: try w.vector(b + "self_attention.dense.bias", hidden),
                heads: heads, kvHeads: heads, headDim: hd, positions: .alibi)
            let mlp = MLPLayer(kind: .plain(fc1: try w.weight(b + "mlp.dense_h_to_4h.weight", inner, hidden),
                                            b1: try w.vector(b + "mlp.dense_h_to_4h.bias", inner),
                                            fc2: try w.weight(b + "mlp.dense_4h_to_h.weight", hidden, inner),
                                            b2: try w.vector(b + "mlp.dense_4h_to_h.bias", hidden)),
                               activation: .geluTanh)
            blocks.append(DecoderBlock(norm1: try ln(b + "input_layernorm"), attention: attn,
                                       norm2: try ln(b + "post_attention_layernorm"), mlp: mlp,
                                       residual: .sequential(multiplier: 1)))
        }
        let embed = try w.weight(p + "word_embeddings.weight", vocab, hidden)
        var input = InputStage()
        input.norm = try ln(p + "word_embeddings_layernorm")
        let head = try w.has("lm_head.weight") ? w.weight("lm_head.weight", vocab, hidden) : embed
        return DecoderModel(spec: spec, tokenEmbedding: embed, input: input, blocks: blocks,
                            finalNorm: try ln(p + "ln_f"), projectOut: nil, head: LMHead(weight: head),
                            positionRule: .arange, rotary: nil)
    }
}
