import Foundation

extension Jinja {
    /// jinja2's `Parser` (parser.py) for the tags chat templates use: `if`/`elif`/`else`, `for`
    /// (with `else`, a filtering `if`, `break`/`continue`), `set` (also `ns.attr` and block form),
    /// `macro`, `filter`, `with`, and transformers' `generation`.
    struct Parser {
        var tokens: [Token]
        var index = 0
        var loopDepth = 0
        var depth = 0
        /// Whether the macro being parsed reads `varargs` / `kwargs` (then it accepts extra arguments).
        var readsVarargs = false, readsKwargs = false
        /// Deepest expression or block nesting accepted (jinja2 itself stops near this on
        /// Python's recursion limit); keeps the recursive parser and evaluator within the stack.
        static let maxNesting = 48

        static func parse(_ source: String) throws -> [Stmt] {
            var p = Parser(tokens: try Lexer.tokenize(source))
            let body = try p.subparse(until: [])
            try Validator.check(body, soft: false)
            return body
        }

        init(tokens: [Token]) {
            self.tokens = tokens
            self.tokens.append(Token(kind: .eof, line: tokens.last?.line ?? 1))
        }

        // MARK: token stream

        var current: Token { tokens[index] }
        var next: Token { tokens[min(index + 1, tokens.count - 1)] }
        mutating func advance() { if index < tokens.count - 1 { index += 1 } }

        func isOp(_ s: String) -> Bool { current.kind == .op && current.text == s }
        func isName(_ s: String) -> Bool { current.kind == .name && current.text == s }

        mutating func skip(op s: String) -> Bool {
            guard isOp(s) else { return false }
            advance()
            return true
        }

        mutating func skip(name s: String) -> Bool {
            guard isName(s) else { return false }
            advance()
            return true
        }

        func fail(_ message: String) -> ChatTemplateError { .syntax(line: current.line, message: message) }

        func describe(_ t: Token) -> String {
            switch t.kind {
            case .text: return "template data"
            case .variableBegin: return "'{{'"
            case .variableEnd: return "end of print statement"
            case .blockBegin: return "'{%'"
            case .blockEnd: return "end of statement block"
            case .name, .op: return "'\(t.text)'"
            case .string: return "string \(Py.repr(t.text))"
            case .int: return "integer \(t.int)"
            case .float: return "float \(t.float)"
            case .eof: return "end of template"
            }
        }

        /// Jinja's `unexpected '…'`: the token's description quoted as Python's repr quotes it
        /// (`unexpected 'end of print statement'`, `unexpected '}'`, `unexpected 'string'`).
        func unexpected(_ t: Token) -> String {
            let what: String
            switch t.kind {
            case .name, .op: what = t.text
            case .string: what = "string"
            case .int: what = "integer"
            case .float: what = "float"
            default: what = describe(t)
            }
            return "unexpected \(Py.repr(what))"
        }

        mutating func expect(op s: String) throws {
            guard skip(op: s) else { throw fail("expected '\(s)', got \(describe(current))") }
        }

        mutating func expect(_ kind: Token.Kind, _ what: String) throws {
            guard current.kind == kind else { throw fail("expected \(what), got \(describe(current))") }
            advance()
        }

        mutating func expectName() throws -> String {
            guard current.kind == .name else { throw fail("expected a name, got \(describe(current))") }
            defer { advance() }
            return current.text
        }

        mutating func nest() throws {
            depth += 1
            if depth > Parser.maxNesting { throw fail("template nested deeper than \(Parser.maxNesting) levels") }
        }

        // MARK: statements

        /// Template data, `{{ … }}` and tags until one of `ends` (left as the current token).
        mutating func subparse(until ends: [String]) throws -> [Stmt] {
            var body: [Stmt] = []
            while true {
                let t = current
                switch t.kind {
                case .eof:
                    if ends.isEmpty { return body }
                    // Jinja: "… looking for the following tags: 'endfor' or 'else'. The innermost block that
                    // needs to be closed is 'for'."
                    let block = ends.first { $0.hasPrefix("end") }.map { " the innermost block that needs to be closed is '\($0.dropFirst(3))'" }
                    throw fail("unexpected end of template; looking for " + ends.map { "'\($0)'" }.joined(separator: " or ")
                               + (block.map { ";" + $0 } ?? ""))
                case .text:
                    body.append(.text(t.text))
                    advance()
                case .variableBegin:
                    advance()
                    let e = try tuple()
                    try expect(.variableEnd, "end of print statement")
                    body.append(.output(e))
                case .blockBegin:
                    advance()
                    if current.kind == .name, ends.contains(current.text) { return body }
                    body.append(try statement(ends))
                    try expect(.blockEnd, "end of statement block")
                default:
                    throw fail(unexpected(t))
                }
            }
        }

        /// `%}`, the body, and the end tag named in `ends` (consumed when `drop`).
        mutating func statements(_ ends: [String], drop: Bool) throws -> [Stmt] {
            _ = skip(op: ":")
            try expect(.blockEnd, "end of statement block")
            try nest()
            let body = try subparse(until: ends)
            depth -= 1
            if drop { advance() }
            return body
        }

