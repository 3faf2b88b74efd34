// The writers: compact serde_json-style text (safetensors headers) and CPython's json.dumps.

import SPJSON
import Testing

struct WriterTests {
    @Test func compactLikeSerdeJSON() throws {
        var o = JSONObject()
        o.set("s", .string("q\"b\\n\nt\t\u{1}\u{7f}é/"))
        o.set("a", .array([.int(-3), .bool(false), .null, .double(0.5), .double(2), .double(.nan)]))
        let text = JSONValue.object(o).compactText
        #expect(text == #"{"s":"q\"b\\n\nt\t\u0001"# + "\u{7f}é/\"," + #""a":[-3,false,null,0.5,2.0,null]}"#)
        o.set("a", .array([.double(0.5)]))
        #expect(try JSONValue.parse(JSONValue.object(o).serialized()) == .object(o), "round trip")
        #expect(o.keys == ["s", "a"], "set replaces in place")
    }

    @Test func pythonDumpsDefaults() {
        let v: JSONValue = .object([
            ("b", .array([.int(1), .double(2.5), .null, .bool(true), .bool(false), .string("x")])),
            ("a", .object([("z", .array([])), ("y", .object([]))])), ("name", .string("é")),
        ])
        #expect(v.dumps() == #"{"b": [1, 2.5, null, true, false, "x"], "a": {"z": [], "y": {}}, "name": "\u00e9"}"#)
        #expect(v.dumps(indent: 2, sortKeys: true) == """
            {
              "a": {
                "y": {},
                "z": []
              },
              "b": [
                1,
                2.5,
                null,
                true,
                false,
                "x"
              ],
              "name": "\\u00e9"
            }
            """)
        #expect(v.dumps(ensureASCII: false, separators: (",", ":")) == #"{"b":[1,2.5,null,true,false,"x"],"a":{"z":[],"y":{}},"name":"é"}"#)
    }

    @Test func pythonStrings() {
        #expect(JSONValue.string("\u{7f}").dumps() == #""\u007f""#, "ensure_ascii escapes DEL")
        #expect(JSONValue.string("\u{7f}").dumps(ensureASCII: false) == "\"\u{7f}\"")
        #expect(JSONValue.string("😀\u{1}\n").dumps() == #""\ud83d\ude00\u0001\n""#)
        #expect(JSONValue.string("😀").dumps(ensureASCII: false) == "\"😀\"")
    }

    @Test func pythonFloatRepr() {
        let cases: [(Double, String)] = [
            (1e16, "1e+16"), (1e-5, "1e-05"), (0.0001, "0.0001"), (123456789.0, "123456789.0"), (-0.0, "-0.0"),
            (0.1, "0.1"), (1.5e300, "1.5e+300"), (5e-324, "5e-324"), (9999999999999998.0, "9999999999999998.0"),
            (.nan, "NaN"), (-.infinity, "-Infinity"),
        ]
        for (d, repr) in cases { #expect(JSONValue.pythonRepr(d) == repr, "\(d)") }
    }

    @Test func sizeLimit() {
        let big = JSONValue.array(Array(repeating: .string("abcdefgh"), count: 1000))
        #expect(big.dumps(indentText: nil, maxBytes: 100) == nil)
        #expect(big.dumps(indentText: nil, maxBytes: 100_000) == big.dumps())
    }
}
