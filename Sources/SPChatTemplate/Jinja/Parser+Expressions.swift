import Foundation

/// Expressions, lowest precedence first, as in jinja2's parser.py: conditional (`a if c else b`),
/// `or`, `and`, `not`, comparisons (`==`, `in`, `not in`, chained), `+ -`, `~`, `* / // %`, `**`,
/// unary `- +`, then primaries with `.attr`, `[item]`, `[lo:hi]`, calls, `| filter` and `is test`.
extension Jinja.Parser {
    typealias Expr = Jinja.Expr
    typealias Token = Jinja.Token

    /// `a, b` as a tuple, or one expression (jinja2's `parse_tuple`).
    mutating func tuple(simplified: Bool = false, withCondition: Bool = true, extraEnds: [String] = [],
                        explicitParentheses: Bool = false) throws -> Expr {
        let line = current.line
        var items: [Expr] = []
        var isTuple = false
        while true {
            if !items.isEmpty { try expect(op: ",") }
            if current.kind == .variableEnd || current.kind == .blockEnd || isOp(")")
                || (current.kind == .name && extraEnds.contains(current.text)) {
                break
            }
            items.append(simplified ? try primary() : try expression(withCondition: withCondition))
            if isOp(",") { isTuple = true } else { break }
        }
        if !isTuple {
            if let e = items.first { return e }
            if !explicitParentheses { throw fail("expected an expression, got \(describe(current))") }
        }
        return Expr(kind: .tuple(items), line: line)
    }

    mutating func expression(withCondition: Bool = true) throws -> Expr {
        try nest()
        defer { depth -= 1 }
        return withCondition ? try condition() : try or()
    }

    mutating func condition() throws -> Expr {
        var e = try or()
        while isName("if") {
            let line = current.line
            advance()
            let test = try or()
            let otherwise = skip(name: "else") ? try condition() : nil
            e = Expr(kind: .condition(test, then: e, otherwise: otherwise), line: line)
        }
        return e
    }

    mutating func or() throws -> Expr {
        var e = try and()
        while isName("or") {
            let line = current.line
            advance()
            e = Expr(kind: .or(e, try and()), line: line)
        }
        return e
    }

    mutating func and() throws -> Expr {
        var e = try not()
        while isName("and") {
            let line = current.line
            advance()
            e = Expr(kind: .and(e, try not()), line: line)
        }
        return e
    }

    mutating func not() throws -> Expr {
        if isName("not") {
            let line = current.line
            advance()
            try nest()
            defer { depth -= 1 }
            return Expr(kind: .unary("not", try not()), line: line)
        }
        return try compare()
    }

    mutating func compare() throws -> Expr {
        let line = current.line
        let first = try binary(level: 0)
        var ops: [(String, Expr)] = []
        while true {
            if current.kind == .op, ["==", "!=", "<", "<=", ">", ">="].contains(current.text) {
                let op = current.text
                advance()
                ops.append((op, try binary(level: 0)))
            } else if skip(name: "in") {
                ops.append(("in", try binary(level: 0)))
            } else if isName("not"), next.kind == .name, next.text == "in" {
                advance()
                advance()
                ops.append(("notin", try binary(level: 0)))
            } else {
                break
            }
        }
        return ops.isEmpty ? first : Expr(kind: .compare(first, ops), line: line)
    }

    /// Binary operators by precedence level: `+ -`, then `~`, then `* / // %`, then `**`.
    mutating func binary(level: Int) throws -> Expr {
        let levels: [[String]] = [["+", "-"], ["~"], ["*", "/", "//", "%"], ["**"]]
        if level == levels.count { return try unary(withFilter: true) }
        var e = try binary(level: level + 1)
        while current.kind == .op, levels[level].contains(current.text) {
            let op = current.text, line = current.line
            advance()
            e = Expr(kind: .binary(op, e, try binary(level: level + 1)), line: line)
        }
        return e
    }

