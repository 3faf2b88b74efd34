// llama-bench's `-o json` output as `bench generate --gguf` reads it: a recorded run of the
// llama-cpp-python 0.3.36 llama-bench on the SmolLM2 Q4_1 file (Fixtures/llama_bench/, no binary in
// the tests), the locating rules, and the errors for output that is not a llama-bench record list.

import Foundation
import SPJSON
import SPService
import SPTestSupport
import Testing

@Suite struct LlamaBenchTests {
    static let fixtures = FixtureRoot(target: "SPServiceTests")

    @Test func parsesARecordedRun() throws {
        let url = try Self.fixtures.file("llama_bench/smollm2_q4_1.json")
        let r = try LlamaBench.parse(try Data(contentsOf: url), source: url.path)
        #expect(r.map(\.testName) == ["pp512", "tg64"])
        let (pp, tg) = (r[0], r[1])
        #expect(pp.promptTokens == 512 && pp.generatedTokens == 0 && tg.promptTokens == 0 && tg.generatedTokens == 64)
        #expect(pp.tokensPerSecond > 0 && tg.tokensPerSecond > 0 && pp.stddev >= 0)
        #expect(pp.modelType.contains("Q4_1"), "\(pp.modelType)")
        #expect(pp.threads == tg.threads && pp.threads >= 1)
        // avg_ts is the mean of the recorded samples_ts, as llama-bench computes it
        let doc = try JSONConfig(JSONValue.parse(try Data(contentsOf: url))).array()
        for (rec, res) in zip(doc, r) {
            let samples = try rec.doubles("samples_ts")
            #expect(abs(samples.reduce(0, +) / Double(samples.count) - res.tokensPerSecond) <= 1e-3 * res.tokensPerSecond)
        }
    }

    @Test func refusesOtherOutput() throws {
        #expect(throws: LlamaBenchError.self) { try LlamaBench.parse(Array("[]".utf8)) }
        #expect(throws: JSONError.self) { try LlamaBench.parse(Array("| model | size |".utf8)) }  // markdown, not -o json
        let missing = #"[{"n_prompt": 512, "n_gen": 0, "avg_ts": 1.5}]"#
        #expect { try LlamaBench.parse(Array(missing.utf8)) } throws: { "\($0)".contains("stddev_ts") }
    }

    @Test func locatesByFlagBeforeEnvironmentAndCache() throws {
        let missing = LlamaBench.locate(flag: "/nonexistent/llama-bench")
        #expect(missing.path == nil && missing.why.contains("/nonexistent/llama-bench"), "\(missing.why)")
        let sh = LlamaBench.locate(flag: "/bin/sh")
        #expect(sh.path == "/bin/sh")
        #expect(LlamaBench.cachePath.hasSuffix("/llama.cpp-build/build-bench/bin/llama-bench"))
    }
}
