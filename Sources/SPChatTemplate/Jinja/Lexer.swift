import Foundation

extension Jinja {
    struct Token {
        enum Kind: Equatable { case text, variableBegin, variableEnd, blockBegin, blockEnd, name, string, int, float, op, eof }
        var kind: Kind
        var text = ""  // text data, name, operator or the unescaped string literal
        var int = 0
        var float = 0.0
        var line: Int
    }

    /// jinja2's `Lexer` with transformers' settings: `trim_blocks=True` (the first newline after
    /// `%}` / `#}` is dropped), `lstrip_blocks=True` (spaces and tabs before `{%` / `{#` at the start
    /// of a line are dropped), `-` / `+` whitespace control on both sides, one trailing newline of
    /// the source dropped, `\r\n` and `\r` read as `\n`.
    struct Lexer {
        private(set) var u: [Unicode.Scalar]
        private var pos = 0
        private(set) var line = 1
        private var lineStarting = true
        private var balance: [Unicode.Scalar] = []
        private(set) var tokens: [Token] = []
        let trimBlocks = true, lstripBlocks = true

        static func tokenize(_ source: String) throws -> [Token] {
            var lexer = Lexer(source)
            try lexer.run()
            return lexer.tokens
        }

        private init(_ source: String) {
            var s: [Unicode.Scalar] = []
            s.reserveCapacity(source.unicodeScalars.count)
            var it = source.unicodeScalars.makeIterator()
            var pending = it.next()
            while let c = pending {
                pending = it.next()
                if c == "\r" {
                    s.append("\n")
                    if pending == "\n" { pending = it.next() }
                } else {
                    s.append(c)
                }
            }
            if s.last == "\n" { s.removeLast() }
            u = s
        }

        private func at(_ i: Int, _ lit: String) -> Bool {
            var j = i
            for c in lit.unicodeScalars {
                guard j < u.count, u[j] == c else { return false }
                j += 1
            }
            return true
        }

        private func newlines(_ r: Range<Int>) -> Int { u[r].reduce(0) { $0 + ($1 == "\n" ? 1 : 0) } }

        private mutating func emit(_ kind: Token.Kind, _ text: String = "") {
            tokens.append(Token(kind: kind, text: text, line: line))
        }

        private mutating func run() throws {
            while pos < u.count {
                // The next tag start: `{{`, `{%` or `{#`.
                var i = pos
                while i + 1 < u.count, !(u[i] == "{" && (u[i + 1] == "{" || u[i + 1] == "%" || u[i + 1] == "#")) { i += 1 }
                if i + 1 >= u.count {
                    emit(.text, Py.string(u[pos...]))
                    return
                }
                let kind = u[i + 1]
                let sign: Unicode.Scalar? = i + 2 < u.count && (u[i + 2] == "-" || u[i + 2] == "+") ? u[i + 2] : nil
                let rawEnd = kind == "%" ? rawBegin(i) : nil
                try data(pos..<i, sign: sign, variable: kind == "{")
                line += newlines(pos..<i)
                pos = i + 2 + (sign == nil ? 0 : 1)
                lineStarting = false
                if let rawEnd {
                    line += newlines(pos..<rawEnd)
                    pos = rawEnd
                    try raw()
                } else if kind == "#" {
                    try comment()
                } else {
                    emit(kind == "{" ? .variableBegin : .blockBegin)
                    try tag(variable: kind == "{")
                }
            }
        }

        /// Text before a tag, with the tag's whitespace control applied.
        private mutating func data(_ r: Range<Int>, sign: Unicode.Scalar?, variable: Bool) throws {
            var hi = r.upperBound
            if sign == "-" {
                while hi > r.lowerBound, Py.isSpace(u[hi - 1]) { hi -= 1 }
            } else if sign != "+", lstripBlocks, !variable {
                var l = hi
                while l > r.lowerBound, u[l - 1] != "\n" { l -= 1 }
                if (l > r.lowerBound || lineStarting), l < hi, u[l..<hi].allSatisfy(Py.isSpace) { hi = l }
            }
            if hi > r.lowerBound { emit(.text, Py.string(u[r.lowerBound..<hi])) }
        }

        /// After `{%`-with-sign at `i`: the end of `{% raw %}` when this tag is one.
        private func rawBegin(_ i: Int) -> Int? {
            var j = i + 2
            if j < u.count, u[j] == "-" || u[j] == "+" { j += 1 }
            while j < u.count, Py.isSpace(u[j]) { j += 1 }
            guard at(j, "raw") else { return nil }
            j += 3
            while j < u.count, Py.isSpace(u[j]) { j += 1 }
            if at(j, "-%}") {
                j += 3
                while j < u.count, Py.isSpace(u[j]) { j += 1 }
                return j
            }
            return at(j, "%}") ? j + 2 : nil
        }

