// OPT (transformers `modeling_opt.py`): learned positions read at cumsum(mask)·mask − 1 + 2,
// pre-LN (125m style) or post-LN (350m style, do_layer_norm_before false), optional
// project_in/project_out when word_embed_proj_dim ≠ hidden_size, ReLU, tied lm_head.

import SPFormats
import SPJSON
import SPTensor

enum OPT {
    static func build(_ c: JSONConfig, _ w: StrictLoader) throws -> DecoderModel {
        let hidden = try c.int("hidden_size"), layers = try c.int("num_hidden_layers")
        let heads = try c.int("num_attention_heads"), vocab = try c.int("vocab_size")
        let inner = try c.int("ffn_dim"), maxPos = try c.int("max_position_embeddings", default: 2048)
        let embedDim = try c.intIfPresent("word_embed_proj_dim") ?? hidden
        let preLN = try c.bool("do_layer_norm_before", default: true)
        let removeFinal = try c.bool("_remove_final_layer_norm", default: false)
        let bias = try c.bool("enable_bias", default: true)
        let affine = try c.bool("layer_norm_elementwise_affine", default: true)
        let act = try Activation(configName: c.stringIfPresent("activation_function") ?? "relu",
                                 field: "activation_function")
        let hd = hidden / heads
        let spec = ModelSpec(modelType: "opt", hidden: hidden, embedDim: embedDim, vocab: vocab, layers: layers,
                             heads: heads, intermediate: inner, maxPositions: maxPos)
        let p = "model.decoder."
        func ln(_ name: String) throws -> NormLayer {
            NormLayer(kind: .layer, width: hidden, eps: 1e-5,
                      weight: affine ? try w.vector(name + ".weight", hidden) : nil,
                      bias: affine ? try w.vector(name + ".bias", hidden) : nil)
        }
        func b(_ name: String, _ n: Int) throws -> Tensor? { bias ? try w.vector(name, n) : nil }
        var blocks: [DecoderBlock] = []
        for l in 0..<layers {
            let q = "\(p)layers.\(l)."
            let a = q + "self_attn."
            let attn = AttentionLayer(
                projection: .separate(q: try w.weight(a + "q_proj.weight", hidden, hidden),
                                      k: try w.weight(a + "k_proj.weight", hidden, hidden),
                                      v: try w.weight(a + "v_proj.weight", hidden, hidden),
                                      qb: try b(a + "q_proj.bias", hidden), kb: try b(a + "k_proj.bias", hidden),
                                      vb: try b(a + "v_proj.bias", hidden)),
                out: try w.weight(a + "out_proj.weight", hidden, hidden), outBias: try b(a + "out_proj.bias", hidden),
                heads: heads, kvHeads: heads, headDim: hd, positions: .none)
            let mlp = MLPLayer(kind: .plain(fc1: try w.weight(q + "fc1.weight", inner, hidden), b1: try b(q + "fc1.bias", inner),
                                            fc2: try w.weight(q + "fc2.weight", hidden, inner), b2: try b(q + "fc2.bias", hidden)),
                               activation: act)
            blocks.append(DecoderBlock(norm1: try ln(q + "self_attn_layer_norm"), attention: attn,
                                       norm2: try ln(q + "final_layer_norm"), mlp: mlp,
                                       residual: preLN ? .sequential(multiplier: 1) : .postNorm))
        }
        let embed = try w.weight(p + "embed_tokens.weight", vocab, embedDim)
        var input = InputStage()
        input.learnedPositions = try w.weight(p + "embed_positions.weight", maxPos + 2, hidden)
        input.positionOffset = 2
        var projectOut: Weight?
        if embedDim != hidden {
            input.projectIn = try w.weight(p + "project_in.weight", hidden, embedDim)
            projectOut = try w.weight(p + "project_out.weight", embedDim, hidden)
        }
        let finalNorm = preLN && !removeFinal ? try ln(p + "final_layer_norm") : nil
        let head = try w.has("lm_head.weight") ? w.weight("lm_head.weight", vocab, embedDim) : embed
        return DecoderModel(spec: spec, tokenEmbedding: embed, input: input, blocks: blocks, finalNorm: finalNorm,
                            projectOut: projectOut, head: LMHead(weight: head),
                            positionRule: .cumsumMask(padValue: -1), rotary: nil)
    }
}
