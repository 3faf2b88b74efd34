import Foundation

/// jinja2 3.1's built-in filters (filters.py) and transformers' `tojson`. Filters that return a
/// generator in jinja2 (`map`, `select`, `reverse`, …) return a list here; printed without `| list`
/// jinja2 would show `<generator object …>`, which no template relies on.
extension Jinja.Interpreter {
    func applyFilter(_ name: String, _ input: Value, _ positional: [Value], _ keywords: [(String, Value)]) throws -> Value {
        let a = Jinja.Args(positional, keywords, name)
        let v = input.plain  // filters see a Markup as the str it is
        switch name {
        case "abs":
            if case .int(let i) = v { guard i != Int.min else { throw Fail.render("integer overflow") }; return .int(Swift.abs(i)) }
            if case .bool(let b) = v { return .int(b ? 1 : 0) }
            if case .float(let d) = v { return .float(Swift.abs(d)) }
            throw Fail.render("bad operand type for abs(): '\(v.pythonType)'")
        case "attr":
            guard let n = try a.string(0, "name") else { throw Fail.render("attr() needs a name") }
            if case .undefined(let u) = v { throw u.fail() }
            if let m = Jinja.method(v, n) { return m }
            if case .namespace(let ns) = v, let x = ns.attributes[n] { return x }
            if case .loop(let l) = v, let x = Jinja.loopAttribute(l, n) { return x }
            return .undefined(.attribute(n, of: v))
        case "capitalize": return .string(Py.capitalize(try Py.str(v)))
        case "center":
            let s = try Py.str(v), width = try a.int(0, "width") ?? 80
            return try call(try Jinja.attribute(.string(s), "center"), [.int(width)], [])
        case "count", "length": return .int(try Jinja.length(v))
        case "d", "default":
            let fallback = a.raw(0, "default_value") ?? .string("")
            if v.isUndefined || (a.bool(1, "boolean", false) && !v.truthy) { return fallback }
            return v
        case "e", "escape", "forceescape":
            if case .markup = input, name != "forceescape" { return input }
            return .markup(try Jinja.escapeHTML(try Py.str(v)))
        case "first":
            let none = Value.undefined(Jinja.Undefined(message: "No first item, sequence was empty."))
            if case .iterator(let it) = v { return it.next() ?? none }
            return try Jinja.Interpreter.iterate(v).first ?? none
        case "last":
            if case .iterator(let it) = v { throw Fail.render("'\(it.typeName)' object is not reversible") }
            return try Jinja.Interpreter.iterate(v).last ?? .undefined(Jinja.Undefined(message: "No last item, sequence was empty."))
        case "float":
            return Jinja.toFloat(v) ?? (a.get(0, "default") ?? .float(0))
        case "format":
            return .string(try Jinja.printf(try Py.str(v), keywords.isEmpty ? positional : []))
        case "indent": return .string(try indent(try Py.str(v), a))
        case "int": return try Jinja.toInt(v, base: try a.int(1, "base") ?? 10) ?? (a.get(0, "default") ?? .int(0))
        case "items":
            if case .undefined = v { return Jinja.Iterator.generator("do_items", []) }
            guard case .dict(let d) = v else { throw Fail.render("Can only get item pairs from a mapping.") }
            return Jinja.Iterator.generator("do_items", d.pairs.map { .tuple([$0, $1]) })
        case "join":
            var items = try Jinja.Interpreter.iterate(v)
            if let attr = a.get(1, "attribute") { items = try items.map { try Jinja.attrGetter(attr)($0) } }
            let parts = try items.map(Py.str), separator = try Py.str(a.get(0, "d") ?? .string(""))
            try Py.checkSize(parts.reduce(0) { $0 + $1.utf8.count } + separator.utf8.count * max(0, parts.count - 1))
            return .string(parts.joined(separator: separator))
        case "list": return .list(try Jinja.Interpreter.iterate(v))
        case "lower": return .string(Py.lower(try Py.str(v)))
        case "upper": return .string(Py.upper(try Py.str(v)))
        case "replace":
            guard let old = a.get(0, "old"), let new = a.get(1, "new") else { throw Fail.render("replace() needs old and new") }
            return .string(try Py.replace(try Py.str(v), try Py.str(old), try Py.str(new), count: try a.int(2, "count") ?? -1))
        case "reverse":
            switch v {
            case .string(let s): return .string(Py.string(s.unicodeScalars.reversed()))
            case .list(let a): return .iterator(Jinja.Iterator("list_reverseiterator", "", a.reversed()))
            case .tuple(let a): return .iterator(Jinja.Iterator("reversed", "", a.reversed()))
            case .dict(let d): return .iterator(Jinja.Iterator("dict_reversekeyiterator", "", d.keys.reversed()))
            default: return .list(try Jinja.Interpreter.iterate(v).reversed())  // list(value), reversed
            }
        case "round": return try Jinja.round(v, precision: try a.int(0, "precision") ?? 0, method: try a.string(1, "method") ?? "common")
        case "safe": return .markup(try Py.str(input))
        case "string": return .string(try Py.str(v))
        case "title": return .string(Jinja.titleFilter(try Py.str(v)))
        case "tojson":
            return .string(try Jinja.JSON.dumps(v, ensureASCII: a.bool(0, "ensure_ascii", false), indent: a.get(1, "indent"),
                                                separators: a.get(2, "separators"), sortKeys: a.bool(3, "sort_keys", false)))
        case "trim": return .string(Py.strip(try Py.str(v), try a.string(0, "chars")))
        case "truncate": return .string(try truncate(try Py.str(v), a))
        case "wordcount":
            var n = 0, inWord = false
            for u in try Py.str(v).unicodeScalars {
                let w = u == "_" || u.properties.isAlphabetic || u.properties.numericType != nil
                if w && !inWord { n += 1 }
                inWord = w
            }
            return .int(n)
        default:
            return try collectionFilter(name, v, a)
        }
    }

