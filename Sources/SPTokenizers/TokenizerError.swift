import Foundation

/// Every failure of the tokenizer module: bad files, unknown pipeline types, inputs a model cannot
/// encode. Messages name the file, the JSON path or byte offset, and give a hint where one exists.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file could not be read.
    case io(path: String, message: String)
    /// The text is not valid JSON (truncated, bad escape, …) at a byte offset.
    case json(offset: Int, message: String)
    /// A field is missing or has the wrong type; `path` is a JSON path such as `model.merges[3]`.
    case schema(path: String, message: String)
    /// A pipeline stage names a `type` this module does not implement.
    case unknownType(component: String, type: String, path: String)
    /// A GGUF file is malformed at a byte offset.
    case gguf(offset: Int, message: String)
    /// A valid configuration this module does not support.
    case unsupported(String)
    /// Encoding failed (for example a model needs an unknown token but has none).
    case encoding(String)
    /// Decoding failed where the reference library fails too (for example `Strip` on a short token).
    case decoding(String)
    /// Truncation or padding parameters that cannot be applied.
    case truncation(String)

    public var description: String {
        switch self {
        case .io(let path, let message):
            return "cannot read \(path): \(message)"
        case .json(let offset, let message):
            return "invalid JSON at byte \(offset): \(message) (HINT: is the file truncated or not a tokenizer.json?)"
        case .schema(let path, let message):
            return "tokenizer.json field `\(path)`: \(message)"
        case .unknownType(let component, let type, let path):
            return "unknown \(component) type \"\(type)\" at `\(path)` (HINT: supported types are listed in "
                + "the SPTokenizers documentation; the file may need a newer tokenizer)"
        case .gguf(let offset, let message):
            return "invalid GGUF metadata at byte \(offset): \(message) (HINT: is the file truncated?)"
        case .unsupported(let message):
            return "unsupported: \(message)"
        case .encoding(let message):
            return "cannot encode: \(message)"
        case .decoding(let message):
            return "cannot decode: \(message)"
        case .truncation(let message):
            return "truncation/padding: \(message)"
        }
    }

    /// The same error with a file name prefixed to its message, for errors raised while loading a file.
    func inFile(_ path: String) -> TokenizerError {
        switch self {
        case .io: return self
        case .json(let offset, let message): return .json(offset: offset, message: "\(path): \(message)")
        case .schema(let p, let message): return .schema(path: p, message: "\(message) (in \(path))")
        case .unknownType(let c, let t, let p): return .unknownType(component: c, type: t, path: "\(path): \(p)")
        case .gguf(let offset, let message): return .gguf(offset: offset, message: "\(path): \(message)")
        default: return self
        }
    }
}
