// A JSON value and the two ways caikit's Python stack writes one: `json.dumps` defaults (what
// caikit's handlers return: ", " and ": " separators, non-ASCII escaped as \uXXXX) and Starlette's
// `JSONResponse` (compact separators, UTF-8 kept). Field order is kept as given, as Python's dicts do.

import Foundation

/// A JSON value with ordered object members.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.int(x), .int(y)): return x == y
        case let (.uint(x), .uint(y)): return x == y
        case let (.double(x), .double(y)): return x == y || (x.isNaN && y.isNaN)
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// How a value is written.
    public enum Style: Sendable {
        /// Python `json.dumps(obj)`: `", "`, `": "`, `ensure_ascii=True`, NaN/Infinity as Python writes them.
        case pythonDumps
        /// Starlette `JSONResponse`: `","`, `":"`, UTF-8 kept.
        case compact
    }

    /// The JSON text in `style`.
    public func serialized(_ style: Style = .pythonDumps) -> String {
        var out = ""
        write(into: &out, style)
        return out
    }

    private func write(into out: inout String, _ style: Style) {
        let (comma, colon) = style == .pythonDumps ? (", ", ": ") : (",", ":")
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .uint(let u): out += String(u)
        case .double(let d): out += JSONValue.pythonFloat(d)
        case .string(let s): JSONValue.writeString(s, asciiOnly: style == .pythonDumps, into: &out)
        case .array(let items):
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += comma }
                v.write(into: &out, style)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out += comma }
                JSONValue.writeString(k, asciiOnly: style == .pythonDumps, into: &out)
                out += colon
                v.write(into: &out, style)
            }
            out += "}"
        }
    }

    /// Python's `float.__repr__` as `json.dumps` writes it (shortest round-trip digits).
    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        // Swift's description is the shortest round-trip form too, and switches to exponents at the
        // same points as Python (1e16 and 1e-5); only the exponent spelling differs ("1e-05" in both).
        var s = d.description
        if let e = s.firstIndex(of: "e") {
            var mantissa = String(s[..<e]), exponent = String(s[s.index(after: e)...])
            if mantissa.hasSuffix(".0") { mantissa.removeLast(2) }
            let sign = exponent.hasPrefix("-") ? "-" : "+"
            exponent = exponent.trimmingCharacters(in: CharacterSet(charactersIn: "+-"))
            if exponent.count < 2 { exponent = "0" + exponent }
            s = mantissa + "e" + sign + exponent
        }
        return s
    }

    static func writeString(_ s: String, asciiOnly: Bool, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if u.value < 0x20 || (asciiOnly && u.value > 0x7E) {
                    if u.value > 0xFFFF {
                        let v = u.value - 0x10000
                        out += hex4(0xD800 + (v >> 10)) + hex4(0xDC00 + (v & 0x3FF))
                    } else {
                        out += hex4(u.value)
                    }
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }

    private static func hex4(_ v: UInt32) -> String {
        let h = String(v, radix: 16)
        return "\\u" + String(repeating: "0", count: 4 - h.count) + h
    }
}
