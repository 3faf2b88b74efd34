// ROUGE as Google's `rouge_score` computes it when HF `evaluate`'s "rouge" metric calls it with its
// defaults (`use_stemmer=False`, the default tokenizer, `split_summaries=False`):
// rouge_score/tokenize.py, rouge_scorer.py (`_score_ngrams`, `_score_lcs`, `_summary_level_lcs`).

import Foundation

/// Precision, recall and F-measure of one ROUGE type for one pair.
public struct RougeScore: Sendable, Equatable {
    public var precision: Double
    public var recall: Double
    public var fmeasure: Double

    /// `rouge_score.scoring.Score` with `fmeasure` as `scoring.fmeasure(precision, recall)`.
    public init(precision: Double, recall: Double) {
        self.precision = precision
        self.recall = recall
        fmeasure = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
    }

    static let zero = RougeScore(precision: 0, recall: 0)
}

/// The four ROUGE types `evaluate` reports, F-measures.
public struct RougeResult: Sendable, Equatable, Codable {
    public var rouge1: Double
    public var rouge2: Double
    public var rougeL: Double
    public var rougeLsum: Double
}

/// ROUGE-1, ROUGE-2, ROUGE-L and ROUGE-Lsum.
public enum Rouge {
    /// `rouge_score.tokenize.tokenize(text, stemmer=None)`: Python's `str.lower()`, every run of
    /// characters outside `[a-z0-9]` becomes a space, split on whitespace, keep `^[a-z0-9]+$` tokens.
    public static func tokenize(_ text: String) -> [String] {
        // Full Unicode lowercasing first (as Python's), so "İ" → "i̇" and the Kelvin sign → "k" keep their ASCII letter.
        var tokens: [String] = [], current = String.UnicodeScalarView()
        for s in text.lowercased().unicodeScalars {
            if ("a"..."z").contains(s) || ("0"..."9").contains(s) {
                current.append(s)
            } else if !current.isEmpty {
                tokens.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        if !current.isEmpty { tokens.append(String(current)) }
        return tokens
    }

    /// Scores of one (reference, prediction) pair, as `RougeScorer.score(target, prediction)`.
    public static func score(reference: String, prediction: String)
        -> (rouge1: RougeScore, rouge2: RougeScore, rougeL: RougeScore, rougeLsum: RougeScore) {
        let t = tokenize(reference), p = tokenize(prediction)
        return (ngram(t, p, n: 1), ngram(t, p, n: 2), lcs(t, p),
                summaryLevelLCS(sentences(reference).map(tokenize), sentences(prediction).map(tokenize)))
    }

    /// `evaluate.load("rouge").compute(predictions:references:use_aggregator=False)` averaged: the
    /// mean F-measure of each type over the pairs (0 for no pairs).
    ///
    /// `evaluate`'s default `use_aggregator=True` reports the median of 1000 bootstrap resamples of
    /// that mean (`BootstrapAggregator`, unseeded numpy), which scatters around this value; the exact
    /// mean is reported here so results are reproducible.
    public static func compute(predictions: [String], references: [String]) throws -> RougeResult {
        try MetricError.checkCounts(predictions: predictions.count, references: references.count)
        var sums = [0.0, 0.0, 0.0, 0.0]
        for (p, r) in zip(predictions, references) {
            let s = score(reference: r, prediction: p)
            sums[0] += s.rouge1.fmeasure
            sums[1] += s.rouge2.fmeasure
            sums[2] += s.rougeL.fmeasure
            sums[3] += s.rougeLsum.fmeasure
        }
        let n = Double(max(1, predictions.count))
        return RougeResult(rouge1: sums[0] / n, rouge2: sums[1] / n, rougeL: sums[2] / n, rougeLsum: sums[3] / n)
    }

    /// `six.ensure_str(text).split("\n")` without empty strings (only U+000A separates; "\r" stays in the line).
    static func sentences(_ text: String) -> [String] {
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: true).map { String(String.UnicodeScalarView($0)) }
    }

    /// `_score_ngrams(_create_ngrams(target, n), _create_ngrams(prediction, n))`.
    static func ngram(_ target: [String], _ prediction: [String], n: Int) -> RougeScore {
        func grams(_ t: [String]) -> [[String]: Int] {
            var c: [[String]: Int] = [:]
            if t.count >= n { for i in 0...(t.count - n) { c[Array(t[i..<(i + n)]), default: 0] += 1 } }
            return c
        }
        let tg = grams(target), pg = grams(prediction)
        let overlap = tg.reduce(0) { $0 + min($1.value, pg[$1.key] ?? 0) }
        let tc = tg.values.reduce(0, +), pc = pg.values.reduce(0, +)
        return RougeScore(precision: Double(overlap) / Double(max(pc, 1)), recall: Double(overlap) / Double(max(tc, 1)))
    }

    /// `_score_lcs`.
    static func lcs(_ target: [String], _ prediction: [String]) -> RougeScore {
        guard !target.isEmpty, !prediction.isEmpty else { return .zero }
        let l = lcsTable(target, prediction)[target.count][prediction.count]
        return RougeScore(precision: Double(l) / Double(prediction.count), recall: Double(l) / Double(target.count))
    }

    /// `_summary_level_lcs(ref_sent, can_sent)`: union LCS per reference sentence, each token counted
    /// at most as often as it occurs on both sides.
    static func summaryLevelLCS(_ ref: [[String]], _ can: [[String]]) -> RougeScore {
        guard !ref.isEmpty, !can.isEmpty else { return .zero }
        let m = ref.reduce(0) { $0 + $1.count }, n = can.reduce(0) { $0 + $1.count }
        guard m > 0, n > 0 else { return .zero }
        var countsR: [String: Int] = [:], countsC: [String: Int] = [:]
        for s in ref { for t in s { countsR[t, default: 0] += 1 } }
        for s in can { for t in s { countsC[t, default: 0] += 1 } }
        var hits = 0
        for r in ref {
            var union = Set<Int>()
            for c in can { union.formUnion(lcsIndices(r, c)) }
            for i in union.sorted() {
                let t = r[i]
                if countsC[t, default: 0] > 0, countsR[t, default: 0] > 0 {
                    hits += 1
                    countsC[t]! -= 1
                    countsR[t]! -= 1
                }
            }
        }
        return RougeScore(precision: Double(hits) / Double(n), recall: Double(hits) / Double(m))
    }

    /// `_lcs_table(ref, can)`: `[ref.count + 1][can.count + 1]` LCS lengths.
    static func lcsTable(_ ref: [String], _ can: [String]) -> [[Int]] {
        var t = [[Int]](repeating: [Int](repeating: 0, count: can.count + 1), count: ref.count + 1)
        for i in stride(from: 1, through: ref.count, by: 1) {
            for j in stride(from: 1, through: can.count, by: 1) {
                t[i][j] = ref[i - 1] == can[j - 1] ? t[i - 1][j - 1] + 1 : max(t[i - 1][j], t[i][j - 1])
            }
        }
        return t
    }

    /// `lcs_ind` → `_backtrack_norec`: indices into `ref` of one LCS, ties broken as rouge_score does.
    static func lcsIndices(_ ref: [String], _ can: [String]) -> [Int] {
        let t = lcsTable(ref, can)
        var i = ref.count, j = can.count, out: [Int] = []
        while i > 0 && j > 0 {
            if ref[i - 1] == can[j - 1] {
                out.append(i - 1)
                i -= 1
                j -= 1
            } else if t[i][j - 1] > t[i - 1][j] {
                j -= 1
            } else {
                i -= 1
            }
        }
        return out.reversed()
    }
}
