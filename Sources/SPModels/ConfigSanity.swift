// Dimension checks on a model config before any architecture builder divides by or allocates with
// them: a zero `num_attention_heads` (division by zero) or a zero `hidden_size` (an empty rotary
// table) must be an error naming the key, never a trap. GGUF metadata goes through the same config.

import SPJSON

enum ConfigSanity {
    /// Keys that, when present, are dimensions and must be positive (and small enough to allocate).
    static let positiveKeys = [
        "hidden_size", "n_embd", "d_model", "num_attention_heads", "n_head", "num_hidden_layers", "n_layer",
        "vocab_size", "intermediate_size", "n_inner", "ffn_dim", "head_dim", "num_key_value_heads",
        "max_position_embeddings", "n_positions", "word_embed_proj_dim",
    ]
    /// The largest dimension accepted (2^24: larger than any released model's width or vocabulary).
    static let maxDimension = 1 << 24

    /// Throws ``ModelError/invalidConfig(_:file:)`` for a zero, negative or absurd dimension, and for
    /// a hidden size smaller than the head count (a zero head width).
    static func check(_ c: JSONConfig) throws {
        var seen: [String: Int] = [:]
        for key in positiveKeys where c.has(key) {
            guard let v = try? c.intIfPresent(key) else { continue }   // null / wrong type: the builder says so
            guard v > 0, v <= maxDimension else {
                throw ModelError.invalidConfig(
                    "\(key) = \(v) is out of range (1…\(maxDimension)); the model config is damaged", file: c.file)
            }
            seen[key] = v
        }
        let hidden = seen["hidden_size"] ?? seen["n_embd"] ?? seen["d_model"]
        let heads = seen["num_attention_heads"] ?? seen["n_head"]
        if let hidden, let heads, seen["head_dim"] == nil, hidden < heads {
            throw ModelError.invalidConfig(
                "hidden size \(hidden) is smaller than the \(heads) attention heads (zero-width heads)", file: c.file)
        }
    }
}