        /// The body of `{% raw %}…{% endraw %}`, emitted as text.
        private mutating func raw() throws {
            var i = pos
            while i < u.count {
                if at(i, "{%") {
                    var j = i + 2
                    let sign: Unicode.Scalar? = j < u.count && (u[j] == "-" || u[j] == "+") ? u[j] : nil
                    if sign != nil { j += 1 }
                    while j < u.count, Py.isSpace(u[j]) { j += 1 }
                    if at(j, "endraw") {
                        j += 6
                        while j < u.count, Py.isSpace(u[j]) { j += 1 }
                        if let end = blockEnd(j) {
                            try data(pos..<i, sign: sign, variable: false)
                            line += newlines(pos..<end)
                            lineStarting = end > 0 && u[end - 1] == "\n"
                            pos = end
                            return
                        }
                    }
                }
                i += 1
            }
            throw ChatTemplateError.syntax(line: line, message: "missing end of raw directive")
        }

        /// `+%}`, `-%}` and following whitespace, or `%}` and one newline: the index after it.
        private func blockEnd(_ j: Int, close: String = "%}") -> Int? {
            if at(j, "+" + close) { return j + 3 }
            if at(j, "-" + close) {
                var k = j + 3
                while k < u.count, Py.isSpace(u[k]) { k += 1 }
                return k
            }
            if at(j, close) { return j + 2 + (trimBlocks && at(j + 2, "\n") ? 1 : 0) }
            return nil
        }

        private mutating func comment() throws {
            var i = pos
            while i < u.count {
                if let end = blockEnd(i, close: "#}") {
                    line += newlines(pos..<end)
                    lineStarting = u[end - 1] == "\n"
                    pos = end
                    return
                }
                i += 1
            }
            throw ChatTemplateError.syntax(line: line, message: "missing end of comment tag")
        }

        /// The inside of `{{ … }}` or `{% … %}` up to and including its end.
        private mutating func tag(variable: Bool) throws {
            while pos < u.count {
                if balance.isEmpty {
                    var end: Int?
                    if variable {
                        if at(pos, "-}}") {
                            var k = pos + 3
                            while k < u.count, Py.isSpace(u[k]) { k += 1 }
                            end = k
                        } else if at(pos, "}}") {
                            end = pos + 2
                        }
                    } else {
                        end = blockEnd(pos)
                    }
                    if let end {
                        emit(variable ? .variableEnd : .blockEnd)
                        line += newlines(pos..<end)
                        lineStarting = u[end - 1] == "\n"
                        pos = end
                        return
                    }
                }
                let c = u[pos]
                let start = pos
                if Py.isSpace(c) {
                    while pos < u.count, Py.isSpace(u[pos]) { pos += 1 }
                    line += newlines(start..<pos)
                    lineStarting = u[pos - 1] == "\n"
                    continue
                }
                lineStarting = false
                if let (tok, end) = try number(start) {
                    tokens.append(tok)
                    pos = end
                } else if c == "_" || c.properties.isXIDStart {
                    pos += 1
                    while pos < u.count, u[pos].properties.isXIDContinue { pos += 1 }
                    emit(.name, Py.string(u[start..<pos]))
                } else if c == "'" || c == "\"" {
                    try string(quote: c)
                } else {
                    try op()
                }
            }
            throw ChatTemplateError.syntax(line: line, message: "unexpected end of template inside \(variable ? "{{ … }}" : "{% … %}")")
        }

        /// A string literal, unescaped like Python's `unicode-escape` codec (what jinja2 does).
        private mutating func string(quote: Unicode.Scalar) throws {
            var j = pos + 1
            while j < u.count, u[j] != quote { j += u[j] == "\\" ? 2 : 1 }
            guard j < u.count else {
                throw ChatTemplateError.syntax(line: line, message: "unexpected char \(Py.repr(String(quote))) at \(pos)")
            }
            let body = u[(pos + 1)..<j]
            tokens.append(Token(kind: .string, text: try Lexer.unescape(Array(body), line: line), line: line))
            line += newlines((pos + 1)..<j)
            pos = j + 1
        }

        private mutating func op() throws {
            let two = ["//", "**", "==", "!=", ">=", "<="]
            if let o = two.first(where: { at(pos, $0) }) {
                emit(.op, o)
                pos += 2
                return
            }
            let c = u[pos]
            guard "+-/*%~[](){}><=.:|,;".unicodeScalars.contains(c) else {
                throw ChatTemplateError.syntax(line: line, message: "unexpected char \(Py.repr(String(c))) at \(pos)")
            }
            switch c {
            case "(": balance.append(")")
            case "[": balance.append("]")
            case "{": balance.append("}")
            case ")", "]", "}":
                guard let want = balance.popLast() else {
                    throw ChatTemplateError.syntax(line: line, message: "unexpected '\(c)'")
                }
                if want != c { throw ChatTemplateError.syntax(line: line, message: "unexpected '\(c)', expected '\(want)'") }
            default: break
            }
            emit(.op, String(c))
            pos += 1
        }
    }
}
