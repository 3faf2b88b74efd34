// Seeds are Python ints in caikit (protobuf uint64): JSON numbers up to 2^64−1 are read from their
// digits (not through a Double) and echoed back as the same exact integer; above that the request is
// refused with caikit's error JSON naming `seed`.

import Foundation
import Hummingbird
import HummingbirdTesting
import SPJSON
@testable import SPServer
import Testing

@Suite(.timeLimit(.minutes(2))) struct SeedTests {
    static let gen = "/api/v1/task/text-generation"

    @Test func parserKeepsLargeIntegerDigitsWhenAsked() throws {
        #expect(try JSONParser.parse(Array("18446744073709551617".utf8), exactIntegers: true) == .largeInt("18446744073709551617"))
        #expect(try JSONParser.parse(Array("-9223372036854775809".utf8), exactIntegers: true) == .largeInt("-9223372036854775809"))
        #expect(try JSONParser.parse(Array("9223372036854775807".utf8), exactIntegers: true) == .int(.max))
        #expect(try JSONParser.parse(Array("1e30".utf8), exactIntegers: true) == .double(1e30), "an exponent is a float")
        #expect(try JSONParser.parse(Array("18446744073709551617".utf8)) == .double(18446744073709551617.0), "default: a double")
        let v = JSONValue.object([("seed", .largeInt("18446744073709551615"))])
        #expect(v.dumps() == #"{"seed": 18446744073709551615}"# && v.starletteJSON == #"{"seed":18446744073709551615}"#)
    }

    @Test func decodesEveryUInt64SeedExactly() throws {
        // 2^63 + 1 and 2^64 − 3 round to other values through a Double.
        for seed: UInt64 in [9_223_372_036_854_775_809, 18_446_744_073_709_551_613, .max] {
            for text in ["\(seed)", "\"\(seed)\""] {
                let r = try TaskRequest.decode(Array(#"{"model_id": "m", "inputs": "x", "parameters": {"seed": \#(text)}}"#.utf8), hasParameters: true)
                #expect(r.parameters.seed == seed && r.parameterError == nil, "\(text)")
            }
        }
        for text in ["18446744073709551616", "\"18446744073709551616\"", "1e20", "-9223372036854775809", "123456789012345678901234567890"] {
            let r = try TaskRequest.decode(Array(#"{"model_id": "m", "inputs": "x", "parameters": {"seed": \#(text)}}"#.utf8), hasParameters: true)
            guard case .invalidParameter(let field, _, _, _)? = r.parameterError else {
                Issue.record("\(text): \(String(describing: r.parameterError))"); continue
            }
            #expect(field == "seed", "\(text)")
        }
        let r = try TaskRequest.decode(Array(#"{"model_id": "m", "inputs": "x", "parameters": {"max_new_tokens": 18446744073709551616}}"#.utf8),
                                       hasParameters: true)
        guard case .invalidParameter(let field, _, _, _)? = r.parameterError else { Issue.record("max_new_tokens 2^64"); return }
        #expect(field == "max_new_tokens")
    }

    /// Fuzzer finding (Fuzz/FormatsFuzz/seeds/request/crash-1e616): a body that is a number too large
    /// for a double echoed `Infinity` in the 422 body, which is not JSON.
    @Test func overflowingNumbersKeepErrorBodiesJSON() throws {
        for body in ["1e616 ", "[-1e999]", #"{"model_id": "m", "inputs": 1e400}"#, #"{"model_id": "m", "inputs": "x", "parameters": {"top_k": -1e999}}"#] {
            do {
                _ = try TaskRequest.decode(Array(body.utf8), hasParameters: true)
                Issue.record("\(body): decoded")
            } catch let e as CaikitError {
                #expect(e.code == 422, "\(body)")
                guard case .object? = try? JSONParser.parse(Array(e.body.utf8)) else { Issue.record("\(body): \(e.body)"); continue }
                #expect(e.body.contains("inf"), "\(e.body)")
            }
        }
    }

    @Test func httpEchoesLargeSeedsExactlyAndRefusesAbove64Bits() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withServer(f.config()) { client, _ in
            for seed in ["9223372036854775809", "18446744073709551615"] {
                let body = #"{"model_id": "alpha", "inputs": "w1", "parameters": {"decoding_method": "SAMPLING", "max_new_tokens": 3, "seed": \#(seed)}}"#
                let r = try await client.post(Self.gen, body)
                #expect(r.status == .ok && r.text.contains(#""seed": \#(seed),"#), "\(seed): \(r.text)")
                // The same seed as a string (always exact) gives the same text.
                let s = try await client.post(Self.gen, body.replacingOccurrences(of: seed, with: "\"\(seed)\""))
                #expect(s.status == .ok && s.object["generated_text"] as? String == r.object["generated_text"] as? String)
                let stream = try await client.post("/api/v1/task/server-streaming-text-generation", body)
                #expect(stream.status == .ok && stream.text.contains(#""seed": \#(seed),"#), "\(seed): \(stream.text)")
            }
            for seed in ["18446744073709551616", "340282366920938463463374607431768211456", "\"18446744073709551616\""] {
                let r = try await client.post(Self.gen, #"{"model_id": "alpha", "inputs": "w1", "parameters": {"seed": \#(seed)}}"#)
                let details = r.object["details"] as? String ?? ""
                #expect(r.status.code == 400 && r.object["code"] as? Int == 400 && details.contains("seed") && details.contains("18446744073709551615"),
                        "\(seed): \(r.text)")
            }
        }
    }
}
