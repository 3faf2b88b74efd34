// Typed getters by key on ``JSONConfig``: `int("n_layer")`, `int(["n_embd", "hidden_size"])`
// (first key present wins), `intIfPresent`, `int(_:default:)`, and the same for the other types.

extension JSONConfig {
    private func get<T>(_ keys: [String], _ convert: (JSONConfig) throws -> T) throws -> T {
        try convert(try required(keys))
    }

    private func getIfPresent<T>(_ keys: [String], _ convert: (JSONConfig) throws -> T) throws -> T? {
        try first(keys).map(convert)
    }

    private func list<T>(_ expected: String, _ convert: @escaping (JSONConfig) throws -> T) -> (JSONConfig) throws -> [T] {
        { c in
            guard case .array = c.value else { throw c.mismatch(expected) }
            return try c.array().map(convert)
        }
    }

    /// An integer field (`12` or an integral `12.0`).
    public func int(_ key: String) throws -> Int { try get([key]) { try $0.int() } }
    /// The first of `keys` that is present (`int(["n_embd", "hidden_size"])`); throws naming all of them when none is.
    public func int(_ keys: [String]) throws -> Int { try get(keys) { try $0.int() } }
    /// `int(key)`, or nil when the field is absent or `null` (a value of another type still throws).
    public func intIfPresent(_ key: String) throws -> Int? { try getIfPresent([key]) { try $0.int() } }
    /// `int(keys)`, or nil when none of the keys is present.
    public func intIfPresent(_ keys: [String]) throws -> Int? { try getIfPresent(keys) { try $0.int() } }
    /// `int(key)`, or `value` when the field is absent or `null`.
    public func int(_ key: String, default value: Int) throws -> Int { try intIfPresent(key) ?? value }

    /// A number field as `Double` (integers accepted).
    public func double(_ key: String) throws -> Double { try get([key]) { try $0.double() } }
    /// The first of `keys` that is present, as `Double`.
    public func double(_ keys: [String]) throws -> Double { try get(keys) { try $0.double() } }
    /// `double(key)`, or nil when absent or `null`.
    public func doubleIfPresent(_ key: String) throws -> Double? { try getIfPresent([key]) { try $0.double() } }
    /// `double(keys)`, or nil when none is present.
    public func doubleIfPresent(_ keys: [String]) throws -> Double? { try getIfPresent(keys) { try $0.double() } }
    /// `double(key)`, or `value` when absent or `null`.
    public func double(_ key: String, default value: Double) throws -> Double { try doubleIfPresent(key) ?? value }

    /// A boolean field.
    public func bool(_ key: String) throws -> Bool { try get([key]) { try $0.bool() } }
    /// `bool(key)`, or nil when absent or `null`.
    public func boolIfPresent(_ key: String) throws -> Bool? { try getIfPresent([key]) { try $0.bool() } }
    /// `bool(key)`, or `value` when absent or `null`.
    public func bool(_ key: String, default value: Bool) throws -> Bool { try boolIfPresent(key) ?? value }

    /// A string field.
    public func string(_ key: String) throws -> String { try get([key]) { try $0.string() } }
    /// The first of `keys` that is present, as a string.
    public func string(_ keys: [String]) throws -> String { try get(keys) { try $0.string() } }
    /// `string(key)`, or nil when absent or `null`.
    public func stringIfPresent(_ key: String) throws -> String? { try getIfPresent([key]) { try $0.string() } }
    /// `string(keys)`, or nil when none is present.
    public func stringIfPresent(_ keys: [String]) throws -> String? { try getIfPresent(keys) { try $0.string() } }

    /// An array of integers.
    public func ints(_ key: String) throws -> [Int] { try get([key], list("an array of integers") { try $0.int() }) }
    /// `ints(key)`, or nil when absent or `null`.
    public func intsIfPresent(_ key: String) throws -> [Int]? {
        try getIfPresent([key], list("an array of integers") { try $0.int() })
    }
    /// An array of numbers (integers accepted) as `[Double]`.
    public func doubles(_ key: String) throws -> [Double] { try get([key], list("an array of numbers") { try $0.double() }) }
    /// `doubles(key)`, or nil when absent or `null`.
    public func doublesIfPresent(_ key: String) throws -> [Double]? {
        try getIfPresent([key], list("an array of numbers") { try $0.double() })
    }
    /// An array of strings.
    public func strings(_ key: String) throws -> [String] { try get([key], list("an array of strings") { try $0.string() }) }
    /// `strings(key)`, or nil when absent or `null`.
    public func stringsIfPresent(_ key: String) throws -> [String]? {
        try getIfPresent([key], list("an array of strings") { try $0.string() })
    }

    /// A nested object (`rope_scaling`, `text_config`, …) whose errors carry the field path.
    public func object(_ key: String) throws -> JSONConfig { try get([key]) { try $0.asObject() } }
    /// `object(key)`, or nil when absent or `null`.
    public func objectIfPresent(_ key: String) throws -> JSONConfig? { try getIfPresent([key]) { try $0.asObject() } }

    private func asObject() throws -> JSONConfig {
        guard case .object = value else { throw mismatch("an object") }
        return self
    }
}
