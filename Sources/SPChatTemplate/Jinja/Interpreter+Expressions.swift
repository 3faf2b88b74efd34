import Foundation

extension Jinja.Interpreter {
    typealias Value = Jinja.Value
    typealias Fail = Jinja.Fail
    typealias Py = Jinja.Py

    /// Evaluates an expression; failures get the expression's line.
    func eval(_ e: Jinja.Expr, _ s: Jinja.Scope) throws -> Value {
        do {
            return try evaluate(e, s)
        } catch let f as Fail {
            throw f.at(e.line)
        }
    }

    private func evaluate(_ e: Jinja.Expr, _ s: Jinja.Scope) throws -> Value {
        switch e.kind {
        case .literal(let l):
            switch l {
            case .none: return .none
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .float(let d): return .float(d)
            case .string(let t): return .string(t)
            }
        case .name(let n):
            return s.lookup(n) ?? .undefined(.name(n))
        case .list(let items):
            return .list(try items.map { try eval($0, s) })
        case .tuple(let items):
            return .tuple(try items.map { try eval($0, s) })
        case .dict(let pairs):
            var d = Jinja.Dict()
            for (k, v) in pairs { d[try eval(k, s)] = try eval(v, s) }
            return .dict(d)
        case .attribute(let o, let name):
            return try Jinja.attribute(try eval(o, s), name)
        case .item(let o, let key):
            return try Jinja.item(try eval(o, s), try eval(key, s))
        case .slice(let o, let lo, let hi, let step):
            return try Jinja.slice(try eval(o, s), try lo.map { try eval($0, s) }, try hi.map { try eval($0, s) },
                                   try step.map { try eval($0, s) })
        case .call(let callee, let a):
            let f = try eval(callee, s)
            let (args, kwargs) = try arguments(a, s)
            return try call(f, args, kwargs)
        case .filter(let input, let f):
            return try filter(f, try eval(input, s), s)
        case .test(let input, let t, let negated):
            let (args, kwargs) = try arguments(t.arguments, s)
            let r = try test(t.name, try eval(input, s), args, kwargs)
            return .bool(r != negated)
        case .unary(let op, let x):
            let v = try eval(x, s)
            if op == "not" { return .bool(!v.truthy) }
            if case .undefined(let u) = v { throw u.fail() }
            if op == "+" {
                if let i = v.integer { return .int(i) }
                if case .float = v { return v }
            } else {
                if let i = v.integer {
                    guard i != Int.min else { throw Fail.render("integer overflow") }
                    return .int(-i)
                }
                if case .float(let d) = v { return .float(-d) }
            }
            throw Fail.render("bad operand type for unary \(op): '\(v.pythonType)'")
        case .binary(let op, let a, let b):
            let l = try eval(a, s), r = try eval(b, s)
            if op == "~" {
                let a = try Py.str(l), b = try Py.str(r)
                try Py.checkSize(a.utf8.count + b.utf8.count)
                return .string(a + b)
            }
            return try Jinja.arithmetic(op, l, r)
        case .and(let a, let b):
            let l = try eval(a, s)
            return l.truthy ? try eval(b, s) : l
        case .or(let a, let b):
            let l = try eval(a, s)
            return l.truthy ? l : try eval(b, s)
        case .compare(let first, let ops):
            var left = try eval(first, s)
            for (op, rhs) in ops {
                let right = try eval(rhs, s)
                guard try Jinja.compare(op, left, right) else { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .condition(let test, let then, let otherwise):
            if try eval(test, s).truthy { return try eval(then, s) }
            if let otherwise { return try eval(otherwise, s) }
            return .undefined(Jinja.Undefined(message: "the inline if-expression on line \(e.line) evaluated to false and no else section was defined."))
        }
    }

    func arguments(_ a: Jinja.Arguments, _ s: Jinja.Scope) throws -> ([Value], [(String, Value)]) {
        var args = try a.positional.map { try eval($0, s) }
        if let star = a.star { args += try Jinja.Interpreter.iterate(try eval(star, s)) }
        var kwargs = try a.keywords.map { ($0.0, try eval($0.1, s)) }
        if let more = a.starStar {
            guard case .dict(let d) = try eval(more, s) else { throw Fail.render("argument after ** must be a mapping") }
            for (k, v) in d.pairs {
                guard case .string(let key) = k else { throw Fail.render("keywords must be strings") }
                kwargs.append((key, v))
            }
        }
        return (args, kwargs)
    }

    func call(_ f: Value, _ args: [Value], _ kwargs: [(String, Value)]) throws -> Value {
        switch f {
        case .function(let fn): return try fn.body(args, kwargs, self)
        case .macro(let m): return try call(m, args, kwargs)
        case .undefined(let u): throw u.fail()
        default: throw Fail.render("'\(f.pythonType)' object is not callable")
        }
    }

    func filter(_ f: Jinja.FilterCall, _ input: Value, _ s: Jinja.Scope) throws -> Value {
        let (args, kwargs) = try arguments(f.arguments, s)
        do {
            return try applyFilter(f.name, input, args, kwargs)
        } catch let e as Fail {
            throw e.at(f.line)
        }
    }
}

extension Jinja {
    /// `+ - * / // % **` with Python's rules (ints stay exact; overflow fails instead of wrapping).
    static func arithmetic(_ op: String, _ l: Value, _ r: Value) throws -> Value {
        if case .undefined(let u) = l { throw u.fail() }
        if case .undefined(let u) = r { throw u.fail() }
        let unsupported = Fail.render("unsupported operand type(s) for \(op): '\(l.pythonType)' and '\(r.pythonType)'")
        let overflow = Fail.render("integer overflow in \(op)")
        switch (op, l, r) {
        case ("+", .markup(let a), .string(let b)), ("+", .markup(let a), .markup(let b)):
            return .markup(a + (r.isMarkup ? b : try escapeHTML(b)))
        case ("+", .string(let a), .markup(let b)):  // Markup.__radd__ runs first: it is a str subclass
            return .markup(try escapeHTML(a) + b)
        case ("*", .markup(let a), _):
            guard let n = r.integer else { throw unsupported }
            let (size, o) = a.utf8.count.multipliedReportingOverflow(by: max(0, n))
            if o { throw overflow }
            try Py.checkSize(size)
            return .markup(String(repeating: a, count: max(0, n)))
        case ("+", .string(let a), .string(let b)):
            try Py.checkSize(a.utf8.count + b.utf8.count)
            return .string(a + b)
        case ("+", .string, _): throw Fail.render("can only concatenate str (not \"\(r.pythonType)\") to str")
        case ("+", .list(let a), .list(let b)):
            try Py.checkItems(a.count + b.count)
            return .list(a + b)
        case ("+", .list, _): throw Fail.render("can only concatenate list (not \"\(r.pythonType)\") to list")
        case ("+", .tuple(let a), .tuple(let b)):
            try Py.checkItems(a.count + b.count)
            return .tuple(a + b)
        case ("+", .tuple, _): throw Fail.render("can only concatenate tuple (not \"\(r.pythonType)\") to tuple")
        case ("*", .string(let a), _), ("*", _, .string(let a)):
            let n: Int
            if case .string = l, let k = r.integer { n = k } else if let k = l.integer { n = k } else { throw unsupported }
            if n <= 0 { return .string("") }
            let (size, o) = a.utf8.count.multipliedReportingOverflow(by: n)
            if o { throw overflow }
            try Py.checkSize(size)
            return .string(String(repeating: a, count: n))
        case ("*", .list(let a), _), ("*", _, .list(let a)):
            let n: Int
            if case .list = l, let k = r.integer { n = k } else if let k = l.integer { n = k } else { throw unsupported }
            if n <= 0 { return .list([]) }
            let (size, o) = a.count.multipliedReportingOverflow(by: n)
            if o { throw overflow }
            try Py.checkItems(size)
            return .list(Array((0..<n).map { _ in a }.joined()))
        default: break
        }
        if case .string = l, op == "%" { throw Fail.unsupported("printf-style string formatting with '%'") }
        if let a = l.integer, let b = r.integer {
            switch op {
            case "+", "-", "*":
                let (v, o) = op == "+" ? a.addingReportingOverflow(b) : op == "-" ? a.subtractingReportingOverflow(b)
                    : a.multipliedReportingOverflow(by: b)
                if o { throw overflow }
                return .int(v)
            case "/":
                if b == 0 { throw Fail.render("division by zero") }
                return .float(Double(a) / Double(b))
            case "//", "%":
                if b == 0 { throw Fail.render("integer division or modulo by zero") }
                if a == Int.min && b == -1 { throw overflow }
                var q = a / b, m = a % b
                if m != 0 && ((m < 0) != (b < 0)) { q -= 1; m += b }  // Python floors
                return .int(op == "//" ? q : m)
            case "**":
                if b < 0 {
                    if a == 0 { throw Fail.render("0.0 cannot be raised to a negative power") }
                    return .float(Foundation.pow(Double(a), Double(b)))
                }
                var result = 1, base = a, e = b
                while e > 0 {
                    if e & 1 == 1 {
                        let (v, o) = result.multipliedReportingOverflow(by: base)
                        if o { throw overflow }
                        result = v
                    }
                    e >>= 1
                    if e > 0 {
                        let (v, o) = base.multipliedReportingOverflow(by: base)
                        if o { throw overflow }
                        base = v
                    }
                }
                return .int(result)
            default: throw unsupported
            }
        }
        guard let a = l.number, let b = r.number else { throw unsupported }
        switch op {
        case "+": return .float(a + b)
        case "-": return .float(a - b)
        case "*": return .float(a * b)
        case "/":
            if b == 0 { throw Fail.render("float division by zero") }
            return .float(a / b)
        case "//", "%":
            if b == 0 { throw Fail.render(op == "%" ? "float modulo" : "float floor division by zero") }
            var m = fmod(a, b)
            var q = (a - m) / b
            if m != 0 && ((m < 0) != (b < 0)) { m += b; q -= 1 }
            return .float(op == "%" ? (m == 0 ? (b < 0 ? -0.0 : 0.0) : m) : q.rounded(.down))
        case "**":
            if a == 0 && b < 0 { throw Fail.render("0.0 cannot be raised to a negative power") }
            return .float(Foundation.pow(a, b))
        default: throw unsupported
        }
    }

    /// One comparison of a chain: `== != < <= > >= in notin`.
    static func compare(_ op: String, _ l: Value, _ r: Value) throws -> Bool {
        switch op {
        case "==": return try Py.equal(l, r)
        case "!=": return !(try Py.equal(l, r))
        case "<": return try Py.less(l, r, op: op)
        case ">": return try Py.less(r, l, op: op)
        case "<=": return try Py.less(l, r, op: op) || Py.equal(l, r)
        case ">=": return try Py.less(r, l, op: op) || Py.equal(l, r)
        case "in": return try contains(r, l)
        default: return !(try contains(r, l))
        }
    }

    /// Python's `item in container`.
    static func contains(_ container: Value, _ item: Value) throws -> Bool {
        let item = item.plain
        switch container.plain {
        case .string(let s):
            guard case .string(let t) = item else {
                if case .undefined(let u) = item { throw u.fail() }
                throw Fail.render("'in <string>' requires string as left operand, not \(item.pythonType)")
            }
            return Py.contains(s, t)
        case .list(let a), .tuple(let a):
            for x in a where try Py.equal(x, item) { return true }
            return false
        case .dict(let d): return d.index(of: item) != nil
        case .iterator(let it):
            while let x = it.next() {
                if try Py.equal(x, item) { return true }
            }
            return false
        case .undefined: return false
        default: throw Fail.render("argument of type '\(container.pythonType)' is not iterable")
        }
    }
}
