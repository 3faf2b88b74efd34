// Accuracy, exact match and Matthews correlation on string labels, as HF `evaluate` and
// scikit-learn compute them (`accuracy_score`, `exact_match` with its defaults, `matthews_corrcoef`).

import Foundation

/// A metric was given inputs it cannot score.
public enum MetricError: Error, CustomStringConvertible, Equatable {
    /// `predictions` and `references` differ in length.
    case countMismatch(predictions: Int, references: Int)

    public var description: String {
        switch self {
        case let .countMismatch(p, r):
            return "predictions: \(p) values but references: \(r) (hint: pass one prediction per reference)"
        }
    }

    static func checkCounts(predictions: Int, references: Int) throws {
        guard predictions == references else { throw MetricError.countMismatch(predictions: predictions, references: references) }
    }
}

/// Label and string-equality metrics.
public enum ClassificationMetrics {
    /// `sklearn.metrics.accuracy_score(references, predictions)`: the fraction of equal pairs (0 for none).
    public static func accuracy(predictions: [String], references: [String]) throws -> Double {
        try MetricError.checkCounts(predictions: predictions.count, references: references.count)
        guard !predictions.isEmpty else { return 0 }
        let hits = zip(predictions, references).reduce(0) { $0 + (equal($1.0, $1.1) ? 1 : 0) }
        return Double(hits) / Double(predictions.count)
    }

    /// `evaluate`'s `exact_match` with its defaults (no regexes ignored, case and punctuation kept):
    /// the mean of `predictions == references`. For strings this equals ``accuracy(predictions:references:)``.
    public static func exactMatch(predictions: [String], references: [String]) throws -> Double {
        try accuracy(predictions: predictions, references: references)
    }

    /// `sklearn.metrics.matthews_corrcoef(references, predictions)` for any number of string labels:
    /// from the confusion matrix C, `(c·s − t·p) / √((s² − p·p)(s² − t·t))` with t the true and p the
    /// predicted counts per label, c the correct and s all samples; 0 when a denominator factor is 0.
    public static func matthewsCorrelation(predictions: [String], references: [String]) throws -> Double {
        try MetricError.checkCounts(predictions: predictions.count, references: references.count)
        // Labels compare as Python strings do: by code points (Swift's == would merge canonically equivalent ones).
        var index: [[Unicode.Scalar]: Int] = [:]
        for s in references + predictions where index[Array(s.unicodeScalars)] == nil {
            index[Array(s.unicodeScalars)] = index.count
        }
        var t = [Double](repeating: 0, count: index.count), p = t
        var correct = 0.0
        for (pred, ref) in zip(predictions, references) {
            let i = index[Array(ref.unicodeScalars)]!, j = index[Array(pred.unicodeScalars)]!
            t[i] += 1
            p[j] += 1
            if i == j { correct += 1 }
        }
        let samples = Double(predictions.count)
        let dotTP = zip(t, p).reduce(0.0) { $0 + $1.0 * $1.1 }
        let covYtYp = correct * samples - dotTP
        let covYpYp = samples * samples - p.reduce(0.0) { $0 + $1 * $1 }
        let covYtYt = samples * samples - t.reduce(0.0) { $0 + $1 * $1 }
        guard covYpYp * covYtYt != 0 else { return 0 }
        return covYtYp / (covYtYt * covYpYp).squareRoot()
    }

    /// Python string equality: same code points.
    static func equal(_ a: String, _ b: String) -> Bool {
        a.unicodeScalars.elementsEqual(b.unicodeScalars)
    }
}
