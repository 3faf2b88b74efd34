// caikit's run() at the text level on a tiny model with a byte-level tokenizer: counts, finish
// reasons, stop sequences on the text, EOS shaping, truncation, streaming (callback and
// AsyncSequence) and incremental UTF-8 decoding.

import Foundation
@testable import SPGeneration
import Testing
import SPPrompt

@Suite struct TextGenerationTests {
    /// gpt2 fixture + its PEFT prompt; byte tokenizer with the fixture's EOS (329) as EOS and pad.
    func generator(bos: Int? = nil) throws -> TextGenerator {
        let dir = Fixtures.models.appendingPathComponent("gpt2")
        let prompt = try TunedPrompt.load(directory: dir.appendingPathComponent("peft_adapter").path)
        let tok = ByteTokenizer(eosTokenId: 329, bosTokenId: bos, padTokenId: nil)
        return try TextGenerator(model: try Fixtures.model("gpt2"), tokenizer: tok, prompt: prompt)
    }

    func params(_ n: Int, _ edit: (inout GenerationParameters) -> Void = { _ in }) -> GenerationParameters {
        var p = GenerationParameters()
        p.maxNewTokens = n
        edit(&p)
        return p
    }

    @Test func resultCountsOnlyNewTokens() throws {
        let gen = try generator()
        let r = try gen.run("Hello", parameters: params(10) { $0.returnTokens = true; $0.tokenLogprobs = true; $0.tokenRanks = true })
        #expect(r.inputTokenCount == 5)
        #expect(r.generatedTokens == 10 && r.finishReason == .maxTokens)
        #expect(r.generatedText.hasPrefix("Hello"), "preserve_input_text keeps the input in front")
        let tokens = try #require(r.tokens)
        #expect(tokens.count == 10)
        #expect(tokens.allSatisfy { $0.rank == 1 && ($0.logprob ?? 1) <= 0 }, "greedy picks rank 1")
        // The same ids through the token level.
        let ids = try gen.tokens.generate([TokenRequest(inputIds: [72, 101, 108, 108, 111], parameters: params(10))],
                                          eos: [329], pad: 329)[0].ids
        let tok = ByteTokenizer(eosTokenId: 329)
        #expect(r.generatedText == "Hello" + (try tok.decode(ids.map(Int.init), skipSpecialTokens: true, cleanUpTokenizationSpaces: true)))
        let cut = try gen.run("Hello", parameters: params(10) { $0.preserveInputText = false })
        #expect("Hello" + cut.generatedText == r.generatedText)
        #expect(cut.tokens == nil && cut.seed == nil)
    }

    @Test func verbalizerAndTruncation() throws {
        let gen = try generator(bos: 300)
        let r = try gen.run("abcdef", parameters: params(3) { $0.truncateInputTokens = 4; $0.preserveInputText = true })
        #expect(r.inputTokenCount == 4, "bos + 3 bytes")
        #expect(r.generatedText.hasPrefix("abc") && !r.generatedText.hasPrefix("abcd"))
        #expect(try gen.run("abcdef", parameters: params(3)).inputTokenCount == 7)
    }

    /// Stop sequences are matched on the generated text: cut after (or before) the first match.
    @Test(arguments: [true, false])
    func stopSequenceOnText(_ include: Bool) throws {
        let gen = try generator()
        let full = try gen.run("The", parameters: params(24) { $0.preserveInputText = false }).generatedText
        let scalars = Array(full.unicodeScalars)
        // A two-character stop sequence from the middle of the unstopped text.
        let k = try #require((4..<(scalars.count - 2)).first { scalars[$0] != "\u{FFFD}" && scalars[$0 + 1] != "\u{FFFD}" })
        let stop = String(String.UnicodeScalarView(scalars[k...(k + 1)]))
        let r = try gen.run("The", parameters: params(24) {
            $0.preserveInputText = false
            $0.stopSequences = ["never-generated", stop]
            $0.includeStopSequence = include
        })
        #expect(r.finishReason == .stopSequence)
        let at = try #require(full.range(of: stop))
        let want = include ? String(full[..<at.upperBound]) : String(full[..<at.lowerBound])
        #expect(r.generatedText == want, "stop \(stop.debugDescription): \(r.generatedText.debugDescription) vs \(want.debugDescription)")
        #expect(r.generatedTokens < 24)
    }

    /// A stop sequence in the prompt does not stop anything (caikit's id criterion would).
    @Test func stopSequenceInPromptIsIgnored() throws {
        let gen = try generator()
        let plain = try gen.run("Thezz", parameters: params(5) { $0.preserveInputText = false })
        try #require(!plain.generatedText.contains("zz"))
        let r = try gen.run("Thezz", parameters: params(5) { $0.stopSequences = ["zz"]; $0.preserveInputText = false })
        #expect(r.finishReason == .maxTokens && r.generatedText == plain.generatedText && r.generatedTokens == 5)
    }

    /// A huge exponential decay makes EOS win at once; min_new_tokens holds it off.
    @Test func eosShapingAndFinishReason() throws {
        let gen = try generator()
        let decay = ExponentialDecayLengthPenalty(startIndex: 0, decayFactor: 1e6)
        let early = try gen.run("Hi", parameters: params(20) { $0.exponentialDecayLengthPenalty = decay; $0.preserveInputText = false })
        #expect(early.finishReason == .eosToken)
        #expect(early.generatedTokens == 2, "one free token, then EOS (the EOS is counted)")
        let held = try gen.run("Hi", parameters: params(20) { $0.exponentialDecayLengthPenalty = decay; $0.minNewTokens = 6 })
        #expect(held.finishReason == .eosToken && held.generatedTokens == 7)
        #expect(!held.generatedText.contains("<|"), "the EOS is a special token: not in the text")
    }

