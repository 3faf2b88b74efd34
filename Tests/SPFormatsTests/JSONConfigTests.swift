// The typed config.json getters (HF fields) on SPJSON's path reader; the parser itself is tested in SPJSONTests.

import Foundation
import Testing
@testable import SPFormats
import SPJSON
@testable import SPTensor

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
        let m = expectJSONError("missingField") { _ = try c.int("num_attention_heads") }
        #expect(m?.description.contains("dir/config.json") == true && m?.description.contains("num_attention_heads") == true)
        let alt = expectJSONError("missingField") { _ = try c.int(["n_head", "num_attention_heads"]) }
        #expect(alt?.description.contains("n_head") == true && alt?.description.contains("num_attention_heads") == true)
        let w = expectJSONError("wrongType") { _ = try c.int("name") }
        #expect(w?.description.contains("`name`") == true && w?.description.contains("string") == true)
        expectJSONError("wrongType") { _ = try c.int("bad_int") }
        expectJSONError("wrongType") { _ = try c.string("hidden_size") }
        expectJSONError("wrongType") { _ = try c.bool("hidden_size") }
        expectJSONError("wrongType") { _ = try c.object("hidden_size") }
        expectJSONError("wrongType") { _ = try c.intIfPresent("name") }
        expectJSONError("wrongType") { _ = try c.strings("eos_token_id") }
        let nested = expectJSONError("wrongType") { _ = try c.object("rope_scaling").int("type") }
        #expect(nested?.description.contains("rope_scaling.type") == true, "nested fields carry their path")
        expectJSONError("wrongType") { _ = try JSONConfig(json: #"{"dtype": "float64"}"#).torchDtype() }
        expectJSONError("wrongType") { _ = try JSONConfig(json: "[1]") }
        expectJSONError("syntax") { _ = try JSONConfig(json: "{\"a\": }") }
    }

    @Test func readsFile() throws {
        let dir = TempDir()
        let p = try dir.write("config.json", Array(Self.v5.utf8))
        #expect(try JSONConfig(contentsOf: p).int("n_layer") == 12)
        expectJSONError("unreadable") { _ = try JSONConfig(contentsOf: dir.path + "/missing.json") }
    }
}

/// Runs `body`, expecting a `JSONError` of case `expected`; returns the error for further checks.
@discardableResult
func expectJSONError(_ expected: String, sourceLocation: SourceLocation = #_sourceLocation,
                     _ body: () throws -> Void) -> JSONError? {
    let e = #expect(throws: JSONError.self, sourceLocation: sourceLocation) { try body() }
    let name = e.flatMap { Mirror(reflecting: $0).children.first?.label }
    #expect(name == expected, "got \(String(describing: e))", sourceLocation: sourceLocation)
    return e
}
