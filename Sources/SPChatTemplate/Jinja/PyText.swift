import Foundation

extension Jinja {
    /// Python's `str` semantics. Python strings are sequences of code points, so every index,
    /// length and comparison here works on Unicode scalars (never on Swift `Character`s, whose
    /// equality is canonical: "é" and "e\u{301}" are different strings to Python).
    enum Py {
        /// Deepest nesting that printing, JSON and equality follow before failing (Python's
        /// recursion limit stops there too, with a `RecursionError`).
        static let maxDepth = 400

        /// Python's `str.isspace()` for one code point (the `\s` of Python's `re` as well).
        static func isSpace(_ u: Unicode.Scalar) -> Bool {
            switch u.value {
            case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
                return true
            default:
                return false
            }
        }

        static func scalars(_ s: String) -> [Unicode.Scalar] { Array(s.unicodeScalars) }

        static func string<S: Sequence>(_ scalars: S) -> String where S.Element == Unicode.Scalar {
            var v = String.UnicodeScalarView()
            v.append(contentsOf: scalars)
            return String(v)
        }

        static func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

        /// `str.strip/lstrip/rstrip([chars])`.
        static func strip(_ s: String, _ chars: String?, left: Bool = true, right: Bool = true) -> String {
            let u = scalars(s)
            let set = chars.map { Set(scalars($0)) }
            func strips(_ c: Unicode.Scalar) -> Bool { set.map { $0.contains(c) } ?? isSpace(c) }
            var lo = 0, hi = u.count
            if left { while lo < hi, strips(u[lo]) { lo += 1 } }
            if right { while hi > lo, strips(u[hi - 1]) { hi -= 1 } }
            return string(u[lo..<hi])
        }

        /// Byte offsets of the non-overlapping occurrences of `needle` (UTF-8 preserves code points,
        /// so byte search is code-point search).
        static func occurrences(_ hay: [UInt8], _ needle: [UInt8], limit: Int = Int.max) -> [Int] {
            guard !needle.isEmpty, needle.count <= hay.count else { return [] }
            var out: [Int] = []
            var i = 0
            while i <= hay.count - needle.count, out.count < limit {
                if hay[i] == needle[0], hay[i..<(i + needle.count)].elementsEqual(needle) {
                    out.append(i)
                    i += needle.count
                } else {
                    i += 1
                }
            }
            return out
        }

        static func contains(_ hay: String, _ needle: String) -> Bool {
            needle.isEmpty || !occurrences(Array(hay.utf8), Array(needle.utf8), limit: 1).isEmpty
        }

        /// `str.replace(old, new[, count])`.
        static func replace(_ s: String, _ old: String, _ new: String, count: Int = -1) throws -> String {
            let hay = Array(s.utf8), o = Array(old.utf8), n = Array(new.utf8)
            if o.isEmpty {  // Python inserts `new` between every code point and at both ends
                let u = scalars(s)
                let (extra, overflow) = (u.count + 1).multipliedReportingOverflow(by: n.count)
                if overflow { throw Fail.render("result longer than \(maxStringBytes) bytes") }
                try checkSize(hay.count + extra)
                let limit = count < 0 ? u.count + 1 : min(count, u.count + 1)
                var out = ""
                for (i, c) in u.enumerated() {
                    if i < limit { out += new }
                    out.unicodeScalars.append(c)
                }
                if limit > u.count { out += new }
                return out
            }
            let at = occurrences(hay, o, limit: count < 0 ? Int.max : count)
            if at.isEmpty { return s }
            try checkSize(hay.count + at.count * max(0, n.count - o.count))
            var out: [UInt8] = []
            out.reserveCapacity(hay.count + at.count * max(0, n.count - o.count))
            var prev = 0
            for i in at {
                out += hay[prev..<i]
                out += n
                prev = i + o.count
            }
            out += hay[prev...]
            return String(decoding: out, as: UTF8.self)
        }

