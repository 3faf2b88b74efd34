import Foundation

extension Jinja {
    /// Python's `json.dumps`, as transformers' `tojson` filter calls it: `ensure_ascii=False` by
    /// default (so no HTML escaping, unlike jinja2's own `tojson`), `indent`, `separators`,
    /// `sort_keys`. Keys keep insertion order; floats print as Python's `repr`.
    enum JSON {
        static func dumps(_ v: Value, ensureASCII: Bool, indent: Value?, separators: Value?, sortKeys: Bool) throws -> String {
            var pad: String?
            switch indent {
            case nil: pad = nil
            case .string(let s)?: pad = s
            case let x? where x.integer != nil:
                let n = x.integer!
                try Py.checkSize(n)
                pad = String(repeating: " ", count: max(0, n))
            case let x?: throw Fail.render("indent must be an int or a string, not \(x.pythonType)")
            }
            var itemSep = pad == nil ? ", " : ",", keySep = ": "
            if let separators {
                let items = try Interpreter.iterate(separators)
                guard items.count == 2, case .string(let i) = items[0], case .string(let k) = items[1] else {
                    throw Fail.render("separators must be a pair of strings")
                }
                (itemSep, keySep) = (i, k)
            }
            var w = Writer(ensureASCII: ensureASCII, pad: pad, itemSep: itemSep, keySep: keySep, sortKeys: sortKeys)
            try w.write(v, level: 0)
            return w.out
        }

        struct Writer {
            let ensureASCII: Bool
            let pad: String?
            let itemSep: String, keySep: String
            let sortKeys: Bool
            var out = ""

            mutating func newline(_ level: Int) {
                guard let pad else { return }
                out += "\n" + String(repeating: pad, count: level)
            }

            mutating func write(_ v: Value, level: Int) throws {
                if level > Py.maxDepth { throw Fail.render("maximum recursion depth exceeded while encoding a JSON object") }
                switch v {
                case .none: out += "null"
                case .bool(let b): out += b ? "true" : "false"
                case .int(let i): out += String(i)
                case .float(let d): out += JSON.float(d)
                case .string(let s), .markup(let s): string(s)
                case .list(let items), .tuple(let items):
                    if items.isEmpty { out += "[]"; return }
                    out += "["
                    for (i, x) in items.enumerated() {
                        if i > 0 { out += itemSep }
                        newline(level + 1)
                        try write(x, level: level + 1)
                    }
                    newline(level)
                    out += "]"
                case .dict(let d):
                    if d.isEmpty { out += "{}"; return }
                    var pairs = Array(d.pairs)
                    if sortKeys { pairs = try stableSort(pairs, reverse: false) { $0.0 } }
                    out += "{"
                    for (i, (k, x)) in pairs.enumerated() {
                        if i > 0 { out += itemSep }
                        newline(level + 1)
                        string(try JSON.key(k))
                        out += keySep
                        try write(x, level: level + 1)
                    }
                    newline(level)
                    out += "}"
                default:
                    throw Fail.render("Object of type \(v.pythonType) is not JSON serializable")
                }
                try Py.checkSize(out.utf8.count)
            }

            /// A JSON string literal as Python's `json.dumps` writes it (see ``JSONValue/writeString``).
            mutating func string(_ s: String) {
                JSONValue.writeString(s, to: &out, ensureASCII: ensureASCII)
            }
        }

        static func float(_ d: Double) -> String {
            if d.isNaN { return "NaN" }
            if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
            return Py.float(d)
        }

        /// A dict key as JSON writes it: str as is; int, float, bool and None converted.
        static func key(_ k: Value) throws -> String {
            switch k {
            case .string(let s), .markup(let s): return s
            case .int(let i): return String(i)
            case .float(let d): return float(d)
            case .bool(let b): return b ? "true" : "false"
            case .none: return "null"
            default: throw Fail.render("keys must be str, int, float, bool or None, not \(k.pythonType)")
            }
        }
    }
}
