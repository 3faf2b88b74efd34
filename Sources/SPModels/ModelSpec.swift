// The dimensions and options every decoder-only architecture shares, filled by each
// architecture file from its config.json.

import SPTensor

/// Shape and options of a decoder-only transformer, independent of its checkpoint naming.
public struct ModelSpec: Sendable, Equatable {
    /// transformers' `model_type` (`gpt2`, `llama`, …).
    public var modelType: String
    /// Width of the residual stream (`hidden_size` / `n_embd`).
    public var hidden: Int
    /// Width of the token embeddings when it differs from `hidden` (OPT's `word_embed_proj_dim`).
    public var embedDim: Int
    /// Vocabulary size (rows of the embedding table).
    public var vocab: Int
    /// Transformer blocks.
    public var layers: Int
    /// Query heads.
    public var heads: Int
    /// Key/value heads (== heads for MHA, 1 for multi-query).
    public var kvHeads: Int
    /// Per-head width.
    public var headDim: Int
    /// MLP inner width.
    public var intermediate: Int
    /// Longest sequence the position scheme supports (learned positions, rope defaults).
    public var maxPositions: Int

    public init(modelType: String, hidden: Int, embedDim: Int? = nil, vocab: Int, layers: Int,
                heads: Int, kvHeads: Int? = nil, headDim: Int? = nil, intermediate: Int,
                maxPositions: Int) {
        self.modelType = modelType
        self.hidden = hidden
        self.embedDim = embedDim ?? hidden
        self.vocab = vocab
        self.layers = layers
        self.heads = heads
        self.kvHeads = kvHeads ?? heads
        self.headDim = headDim ?? (heads > 0 ? hidden / heads : 0)
        self.intermediate = intermediate
        self.maxPositions = maxPositions
    }
}

/// Errors raised while building or running a model from outside input.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case missingTensor(String, file: String)
    case unexpectedTensors([String], file: String)
    case wrongShape(String, expected: [Int], found: [Int], file: String)
    case unsupportedModelType(String, supported: [String])
    case invalidConfig(String, file: String)
    case invalidInput(String)
    case notFound(String, hint: String)

    public var description: String {
        switch self {
        case .missingTensor(let n, let f):
            return "\(f): missing tensor '\(n)' (is this checkpoint for the architecture its config.json names?)"
        case .unexpectedTensors(let ns, let f):
            let list = ns.prefix(5).joined(separator: ", ") + (ns.count > 5 ? ", … (\(ns.count) in all)" : "")
            return "\(f): unexpected tensor(s) \(list) (the checkpoint does not match the architecture)"
        case .wrongShape(let n, let e, let s, let f):
            return "\(f): tensor '\(n)' has shape \(s), expected \(e) from config.json"
        case .unsupportedModelType(let t, let s):
            return "model_type '\(t)' is not supported; supported: \(s.joined(separator: ", "))"
        case .invalidConfig(let m, let f):
            return "\(f): \(m)"
        case .invalidInput(let m):
            return m
        case .notFound(let m, let h):
            return "\(m) (\(h))"
        }
    }
}
