import Foundation
import SPFormats
import SPJSON
import SPModels
import SPTensor
import SPTokenizers

/// A resolved base model with its tokenizer and HF config, as the CLI commands and a server need it.
public struct BaseModel: Sendable {
    public let location: ModelLocation
    public let model: any LanguageModel
    public let tokenizer: Tokenizer
    /// The HF `config.json` text (for GGUF: the config made from its metadata).
    public let configJSON: String
    /// caikit's `base_model_name`: the last path component.
    public let name: String
    /// The tokenizer as label construction sees it.
    public var text: TokenizerAdapter { TokenizerAdapter(tokenizer: tokenizer) }

    /// Loads the base model at `loc` (``location``, ``model``, ``tokenizer``, ``configJSON``, ``name``).
    public static func load(_ loc: ModelLocation, dtype: DType, quantization: WeightQuantization? = nil) throws -> BaseModel {
        let model = try ModelLoader.load(loc, dtype: dtype, quantization: quantization)
        let tokenizer = try loadTokenizer(loc), config: String
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

    /// Reads only the `model_type` (to reject an unsupported model before loading weights).
    public static func checkSupported(_ name: String, baseModelsDir: String?) throws {
        let loc = try ModelLoader.resolve(name, baseModelsDir: baseModelsDir)
        guard case .directory(let d) = loc else { return }
        let type = try JSONConfig(contentsOf: d + "/config.json").modelType()
        guard ModelRegistry.supportedTypes.contains(type) || Seq2SeqRegistry.supports(type) else {
            throw ModelError.unsupportedModelType(type, supported: ModelRegistry.supportedTypes + Seq2SeqRegistry.supportedTypes)
        }
    }
}
