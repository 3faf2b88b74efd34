// A small strict JSON reader (RFC 8259) for safetensors headers and HF `config.json` files.
// Own parser rather than Foundation's: integers stay exact up to Int64 (byte offsets), object key
// order is kept, errors carry the byte offset, and it runs on raw mapped bytes without copies.

/// A parsed JSON value.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in `Int`.
    case int(Int)
    /// Any other number (also integers too large for `Int`; `NaN`/`Infinity` as Python writes them).
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A short name of the value's kind for error messages (`"string \"abc\""`, `"array"`, …).
    public var kindDescription: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "bool \(b)"
        case .int(let i): return "integer \(i)"
        case .double(let d): return "number \(d)"
        case .string(let s): return "string \"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
        case .array(let a): return "array of \(a.count)"
        case .object: return "object"
        }
    }
}

/// A JSON object that remembers the order of its keys. A key repeated in the text keeps its last
/// value (as Python's `json` does) unless the parser was asked to reject duplicates.
public struct JSONObject: Sendable, Equatable {
    /// Keys in the order they first appeared.
    public private(set) var keys: [String] = []
    private var values: [String: JSONValue] = [:]

    /// An empty object.
    public init() {}

    /// The value for `key`, or nil.
    public subscript(key: String) -> JSONValue? { values[key] }

    /// Number of distinct keys.
    public var count: Int { keys.count }

    /// Sets `key` (appended at the end if new).
    public mutating func set(_ key: String, _ value: JSONValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }

    /// `(key, value)` pairs in key order.
    public var entries: [(key: String, value: JSONValue)] { keys.map { ($0, values[$0]!) } }
}

/// Parses JSON text held in memory.
public struct JSONParser {
    /// Deepest nesting accepted (guards the recursion against hostile input).
    public static let maxDepth = 256

    private let p: UnsafeRawBufferPointer
    private let file: String
    private let rejectDuplicateKeys: Bool
    private var i = 0

    /// Parses `bytes` as one JSON value, optionally surrounded by whitespace.
    /// - Parameter rejectDuplicateKeys: throw when an object repeats a key (safetensors headers).
    public static func parse(_ bytes: UnsafeRawBufferPointer, file: String,
                             rejectDuplicateKeys: Bool = false) throws -> JSONValue {
        var parser = JSONParser(p: bytes, file: file, rejectDuplicateKeys: rejectDuplicateKeys)
        parser.skipSpace()
        let v = try parser.value(depth: 0)
        parser.skipSpace()
        if parser.i != bytes.count { throw parser.fail("unexpected text after the JSON value") }
        return v
    }

    /// Parses a byte array (convenience for small inputs).
    public static func parse(_ bytes: [UInt8], file: String, rejectDuplicateKeys: Bool = false) throws -> JSONValue {
        try bytes.withUnsafeBytes { try parse($0, file: file, rejectDuplicateKeys: rejectDuplicateKeys) }
    }

    private func fail(_ reason: String) -> FormatError { .invalidJSON(file: file, offset: i, reason: reason) }

    private var peek: UInt8? { i < p.count ? p[i] : nil }

    private mutating func skipSpace() {
        while i < p.count, p[i] == 0x20 || p[i] == 0x0A || p[i] == 0x0D || p[i] == 0x09 { i += 1 }
    }

    private mutating func expect(_ word: String) throws {
        for c in word.utf8 {
            guard peek == c else { throw fail("expected \"\(word)\"") }
            i += 1
        }
    }

