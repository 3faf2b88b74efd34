// Errors of reading a prompt directory for generation (``TunedPrompt``). Messages name the file and
// field and carry a hint, because they reach users of the CLI and the HTTP server verbatim.

/// A prompt directory (PEFT adapter or caikit layout) that cannot be used for generation.
public enum PromptError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A prompt directory is missing a file or holds bad data.
    case badPromptDirectory(path: String, reason: String, hint: String)

    public var description: String {
        switch self {
        case let .badPromptDirectory(path, reason, hint):
            return "\(path): \(reason); hint: \(hint)"
        }
    }
}
