// Bounded request fuzzing in the suite (the libFuzzer harness is Fuzz/FormatsFuzz FuzzTaskRequest):
// seeded random bodies — valid ones with random parameter values and types, byte-level mutations,
// truncations — each answered with a result or caikit's error JSON and a status caikit uses; the
// server keeps serving.

import Foundation
import Hummingbird
import HummingbirdTesting
@testable import SPServer
import Testing

@Suite(.timeLimit(.minutes(3))) struct RandomBodyTests {
    /// SplitMix64, so that a failing body can be reproduced from the seed.
    struct Rng {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }
    }

    static let fields = ["max_new_tokens", "min_new_tokens", "truncate_input_tokens", "decoding_method", "top_k", "top_p",
                         "typical_p", "temperature", "repetition_penalty", "max_time", "exponential_decay_length_penalty",
                         "stop_sequences", "seed", "preserve_input_text", "input_tokens", "generated_tokens",
                         "token_logprobs", "token_ranks", "include_stop_sequence", "bogus"]
    static let values = ["0", "1", "3", "-1", "2.5", "1e308", "-0.0", "18446744073709551615", "18446744073709551616",
                         "9223372036854775807", "true", "false", "null", "\"\"", "\"3\"", "\" 2 \"", "\"1e2\"", "\"nan\"",
                         "\"inf\"", "\"GREEDY\"", "\"SAMPLING\"", "\"BEAM\"", "[]", "[\"w1\"]", "[\"\"]", "[1]", "{}",
                         "{\"start_index\": 1, \"decay_factor\": 1.5}", "{\"start_index\": -1, \"decay_factor\": 0}",
                         "\"\\u0000\"", "\"w1 w2\""]

    static func body(_ rng: inout Rng) -> [UInt8] {
        var params: [String] = []
        for _ in 0..<rng.below(3) { params.append("\"\(rng.pick(fields))\": \(rng.pick(values))") }
        let model = rng.pick(["\"alpha\"", "\"alpha\"", "\"beta\"", "\"nope\"", "\"../x\"", "null", "7", "\"\""])
        let inputs = rng.pick(["\"w1 w2\"", "\"w1 w2\"", "\"\"", "\"w5\"", "5", "null", "\"\\ud800\"", "[\"w1\"]"])
        var text = "{\"model_id\": \(model), \"inputs\": \(inputs), \"parameters\": {\(params.joined(separator: ", "))}}"
        if rng.below(3) == 0 { text = "{\"model_id\": \(model), \"inputs\": \(inputs)}" }
        var bytes = Array(text.utf8)
        switch rng.below(6) {
        case 0:  // flip a few bytes
            for _ in 0..<(1 + rng.below(3)) where !bytes.isEmpty { bytes[rng.below(bytes.count)] = UInt8(rng.below(256)) }
        case 1:  // truncate
            bytes = Array(bytes.prefix(rng.below(bytes.count + 1)))
        default: break
        }
        return bytes
    }

    @Test func randomBodiesGetResultsOrCaikitErrors() async throws {
        let f = try ServerFixture()
        defer { f.remove() }
        try await withServer(f.config { $0.maxNewTokens = 8; $0.maxBodyBytes = 4096 }) { client, _ in
            var rng = Rng(state: 20_261_207)
            var statuses: [Int: Int] = [:]
            for i in 0..<300 {
                let bytes = Self.body(&rng)
                let route = i % 3 == 0 ? "/api/v1/task/tokenization" : "/api/v1/task/text-generation"
                let r = try await client.execute(uri: route, method: .post, headers: [.contentType: "application/json"],
                                                 body: ByteBuffer(bytes: bytes))
                let status = Int(r.status.code)
                statuses[status, default: 0] += 1
                let shown = String(decoding: bytes, as: UTF8.self)
                #expect([200, 400, 404, 422].contains(status), "body \(i) \(shown): \(r.text.prefix(300))")
                guard status != 200 else { continue }
                let o = r.object
                #expect(o["code"] as? Int == status && (o["id"] as? String)?.count == 32 && o["details"] is String,
                        "body \(i) \(shown): \(r.text.prefix(300))")
            }
            #expect(statuses[200, default: 0] > 0 && statuses[422, default: 0] > 0 && statuses[400, default: 0] > 0,
                    "the bodies reach every outcome: \(statuses)")
            let ok = try await client.post("/api/v1/task/text-generation", #"{"model_id": "alpha", "inputs": "w1", "parameters": {"max_new_tokens": 2}}"#)
            #expect(ok.status == .ok, "still serving")
        }
    }
}
