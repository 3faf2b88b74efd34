// JSON text exactly as CPython's `json.dumps` writes it (ensure_ascii, float repr, separators,
// indent, sort_keys). Files that caikit or PEFT write with json.dump — adapter_config.json,
// training_logs.jsonl — and transformers' `tojson` filter come out byte-identical.

extension JSONValue {
    /// `json.dumps(value, indent=indent, sort_keys=sortKeys, ensure_ascii=ensureASCII)` with
    /// Python's defaults otherwise: `.int` is a Python int, `.double` a Python float (written
    /// with `repr`, `NaN`/`Infinity` as json spells them).
    /// - Parameters:
    ///   - indent: spaces per level (`indent=2`), or nil for one line.
    ///   - separators: `(item, key)`; nil gives Python's default (`", "`/`": "`, `","` when indented).
    public func dumps(indent: Int? = nil, sortKeys: Bool = false, ensureASCII: Bool = true,
                      separators: (item: String, key: String)? = nil) -> String {
        dumps(indentText: indent.map { String(repeating: " ", count: max(0, $0)) }, sortKeys: sortKeys,
              ensureASCII: ensureASCII, separators: separators)
    }

    /// ``dumps(indent:sortKeys:ensureASCII:separators:)`` with the indent given as text (`indent="\t"`).
    public func dumps(indentText: String?, sortKeys: Bool = false, ensureASCII: Bool = true,
                      separators: (item: String, key: String)? = nil) -> String {
        String(decoding: pythonBytes(indentText, sortKeys, ensureASCII, separators, limit: .max), as: UTF8.self)
    }

    /// The same text, or nil as soon as it would pass `maxBytes` (text whose size a template controls).
    public func dumps(indentText: String?, sortKeys: Bool = false, ensureASCII: Bool = true,
                      separators: (item: String, key: String)? = nil, maxBytes: Int) -> String? {
        let out = pythonBytes(indentText, sortKeys, ensureASCII, separators, limit: maxBytes)
        return out.count > maxBytes ? nil : String(decoding: out, as: UTF8.self)
    }

    private func pythonBytes(_ indentText: String?, _ sortKeys: Bool, _ ensureASCII: Bool,
                             _ separators: (item: String, key: String)?, limit: Int) -> [UInt8] {
        var w = PythonWriter(ensureASCII: ensureASCII, pad: indentText.map { Array($0.utf8) },
                             itemSep: Array((separators?.item ?? (indentText == nil ? ", " : ",")).utf8),
                             keySep: Array((separators?.key ?? ": ").utf8), sortKeys: sortKeys, limit: limit)
        w.write(self, level: 0)
        return w.out
    }

    /// Starlette's `JSONResponse` body (what FastAPI/caikit answer with): `json.dumps(value,
    /// ensure_ascii=False, separators=(",", ":"))`: compact, UTF-8 kept.
    public var starletteJSON: String { dumps(ensureASCII: false, separators: (item: ",", key: ":")) }

    /// Python's `repr(float)` (shortest round-trip digits; exponent form below 1e-4 and from 1e16)
    /// and json's `NaN` / `Infinity` spellings.
    public static func pythonRepr(_ d: Double) -> String {
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

/// Writes `json.dumps` text.
private struct PythonWriter {
    let ensureASCII: Bool
    let pad: [UInt8]?
    let itemSep: [UInt8], keySep: [UInt8]
    let sortKeys: Bool
    /// Writing stops once `out` holds more bytes than this.
    let limit: Int
    var out: [UInt8] = []

    mutating func newline(_ level: Int) {
        guard let pad else { return }
        out.append(0x0A)
        for _ in 0..<level { out.append(contentsOf: pad) }
    }

    mutating func write(_ v: JSONValue, level: Int) {
        if out.count > limit { return }
        switch v {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .largeInt(let t): out.append(contentsOf: t.utf8)  // Python ints are unbounded
        case .double(let d): out.append(contentsOf: JSONValue.pythonRepr(d).utf8)
        case .string(let s): JSONValue.writeString(s, into: &out, ensureASCII: ensureASCII)
        case .array(let items):
            container("[", "]", items.count, level) { k, w in w.write(items[k], level: level + 1) }
        case .object(let o):
            let entries = sortKeys ? o.entries.sorted { $0.key < $1.key } : o.entries
            container("{", "}", entries.count, level) { k, w in
                JSONValue.writeString(entries[k].key, into: &w.out, ensureASCII: w.ensureASCII)
                w.out.append(contentsOf: w.keySep)
                w.write(entries[k].value, level: level + 1)
            }
        }
    }

    mutating func container(_ open: Unicode.Scalar, _ close: Unicode.Scalar, _ n: Int, _ level: Int,
                            _ item: (Int, inout PythonWriter) -> Void) {
        out.append(UInt8(ascii: open))
        guard n > 0 else { out.append(UInt8(ascii: close)); return }
        for k in 0..<n where out.count <= limit {
            if k > 0 { out.append(contentsOf: itemSep) }
            newline(level + 1)
            item(k, &self)
        }
        newline(level)
        out.append(UInt8(ascii: close))
    }
}
