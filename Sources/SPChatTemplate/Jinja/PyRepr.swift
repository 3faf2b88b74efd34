import Foundation

extension Jinja.Py {
    typealias Value = Jinja.Value

    /// `str(x)`: what `{{ x }}` prints.
    static func str(_ v: Value) throws -> String {
        switch v {
        case .undefined: return ""
        case .string(let s), .markup(let s): return s
        default: return try repr(v)
        }
    }

    /// Python's `repr(x)` (lists and dicts print their items this way).
    static func repr(_ v: Value, depth: Int = 0) throws -> String {
        if depth > maxDepth { throw Jinja.Fail.render("maximum recursion depth exceeded while printing a value") }
        switch v {
        case .undefined: return "Undefined"
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .float(let d): return float(d)
        case .string(let s): return repr(s)
        case .markup(let s): return "Markup(\(repr(s)))"
        case .list(let a): return "[" + (try a.map { try repr($0, depth: depth + 1) }).joined(separator: ", ") + "]"
        case .tuple(let a):
            if a.count == 1 { return "(" + (try repr(a[0], depth: depth + 1)) + ",)" }
            return "(" + (try a.map { try repr($0, depth: depth + 1) }).joined(separator: ", ") + ")"
        case .dict(let d): return try repr(d, depth: depth)
        case .namespace(let n): return "<Namespace " + (try repr(n.attributes, depth: depth)) + ">"
        case .macro(let m): return "<Macro \(repr(m.definition.name))>"
        case .function(let f): return "<function \(f.name)>"
        case .loop(let l): return "<LoopContext \(l.index0 + 1)/\(l.length)>"
        case .iterator(let it):
            return it.typeName == "generator" ? "<generator object \(it.label)>" : "<\(it.typeName) object>"
        }
    }

    static func repr(_ d: Jinja.Dict, depth: Int) throws -> String {
        let items = try d.pairs.map { k, v in try repr(k, depth: depth + 1) + ": " + repr(v, depth: depth + 1) }
        return "{" + items.joined(separator: ", ") + "}"
    }

    /// `repr(float)`: the shortest digits that round-trip, in fixed notation for exponents -4…15.
    /// Swift's `description` follows the same rule ("1e-05", "1e+16", "1000000000000000.0").
    static func float(_ d: Double) -> String { d.description }

    /// `repr(str)`: single quotes unless the text holds ' and no ", non-printable code points escaped.
    static func repr(_ s: String) -> String {
        let quote: Unicode.Scalar = s.unicodeScalars.contains("'") && !s.unicodeScalars.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for u in s.unicodeScalars {
            switch u {
            case quote, "\\": out += "\\" + String(u)
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    out += String(format: "\\x%02x", u.value)
                } else if u.value < 0x7F || isPrintable(u) {
                    out.unicodeScalars.append(u)
                } else if u.value <= 0xFF {
                    out += String(format: "\\x%02x", u.value)
                } else if u.value <= 0xFFFF {
                    out += String(format: "\\u%04x", u.value)
                } else {
                    out += String(format: "\\U%08x", u.value)
                }
            }
        }
        out.unicodeScalars.append(quote)
        return out
    }

    /// `str.isprintable()` for one code point: not a control, format, surrogate, private-use,
    /// unassigned or separator code point (the ASCII space excepted).
    static func isPrintable(_ u: Unicode.Scalar) -> Bool {
        if u == " " { return true }
        switch u.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
             .spaceSeparator:
            return false
        default:
            return true
        }
    }

    /// Python's `a == b`.
    static func equal(_ a: Value, _ b: Value, depth: Int = 0) throws -> Bool {
        if depth > maxDepth { throw Jinja.Fail.render("maximum recursion depth exceeded in comparison") }
        switch (a.plain, b.plain) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let x), .string(let y)): return same(x, y)
        case (.int(let x), .int(let y)): return x == y
        case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
            guard x.count == y.count else { return false }
            for (p, q) in zip(x, y) where !(try equal(p, q, depth: depth + 1)) { return false }
            return true
        case (.dict(let x), .dict(let y)):
            guard x.count == y.count else { return false }
            for (k, v) in x.pairs {
                guard let w = y[k], try equal(v, w, depth: depth + 1) else { return false }
            }
            return true
        case (.namespace(let x), .namespace(let y)): return x === y
        case (.macro(let x), .macro(let y)): return x === y
        case (.function(let x), .function(let y)): return x === y
        case (.iterator(let x), .iterator(let y)): return x === y
        default:
            if let x = a.number, let y = b.number { return x == y }
            return false
        }
    }

    /// Python's `a < b` (numbers, strings by code point, lists and tuples item by item).
    static func less(_ a: Value, _ b: Value, op: String = "<", depth: Int = 0) throws -> Bool {
        if depth > maxDepth { throw Jinja.Fail.render("maximum recursion depth exceeded in comparison") }
        if case .undefined(let u) = a { throw u.fail() }
        if case .undefined(let u) = b { throw u.fail() }
        switch (a.plain, b.plain) {
        case (.int(let x), .int(let y)): return x < y
        case (.string(let x), .string(let y)): return x.utf8.lexicographicallyPrecedes(y.utf8)
        case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
            for (p, q) in zip(x, y) where !(try equal(p, q, depth: depth + 1)) {
                return try less(p, q, op: op, depth: depth + 1)
            }
            return x.count < y.count
        default:
            if let x = a.number, let y = b.number { return x < y }
            throw Jinja.Fail.render("'\(op)' not supported between instances of '\(a.pythonType)' and '\(b.pythonType)'")
        }
    }
}
