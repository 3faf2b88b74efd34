// Typed reading of HF `config.json`: the generic layer under the per-architecture config structs.
// Every getter throws a FormatError naming the file and the field (with its path, e.g.
// `rope_scaling.factor`); "IfPresent" getters return nil for an absent or `null` field.

import SPTensor

/// A parsed HF `config.json` (or a nested object of one) with typed getters.
///
/// ```swift
/// let c = try JSONConfig(contentsOf: dir + "/config.json")
/// let hidden = try c.int(["n_embd", "hidden_size"])     // first key present wins
/// let theta = try c.ropeTheta() ?? 10_000               // rope_theta or rope_parameters.rope_theta
/// ```
public struct JSONConfig: Sendable {
    /// The file the config was read from (for error messages).
    public let file: String
    /// Field-path prefix of this object inside the file (`""` at the top, `"rope_scaling."` nested).
    public let prefix: String
    /// The object's fields.
    public let object: JSONObject

    /// Reads and parses `path`.
    public init(contentsOf path: String) throws {
        let map = try MappedFile(path: path)
        try self.init(bytes: map.bytes, file: path)
    }

    /// Parses JSON text; `file` names it in errors.
    public init(bytes: UnsafeRawBufferPointer, file: String) throws {
        guard case .object(let o) = try JSONParser.parse(bytes, file: file) else {
            throw FormatError.wrongType(file: file, field: "top level", expected: "a JSON object", found: "another value")
        }
        self.init(object: o, file: file, prefix: "")
    }

    /// Parses a JSON string (tests, inline configs).
    public init(json: String, file: String = "<config>") throws {
        let bytes = Array(json.utf8)
        self = try bytes.withUnsafeBytes { try JSONConfig(bytes: $0, file: file) }
    }

    /// Wraps an already parsed object.
    public init(object: JSONObject, file: String, prefix: String = "") {
        self.object = object
        self.file = file
        self.prefix = prefix
    }

    /// True when `key` is present and not `null`.
    public func has(_ key: String) -> Bool {
        if let v = object[key], v != .null { return true }
        return false
    }

    /// The raw value of `key` (nil when absent; `null` is returned as `.null`).
    public subscript(key: String) -> JSONValue? { object[key] }

    private func missing(_ keys: [String]) -> FormatError {
        let names = keys.map { "\"\(prefix)\($0)\"" }
        return .missingField(file: file, field: keys.count == 1 ? "field \(names[0])"
                             : "field \(names.joined(separator: " / ")) (none of them is present)")
    }

    private func wrong(_ key: String, _ expected: String, _ v: JSONValue) -> FormatError {
        .wrongType(file: file, field: "field \"\(prefix)\(key)\"", expected: expected, found: v.kindDescription)
    }

    /// The first key of `keys` that is present and not null, with its value.
    private func first(_ keys: [String]) -> (String, JSONValue)? {
        for k in keys { if let v = object[k], v != .null { return (k, v) } }
        return nil
    }

    private func required<T>(_ keys: [String], _ convert: (String, JSONValue) throws -> T) throws -> T {
        guard let hit = first(keys) else { throw missing(keys) }
        return try convert(hit.0, hit.1)
    }

    private func optional<T>(_ keys: [String], _ convert: (String, JSONValue) throws -> T) throws -> T? {
        guard let hit = first(keys) else { return nil }
        return try convert(hit.0, hit.1)
    }

    private func asInt(_ k: String, _ v: JSONValue) throws -> Int {
        switch v {
        case .int(let i): return i
        case .double(let d) where d == d.rounded() && abs(d) < 9.0e15: return Int(d)
        default: throw wrong(k, "an integer", v)
        }
    }