        mutating func statement(_ outer: [String]) throws -> Stmt {
            guard current.kind == .name else { throw fail("tag name expected, got \(describe(current))") }
            let tag = current.text, line = current.line
            switch tag {
            case "if": return try ifStatement()
            case "for": return try forStatement()
            case "set": return try setStatement()
            case "macro": return try macroStatement()
            case "break", "continue":
                guard loopDepth > 0 else { throw fail("'\(tag)' outside a loop") }
                advance()
                return .loopControl(isBreak: tag == "break")
            case "filter":
                advance()
                let filters = try filterChain(first: true)
                return .filterBlock(filters, try statements(["endfilter"], drop: true))
            case "with":
                advance()
                var assignments: [(Target, Expr)] = []
                while current.kind != .blockEnd {
                    if !assignments.isEmpty { try expect(op: ",") }
                    let target = try assignTarget()
                    try expect(op: "=")
                    assignments.append((target, try expression()))
                }
                return .scoped(assignments, try statements(["endwith"], drop: true), line: line)
            case "generation":
                advance()
                return .scoped([], try statements(["endgeneration"], drop: true), line: line)
            case "call", "include", "import", "from", "extends", "block", "autoescape", "trans":
                throw ChatTemplateError.unsupported(line: line, feature: "the '\(tag)' tag")
            default:
                var message = "encountered unknown tag '\(tag)'"
                if !outer.isEmpty { message += "; looking for " + outer.map { "'\($0)'" }.joined(separator: " or ") }
                throw fail(message)
            }
        }

        mutating func ifStatement() throws -> Stmt {
            advance()
            var branches: [(Expr, [Stmt])] = []
            var otherwise: [Stmt] = []
            while true {
                let test = try tuple(withCondition: false)
                branches.append((test, try statements(["elif", "else", "endif"], drop: false)))
                let end = current.text
                advance()
                if end == "elif" { continue }
                if end == "else" { otherwise = try statements(["endif"], drop: true) }
                break
            }
            return .branches(branches, otherwise: otherwise)
        }

        mutating func forStatement() throws -> Stmt {
            let line = current.line
            advance()
            let target = try assignTarget(extraEnds: ["in"])
            guard skip(name: "in") else { throw fail("expected 'in', got \(describe(current))") }
            let iterable = try tuple(withCondition: false, extraEnds: ["recursive"])
            let filter = skip(name: "if") ? try expression() : nil
            if isName("recursive") { throw ChatTemplateError.unsupported(line: line, feature: "a recursive for loop") }
            loopDepth += 1
            let body = try statements(["endfor", "else"], drop: false)
            loopDepth -= 1
            var otherwise: [Stmt] = []
            if current.text == "endfor" {
                advance()
            } else {
                advance()
                otherwise = try statements(["endfor"], drop: true)
            }
            return .forLoop(ForLoop(target: target, iterable: iterable, filter: filter, body: body, otherwise: otherwise, line: line))
        }

        mutating func setStatement() throws -> Stmt {
            let line = current.line
            advance()
            let target = try assignTarget(withNamespace: true)
            if skip(op: "=") { return .set(target, try tuple(), line: line) }
            let filters = isOp("|") ? try filterChain(first: false) : []
            return .setBlock(target, filters, try statements(["endset"], drop: true), line: line)
        }

        mutating func macroStatement() throws -> Stmt {
            let line = current.line
            advance()
            let name = try expectName()
            try expect(op: "(")
            var parameters: [(String, Expr?)] = []
            while !isOp(")") {
                if !parameters.isEmpty { try expect(op: ",") }
                if isOp(")") { break }
                let p = try expectName()
                if skip(op: "=") {
                    parameters.append((p, try expression()))
                } else {
                    if parameters.contains(where: { $0.1 != nil }) { throw fail("non-default argument follows default argument") }
                    parameters.append((p, nil))
                }
            }
            try expect(op: ")")
            let saved = (loopDepth, readsVarargs, readsKwargs)
            (loopDepth, readsVarargs, readsKwargs) = (0, false, false)
            let body = try statements(["endmacro"], drop: true)
            let definition = MacroDefinition(name: name, parameters: parameters, body: body, line: line,
                                             catchesVarargs: readsVarargs, catchesKwargs: readsKwargs)
            (loopDepth, readsVarargs, readsKwargs) = saved
            return .macro(definition)
        }

        /// `name`, `(a, b)` or, with `withNamespace`, `ns.attr`.
        mutating func assignTarget(extraEnds: [String] = [], withNamespace: Bool = false) throws -> Target {
            if withNamespace, current.kind == .name, next.kind == .op, next.text == "." {
                let ns = try expectName()
                advance()
                return .namespace(ns, try expectName())
            }
            func convert(_ e: Expr) throws -> Target {
                switch e.kind {
                case .name(let n): return .name(n)
                case .tuple(let items): return .tuple(try items.map(convert))
                default: throw ChatTemplateError.syntax(line: e.line, message: "can't assign to this expression")
                }
            }
            return try convert(try tuple(simplified: true, extraEnds: extraEnds))
        }
    }
}
