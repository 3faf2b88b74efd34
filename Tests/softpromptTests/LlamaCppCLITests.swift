// llama.cpp's arithmetic and comparison from the CLI: `generate --activations q8` (needs native
// blocks) and `bench generate --gguf FILE` (ours, then llama-bench when it is found).

import Foundation
import SPTestSupport
import Testing

@Suite(.serialized) struct LlamaCppCLITests {
    @Test func activationsQ8NeedsNativeBlocks() throws {
        let r = try CLI.run(["generate", "--model", "no-such-model", "--activations", "q8", "--text", "x"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--activations q8 works on a GGUF's own blocks: add --dtype native"), "\(r.stderr)")
        let bad = try CLI.run(["generate", "--model", "no-such-model", "--dtype", "native", "--activations", "q4", "--text", "x"])
        #expect(bad.status != 0 && bad.stderr.contains("--activations must be"), "\(bad.stderr)")
        let bench = try CLI.run(["bench", "generate", "--model", "gpt2-random", "--dtype", "native", "--activations", "q8"])
        #expect(bench.status != 0 && bench.stderr.contains("needs a GGUF's blocks"), "\(bench.stderr)")
        let stray = try CLI.run(["bench", "generate", "--llama-bench", "/bin/true"])
        #expect(stray.status != 0 && stray.stderr.contains("go with --gguf FILE"), "\(stray.stderr)")
    }

    @Test("SmolLM2 Q4_1 with q8 activations answers as llama.cpp begins: L'Étoile", .requires(.smolLM2))
    func smolLM2Q8Chat() throws {
        let r = try CLI.run(["generate", "--model", ExternalFile.smolLM2.require().path, "--dtype", "native", "--activations", "q8",
                             "--chat", "--max-new-tokens", "7", "--text", "What is the capital of France?"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "L'Étoile, la\n", "\(r.stdout)")
    }

    @Test("bench generate --gguf without llama-bench says so and prints ours", .requires(.smolLM2))
    func benchGGUFWithoutLlamaBench() throws {
        let r = try CLI.run(["bench", "generate", "--gguf", ExternalFile.smolLM2.require().path, "--dtype", "native",
                             "--pp", "8", "--tg", "2", "--repeats", "1", "--threads", "1", "--seconds", "0.05",
                             "--llama-bench", "/nonexistent/llama-bench"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("llama.cpp: not run (--llama-bench /nonexistent/llama-bench is not an executable file)"), "\(r.stdout)")
        let pp = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("pp8 | ") }, "\(r.stdout)")
        #expect(pp.hasSuffix("| — | —"), "\(pp)")
        #expect(r.stdout.contains("\ntg2 | "), "\(r.stdout)")
    }
}
