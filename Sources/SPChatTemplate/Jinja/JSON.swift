import Foundation
import SPJSON

extension Jinja {
    /// Python's `json.dumps`, as transformers' `tojson` filter calls it: `ensure_ascii=False` by
    /// default (so no HTML escaping, unlike jinja2's own `tojson`), `indent`, `separators`,
    /// `sort_keys`. Keys keep insertion order; floats print as Python's `repr`. The value is
    /// converted to a ``JSONValue`` and written by SPJSON's Python writer.
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
            var seps: (item: String, key: String)?
            if let separators {
                let items = try Interpreter.iterate(separators)
                guard items.count == 2, case .string(let i) = items[0], case .string(let k) = items[1] else {
                    throw Fail.render("separators must be a pair of strings")
                }
                seps = (i, k)
            }
            let value = try json(v, sortKeys: sortKeys, level: 0)
            guard let text = value.dumps(indentText: pad, ensureASCII: ensureASCII, separators: seps,
                                         maxBytes: Py.maxStringBytes) else {
                throw Fail.render("result longer than \(Py.maxStringBytes) bytes")
            }
            return text
        }

        /// The JSON value `json.dumps` writes for `v`: dict keys converted as json converts them,
        /// sorted first (with Python's ordering of the original keys) when `sortKeys`.
        static func json(_ v: Value, sortKeys: Bool, level: Int) throws -> JSONValue {
            if level > Py.maxDepth { throw Fail.render("maximum recursion depth exceeded while encoding a JSON object") }
            switch v {
            case .none: return .null
            case .bool(let b): return .bool(b)
            case .int(let i): return .int(i)
            case .float(let d): return .double(d)
            case .string(let s), .markup(let s): return .string(s)
            case .list(let items), .tuple(let items):
                return .array(try items.map { try json($0, sortKeys: sortKeys, level: level + 1) })
            case .dict(let d):
                var pairs = Array(d.pairs)
                if sortKeys { pairs = try stableSort(pairs, reverse: false) { $0.0 } }
                return .object(JSONObject(try pairs.map { (try key($0.0), try json($0.1, sortKeys: sortKeys, level: level + 1)) }))
            default:
                throw Fail.render("Object of type \(v.pythonType) is not JSON serializable")
            }
        }

        /// A dict key as JSON writes it: str as is; int, float, bool and None converted.
        static func key(_ k: Value) throws -> String {
            switch k {
            case .string(let s), .markup(let s): return s
            case .int(let i): return String(i)
            case .float(let d): return JSONValue.pythonRepr(d)
            case .bool(let b): return b ? "true" : "false"
            case .none: return "null"
            default: throw Fail.render("keys must be str, int, float, bool or None, not \(k.pythonType)")
            }
        }
    }
}
