import Foundation

/// `a.b`, `a[b]` and `a[lo:hi:step]` as jinja2's `ImmutableSandboxedEnvironment` resolves them:
/// `a.b` looks for a Python attribute first (dict and str methods) and then the item `b`; `a[b]`
/// looks for the item first. What is missing is `Undefined`; names starting with `_` and methods
/// that mutate are refused by the sandbox.
extension Jinja {
    static func attribute(_ value: Value, _ name: String) throws -> Value {
        let v = value.plain
        if case .undefined(let u) = v { throw u.fail() }
        if name.hasPrefix("_") {
            return .undefined(Undefined(message: "access to attribute '\(name)' of '\(v.pythonType)' object is unsafe."))
        }
        if let m = method(v, name) { return m }
        switch v {
        case .dict(let d): return d[name] ?? .undefined(.attribute(name, of: v))
        case .namespace(let n): return n.attributes[name] ?? .undefined(.attribute(name, of: v))
        case .loop(let l): return loopAttribute(l, name) ?? .undefined(.attribute(name, of: v))
        case .int, .bool, .float:
            switch (name, v) {
            case ("real", .float), ("imag", .float): return .float(name == "real" ? v.number ?? 0 : 0)
            case ("real", _), ("numerator", _): if let i = v.integer { return .int(i) }
            case ("imag", _): return .int(0)
            case ("denominator", _): if v.integer != nil { return .int(1) }
            default: break
            }
            return .undefined(.attribute(name, of: v))
        default: return .undefined(.attribute(name, of: v))
        }
    }

    static func item(_ value: Value, _ index: Value) throws -> Value {
        let v = value.plain, key = index.plain
        if case .undefined(let u) = v { throw u.fail() }
        switch v {
        case .dict(let d):
            if let x = d[key] { return x }
        case .list(let a), .tuple(let a):
            if let i = key.integer {
                let j = i < 0 ? i + a.count : i
                if j >= 0 && j < a.count { return a[j] }
                return .undefined(.element(key, of: v))
            }
        case .string(let s):
            if let i = key.integer {
                let u = Py.scalars(s)
                let j = i < 0 ? i + u.count : i
                if j >= 0 && j < u.count { return .string(String(u[j])) }
                return .undefined(.element(key, of: v))
            }
        default:
            break
        }
        if case .string(let name) = key {
            if name.hasPrefix("_") { return .undefined(.element(key, of: v)) }
            if let m = method(v, name) { return m }
            if case .namespace(let n) = v, let x = n.attributes[name] { return x }
            if case .loop(let l) = v, let x = loopAttribute(l, name) { return x }
        }
        return .undefined(.element(key, of: v))
    }

    /// Python's `seq[lo:hi:step]` on lists, tuples and strings; bad bounds give Undefined (jinja2
    /// swallows the `TypeError`), a zero step fails.
    static func slice(_ value: Value, _ lo: Value?, _ hi: Value?, _ step: Value?) throws -> Value {
        let v = value.plain
        if case .undefined(let u) = v { throw u.fail() }
        func bound(_ b: Value?) -> (ok: Bool, value: Int?) {
            guard let b else { return (true, nil) }
            if case .none = b { return (true, nil) }
            if let i = b.integer { return (true, i) }
            return (false, nil)
        }
        let (okLo, start) = bound(lo), (okHi, stop) = bound(hi), (okStep, stepValue) = bound(step)
        let undefined = Value.undefined(Undefined(message: "\(Py.repr(v.typeDescription)) has no element slice"))
        guard okLo, okHi, okStep else { return undefined }
        let k = stepValue ?? 1
        if k == 0 { throw Fail.render("slice step cannot be zero") }
        func indices(_ n: Int) -> [Int] {
            let lower = k > 0 ? 0 : -1, upper = k > 0 ? n : n - 1
            func clamp(_ x: Int?, _ fallback: Int) -> Int {
                guard var x else { return fallback }
                if x < 0 { x = x < Int.min / 2 ? lower : x + n; if x < lower { x = lower } } else if x > upper { x = upper }
                return x
            }
            let a = clamp(start, k > 0 ? lower : upper), b = clamp(stop, k > 0 ? upper : lower)
            var out: [Int] = []
            var i = a
            while k > 0 ? i < b : i > b {
                out.append(i)
                let (next, o) = i.addingReportingOverflow(k)
                if o { break }
                i = next
            }
            return out
        }
        switch v {
        case .list(let a): return .list(indices(a.count).map { a[$0] })
        case .tuple(let a): return .tuple(indices(a.count).map { a[$0] })
        case .string(let s):
            let u = Py.scalars(s)
            return .string(Py.string(indices(u.count).map { u[$0] }))
        default: return undefined
        }
    }

    static func loopAttribute(_ l: LoopState, _ name: String) -> Value? {
        switch name {
        case "index": return .int(l.index0 + 1)
        case "index0": return .int(l.index0)
        case "revindex": return .int(l.length - l.index0)
        case "revindex0": return .int(l.length - l.index0 - 1)
        case "first": return .bool(l.index0 == 0)
        case "last": return .bool(l.index0 == l.length - 1)
        case "length": return .int(l.length)
        case "depth": return .int(1)
        case "depth0": return .int(0)
        case "previtem":
            return l.index0 > 0 ? l.items[l.index0 - 1] : .undefined(Undefined(message: "there is no previous item"))
        case "nextitem":
            return l.index0 + 1 < l.length ? l.items[l.index0 + 1] : .undefined(Undefined(message: "there is no next item"))
        case "cycle":
            return .function(Function("loop.cycle") { args, _, _ in
                guard !args.isEmpty else { throw Fail.render("no items for cycling given") }
                return args[l.index0 % args.count]
            })
        case "changed":
            return .function(Function("loop.changed") { _, _, _ in throw Fail.unsupported("loop.changed()") })
        default: return nil
        }
    }
}
