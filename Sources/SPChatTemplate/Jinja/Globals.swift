import Foundation

extension Jinja {
    /// The names every template sees: jinja2's `range`, `dict`, `namespace` (sandboxed) and
    /// transformers' `raise_exception` and `strftime_now` (chat_template_utils.py).
    static func globals() -> [String: Value] {
        func fn(_ name: String, _ body: @escaping Function.Body) -> Value { .function(Function(name, body)) }
        func kwDict(_ args: [Value], _ kwargs: [(String, Value)], _ name: String) throws -> Dict {
            var d = Dict()
            if args.count > 1 { throw Fail.render("\(name) expected at most 1 argument, got \(args.count)") }
            if let first = args.first {
                switch first {
                case .dict(let x): d = x
                case .namespace(let n): d = n.attributes
                default:
                    for pair in try Interpreter.iterate(first) {
                        let kv = try Interpreter.iterate(pair)
                        guard kv.count == 2 else { throw Fail.render("\(name) update sequence element has length \(kv.count); 2 is required") }
                        d[kv[0]] = kv[1]
                    }
                }
            }
            for (k, v) in kwargs { d[.string(k)] = v }
            return d
        }
        return [
            "range": fn("range") { args, _, _ in
                let ints = try args.map { a -> Int in
                    guard let i = a.integer else { throw Fail.render("'\(a.pythonType)' object cannot be interpreted as an integer") }
                    return i
                }
                guard (1...3).contains(ints.count) else { throw Fail.render("range expected 1 to 3 arguments, got \(ints.count)") }
                let start = ints.count == 1 ? 0 : ints[0], stop = ints.count == 1 ? ints[0] : ints[1]
                let step = ints.count == 3 ? ints[2] : 1
                if step == 0 { throw Fail.render("range() arg 3 must not be zero") }
                let n = step > 0 ? (stop > start ? (Double(stop) - Double(start) - 1) / Double(step) + 1 : 0)
                    : (start > stop ? (Double(start) - Double(stop) - 1) / Double(-step) + 1 : 0)
                if n > 100_000 {
                    throw Fail.render("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).")
                }
                return .list(stride(from: start, to: stop, by: step).map { .int($0) })
            },
            "dict": fn("dict") { args, kwargs, _ in .dict(try kwDict(args, kwargs, "dict")) },
            "namespace": fn("namespace") { args, kwargs, _ in
                let d = try kwDict(args, kwargs, "namespace")
                for case .string(let k) in d.keys where k.hasPrefix("_") {
                    throw Fail.render("Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(k)'. Please rename the attribute.")
                }
                return .namespace(Namespace(d))
            },
            "raise_exception": fn("raise_exception") { args, kwargs, _ in
                let message = args.first ?? kwargs.first { $0.0 == "message" }?.1 ?? .none
                throw ChatTemplateError.raised(message: try Py.str(message))
            },
            "strftime_now": fn("strftime_now") { args, _, interpreter in
                guard case .string(let format)? = args.first else { throw Fail.render("strftime_now() argument must be str") }
                return .string(strftime(format, interpreter.now, interpreter.timeZone))
            },
            "lipsum": fn("lipsum") { _, _, _ in throw Fail.unsupported("lipsum()") },
            "cycler": fn("cycler") { _, _, _ in throw Fail.unsupported("cycler()") },
            "joiner": fn("joiner") { _, _, _ in throw Fail.unsupported("joiner()") },
        ]
    }

    /// Python's `datetime.now().strftime(format)` (C locale) for the local time of `date` in
    /// `timeZone`. Unknown directives are copied, as glibc does.
    static func strftime(_ format: String, _ date: Date, _ timeZone: TimeZone) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday, .nanosecond], from: date)
        let year = c.year ?? 1970, month = c.month ?? 1, day = c.day ?? 1
        let hour = c.hour ?? 0, minute = c.minute ?? 0, second = c.second ?? 0
        let weekday = ((c.weekday ?? 1) + 5) % 7  // 0 = Monday
        let dayOfYear = cal.ordinality(of: .day, in: .year, for: date) ?? 1
        let days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                      "November", "December"]
        func two(_ n: Int) -> String { String(format: "%02d", n) }
        let hour12 = hour % 12 == 0 ? 12 : hour % 12
        var out = ""
        var it = format.unicodeScalars.makeIterator()
        while let ch = it.next() {
            guard ch == "%" else { out.unicodeScalars.append(ch); continue }
            guard let d = it.next() else { out += "%"; break }
            switch d {
            case "a": out += String(days[weekday].prefix(3))
            case "A": out += days[weekday]
            case "b", "h": out += String(months[month - 1].prefix(3))
            case "B": out += months[month - 1]
            case "d": out += two(day)
            case "e": out += String(format: "%2d", day)
            case "H": out += two(hour)
            case "I": out += two(hour12)
            case "j": out += String(format: "%03d", dayOfYear)
            case "m": out += two(month)
            case "M": out += two(minute)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "S": out += two(second)
            case "f": out += String(format: "%06d", (c.nanosecond ?? 0) / 1000)
            case "y": out += two(year % 100)
            case "Y": out += String(year)
            case "u": out += String(weekday + 1)
            case "w": out += String((weekday + 1) % 7)
            case "D": out += "\(two(month))/\(two(day))/\(two(year % 100))"
            case "F": out += "\(year)-\(two(month))-\(two(day))"
            case "T", "X": out += "\(two(hour)):\(two(minute)):\(two(second))"
            case "R": out += "\(two(hour)):\(two(minute))"
            case "x": out += "\(two(month))/\(two(day))/\(two(year % 100))"
            case "c":
                out += "\(days[weekday].prefix(3)) \(months[month - 1].prefix(3)) \(String(format: "%2d", day)) "
                    + "\(two(hour)):\(two(minute)):\(two(second)) \(year)"
            case "n": out += "\n"
            case "t": out += "\t"
            case "%": out += "%"
            case "z", "Z": break  // a naive datetime has no zone
            default:
                out += "%"
                out.unicodeScalars.append(d)
            }
        }
        return out
    }
}
