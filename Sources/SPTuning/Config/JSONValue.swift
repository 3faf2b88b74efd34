// A plain JSON value tree. Config files (JSON or YAML), data records and the HF model config that
// goes into caikit's config.yml all pass through it, so that strict field checking is written once.

import Foundation
import Yams

/// A JSON value. YAML documents are converted to the same tree (YAML 1.1 core scalars only).
public enum JSONValue: Sendable, Equatable, Decodable {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// A number without fraction that fits in `Int`.
    case int(Int)
    /// Any other number.
    case double(Double)
    /// A string.
    case string(String)
    /// A list.
    case array([JSONValue])
    /// An object (key order is not kept).
    case object([String: JSONValue])

    /// Decodes any JSON value (numbers as ``int(_:)`` when integral, else ``double(_:)``).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        self = .object(try c.decode([String: JSONValue].self))
    }

    /// Parses JSON text; `source` names the file or request in errors.
    public static func parse(json data: Data, source: String) throws -> JSONValue {
        try ParseLimits.checkJSONDepth(data, source: source)
        do {
            return try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw TuningError.malformedConfig(source: source, reason: "not valid JSON (\(shortReason(error)))")
        }
    }

    /// Parses a single YAML document; `source` names the file in errors.
    public static func parse(yaml text: String, source: String) throws -> JSONValue {
        let node: Node?
        try ParseLimits.checkJSONDepth(Data(text.utf8), source: source)   // flow-style [ { nesting
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw TuningError.malformedConfig(source: source, reason: "not valid YAML (\(error))")
        }
        guard let node else { return .null }
        return try JSONValue(yaml: node, budget: ParseLimits.YAMLBudget(source: source), depth: 0)
    }

    private init(yaml node: Node, budget: ParseLimits.YAMLBudget, depth: Int) throws {
        try budget.visit(depth: depth)
        let source = budget.source
        switch node {
        case .scalar(let s):
            switch node.tag.description {
            case Tag.Name.null.rawValue: self = .null
            case Tag.Name.bool.rawValue: self = node.bool.map(JSONValue.bool) ?? .string(s.string)
            case Tag.Name.int.rawValue:
                // Yams traps on an overflowing YAML 1.1 sexagesimal int (`5:5:5:…`): parse those here.
                if s.string.contains(":") {
                    guard let v = ParseLimits.sexagesimal(s.string) else {
                        throw TuningError.malformedConfig(source: source, reason: "the integer \(s.string) is out of range")
                    }
                    self = .int(v)
                } else {
                    self = node.int.map(JSONValue.int) ?? .string(s.string)
                }
            case Tag.Name.float.rawValue: self = node.float.map(JSONValue.double) ?? .string(s.string)
            default: self = .string(s.string)
            }
        case .sequence(let seq):
            self = .array(try seq.map { try JSONValue(yaml: $0, budget: budget, depth: depth + 1) })
        case .mapping(let map):
            var out: [String: JSONValue] = [:]
            for (k, v) in map {
                guard case .scalar(let ks) = k else {
                    throw TuningError.malformedConfig(source: source, reason: "mapping keys must be scalars")
                }
                out[ks.string] = try JSONValue(yaml: v, budget: budget, depth: depth + 1)
            }
            self = .object(out)
        }
    }

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The value rendered compactly for error messages.
    public var brief: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return quoted(s.count > 60 ? String(s.prefix(57)) + "..." : s)
        case .array(let a): return "[\(a.count) items]"
        case .object(let o): return "{\(o.count) keys}"
        }
    }
}

/// The most useful line of a Foundation decoding error.
func shortReason(_ error: any Error) -> String {
    if case let DecodingError.dataCorrupted(ctx) = error {
        return (ctx.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            ?? ctx.debugDescription
    }
    return String(describing: error)
}
