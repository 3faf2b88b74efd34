import Foundation

extension Jinja {
    /// Variables of one level: the globals, the render arguments, the template, a loop iteration,
    /// a macro call or a `with` block. jinja2 scopes the same way: a `set` inside a loop or macro
    /// is local to it (which is why templates use `namespace()`), a `set` inside `if` is not.
    final class Scope {
        var vars: [String: Value] = [:]
        let parent: Scope?

        init(parent: Scope?, _ vars: [String: Value] = [:]) {
            self.parent = parent
            self.vars = vars
        }

        func lookup(_ name: String) -> Value? {
            var s: Scope? = self
            while let c = s {
                if let v = c.vars[name] { return v }
                s = c.parent
            }
            return nil
        }
    }

    /// Runs a parsed template. One instance renders once.
    final class Interpreter {
        enum Flow { case normal, breakLoop, continueLoop }

        var out = ""
        let now: Date
        let timeZone: TimeZone
        private var callDepth = 0
        /// Deepest macro recursion (jinja2 stops near here on Python's recursion limit).
        static let maxCallDepth = 40
        private let context: Scope

        init(variables: [String: Value], now: Date, timeZone: TimeZone) {
            self.now = now
            self.timeZone = timeZone
            context = Scope(parent: Scope(parent: nil, Jinja.globals()), variables)
        }

        func render(_ body: [Stmt]) throws -> String {
            _ = try exec(body, Scope(parent: context))
            return out
        }

        func write(_ s: String) throws {
            out += s
            try Py.checkSize(out.utf8.count)
        }

        func exec(_ body: [Stmt], _ scope: Scope) throws -> Flow {
            for stmt in body {
                switch stmt {
                case .text(let t):
                    try write(t)
                case .output(let e):
                    let v = try eval(e, scope)
                    do { try write(try Py.str(v)) } catch let f as Fail { throw f.at(e.line) }
                case .branches(let branches, let otherwise):
                    var chosen = otherwise
                    for (test, b) in branches where try eval(test, scope).truthy {
                        chosen = b
                        break
                    }
                    let flow = try exec(chosen, scope)
                    if flow != .normal { return flow }
                case .forLoop(let f):
                    try forLoop(f, scope)
                case .set(let target, let e, let line):
                    try assign(target, try eval(e, scope), in: scope, line: line)
                case .setBlock(let target, let filters, let b, let line):
                    var v = Value.string(try capture(b, Scope(parent: scope)))
                    for f in filters { v = try filter(f, v, scope) }
                    try assign(target, v, in: scope, line: line)
                case .macro(let m):
                    scope.vars[m.name] = .macro(Macro(m, scope: scope))
                case .filterBlock(let filters, let b):
                    var v = Value.string(try capture(b, Scope(parent: scope)))
                    for f in filters { v = try filter(f, v, scope) }
                    do { try write(try Py.str(v)) } catch let e as Fail { throw e.at(filters.first?.line ?? 0) }
                case .scoped(let assignments, let b, let line):
                    let inner = Scope(parent: scope)
                    for (t, e) in assignments { try assign(t, try eval(e, scope), in: inner, line: line) }
                    let flow = try exec(b, inner)
                    if flow != .normal { return flow }
                case .loopControl(let isBreak):
                    return isBreak ? .breakLoop : .continueLoop
                }
            }
            return .normal
        }

        /// The output of `body`, written aside (macros, `set` blocks, `filter` blocks).
        func capture(_ body: [Stmt], _ scope: Scope) throws -> String {
            let saved = out
            out = ""
            defer { out = saved }
            _ = try exec(body, scope)
            return out
        }