    @Test func timeLimit() throws {
        let r = try generator().run("Hi", parameters: params(20) { $0.maxTime = 1e-9 })
        #expect(r.finishReason == .timeLimit && r.generatedTokens == 1)
    }

    @Test func seedIsReportedAndApplied() throws {
        let gen = try generator()
        let p = params(12) { $0.decodingMethod = .sampling; $0.temperature = 2 }
        let a = try gen.run("Hi", parameters: p)
        let seed = try #require(a.seed)
        let b = try gen.run("Hi", parameters: params(12) { $0.decodingMethod = .sampling; $0.temperature = 2; $0.seed = seed })
        #expect(a.generatedText == b.generatedText && b.seed == seed)
    }

    @Test func batchEqualsSingleRuns() throws {
        let gen = try generator()
        let texts = ["A", "Longer input text", "Mid size"]
        let ps = [params(6), params(9) { $0.decodingMethod = .sampling; $0.seed = 5 }, params(4) { $0.stopSequences = ["e"] }]
        let batch = try gen.run(batch: texts, parameters: ps)
        for i in texts.indices { #expect(batch[i] == (try gen.run(texts[i], parameters: ps[i])), "row \(i)") }
    }

    /// One message per token as it is produced; the texts add up to the result's text.
    @Test func streamingCallback() throws {
        let gen = try generator()
        var messages: [GeneratedTextStreamResult] = []
        let p = params(15) { $0.preserveInputText = false; $0.returnTokens = true }
        let r = try gen.generateStreaming("Once", parameters: p) { messages.append($0) }
        #expect(messages.count == 15)
        #expect(messages.map(\.generatedText).joined() == r.generatedText)
        #expect(messages.dropLast().allSatisfy { $0.details.finishReason == .notFinished })
        #expect(messages.last?.details.finishReason == .maxTokens && messages.last?.details.generatedTokens == 15)
        #expect(messages.allSatisfy { $0.details.inputTokenCount == 4 && $0.tokens?.count == 1 })
        #expect(r == (try gen.run("Once", parameters: p)))
        var n = 0
        let cancelled = try gen.generateStreaming("Once", parameters: params(15), isCancelled: { n >= 3 }) { _ in n += 1 }
        #expect(cancelled.finishReason == .cancelled && cancelled.generatedTokens == 3)
    }

    @Test func asyncSequence() async throws {
        let gen = try generator()
        let p = params(10) { $0.preserveInputText = false }
        var text = "", last: FinishReason?
        for try await m in gen.stream("Once", parameters: p) {
            text += m.generatedText
            last = m.details.finishReason
        }
        #expect(text == (try gen.run("Once", parameters: p)).generatedText && last == .maxTokens)
        // Leaving the loop early cancels the generation thread (it must not hang the test).
        for try await _ in gen.stream("Once", parameters: params(50)) { break }
    }

    @Test func stoppedStreamHoldsBackACutStopSequence() throws {
        let gen = try generator()
        let full = try gen.run("The", parameters: params(24) { $0.preserveInputText = false }).generatedText
        let s = Array(full.unicodeScalars)
        let k = try #require((4..<(s.count - 3)).first { !s[$0...($0 + 2)].contains("\u{FFFD}") })
        let stop = String(String.UnicodeScalarView(s[k...(k + 2)]))
        var streamed = ""
        let r = try gen.generateStreaming("The", parameters: params(24) {
            $0.preserveInputText = false
            $0.stopSequences = [stop]
            $0.includeStopSequence = false
        }) { streamed += $0.generatedText }
        #expect(streamed == r.generatedText && !streamed.contains(stop))
    }
}

struct IncrementalDecoderTests {
    let tok = ByteTokenizer(eosTokenId: 300)

    @Test func multiByteCharactersWaitForTheirLastByte() throws {
        var d = IncrementalDecoder(tokenizer: tok, context: [65])
        var out: [String] = []
        for b in Array("é€😀a".utf8) { out.append(try d.push(Int(b))) }
        #expect(out == ["", "é", "", "", "€", "", "", "", "😀", "a"])
        #expect(try d.flush() == "")
    }

    @Test func specialTokensAreSkippedAndIncompleteTailIsFlushed() throws {
        var d = IncrementalDecoder(tokenizer: tok, context: [])
        #expect(try d.push(104) == "h")
        #expect(try d.push(300) == "")
        #expect(try d.push(0xE2) == "")
        #expect(try d.flush() == "\u{FFFD}")
    }

    @Test func stopMatcherFindsTheEarliestEnd() {
        let m = StopSequenceMatcher(["cdef", "de", "x"])
        let t = Array("abcdefx".unicodeScalars)
        #expect(m.firstMatch(in: t, after: 0) == 3..<5, "\"de\" ends first")
        #expect(StopSequenceMatcher(["de", "cde"]).firstMatch(in: t, after: 0) == 2..<5, "same end: the longer one")
        #expect(m.firstMatch(in: Array("abcd".unicodeScalars), after: 0) == nil)
        #expect(m.firstMatch(in: t, after: 6) == 6..<7, "only matches ending after the last check")
    }
}
