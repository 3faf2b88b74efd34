// GPT-NeoX (transformers `modeling_gpt_neox.py`): LayerNorm, fused per-head query_key_value
// [NH][3][HD], partial rotary, parallel residual (or sequential), untied embed_out.

import SPFormats
import SPJSON
import SPTensor

enum GPTNeoX {
    static func build(_ c: JSONConfig, _ w: StrictLoader) throws -> DecoderModel {
        let hidden = try c.int("hidden_size"), layers = try c.int("num_hidden_layers")
        let heads = try c.int("num_attention_heads"), vocab = try c.int("vocab_size")
        let inner = try c.int("intermediate_size"), maxPos = try c.int("max_position_embeddings", default: 2048)
        let eps = Float(try c.double("layer_norm_eps", default: 1e-5))
        let act = try Activation(configName: c.stringIfPresent("hidden_act") ?? "gelu", field: "hidden_act")
        let parallel = try c.bool("use_parallel_residual", default: true)
        let bias = try c.bool("attention_bias", default: true)
        let hd = hidden / heads
        let theta = try c.ropeTheta() ?? c.doubleIfPresent("rotary_emb_base") ?? 10_000
        let rotary = try RotaryConfig.read(c, headDim: hd, maxPositions: maxPos, defaultTheta: theta)
        let spec = ModelSpec(modelType: "gpt_neox", hidden: hidden, vocab: vocab, layers: layers, heads: heads,
                             intermediate: inner, maxPositions: maxPos)
        w.ignorable = { $0.hasSuffix("rotary_emb.inv_freq") || $0.hasSuffix(".attention.bias")
            || $0.hasSuffix(".attention.masked_bias") }
        func ln(_ name: String) throws -> NormLayer { try w.layerNorm(name, hidden, eps: eps) }
        var blocks: [DecoderBlock] = []
        for l in 0..<layers {
            let b = "gpt_neox.layers.\(l)."
            let attn = AttentionLayer(
                projection: .fusedPerHead(try w.weight(b + "attention.query_key_value.weight", 3 * hidden, hidden),
                                          bias: bias ? try w.vector(b + "attention.query_key_value.bias", 3 * hidden) : nil),
                out: try w.weight(b + "attention.dense.weight", hidden, hidden),
                outBias: bias ? try w.vector(b + "attention.dense.bias", hidden) : nil,
                heads: heads, kvHeads: heads, headDim: hd,
                positions: .rotary(rotaryDim: rotary.rotaryDim, style: .halves))
            let mlp = MLPLayer(kind: .plain(fc1: try w.weight(b + "mlp.dense_h_to_4h.weight", inner, hidden),
                                            b1: try w.vector(b + "mlp.dense_h_to_4h.bias", inner),
                                            fc2: try w.weight(b + "mlp.dense_4h_to_h.weight", hidden, inner),
                                            b2: try w.vector(b + "mlp.dense_4h_to_h.bias", hidden)),
                               activation: act)
            blocks.append(DecoderBlock(norm1: try ln(b + "input_layernorm"), attention: attn,
                                       norm2: try ln(b + "post_attention_layernorm"), mlp: mlp,
                                       residual: parallel ? .parallel : .sequential(multiplier: 1)))
        }
        let embed = try w.weight("gpt_neox.embed_in.weight", vocab, hidden)
        let tied = try c.bool("tie_word_embeddings", default: false)
        let head = (!tied || w.has("embed_out.weight")) ? try w.weight("embed_out.weight", vocab, hidden) : embed
        return DecoderModel(spec: spec, tokenEmbedding: embed, input: InputStage(), blocks: blocks,
                            finalNorm: try ln("gpt_neox.final_layer_norm"), projectOut: nil,
                            head: LMHead(weight: head), positionRule: .arange, rotary: rotary)
    }
}