    private func asDouble(_ k: String, _ v: JSONValue) throws -> Double {
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: throw wrong(k, "a number", v)
        }
    }

    private func asBool(_ k: String, _ v: JSONValue) throws -> Bool {
        guard case .bool(let b) = v else { throw wrong(k, "true or false", v) }
        return b
    }

    private func asString(_ k: String, _ v: JSONValue) throws -> String {
        guard case .string(let s) = v else { throw wrong(k, "a string", v) }
        return s
    }

    private func asObject(_ k: String, _ v: JSONValue) throws -> JSONConfig {
        guard case .object(let o) = v else { throw wrong(k, "an object", v) }
        return JSONConfig(object: o, file: file, prefix: prefix + k + ".")
    }

    private func asInts(_ k: String, _ v: JSONValue) throws -> [Int] {
        guard case .array(let a) = v else { throw wrong(k, "an array of integers", v) }
        return try a.enumerated().map { try asInt("\(k)[\($0.offset)]", $0.element) }
    }

    private func asDoubles(_ k: String, _ v: JSONValue) throws -> [Double] {
        guard case .array(let a) = v else { throw wrong(k, "an array of numbers", v) }
        return try a.enumerated().map { try asDouble("\(k)[\($0.offset)]", $0.element) }
    }

    private func asStrings(_ k: String, _ v: JSONValue) throws -> [String] {
        guard case .array(let a) = v else { throw wrong(k, "an array of strings", v) }
        return try a.enumerated().map { try asString("\(k)[\($0.offset)]", $0.element) }
    }

    /// An integer field (`12` or an integral `12.0`). With several keys the first present one is read.
    public func int(_ key: String) throws -> Int { try required([key], asInt) }
    /// The first of `keys` that is present (`int(["n_embd", "hidden_size"])`); throws naming all of them when none is.
    public func int(_ keys: [String]) throws -> Int { try required(keys, asInt) }
    /// `int(key)`, or nil when the field is absent or `null` (a value of another type still throws).
    public func intIfPresent(_ key: String) throws -> Int? { try optional([key], asInt) }
    /// `int(keys)`, or nil when none of the keys is present.
    public func intIfPresent(_ keys: [String]) throws -> Int? { try optional(keys, asInt) }
    /// `int(key)`, or `value` when the field is absent or `null`.
    public func int(_ key: String, default value: Int) throws -> Int { try optional([key], asInt) ?? value }

    /// A number field as `Double` (integers accepted).
    public func double(_ key: String) throws -> Double { try required([key], asDouble) }
    /// The first of `keys` that is present, as `Double`.
    public func double(_ keys: [String]) throws -> Double { try required(keys, asDouble) }
    /// `double(key)`, or nil when absent or `null`.
    public func doubleIfPresent(_ key: String) throws -> Double? { try optional([key], asDouble) }
    /// `double(keys)`, or nil when none is present.
    public func doubleIfPresent(_ keys: [String]) throws -> Double? { try optional(keys, asDouble) }
    /// `double(key)`, or `value` when absent or `null`.
    public func double(_ key: String, default value: Double) throws -> Double {
        try optional([key], asDouble) ?? value
    }

    /// A boolean field.
    public func bool(_ key: String) throws -> Bool { try required([key], asBool) }
    /// `bool(key)`, or nil when absent or `null`.
    public func boolIfPresent(_ key: String) throws -> Bool? { try optional([key], asBool) }
    /// `bool(key)`, or `value` when absent or `null`.
    public func bool(_ key: String, default value: Bool) throws -> Bool { try optional([key], asBool) ?? value }

    /// A string field.
    public func string(_ key: String) throws -> String { try required([key], asString) }
    /// The first of `keys` that is present, as a string.
    public func string(_ keys: [String]) throws -> String { try required(keys, asString) }
    /// `string(key)`, or nil when absent or `null`.
    public func stringIfPresent(_ key: String) throws -> String? { try optional([key], asString) }
    /// `string(keys)`, or nil when none is present.
    public func stringIfPresent(_ keys: [String]) throws -> String? { try optional(keys, asString) }

    /// An array of integers.
    public func ints(_ key: String) throws -> [Int] { try required([key], asInts) }
    /// `ints(key)`, or nil when absent or `null`.
    public func intsIfPresent(_ key: String) throws -> [Int]? { try optional([key], asInts) }
    /// An array of numbers (integers accepted) as `[Double]`.
    public func doubles(_ key: String) throws -> [Double] { try required([key], asDoubles) }
    /// `doubles(key)`, or nil when absent or `null`.
    public func doublesIfPresent(_ key: String) throws -> [Double]? { try optional([key], asDoubles) }
    /// An array of strings.
    public func strings(_ key: String) throws -> [String] { try required([key], asStrings) }
    /// `strings(key)`, or nil when absent or `null`.
    public func stringsIfPresent(_ key: String) throws -> [String]? { try optional([key], asStrings) }

    /// A nested object (`rope_scaling`, `text_config`, …) as a config whose errors carry the field path.
    public func object(_ key: String) throws -> JSONConfig { try required([key], asObject) }
    /// `object(key)`, or nil when absent or `null`.
    public func objectIfPresent(_ key: String) throws -> JSONConfig? { try optional([key], asObject) }

    // MARK: Fields every architecture has

    /// `model_type` (`llama`, `gpt2`, `t5`, …).
    public func modelType() throws -> String { try string("model_type") }

    /// The checkpoint's dtype: `dtype` (transformers 5) or `torch_dtype` (transformers 4); nil when
    /// neither is given. An unknown name (e.g. `float64`) throws.
    public func torchDtype() throws -> DType? {
        guard let hit = first(["dtype", "torch_dtype"]) else { return nil }
        let s = try asString(hit.0, hit.1)
        guard let d = DType(torchName: s) else { throw wrong(hit.0, "float32, float16 or bfloat16", hit.1) }
        return d
    }

    /// The RoPE parameters object: `rope_parameters` (transformers 5) or `rope_scaling` (transformers 4);
    /// nil when neither is present or both are `null`.
    public func ropeParameters() throws -> JSONConfig? {
        try optional(["rope_parameters", "rope_scaling"], asObject)
    }

    /// The RoPE base: top-level `rope_theta` (transformers 4) or `rope_parameters.rope_theta`
    /// (transformers 5); nil when neither is present (the caller supplies the architecture's default).
    public func ropeTheta() throws -> Double? {
        if let t = try doubleIfPresent("rope_theta") { return t }
        return try objectIfPresent("rope_parameters")?.doubleIfPresent("rope_theta")
    }

    /// The RoPE type inside ``ropeParameters()``: `rope_type`, or the older `type` (`linear`, `llama3`, …).
    public func ropeType() throws -> String? {
        try ropeParameters()?.stringIfPresent(["rope_type", "type"])
    }
}
