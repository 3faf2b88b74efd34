import Foundation

extension Jinja {
    /// Positional and keyword arguments of a call, read like a Python signature.
    struct Args {
        let positional: [Value]
        let keywords: [(String, Value)]
        let function: String

        init(_ positional: [Value], _ keywords: [(String, Value)], _ function: String) {
            self.positional = positional
            self.keywords = keywords
            self.function = function
        }

        /// Argument `i` (or keyword `key`); None counts as absent.
        func get(_ i: Int, _ key: String) -> Value? {
            let v = raw(i, key)
            if case .none? = v { return nil }
            return v
        }

        /// Argument `i` (or keyword `key`) as given, None included.
        func raw(_ i: Int, _ key: String) -> Value? {
            i < positional.count ? positional[i] : keywords.first { $0.0 == key }?.1
        }

        func string(_ i: Int, _ key: String) throws -> String? {
            guard let v = get(i, key) else { return nil }
            guard case .string(let s) = v else {
                throw Fail.render("\(function)() argument '\(key)' must be str, not \(v.pythonType)")
            }
            return s
        }

        func int(_ i: Int, _ key: String) throws -> Int? {
            guard let v = get(i, key) else { return nil }
            guard let n = v.integer else { throw Fail.render("\(function)() argument '\(key)' must be int, not \(v.pythonType)") }
            return n
        }

        func bool(_ i: Int, _ key: String, _ fallback: Bool) -> Bool { get(i, key)?.truthy ?? fallback }
    }

    private static func bound(_ name: String, _ body: @escaping (Args) throws -> Value) -> Value {
        .function(Function(name) { a, k, _ in try body(Args(a, k, name)) })
    }

    private static func unsafe(_ name: String, _ v: Value) -> Value {
        .undefined(Undefined(message: "access to attribute '\(name)' of '\(v.pythonType)' object is unsafe."))
    }

    /// The Python method `name` of `v` bound to it, or nil when `v`'s type has no such method.
    static func method(_ v: Value, _ name: String) -> Value? {
        switch v {
        case .string(let s): return stringMethod(s, name)
        case .dict(let d):
            switch name {
            case "items": return bound(name) { _ in .list(d.pairs.map { .tuple([$0, $1]) }) }
            case "keys": return bound(name) { _ in .list(d.keys) }
            case "values": return bound(name) { _ in .list(d.values) }
            case "get": return bound(name) { a in
                guard let key = a.positional.first else { throw Fail.render("get expected at least 1 argument, got 0") }
                return d[key] ?? (a.positional.count > 1 ? a.positional[1] : .none)
            }
            case "copy": return bound(name) { _ in .dict(d) }
            case "clear", "pop", "popitem", "setdefault", "update": return unsafe(name, v)
            default: return nil
            }
        case .list(let items), .tuple(let items):
            switch name {
            case "count": return bound(name) { a in
                guard let x = a.positional.first else { throw Fail.render("count() takes exactly one argument (0 given)") }
                return .int(try items.filter { try Py.equal($0, x) }.count)
            }
            case "index": return bound(name) { a in
                guard let x = a.positional.first else { throw Fail.render("index expected at least 1 argument, got 0") }
                for (i, y) in items.enumerated() where try Py.equal(x, y) { return .int(i) }
                throw Fail.render("\((try? Py.repr(x)) ?? "value") is not in \(v.pythonType)")
            }
            case "copy":
                if case .list = v { return bound(name) { _ in .list(items) } }
                return nil
            case "append", "clear", "extend", "insert", "pop", "remove", "reverse", "sort":
                if case .list = v { return unsafe(name, v) }
                return nil
            default: return nil
            }
        default:
            return nil
        }
    }

