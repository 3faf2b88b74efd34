// Models that do not share decoding steps — encoder-decoder models (T5, BART) and decoder-only
// models for which left padding changes results (Mistral's sliding window, Llama with dynamic NTK
// RoPE) — go through the same GenerationBatcher entry points, one generation call per request,
// one at a time per base model: concurrent requests (unary and streaming) each get what they get
// alone (logprobs to 1e-5: other tests running in the process can change OpenBLAS's thread split).

import Foundation
import SPGeneration
import SPJSON
import SPModels
@testable import SPService
import SPTokenizers
import Testing

@Suite(.timeLimit(.minutes(3))) struct UnbatchedModelTests {
    /// A copy of a model fixture with a word-level tokenizer over its vocabulary (`w<id>`, the
    /// config's EOS id as `<eos>`, the last id `<unk>`).
    static func wordLevelModel(_ fixture: String) throws -> (root: String, dir: String) {
        let src = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SPModelsTests/Fixtures/" + fixture)
        let root = NSTemporaryDirectory() + "spunbatched-" + UUID().uuidString, dir = root + "/model"
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for f in ["config.json", "model.safetensors", "generation_config.json"] where fm.fileExists(atPath: src.appendingPathComponent(f).path) {
            try fm.copyItem(atPath: src.appendingPathComponent(f).path, toPath: dir + "/" + f)
        }
        let config = try JSONParser.parse(Array(try Data(contentsOf: src.appendingPathComponent("config.json"))))
        guard case .int(let vocab)? = config["vocab_size"], case .int(let eos)? = config["eos_token_id"] else {
            throw ModelError.invalidInput("\(fixture): config.json without vocab_size/eos_token_id")
        }
        let words = (0..<vocab).map { $0 == eos ? "<eos>" : $0 == vocab - 1 ? "<unk>" : "w\($0)" }.enumerated().map { "\"\($1)\": \($0)" }
        let special = #"{"id": \#(eos), "content": "<eos>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}"#
        let tokenizer = #"{"version": "1.0", "truncation": null, "padding": null, "normalizer": null, "post_processor": null, "#
            + #""decoder": null, "pre_tokenizer": {"type": "WhitespaceSplit"}, "added_tokens": ["# + special + "], "
            + #""model": {"type": "WordLevel", "unk_token": "<unk>", "vocab": {"# + words.joined(separator: ", ") + "}}}"
        try tokenizer.write(toFile: dir + "/tokenizer.json", atomically: true, encoding: .utf8)
        try #"{"eos_token": "<eos>", "pad_token": "<eos>"}"#.write(toFile: dir + "/tokenizer_config.json", atomically: true, encoding: .utf8)
        return (root, dir)
    }

    @Test(arguments: ["seq2seq/t5", "seq2seq/bart", "mistral", "llama_dynamic"])
    func runSideBySideAndEqualAlone(_ fixture: String) async throws {
        let (root, dir) = try Self.wordLevelModel(fixture)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let target = try GenerationTarget.open(model: dir, baseModel: nil, baseModelsDir: nil)
        let service = try GenerationService(model: target.model, tokenizer: TokenizerAdapter(tokenizer: try loadTokenizer(target.location)))
        let batcher = GenerationBatcher(maxRows: 8)
        #expect(batcher.scheduler(for: service) == nil, "\(fixture) must not share decoding steps")
        let requests: [(String, GenerationParameters)] = (0..<8).map { i in
            var p = GenerationParameters()
            p.maxNewTokens = 4 + i % 5
            if i % 2 == 1 { (p.decodingMethod, p.seed, p.topK) = (.sampling, UInt64(10 + i), 10) }
            if i % 3 == 2 { (p.returnTokens, p.tokenLogprobs) = (true, true) }
            // Up to 12 words: past llama_dynamic's 8 positions, where its NTK scaling starts.
            return ((0...(i * 3 % 12)).map { "w\(3 + ($0 * 5 + i) % 50)" }.joined(separator: " "), p)
        }
        var alone: [GeneratedTextResult] = [], aloneStreams: [[GeneratedTextStreamResult]] = []
        for (text, p) in requests {
            alone.append(try await batcher.run(service, text, parameters: p))
            var messages: [GeneratedTextStreamResult] = []
            for try await m in batcher.stream(service, text, parameters: p) { messages.append(m) }
            aloneStreams.append(messages)
        }
        let together = try await withThrowingTaskGroup(of: (Int, GeneratedTextResult?, [GeneratedTextStreamResult]).self) { group in
            for (i, (text, p)) in requests.enumerated() {
                group.addTask { (i, try await batcher.run(service, text, parameters: p), []) }
                group.addTask {
                    var messages: [GeneratedTextStreamResult] = []
                    for try await m in batcher.stream(service, text, parameters: p) { messages.append(m) }
                    return (i, nil, messages)
                }
            }
            var results = [GeneratedTextResult?](repeating: nil, count: requests.count)
            var streams = [[GeneratedTextStreamResult]](repeating: [], count: requests.count)
            for try await (i, r, m) in group { if let r { results[i] = r } else { streams[i] = m } }
            return (results, streams)
        }
        // Tokens, text, finish reasons and seeds are identical; a logprob may differ in its last bits
        // when other generations run in the process meanwhile (OpenBLAS's thread split is global;
        // the suite runs other tests in parallel), so logprobs are compared to 1e-5.
        func same(_ a: GeneratedTextResult?, _ b: GeneratedTextResult) -> Bool {
            guard let a else { return false }
            var (x, y) = (a, b)
            let close = zip(x.tokens ?? [], y.tokens ?? []).allSatisfy { abs(($0.logprob ?? 0) - ($1.logprob ?? 0)) <= 1e-5 }
            (x.tokens, y.tokens) = (x.tokens?.map { GeneratedToken(text: $0.text, logprob: nil, rank: $0.rank) },
                                    y.tokens?.map { GeneratedToken(text: $0.text, logprob: nil, rank: $0.rank) })
            return close && x == y
        }
        for i in requests.indices {
            #expect(same(together.0[i], alone[i]), "\(fixture) request \(i): \(String(describing: together.0[i])) vs \(alone[i])")
            #expect(together.1[i].map(\.generatedText) == aloneStreams[i].map(\.generatedText)
                    && together.1[i].map(\.details) == aloneStreams[i].map(\.details), "\(fixture) stream \(i)")
            #expect(same(try service.run(requests[i].0, parameters: requests[i].1), alone[i]),
                    "\(fixture) request \(i): the batcher's call is GenerationService.run")
        }
    }
}
