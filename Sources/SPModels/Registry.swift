// Picks the architecture from config.json's `model_type` (encoder-decoder types through Seq2SeqRegistry).

import SPFormats
import SPJSON
import SPTensor

/// The architectures SoftPrompt implements, keyed by transformers' `model_type`.
public enum ModelRegistry {
    typealias Builder = @Sendable (JSONConfig, StrictLoader) throws -> any LanguageModel

    static let builders: [String: Builder] = [
        "gpt2": GPT2.build, "llama": Llama.build, "mistral": Mistral.build, "qwen2": Qwen2.build,
        "gpt_neox": GPTNeoX.build, "bloom": Bloom.build, "opt": OPT.build, "gpt_bigcode": GPTBigCode.build,
        "granite": Granite.build,
    ]

    /// Supported `model_type` values, sorted.
    public static var supportedTypes: [String] { builders.keys.sorted() }

    /// Builds the model `config` describes from `source`, holding weights as `dtype` (or `quantization`, for inference). Loading is
    /// strict: a missing tensor, a wrong shape or an unexpected tensor throws ``ModelError``.
    /// Decoder-only types build a ``DecoderModel``; encoder-decoder types (``Seq2SeqRegistry``: t5,
    /// mt5, umt5, bart, mbart) a ``Seq2SeqModel``.
    public static func build(config: JSONConfig, source: TensorSource, dtype: DType = .float32,
                             quantization: WeightQuantization? = nil,
                             origin: String = "checkpoint") throws -> any LanguageModel {
        let type = try config.modelType()
        guard let builder = builders[type] else {
            if Seq2SeqRegistry.supports(type) {
                if let q = quantization {
                    throw ModelError.invalidInput("weight quantization is not implemented for encoder-decoder models ('\(type)'); use --dtype f32, bf16 or f16 instead of \(q.rawValue)")
                }
                return try Seq2SeqRegistry.build(config: config, source: source, dtype: dtype, origin: origin)
            }
            throw ModelError.unsupportedModelType(type, supported: supportedTypes + Seq2SeqRegistry.supportedTypes)
        }
        try ConfigSanity.check(config)
        let loader = StrictLoader(source, dtype: dtype, quantization: quantization, origin: origin)
        let model = try builder(config, loader)
        try loader.finish()
        return model
    }
}
