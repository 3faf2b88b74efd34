// SPPrompt's and SPTuning's side of SPJSON: JSON and YAML text into ``JSONValue``, and SPJSON's errors
// into ``TuningError``s (config files, requests and records all read through SPJSON's `JSONConfig`).

import Foundation
import SPJSON
import Yams

extension TuningError {
    /// The tuning error for an SPJSON error: unknown keys keep their own case, the rest become
    /// ``malformedConfig(source:reason:)`` with SPJSON's reason ("`batch_size` must be an integer, …").
    package init(_ e: JSONError) {
        switch e {
        case let .unknownKey(file, field, allowed): self = .unknownKey(key: field, context: file, allowed: allowed)
        case let .unreadable(file, reason): self = .io(path: file, reason: reason)
        default: self = .malformedConfig(source: e.file, reason: e.reason)
        }
    }

    /// Runs `body`, turning an SPJSON error into a ``TuningError``.
    package static func reading<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as JSONError { throw TuningError(e) }
    }
}

extension JSONConfig {
    /// A number field, or nil when absent. JSON cannot spell non-finite numbers (YAML's `.nan`/`.inf`
    /// parse as numbers), so the strings `nan`, `inf`, `-inf`, `infinity`, `-infinity` are accepted too.
    package func parameterDouble(_ key: String) throws -> Double? {
        guard let c = try optional(key) else { return nil }
        if case .string(let s) = c.value, ["nan", "inf", "-inf", "infinity", "-infinity"].contains(s.lowercased()) {
            return Double(s.lowercased().replacingOccurrences(of: "infinity", with: "inf"))
        }
        return try c.double()
    }
}

extension JSONValue {
    /// Parses JSON text; `source` names the file or request in errors.
    /// - Throws: ``TuningError/malformedConfig(source:reason:)`` (SPJSON's parser refuses nesting
    ///   deeper than ``JSONParser/maxDepth`` with "nesting deeper than 256").
    public static func parse(json data: Data, source: String) throws -> JSONValue {
        try TuningError.reading { try JSONParser.parse(data, file: source) }
    }

    /// Parses a single YAML document (YAML 1.1 core scalars only); `source` names the file in errors.
    /// - Throws: ``TuningError/malformedConfig(source:reason:)``, also for nesting deeper than
    ///   ``ParseLimits/maxDepth`` and for aliases that expand past ``ParseLimits/maxYAMLNodes`` values.
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
            var out = JSONObject()
            for (k, v) in map {
                guard case .scalar(let ks) = k else {
                    throw TuningError.malformedConfig(source: source, reason: "mapping keys must be scalars")
                }
                out[ks.string] = try JSONValue(yaml: v, budget: budget, depth: depth + 1)
            }
            self = .object(out)
        }
    }
}
