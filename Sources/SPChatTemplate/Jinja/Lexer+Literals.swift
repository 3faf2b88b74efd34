import Foundation

extension Jinja.Lexer {
    typealias Token = Jinja.Token

    private static func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }

    /// The end of `(\d+_)*\d+` starting at `i`, or nil.
    private func digits(_ i: Int, _ isDigit: (Unicode.Scalar) -> Bool = Self.isDigit) -> Int? {
        var j = i
        guard j < u.count, isDigit(u[j]) else { return nil }
        while j < u.count, isDigit(u[j]) { j += 1 }
        while j + 1 < u.count, u[j] == "_", isDigit(u[j + 1]) {
            j += 1
            while j < u.count, isDigit(u[j]) { j += 1 }
        }
        return j
    }

    /// The end of `e[+-]?(\d+_)*\d+` at `i`, or nil.
    private func exponent(_ i: Int) -> Int? {
        guard i < u.count, u[i] == "e" || u[i] == "E" else { return nil }
        var j = i + 1
        if j < u.count, u[j] == "+" || u[j] == "-" { j += 1 }
        return digits(j)
    }

    private func text(_ r: Range<Int>) -> String { Jinja.Py.string(u[r].filter { $0 != "_" }) }

    /// jinja2's `float_re` (tried first) and `integer_re` at `s`: the token and the index after it.
    func number(_ s: Int) throws -> (Token, Int)? {
        guard let intEnd = digits(s) else { return nil }
        if s == 0 || u[s - 1] != "." {
            var end: Int?
            if intEnd < u.count, u[intEnd] == ".", let f = digits(intEnd + 1) {
                end = exponent(f) ?? f
            } else {
                end = exponent(intEnd)
            }
            if let end {
                guard let d = Double(text(s..<end)) else {
                    throw ChatTemplateError.syntax(line: line, message: "invalid float literal")
                }
                return (Token(kind: .float, float: d, line: line), end)
            }
        }
        let bad = ChatTemplateError.syntax(line: line, message: "integer literal \(text(s..<intEnd)) is too large")
        if u[s] == "0", s + 1 < u.count {
            let radix: [Unicode.Scalar: (Int, (Unicode.Scalar) -> Bool)] = [
                "b": (2, { $0 == "0" || $0 == "1" }), "o": (8, { $0.value >= 0x30 && $0.value <= 0x37 }),
                "x": (16, { $0.properties.isASCIIHexDigit }),
            ]
            let p = Unicode.Scalar(u[s + 1].value | 0x20) ?? "_"
            if let (base, ok) = radix[p] {
                var j = s + 2
                while j < u.count, ok(u[j]) || (u[j] == "_" && j + 1 < u.count && ok(u[j + 1])) { j += 1 }
                if j > s + 2 {
                    guard let v = Int(text((s + 2)..<j), radix: base) else { throw bad }
                    return (Token(kind: .int, int: v, line: line), j)
                }
            }
            // `0(_?0)*`: leading zeros only; "012" lexes as 0 then 12, as in jinja2.
            var j = s + 1
            while j < u.count, u[j] == "0" || (u[j] == "_" && j + 1 < u.count && u[j + 1] == "0") { j += 1 }
            return (Token(kind: .int, int: 0, line: line), j)
        }
        guard let v = Int(text(s..<intEnd)) else { throw bad }
        return (Token(kind: .int, int: v, line: line), intEnd)
    }

    /// Python's `s.encode("ascii", "backslashreplace").decode("unicode-escape")` on a literal's body.
    static func unescape(_ b: [Unicode.Scalar], line: Int) throws -> String {
        var out = String.UnicodeScalarView()
        var i = 0
        func hex(_ n: Int) throws -> Unicode.Scalar {
            let end = i + 1 + n
            guard end <= b.count, let v = UInt32(Jinja.Py.string(b[(i + 1)..<end]), radix: 16),
                  b[(i + 1)..<end].allSatisfy({ $0.properties.isASCIIHexDigit }) else {
                throw ChatTemplateError.syntax(line: line, message: "truncated \\\(b[i])\(String(repeating: "X", count: n)) escape")
            }
            guard let s = Unicode.Scalar(v) else {
                throw ChatTemplateError.syntax(line: line, message: "illegal Unicode character in a string literal")
            }
            i = end
            return s
        }
        while i < b.count {
            let c = b[i]
            guard c == "\\", i + 1 < b.count else {
                if c == "\\" { throw ChatTemplateError.syntax(line: line, message: "\\ at end of string") }
                out.append(c)
                i += 1
                continue
            }
            i += 1
            let e = b[i]
            let simple: [Unicode.Scalar: Unicode.Scalar] = [
                "\\": "\\", "'": "'", "\"": "\"", "a": "\u{07}", "b": "\u{08}", "f": "\u{0C}", "n": "\n", "r": "\r",
                "t": "\t", "v": "\u{0B}",
            ]
            if let s = simple[e] {
                out.append(s)
                i += 1
            } else if e == "\n" {
                i += 1  // a backslash-newline continues the line
            } else if e == "x" {
                out.append(try hex(2))
            } else if e == "u" {
                out.append(try hex(4))
            } else if e == "U" {
                out.append(try hex(8))
            } else if e.value >= 0x30 && e.value <= 0x37 {
                var v: UInt32 = 0, n = 0
                while n < 3, i < b.count, b[i].value >= 0x30 && b[i].value <= 0x37 {
                    v = v * 8 + b[i].value - 0x30
                    i += 1
                    n += 1
                }
                out.append(Unicode.Scalar(v) ?? "\u{FFFD}")
            } else if e == "N" {
                throw ChatTemplateError.unsupported(line: line, feature: "the \\N{…} escape in a string literal")
            } else if e.value > 0x7F {
                // backslashreplace turned the code point into \xNN / \uNNNN / \UNNNNNNNN, whose
                // backslash the escaped backslash before it consumed.
                let v = e.value
                let form = v <= 0xFF ? String(format: "x%02x", v) : v <= 0xFFFF ? String(format: "u%04x", v) : String(format: "U%08x", v)
                out.append("\\")
                out.append(contentsOf: form.unicodeScalars)
                i += 1
            } else {
                out.append("\\")  // an unknown escape keeps its backslash
                out.append(e)
                i += 1
            }
        }
        return String(out)
    }
}
