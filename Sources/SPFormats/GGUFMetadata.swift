// Typed access to GGUF metadata (`general.architecture`, `llama.block_count`, tokenizer arrays, …).

/// GGUF metadata: key → value in file order, with typed getters that throw ``FormatError`` naming the
/// file and the key (`missingField` when absent, `wrongType` when the value has another type).
public struct GGUFMetadata: Sendable {
    /// The file the metadata comes from (for error messages).
    public let file: String
    /// Keys in file order.
    public private(set) var keys: [String] = []
    private var values: [String: GGUFValue] = [:]

    init(file: String) { self.file = file }

    /// Adds a key; false when it is already present.
    mutating func append(_ key: String, _ value: GGUFValue) -> Bool {
        guard values[key] == nil else { return false }
        keys.append(key)
        values[key] = value
        return true
    }

    /// The raw value for `key`, or nil.
    public subscript(key: String) -> GGUFValue? { values[key] }

    /// Number of entries.
    public var count: Int { keys.count }

    /// True when `key` is present.
    public func contains(_ key: String) -> Bool { values[key] != nil }

    private func get(_ key: String) throws -> GGUFValue {
        guard let v = values[key] else { throw FormatError.missingField(file: file, field: "metadata key \(key)") }
        return v
    }

    private func wrong(_ key: String, _ expected: String, _ v: GGUFValue) -> FormatError {
        .wrongType(file: file, field: "metadata \(key)", expected: expected, found: v.kindDescription)
    }

    /// A string value (`string("general.architecture")`).
    public func string(_ key: String) throws -> String {
        let v = try get(key)
        guard case .string(let s) = v else { throw wrong(key, "a string", v) }
        return s
    }

    /// An integer value of any GGUF integer width, as `Int` (`int("llama.block_count")`).
    public func int(_ key: String) throws -> Int {
        let v = try get(key)
        guard let i = v.intValue else { throw wrong(key, "an integer", v) }
        return i
    }

    /// A float value (float32 or float64; integers are accepted too), as `Double`.
    public func float(_ key: String) throws -> Double {
        let v = try get(key)
        guard let d = v.doubleValue else { throw wrong(key, "a number", v) }
        return d
    }

    /// A bool value.
    public func bool(_ key: String) throws -> Bool {
        let v = try get(key)
        guard case .bool(let b) = v else { throw wrong(key, "a bool", v) }
        return b
    }

    /// An array value of any element type.
    public func array(_ key: String) throws -> GGUFArray {
        let v = try get(key)
        guard case .array(let a) = v else { throw wrong(key, "an array", v) }
        return a
    }

    /// An array of strings (`strings("tokenizer.ggml.tokens")`).
    public func strings(_ key: String) throws -> [String] {
        let v = try get(key)
        guard case .array(.string(let a)) = v else { throw wrong(key, "an array of strings", v) }
        return a
    }

    /// An array of integers of any width, as `[Int]`.
    public func ints(_ key: String) throws -> [Int] {
        let v = try get(key)
        guard case .array(let a) = v, let i = a.ints else { throw wrong(key, "an array of integers", v) }
        return i
    }

    /// An array of float32 or float64, as `[Double]` (`tokenizer.ggml.scores`).
    public func floats(_ key: String) throws -> [Double] {
        let v = try get(key)
        guard case .array(let a) = v, let d = a.doubles else { throw wrong(key, "an array of floats", v) }
        return d
    }

    /// `int(key)` or nil when the key is absent (a present value of another type still throws).
    public func intIfPresent(_ key: String) throws -> Int? { contains(key) ? try int(key) : nil }
    /// `float(key)` or nil when absent.
    public func floatIfPresent(_ key: String) throws -> Double? { contains(key) ? try float(key) : nil }
    /// `string(key)` or nil when absent.
    public func stringIfPresent(_ key: String) throws -> String? { contains(key) ? try string(key) : nil }
    /// `bool(key)` or nil when absent.
    public func boolIfPresent(_ key: String) throws -> Bool? { contains(key) ? try bool(key) : nil }

    /// `general.architecture` (`llama`, `gpt2`, …): the prefix of the model's hyper-parameter keys.
    public func architecture() throws -> String { try string("general.architecture") }

    /// An architecture-scoped integer: `archInt("block_count")` reads `<general.architecture>.block_count`.
    public func archInt(_ suffix: String) throws -> Int { try int(try architecture() + "." + suffix) }

    /// An architecture-scoped float, e.g. `archFloat("rope.freq_base")`.
    public func archFloat(_ suffix: String) throws -> Double { try float(try architecture() + "." + suffix) }
}
