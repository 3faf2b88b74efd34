import Foundation

extension Jinja {
    /// jinja2's compile-time check of filter and test names (compiler.py `_filter_test_common`):
    /// an unknown name is an error when the template is compiled, except inside an `if` (its tests
    /// and branches) or an inline `a if b else c`, where jinja2 only fails if the filter actually
    /// runs. Loops, macros, `with` and block `set`/`filter` bodies start a strict frame again.
    enum Validator {
        static func check(_ body: [Stmt], soft: Bool) throws {
            for stmt in body {
                switch stmt {
                case .text, .loopControl: break
                case .output(let e): try check(e, soft: soft)
                case .branches(let branches, let otherwise):
                    for (test, b) in branches {
                        try check(test, soft: true)
                        try check(b, soft: true)
                    }
                    try check(otherwise, soft: true)
                case .forLoop(let f):
                    try check(f.iterable, soft: soft)
                    if let filter = f.filter { try check(filter, soft: false) }
                    try check(f.body, soft: false)
                    try check(f.otherwise, soft: false)
                case .set(_, let e, _): try check(e, soft: soft)
                case .setBlock(_, let filters, let b, _), .filterBlock(let filters, let b):
                    for f in filters { try check(f, isFilter: true, soft: false) }
                    try check(b, soft: false)
                case .macro(let m):
                    for case (_, let d?) in m.parameters { try check(d, soft: false) }
                    try check(m.body, soft: false)
                case .scoped(let assignments, let b, _):
                    for (_, e) in assignments { try check(e, soft: soft) }
                    try check(b, soft: false)
                }
            }
        }

        static func check(_ f: FilterCall, isFilter: Bool, soft: Bool) throws {
            try check(f.arguments, soft: soft)
            if soft { return }
            if isFilter, !filterNames.contains(f.name) { throw ChatTemplateError.unknownFilter(name: f.name, line: f.line) }
            if !isFilter, !testNames.contains(f.name) { throw ChatTemplateError.unknownTest(name: f.name, line: f.line) }
        }

        static func check(_ a: Arguments, soft: Bool) throws {
            for e in a.positional { try check(e, soft: soft) }
            for (_, e) in a.keywords { try check(e, soft: soft) }
            if let e = a.star { try check(e, soft: soft) }
            if let e = a.starStar { try check(e, soft: soft) }
        }

        static func check(_ e: Expr, soft: Bool) throws {
            switch e.kind {
            case .literal, .name: break
            case .list(let items), .tuple(let items): for x in items { try check(x, soft: soft) }
            case .dict(let pairs):
                for (k, v) in pairs {
                    try check(k, soft: soft)
                    try check(v, soft: soft)
                }
            case .attribute(let o, _), .unary(_, let o): try check(o, soft: soft)
            case .item(let o, let k), .binary(_, let o, let k), .and(let o, let k), .or(let o, let k):
                try check(o, soft: soft)
                try check(k, soft: soft)
            case .slice(let o, let lo, let hi, let step):
                for x in [o, lo, hi, step].compactMap({ $0 }) { try check(x, soft: soft) }
            case .call(let callee, let a):
                try check(callee, soft: soft)
                try check(a, soft: soft)
            case .filter(let input, let f):
                try check(input, soft: soft)
                try check(f, isFilter: true, soft: soft)
            case .test(let input, let t, _):
                try check(input, soft: soft)
                try check(t, isFilter: false, soft: soft)
            case .compare(let first, let ops):
                try check(first, soft: soft)
                for (_, x) in ops { try check(x, soft: soft) }
            case .condition(let test, let then, let otherwise):
                for x in [test, then, otherwise].compactMap({ $0 }) { try check(x, soft: true) }
            }
        }
    }
}
