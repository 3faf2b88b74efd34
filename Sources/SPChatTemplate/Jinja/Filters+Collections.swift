import Foundation

/// The filters over sequences: `map`, `select`/`reject` (and the `attr` forms), `sort`, `dictsort`,
/// `unique`, `min`/`max`, `sum`, `batch`.
extension Jinja.Interpreter {
    func collectionFilter(_ name: String, _ v: Value, _ a: Jinja.Args) throws -> Value {
        let caseSensitive = a.bool(name == "sort" ? 1 : 0, "case_sensitive", false)
        switch name {
        case "batch":
            guard let n = try a.int(0, "linecount"), n > 0 else { throw Fail.render("batch() needs a positive line count") }
            try Py.checkItems(n)
            let items = try Jinja.Interpreter.iterate(v)
            var rows: [Value] = []
            var i = 0
            while i < items.count {
                var row = Array(items[i..<min(i + n, items.count)])
                if row.count < n, let fill = a.get(1, "fill_with") { row += Array(repeating: fill, count: n - row.count) }
                rows.append(.list(row))
                i += n
            }
            return Jinja.Iterator.generator("do_batch", rows)
        case "dictsort":
            guard case .dict(let d) = v else { throw Fail.render("dictsort expects a mapping, got \(v.pythonType)") }
            let by = try a.string(1, "by") ?? "key"
            guard by == "key" || by == "value" else { throw Fail.render("You can only sort by either \"key\" or \"value\"") }
            let pairs = d.pairs.map { Value.tuple([$0, $1]) }
            return .list(try Jinja.stableSort(pairs, reverse: a.bool(2, "reverse", false)) { p in
                guard case .tuple(let kv) = p else { return p }
                let x = kv[by == "key" ? 0 : 1]
                if !caseSensitive, case .string(let s) = x { return .string(Py.lower(s)) }
                return x
            })
        case "sort":
            let items = try Jinja.Interpreter.iterate(v)
            var getters: [(Value) throws -> Value] = [{ $0 }]
            if case .string(let attrs)? = a.get(2, "attribute") {
                getters = try Py.split(attrs, ",").map { try Jinja.attrGetter(.string($0)) }
            } else if let attr = a.get(2, "attribute") {
                getters = [try Jinja.attrGetter(attr)]
            }
            return .list(try Jinja.stableSort(items, reverse: a.bool(0, "reverse", false)) { x in
                .list(try getters.map { g in
                    let k = try g(x)
                    if !caseSensitive, case .string(let s) = k { return .string(Py.lower(s)) }
                    return k
                })
            })
        case "unique":
            let key = try keyFunction(a.get(1, "attribute"), caseSensitive)
            var seen: [Value] = [], out: [Value] = []
            for x in try Jinja.Interpreter.iterate(v) {
                let k = try key(x)
                if try !seen.contains(where: { try Py.equal($0, k) }) {
                    seen.append(k)
                    out.append(x)
                }
            }
            return Jinja.Iterator.generator("sync_do_unique", out)
        case "min", "max":
            let items = try Jinja.Interpreter.iterate(v)
            guard var best = items.first else { return .undefined(Jinja.Undefined(message: "No aggregated item, sequence was empty.")) }
            let key = try keyFunction(a.get(1, "attribute"), caseSensitive)
            var bestKey = try key(best)
            for x in items.dropFirst() {
                let k = try key(x)
                if name == "max" ? try Py.less(bestKey, k) : try Py.less(k, bestKey) {
                    best = x
                    bestKey = k
                }
            }
            return best
        case "sum":
            var items = try Jinja.Interpreter.iterate(v)
            if let attr = a.get(0, "attribute") { items = try items.map { try Jinja.attrGetter(attr)($0) } }
            return try items.reduce(a.get(1, "start") ?? .int(0)) { try Jinja.arithmetic("+", $0, $1) }
        case "map":
            guard v.truthy else { return Jinja.Iterator.generator("sync_do_map", []) }  // jinja2's `if value:`
            let items = try Jinja.Interpreter.iterate(v)
            if a.positional.isEmpty, let attr = a.keywords.first(where: { $0.0 == "attribute" })?.1 {
                let fallback = a.keywords.first { $0.0 == "default" }?.1
                let get = try Jinja.attrGetter(attr, default: fallback.flatMap { if case .none = $0 { return nil } else { return $0 } })
                return Jinja.Iterator.generator("sync_do_map", try items.map(get))
            }
            guard case .string(let filterName)? = a.positional.first else { throw Fail.render("map requires a filter argument") }
            guard Jinja.filterNames.contains(filterName) else { throw Fail.render("No filter named '\(filterName)' found.") }
            let rest = Array(a.positional.dropFirst())
            return Jinja.Iterator.generator("sync_do_map", try items.map { try applyFilter(filterName, $0, rest, a.keywords) })
        case "select", "reject", "selectattr", "rejectattr":
            guard v.truthy else { return Jinja.Iterator.generator("select_or_reject", []) }  // jinja2's `if value:`
            let byAttribute = name.hasSuffix("attr")
            var args = a.positional
            var get: (Value) throws -> Value = { $0 }
            if byAttribute {
                guard !args.isEmpty else { throw Fail.render("Missing parameter for attribute name") }
                get = try Jinja.attrGetter(args.removeFirst())
            }
            var testName: String?
            if !args.isEmpty {
                guard case .string(let t) = args.removeFirst() else { throw Fail.render("the test name must be a string") }
                testName = t
            }
            let keep = name.hasPrefix("select")
            return Jinja.Iterator.generator("select_or_reject", try Jinja.Interpreter.iterate(v).filter { x in
                let y = try get(x)
                let passed = try testName.map { try test($0, y, args, a.keywords) } ?? y.truthy
                return passed == keep
            })
        case "filesizeformat", "groupby", "pprint", "random", "slice", "striptags", "urlencode", "urlize", "wordwrap",
             "xmlattr":
            throw Fail.unsupported("the '\(name)' filter")
        default:
            throw Fail.render("No filter named '\(name)' found.")
        }
    }

