// Llama (transformers `modeling_llama.py`): RMSNorm, rotary positions (default / linear / dynamic /
// llama3), grouped-query attention, SwiGLU MLP. SmolLM2 and TinyLlama are Llamas. The builder is
// shared with the Llama-shaped families (Mistral, Qwen2, Granite), which only change options.

import SPFormats
import SPJSON
import SPTensor

/// Options in which Llama-shaped architectures differ.
struct LlamaOptions {
    var modelType = "llama"
    /// Bias on q/k/v (Qwen2; Llama `attention_bias`).
    var qkvBias = false
    /// Bias on o_proj (Llama `attention_bias`).
    var outBias = false
    var mlpBias = false
    var slidingWindow: Int?
    /// Granite.
    var embeddingMultiplier: Float = 1
    var attentionMultiplier: Float?
    var residualMultiplier: Float = 1
    var logitsScaling: Float = 1
}

enum Llama {
    static func build(_ c: JSONConfig, _ w: StrictLoader) throws -> DecoderModel {
        let bias = try c.bool("attention_bias", default: false)
        var o = LlamaOptions()
        o.qkvBias = bias
        o.outBias = bias
        o.mlpBias = try c.bool("mlp_bias", default: false)
        return try build(c, w, o)
    }

    /// Builds any Llama-shaped model from its config and checkpoint.
    static func build(_ c: JSONConfig, _ w: StrictLoader, _ o: LlamaOptions) throws -> DecoderModel {
        let hidden = try c.int("hidden_size"), layers = try c.int("num_hidden_layers")
        let heads = try c.int("num_attention_heads"), vocab = try c.int("vocab_size")
        let kvHeads = try c.intIfPresent("num_key_value_heads") ?? heads
        let hd = try c.intIfPresent("head_dim") ?? hidden / heads
        let inner = try c.int("intermediate_size"), maxPos = try c.int("max_position_embeddings", default: 2048)
        let eps = Float(try c.double("rms_norm_eps", default: 1e-6))
        let act = try Activation(configName: c.stringIfPresent("hidden_act") ?? "silu", field: "hidden_act")
        guard heads % kvHeads == 0 else {
            throw ModelError.invalidConfig("num_attention_heads \(heads) is not a multiple of num_key_value_heads \(kvHeads)",
                                           file: c.file)
        }
        let rotary = try RotaryConfig.read(c, headDim: hd, maxPositions: maxPos)
        let spec = ModelSpec(modelType: o.modelType, hidden: hidden, vocab: vocab, layers: layers, heads: heads,
                             kvHeads: kvHeads, headDim: hd, intermediate: inner, maxPositions: maxPos)
        w.ignorable = { $0.hasSuffix("rotary_emb.inv_freq") }
        func rms(_ name: String) throws -> NormLayer {
            NormLayer(kind: .rms(weightOffset: 0), width: hidden, eps: eps, weight: try w.vector(name, hidden))
        }
        func optBias(_ name: String, _ n: Int, _ on: Bool) throws -> Tensor? { on ? try w.vector(name, n) : nil }
        var blocks: [DecoderBlock] = []
        for l in 0..<layers {
            let b = "model.layers.\(l)."
            let a = b + "self_attn."
            let attn = AttentionLayer(
                projection: .separate(q: try w.weight(a + "q_proj.weight", heads * hd, hidden),
                                      k: try w.weight(a + "k_proj.weight", kvHeads * hd, hidden),
                                      v: try w.weight(a + "v_proj.weight", kvHeads * hd, hidden),
                                      qb: try optBias(a + "q_proj.bias", heads * hd, o.qkvBias),
                                      kb: try optBias(a + "k_proj.bias", kvHeads * hd, o.qkvBias),
                                      vb: try optBias(a + "v_proj.bias", kvHeads * hd, o.qkvBias)),
                out: try w.weight(a + "o_proj.weight", hidden, heads * hd),
                outBias: try optBias(a + "o_proj.bias", hidden, o.outBias),
                heads: heads, kvHeads: kvHeads, headDim: hd,
                positions: .rotary(rotaryDim: rotary.rotaryDim, style: .halves),
                scale: o.attentionMultiplier, slidingWindow: o.slidingWindow)
            let m = b + "mlp."
            let mlp = MLPLayer(kind: .gated(gate: try w.weight(m + "gate_proj.weight", inner, hidden),
                                            up: try w.weight(m + "up_proj.weight", inner, hidden),
                                            down: try w.weight(m + "down_proj.weight", hidden, inner),
                                            gb: try optBias(m + "gate_proj.bias", inner, o.mlpBias),
                                            ub: try optBias(m + "up_proj.bias", inner, o.mlpBias),
                                            db: try optBias(m + "down_proj.bias", hidden, o.mlpBias)),
                               activation: act)
            blocks.append(DecoderBlock(norm1: try rms(b + "input_layernorm.weight"), attention: attn,
                                       norm2: try rms(b + "post_attention_layernorm.weight"), mlp: mlp,
                                       residual: .sequential(multiplier: o.residualMultiplier)))
        }
        let embed = try w.weight("model.embed_tokens.weight", vocab, hidden)
        let tied = try c.bool("tie_word_embeddings", default: false)
        let head = (!tied || w.has("lm_head.weight")) ? try w.weight("lm_head.weight", vocab, hidden) : embed
        var input = InputStage()
        input.multiplier = o.embeddingMultiplier
        return DecoderModel(spec: spec, tokenEmbedding: embed, input: input, blocks: blocks,
                            finalNorm: try rms("model.norm.weight"), projectOut: nil,
                            head: LMHead(weight: head, logitScale: 1 / o.logitsScaling),
                            positionRule: .arange, rotary: rotary)
    }
}

/// Reads rope settings from a config: `rope_theta` / `rope_scaling` (transformers 4) or
/// `rope_parameters` (transformers 5), and `partial_rotary_factor` at either place.
enum RotaryConfig {
    static func read(_ c: JSONConfig, headDim: Int, maxPositions: Int, defaultTheta: Double = 10_000) throws -> RotarySpec {
        let params = try c.ropeParameters()
        let theta = try c.ropeTheta() ?? defaultTheta
        let partial = try params?.doubleIfPresent("partial_rotary_factor")
            ?? c.doubleIfPresent(["partial_rotary_factor", "rotary_pct"]) ?? 1
        var scaling = RopeScaling.none
        let s = try c.objectIfPresent("rope_scaling") ?? params
        if let s, let type = try s.stringIfPresent(["rope_type", "type"]), type != "default" {
            do {
                scaling = try RopeScaling(type: type, factor: s.doubleIfPresent("factor"),
                                          lowFreqFactor: s.doubleIfPresent("low_freq_factor"),
                                          highFreqFactor: s.doubleIfPresent("high_freq_factor"),
                                          originalMaxPositionEmbeddings: s.intIfPresent("original_max_position_embeddings"))
            } catch {
                throw ModelError.invalidConfig("rope scaling: \(error)", file: c.file)
            }
        }
        guard partial > 0, partial <= 1 else {
            throw ModelError.invalidConfig("partial_rotary_factor \(partial) is outside (0, 1]", file: c.file)
        }
        let dim = Rotary.rotaryDim(headDim: headDim, partialRotaryFactor: partial)
        guard dim > 0, dim % 2 == 0 else {
            throw ModelError.invalidConfig("rotary width \(dim) (head width \(headDim) × \(partial)) must be even and > 0",
                                           file: c.file)
        }
        return RotarySpec(rotaryDim: dim, base: theta, scaling: scaling, maxPositions: maxPositions)
    }
}
