// Picks the encoder-decoder architecture from config.json's `model_type`, and loads HF directories
// of such models. Kept apart from ``ModelRegistry`` (decoder-only) until both sit behind one
// language-model interface.

import Foundation
import SPFormats
import SPJSON
import SPTensor

/// The encoder-decoder architectures SoftPrompt implements, keyed by transformers' `model_type`.
public enum Seq2SeqRegistry {
    typealias Builder = @Sendable (JSONConfig, StrictLoader) throws -> Seq2SeqModel

    static let builders: [String: Builder] = [
        "t5": T5.build, "mt5": T5.buildMT5, "umt5": T5.buildUMT5, "bart": BART.build, "mbart": BART.buildMBART,
    ]

    /// Supported `model_type` values, sorted.
    public static var supportedTypes: [String] { builders.keys.sorted() }

    /// True if `modelType` names an encoder-decoder architecture implemented here.
    public static func supports(_ modelType: String) -> Bool { builders[modelType] != nil }

    /// Builds the model `config` describes from `source`. Loading is strict: a missing tensor, a
    /// wrong shape or an unexpected tensor throws ``ModelError`` naming it.
    public static func build(config: JSONConfig, source: TensorSource, dtype: DType = .float32,
                             origin: String = "checkpoint") throws -> Seq2SeqModel {
        let type = try config.modelType()
        guard let builder = builders[type] else {
            throw ModelError.unsupportedModelType(type, supported: supportedTypes)
        }
        let loader = StrictLoader(source, dtype: dtype, origin: origin)
        let model = try builder(config, loader)
        try loader.finish()
        return model
    }

    /// Loads an HF encoder-decoder directory (`config.json` + `model.safetensors` or shards).
    public static func load(directory: String, dtype: DType = .float32) throws -> Seq2SeqModel {
        let configPath = directory + "/config.json"
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw ModelError.notFound("\(directory): no config.json", hint: "pass an HF model directory")
        }
        let config = try JSONConfig(contentsOf: configPath)
        let source = try Safetensors.open(directory: directory)
        return try build(config: config, source: source, dtype: dtype, origin: directory)
    }
}
