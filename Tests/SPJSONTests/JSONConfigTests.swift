// The one path reader: typed getters, paths in errors, null as absent, unknown keys.

import SPJSON
import Testing

struct JSONConfigTests {
    static let text = #"""
        {"n": 3, "f": 2.0, "x": 1.5, "s": "str", "b": true, "nul": null, "list": [1, "two"],
         "nested": {"deeper": {"k": "v"}}, "merges": [["a", "b"], ["c"]]}
        """#

    func error(_ body: () throws -> Void) -> JSONError? {
        do { try body() } catch let e as JSONError { return e } catch { Issue.record("not a JSONError: \(error)") }
        return nil
    }

    @Test func typedGetters() throws {
        let c = try JSONConfig(json: Self.text, file: "c.json")
        #expect(try c.int("n") == 3 && c.int("f") == 2 && c.double("n") == 3 && c.double("x") == 1.5)
        #expect(try c.string("s") == "str" && c.bool("b") && c.bool("missing", default: false) == false)
        #expect(try c.intIfPresent("nul") == nil && c.intIfPresent("missing") == nil && !c.has("nul") && c.has("n"))
        #expect(try c.int(["missing", "nul", "n"]) == 3, "first present, non-null key wins")
        #expect(try c.object("nested").object("deeper").string("k") == "v")
        let merges = try c.required("merges").array()
        #expect(merges.map(\.path) == ["merges[0]", "merges[1]"])
        #expect(try merges[0].array().map { try $0.string() } == ["a", "b"])
        #expect(try c.pairs().keys.first == "n")
    }

    @Test func errorsNameFileAndPath() throws {
        let c = try JSONConfig(json: Self.text, file: "c.json")
        let w = error { _ = try c.object("nested").object("deeper").int("k") }
        #expect(w == .wrongType(file: "c.json", field: "nested.deeper.k", expected: "an integer", found: "string \"v\""))
        #expect(w?.description == "c.json: `nested.deeper.k` must be an integer, got string \"v\"; hint: fix the field's value in the file")
        #expect(error { _ = try c.int("x") }?.field == "x", "1.5 is not an integer")
        #expect(error { _ = try c.ints("list") } == .wrongType(file: "c.json", field: "list[1]", expected: "an integer",
                                                               found: "string \"two\""))
        let m = error { _ = try c.int(["a", "nested.b"]) }
        #expect(m == .missingField(file: "c.json", fields: ["a", "nested.b"]))
        #expect(m?.reason.contains("none of them") == true)
        #expect(error { _ = try JSONConfig(c.value["n"]!, file: "c.json", path: "n").optional("k") }?.field == "n",
                "keys of a non-object")
        #expect(error { _ = try JSONConfig(json: "[]") } != nil)
    }

    @Test func unknownKeys() throws {
        let c = try JSONConfig(json: #"{"a": 1, "zz": 2, "b": 3}"#, file: "req").object
        let r = JSONConfig(object: c, file: "req", path: "params")
        #expect(throws: Never.self) { try r.rejectUnknownKeys(allowed: ["a", "b", "zz"]) }
        let e = error { try r.rejectUnknownKeys(allowed: ["a", "b"]) }
        #expect(e == .unknownKey(file: "req", field: "params.zz", allowed: ["a", "b"]))
        #expect(e?.description.contains("allowed keys are a, b") == true)
    }
}
