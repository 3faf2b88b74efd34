// SPEval's metrics against HF evaluate / rouge_score / scikit-learn on the same 520 prediction /
// reference pairs (scripts/reference/eval_metric_goldens.py writes Fixtures/metric_goldens.json).

import Foundation
import SPTestSupport
@testable import SPEval
import Testing

struct MetricGoldens: Decodable {
    struct Pair: Decodable {
        let prediction: String, reference: String
        let rouge1: Double, rouge2: Double, rougeL: Double, rougeLsum: Double
    }
    struct Labels: Decodable {
        let predictions: [String], references: [String]
        let accuracy: Double?, matthews_correlation: Double
    }
    let pairs: [Pair]
    let rouge_mean: [String: Double]
    let accuracy: Double, exact_match: Double, matthews_correlation: Double
    let labels: Labels, binary: Labels

    static func load() throws -> MetricGoldens {
        let url = try FixtureRoot(target: "SPEvalTests").file("metric_goldens.json")
        return try JSONDecoder().decode(MetricGoldens.self, from: Data(contentsOf: url))
    }
}

@Suite struct MetricGoldenTests {
    static let tolerance = 1e-12

    @Test func fixtureCoversTheHardCases() throws {
        let g = try MetricGoldens.load()
        #expect(g.pairs.count >= 500)
        #expect(g.pairs.contains { $0.prediction.isEmpty } && g.pairs.contains { $0.reference.isEmpty })
        #expect(g.pairs.contains { $0.reference.contains("\n") && $0.prediction.contains("\n") })
        #expect(g.pairs.contains { !$0.prediction.isEmpty && Rouge.tokenize($0.prediction).isEmpty })
        #expect(g.pairs.contains { $0.reference.unicodeScalars.contains { $0.value > 0x2000 } })
    }

    @Test func rougePerPairMatchesRougeScore() throws {
        let g = try MetricGoldens.load()
        var worst = 0.0
        for (i, p) in g.pairs.enumerated() {
            let s = Rouge.score(reference: p.reference, prediction: p.prediction)
            for (name, mine, theirs) in [("rouge1", s.rouge1.fmeasure, p.rouge1), ("rouge2", s.rouge2.fmeasure, p.rouge2),
                                         ("rougeL", s.rougeL.fmeasure, p.rougeL), ("rougeLsum", s.rougeLsum.fmeasure, p.rougeLsum)] {
                worst = max(worst, abs(mine - theirs))
                #expect(abs(mine - theirs) <= Self.tolerance,
                        "pair \(i) \(name): \(mine) vs \(theirs); prediction \(p.prediction.debugDescription), reference \(p.reference.debugDescription)")
            }
        }
        #expect(worst <= Self.tolerance)
        print("ROUGE per pair: largest difference from rouge_score over \(g.pairs.count) pairs × 4 types: \(worst)")
    }

    @Test func aggregatesMatchEvaluateAndSklearn() throws {
        let g = try MetricGoldens.load()
        let preds = g.pairs.map(\.prediction), refs = g.pairs.map(\.reference)
        let r = try Rouge.compute(predictions: preds, references: refs)
        for (name, mine) in [("rouge1", r.rouge1), ("rouge2", r.rouge2), ("rougeL", r.rougeL), ("rougeLsum", r.rougeLsum)] {
            let theirs = try #require(g.rouge_mean[name])
            #expect(abs(mine - theirs) <= Self.tolerance, "\(name): \(mine) vs \(theirs)")
        }
        #expect(try ClassificationMetrics.accuracy(predictions: preds, references: refs) == g.accuracy)
        #expect(try ClassificationMetrics.exactMatch(predictions: preds, references: refs) == g.exact_match)
        let mcc = try ClassificationMetrics.matthewsCorrelation(predictions: preds, references: refs)
        #expect(abs(mcc - g.matthews_correlation) <= Self.tolerance, "\(mcc) vs \(g.matthews_correlation)")
        for set in [g.labels, g.binary] {
            let m = try ClassificationMetrics.matthewsCorrelation(predictions: set.predictions, references: set.references)
            #expect(abs(m - set.matthews_correlation) <= Self.tolerance, "\(m) vs \(set.matthews_correlation)")
            if let a = set.accuracy {
                #expect(try ClassificationMetrics.accuracy(predictions: set.predictions, references: set.references) == a)
            }
        }
    }
}

@Suite struct MetricEdgeTests {
    @Test func tokenizerFollowsPythonLowercasing() {
        // "İ".lower() is "i̇" (i + combining dot) and the Kelvin sign lower-cases to "k": both keep an ASCII letter.
        #expect(Rouge.tokenize("İstanbul \u{212A}elvin CAFÉ x²") == ["i", "stanbul", "kelvin", "caf", "x"])
        #expect(Rouge.tokenize("... —!") == [])
        #expect(Rouge.sentences("a\r\nb\n\nc") == ["a\r", "b", "c"])
    }

    @Test func countsMustAgree() {
        #expect(throws: MetricError.countMismatch(predictions: 1, references: 2)) {
            try ClassificationMetrics.accuracy(predictions: ["a"], references: ["a", "b"])
        }
        #expect(throws: MetricError.self) { try Rouge.compute(predictions: [], references: ["a"]) }
    }

    @Test func canonicallyEquivalentLabelsStayDistinct() throws {
        // Python compares code points: "é" precomposed and "e" + U+0301 are different labels.
        #expect(try ClassificationMetrics.accuracy(predictions: ["\u{e9}"], references: ["e\u{301}"]) == 0)
        #expect(try ClassificationMetrics.matthewsCorrelation(predictions: ["a", "a"], references: ["a", "a"]) == 0)
        #expect(try ClassificationMetrics.matthewsCorrelation(predictions: ["a", "b"], references: ["a", "b"]) == 1)
    }
}
