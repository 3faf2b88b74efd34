import Foundation

extension Jinja {
    /// Python's `str.format` (jinja2's sandbox allows it): `{}`, `{0}`, `{name}`, `{0.attr}`,
    /// `{0[key]}`, `!r` / `!s`, and format specs `[[fill]align][sign][0][width][,][.precision][type]`
    /// for strings (`s`), ints (`d x X o b`) and floats (`f F e E %`).
    static func format(_ format: String, _ args: [Value], _ kwargs: [(String, Value)]) throws -> String {
        let u = Py.scalars(format)
        var out = "", i = 0, auto = 0
        var manual = false
        while i < u.count {
            let c = u[i]
            if c == "}" {
                guard i + 1 < u.count, u[i + 1] == "}" else { throw Fail.render("Single '}' encountered in format string") }
                out += "}"
                i += 2
                continue
            }
            guard c == "{" else { out.unicodeScalars.append(c); i += 1; continue }
            if i + 1 < u.count, u[i + 1] == "{" { out += "{"; i += 2; continue }
            guard let close = u[(i + 1)...].firstIndex(of: "}") else { throw Fail.render("Single '{' encountered in format string") }
            let field = Py.string(u[(i + 1)..<close])
            if field.contains("{") { throw Fail.unsupported("nested replacement fields in str.format") }
            i = close + 1
            var spec = "", conversion: Unicode.Scalar?
            var name = field
            if let colon = name.firstIndex(of: ":") {
                spec = String(name[name.index(after: colon)...])
                name = String(name[..<colon])
            }
            if let bang = name.firstIndex(of: "!") {
                conversion = name[name.index(after: bang)...].unicodeScalars.first
                name = String(name[..<bang])
            }
            // The first part names the argument; `.attr` and `[key]` follow.
            let head = String(name.prefix { $0 != "." && $0 != "[" })
            var rest = Substring(name.dropFirst(head.count))
            var v: Value
            if head.isEmpty {
                if manual { throw Fail.render("cannot switch from manual field specification to automatic field numbering") }
                guard auto < args.count else { throw Fail.render("Replacement index \(auto) out of range for positional args tuple") }
                v = args[auto]
                auto += 1
            } else if let n = Int(head) {
                manual = true
                guard n >= 0, n < args.count else { throw Fail.render("Replacement index \(n) out of range for positional args tuple") }
                v = args[n]
            } else {
                guard let kw = kwargs.first(where: { $0.0 == head }) else { throw Fail.render("KeyError: \(Py.repr(head))") }
                v = kw.1
            }
            while let first = rest.first {
                if first == "." {
                    let attr = rest.dropFirst().prefix { $0 != "." && $0 != "[" }
                    rest = rest.dropFirst(1 + attr.count)
                    v = try attribute(v, String(attr))
                } else {
                    guard let end = rest.firstIndex(of: "]") else { throw Fail.render("Missing ']' in format string") }
                    let key = String(rest[rest.index(after: rest.startIndex)..<end])
                    rest = rest[rest.index(after: end)...]
                    v = try item(v, Int(key).map { .int($0) } ?? .string(key))
                }
                if case .undefined(let u) = v { throw u.fail() }
            }
            switch conversion {
            case nil: break
            case "r"?, "a"?: v = .string(try Py.repr(v))
            case "s"?: v = .string(try Py.str(v))
            default: throw Fail.render("Unknown conversion specifier \(conversion.map(String.init) ?? "")")
            }
            out += try formatValue(v, spec)
        }
        return out
    }

    /// Python's `format(value, spec)` for the common specs.
    static func formatValue(_ v: Value, _ spec: String) throws -> String {
        if spec.isEmpty { return try Py.str(v) }
        var s = Py.scalars(spec)
        var fill: Unicode.Scalar = " ", align: Unicode.Scalar?
        if s.count >= 2, "<>^=".unicodeScalars.contains(s[1]) {
            fill = s[0]
            align = s[1]
            s.removeFirst(2)
        } else if let f = s.first, "<>^=".unicodeScalars.contains(f) {
            align = f
            s.removeFirst()
        }
        var sign: Unicode.Scalar = "-"
        if let f = s.first, "+- ".unicodeScalars.contains(f) { sign = f; s.removeFirst() }
        if s.first == "0" {
            if align == nil { fill = "0"; align = "=" }
            s.removeFirst()
        }
        var width = 0
        while let f = s.first, let d = Int(String(f)) { width = width * 10 + d; s.removeFirst() }
        var grouping: String?
        if let f = s.first, f == "," || f == "_" { grouping = String(f); s.removeFirst() }
        var precision: Int?
        if s.first == "." {
            s.removeFirst()
            var p = 0
            while let f = s.first, let d = Int(String(f)) { p = p * 10 + d; s.removeFirst() }
            try Py.checkSize(p)
            precision = p
        }
        let type = s.first.map { String($0) } ?? ""
        if s.count > 1 { throw Fail.render("Invalid format specifier '\(spec)'") }
        try Py.checkSize(width)
        var body: String, negative = false
        switch (v.plain, type) {
        case (.string(let t), ""), (.string(let t), "s"):
            body = precision.map { Py.string(Py.scalars(t).prefix($0)) } ?? t
            align = align ?? "<"
        case (_, "d"), (_, "x"), (_, "X"), (_, "o"), (_, "b"), (.int, ""), (.bool, ""):
            guard let i = v.integer else { throw Fail.render("Unknown format code '\(type)' for object of type '\(v.pythonType)'") }
            negative = i < 0
            let m = i.magnitude
            switch type {
            case "x": body = String(m, radix: 16)
            case "X": body = String(m, radix: 16).uppercased()
            case "o": body = String(m, radix: 8)
            case "b": body = String(m, radix: 2)
            default: body = String(m)
            }
            if let g = grouping, type == "d" || type.isEmpty {
                var grouped = "", n = 0
                for ch in body.reversed() {
                    if n > 0, n % 3 == 0 { grouped.append(Character(g)) }
                    grouped.append(ch)
                    n += 1
                }
                body = String(grouped.reversed())
            }
        case (_, "f"), (_, "F"), (_, "e"), (_, "E"), (_, "%"), (.float, ""):
            guard var d = v.number else { throw Fail.render("Unknown format code '\(type)' for object of type '\(v.pythonType)'") }
            if type == "%" { d *= 100 }
            negative = d.sign == .minus && !d.isNaN
            let p = precision ?? 6
            switch type {
            case "":
                body = precision == nil ? Py.float(d.magnitude) : String(format: "%.\(p)g", d.magnitude)
            case "e", "E": body = String(format: type == "e" ? "%.\(p)e" : "%.\(p)E", d.magnitude)
            default: body = String(format: "%.\(p)f", d.magnitude) + (type == "%" ? "%" : "")
            }
            if grouping != nil { throw Fail.unsupported("digit grouping of floats in str.format") }
        default:
            throw Fail.unsupported("the format spec '\(spec)' for \(v.pythonType)")
        }
        let signText = negative ? "-" : sign == "+" ? "+" : sign == " " ? " " : ""
        let count = body.unicodeScalars.count + signText.unicodeScalars.count
        let pad = max(0, width - count)
        let padding = { (n: Int) in String(repeating: String(fill), count: n) }
        switch align ?? ">" {
        case "<": return signText + body + padding(pad)
        case "^": return padding(pad / 2) + signText + body + padding(pad - pad / 2)
        case "=": return signText + padding(pad) + body
        default: return padding(pad) + signText + body
        }
    }
}
