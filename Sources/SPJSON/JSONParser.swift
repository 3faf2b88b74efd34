// The one JSON parser: strict RFC 8259 over raw UTF-8 bytes (mapped files are parsed without a
// copy), integers exact up to Int, object key order kept, errors with the byte offset, and a
// nesting limit so hostile input cannot exhaust the stack.

/// Parses JSON text held in memory.
///
/// ```swift
/// let v = try JSONParser.parse(bytes, file: "config.json")
/// ```
public struct JSONParser {
    /// Deepest nesting accepted; deeper text fails with "nesting deeper than 256".
    public static let maxDepth = 256

    private let p: UnsafeBufferPointer<UInt8>
    private let file: String
    private let rejectDuplicateKeys: Bool
    private let allowNonFinite: Bool
    private var exactIntegers = false
    private var i = 0

    /// Parses `bytes` as one JSON value, optionally surrounded by whitespace (a leading UTF-8 BOM
    /// is skipped).
    /// - Parameters:
    ///   - file: names the text in errors.
    ///   - rejectDuplicateKeys: throw when an object repeats a key (safetensors headers); otherwise
    ///     both entries are kept and lookup returns the last, as Python does.
    ///   - allowNonFinite: accept Python's `NaN`, `Infinity` and `-Infinity` (HF config files).
    ///   - exactIntegers: an integer beyond `Int` (no fraction, no exponent) becomes
    ///     ``JSONValue/largeInt(_:)`` with its exact digits instead of a rounded ``JSONValue/double(_:)``
    ///     (request bodies whose integer fields are Python ints, e.g. a uint64 seed).
    /// - Throws: ``JSONError/syntax(file:offset:reason:)``.
    public static func parse(_ bytes: UnsafeRawBufferPointer, file: String = "<json>",
                             rejectDuplicateKeys: Bool = false, allowNonFinite: Bool = false,
                             exactIntegers: Bool = false) throws -> JSONValue {
        var parser = JSONParser(p: bytes.bindMemory(to: UInt8.self), file: file,
                                rejectDuplicateKeys: rejectDuplicateKeys, allowNonFinite: allowNonFinite)
        parser.exactIntegers = exactIntegers
        return try parser.document()
    }

    /// Parses a byte sequence (arrays, `Data`, slices).
    public static func parse<Bytes: Sequence<UInt8>>(_ bytes: Bytes, file: String = "<json>",
                                                     rejectDuplicateKeys: Bool = false,
                                                     allowNonFinite: Bool = false,
                                                     exactIntegers: Bool = false) throws -> JSONValue {
        let parsed = try bytes.withContiguousStorageIfAvailable {
            try parse(UnsafeRawBufferPointer($0), file: file, rejectDuplicateKeys: rejectDuplicateKeys,
                      allowNonFinite: allowNonFinite, exactIntegers: exactIntegers)
        }
        if let parsed { return parsed }
        return try Array(bytes).withUnsafeBytes {
            try parse($0, file: file, rejectDuplicateKeys: rejectDuplicateKeys, allowNonFinite: allowNonFinite,
                      exactIntegers: exactIntegers)
        }
    }

    private mutating func document() throws -> JSONValue {
        if p.count >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF { i = 3 }
        skipSpace()
        let v = try value(depth: 0)
        skipSpace()
        if i != p.count { throw fail("unexpected text after the JSON value") }
        return v
    }

    private func fail(_ reason: String, at offset: Int? = nil) -> JSONError {
        .syntax(file: file, offset: offset ?? i, reason: reason)
    }

    private mutating func skipSpace() {
        while i < p.count {
            let c = p[i]
            guard c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 else { return }
            i += 1
        }
    }

