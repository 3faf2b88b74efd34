import Foundation
import SPJSON

/// The template language's interpreter (internal). Names follow jinja2 3.1.6 (`lexer.py`,
/// `parser.py`, `runtime.py`, `filters.py`, `tests.py`), which is what transformers renders with.
enum Jinja {}

extension Jinja {
    /// A failure without a line yet; the expression evaluator adds the line of the node it was
    /// evaluating (`at(_:)`).
    struct Fail: Error {
        enum Kind { case render, unsupported }
        var kind: Kind
        var message: String

        static func render(_ m: String) -> Fail { Fail(kind: .render, message: m) }
        static func unsupported(_ m: String) -> Fail { Fail(kind: .unsupported, message: m) }

        func at(_ line: Int) -> ChatTemplateError {
            kind == .render ? .render(line: line, message: message) : .unsupported(line: line, feature: message)
        }
    }

    /// Jinja's default `Undefined`: empty when printed, falsy, iterates as nothing; any other use
    /// (arithmetic, attributes, calls) fails with the message Jinja gives.
    struct Undefined {
        var message: String

        static func name(_ n: String) -> Undefined { Undefined(message: "'\(n)' is undefined") }

        static func attribute(_ name: String, of v: Value) -> Undefined {
            Undefined(message: "\(Py.repr(v.typeDescription)) has no attribute \(Py.repr(name))")
        }

        static func element(_ key: Value, of v: Value) -> Undefined {
            if case .string(let s) = key { return attribute(s, of: v) }
            let k = (try? Py.repr(key)) ?? "?"
            return Undefined(message: "\(Py.repr(v.typeDescription)) has no element \(k)")
        }

        func fail() -> Fail { .render(message) }
    }

    /// A runtime value: Python's types as a template sees them.
    indirect enum Value {
        case undefined(Undefined)
        case none
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
        case markup(String)  // markupsafe's `Markup` (from `| safe` or `| escape`): `+` escapes plain strings
        case list([Value])
        case tuple([Value])
        case dict(Dict)
        case namespace(Namespace)
        case macro(Macro)
        case function(Function)
        case loop(LoopState)
        case iterator(Iterator)

        /// Python's truth value.
        var truthy: Bool {
            switch self {
            case .undefined, .none: return false
            case .bool(let b): return b
            case .int(let i): return i != 0
            case .float(let d): return d != 0
            case .string(let s), .markup(let s): return !s.isEmpty
            case .list(let a), .tuple(let a): return !a.isEmpty
            case .dict(let d): return !d.isEmpty
            case .namespace, .macro, .function, .loop, .iterator: return true
            }
        }

        /// A `Markup` as the `str` it is; anything else unchanged.
        var plain: Value {
            if case .markup(let s) = self { return .string(s) }
            return self
        }

        var isMarkup: Bool {
            if case .markup = self { return true }
            return false
        }

        var isUndefined: Bool {
            if case .undefined = self { return true }
            return false
        }

        /// `object_type_repr` in jinja2/utils.py: "dict object", "None", …
        var typeDescription: String {
            if case .none = self { return "None" }
            return "\(pythonType) object"
        }

        /// Python's `type(x).__name__`.
        var pythonType: String {
            switch self {
            case .undefined: return "Undefined"
            case .none: return "NoneType"
            case .bool: return "bool"
            case .int: return "int"
            case .float: return "float"
            case .string: return "str"
            case .markup: return "Markup"
            case .list: return "list"
            case .tuple: return "tuple"
            case .dict: return "dict"
            case .namespace: return "Namespace"
            case .macro: return "Macro"
            case .function: return "function"
            case .loop: return "LoopContext"
            case .iterator(let it): return it.typeName
            }
        }

        /// The value as a number (bool is an int in Python), or nil.
        var number: Double? {
            switch self {
            case .bool(let b): return b ? 1 : 0
            case .int(let i): return Double(i)
            case .float(let d): return d
            default: return nil
            }
        }

        /// The value as an exact int (bool included), or nil.
        var integer: Int? {
            switch self {
            case .bool(let b): return b ? 1 : 0
            case .int(let i): return i
            default: return nil
            }
        }

        /// Converts JSON input (messages, tools, extra variables) the way Python's `json` module
        /// would have built it; `depth` guards against input nested past what printing can handle.
        init(json: JSONValue, depth: Int = 0) throws {
            if depth > Py.maxDepth {
                throw ChatTemplateError.argument("input nested deeper than \(Py.maxDepth) levels")
            }
            switch json {
            case .null: self = .none
            case .bool(let b): self = .bool(b)
            case .int(let i): self = .int(i)
            case .largeInt(let t): self = .float(Double(t) ?? .nan)  // Value's ints are Int
            case .double(let d): self = .float(d)
            case .string(let s): self = .string(s)
            case .array(let a): self = .list(try a.map { try Value(json: $0, depth: depth + 1) })
            case .object(let pairs):
                var d = Dict()
                for (k, v) in pairs { d[.string(k)] = try Value(json: v, depth: depth + 1) }
                self = .dict(d)
            }
        }
    }