    /// The sort key of `unique`, `min` and `max`: the item or its attribute, lower-cased unless
    /// `caseSensitive`.
    private func keyFunction(_ attribute: Value?, _ caseSensitive: Bool) throws -> (Value) throws -> Value {
        let get = try attribute.map { try Jinja.attrGetter($0) } ?? { $0 }
        return { x in
            let k = try get(x)
            if !caseSensitive, case .string(let s) = k { return .string(Py.lower(s)) }
            return k
        }
    }
}

extension Jinja {
    /// Python's `sorted(items, key=key, reverse=reverse)`: stable, equal keys keep their order
    /// even when reversed, and keys of mixed types fail as in Python.
    static func stableSort<T>(_ items: [T], reverse: Bool, key: (T) throws -> Value) throws -> [T] {
        let keys = try items.map(key)
        var order = Array(items.indices)
        func before(_ i: Int, _ j: Int) throws -> Bool { reverse ? try Py.less(keys[j], keys[i]) : try Py.less(keys[i], keys[j]) }
        // Merge sort on indices (a throwing comparator rules out the standard library's sort).
        var width = 1
        var buffer = order
        while width < order.count {
            var lo = 0
            while lo < order.count {
                let mid = min(lo + width, order.count), hi = min(lo + 2 * width, order.count)
                var i = lo, j = mid, k = lo
                while i < mid && j < hi {
                    if try before(order[j], order[i]) { buffer[k] = order[j]; j += 1 } else { buffer[k] = order[i]; i += 1 }
                    k += 1
                }
                while i < mid { buffer[k] = order[i]; i += 1; k += 1 }
                while j < hi { buffer[k] = order[j]; j += 1; k += 1 }
                lo = hi
            }
            swap(&order, &buffer)
            width *= 2
        }
        return order.map { items[$0] }
    }
}