    private mutating func literal(_ word: StaticString) throws {
        let w = word.utf8Start
        for k in 0..<word.utf8CodeUnitCount {
            guard i < p.count else { throw fail("unexpected end of input in a literal") }
            guard p[i] == w[k] else { throw fail("invalid literal (expected \(word))") }
            i += 1
        }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard i < p.count else { throw fail("unexpected end of input (truncated file?)") }
        switch p[i] {
        case UInt8(ascii: "{"): return .object(try object(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try array(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "N") where allowNonFinite: try literal("NaN"); return .double(.nan)
        case UInt8(ascii: "I") where allowNonFinite: try literal("Infinity"); return .double(.infinity)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw fail("unexpected character '\(Character(Unicode.Scalar(p[i])))'")
        }
    }

    private func checkDepth(_ depth: Int) throws {
        if depth > JSONParser.maxDepth { throw fail("nesting deeper than \(JSONParser.maxDepth)") }
    }

    private mutating func array(depth: Int) throws -> [JSONValue] {
        try checkDepth(depth)
        i += 1
        var items: [JSONValue] = []
        skipSpace()
        if i < p.count, p[i] == UInt8(ascii: "]") { i += 1; return items }
        while true {
            skipSpace()
            items.append(try value(depth: depth))
            if try closes(UInt8(ascii: "]"), "an array") { return items }
        }
    }

    private mutating func object(depth: Int) throws -> JSONObject {
        try checkDepth(depth)
        i += 1
        var obj = JSONObject()
        var seen: Set<KeyBytes> = []
        skipSpace()
        if i < p.count, p[i] == UInt8(ascii: "}") { i += 1; return obj }
        while true {
            skipSpace()
            guard i < p.count else { throw fail("unexpected end of input in an object") }
            guard p[i] == UInt8(ascii: "\"") else { throw fail("expected a string key in an object") }
            let keyAt = i
            let key = try string()
            if rejectDuplicateKeys, !seen.insert(KeyBytes(key)).inserted {
                throw fail("duplicate key \"\(key)\"", at: keyAt)
            }
            skipSpace()
            guard i < p.count, p[i] == UInt8(ascii: ":") else { throw fail("expected ':' after an object key") }
            i += 1
            skipSpace()
            obj.append(key, try value(depth: depth))
            if try closes(UInt8(ascii: "}"), "an object") { return obj }
        }
    }

    /// After an item of an array or object: true past its closing bracket, false past a comma.
    @inline(__always)
    private mutating func closes(_ close: UInt8, _ container: String) throws -> Bool {
        skipSpace()
        guard i < p.count else { throw fail("unexpected end of input in \(container)") }
        let c = p[i]
        if c == UInt8(ascii: ",") { i += 1; return false }
        if c == close { i += 1; return true }
        throw fail("expected ',' or '\(Character(Unicode.Scalar(close)))' in \(container)")
    }

    private static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }

    private mutating func number() throws -> JSONValue {
        let start = i
        let negative = p[i] == UInt8(ascii: "-")
        if negative {
            i += 1
            if allowNonFinite, i < p.count, p[i] == UInt8(ascii: "I") { try literal("Infinity"); return .double(-.infinity) }
        }
        guard i < p.count, Self.isDigit(p[i]) else { throw fail("invalid number", at: start) }
        // Integer part, accumulated negatively so that Int.min fits; overflow falls back to Double.
        var acc = 0
        var exact = true
        if p[i] == UInt8(ascii: "0") {
            i += 1
            if i < p.count, Self.isDigit(p[i]) { throw fail("leading zero in a number", at: start) }
        } else {
            while i < p.count, Self.isDigit(p[i]) {
                if exact {
                    let (m, o1) = acc.multipliedReportingOverflow(by: 10)
                    let (s, o2) = m.subtractingReportingOverflow(Int(p[i] &- 0x30))
                    if o1 || o2 { exact = false } else { acc = s }
                }
                i += 1
            }
        }
        var integral = true
        if i < p.count, p[i] == UInt8(ascii: ".") {
            integral = false
            i += 1
            guard i < p.count, Self.isDigit(p[i]) else { throw fail("expected digits after '.'") }
            while i < p.count, Self.isDigit(p[i]) { i += 1 }
        }
        if i < p.count, p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") {
            integral = false
            i += 1
            if i < p.count, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { i += 1 }
            guard i < p.count, Self.isDigit(p[i]) else { throw fail("expected digits in an exponent") }
            while i < p.count, Self.isDigit(p[i]) { i += 1 }
        }
        if integral && exact {
            if negative { return .int(acc) }
            if acc != Int.min { return .int(-acc) }
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self)
        if integral && exactIntegers { return .largeInt(text) }
        guard let d = Double(text) else { throw fail("malformed number \(text)", at: start) }
        return .double(d)
    }

    private mutating func string() throws -> String {
        i += 1  // opening quote
        let start = i
        // Fast path: no escapes, the bytes are the string.
        while i < p.count {
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                guard let s = String(validating: UnsafeBufferPointer(rebasing: p[start..<i]), as: UTF8.self) else {
                    throw fail("string is not valid UTF-8", at: start)
                }
                i += 1
                return s
            }
            if c == UInt8(ascii: "\\") { break }
            if c < 0x20 { throw fail("control character 0x\(String(c, radix: 16)) in a string") }
            i += 1
        }
        var out = [UInt8](UnsafeBufferPointer(rebasing: p[start..<i]))
        while true {
            guard i < p.count else { throw fail("unterminated string") }
            let c = p[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw fail("control character 0x\(String(c, radix: 16)) in a string") }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < p.count else { throw fail("unterminated escape") }
            let e = p[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"): UTF8.encode(try escapedScalar()) { out.append($0) }
            default: i -= 1; throw fail("invalid escape \\\(Character(Unicode.Scalar(e)))")
            }
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8", at: start) }
        return s
    }

    /// The scalar of a `\uXXXX` escape (a surrogate pair takes two), after the `u`.
    private mutating func escapedScalar() throws -> Unicode.Scalar {
        var code = try hex4()
        if (0xD800..<0xDC00).contains(code) {
            guard i + 1 < p.count, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") else {
                throw fail("unpaired surrogate \\u\(String(code, radix: 16))")
            }
            i += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid low surrogate \\u\(String(low, radix: 16))") }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(code) {
            throw fail("unpaired surrogate \\u\(String(code, radix: 16))")
        }
        guard let u = Unicode.Scalar(code) else { throw fail("invalid \\u escape") }
        return u
    }

    private mutating func hex4() throws -> UInt32 {
        guard i + 4 <= p.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = p[i]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: throw fail("invalid hex digit in a \\u escape")
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }
}

/// A string hashed and compared by its UTF-8 bytes (duplicate-key detection).
struct KeyBytes: Hashable {
    let s: String
    init(_ s: String) { self.s = s }
    static func == (a: KeyBytes, b: KeyBytes) -> Bool { JSONObject.same(a.s, b.s) }
    func hash(into h: inout Hasher) {
        var s = s
        s.withUTF8 { h.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

extension JSONValue {
    /// Parses UTF-8 JSON text (see ``JSONParser/parse(_:file:rejectDuplicateKeys:allowNonFinite:)``).
    public static func parse<Bytes: Sequence<UInt8>>(_ bytes: Bytes, file: String = "<json>") throws -> JSONValue {
        try JSONParser.parse(bytes, file: file)
    }

    /// Parses a JSON string.
    public static func parse(_ text: String, file: String = "<json>") throws -> JSONValue {
        try JSONParser.parse(Array(text.utf8), file: file)
    }
}
