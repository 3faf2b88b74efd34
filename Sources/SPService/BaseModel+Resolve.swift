// Finding a base model by name: loading it the way caikit resolves `base_model`, and telling its
// kind before any weight loads.

import SPFormats
import SPJSON
import SPModels
import SPTensor

extension BaseModel {
    /// Resolves `name` like caikit (path, base_models_dir, HF cache, download) and loads it.
    public static func load(_ name: String, baseModelsDir: String?, dtype: DType,
                            quantization: WeightQuantization? = nil) throws -> BaseModel {
        try load(ModelLoader.resolve(name, baseModelsDir: baseModelsDir), dtype: dtype, quantization: quantization)
    }

    /// The kind of base model `name` names, from its `config.json` alone (transformers'
    /// `is_encoder_decoder`, or a `model_type` of ``Seq2SeqRegistry``; a GGUF file is decoder-only). A name that does not resolve, or a config
    /// that cannot be read, counts as decoder-only here: ``checkSupported(_:baseModelsDir:)`` and
    /// the loader report those problems after the parameters are validated, in caikit's order.
    public static func kind(of name: String, baseModelsDir: String?) -> ModelKind {
        guard case .directory(let d)? = try? ModelLoader.resolve(name, baseModelsDir: baseModelsDir),
              let config = try? JSONConfig(contentsOf: d + "/config.json"),
              (try? config.bool("is_encoder_decoder", default: false)) == true
                || (try? config.modelType()).map(Seq2SeqRegistry.supports) == true else { return .causalLM }
        return .seq2seqLM
    }
}
