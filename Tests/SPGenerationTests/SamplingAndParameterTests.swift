// The seeded RNG, the samplers, parameter validation in caikit's terms, and the JSON shape of
// results.

import Foundation
@testable import SPGeneration
import Testing

struct SamplingTests {
    /// The reference algorithms' first outputs: xoshiro256** from state (1, 2, 3, 4) and
    /// SplitMix64 from 0 (values of the authors' C code, recomputed with a transcription in Python).
    @Test func rngMatchesTheReferenceAlgorithms() {
        var x = SeededRandom(state: (1, 2, 3, 4))
        #expect((0..<4).map { _ in x.next() } == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
        var z: UInt64 = 0
        #expect(SeededRandom.splitMix64(&z) == 0xE220_A839_7B1D_CDAF)
    }

    @Test func rngIsDeterministicAndSeedSensitive() {
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        let xa = (0..<8).map { _ in a.next() }, xb = (0..<8).map { _ in b.next() }, xc = (0..<8).map { _ in c.next() }
        #expect(xa == xb)
        #expect(xa != xc)
        var u = SeededRandom(seed: 1)
        for _ in 0..<10_000 {
            let x = u.nextUnit()
            #expect(x >= 0 && x < 1)
        }
    }

    @Test func argmaxTakesTheFirstMaximum() {
        let s: [Float] = [0, 3, -1, 3, 2]
        #expect(TokenChooser.argmax(s, vocab: 5) == 1)
    }

    /// 200k draws from a fixed distribution: every frequency within 4 standard errors of softmax.
    @Test func sampleFollowsSoftmax() {
        let scores: [Float] = [1.0, 2.0, 0.5, -.infinity, 3.0, -1.0]
        let m = scores.max()!
        let w = scores.map { Double(exp($0 - m)) }, total = w.reduce(0, +)
        var rng = SeededRandom(seed: 7)
        var counts = [Int](repeating: 0, count: scores.count)
        let n = 200_000
        for _ in 0..<n { counts[TokenChooser.sample(scores, vocab: scores.count, rng: &rng)] += 1 }
        #expect(counts[3] == 0, "a -inf score is never drawn")
        for i in scores.indices where scores[i].isFinite {
            let p = w[i] / total, f = Double(counts[i]) / Double(n)
            let se = (p * (1 - p) / Double(n)).squareRoot()
            #expect(abs(f - p) < 4 * se, "token \(i): frequency \(f) vs probability \(p)")
        }
    }

    @Test func logprobAndRank() {
        let s: [Float] = [1, 2, 3, -.infinity]
        let (lp, rank) = TokenChooser.logprobAndRank(s, vocab: 4, id: 1)
        let want = 2 - (3 + log(exp(-2.0) + exp(-1.0) + 1))
        #expect(abs(lp - want) < 1e-12)
        #expect(rank == 2)
    }
}

struct ParameterTests {
    func error(_ p: GenerationParameters) -> GenerationError? {
        do { try p.validate(); return nil } catch let e as GenerationError { return e } catch { return nil }
    }

    @Test func defaultsAreCaikits() throws {
        let p = GenerationParameters()
        #expect(p.maxNewTokens == 20 && p.minNewTokens == 0 && p.truncateInputTokens == 0)
        #expect(p.decodingMethod == .greedy && p.preserveInputText && p.includeStopSequence && p.seed == nil)
        try p.validate()
    }

    @Test func minAboveMaxIsCaikitsValueError() {
        var p = GenerationParameters()
        p.maxNewTokens = 5
        p.minNewTokens = 6
        guard case .invalidParameter(let field, _, let reason, let code)? = error(p) else {
            Issue.record("no error")
            return
        }
        #expect(field == "max_new_tokens" && code == "<NLP80772084E>")
        #expect(reason.contains("Max new tokens needs to be bigger than min new tokens"))
    }

    @Test func unknownDecodingMethodIsCaikitsValueError() {
        #expect(throws: GenerationError.self) { try DecodingMethod.parse("BEAM") }
        do {
            _ = try DecodingMethod.parse("greedy")
            Issue.record("lower case accepted")
        } catch let GenerationError.invalidParameter(field, _, reason, code) {
            #expect(field == "decoding_method" && code == "<NLP03521360E>")
            #expect(reason.contains("Decoding method [greedy] not in valid decoding methods: [['GREEDY', 'SAMPLING']]"))
        } catch {
            Issue.record("\(error)")
        }
        #expect((try? DecodingMethod.parse("SAMPLING")) == .sampling)
    }

    @Test func transformersChecks() {
        var p = GenerationParameters()
        p.maxNewTokens = 0
        #expect(error(p) != nil, "max_new_tokens 0")
        p = GenerationParameters()
        p.repetitionPenalty = -1
        #expect(error(p) != nil)
        p.repetitionPenalty = 0  // caikit: 0 means none
        #expect(error(p) == nil)
        p.decodingMethod = .sampling
        for (t, ok) in [(0.0, false), (-1.0, false), (0.5, true)] {
            p.temperature = t
            #expect((error(p) == nil) == ok, "temperature \(t)")
        }
        p.temperature = nil
        for (v, ok) in [(-0.1, false), (1.5, false), (0.0, true), (1.0, true), (0.3, true)] {
            p.topP = v
            #expect((error(p) == nil) == ok, "top_p \(v)")
            p.topP = nil
            p.typicalP = v
            #expect((error(p) == nil) == ok, "typical_p \(v)")
            p.typicalP = nil
        }
        p.topK = -1
        #expect(error(p) != nil)
        // Greedy ignores sampling parameters (caikit's behaviour, tested there).
        p.decodingMethod = .greedy
        #expect(error(p) == nil)
        p.stopSequences = ["ok", ""]
        #expect(error(p) != nil, "empty stop sequence")
    }

    @Test func resultJSONUsesCaikitNames() throws {
        let r = GeneratedTextResult(generatedText: "Paris.", generatedTokens: 3, finishReason: .eosToken, inputTokenCount: 7,
                                    seed: 5, tokens: [GeneratedToken(text: "Paris", logprob: -0.5, rank: 1)])
        let obj = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as! [String: Any]
        #expect(obj["generated_text"] as? String == "Paris.")
        #expect(obj["generated_tokens"] as? Int == 3)
        #expect(obj["finish_reason"] as? String == "EOS_TOKEN")
        #expect(obj["input_token_count"] as? Int == 7)
        #expect(obj["seed"] as? Int == 5)
        #expect((obj["producer_id"] as? [String: Any])?["name"] as? String == "Peft generation")
        #expect(((obj["tokens"] as? [[String: Any]])?.first?["rank"]) as? Int == 1)
        #expect(FinishReason.allCases.map(\.rawValue) == Array(0...7))
    }
}
