// The one JSON parser: strictness, the nesting limit, numbers, strings, duplicate keys, offsets.

import Foundation
import SPJSON
import Testing

struct ParserTests {
    func parse(_ s: String, dup: Bool = false, nonFinite: Bool = false) throws -> JSONValue {
        try JSONParser.parse(Array(s.utf8), file: "t.json", rejectDuplicateKeys: dup, allowNonFinite: nonFinite)
    }

    /// The error a text gives, or nil.
    func syntaxError(_ s: String) -> (offset: Int, reason: String)? {
        do { _ = try parse(s); return nil } catch JSONError.syntax(let file, let at, let why) {
            #expect(file == "t.json")
            return (at, why)
        } catch {
            Issue.record("not a syntax error: \(error)")
            return nil
        }
    }

    @Test func valuesAndOrder() throws {
        let v = try parse(#" {"b": [1, -2, 3.5, 1e3, -0, true, false, null], "a": {"x": "y"}, "c": {}, "d": []} "#)
        guard case .object(let o) = v else { Issue.record("not an object"); return }
        #expect(o.keys == ["b", "a", "c", "d"])
        #expect(v["b"] == .array([.int(1), .int(-2), .double(3.5), .double(1000), .int(0), .bool(true), .bool(false), .null]))
        #expect(v["a"]?["x"] == .string("y"))
        #expect(v["c"] == .object([:]) && v["d"] == .array([]))
        #expect(v["zz"] == nil && JSONValue.int(1)["a"] == nil)
    }

    @Test func integersStayExact() throws {
        #expect(try parse("9223372036854775807") == .int(Int.max))
        #expect(try parse("-9223372036854775808") == .int(Int.min))
        #expect(try parse("9223372036854775808") == .double(9223372036854775808.0))
        #expect(try parse("123456789012345678") == .int(123_456_789_012_345_678))
        #expect(try parse("1.0") == .double(1) && parse("1E2") == .double(100) && parse("-0.5e-1") == .double(-0.05))
    }

    @Test func stringsAndEscapes() throws {
        #expect(try parse(#""a\"b\\c\/d\b\f\n\r\t""#) == .string("a\"b\\c/d\u{8}\u{c}\n\r\t"))
        #expect(try parse(#""\u00e9\ud83d\ude00 é""#) == .string("é😀 é"))
        // Keys and strings compare by bytes: composed and decomposed é are different keys.
        let v = try parse("{\"\u{e9}\": 1, \"e\u{301}\": 2}")
        #expect(v["\u{e9}"] == .int(1) && v["e\u{301}"] == .int(2))
        #expect(JSONValue.string("\u{e9}") != .string("e\u{301}"))
    }

    @Test func rejectsWhatIsNotJSON() {
        let bad = ["", " ", "{", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":1,}", "{1:2}", "01", "-", "1.", "1e", ".5", "+1",
                   "tru", "nul", "'a'", "\"a", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\u{1}\"",
                   "NaN", "Infinity", "-Infinity", "[1] x", "{}{}", "\u{1}"]
        for s in bad { #expect(syntaxError(s) != nil, "\(s.debugDescription) was accepted") }
        #expect(throws: JSONError.self) { try JSONParser.parse([0x22, 0xFF, 0x22]) }  // invalid UTF-8
        #expect(syntaxError("[1, 2, x]")?.offset == 7)
        #expect(syntaxError("{\"a\": tru}")?.offset == 9, "the first byte that is wrong")
    }

    @Test func nonFiniteOnlyWhenAsked() throws {
        let v = try parse("[NaN, Infinity, -Infinity]", nonFinite: true)
        guard case .array(let a) = v, case .double(let n) = a[0] else { Issue.record("not parsed"); return }
        #expect(n.isNaN && a[1] == .double(.infinity) && a[2] == .double(-.infinity))
    }

    @Test func duplicateKeys() throws {
        let v = try parse(#"{"a": 1, "b": 2, "a": 3}"#)
        guard case .object(let o) = v else { return }
        #expect(o.count == 3 && v["a"] == .int(3), "both kept, lookup gives the last, as Python's json does")
        let e = syntaxError(#"{"a": 1, "a": 2}"#) == nil
        #expect(e)
        #expect(throws: JSONError.syntax(file: "t.json", offset: 9, reason: "duplicate key \"a\"")) {
            try parse(#"{"a": 1, "a": 2}"#, dup: true)
        }
    }

    @Test func nestingLimitHasItsOwnMessage() throws {
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(throws: Never.self) { try parse(ok) }
        for open in ["[", "{\"k\":"] {
            let deep = String(repeating: open, count: JSONParser.maxDepth + 1)
            let e = syntaxError(deep)
            #expect(e?.reason == "nesting deeper than \(JSONParser.maxDepth)")
        }
        // Far deeper than the stack could take if the limit were missing.
        #expect(syntaxError(String(repeating: "[", count: 1_000_000))?.reason == "nesting deeper than 256")
    }

    @Test func bomAndWhitespace() throws {
        #expect(try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array(" \t\r\n[1]\n".utf8)) == .array([.int(1)]))
    }

    @Test func errorsDescribeThemselves() {
        let e = JSONError.syntax(file: "f.json", offset: 3, reason: "unterminated string")
        #expect(e.description.contains("f.json") && e.description.contains("byte 3") && e.description.contains("hint"))
    }
}

struct ObjectTests {
    @Test func equalityIgnoresOrderLikePythonDicts() {
        let a: JSONObject = ["x": .int(1), "y": .array([.null])]
        let b: JSONObject = ["y": .array([.null]), "x": .int(1)]
        #expect(a == b && JSONValue.object(a) == .object(b))
        #expect(a != ["x": .int(1)] && a != ["x": .int(2), "y": .array([.null])])
        #expect(JSONObject([("k", .int(1)), ("k", .int(2))]) == ["k": .int(2)], "the last of a repeated key counts")
    }

    @Test func editing() {
        var o: JSONObject = ["a": .int(1), "b": .int(2)]
        o["a"] = .int(3)
        o["c"] = .null
        #expect(o.keys == ["a", "b", "c"] && o["a"] == .int(3) && o["c"] == .null)
        o["b"] = nil
        #expect(o.keys == ["a", "c"] && o.count == 2 && o[1].key == "c")
    }
}
