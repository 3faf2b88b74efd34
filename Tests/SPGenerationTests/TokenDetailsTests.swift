// Per-token details (caikit/TGIS `input_tokens`, `generated_tokens`, `token_logprobs`,
// `token_ranks`) against transformers + PEFT on every tiny architecture
// (Fixtures/token_details.json, written by scripts/reference/token_details_goldens.py), in a
// left-padded batch, at the text level and in streams.

import Foundation
import SPModels
@testable import SPGeneration
import Testing
import SPPrompt

@Suite struct TokenDetailsTests {
    static func load() throws -> [String: Any] { try Fixtures.json(Fixtures.own.appendingPathComponent("token_details.json")) }
    /// Empty when the fixture is unusable; `goldenIsPresent` then fails naming it.
    nonisolated(unsafe) static let golden: [String: Any] = (try? load()) ?? [:]
    static var models: [[String: Any]] { golden["models"] as? [[String: Any]] ?? [] }
    static var names: [String] { models.compactMap { $0["name"] as? String } }

    /// One recorded input: ids, their PEFT scores, the greedy continuation and its scores.
    struct Case {
        let inputIds: [Int32], inputLogprobs: [Double?], inputRanks: [Int?]
        let newIds: [Int32], newLogprobs: [Double], newRanks: [Int]
        init(_ d: [String: Any]) {
            inputIds = ints(d["input_ids"])
            inputLogprobs = (d["input_logprobs"] as! [Any]).map { ($0 as? NSNumber)?.doubleValue }
            inputRanks = (d["input_ranks"] as! [Any]).map { ($0 as? NSNumber)?.intValue }
            newIds = ints(d["new_ids"])
            newLogprobs = (d["new_logprobs"] as? [NSNumber] ?? []).map(\.doubleValue)
            newRanks = (d["new_ranks"] as? [NSNumber] ?? []).map(\.intValue)
        }
    }

    static func entry(_ name: String) throws -> [String: Any] {
        try #require(models.first { $0["name"] as? String == name })
    }

    static func prompt(_ name: String) throws -> TunedPrompt {
        try TunedPrompt.load(directory: Fixtures.models.appendingPathComponent(name).appendingPathComponent("peft_adapter").path)
    }

    static func details(_ maxNew: Int) -> GenerationParameters {
        var p = GenerationParameters()
        p.maxNewTokens = maxNew
        p.returnTokens = true
        p.inputTokens = true
        p.tokenLogprobs = true
        p.tokenRanks = true
        return p
    }

