// GPT-2 (transformers `modeling_gpt2.py`): Conv1D weights stored [in, out], learned absolute
// positions, pre-LayerNorm blocks, fused c_attn = [q | k | v], tied lm_head.

import SPFormats
import SPJSON
import SPTensor

enum GPT2 {
    static func build(_ c: JSONConfig, _ w: StrictLoader) throws -> DecoderModel {
        let hidden = try c.int(["n_embd", "hidden_size"]), layers = try c.int(["n_layer", "num_hidden_layers"])
        let heads = try c.int(["n_head", "num_attention_heads"]), vocab = try c.int("vocab_size")
        let inner = try c.intIfPresent("n_inner") ?? 4 * hidden
        let positions = try c.int(["n_positions", "max_position_embeddings"])
        let eps = Float(try c.double("layer_norm_epsilon", default: 1e-5))
        let act = try Activation(configName: c.string("activation_function"), field: "activation_function")
        let scaleByLayer = try c.bool("scale_attn_by_inverse_layer_idx", default: false)
        let scaleWeights = try c.bool("scale_attn_weights", default: true)
        let hd = hidden / heads
        let spec = ModelSpec(modelType: "gpt2", hidden: hidden, vocab: vocab, layers: layers, heads: heads,
                             intermediate: inner, maxPositions: positions)
        let p = w.has("transformer.wte.weight") ? "transformer." : ""
        // Causal-mask buffers of older checkpoints are not weights.
        w.ignorable = { $0.hasSuffix(".attn.bias") || $0.hasSuffix(".attn.masked_bias") }
        func ln(_ name: String) throws -> NormLayer { try w.layerNorm(name, hidden, eps: eps) }
        var blocks: [DecoderBlock] = []
        for l in 0..<layers {
            let b = "\(p)h.\(l)."
            var scale: Float = scaleWeights ? 1 / Float(hd).squareRoot() : 1
            if scaleByLayer { scale /= Float(l + 1) }
            let attn = AttentionLayer(
                projection: .fusedBlocks(try w.conv1D(b + "attn.c_attn.weight", in: hidden, out: 3 * hidden),
                                         bias: try w.vector(b + "attn.c_attn.bias", 3 * hidden)),
                out: try w.conv1D(b + "attn.c_proj.weight", in: hidden, out: hidden),
                outBias: try w.vector(b + "attn.c_proj.bias", hidden),
                heads: heads, kvHeads: heads, headDim: hd, positions: .none, scale: scale)
            let mlp = MLPLayer(kind: .plain(fc1: try w.conv1D(b + "mlp.c_fc.weight", in: hidden, out: inner),
                                            b1: try w.vector(b + "mlp.c_fc.bias", inner),
                                            fc2: try w.conv1D(b + "mlp.c_proj.weight", in: inner, out: hidden),
                                            b2: try w.vector(b + "mlp.c_proj.bias", hidden)),
                               activation: act)
            blocks.append(DecoderBlock(norm1: try ln(b + "ln_1"), attention: attn, norm2: try ln(b + "ln_2"),
                                       mlp: mlp, residual: .sequential(multiplier: 1)))
        }
        let wte = try w.weight(p + "wte.weight", vocab, hidden)
        var input = InputStage()
        input.learnedPositions = try w.weight(p + "wpe.weight", positions, hidden)
        let head = try w.has("lm_head.weight") ? w.weight("lm_head.weight", vocab, hidden) : wte
        return DecoderModel(spec: spec, tokenEmbedding: wte, input: input, blocks: blocks,
                            finalNorm: try ln(p + "ln_f"), projectOut: nil, head: LMHead(weight: head),
                            positionRule: .arange, rotary: nil)
    }
}
