// Picks the architecture from config.json's `model_type`.

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
    /// Every architecture registered today is decoder-only (``DecoderModel``); an encoder-decoder
    /// builder returns its own ``LanguageModel``.
    public static func build(config: JSONConfig, source: TensorSource, dtype: DType = .float32,
                             quantization: WeightQuantization? = nil,
                             origin: String = "checkpoint") throws -> any LanguageModel {
        let type = try config.modelType()
        guard let builder = builders[type] else {
            if Seq2SeqRegistry.supports(type) {   // loads through Seq2SeqRegistry; not connected to the CLI yet
                throw ModelError.invalidInput("model_type '\(type)' is not supported here: it is an encoder-decoder model, and train, generate and tokenize run decoder-only models only so far (supported: \(supportedTypes.joined(separator: ", ")))")
            }
            throw ModelError.unsupportedModelType(type, supported: supportedTypes)
        }
        try ConfigSanity.check(config)
        let loader = StrictLoader(source, dtype: dtype, quantization: quantization, origin: origin)
        let model = try builder(config, loader)
        try loader.finish()
        return model
    }
}
