// The one path reader: a JSON value with its file and its path in the document (`model.merges[3]`,
// `rope_scaling.factor`), and typed getters whose errors name both. HF `config.json`, tokenizer.json
// pipelines, caikit parameters, adapter configs and training records are all read through it.

import Foundation

/// A JSON value at a path in a file, with typed getters that throw ``JSONError`` naming the path.
///
/// ```swift
/// let c = try JSONConfig(contentsOf: dir + "/config.json")
/// let hidden = try c.int(["n_embd", "hidden_size"])        // first key present wins
/// let merges = try c.required("model").required("merges").array()
/// ```
///
/// A key whose value is `null` reads as absent, as Python's `Optional[...] = None` fields do.
public struct JSONConfig: Sendable {
    /// The value at ``path``.
    public let value: JSONValue
    /// The file (or request) the value was read from, for errors.
    public let file: String
    /// Path of the value inside the document (`""` at the top, `"rope_scaling"`, `"model.merges[3]"`).
    public let path: String

    /// Wraps a value; `file` and `path` only name it in errors.
    public init(_ value: JSONValue, file: String = "<json>", path: String = "") {
        self.value = value
        self.file = file
        self.path = path
    }

    /// Wraps an object. - Throws: ``JSONError/wrongType(file:field:expected:found:)`` for any other value.
    public init(object value: JSONValue, file: String, path: String = "") throws {
        self.init(value, file: file, path: path)
        guard case .object = value else { throw mismatch("an object") }
    }

    /// Wraps an already parsed object.
    public init(object: JSONObject, file: String, path: String = "") {
        self.init(.object(object), file: file, path: path)
    }

    /// Parses an object from JSON text (Python's `NaN`/`Infinity` accepted, as HF configs hold them).
    public init(bytes: UnsafeRawBufferPointer, file: String) throws {
        try self.init(object: JSONParser.parse(bytes, file: file, allowNonFinite: true), file: file)
    }

    /// Parses an object from a JSON string (tests, inline configs).
    public init(json: String, file: String = "<config>") throws {
        try self.init(object: JSONParser.parse(Array(json.utf8), file: file, allowNonFinite: true), file: file)
    }

    /// Reads and parses the object in the file at `path`.
    public init(contentsOf path: String) throws {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw JSONError.unreadable(file: path, reason: error.localizedDescription)
        }
        try self.init(object: JSONParser.parse(data, file: path, allowNonFinite: true), file: path)
    }

    /// The entries when the value is an object, else none.
    public var object: JSONObject {
        if case .object(let o) = value { return o }
        return JSONObject()
    }

    /// The path of `key` inside this object (`rope_scaling.factor`).
    public func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The error for a value that is not `expected` (`"an integer"`), naming this path.
    public func mismatch(_ expected: String) -> JSONError {
        .wrongType(file: file, field: path, expected: expected, found: value.kindDescription)
    }

    /// An ``JSONError/invalidValue(file:field:reason:)`` at this path.
    public func invalid(_ reason: String) -> JSONError { .invalidValue(file: file, field: path, reason: reason) }

    // MARK: Fields

    /// The raw value of `key` (nil when absent; `null` is returned as `.null`).
    public subscript(key: String) -> JSONValue? { value[key] }

    /// The value of `key`, or nil when it is absent or `null`.
    public func value(_ key: String) -> JSONValue? {
        guard let v = value[key], v != .null else { return nil }
        return v
    }

    /// True when `key` is present and not `null`.
    public func has(_ key: String) -> Bool { value(key) != nil }

    /// The field `key`, or nil when it is absent or `null`. - Throws: when this value is not an object.
    public func optional(_ key: String) throws -> JSONConfig? {
        guard case .object(let o) = value else { throw mismatch("an object") }
        guard let v = o[key], v != .null else { return nil }
        return JSONConfig(v, file: file, path: path(of: key))
    }

    /// The field `key`. - Throws: ``JSONError/missingField(file:fields:)`` when absent or `null`.
    public func required(_ key: String) throws -> JSONConfig {
        guard let c = try optional(key) else { throw JSONError.missingField(file: file, fields: [path(of: key)]) }
        return c
    }

    /// The first of `keys` that is present and not `null`.
    public func first(_ keys: [String]) throws -> JSONConfig? {
        for k in keys { if let c = try optional(k) { return c } }
        return nil
    }

    /// The first of `keys` that is present. - Throws: naming all of them when none is.
    public func required(_ keys: [String]) throws -> JSONConfig {
        guard let c = try first(keys) else { throw JSONError.missingField(file: file, fields: keys.map(path(of:))) }
        return c
    }

    /// Throws ``JSONError/unknownKey(file:field:allowed:)`` for the first key (sorted) not in `allowed`.
    public func rejectUnknownKeys(allowed: [String]) throws {
        let known = Set(allowed)
        if let bad = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw JSONError.unknownKey(file: file, field: path(of: bad), allowed: allowed)
        }
    }

    // MARK: This value, typed

    /// This value as a string.
    public func string() throws -> String {
        guard case .string(let s) = value else { throw mismatch("a string") }
        return s
    }

    /// This value as a boolean.
    public func bool() throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch("true or false") }
        return b
    }

    /// This value as an integer (`12`, or an integral `12.0`).
    public func int() throws -> Int {
        switch value {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9.0e15: return Int(d)
        default: throw mismatch("an integer")
        }
    }

    /// This value as a `Double` (integers accepted).
    public func double() throws -> Double {
        switch value {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw mismatch("a number")
        }
    }

    /// This value's items, each at its path (`merges[3]`).
    public func array() throws -> [JSONConfig] {
        guard case .array(let items) = value else { throw mismatch("an array") }
        return items.enumerated().map { JSONConfig($1, file: file, path: "\(path)[\($0)]") }
    }

    /// This value's entries, in file order.
    public func pairs() throws -> JSONObject {
        guard case .object(let o) = value else { throw mismatch("an object") }
        return o
    }
}