    /// jinja2's `do_indent`.
    private func indent(_ text: String, _ a: Jinja.Args) throws -> String {
        var pad = "    "
        if let w = a.get(0, "width") {
            if case .string(let s) = w { pad = s } else if let n = w.integer { try Py.checkSize(n); pad = String(repeating: " ", count: max(0, n)) }
        }
        let lines = Py.splitLines(text + "\n", keepEnds: false)
        let (padding, o) = lines.count.multipliedReportingOverflow(by: pad.utf8.count)
        if o { throw Fail.render("result longer than \(Py.maxStringBytes) bytes") }
        try Py.checkSize(text.utf8.count + padding)
        var out: String
        if a.bool(2, "blank", false) {
            out = lines.joined(separator: "\n" + pad)
        } else {
            out = lines.first ?? ""
            if lines.count > 1 { out += "\n" + lines.dropFirst().map { $0.isEmpty ? $0 : pad + $0 }.joined(separator: "\n") }
        }
        return a.bool(1, "first", false) ? pad + out : out
    }

    /// jinja2's `do_truncate` (leeway 5, the default policy).
    private func truncate(_ s: String, _ a: Jinja.Args) throws -> String {
        let length = try a.int(0, "length") ?? 255, end = try a.string(2, "end") ?? "...", leeway = try a.int(3, "leeway") ?? 5
        let u = Py.scalars(s), e = end.unicodeScalars.count
        guard length >= e else { throw Fail.render("expected length >= \(e), got \(length)") }
        guard leeway >= 0 else { throw Fail.render("expected leeway >= 0, got \(leeway)") }
        if u.count <= length + leeway { return s }
        let head = Py.string(u[..<(length - e)])
        if a.bool(1, "killwords", false) { return head + end }
        return (try Py.split(head, " ", maxSplit: 1, fromRight: true).first ?? head) + end
    }
}

extension Jinja {
    /// Python's `len(x)`.
    static func length(_ v: Value) throws -> Int {
        switch v {
        case .string(let s): return s.unicodeScalars.count
        case .list(let a), .tuple(let a): return a.count
        case .dict(let d): return d.count
        case .undefined: return 0
        default: throw Fail.render("object of type '\(v.pythonType)' has no len()")
        }
    }

    /// `make_attrgetter`: `"a.b.0"` looks up `a`, then `b`, then item 0, as `x[part]` does.
    static func attrGetter(_ attribute: Value, default fallback: Value? = nil) throws -> (Value) throws -> Value {
        var parts: [Value] = [attribute]
        if case .string(let s) = attribute {
            parts = try Py.split(s, ".").map { p in p.allSatisfy(\.isASCII) && !p.isEmpty && p.allSatisfy(\.isNumber) ? .int(Int(p) ?? 0) : .string(p) }
        }
        return { v in
            var x = v
            for p in parts {
                x = try item(x, p)
                if let fallback, x.isUndefined { x = fallback }
            }
            return x
        }
    }

    /// `float(x)`, or nil where Python raises.
    static func toFloat(_ v: Value) -> Value? {
        if let d = v.number { return .float(d) }
        guard case .string(let s) = v else { return nil }
        let t = Py.strip(s, nil).lowercased().replacingOccurrences(of: "_", with: "")
        if ["inf", "+inf", "infinity", "+infinity"].contains(t) { return .float(.infinity) }
        if ["-inf", "-infinity"].contains(t) { return .float(-.infinity) }
        if ["nan", "+nan", "-nan"].contains(t) { return .float(.nan) }
        guard !t.isEmpty, t.unicodeScalars.allSatisfy({ "0123456789.eE+-".unicodeScalars.contains($0) }), let d = Double(t) else { return nil }
        return .float(d)
    }

