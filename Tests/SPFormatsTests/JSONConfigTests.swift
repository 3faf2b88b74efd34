// The JSON reader and typed config.json getters.

import Foundation
import Testing
@testable import SPFormats
@testable import SPTensor

@Suite struct JSONTests {
    func parse(_ s: String, dup: Bool = false) throws -> JSONValue {
        try JSONParser.parse(Array(s.utf8), file: "t.json", rejectDuplicateKeys: dup)
    }

    @Test func values() throws {
        #expect(try parse(" null ") == .null)
        #expect(try parse("[true,false]") == .array([.bool(true), .bool(false)]))
        #expect(try parse("-0") == .int(0))
        #expect(try parse("9223372036854775807") == .int(Int.max))
        #expect(try parse("9223372036854775808") == .double(9223372036854775808))
        #expect(try parse("1e-05") == .double(1e-05))
        #expect(try parse("1.5E+3") == .double(1500))
        #expect(try parse("10000.0") == .double(10000))
        #expect(try parse("NaN").kindDescription == "number nan")
        #expect(try parse("-Infinity") == .double(-.infinity))
        #expect(try parse(#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#) == .string("a\"\\/\u{8}\u{c}\n\r\té😀"))
        guard case .object(let o) = try parse(#"{"b":1,"a":{"c":[]},"b":2}"#) else { Issue.record("object"); return }
        #expect(o.keys == ["b", "a"] && o["b"] == .int(2), "order kept, last duplicate wins")
    }

    @Test func errors() throws {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", ".5", "1e", "-", "tru", "\"\\u12\"", "\"\\udc00\"",
                    "{\"a\":1,}", "[1 2]", "nul", "\"abc", "{1:2}", "+1"] {
            expectFormatError("invalidJSON") { _ = try parse(bad) }
        }
        expectFormatError("invalidJSON") { _ = try parse(#"{"a":1,"a":2}"#, dup: true) }
        let e = expectFormatError("invalidJSON") { _ = try parse("[1, 2, x]") }
        if case .invalidJSON(_, let at, _)? = e { #expect(at == 7) }
    }

    @Test func serializesLikeSerdeJSON() throws {
        var o = JSONObject()
        o.set("s", .string("q\"b\\n\nt\t\u{1}\u{7f}é/"))
        o.set("a", .array([.int(-3), .bool(false), .null, .double(0.5), .double(2)]))
        #expect(String(decoding: JSONValue.object(o).serialized(), as: UTF8.self)
                == #"{"s":"q\"b\\n\nt\t\u0001"# + "\u{7f}é/\"," + #""a":[-3,false,null,0.5,2.0]}"#)
        #expect(try parse(String(decoding: JSONValue.object(o).serialized(), as: UTF8.self)) == .object(o))
    }
}

@Suite struct JSONConfigTests {
    // transformers 4.x style (top-level rope_theta, rope_scaling, torch_dtype)
    static let v4 = """
        {"model_type": "llama", "hidden_size": 576, "num_hidden_layers": 30, "rms_norm_eps": 1e-05,
         "rope_theta": 100000.0, "rope_scaling": {"type": "linear", "factor": 2.0}, "torch_dtype": "bfloat16",
         "tie_word_embeddings": true, "eos_token_id": [2, 3], "bos_token_id": null, "intermediate_size": 1536.0,
         "architectures": ["LlamaForCausalLM"], "name": "x", "bad_int": 1.5}
        """
    // transformers 5.x style (rope_parameters, dtype)
    static let v5 = """
        {"model_type": "gpt2", "n_embd": 768, "n_layer": 12, "layer_norm_epsilon": 1e-5, "dtype": "float32",
         "rope_parameters": {"rope_theta": 500000, "rope_type": "llama3", "factor": 8.0}, "rope_scaling": null}
        """

    @Test func typedGetters() throws {
        let c = try JSONConfig(json: Self.v4, file: "dir/config.json")
        #expect(try c.modelType() == "llama")
        #expect(try c.int("hidden_size") == 576)
        #expect(try c.int(["n_embd", "hidden_size"]) == 576)
        #expect(try c.int("intermediate_size") == 1536, "integral floats are accepted as ints")
        #expect(try c.double("rms_norm_eps") == 1e-05)
        #expect(try c.double("hidden_size") == 576)
        #expect(try c.bool("tie_word_embeddings"))
        #expect(try c.ints("eos_token_id") == [2, 3])
        #expect(try c.strings("architectures") == ["LlamaForCausalLM"])
        #expect(try c.intIfPresent("bos_token_id") == nil, "null counts as absent")
        #expect(try c.intIfPresent("absent") == nil)
        #expect(try c.int("absent", default: 7) == 7)
        #expect(try c.bool("use_cache", default: true))
        #expect(try c.torchDtype() == .bfloat16)
        #expect(try c.ropeTheta() == 100000)
        #expect(try c.ropeType() == "linear")
        #expect(try c.ropeParameters()?.double("factor") == 2)
        #expect(c.has("name") && !c.has("bos_token_id") && !c.has("nope"))
    }

    @Test func transformers5Layout() throws {
        let c = try JSONConfig(json: Self.v5, file: "config.json")
        #expect(try c.int(["n_embd", "hidden_size"]) == 768)
        #expect(try c.torchDtype() == .float32)
        #expect(try c.ropeTheta() == 500000)
        #expect(try c.ropeType() == "llama3")
        #expect(try c.ropeParameters()?.double("factor") == 8)
        let none = try JSONConfig(json: #"{"model_type": "gpt2"}"#)
        #expect(try none.ropeTheta() == nil && none.ropeParameters() == nil && none.torchDtype() == nil)
    }

    @Test func errorsNameFileAndField() throws {
        let c = try JSONConfig(json: Self.v4, file: "dir/config.json")
        let m = expectFormatError("missingField") { _ = try c.int("num_attention_heads") }
        #expect(m?.description.contains("dir/config.json") == true && m?.description.contains("num_attention_heads") == true)
        let alt = expectFormatError("missingField") { _ = try c.int(["n_head", "num_attention_heads"]) }
        #expect(alt?.description.contains("n_head") == true && alt?.description.contains("num_attention_heads") == true)
        let w = expectFormatError("wrongType") { _ = try c.int("name") }
        #expect(w?.description.contains("\"name\"") == true && w?.description.contains("string") == true)
        expectFormatError("wrongType") { _ = try c.int("bad_int") }
        expectFormatError("wrongType") { _ = try c.string("hidden_size") }
        expectFormatError("wrongType") { _ = try c.bool("hidden_size") }
        expectFormatError("wrongType") { _ = try c.object("hidden_size") }
        expectFormatError("wrongType") { _ = try c.intIfPresent("name") }
        expectFormatError("wrongType") { _ = try c.strings("eos_token_id") }
        let nested = expectFormatError("wrongType") { _ = try c.object("rope_scaling").int("type") }
        #expect(nested?.description.contains("rope_scaling.type") == true, "nested fields carry their path")
        expectFormatError("wrongType") { _ = try JSONConfig(json: #"{"dtype": "float64"}"#).torchDtype() }
        expectFormatError("wrongType") { _ = try JSONConfig(json: "[1]") }
        expectFormatError("invalidJSON") { _ = try JSONConfig(json: "{\"a\": }") }
    }

    @Test func readsFile() throws {
        let dir = TempDir()
        let p = try dir.write("config.json", Array(Self.v5.utf8))
        #expect(try JSONConfig(contentsOf: p).int("n_layer") == 12)
        expectFormatError("io") { _ = try JSONConfig(contentsOf: dir.path + "/missing.json") }
    }
}
