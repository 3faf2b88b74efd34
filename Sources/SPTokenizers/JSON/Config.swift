import Foundation

/// A JSON value together with its path in the document, with typed accessors that throw
/// `TokenizerError.schema` naming the path. Pipeline stages are built from these.
struct Config: Sendable {
    public let value: JSONValue
    public let path: String

    public init(_ value: JSONValue, path: String = "") {
        self.value = value
        self.path = path
    }

    func sub(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The field `key`, or nil when it is absent or JSON null.
    public func optional(_ key: String) throws -> Config? {
        guard case .object = value else {
            throw TokenizerError.schema(path: path, message: "expected an object, found \(value.kindName)")
        }
        guard let v = value[key] else { return nil }
        if case .null = v { return nil }
        return Config(v, path: sub(key))
    }

    /// The field `key`; throws when it is absent.
    public func required(_ key: String) throws -> Config {
        guard let c = try optional(key) else {
            throw TokenizerError.schema(path: sub(key), message: "required field is missing")
        }
        return c
    }

    /// The `type` field of a pipeline stage.
    public func typeName() throws -> String { try required("type").string() }

    public func string() throws -> String {
        guard case .string(let s) = value else { throw mismatch("a string") }
        return s
    }

    public func bool() throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch("a boolean") }
        return b
    }

    public func int() throws -> Int {
        switch value {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9e15: return Int(d)
        default: throw mismatch("an integer")
        }
    }

    /// A non-negative integer that fits in an `Int32` (token ids, lengths).
    public func index() throws -> Int {
        let i = try int()
        guard i >= 0, i <= Int(Int32.max) else {
            throw TokenizerError.schema(path: path, message: "expected a non-negative id, found \(i)")
        }
        return i
    }

    public func double() throws -> Double {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw mismatch("a number")
        }
    }

    public func array() throws -> [Config] {
        guard case .array(let items) = value else { throw mismatch("an array") }
        return items.enumerated().map { Config($1, path: "\(path)[\($0)]") }
    }

    /// The raw pairs of an object, in file order.
    public func pairs() throws -> [(String, JSONValue)] {
        guard case .object(let p) = value else { throw mismatch("an object") }
        return p
    }

    public func optionalString(_ key: String) throws -> String? { try optional(key)?.string() }
    public func optionalBool(_ key: String) throws -> Bool? { try optional(key)?.bool() }
    public func optionalInt(_ key: String) throws -> Int? { try optional(key)?.int() }
    public func string(_ key: String) throws -> String { try required(key).string() }
    public func bool(_ key: String, default d: Bool) throws -> Bool { try optionalBool(key) ?? d }

    /// A single Unicode scalar given as a one-character string (Metaspace, Strip).
    public func scalar(_ key: String) throws -> Unicode.Scalar {
        let c = try required(key)
        let s = try c.string()
        let scalars = Array(s.unicodeScalars)
        guard scalars.count == 1 else {
            throw TokenizerError.schema(path: c.path, message: "expected exactly one character, found \"\(s)\"")
        }
        return scalars[0]
    }

    func mismatch(_ expected: String) -> TokenizerError {
        .schema(path: path.isEmpty ? "(root)" : path, message: "expected \(expected), found \(value.kindName)")
    }
}