    mutating func unary(withFilter: Bool) throws -> Expr {
        let line = current.line
        var e: Expr
        if isOp("-") || isOp("+") {
            let op = current.text
            advance()
            try nest()
            e = Expr(kind: .unary(op, try unary(withFilter: false)), line: line)
            depth -= 1
        } else {
            e = try primary()
        }
        e = try postfix(e)
        if withFilter { e = try filters(e) }
        return e
    }

    mutating func primary() throws -> Expr {
        let t = current
        func lit(_ l: Jinja.Literal) -> Expr { Expr(kind: .literal(l), line: t.line) }
        switch t.kind {
        case .name:
            advance()
            switch t.text {
            case "true", "True": return lit(.bool(true))
            case "false", "False": return lit(.bool(false))
            case "none", "None": return lit(.none)
            default:
                if t.text == "varargs" { readsVarargs = true }
                if t.text == "kwargs" { readsKwargs = true }
                return Expr(kind: .name(t.text), line: t.line)
            }
        case .string:
            var s = t.text
            advance()
            while current.kind == .string {  // adjacent literals concatenate, as in Python
                s += current.text
                advance()
            }
            return lit(.string(s))
        case .int:
            advance()
            return lit(.int(t.int))
        case .float:
            advance()
            return lit(.float(t.float))
        case .op where t.text == "(":
            advance()
            try nest()
            defer { depth -= 1 }
            let e = try tuple(explicitParentheses: true)
            try expect(op: ")")
            return e
        case .op where t.text == "[":
            advance()
            try nest()
            defer { depth -= 1 }
            var items: [Expr] = []
            while !isOp("]") {
                if !items.isEmpty { try expect(op: ",") }
                if isOp("]") { break }
                items.append(try expression())
            }
            try expect(op: "]")
            return Expr(kind: .list(items), line: t.line)
        case .op where t.text == "{":
            advance()
            try nest()
            defer { depth -= 1 }
            var items: [(Expr, Expr)] = []
            while !isOp("}") {
                if !items.isEmpty { try expect(op: ",") }
                if isOp("}") { break }
                let key = try expression()
                try expect(op: ":")
                items.append((key, try expression()))
            }
            try expect(op: "}")
            return Expr(kind: .dict(items), line: t.line)
        default:
            throw fail(unexpected(t))
        }
    }

    /// `.attr`, `.0`, `[item]`, `[lo:hi:step]` and calls after a primary.
    mutating func postfix(_ start: Expr) throws -> Expr {
        var e = start
        while true {
            let line = current.line
            if skip(op: ".") {
                let t = current
                advance()
                if t.kind == .name {
                    e = Expr(kind: .attribute(e, t.text), line: line)
                } else if t.kind == .int {
                    e = Expr(kind: .item(e, Expr(kind: .literal(.int(t.int)), line: line)), line: line)
                } else {
                    throw ChatTemplateError.syntax(line: line, message: "expected name or number after '.'")
                }
            } else if skip(op: "[") {
                var items: [Expr] = []
                while !isOp("]") {
                    if !items.isEmpty { try expect(op: ",") }
                    items.append(try subscripted(of: e))
                }
                try expect(op: "]")
                if items.count == 1, case .slice = items[0].kind {
                    e = items[0]
                } else {
                    let key = items.count == 1 ? items[0] : Expr(kind: .tuple(items), line: line)
                    e = Expr(kind: .item(e, key), line: line)
                }
            } else if isOp("(") {
                e = Expr(kind: .call(e, try arguments()), line: line)
            } else {
                return e
            }
        }
    }

    /// One subscript: an expression, or a slice `lo:hi:step` of `base` with any part left out.
    mutating func subscripted(of base: Expr) throws -> Expr {
        let line = current.line
        var parts: [Expr?] = []
        if skip(op: ":") {
            parts.append(nil)
        } else {
            let e = try expression()
            guard skip(op: ":") else { return e }
            parts.append(e)
        }
        func part() throws -> Expr? { isOp("]") || isOp(",") || isOp(":") ? nil : try expression() }
        parts.append(try part())
        parts.append(skip(op: ":") ? try part() : nil)
        return Expr(kind: .slice(base, parts[0], parts[1], parts[2]), line: line)
    }
}
