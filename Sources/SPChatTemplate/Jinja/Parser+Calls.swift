import Foundation

/// Filters (`| name(args)`), tests (`is [not] name args`) and call arguments, as jinja2's
/// `parse_filter_expr`, `parse_filter`, `parse_test` and `parse_call_args`. Filter and test names
/// are checked later (`Validator`), because jinja2 only rejects unknown ones outside `if`.
extension Jinja.Parser {
    /// `| filter`, `is test` and calls after a unary expression.
    mutating func filters(_ start: Expr) throws -> Expr {
        var e = start
        while true {
            let line = current.line
            if isOp("|") {
                for f in try filterChain(first: false, single: true) { e = Expr(kind: .filter(e, f), line: line) }
            } else if skip(name: "is") {
                let negated = skip(name: "not")
                var name = try expectName()
                while skip(op: ".") { name += "." + (try expectName()) }
                var args = Jinja.Arguments()
                if isOp("(") {
                    args = try arguments()
                } else if [.name, .string, .int, .float].contains(current.kind) || isOp("(") || isOp("[") || isOp("{"),
                          !(current.kind == .name && ["else", "or", "and"].contains(current.text)) {
                    if isName("is") { throw fail("you cannot chain multiple tests with is") }
                    args.positional = [try postfix(try primary())]
                }
                e = Expr(kind: .test(e, Jinja.FilterCall(name: name, arguments: args, line: line), negated: negated), line: line)
            } else if isOp("(") {
                e = Expr(kind: .call(e, try arguments()), line: line)
            } else {
                return e
            }
        }
    }

    /// `| a(x) | b`: with `first`, the first filter has no leading `|` (`{% filter upper %}`).
    mutating func filterChain(first: Bool, single: Bool = false) throws -> [Jinja.FilterCall] {
        var out: [Jinja.FilterCall] = []
        var needBar = !first
        while true {
            if needBar { guard skip(op: "|") else { return out } }
            needBar = true
            let line = current.line
            var name = try expectName()
            while skip(op: ".") { name += "." + (try expectName()) }
            out.append(Jinja.FilterCall(name: name, arguments: isOp("(") ? try arguments() : Jinja.Arguments(), line: line))
            if single { return out }
        }
    }

    /// `(a, b, key=c, *rest, **more)`.
    mutating func arguments() throws -> Jinja.Arguments {
        try expect(op: "(")
        var a = Jinja.Arguments()
        var first = true
        while !isOp(")") {
            if !first {
                try expect(op: ",")
                if isOp(")") { break }
            }
            first = false
            if skip(op: "*") {
                a.star = try expression()
            } else if skip(op: "**") {
                a.starStar = try expression()
            } else if current.kind == .name, next.kind == .op, next.text == "=" {
                let key = current.text
                advance()
                advance()
                a.keywords.append((key, try expression()))
            } else {
                if a.star != nil || a.starStar != nil || !a.keywords.isEmpty {
                    throw fail("invalid syntax for function call expression")
                }
                a.positional.append(try expression())
            }
        }
        try expect(op: ")")
        return a
    }
}