        func forLoop(_ f: ForLoop, _ scope: Scope) throws {
            var items: [Value]
            do { items = try Interpreter.iterate(try eval(f.iterable, scope)) } catch let e as Fail { throw e.at(f.line) }
            if let test = f.filter {
                items = try items.filter { item in
                    let s = Scope(parent: scope)
                    try assign(f.target, item, in: s, line: f.line)
                    return try eval(test, s).truthy
                }
            }
            if items.isEmpty {
                _ = try exec(f.otherwise, Scope(parent: scope))
                return
            }
            for i in items.indices {
                let s = Scope(parent: scope)
                try assign(f.target, items[i], in: s, line: f.line)
                s.vars["loop"] = .loop(LoopState(index0: i, items: items))
                if try exec(f.body, s) == .breakLoop { break }
            }
        }

        /// What `for` walks: items of a list or tuple, keys of a dict, code points of a string,
        /// nothing for an undefined value.
        static func iterate(_ v: Value) throws -> [Value] {
            switch v {
            case .list(let a), .tuple(let a): return a
            case .dict(let d): return d.keys
            case .string(let s), .markup(let s): return s.unicodeScalars.map { .string(String($0)) }
            case .iterator(let it): return it.drain()
            case .undefined: return []
            default: throw Fail.render("'\(v.pythonType)' object is not iterable")
            }
        }

        func assign(_ target: Target, _ value: Value, in scope: Scope, line: Int) throws {
            switch target {
            case .name(let n):
                scope.vars[n] = value
            case .tuple(let targets):
                let items: [Value]
                do { items = try Interpreter.iterate(value) } catch is Fail {
                    throw ChatTemplateError.render(line: line, message: "cannot unpack non-iterable \(value.pythonType) object")
                }
                guard items.count == targets.count else {
                    let m = items.count < targets.count
                        ? "not enough values to unpack (expected \(targets.count), got \(items.count))"
                        : "too many values to unpack (expected \(targets.count))"
                    throw ChatTemplateError.render(line: line, message: m)
                }
                for (t, v) in zip(targets, items) { try assign(t, v, in: scope, line: line) }
            case .namespace(let ns, let attr):
                guard case .namespace(let n)? = scope.lookup(ns) else {
                    throw ChatTemplateError.render(line: line, message: "cannot assign attribute on non-namespace object")
                }
                if attr.hasPrefix("_") {
                    throw ChatTemplateError.render(line: line, message: "Chat templates cannot store underscore-prefixed "
                        + "attributes on a namespace, but got \(Py.repr(attr)). Please rename the attribute.")
                }
                n.attributes[attr] = value
            }
        }

        /// Calls a macro: parameters by position then by keyword, defaults evaluated at the call,
        /// extras in `varargs` / `kwargs` when the body reads them (an error otherwise).
        func call(_ m: Macro, _ args: [Value], _ kwargs: [(String, Value)]) throws -> Value {
            let d = m.definition
            callDepth += 1
            defer { callDepth -= 1 }
            if callDepth > Interpreter.maxCallDepth {
                throw Fail.render("maximum recursion depth exceeded calling macro '\(d.name)'")
            }
            if args.count > d.parameters.count, !d.catchesVarargs {
                throw Fail.render("macro '\(d.name)' takes not more than \(d.parameters.count) argument(s)")
            }
            let s = Scope(parent: m.scope)
            var rest = kwargs
            for (i, (name, fallback)) in d.parameters.enumerated() {
                let k = rest.firstIndex { $0.0 == name }
                if i < args.count {
                    if k != nil { throw Fail.render("macro '\(d.name)' got multiple values for argument '\(name)'") }
                    s.vars[name] = args[i]
                } else if let k {
                    s.vars[name] = rest.remove(at: k).1
                } else if let fallback {
                    s.vars[name] = try eval(fallback, s)
                } else {
                    s.vars[name] = .undefined(Undefined(message: "parameter '\(name)' was not provided"))
                }
            }
            if let extra = rest.first, !d.catchesKwargs {
                throw Fail.render("macro '\(d.name)' takes no keyword argument '\(extra.0)'")
            }
            var kw = Dict()
            for (k, v) in rest { kw[.string(k)] = v }
            s.vars["varargs"] = .tuple(Array(args.dropFirst(d.parameters.count)))
            s.vars["kwargs"] = .dict(kw)
            return .string(try capture(d.body, s))
        }
    }
}
