// Compact JSON output with the escaping rules of Rust's serde_json, which writes the headers of the
// Python `safetensors` library: so a header we write is byte-identical to the library's.

extension JSONValue {
    /// Compact UTF-8 JSON (no spaces), keys in the object's order, strings escaped as serde_json does:
    /// `\"`, `\\`, `\b \f \n \r \t`, other control characters as `\u00xx`; everything else raw UTF-8
    /// (also `/` and non-ASCII). Integral doubles keep a `.0`; non-finite doubles are written as `null`.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    /// ``serialized()`` as a `String` (JSON lines the CLI prints).
    public var compactText: String { String(decoding: serialized(), as: UTF8.self) }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let v): out.append(contentsOf: String(v).utf8)
        case .largeInt(let t): out.append(contentsOf: t.utf8)
        case .double(let d):
            if !d.isFinite { out.append(contentsOf: "null".utf8); return }
            if d == d.rounded(), abs(d) < 1e16 {
                out.append(contentsOf: String(Int(d)).utf8)
                out.append(contentsOf: ".0".utf8)
            } else {
                out.append(contentsOf: "\(d)".utf8)
            }
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (k, v) in a.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                v.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let o):
            out.append(UInt8(ascii: "{"))
            for (k, e) in o.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(e.key, into: &out)
                out.append(UInt8(ascii: ":"))
                e.value.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `s` as a JSON string literal: `\" \\ \b \f \n \r \t`, `\u00xx` for other control
    /// characters; with `ensureASCII` (Python's `json.dumps` default) DEL and every non-ASCII code point as
    /// `\uxxxx` (UTF-16 surrogate pairs above U+FFFF), otherwise raw UTF-8.
    public static func writeString(_ s: String, into out: inout [UInt8], ensureASCII: Bool = false) {
        out.append(UInt8(ascii: "\""))
        if ensureASCII {
            for u in s.unicodeScalars {
                if u.value < 0x7F { appendEscaped(UInt8(u.value), into: &out) } else {  // Python escapes DEL too
                    UTF16.encode(u) { appendEscape($0, into: &out) }
                }
            }
        } else {
            for c in s.utf8 {
                if c < 0x80 { appendEscaped(c, into: &out) } else { out.append(c) }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscaped(_ c: UInt8, into out: inout [UInt8]) {
        switch c {
        case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
        case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
        case 0x08: out.append(contentsOf: [0x5C, UInt8(ascii: "b")])
        case 0x0C: out.append(contentsOf: [0x5C, UInt8(ascii: "f")])
        case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        case 0..<0x20: appendEscape(UInt16(c), into: &out)
        default: out.append(c)
        }
    }

    private static func appendEscape(_ unit: UInt16, into out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        out.append(contentsOf: [0x5C, UInt8(ascii: "u"), hex[Int(unit >> 12)], hex[Int(unit >> 8 & 15)],
                                hex[Int(unit >> 4 & 15)], hex[Int(unit & 15)]])
    }
}
