// `softprompt generate --input-tokens` on the tiny GPT-2 with its PEFT prompt: caikit's
// `input_tokens` in the JSON result, in a stream's first message, and in the --ids output.

import Foundation
import SPTestSupport
import Testing

@Suite(.serialized) struct GenerateCLITests {
    static let model = try! CLI.tinyModelWithTokenizer()
    static let adapter = try! FixtureRoot(target: "SPModelsTests").file("gpt2/peft_adapter/adapter_config.json")
        .deletingLastPathComponent().path

    func generate(_ args: [String]) throws -> [[String: Any]] {
        let r = try CLI.run(["generate", "--model", Self.adapter, "--base-model", Self.model, "--json"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        return try r.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    @Test func inputTokensInResultAndStream() throws {
        let text = ["--text", "w5 w7 w9", "--max-new-tokens", "3"]
        let r = try #require(try generate(text + ["--input-tokens", "--logprobs", "--ranks"]).first)
        let input = try #require(r["input_tokens"] as? [[String: Any]])
        #expect(input.map { $0["text"] as? String } == ["w5", "w7", "w9"])
        #expect(input.allSatisfy { ($0["logprob"] as? Double ?? 1) <= 0 && ($0["rank"] as? Int ?? 0) >= 1 },
                "the soft prompt precedes the first input token, so every one is scored: \(input)")
        #expect(r["tokens"] == nil, "--logprobs with --input-tokens does not imply --tokens")
        let both = try #require(try generate(text + ["--input-tokens", "--tokens", "--logprobs"]).first)
        #expect((both["tokens"] as? [Any])?.count == 3 && (both["input_tokens"] as? [Any])?.count == 3)
        #expect(try generate(text).first?["input_tokens"] == nil)

        let stream = try generate(text + ["--input-tokens", "--ranks", "--stream"])
        #expect(stream.count == 3)
        let first = try #require(stream.first?["input_tokens"] as? [[String: Any]])
        #expect(first.map { $0["rank"] as? Int } == input.map { $0["rank"] as? Int } && first.allSatisfy { $0["logprob"] == nil })
        #expect(stream.dropFirst().allSatisfy { $0["input_tokens"] == nil })
    }

    @Test func inputScoresForIds() throws {
        let r = try #require(try generate(["--ids", "5,7,9", "--max-new-tokens", "2", "--input-tokens", "--logprobs", "--ranks"]).first)
        #expect((r["input_logprobs"] as? [Double])?.count == 3 && (r["input_ranks"] as? [Int])?.count == 3)
        #expect(r["new_logprobs"] == nil)
        let plain = try CLI.run(["generate", "--model", Self.model, "--json", "--ids", "5,7,9", "--max-new-tokens", "1",
                                 "--input-tokens", "--logprobs"])
        #expect(plain.status == 0, "\(plain.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        let lps = try #require(obj["input_logprobs"] as? [Any])
        #expect(lps.count == 3 && lps[0] is NSNull, "no context before the first token without a prompt: \(lps)")
    }
}

@Suite("CLI: OpenBLAS selection errors")
struct BLASCLITests {
    @Test("an unusable SOFTPROMPT_BLAS_CORE or SOFTPROMPT_OPENBLAS is a clear error, not a crash")
    func badBLASSettings() throws {
        let args = ["bench", "linear", "--seconds", "0.01", "--shapes", "8x8x8"]
        let bogus = try CLI.run(args, env: ["SOFTPROMPT_BLAS_CORE": "NoSuchCore"])
        #expect(bogus.status != 0)
        #expect(bogus.stderr.contains("SOFTPROMPT_BLAS_CORE=NoSuchCore is not a kernel set"), "\(bogus.stderr)")
        let missing = try CLI.run(args, env: ["SOFTPROMPT_OPENBLAS": "/nonexistent/libopenblas.so"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("cannot load OpenBLAS from '/nonexistent/libopenblas.so'"), "\(missing.stderr)")
        let haswell = try CLI.run(args, env: ["SOFTPROMPT_BLAS_CORE": "Haswell"])
        #expect(haswell.status == 0, "\(haswell.stderr)")
        #expect(haswell.stdout.contains("core=Haswell (SOFTPROMPT_BLAS_CORE)"), "\(haswell.stdout)")
    }
}