    private mutating func value(depth: Int) throws -> JSONValue {
        guard depth < JSONParser.maxDepth else { throw fail("nesting deeper than \(JSONParser.maxDepth)") }
        guard let c = peek else { throw fail("unexpected end of JSON text") }
        switch c {
        case UInt8(ascii: "{"): return .object(try object(depth: depth))
        case UInt8(ascii: "["):
            i += 1
            var items: [JSONValue] = []
            skipSpace()
            if peek == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try value(depth: depth + 1))
                skipSpace()
                guard let d = peek else { throw fail("unterminated array") }
                i += 1
                if d == UInt8(ascii: "]") { return .array(items) }
                guard d == UInt8(ascii: ",") else { i -= 1; throw fail("expected ',' or ']' in array") }
            }
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        case UInt8(ascii: "N"): try expect("NaN"); return .double(.nan)
        case UInt8(ascii: "I"): try expect("Infinity"); return .double(.infinity)
        default: return try number()
        }
    }

    private mutating func object(depth: Int) throws -> JSONObject {
        i += 1
        var obj = JSONObject()
        skipSpace()
        if peek == UInt8(ascii: "}") { i += 1; return obj }
        while true {
            skipSpace()
            guard peek == UInt8(ascii: "\"") else { throw fail("expected a string key in object") }
            let keyAt = i
            let key = try string()
            if rejectDuplicateKeys, obj[key] != nil {
                throw FormatError.invalidJSON(file: file, offset: keyAt, reason: "duplicate key \"\(key)\"")
            }
            skipSpace()
            guard peek == UInt8(ascii: ":") else { throw fail("expected ':' after object key") }
            i += 1
            skipSpace()
            obj.set(key, try value(depth: depth + 1))
            skipSpace()
            guard let d = peek else { throw fail("unterminated object") }
            i += 1
            if d == UInt8(ascii: "}") { return obj }
            guard d == UInt8(ascii: ",") else { i -= 1; throw fail("expected ',' or '}' in object") }
        }
    }

    private mutating func number() throws -> JSONValue {
        let start = i
        if peek == UInt8(ascii: "-") {
            i += 1
            if peek == UInt8(ascii: "I") { try expect("Infinity"); return .double(-.infinity) }
        }
        func digits(_ s: inout JSONParser) -> Int {
            let b = s.i
            while let c = s.peek, c >= 0x30, c <= 0x39 { s.i += 1 }
            return s.i - b
        }
        let intStart = i
        let n = digits(&self)
        guard n > 0 else { i = start; throw fail("unexpected character") }
        if n > 1 && p[intStart] == UInt8(ascii: "0") { throw fail("leading zero in number") }
        var integral = true
        if peek == UInt8(ascii: ".") {
            i += 1
            integral = false
            guard digits(&self) > 0 else { throw fail("expected digits after '.'") }
        }
        if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
            i += 1
            integral = false
            if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { i += 1 }
            guard digits(&self) > 0 else { throw fail("expected digits in exponent") }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: p[start..<i]), as: UTF8.self)
        if integral, let v = Int(text) { return .int(v) }
        guard let d = Double(text) else { i = start; throw fail("malformed number \(text)") }
        return .double(d)
    }

    private mutating func string() throws -> String {
        i += 1  // opening quote
        var out: [UInt8] = []
        var runStart = i
        while true {
            guard i < p.count else { throw fail("unterminated string") }
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                out.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[runStart..<i]))
                i += 1
                break
            }
            if c < 0x20 { throw fail("control character 0x\(String(c, radix: 16)) in string") }
            if c != UInt8(ascii: "\\") { i += 1; continue }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: p[runStart..<i]))
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
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800..<0xDC00).contains(scalar) {
                    guard i + 1 < p.count, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate \\u\(String(scalar, radix: 16))")
                    }
                    i += 2
                    let low = try hex4()
                    guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid low surrogate") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00..<0xE000).contains(scalar) {
                    throw fail("unpaired surrogate \\u\(String(scalar, radix: 16))")
                }
                guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
                UTF8.encode(u) { out.append($0) }
            default: i -= 1; throw fail("invalid escape \\\(Character(Unicode.Scalar(e)))")
            }
            runStart = i
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw fail("string is not valid UTF-8") }
        return s
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
            default: throw fail("invalid hex digit in \\u escape")
            }
            v = v << 4 | UInt32(d)
            i += 1
        }
        return v
    }
}
