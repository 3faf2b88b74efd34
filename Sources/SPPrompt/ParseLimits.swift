// Limits on YAML documents from outside (JSON text goes through SPJSON's parser, which has the same
// nesting limit): nesting depth (checked before Yams runs, so a deep flow-style document gets
// "nesting deeper than N", not a stack overflow), the number of nodes a YAML document may expand to
// through aliases (a 1 KB "billion laughs" file otherwise expands to 10^9 nodes) and YAML 1.1
// sexagesimal integers that overflow (Yams traps on them).

import Foundation
import SPJSON

/// Limits applied to every JSON and YAML document read as config or data.
public enum ParseLimits {
    /// The deepest nesting of arrays and objects accepted: SPJSON's parser limit, for YAML too.
    public static let maxDepth = JSONParser.maxDepth
    /// The most values a YAML document may expand to (aliases counted at every use).
    public static let maxYAMLNodes = 1_000_000

    /// The nesting depth of JSON text (brackets outside strings), stopping once it exceeds `limit`.
    static func jsonDepth(_ data: Data, limit: Int = maxDepth) -> Int {
        var depth = 0, deepest = 0, inString = false, escaped = false
        for b in data {
            if inString {
                if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
                continue
            }
            switch b {
            case 0x22: inString = true
            case 0x5B, 0x7B:
                depth += 1
                if depth > deepest { deepest = depth; if deepest > limit { return deepest } }
            case 0x5D, 0x7D: depth -= 1
            default: break
            }
        }
        return deepest
    }

    /// A YAML 1.1 sexagesimal integer (`[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`, e.g. `1:30` = 90), or nil
    /// when it overflows `Int` or is not one.
    static func sexagesimal(_ text: String) -> Int? {
        var t = Substring(text.replacingOccurrences(of: "_", with: ""))
        var sign = 1
        if t.first == "-" { sign = -1; t = t.dropFirst() } else if t.first == "+" { t = t.dropFirst() }
        var value = 0
        for part in t.split(separator: ":", omittingEmptySubsequences: false) {
            guard let digit = Int(part), digit >= 0 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 60)
            let (a, o2) = m.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = a
        }
        return sign * value
    }

    /// Throws when JSON-like text (a YAML document's flow-style brackets) nests deeper than ``maxDepth``.
    static func checkJSONDepth(_ data: Data, source: String) throws {
        if jsonDepth(data) > maxDepth {
            throw TuningError.malformedConfig(
                source: source, reason: "nesting deeper than \(maxDepth) levels (the JSON may be valid, but is refused)")
        }
    }

    /// Counts YAML values as they are converted; throws past ``maxYAMLNodes`` or ``maxDepth``.
    final class YAMLBudget {
        var nodes = 0
        let source: String
        init(source: String) { self.source = source }

        func visit(depth: Int) throws {
            nodes += 1
            if nodes > ParseLimits.maxYAMLNodes {
                throw TuningError.malformedConfig(
                    source: source, reason: "expands to more than \(ParseLimits.maxYAMLNodes) values (nested YAML aliases?)")
            }
            if depth > ParseLimits.maxDepth {
                throw TuningError.malformedConfig(source: source, reason: "nesting deeper than \(ParseLimits.maxDepth) levels")
            }
        }
    }
}

extension JSONValue {
    /// The reason text of a parse error, without the file name (for errors that add their own).
    public static func problem(_ error: any Error) -> String {
        if case let TuningError.malformedConfig(_, reason) = error { return reason }
        return "not valid JSON"
    }
}
