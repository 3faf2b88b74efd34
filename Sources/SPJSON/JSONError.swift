// The one error type of SPJSON: malformed text and, from ``JSONConfig``, missing or mistyped fields.
// Every case names the file (or request) and the field path, and its description carries a hint.

/// An error reading JSON text or a field of it.
public enum JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The text is not valid JSON (or nests deeper than ``JSONParser/maxDepth``); `offset` is the byte.
    case syntax(file: String, offset: Int, reason: String)
    /// None of the fields is present (one path, or the alternatives tried in order).
    case missingField(file: String, fields: [String])
    /// A field holds a value of another type; `found` is the value's ``JSONValue/kindDescription``.
    case wrongType(file: String, field: String, expected: String, found: String)
    /// An object has a key nobody reads; `field` is its full path.
    case unknownKey(file: String, field: String, allowed: [String])
    /// A field has the right type but an unusable value.
    case invalidValue(file: String, field: String, reason: String)
    /// The file could not be read.
    case unreadable(file: String, reason: String)

    /// The file or request the error is about.
    public var file: String {
        switch self {
        case .syntax(let f, _, _), .missingField(let f, _), .wrongType(let f, _, _, _), .unknownKey(let f, _, _),
             .invalidValue(let f, _, _), .unreadable(let f, _):
            return f
        }
    }

    /// The field path the error is about (`""` for the document or for syntax errors).
    public var field: String {
        switch self {
        case .syntax, .unreadable: return ""
        case .missingField(_, let fields): return fields.first ?? ""
        case .wrongType(_, let f, _, _), .unknownKey(_, let f, _), .invalidValue(_, let f, _): return f
        }
    }

    /// What is wrong, without the file name: "`a.b` must be an integer, got string \"x\"".
    public var reason: String {
        switch self {
        case let .syntax(_, offset, reason):
            return "not valid JSON (\(reason) at byte \(offset))"
        case let .missingField(_, fields):
            let names = fields.map { "`\(displayed($0))`" }
            return names.count == 1 ? "missing \(names[0])" : "missing \(names.joined(separator: " / ")) (none of them is present)"
        case let .wrongType(_, field, expected, found):
            return "`\(displayed(field))` must be \(expected), got \(found)"
        case let .unknownKey(_, field, _):
            return "unknown key `\(field)`"
        case let .invalidValue(_, field, reason):
            return "`\(displayed(field))`: \(reason)"
        case let .unreadable(_, reason):
            return "cannot read the file (\(reason))"
        }
    }

    /// What to do about it.
    public var hint: String {
        switch self {
        case .syntax: return "the file is truncated or not JSON; re-download or re-export it"
        case .missingField: return "add the field, or check that the file is the one meant"
        case .wrongType, .invalidValue: return "fix the field's value in the file"
        case let .unknownKey(_, _, allowed): return "allowed keys are \(allowed.joined(separator: ", "))"
        case .unreadable: return "check that the path exists and is readable"
        }
    }

    /// `file: reason; hint: …`.
    public var description: String { "\(file): \(reason); hint: \(hint)" }

    private func displayed(_ field: String) -> String { field.isEmpty ? "(document)" : field }
}
