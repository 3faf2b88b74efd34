// Picks the architecture from config.json's `model_type`.

import SPFormats
import SPTensor

/// The architectures SoftPrompt implements, keyed by transformers' `model_type`.
public enum ModelRegistry {
    typealias Builder = @Sendable (JSONConfig, StrictLoader) throws -> DecoderModel

    static let builders: [String: Builder] = [
        "gpt2": GPT2.build, "llama": Llama.build, "mistral": Mistral.build, "qwen2": Qwen2.build,
        "gpt_neox": GPTNeoX.build, "bloom": Bloom.build, "opt": OPT.build, "gpt_bigcode": GPTBigCode.build,
        "granite": Granite.build,
    ]

    /// Supported `model_type` values, sorted.
    public static var supportedTypes: [String] { builders.keys.sorted() }

    /// Builds the model `config` describes from `source`, holding weights as `dtype` (or `quantization`, for inference). Loading is
    /// strict: a missing tensor, a wrong shape or an unexpected tensor throws ``ModelError``.
    public static func build(config: JSONConfig, source: TensorSource, dtype: DType = .float32,
                             quantization: WeightQuantization? = nil,
                             origin: String = "checkpoint") throws -> DecoderModel {
        let type = try config.modelType()
        guard let builder = builders[type] else {
            throw ModelError.unsupportedModelType(type, supported: supportedTypes)
        }
        try ConfigSanity.check(config)
        let loader = StrictLoader(source, dtype: dtype, quantization: quantization, origin: origin)
        let model = try builder(config, loader)
        try loader.finish()
        return model
    }
}
