// Bad bodies and limits: each gets caikit's error JSON and status, and the server keeps serving.

import Foundation
import Hummingbird
import HummingbirdTesting
@testable import SPServer
import Testing

@Suite(.timeLimit(.minutes(2))) struct BadRequestTests {
    static let gen = "/api/v1/task/text-generation"

    /// (body, status, what `details` must contain).
    static let cases: [(String, Int, String)] = [
        (#"{"model_id": "alpha", "inputs": "w1""#, 422, "Invalid JSON"),
        ("", 422, "Invalid JSON"),
        (#"[1, 2]"#, 422, "Input should be an object"),
        (#"{"model_id": "alpha", "inputs": 5}"#, 422, "valid string"),
        (#"{"model_id": 7, "inputs": "w1"}"#, 422, "valid string"),
        (#"{"model_id": "alpha"}"#, 422, "Field required"),
        (#"{"model_id": "alpha", "inputs": "w1", "colour": "red"}"#, 422, "Extra inputs are not permitted"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_tokens": 5}}"#, 422, "Extra inputs are not permitted"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": "5x"}}"#, 422, "unable to parse string as an integer"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": "1e2"}}"#, 422, "unable to parse string as an integer"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"top_p": "0x1p-1"}}"#, 422, "unable to parse string as a number"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": 2.5}}"#, 422, "fractional part"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"temperature": "hot"}}"#, 422, "valid number"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"stop_sequences": "x"}}"#, 422, "valid list"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"preserve_input_text": 2}}"#, 422, "unable to interpret input"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"preserve_input_text": " yes"}}"#, 422, "unable to interpret input"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"preserve_input_text": []}}"#, 422, "valid boolean"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"exponential_decay_length_penalty": {"start_index": 1}}}"#, 422, "Field required"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": 3}"#, 422, "Input should be an object"),
        (String(repeating: "[", count: 10000), 422, "nesting"),
        (#"{"inputs": "w1"}"#, 400, "Please provide model_id in payload"),
        (#"{"model_id": null, "inputs": "w1"}"#, 400, "Please provide model_id in payload"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": -3}}"#, 400, "max_new_tokens"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": 1000000000000}}"#, 400, "max_new_tokens"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": 5000}}"#, 400, "softprompt.max_new_tokens"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"min_new_tokens": 30}}"#, 400, "min new tokens"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"decoding_method": "BEAM"}}"#, 400, "BEAM"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"decoding_method": "SAMPLING", "temperature": -1}}"#, 400, "temperature"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"seed": -1}}"#, 400, "seed"),
        (#"{"model_id": "alpha", "inputs": "w1", "parameters": {"stop_sequences": [""]}}"#, 400, "stop_sequences[0]"),
        (#"{"model_id": "nope", "inputs": "w1"}"#, 404, "Model 'nope' not loaded"),
        (#"{"model_id": "not-a-prompt", "inputs": "w1"}"#, 404, "not loaded"),
        (#"{"model_id": "orphan", "inputs": "w1"}"#, 404, "absent-base"),
        (#"{"model_id": "../base/tiny", "inputs": "w1"}"#, 400, "not a valid model id"),
        (#"{"model_id": "..", "inputs": "w1"}"#, 400, "not a valid model id"),
        (#"{"model_id": "", "inputs": "w1"}"#, 400, "not a valid model id"),
    ]

    @Test func eachBadBodyGetsCaikitsErrorAndTheServerKeepsServing() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withServer(f.config()) { client, _ in
            for (body, status, needle) in Self.cases {
                let r = try await client.post(Self.gen, body)
                #expect(Int(r.status.code) == status, "\(body.prefix(80)): \(r.text.prefix(300))")
                let o = r.object
                #expect(o["code"] as? Int == status && (o["id"] as? String)?.count == 32, "\(body.prefix(80)): \(r.text.prefix(300))")
                #expect((o["details"] as? String)?.contains(needle) == true, "\(body.prefix(80)): \(r.text.prefix(300))")
                if status == 422 { #expect(o["additional_info"] is [Any], "pydantic's error list") }
                let ok = try await client.post(Self.gen, #"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": 1}}"#)
                #expect(ok.status == .ok, "still serving after \(body.prefix(80))")
            }
        }
    }

    /// pydantic's lax mode: numeric strings are numbers ("5", " 5 ", "5.0" for integers; decimal
    /// and exponent forms for floats), checked like the numbers they stand for.
    @Test func numericStringsAreCoercedAsPydanticDoes() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withServer(f.config()) { client, _ in
            for (value, tokens) in [(#""3""#, 3), (#"" 2 ""#, 2), (#""4.0""#, 4), (#""+1""#, 1)] {
                let r = try await client.post(Self.gen, #"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": \#(value), "min_new_tokens": \#(value)}}"#)
                #expect(r.status == .ok && r.object["generated_tokens"] as? Int == tokens, "\(value): \(r.text)")
            }
            let sampled = try await client.post(Self.gen, #"{"model_id": "alpha", "inputs": "w1", "parameters": {"decoding_method": "SAMPLING", "temperature": "0.5", "top_p": "9e-1", "seed": "42", "max_new_tokens": 2}}"#)
            #expect(sampled.status == .ok && sampled.object["seed"] as? Int == 42, "\(sampled.text)")
            // A drawn seed comes back as a JSON integer a client can send again (not a rounded float).
            for _ in 0..<8 {
                let drawn = try await client.post(Self.gen, #"{"model_id": "alpha", "inputs": "w1", "parameters": {"decoding_method": "SAMPLING", "max_new_tokens": 1}}"#)
                let seedText = drawn.text.split(separator: "\"seed\":").dropFirst().first.map { $0.drop { $0 == " " }.prefix { $0 != "," && $0 != "}" } }
                #expect(drawn.status == .ok && seedText.map { !$0.isEmpty && $0.allSatisfy(\.isNumber) } == true, "\(drawn.text)")
            }
            // Lax booleans (pydantic-core's validate_bool): "YES", "off", 1, 0.0; and a bool taken as 1 or 0.
            let one = try await client.post(Self.gen, #"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": true, "min_new_tokens": true, "preserve_input_text": "off"}}"#)
            #expect(one.status == .ok && one.object["generated_tokens"] as? Int == 1, "\(one.text)")
            for yes in [#""YES""#, "1", "1.0", #""t""#] {
                let kept = try await client.post(Self.gen, #"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": 1, "min_new_tokens": 1, "preserve_input_text": \#(yes)}}"#)
                let plain = one.object["generated_text"] as? String ?? "?"
                #expect(kept.status == .ok && kept.object["generated_text"] as? String == "w1" + plain, "\(yes): \(kept.text) vs \(one.text)")
            }
            let negative = try await client.post(Self.gen, #"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": "-2"}}"#)
            #expect(negative.status.code == 400, "a coerced value is range-checked: \(negative.text)")
        }
    }

    @Test func unknownModelComesBeforeBadParameterValues() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withServer(f.config()) { client, _ in
            let r = try await client.post(Self.gen, #"{"model_id": "nope", "inputs": "w1", "parameters": {"max_new_tokens": -1}}"#)
            #expect(r.status.code == 404, "caikit looks the model up before run() checks values")
        }
    }

    @Test func bodySizeAndMediaType() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withServer(f.config { $0.maxBodyBytes = 256 }) { client, _ in
            let big = #"{"model_id": "alpha", "inputs": ""# + String(repeating: "w1 ", count: 200) + #""}"#
            let r = try await client.post(Self.gen, big)
            #expect(r.status.code == 413 && r.object["code"] as? Int == 413, "\(r.text)")
            let form = try await client.post(Self.gen, "model_id=alpha", contentType: "application/x-www-form-urlencoded")
            #expect(form.status.code == 415 && form.object["code"] as? Int == 415)
            let charset = try await client.post(Self.gen, #"{"model_id": "alpha", "inputs": "w1"}"#, contentType: "application/json; charset=utf-8")
            #expect(charset.status == .ok)
        }
    }

    @Test func inputLengthLimitCountsTheTruncatedInput() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withServer(f.config { $0.maxInputTokens = 2 }) { client, _ in
            let long = try await client.post(Self.gen, #"{"model_id": "alpha", "inputs": "w1 w2 w3"}"#)
            #expect(long.status.code == 400 && (long.object["details"] as? String)?.contains("softprompt.max_input_tokens") == true)
            let cut = try await client.post(Self.gen, #"{"model_id": "alpha", "inputs": "w1 w2 w3", "parameters": {"truncate_input_tokens": 2}}"#)
            #expect(cut.status == .ok && cut.object["input_token_count"] as? Int == 2)
        }
    }

    @Test func aFullQueueIsAnswered429() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withServer(f.config { $0.maxConcurrentRequests = 1; $0.maxQueuedRequests = 0 }) { client, api in
            try await api.gate.enter()
            let r = try await client.post(Self.gen, #"{"model_id": "alpha", "inputs": "w1"}"#)
            #expect(r.status.code == 429 && r.object["code"] as? Int == 429)
            let s = try await client.post("/api/v1/task/server-streaming-text-generation", #"{"model_id": "alpha", "inputs": "w1"}"#)
            #expect(s.status.code == 429)
            await api.gate.leave()
            #expect(try await client.post(Self.gen, #"{"model_id": "alpha", "inputs": "w1"}"#).status == .ok)
        }
    }
}
