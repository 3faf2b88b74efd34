import Foundation
import SPJSON

extension Tokenizer {
    /// Loads a `tokenizer.json` and, optionally, its `tokenizer_config.json`.
    public convenience init(tokenizerJSON: URL, config: URL? = nil) throws {
        let data = try Tokenizer.read(tokenizerJSON)
        let cfg = try config.map { url in
            do { return try TokenizerConfig(json: try Tokenizer.parseJSON(try Tokenizer.read(url))) } catch let e as TokenizerError {
                throw e.inFile(url.path)
            }
        }
        do {
            try self.init(json: try Tokenizer.parseJSON(data), config: cfg ?? TokenizerConfig())
        } catch let e as TokenizerError {
            throw e.inFile(tokenizerJSON.path)
        }
    }

    /// Loads the tokenizer in a model directory: `tokenizer.json`, plus `tokenizer_config.json`
    /// when present. A `chat_template.jinja` next to them (how transformers 5 saves the template)
    /// replaces the config's `chat_template`, as in transformers.
    public convenience init(directory: URL) throws {
        let cfgURL = directory.appendingPathComponent("tokenizer_config.json")
        var cfg = TokenizerConfig()
        if FileManager.default.fileExists(atPath: cfgURL.path) {
            do { cfg = try TokenizerConfig(json: try Tokenizer.parseJSON(try Tokenizer.read(cfgURL))) } catch let e as TokenizerError {
                throw e.inFile(cfgURL.path)
            }
        }
        let jinja = directory.appendingPathComponent("chat_template.jinja")
        if FileManager.default.fileExists(atPath: jinja.path) {
            let data = try Tokenizer.read(jinja)
            guard let text = String(data: data, encoding: .utf8) else {
                throw TokenizerError.io(path: jinja.path, message: "not UTF-8 text")
            }
            cfg.chatTemplate = text
        }
        let json = directory.appendingPathComponent("tokenizer.json")
        do {
            try self.init(json: try Tokenizer.parseJSON(try Tokenizer.read(json)), config: cfg)
        } catch let e as TokenizerError {
            throw e.inFile(json.path)
        }
    }

    /// Builds a tokenizer from the parsed contents of a `tokenizer.json`.
    public convenience init(json: JSONValue, config: TokenizerConfig = TokenizerConfig()) throws {
        let c = JSONConfig(json, file: "tokenizer.json")
        let (normalizer, pre, model, post, decoder, added, truncation, padding) = try TokenizerError.reading {
            _ = try c.pairs()
            if let v = try c.stringIfPresent("version"), v != "1.0" {
                throw TokenizerError.schema(path: "version", message: "unknown tokenizer version \"\(v)\" (expected \"1.0\")")
            }
            return (try c.optional("normalizer").map(NormalizerFactory.make),
                    try c.optional("pre_tokenizer").map(PreTokenizerFactory.make),
                    try ModelFactory.make(try c.required("model")),
                    try c.optional("post_processor").map(PostProcessorFactory.make),
                    try c.optional("decoder").map(DecoderFactory.make),
                    try c.optional("added_tokens")?.array().map(AddedToken.init) ?? [],
                    try c.optional("truncation").map(Truncation.init),
                    try c.optional("padding").map(Padding.init))
        }
        self.init(normalizer: normalizer, preTokenizer: pre, model: model, postProcessor: post, decoder: decoder,
                  addedTokens: added, truncation: truncation, padding: padding, config: config)
    }

    /// Builds a tokenizer from `tokenizer.json` text.
    public convenience init(jsonString: String, config: TokenizerConfig = TokenizerConfig()) throws {
        try self.init(json: try Tokenizer.parseJSON(Data(jsonString.utf8)), config: config)
    }

    static func read(_ url: URL) throws -> Data {
        do {
            return try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw TokenizerError.io(path: url.path, message: error.localizedDescription)
        }
    }
}