    private static func stringMethod(_ s: String, _ name: String) -> Value? {
        switch name {
        case "strip", "lstrip", "rstrip":
            return bound(name) { a in
                .string(Py.strip(s, try a.string(0, "chars"), left: name != "rstrip", right: name != "lstrip"))
            }
        case "split", "rsplit":
            return bound(name) { a in
                .list(try Py.split(s, try a.string(0, "sep"), maxSplit: try a.int(1, "maxsplit") ?? -1,
                                   fromRight: name == "rsplit").map { .string($0) })
            }
        case "splitlines":
            return bound(name) { a in .list(Py.splitLines(s, keepEnds: a.bool(0, "keepends", false)).map { .string($0) }) }
        case "startswith", "endswith":
            return bound(name) { a in
                if a.positional.count > 1 { throw Fail.unsupported("\(name)() with start/end positions") }
                let options: [Value]
                switch a.get(0, "prefix") {
                case .string(let p)?: options = [.string(p)]
                case .tuple(let t)?: options = t
                default: throw Fail.render("\(name) first arg must be str or a tuple of str")
                }
                for case .string(let p) in options {
                    if name == "startswith" ? s.utf8.starts(with: p.utf8) : s.utf8.reversed().starts(with: p.utf8.reversed()) {
                        return .bool(true)
                    }
                }
                return .bool(false)
            }
        case "upper": return bound(name) { _ in .string(Py.upper(s)) }
        case "lower", "casefold": return bound(name) { _ in .string(Py.lower(s)) }
        case "title": return bound(name) { _ in .string(Py.title(s)) }
        case "capitalize": return bound(name) { _ in .string(Py.capitalize(s)) }
        case "swapcase":
            return bound(name) { _ in
                .string(s.unicodeScalars.map { $0.properties.isUppercase ? $0.properties.lowercaseMapping
                    : $0.properties.isLowercase ? $0.properties.uppercaseMapping : String($0) }.joined())
            }
        case "replace":
            return bound(name) { a in
                guard let old = try a.string(0, "old"), let new = try a.string(1, "new") else {
                    throw Fail.render("replace expected at least 2 arguments")
                }
                return .string(try Py.replace(s, old, new, count: try a.int(2, "count") ?? -1))
            }
        case "find", "rfind", "index", "rindex", "count":
            return bound(name) { a in
                guard let sub = try a.string(0, "sub") else { throw Fail.render("\(name)() takes at least 1 argument (0 given)") }
                let hay = Array(s.utf8)
                if name == "count" {
                    return .int(sub.isEmpty ? s.unicodeScalars.count + 1 : Py.occurrences(hay, Array(sub.utf8)).count)
                }
                let n = Array(sub.utf8)
                var hits: [Int] = sub.isEmpty ? [0, hay.count] : []
                if !sub.isEmpty, n.count <= hay.count {
                    hits = (0...(hay.count - n.count)).filter { hay[$0..<($0 + n.count)].elementsEqual(n) }
                }
                guard let byte = name.hasPrefix("r") ? hits.last : hits.first else {
                    if name.hasSuffix("index") { throw Fail.render("substring not found") }
                    return .int(-1)
                }
                return .int(String(decoding: hay[..<byte], as: UTF8.self).unicodeScalars.count)
            }
        case "join":
            return bound(name) { a in
                let items = try Interpreter.iterate(a.get(0, "iterable") ?? .list([]))
                var parts: [String] = []
                for (i, x) in items.enumerated() {
                    guard case .string(let t) = x else {
                        throw Fail.render("sequence item \(i): expected str instance, \(x.pythonType) found")
                    }
                    parts.append(t)
                }
                try Py.checkSize(parts.reduce(0) { $0 + $1.utf8.count } + s.utf8.count * max(0, parts.count - 1))
                return .string(parts.joined(separator: s))
            }
        case "isdigit", "isdecimal", "isnumeric":
            return bound(name) { _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.numericType != nil }) }
        case "isalpha": return bound(name) { _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(\.properties.isAlphabetic)) }
        case "isalnum":
            return bound(name) { _ in
                .bool(!s.isEmpty && s.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
            }
        case "isspace": return bound(name) { _ in .bool(!s.isEmpty && s.unicodeScalars.allSatisfy(Py.isSpace)) }
        case "isascii": return bound(name) { _ in .bool(s.unicodeScalars.allSatisfy(\.isASCII)) }
        case "isupper", "islower":
            return bound(name) { _ in
                let cased = s.unicodeScalars.filter(Py.isCased)
                let want: (Unicode.Scalar) -> Bool = name == "isupper" ? { !$0.properties.isLowercase } : { !$0.properties.isUppercase }
                return .bool(!cased.isEmpty && cased.allSatisfy(want))
            }
        case "removeprefix", "removesuffix":
            return bound(name) { a in
                let p = Array((try a.string(0, "prefix") ?? "").utf8), b = Array(s.utf8)
                if name == "removeprefix", b.starts(with: p) { return .string(String(decoding: b[p.count...], as: UTF8.self)) }
                if name == "removesuffix", !p.isEmpty, b.reversed().starts(with: p.reversed()) {
                    return .string(String(decoding: b[..<(b.count - p.count)], as: UTF8.self))
                }
                return .string(s)
            }
        case "zfill", "ljust", "rjust", "center":
            return bound(name) { a in
                let width = try a.int(0, "width") ?? 0
                try Py.checkSize(width)
                let n = s.unicodeScalars.count
                guard width > n else { return .string(s) }
                let fill = name == "zfill" ? "0" : (try a.string(1, "fillchar") ?? " ")
                guard fill.unicodeScalars.count == 1 else { throw Fail.render("The fill character must be exactly one character long") }
                let pad = width - n
                switch name {
                case "ljust": return .string(s + String(repeating: fill, count: pad))
                case "center":
                    let left = pad / 2 + (pad & width & 1)
                    return .string(String(repeating: fill, count: left) + s + String(repeating: fill, count: pad - left))
                case "zfill" where s.hasPrefix("-") || s.hasPrefix("+"):
                    return .string(String(s.prefix(1)) + String(repeating: "0", count: pad) + s.dropFirst())
                default: return .string(String(repeating: fill, count: pad) + s)
                }
            }
        case "partition", "rpartition":
            return bound(name) { a in
                guard let sep = try a.string(0, "sep"), !sep.isEmpty else { throw Fail.render("empty separator") }
                let parts = try Py.split(s, sep, maxSplit: 1, fromRight: name == "rpartition")
                if parts.count == 2 { return .tuple([.string(parts[0]), .string(sep), .string(parts[1])]) }
                return name == "partition" ? .tuple([.string(s), .string(""), .string("")]) : .tuple([.string(""), .string(""), .string(s)])
            }
        case "format":
            return bound(name) { a in .string(try Jinja.format(s, a.positional, a.keywords)) }
        case "format_map", "encode", "expandtabs", "translate", "maketrans", "istitle", "isidentifier",
             "isprintable":
            return bound(name) { _ in throw Fail.unsupported("the string method \(name)()") }
        default:
            return nil
        }
    }
}
