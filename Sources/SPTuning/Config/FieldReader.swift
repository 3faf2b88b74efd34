// Strict, typed reading of one JSON/YAML object: every key must be known, every value must have the
// documented type, and errors name the full path of the field (e.g. `tuning_config.num_virtual_tokens`).

/// Reads typed fields out of a JSON object and rejects keys nobody asked for.
///
/// A `null` value is treated like an absent key, as caikit's `Optional[...] = None` parameters do.
struct FieldReader {
    let fields: [String: JSONValue]
    /// Dotted path of this object inside the document ("" for the root).
    let path: String
    /// Where the document came from (file name or "request").
    let source: String

    init(_ value: JSONValue, path: String, source: String) throws {
        guard case .object(let o) = value else {
            throw TuningError.malformedConfig(
                source: source, reason: "`\(path.isEmpty ? "document" : path)` must be an object, got \(value.typeName)")
        }
        fields = o
        self.path = path
        self.source = source
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Throws ``TuningError/unknownKey(key:context:allowed:)`` for the first key (sorted) not in `allowed`.
    func rejectUnknownKeys(allowed: [String]) throws {
        let known = Set(allowed)
        if let bad = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw TuningError.unknownKey(key: name(bad), context: source, allowed: allowed)
        }
    }

    func has(_ key: String) -> Bool {
        if let v = fields[key], v != .null { return true }
        return false
    }

    func value(_ key: String) -> JSONValue? {
        guard let v = fields[key], v != .null else { return nil }
        return v
    }

    private func typeError(_ key: String, _ expected: String, _ v: JSONValue) -> TuningError {
        .malformedConfig(source: source, reason: "`\(name(key))` must be \(expected), got \(v.typeName) \(v.brief)")
    }

    func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        guard case .string(let s) = v else { throw typeError(key, "a string", v) }
        return s
    }

    func int(_ key: String) throws -> Int? {
        guard let v = value(key) else { return nil }
        switch v {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9e15: return Int(d)
        default: throw typeError(key, "an integer", v)
        }
    }

    func double(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        switch v {
        case .int(let i): return Double(i)
        case .double(let d): return d
        // YAML spells non-finite numbers .nan/.inf; JSON cannot, so accept the usual strings too.
        case .string(let s) where ["nan", "inf", "-inf", "infinity", "-infinity"].contains(s.lowercased()):
            return Double(s.lowercased().replacingOccurrences(of: "infinity", with: "inf"))
        default: throw typeError(key, "a number", v)
        }
    }

    func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        guard case .bool(let b) = v else { throw typeError(key, "true or false", v) }
        return b
    }

    func strings(_ key: String) throws -> [String]? {
        guard let v = value(key) else { return nil }
        guard case .array(let a) = v else { throw typeError(key, "a list of strings", v) }
        return try a.map {
            guard case .string(let s) = $0 else { throw typeError(key, "a list of strings", $0) }
            return s
        }
    }

    func object(_ key: String) throws -> FieldReader? {
        guard let v = value(key) else { return nil }
        return try FieldReader(v, path: name(key), source: source)
    }
}
