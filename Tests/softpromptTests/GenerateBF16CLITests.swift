// `softprompt generate --torch-dtype bfloat16`: the tiny GPT-2 run as a bf16 model gives transformers'
// bf16 greedy ids (Fixtures/bf16_generation.json); contradictory flags and seq2seq models are
// refused naming the flag; a CPU without AVX512-BF16 gets the one-line fallback notice.

import Foundation
import SPTestSupport
import Testing

@Suite struct GenerateBF16CLITests {
    @Test func greedyIdsMatchTorchBF16() throws {
        let golden = try FixtureRoot(target: "SPModelsTests").jsonObject("bf16_generation.json")
        let prompt = try #require(golden["input_ids"] as? [Int])
        let models = try #require(golden["models"] as? [[String: Any]])
        let want = try #require(models.first { $0["name"] as? String == "gpt2" }?["new_ids"] as? [Int])
        let n = String(want.count)
        let r = try CLI.run(["generate", "--model", try CLI.tinyModelWithTokenizer(), "--torch-dtype", "bfloat16",
                             "--ids", prompt.map(String.init).joined(separator: ","), "--max-new-tokens", n,
                             "--min-new-tokens", n])
        #expect(r.status == 0, "\(r.stderr)")
        let got = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if BenchCLITests.cpuHasBF16 {
            #expect(got == want.map(String.init).joined(separator: ","), "bf16 greedy ids vs torch bf16: \(got) vs \(want)")
            #expect(!r.stderr.contains("AVX512-BF16"), "\(r.stderr)")
        } else {
            #expect(r.stderr.contains("notice: this CPU has no AVX512-BF16"), "\(r.stderr)")
        }
    }

    @Test func contradictoryFlagsAreRefused() throws {
        let model = try CLI.tinyModelWithTokenizer()
        for (args, words) in [(["--dtype", "q8_0"], ["--torch-dtype bfloat16", "--dtype q8_0"]),
                              (["--dtype", "native"], ["--torch-dtype bfloat16", "--dtype native"]),
                              (["--dtype", "f32"], ["--torch-dtype bfloat16", "--dtype f32"])] {
            let r = try CLI.run(["generate", "--model", model, "--ids", "5,7", "--torch-dtype", "bfloat16"] + args)
            #expect(r.status != 0)
            for w in words { #expect(r.stderr.contains(w), "\(args): \(r.stderr)") }
        }
        let half = try CLI.run(["generate", "--model", model, "--ids", "5,7", "--torch-dtype", "float16"])
        #expect(half.status != 0 && half.stderr.contains("--torch-dtype must be bfloat16"), "\(half.stderr)")
    }

    @Test func seq2seqIsRefused() throws {
        let r = try CLI.run(["generate", "--model", try CLI.tinyT5WithTokenizer(), "--torch-dtype", "bfloat16",
                             "--text", "w5 w7"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--torch-dtype bfloat16") && r.stderr.contains("encoder-decoder"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
    }
}
