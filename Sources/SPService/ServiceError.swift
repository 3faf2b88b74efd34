// Errors of the service layer: what the caller asked for does not fit together. Messages name the
// argument or file and carry a hint, because they reach CLI and server users verbatim.

/// Errors thrown by SPService.
public enum ServiceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A request argument is missing or does not fit the others.
    case invalidRequest(field: String, reason: String, hint: String)
    /// A prompt directory's base model was not found anywhere it was looked for.
    case baseModelNotFound(prompt: String, tried: [String], hint: String)

    public var description: String {
        switch self {
        case let .invalidRequest(field, reason, hint):
            return "`\(field)`: \(reason); hint: \(hint)"
        case let .baseModelNotFound(prompt, tried, hint):
            return "the base model of \(prompt) was not found (tried \(tried.joined(separator: "; "))); hint: \(hint)"
        }
    }
}
