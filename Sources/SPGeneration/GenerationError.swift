// The one error type of SPGeneration. Messages name the parameter, file or key and carry a hint,
// because they reach users of the CLI and the HTTP server verbatim.

/// Errors thrown by SPGeneration for anything that comes from outside: request parameters, prompt
/// directories, input text.
///
/// Where caikit-nlp (or transformers under it) rejects the same request, the message quotes
/// caikit's log code (e.g. `<NLP80772084E>`) or names the transformers check, so that users coming
/// from caikit recognise it.
public enum GenerationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A generation parameter is outside its domain. `code` is caikit's log code when caikit raises
    /// the same error, nil when the check is transformers' (or ours).
    case invalidParameter(field: String, value: String, reason: String, code: String?)
    /// A prompt directory (PEFT adapter or caikit layout) is missing a file or holds bad data.
    case badPromptDirectory(path: String, reason: String, hint: String)
    /// The soft prompt does not fit the model (width, number of virtual tokens).
    case promptMismatch(reason: String, hint: String)
    /// The input (virtual tokens + input tokens + new tokens) does not fit the model's positions.
    case inputTooLong(tokens: Int, limit: Int, hint: String)
    /// The tokenizer failed on the text or ids.
    case tokenizer(String)
    /// The model failed (an invalid shape or a full KV cache: an internal error surfaced as is).
    case model(String)

    public var description: String {
        switch self {
        case let .invalidParameter(field, value, reason, code):
            let c = code.map { " (caikit \($0))" } ?? ""
            return "invalid value \(value) for `\(field)`: \(reason)\(c)"
        case let .badPromptDirectory(path, reason, hint):
            return "\(path): \(reason); hint: \(hint)"
        case let .promptMismatch(reason, hint):
            return "soft prompt does not fit the model: \(reason); hint: \(hint)"
        case let .inputTooLong(tokens, limit, hint):
            return "input needs \(tokens) positions but the model has \(limit); hint: \(hint)"
        case let .tokenizer(message):
            return "tokenizer: \(message)"
        case let .model(message):
            return "model: \(message)"
        }
    }
}
