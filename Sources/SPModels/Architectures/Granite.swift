// Granite (transformers `modeling_granite.py`): a Llama with four multipliers: inputs_embeds ×
// embedding_multiplier (the soft prompt too), attention scale = attention_multiplier, both residual
// branches × residual_multiplier, logits ÷ logits_scaling.

import SPFormats
import SPJSON

enum Granite {
    static func build(_ c: JSONConfig, _ w: StrictLoader) throws -> DecoderModel {
        let bias = try c.bool("attention_bias", default: false)
        var o = LlamaOptions()
        o.modelType = "granite"
        o.qkvBias = bias
        o.outBias = bias
        o.mlpBias = try c.bool("mlp_bias", default: false)
        o.embeddingMultiplier = Float(try c.double("embedding_multiplier", default: 1))
        o.attentionMultiplier = Float(try c.double("attention_multiplier", default: 1))
        o.residualMultiplier = Float(try c.double("residual_multiplier", default: 1))
        o.logitsScaling = Float(try c.double("logits_scaling", default: 1))
        return try Llama.build(c, w, o)
    }
}
