// The one JSON value type of SoftPrompt: config.json, tokenizer.json, safetensors headers, caikit
// parameters, training data and the CLI's JSON lines all parse into it. Objects keep their key order
// (a vocabulary's order is its meaning for some models; Python dicts are ordered) and numbers keep
// whether they were written as integers.

/// A parsed JSON value.
public enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` / `false`.
    case bool(Bool)
    /// A number written without fraction or exponent that fits in `Int`.
    case int(Int)
    /// Any other number (also integers too large for `Int`; `NaN`/`Infinity` where the parser allows them).
    case double(Double)
    /// An integer written without fraction or exponent that does not fit in `Int`, as its exact
    /// decimal text (`-` and digits). Only a parser told `exactIntegers` makes one (e.g. a uint64
    /// seed above 2^63−1); writers print the digits as they are.
    case largeInt(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object, keys in file order.
    case object(JSONObject)

    /// The value of `key` when this is an object (the last one if the key repeats), else nil.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let o) = self else { return nil }
        return o[key]
    }

    /// The name of the value's type for messages: `null`, `boolean`, `integer`, `number`, `string`,
    /// `array`, `object`.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int, .largeInt: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The value rendered compactly for messages (long strings cut, containers summarised).
    public var brief: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return String(b)
        case .int(let i): return String(i)
        case .largeInt(let t): return t
        case .double(let d): return String(d)
        case .string(let s): return "\"" + (s.count > 60 ? String(s.prefix(57)) + "..." : s) + "\""
        case .array(let a): return "[\(a.count) items]"
        case .object(let o): return "{\(o.count) keys}"
        }
    }

    /// `typeName` and `brief` together (`string "abc"`, `integer 3`, `null`), as errors print what they found.
    public var kindDescription: String { self == .null ? "null" : "\(typeName) \(brief)" }

    /// Equal when of the same case with equal contents; strings and keys compare by their UTF-8
    /// bytes (not by Unicode canonical equivalence), objects as ``JSONObject`` compares them (same
    /// keys and values, in any order).
    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.double(let x), .double(let y)): return x == y
        case (.largeInt(let x), .largeInt(let y)): return x == y
        case (.string(let x), .string(let y)): return JSONObject.same(x, y)
        case (.array(let x), .array(let y)): return x == y
        case (.object(let x), .object(let y)): return x == y
        default: return false
        }
    }
}

extension JSONValue: Decodable {
    /// Decodes any value through a `Decoder` (numbers as ``int(_:)`` when integral, else
    /// ``double(_:)``). Object key order is the decoder's, which `JSONDecoder` does not keep.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSONValue].self) { self = .array(a); return }
        let dict = try c.decode([String: JSONValue].self)
        self = .object(JSONObject(dict.keys.sorted().map { ($0, dict[$0]!) }))
    }
}
