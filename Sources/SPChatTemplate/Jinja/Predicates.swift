import Foundation

/// jinja2 3.1's tests (tests.py): `x is defined`, `x is none`, `x is string`, `x is divisibleby 3`, …
extension Jinja.Interpreter {
    func test(_ name: String, _ v: Value, _ args: [Value], _ kwargs: [(String, Value)]) throws -> Bool {
        let a = Jinja.Args(args, kwargs, name)
        func other() throws -> Value {
            guard let x = a.raw(0, "other") ?? a.raw(0, "value") ?? a.raw(0, "num") ?? a.raw(0, "seq") else {
                throw Fail.render("the '\(name)' test needs an argument")
            }
            return x
        }
        switch name {
        case "defined": return !v.isUndefined
        case "undefined": return v.isUndefined
        case "none": if case .none = v { return true } else { return false }
        case "boolean": if case .bool = v { return true } else { return false }
        case "true": if case .bool(true) = v { return true } else { return false }
        case "false": if case .bool(false) = v { return true } else { return false }
        case "integer": if case .int = v { return true } else { return false }
        case "float": if case .float = v { return true } else { return false }
        case "number": return v.number != nil
        case "string":
            switch v {
            case .string, .markup: return true
            default: return false
            }
        case "mapping": if case .dict = v { return true } else { return false }
        case "sequence", "iterable":
            switch v {
            case .string, .markup, .list, .tuple, .dict, .undefined: return true
            case .iterator: return name == "iterable"
            default: return false
            }
        case "callable":
            switch v {
            case .macro, .function, .undefined: return true
            default: return false
            }
        case "escaped": if case .markup = v { return true } else { return false }
        case "odd", "even":
            if case .undefined(let u) = v { throw u.fail() }
            let r = try Jinja.arithmetic("%", v, .int(2))
            return try Py.equal(r, .int(name == "odd" ? 1 : 0))
        case "divisibleby":
            return try Py.equal(try Jinja.arithmetic("%", v, try other()), .int(0))
        case "lower", "upper":
            let s = try Py.str(v)
            let cased = s.unicodeScalars.filter(Py.isCased)
            return !cased.isEmpty && cased.allSatisfy { name == "lower" ? !$0.properties.isUppercase : !$0.properties.isLowercase }
        case "sameas":
            switch (v, try other()) {
            case (.none, .none): return true
            case (.bool(let x), .bool(let y)): return x == y
            case (.namespace(let x), .namespace(let y)): return x === y
            case (.macro(let x), .macro(let y)): return x === y
            case (.int(let x), .int(let y)): return x == y && x >= -5 && x <= 256  // CPython's cached small ints
            default: return false
            }
        case "in": return try Jinja.contains(try other(), v)
        case "filter":
            if case .string(let s) = v { return Jinja.filterNames.contains(s) }
            return false
        case "test":
            if case .string(let s) = v { return Jinja.testNames.contains(s) }
            return false
        case "==", "eq", "equalto": return try Jinja.compare("==", v, try other())
        case "!=", "ne": return try Jinja.compare("!=", v, try other())
        case ">", "gt", "greaterthan": return try Jinja.compare(">", v, try other())
        case ">=", "ge": return try Jinja.compare(">=", v, try other())
        case "<", "lt", "lessthan": return try Jinja.compare("<", v, try other())
        case "<=", "le": return try Jinja.compare("<=", v, try other())
        default: throw Fail.render("No test named '\(name)' found.")
        }
    }
}
