import Foundation
import SPFormats
import SPJSON
import SPModels
import SPTensor
import SPTokenizers
import SPTuning

/// A resolved base model with its tokenizer and HF config, as the CLI commands need it.
struct BaseModel {
    let location: ModelLocation
    let model: DecoderModel
    let tokenizer: Tokenizer
    /// The HF `config.json` text (for GGUF: the config made from its metadata).
    let configJSON: String
    /// caikit's `base_model_name`: the last path component.
    let name: String
    /// The tokenizer as label construction sees it.
    var text: TokenizerAdapter { TokenizerAdapter(tokenizer: tokenizer) }

    /// Resolves `name` like caikit (path, base_models_dir, HF cache, download) and loads it.
    static func load(_ name: String, baseModelsDir: String?, dtype: DType) throws -> BaseModel {
        let loc = try ModelLoader.resolve(name, baseModelsDir: baseModelsDir)
        let model = try ModelLoader.load(loc, dtype: dtype)
        let tokenizer: Tokenizer, config: String
        switch loc {
        case .gguf(let p):
            tokenizer = try Tokenizer(gguf: URL(fileURLWithPath: p))
            config = try GGUFLlamaSource(GGUFFile(path: p), path: p).configJSON
        case .directory(let d):
            tokenizer = try Tokenizer(directory: URL(fileURLWithPath: d))
            config = try String(contentsOfFile: d + "/config.json", encoding: .utf8)
        }
        var base = (loc.path as NSString).lastPathComponent
        if base.hasSuffix(".gguf") { base = String(base.dropLast(5)) }
        return BaseModel(location: loc, model: model, tokenizer: tokenizer, configJSON: config, name: base)
    }

    /// Reads only the `model_type` (to reject an unsupported model before loading weights).
    static func checkSupported(_ name: String, baseModelsDir: String?) throws {
        let loc = try ModelLoader.resolve(name, baseModelsDir: baseModelsDir)
        guard case .directory(let d) = loc else { return }
        let type = try JSONConfig(contentsOf: d + "/config.json").modelType()
        guard ModelRegistry.supportedTypes.contains(type) else {
            throw ModelError.unsupportedModelType(type, supported: ModelRegistry.supportedTypes)
        }
    }
}

