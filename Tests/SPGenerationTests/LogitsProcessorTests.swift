// Each logits processor against transformers' class on the same fixed scores
// (Fixtures/logits_processors.json, written by scripts/reference/logits_processors_goldens.py).

import Foundation
@testable import SPGeneration
import SPTestSupport
import Testing

struct ProcessorGoldens: @unchecked Sendable {
    let vocab: Int
    let batch: Int
    let scores: [Float]
    let inputIds: [[Int32]]
    let cases: [[String: Any]]

    /// Loaded once; a missing or malformed fixture is an error naming it, in every test that uses it.
    static let loaded: Result<ProcessorGoldens, Error> = Result { try ProcessorGoldens() }
    static func shared() throws -> ProcessorGoldens { try loaded.get() }

    /// The cases scripts/reference/logits_processors_goldens.py writes, in order.
    static let caseNames = [
        "repetition_penalty_1.3", "repetition_penalty_0.7", "min_new_tokens_2", "min_new_tokens_5",
        "exponential_decay_1_1.5", "exponential_decay_0_0.8", "exponential_decay_3_2.0", "temperature_0.7",
        "temperature_1.6", "top_k_1", "top_k_5", "top_k_63", "top_k_100", "top_p_0.1", "top_p_0.5", "top_p_0.9",
        "top_p_0.99", "typical_p_0.2", "typical_p_0.5", "typical_p_0.9", "typical_p_0.95", "generate_sampling_pipeline",
    ]

    init() throws {
        let d = try Fixtures.json(Fixtures.own.appendingPathComponent("logits_processors.json"))
        vocab = d["vocab"] as! Int
        let s = Self.scores(d["scores"])
        scores = s
        batch = s.count / vocab
        let ids = ints(d["input_ids"])
        let t = ids.count / batch
        inputIds = (0..<batch).map { Array(ids[($0 * t)..<(($0 + 1) * t)]) }
        cases = d["cases"] as! [[String: Any]]
    }

    /// `{"data", "neg_inf"}` → floats with -inf restored.
    static func scores(_ any: Any?) -> [Float] {
        let d = any as! [String: Any]
        var v = (d["data"] as! [NSNumber]).map { Float($0.doubleValue) }
        for i in d["neg_inf"] as! [Int] { v[i] = -.infinity }
        return v
    }

    func `case`(_ name: String) throws -> (params: [String: Any], output: [Float]) {
        guard let c = cases.first(where: { $0["name"] as? String == name }) else {
            throw FixtureError.malformed(path: "Tests/SPGenerationTests/Fixtures/logits_processors.json", reason: "no case \(name)")
        }
        return (c["params"] as! [String: Any], Self.scores(c["output"]))
    }

    /// Runs `body` on every row of a copy of the scores and compares with the case's output.
    func check(_ name: String, _ body: (UnsafeMutablePointer<Float>, _ row: Int, _ params: [String: Any]) -> Void) throws {
        let (params, want) = try self.case(name)
        var got = scores
        got.withUnsafeMutableBufferPointer { p in
            for r in 0..<batch { body(p.baseAddress! + r * vocab, r, params) }
        }
        var worst: Float = 0, mismatchedInf = 0
        for i in 0..<got.count {
            if want[i] == -.infinity || got[i] == -.infinity {
                if want[i] != got[i] { mismatchedInf += 1 }
                continue
            }
            worst = max(worst, abs(got[i] - want[i]) / max(1, abs(want[i])))
        }
        #expect(mismatchedInf == 0, "\(name): \(mismatchedInf) entries filtered on one side only")
        #expect(worst <= 1e-6, "\(name): max relative difference \(worst)")
    }
}

@Suite struct LogitsProcessorTests {
    let g: ProcessorGoldens
    var eos: [Int32] { [3, 11] }

    init() throws { g = try ProcessorGoldens.shared() }

    @Test func fixtureHasEveryCase() {
        #expect(g.cases.map { $0["name"] as? String ?? "?" } == ProcessorGoldens.caseNames)
    }

    @Test(arguments: [1.3, 0.7])
    func repetitionPenalty(_ penalty: Double) throws {
        try g.check("repetition_penalty_\(penalty)") { s, r, _ in
            LogitsProcessors.repetitionPenalty(s, vocab: g.vocab, history: g.inputIds[r], penalty: Float(penalty))
        }
    }

    @Test(arguments: [2, 5])
    func minNewTokens(_ m: Int) throws {
        try g.check("min_new_tokens_\(m)") { s, _, p in
            LogitsProcessors.minNewTokens(s, vocab: g.vocab, eos: eos, generated: p["generated"] as! Int, minNewTokens: m)
        }
    }

    @Test(arguments: ["1_1.5", "0_0.8", "3_2.0"])
    func exponentialDecay(_ name: String) throws {
        try g.check("exponential_decay_\(name)") { s, _, p in
            LogitsProcessors.exponentialDecay(s, vocab: g.vocab, eos: eos, generated: p["generated"] as! Int,
                                              startIndex: p["start_index"] as! Int, decayFactor: p["decay_factor"] as! Double)
        }
    }

    @Test(arguments: [0.7, 1.6])
    func temperature(_ t: Double) throws {
        try g.check("temperature_\(t)") { s, _, _ in LogitsProcessors.temperature(s, vocab: g.vocab, Float(t)) }
    }

    @Test(arguments: [1, 5, 63, 100])
    func topK(_ k: Int) throws {
        try g.check("top_k_\(k)") { s, _, _ in LogitsProcessors.topK(s, vocab: g.vocab, k: k) }
    }

    @Test(arguments: [0.1, 0.5, 0.9, 0.99])
    func topP(_ p: Double) throws {
        try g.check("top_p_\(p)") { s, _, _ in LogitsProcessors.topP(s, vocab: g.vocab, p: p) }
    }

    @Test(arguments: [0.2, 0.5, 0.9, 0.95])
    func typicalP(_ p: Double) throws {
        try g.check("typical_p_\(p)") { s, _, _ in LogitsProcessors.typicalP(s, vocab: g.vocab, mass: p) }
    }

    /// The whole list generate() builds, through the parameters → processor mapping.
    @Test func samplingPipelineInGenerateOrder() throws {
        var prm = GenerationParameters()
        prm.decodingMethod = .sampling
        prm.repetitionPenalty = 1.2
        prm.minNewTokens = 5
        prm.exponentialDecayLengthPenalty = ExponentialDecayLengthPenalty(startIndex: 1, decayFactor: 1.5)
        prm.temperature = 0.8
        prm.topK = 20
        prm.topP = 0.9
        prm.typicalP = 0.95
        try prm.validate()
        let config = prm.processorConfig(eos: eos)
        try g.check("generate_sampling_pipeline") { s, r, p in
            LogitsProcessors.apply(config, s, vocab: g.vocab, history: g.inputIds[r], generated: p["generated"] as! Int)
        }
    }

    /// Greedy decoding applies only the first three processors.
    @Test func greedyIgnoresWarpers() throws {
        var prm = GenerationParameters()
        prm.topK = 1
        prm.temperature = 0.1
        prm.repetitionPenalty = 1.3
        let config = prm.processorConfig(eos: eos)
        #expect(!config.sampling && config.topK == nil && config.temperature == nil && config.repetitionPenalty == 1.3)
        try g.check("repetition_penalty_1.3") { s, r, _ in
            LogitsProcessors.apply(config, s, vocab: g.vocab, history: g.inputIds[r], generated: 0)
        }
    }
}