        /// `str.split(sep=None, maxsplit=-1)` (and `rsplit` with `fromRight`).
        static func split(_ s: String, _ sep: String?, maxSplit: Int = -1, fromRight: Bool = false) throws -> [String] {
            guard let sep else {
                var words: [[Unicode.Scalar]] = []
                var u = scalars(s)
                if fromRight { u.reverse() }
                var i = 0
                while i < u.count {
                    while i < u.count, isSpace(u[i]) { i += 1 }
                    if i == u.count { break }
                    if maxSplit >= 0, words.count == maxSplit {
                        words.append(Array(u[i...]))  // the rest keeps its trailing whitespace
                        break
                    }
                    var w: [Unicode.Scalar] = []
                    while i < u.count, !isSpace(u[i]) { w.append(u[i]); i += 1 }
                    words.append(w)
                }
                if fromRight { return words.reversed().map { string($0.reversed()) } }
                return words.map { string($0) }
            }
            if sep.isEmpty { throw Fail.render("empty separator") }
            let hay = Array(s.utf8), n = Array(sep.utf8)
            var at = occurrences(hay, n)
            if fromRight {
                // Occurrences found from the right can differ when the separator overlaps itself.
                var r: [Int] = []
                var end = hay.count
                while end >= n.count, maxSplit < 0 || r.count < maxSplit {
                    if let i = (0...(end - n.count)).reversed().first(where: { hay[$0..<($0 + n.count)].elementsEqual(n) }) {
                        r.append(i)
                        end = i
                    } else {
                        break
                    }
                }
                at = r.reversed()
            } else if maxSplit >= 0 {
                at = Array(at.prefix(maxSplit))
            }
            var out: [String] = []
            var prev = 0
            for i in at {
                out.append(String(decoding: hay[prev..<i], as: UTF8.self))
                prev = i + n.count
            }
            out.append(String(decoding: hay[prev...], as: UTF8.self))
            return out
        }

        /// `str.splitlines()`.
        static func splitLines(_ s: String, keepEnds: Bool) -> [String] {
            let u = scalars(s)
            var out: [String] = []
            var start = 0, i = 0
            while i < u.count {
                let c = u[i].value
                if [0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029].contains(c) {
                    var end = i + 1
                    if c == 0x0D, end < u.count, u[end].value == 0x0A { end += 1 }
                    out.append(string(u[start..<(keepEnds ? end : i)]))
                    start = end
                    i = end
                } else {
                    i += 1
                }
            }
            if start < u.count { out.append(string(u[start...])) }
            return out
        }

        static func upper(_ s: String) -> String { s.uppercased() }
        static func lower(_ s: String) -> String { s.lowercased() }

        static func isCased(_ u: Unicode.Scalar) -> Bool { u.properties.isCased }

        /// `str.capitalize()`: the first code point in title case, the rest lower case.
        static func capitalize(_ s: String) -> String {
            guard let first = s.unicodeScalars.first else { return s }
            return first.properties.titlecaseMapping + string(s.unicodeScalars.dropFirst()).lowercased()
        }

        /// `str.title()`: title case after an uncased code point, lower case after a cased one.
        static func title(_ s: String) -> String {
            var out = ""
            var previousCased = false
            for u in s.unicodeScalars {
                out += previousCased ? u.properties.lowercaseMapping : u.properties.titlecaseMapping
                previousCased = isCased(u)
            }
            return out
        }

        /// Strings past this many bytes are refused (Python would raise `MemoryError` long before
        /// a process could hold them; we fail cleanly instead of crashing).
        static let maxStringBytes = 64 << 20

        static func checkSize(_ n: Int) throws {
            if n > maxStringBytes { throw Fail.render("result longer than \(maxStringBytes) bytes") }
        }

        /// Lists past this many items are refused, for the same reason.
        static let maxItems = 1 << 22

        static func checkItems(_ n: Int) throws {
            if n > maxItems { throw Fail.render("list longer than \(maxItems) items") }
        }
    }
}