    /// jinja2's `do_int`: `int(x, base)`, then `int(float(x))`, or nil.
    static func toInt(_ v: Value, base: Int) throws -> Value? {
        if let i = v.integer { return .int(i) }
        if case .float(let d) = v { return d.isFinite && Swift.abs(d) < 9.2e18 ? .int(Int(d)) : nil }
        guard case .string(let s) = v else { return nil }
        var t = Py.strip(s, nil)
        var sign = 1
        if t.hasPrefix("-") || t.hasPrefix("+") { sign = t.hasPrefix("-") ? -1 : 1; t.removeFirst() }
        var b = base
        let lower = t.lowercased()
        for (p, r) in [("0x", 16), ("0o", 8), ("0b", 2)] where lower.hasPrefix(p) && (base == r || base == 0) {
            t.removeFirst(2)
            b = r
        }
        if b == 0 { b = 10 }
        let digits = t.replacingOccurrences(of: "_", with: "")
        if !t.hasPrefix("_"), !t.hasSuffix("_"), !t.contains("__"), !digits.isEmpty,
           digits.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }),
           let i = Int(digits, radix: b) {
            return .int(sign * i)
        }
        if case .float(let d)? = toFloat(v), d.isFinite, Swift.abs(d) < 9.2e18 { return .int(Int(d)) }
        return nil
    }

    /// jinja2's `do_round`: Python's `round(x, n)` (half to even, exact decimal) or ceil/floor.
    static func round(_ v: Value, precision: Int, method: String) throws -> Value {
        guard ["common", "ceil", "floor"].contains(method) else {
            throw Fail.render("method must be common, ceil or floor")
        }
        if method == "common", case .int = v, precision >= 0 { return v }
        guard let d = v.number else { throw Fail.render("type \(v.pythonType) doesn't define __round__ method") }
        if method != "common" {
            let scale = Foundation.pow(10.0, Double(precision))
            let r = method == "ceil" ? (d * scale).rounded(.up) : (d * scale).rounded(.down)
            return .float(r / scale)  // math.ceil/floor give an int; dividing makes it a float again
        }
        if precision == 0 || !d.isFinite { return .float(d.rounded(.toNearestOrEven)) }
        if precision > 0 { return .float(Double(String(format: "%.\(min(precision, 340))f", d)) ?? d) }
        let scale = Foundation.pow(10.0, Double(-precision))
        return .float((d / scale).rounded(.toNearestOrEven) * scale)
    }

    /// jinja2's `do_title`: upper-case the first character of each word (words start after
    /// whitespace, `-`, and opening brackets), lower-case the rest.
    static func titleFilter(_ s: String) -> String {
        var out = ""
        var atStart = true
        for u in s.unicodeScalars {
            let separator = Py.isSpace(u) || "-({[<".unicodeScalars.contains(u)
            if separator {
                out.unicodeScalars.append(u)
            } else {
                out += atStart ? u.properties.uppercaseMapping : u.properties.lowercaseMapping
            }
            atStart = separator
        }
        return out
    }

    /// markupsafe's `escape`: `& < > " '` as HTML entities.
    static func escapeHTML(_ s: String) throws -> String {
        var out = s
        for (from, to) in [("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\"", "&#34;"), ("'", "&#39;")] {
            out = try Py.replace(out, from, to)
        }
        return out
    }

    /// `text % args` for the conversions templates use: `%s`, `%r`, `%d`/`%i`, `%%`.
    static func printf(_ format: String, _ args: [Value]) throws -> String {
        var out = "", i = 0
        var it = format.unicodeScalars.makeIterator()
        while let c = it.next() {
            guard c == "%" else { out.unicodeScalars.append(c); continue }
            guard let k = it.next() else { throw Fail.render("incomplete format") }
            if k == "%" { out += "%"; continue }
            guard i < args.count else { throw Fail.render("not enough arguments for format string") }
            let x = args[i]
            i += 1
            switch k {
            case "s": out += try Py.str(x)
            case "r": out += try Py.repr(x)
            case "d", "i":
                guard let d = x.number else { throw Fail.render("%\(k) format: a real number is required, not \(x.pythonType)") }
                out += String(Int(d.rounded(.towardZero)))
            default: throw Fail.unsupported("the %\(k) conversion of the format filter")
            }
        }
        if i < args.count { throw Fail.render("not all arguments converted during string formatting") }
        return out
    }
}
