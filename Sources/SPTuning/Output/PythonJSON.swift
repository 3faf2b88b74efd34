// JSON text exactly as CPython's `json.dumps` writes it (ensure_ascii, float repr, separators,
// optional indent/sort_keys), and Python's datetime text forms. Files that caikit or PEFT write
// with json.dump — adapter_config.json, training_logs.jsonl — come out byte-identical.

import Foundation

/// A JSON value whose objects keep their key order (Python dicts are ordered).
public indirect enum PyJSON: Sendable, Equatable {
    /// `None` → `null`.
    case null
    /// `True` / `False`.
    case bool(Bool)
    /// A Python int.
    case int(Int)
    /// A Python float (written with `repr`).
    case float(Double)
    /// A Python str.
    case string(String)
    /// A list.
    case array([PyJSON])
    /// A dict, in insertion order.
    case object([(String, PyJSON)])

    /// Values are equal when they serialise identically.
    public static func == (a: PyJSON, b: PyJSON) -> Bool { a.dumps() == b.dumps() }

    /// Converts a ``JSONValue`` (objects in sorted key order).
    public init(_ v: JSONValue) {
        switch v {
        case .null: self = .null
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .float(d)
        case .string(let s): self = .string(s)
        case .array(let a): self = .array(a.map(PyJSON.init))
        case .object(let o): self = .object(o.keys.sorted().map { ($0, PyJSON(o[$0]!)) })
        }
    }

    /// `json.dumps(value, indent=indent, sort_keys=sortKeys)` with Python's defaults otherwise.
    public func dumps(indent: Int? = nil, sortKeys: Bool = false) -> String {
        var out = ""
        write(&out, indent: indent, level: 0, sortKeys: sortKeys)
        return out
    }

    private func write(_ out: inout String, indent: Int?, level: Int, sortKeys: Bool) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .float(let d): out += Self.floatRepr(d)
        case .string(let s): Self.quote(s, into: &out)
        case .array(let items):
            container(&out, "[", "]", items.count, indent, level) { k, out in
                items[k].write(&out, indent: indent, level: level + 1, sortKeys: sortKeys)
            }
        case .object(let pairs):
            let ordered = sortKeys ? pairs.sorted { $0.0 < $1.0 } : pairs
            container(&out, "{", "}", ordered.count, indent, level) { k, out in
                Self.quote(ordered[k].0, into: &out)
                out += ": "
                ordered[k].1.write(&out, indent: indent, level: level + 1, sortKeys: sortKeys)
            }
        }
    }

    private func container(_ out: inout String, _ open: String, _ close: String, _ n: Int, _ indent: Int?,
                           _ level: Int, _ item: (Int, inout String) -> Void) {
        out += open
        guard n > 0 else { out += close; return }
        let inner = indent.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) }
        for k in 0..<n {
            if k > 0 { out += inner == nil ? ", " : "," }
            if let inner { out += inner }
            item(k, &out)
        }
        if let indent { out += "\n" + String(repeating: " ", count: indent * level) }
        out += close
    }

    /// `json.dumps` of a string with `ensure_ascii=True`.
    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for u in s.utf16 {
            switch u {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(u)!)
            default:
                let hex = String(u, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        out += "\""
    }

    /// Python's `repr(float)` (shortest round-trip digits; exponent form below 1e-4 and from 1e16)
    /// and json's `NaN` / `Infinity` spellings.
    public static func floatRepr(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description also prints the shortest round-trip digits; re-layout them.
        var s = "\(abs(d))"
        var exp = 0
        if let e = s.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exp = Int(s[s.index(after: e)...])!
            s = String(s[..<e])
        }
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0]), frac = parts.count > 1 ? String(parts[1]) : ""
        var digits = intPart + frac
        var point = intPart.count + exp        // decimal point position within `digits`
        let lead = digits.prefix { $0 == "0" }.count
        digits.removeFirst(lead)
        point -= lead
        while digits.count > 1, digits.hasSuffix("0") { digits.removeLast() }
        let decExp = point - 1                 // exponent of the first significant digit
        var r: String
        if decExp < -4 || decExp >= 16 {
            r = String(digits.first!)
            if digits.count > 1 { r += "." + digits.dropFirst() }
            r += (decExp < 0 ? "e-" : "e+") + (abs(decExp) < 10 ? "0" : "") + String(abs(decExp))
        } else if point <= 0 {
            r = "0." + String(repeating: "0", count: -point) + digits
        } else if point >= digits.count {
            r = digits + String(repeating: "0", count: point - digits.count) + ".0"
        } else {
            r = String(digits.prefix(point)) + "." + digits.dropFirst(point)
        }
        return d < 0 ? "-" + r : r
    }
}

/// Python `datetime` text for a local time.
public enum PythonDateTime {
    /// `datetime.isoformat(sep=…)` of the local time `date`: `2025-02-18T09:41:07.123456`, the
    /// fraction omitted when the microseconds are 0 (as Python does). `str(datetime)` uses `sep: " "`.
    public static func isoformat(_ date: Date, separator: String = "T") -> String {
        let t = date.timeIntervalSince1970
        var secs = time_t(floor(t))
        var micros = Int(((t - floor(t)) * 1_000_000).rounded())
        if micros == 1_000_000 { secs += 1; micros = 0 }
        var tm = tm()
        localtime_r(&secs, &tm)
        func pad(_ v: Int32, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        var s = "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))\(separator)"
            + "\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2))"
        if micros != 0 { s += "." + pad(Int32(micros), 6) }
        return s
    }
}
