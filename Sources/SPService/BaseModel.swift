// A resolved and loaded base model with its tokenizer and HF config: what training and generation
// start from.

import Foundation
import SPFormats
import SPModels
import SPTensor
import SPTokenizers

/// A resolved base model with its tokenizer and HF config.
public struct BaseModel: Sendable {
    /// Where it was found.
    public let location: ModelLocation
    /// The frozen model.
    public let model: any LanguageModel
    /// Its tokenizer.
    public let tokenizer: Tokenizer
    /// The HF `config.json` text (for GGUF: the config made from its metadata).
    public let configJSON: String
    /// caikit's `base_model_name`: the last path component (without `.gguf`).
    public let name: String
    /// The tokenizer as label construction and generation see it.
    public var text: TokenizerAdapter { TokenizerAdapter(tokenizer: tokenizer) }

    /// Resolves `name` like caikit (path, base_models_dir, HF cache, download) and loads it.
    public static func load(_ name: String, baseModelsDir: String?, dtype: DType,
                            quantization: WeightQuantization? = nil) throws -> BaseModel {
        try load(ModelLoader.resolve(name, baseModelsDir: baseModelsDir), dtype: dtype, quantization: quantization)
    }

    /// Loads the model, tokenizer and config at `loc`.
    public static func load(_ loc: ModelLocation, dtype: DType, quantization: WeightQuantization? = nil) throws -> BaseModel {
        let model = try ModelLoader.load(loc, dtype: dtype, quantization: quantization)
        let tokenizer = try Tokenizer.load(loc)
        let config: String
        switch loc {
        case .gguf(let p):
            config = try GGUFLlamaSource(GGUFFile(path: p), path: p).configJSON
        case .directory(let d):
            config = try String(contentsOfFile: d + "/config.json", encoding: .utf8)
        }
        var base = (loc.path as NSString).lastPathComponent
        if base.hasSuffix(".gguf") { base = String(base.dropLast(5)) }
        return BaseModel(location: loc, model: model, tokenizer: tokenizer, configJSON: config, name: base)
    }

    /// The kind of base model `name` names, from its `config.json` alone (transformers'
    /// `is_encoder_decoder`; a GGUF file is decoder-only). A name that does not resolve, or a config
    /// that cannot be read, counts as decoder-only here: ``checkSupported(_:baseModelsDir:)`` and
    /// the loader report those problems after the parameters are validated, in caikit's order.
    public static func kind(of name: String, baseModelsDir: String?) -> ModelKind {
        guard case .directory(let d)? = try? ModelLoader.resolve(name, baseModelsDir: baseModelsDir),
              let config = try? JSONConfig(contentsOf: d + "/config.json"),
              (try? config.bool("is_encoder_decoder", default: false)) == true else { return .causalLM }
        return .seq2seqLM
    }

    /// Reads only the `model_type` (to reject an unsupported model before loading weights).
    public static func checkSupported(_ name: String, baseModelsDir: String?) throws {
        let loc = try ModelLoader.resolve(name, baseModelsDir: baseModelsDir)
        guard case .directory(let d) = loc else { return }
        let type = try JSONConfig(contentsOf: d + "/config.json").modelType()
        guard ModelRegistry.supportedTypes.contains(type) else {
            throw ModelError.unsupportedModelType(type, supported: ModelRegistry.supportedTypes)
        }
    }
}