    /// Largest |ours − golden| over the compared logprobs; ranks must be equal.
    static func compare(_ name: String, _ label: String, logprobs: [Double?], ranks: [Int?],
                        golden: [Double?], goldenRanks: [Int?]) -> Double {
        #expect(logprobs.count == golden.count && ranks == goldenRanks,
                "\(name) \(label) ranks \(ranks.map { $0.map(String.init) ?? "nil" }) vs PEFT \(goldenRanks.map { $0.map(String.init) ?? "nil" })")
        var worst = 0.0
        for (i, (a, b)) in zip(logprobs, golden).enumerated() {
            guard let a, let b else {
                #expect(a == nil && b == nil, "\(name) \(label)[\(i)]: \(String(describing: a)) vs \(String(describing: b))")
                continue
            }
            worst = max(worst, abs(a - b))
        }
        #expect(worst <= 1e-4, "\(name) \(label): max |logprob diff| \(worst)")
        return worst
    }

    @Test func goldenIsPresent() throws {
        let models = try Self.load()["models"] as? [[String: Any]] ?? []
        #expect(models.count == Fixtures.modelCount, "Fixtures/token_details.json lists \(models.count) models")
        #expect(models.compactMap { $0["name"] as? String } == (try Fixtures.index()), "one entry per tiny model, in index order")
    }

    /// Input-token scores from the prefill and generated-token scores equal PEFT's forward / generate.
    @Test(arguments: names)
    func scoresMatchPEFT(_ name: String) throws {
        let e = try Self.entry(name)
        let eos = Int32(e["eos_token_id"] as! Int), maxNew = Self.golden["max_new_tokens"] as! Int
        let gen = try TokenGenerator(model: try Fixtures.model(name), prompt: try Self.prompt(name))
        var worst = 0.0
        let cases = e["cases"] as? [[String: Any]] ?? []
        #expect(cases.count == 2, "token_details.json \(name): \(cases.count) cases, the script writes 2")
        for (k, d) in cases.enumerated() {
            let c = Case(d)
            let o = try gen.generate([TokenRequest(inputIds: c.inputIds, parameters: Self.details(maxNew))], eos: [eos], pad: eos)[0]
            #expect(o.ids == c.newIds, "\(name) case \(k): \(o.ids) vs PEFT \(c.newIds)")
            let s = try #require(o.inputScores)
            worst = max(worst, Self.compare(name, "case \(k) input", logprobs: s.logprobs, ranks: s.ranks,
                                            golden: c.inputLogprobs, goldenRanks: c.inputRanks))
            #expect(s.logprobs.allSatisfy { $0 != nil }, "the soft prompt precedes the first input token")
            worst = max(worst, Self.compare(name, "case \(k) new", logprobs: o.logprobs ?? [], ranks: o.ranks ?? [],
                                            golden: c.newLogprobs, goldenRanks: c.newRanks))
        }
        print("token details \(name): max |logprob diff| \(worst)")
    }

    /// Without a soft prompt nothing precedes the first input token: nil (TGIS NaN); the rest match.
    @Test(arguments: names)
    func firstInputTokenWithoutPromptHasNoScore(_ name: String) throws {
        let c = Case(try Self.entry(name)["plain"] as! [String: Any])
        let gen = try TokenGenerator(model: try Fixtures.model(name))
        let o = try gen.generate([TokenRequest(inputIds: c.inputIds, parameters: Self.details(1))], eos: [], pad: 0)[0]
        let s = try #require(o.inputScores)
        #expect(s.logprobs[0] == nil && s.ranks[0] == nil)
        _ = Self.compare(name, "plain input", logprobs: s.logprobs, ranks: s.ranks, golden: c.inputLogprobs, goldenRanks: c.inputRanks)
    }

    /// In a left-padded batch each row's input scores are the ones it gets alone; rows that did not
    /// ask get none.
    @Test(arguments: ["gpt2", "llama", "mistral", "bloom", "opt"])
    func leftPaddedBatchScoresEqualAlone(_ name: String) throws {
        let cases = (try Self.entry(name)["cases"] as! [[String: Any]]).map(Case.init)
        let gen = try TokenGenerator(model: try Fixtures.model(name), prompt: try Self.prompt(name))
        var quiet = Self.details(2)
        quiet.inputTokens = false
        let requests = [TokenRequest(inputIds: cases[0].inputIds, parameters: Self.details(3)),
                        TokenRequest(inputIds: cases[1].inputIds, parameters: quiet),
                        TokenRequest(inputIds: cases[1].inputIds, parameters: Self.details(2))]
        var reported: [Int] = []
        let batch = try gen.generate(requests, eos: [], pad: 0, onInputScores: { r, _ in reported.append(r) })
        #expect(reported.sorted() == [0, 2] && batch[1].inputScores == nil)
        for r in [0, 2] {
            let alone = try gen.generate([requests[r]], eos: [], pad: 0)[0]
            let a = try #require(batch[r].inputScores), b = try #require(alone.inputScores)
            let diff = zip(a.logprobs, b.logprobs).map { abs($0! - $1!) }.max()!
            #expect(a.ranks == b.ranks && diff < 1e-5, "\(name) row \(r): diff \(diff), ranks \(a.ranks) vs \(b.ranks)")
        }
    }

    /// Log-probabilities equal within 1e-5 (nil where the other is nil).
    static func same<T: BinaryFloatingPoint, U: BinaryFloatingPoint>(_ a: [T?], _ b: [U?]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            switch (x, y) { case (nil, nil): true; case let (x?, y?): abs(Double(x) - Double(y)) <= 1e-5; default: false }
        }
    }

    /// Tokens with the same texts and ranks and log-probabilities within 1e-5.
    static func same(_ a: [GeneratedToken]?, _ b: [GeneratedToken]) -> Bool {
        guard let a, a.count == b.count else { return false }
        return zip(a, b).allSatisfy { $0.text == $1.text && $0.rank == $1.rank } && same(a.map(\.logprob), b.map(\.logprob))
    }

    /// caikit's result and stream: one `input_tokens` entry per input token (texts as the
    /// generated tokens', scores from the token level), in the stream's first message only.
    @Test func textLevelInputTokensAndStream() throws {
        let dir = Fixtures.models.appendingPathComponent("gpt2")
        let tok = ByteTokenizer(eosTokenId: 329, bosTokenId: 300, padTokenId: nil)
        let gen = try TextGenerator(model: try Fixtures.model("gpt2"), tokenizer: tok,
                                    prompt: try TunedPrompt.load(directory: dir.appendingPathComponent("peft_adapter").path))
        var p = Self.details(4)
        p.returnTokens = false
        let r = try gen.run("Hi é", parameters: p)
        let input = try #require(r.inputTokens)
        #expect(r.tokens == nil)
        #expect(input.count == r.inputTokenCount && r.inputTokenCount == 6, "bos + 5 bytes")
        #expect(input.map(\.text) == ["<|s300|>", "H", "i", " ", "\u{FFFD}", "\u{FFFD}"], "each token decoded on its own")
        let ids: [Int32] = [300] + "Hi é".utf8.map(Int32.init)
        let scores = try #require(try gen.tokens.generate([TokenRequest(inputIds: ids, parameters: p)], eos: [329], pad: 329)[0].inputScores)
        // The same scores through two calls: equal up to float summation order (the thread pool runs
        // a GEMM's parts serially when another test holds it, which may reorder partial sums).
        #expect(Self.same(input.map(\.logprob), scores.logprobs) && input.map(\.rank) == scores.ranks)
        #expect(input.allSatisfy { ($0.logprob ?? 1) <= 0 && ($0.rank ?? 0) >= 1 })

        p.tokenRanks = false
        let lpOnly = try #require(try gen.run("Hi é", parameters: p).inputTokens)
        #expect(lpOnly.allSatisfy { $0.rank == nil && $0.logprob != nil })
        p.tokenLogprobs = false
        let textOnly = try #require(try gen.run("Hi é", parameters: p).inputTokens)
        #expect(textOnly == input.map { GeneratedToken(text: $0.text) })
        #expect(try gen.run("Hi é", parameters: Self.details(2).with { $0.inputTokens = false }).inputTokens == nil)

        p = Self.details(4)
        var messages: [GeneratedTextStreamResult] = []
        let final = try gen.generateStreaming("Hi é", parameters: p) { messages.append($0) }
        #expect(messages.count == final.generatedTokens && Self.same(messages[0].inputTokens, input)
                && Self.same(final.inputTokens, input))
        #expect(messages.dropFirst().allSatisfy { $0.inputTokens == nil })
        var one = [GeneratedTextStreamResult]()
        try gen.generateStreaming("Hi é", parameters: Self.details(1)) { one.append($0) }
        #expect(one.count == 1 && Self.same(one[0].inputTokens, input) && one[0].details.finishReason == .maxTokens)

        let json = String(decoding: try JSONEncoder().encode(final), as: UTF8.self)
        #expect(json.contains("\"input_tokens\":[{") && json.contains("\"rank\":"))
    }
}

extension GenerationParameters {
    func with(_ edit: (inout GenerationParameters) -> Void) -> GenerationParameters {
        var p = self
        edit(&p)
        return p
    }
}
