// GPTBigCode / StarCoder (transformers `modeling_gpt_bigcode.py`): GPT-2 with nn.Linear weights and
// multi-query attention (c_attn = [q (C) | k (HD) | v (HD)]); without multi_query the fused
// projection is per head [NH][3][HD].

import SPFormats
import SPJSON
import SPTensor

enum GPTBigCode {
    static func build(_ c: JSONConfig, _ w: StrictLoader) throws -> DecoderModel {
        let hidden = try c.int(["n_embd", "hidden_size"]), layers = try c.int(["n_layer", "num_hidden_layers"])
        let heads = try c.int(["n_head", "num_attention_heads"]), vocab = try c.int("vocab_size")
        let inner = try c.intIfPresent("n_inner") ?? 4 * hidden
        let positions = try c.int(["n_positions", "max_position_embeddings"])
        let eps = Float(try c.double("layer_norm_epsilon", default: 1e-5))
        let act = try Activation(configName: c.stringIfPresent("activation_function") ?? "gelu_pytorch_tanh",
                                 field: "activation_function")
        let mq = try c.bool("multi_query", default: true)
        let scaleWeights = try c.bool("scale_attn_weights", default: true)
        let hd = hidden / heads, kv = mq ? 1 : heads
        let width = (heads + 2 * kv) * hd
        let spec = ModelSpec(modelType: "gpt_bigcode", hidden: hidden, vocab: vocab, layers: layers, heads: heads,
                             kvHeads: kv, intermediate: inner, maxPositions: positions)
        w.ignorable = { $0.hasSuffix(".attn.bias") || $0.hasSuffix(".attn.masked_bias") }
        func ln(_ name: String) throws -> NormLayer { try w.layerNorm(name, hidden, eps: eps) }
        var blocks: [DecoderBlock] = []
        for l in 0..<layers {
            let b = "transformer.h.\(l)."
            let qkv = try w.weight(b + "attn.c_attn.weight", width, hidden)
            let qkvBias = try w.vector(b + "attn.c_attn.bias", width)
            let attn = AttentionLayer(
                projection: mq ? .fusedBlocks(qkv, bias: qkvBias) : .fusedPerHead(qkv, bias: qkvBias),
                out: try w.weight(b + "attn.c_proj.weight", hidden, hidden),
                outBias: try w.vector(b + "attn.c_proj.bias", hidden),
                heads: heads, kvHeads: kv, headDim: hd, positions: .none,
                scale: scaleWeights ? nil : 1)
            let mlp = MLPLayer(kind: .plain(fc1: try w.weight(b + "mlp.c_fc.weight", inner, hidden),
                                            b1: try w.vector(b + "mlp.c_fc.bias", inner),
                                            fc2: try w.weight(b + "mlp.c_proj.weight", hidden, inner),
                                            b2: try w.vector(b + "mlp.c_proj.bias", hidden)),
                               activation: act)
            blocks.append(DecoderBlock(norm1: try ln(b + "ln_1"), attention: attn, norm2: try ln(b + "ln_2"),
                                       mlp: mlp, residual: .sequential(multiplier: 1)))
        }
        let wte = try w.weight("transformer.wte.weight", vocab, hidden)
        var input = InputStage()
        input.learnedPositions = try w.weight("transformer.wpe.weight", positions, hidden)
        let head = try w.has("lm_head.weight") ? w.weight("lm_head.weight", vocab, hidden) : wte
        return DecoderModel(spec: spec, tokenEmbedding: wte, input: input, blocks: blocks,
                            finalNorm: try ln("transformer.ln_f"), projectOut: nil, head: LMHead(weight: head),
                            positionRule: .arange, rotary: nil)
    }
}