    /// A Python dict: insertion-ordered; keys compare with Python's `==` (so 1 and 1.0 are one key).
    struct Dict {
        private(set) var keys: [Value] = []
        private(set) var values: [Value] = []

        var isEmpty: Bool { keys.isEmpty }
        var count: Int { keys.count }
        var pairs: Zip2Sequence<[Value], [Value]> { zip(keys, values) }

        func index(of key: Value) -> Int? {
            if case .string(let s) = key {
                return keys.firstIndex { if case .string(let k) = $0 { return k.utf8.elementsEqual(s.utf8) } else { return false } }
            }
            return keys.firstIndex { (try? Py.equal($0, key)) ?? false }
        }

        subscript(key: Value) -> Value? {
            get { index(of: key).map { values[$0] } }
            set {
                if let i = index(of: key) {
                    if let newValue { values[i] = newValue } else { keys.remove(at: i); values.remove(at: i) }
                } else if let newValue {
                    keys.append(key)
                    values.append(newValue)
                }
            }
        }

        subscript(name: String) -> Value? {
            get { self[.string(name)] }
            set { self[.string(name)] = newValue }
        }
    }

    /// `namespace(…)`: the one mutable object a template has (`{% set ns.x = … %}`).
    final class Namespace {
        var attributes: Dict
        init(_ attributes: Dict) { self.attributes = attributes }
    }

    /// A callable: a global such as `range` or `raise_exception`, or a bound method (`'a b'.split`).
    final class Function {
        typealias Body = (_ args: [Value], _ kwargs: [(String, Value)], _ interpreter: Interpreter) throws -> Value
        let name: String
        let body: Body
        init(_ name: String, _ body: @escaping Body) {
            self.name = name
            self.body = body
        }
    }

    /// A `{% macro %}` with the scope it was defined in (its free names resolve there at call time).
    final class Macro {
        let definition: MacroDefinition
        let scope: Scope
        init(_ definition: MacroDefinition, scope: Scope) {
            self.definition = definition
            self.scope = scope
        }
    }

    /// A one-pass Python iterator: what `map`, `select`, `unique`, `items`, `reverse`, … return in
    /// jinja2. Always truthy, no `len()`, not JSON serializable, exhausted once iterated.
    final class Iterator {
        let typeName: String  // "generator", "list_reverseiterator", …
        let label: String  // the generator function's name, for printing
        private var items: [Value]
        private var position = 0

        init(_ typeName: String, _ label: String, _ items: [Value]) {
            self.typeName = typeName
            self.label = label
            self.items = items
        }

        /// The items not consumed yet; they are consumed.
        func drain() -> [Value] {
            defer { position = items.count }
            return Array(items[position...])
        }

        /// The next item, consumed, or nil at the end.
        func next() -> Value? {
            guard position < items.count else { return nil }
            defer { position += 1 }
            return items[position]
        }

        static func generator(_ label: String, _ items: [Value]) -> Value { .iterator(Iterator("generator", label, items)) }
    }

    /// The `loop` variable of a `for` (jinja2's `LoopContext`).
    struct LoopState {
        var index0: Int
        var items: [Value]
        var length: Int { items.count }
    }
}
