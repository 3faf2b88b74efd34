// transformers' logits processors (generation/logits_process.py, transformers 5.23), re-derived:
// each function rewrites one row of next-token scores in place, the way the named torch class does.
// `GenerationMixin._get_logits_processor` applies them in this order (only the ones enabled):
//   RepetitionPenaltyLogitsProcessor → MinNewTokensLengthLogitsProcessor → ExponentialDecayLengthPenalty
//   and, when sampling: TemperatureLogitsWarper → TopKLogitsWarper → TopPLogitsWarper → TypicalLogitsWarper.
// Greedy decoding takes the argmax after the first three; sampling draws from softmax of all.

import Foundation

/// The enabled processors of one request (see ``GenerationParameters`` for how caikit values map).
struct ProcessorConfig: Sendable, Equatable {
    var eos: [Int32] = []
    var repetitionPenalty: Float?
    var minNewTokens = 0
    var decay: ExponentialDecayLengthPenalty?
    var sampling = false
    var temperature: Float?
    var topK: Int?
    var topP: Double?
    var typicalP: Double?
}

/// One-row logits processors. `scores` is `[V]`; filtered entries become `-inf` (transformers'
/// `filter_value`); `minTokensToKeep` is 1 as in `generate` without beams.
public enum LogitsProcessors {
    /// `RepetitionPenaltyLogitsProcessor`: every distinct id of `history` (< V) gets
    /// `s < 0 ? s · penalty : s / penalty`. transformers passes the prompt ids without left padding
    /// (`prompt_ignore_length`) plus the generated ids; virtual tokens have no id and are not included.
    public static func repetitionPenalty(_ scores: UnsafeMutablePointer<Float>, vocab: Int, history: [Int32],
                                         penalty: Float) {
        var seen = Set<Int32>()
        for id in history where id >= 0 && Int(id) < vocab && seen.insert(id).inserted {
            let s = scores[Int(id)]
            scores[Int(id)] = s < 0 ? s * penalty : s / penalty
        }
    }

    /// `MinNewTokensLengthLogitsProcessor`: while fewer than `minNewTokens` tokens are generated,
    /// every EOS id scores `-inf`.
    public static func minNewTokens(_ scores: UnsafeMutablePointer<Float>, vocab: Int, eos: [Int32], generated: Int,
                                    minNewTokens: Int) {
        guard generated < minNewTokens else { return }
        for e in eos where e >= 0 && Int(e) < vocab { scores[Int(e)] = -.infinity }
    }

    /// `ExponentialDecayLengthPenalty`: once more than `startIndex` tokens are generated, each EOS
    /// score gains `|s| · (decayFactor^(generated − startIndex) − 1)` (0 when `s` is not finite).
    /// (transformers counts `cur_len > start_index + input_len`, i.e. `generated > startIndex`.)
    public static func exponentialDecay(_ scores: UnsafeMutablePointer<Float>, vocab: Int, eos: [Int32], generated: Int,
                                        startIndex: Int, decayFactor: Double) {
        guard generated > startIndex else { return }
        // penalty = torch.abs(scores[:, eos]) * (pow(regulation_factor, penalty_idx) - 1)
        let factor = Float(pow(decayFactor, Double(generated - startIndex)) - 1)
        for e in eos where e >= 0 && Int(e) < vocab {
            let s = scores[Int(e)]
            if s.isFinite { scores[Int(e)] = s + abs(s) * factor }
        }
    }

    /// `TemperatureLogitsWarper`: `s / t`.
    public static func temperature(_ scores: UnsafeMutablePointer<Float>, vocab: Int, _ t: Float) {
        for i in 0..<vocab { scores[i] /= t }
    }

    /// `TopKLogitsWarper`: scores below the k-th largest become `-inf` (ties with it survive).
    public static func topK(_ scores: UnsafeMutablePointer<Float>, vocab: Int, k: Int, minTokensToKeep: Int = 1) {
        let k = min(max(k, minTokensToKeep), vocab)
        guard k < vocab else { return }
        var sorted = Array(UnsafeBufferPointer(start: scores, count: vocab))
        sorted.sort(by: >)
        let threshold = sorted[k - 1]
        for i in 0..<vocab where scores[i] < threshold { scores[i] = -.infinity }
    }

    /// `TopPLogitsWarper`: sort ascending, softmax, cumulative sum; remove where the cumulative
    /// probability is ≤ 1 − p, except the `minTokensToKeep` largest.
    public static func topP(_ scores: UnsafeMutablePointer<Float>, vocab: Int, p: Double, minTokensToKeep: Int = 1) {
        let order = (0..<vocab).sorted { scores[$0] < scores[$1] }
        let probs = softmax(order.map { scores[$0] })
        var cum = 0.0
        var remove = [Bool](repeating: false, count: vocab)
        for j in 0..<vocab {
            cum += probs[j]
            remove[j] = cum <= 1 - p
        }
        for j in max(0, vocab - minTokensToKeep)..<vocab { remove[j] = false }
        for j in 0..<vocab where remove[j] { scores[order[j]] = -.infinity }
    }

    /// `TypicalLogitsWarper`: rank tokens by |−log p − H| (H the entropy), keep the smallest set
    /// whose probability reaches `mass` (plus ties with its last member).
    public static func typicalP(_ scores: UnsafeMutablePointer<Float>, vocab: Int, mass: Double, minTokensToKeep: Int = 1) {
        let values = Array(UnsafeBufferPointer(start: scores, count: vocab))
        let logp = logSoftmax(values)
        var entropy = 0.0
        for l in logp where l.isFinite { entropy -= l * exp(l) }  // nansum: -inf · 0 is skipped
        let shifted = logp.map { abs(-$0 - entropy) }
        let order = (0..<vocab).sorted { shifted[$0] < shifted[$1] }
        let probs = softmax(order.map { values[$0] })
        var cum = 0.0, lastIndex = 0
        for j in 0..<vocab {
            cum += probs[j]
            if cum < mass { lastIndex += 1 }
        }
        lastIndex = min(lastIndex, vocab - 1)
        let limit = shifted[order[lastIndex]]
        for j in minTokensToKeep..<max(minTokensToKeep, vocab) where shifted[order[j]] > limit {
            scores[order[j]] = -.infinity
        }
    }

    /// Applies the enabled processors in transformers' order. `history`: the row's unpadded input
    /// ids followed by its generated ids; `generated`: how many of those are generated.
    static func apply(_ c: ProcessorConfig, _ scores: UnsafeMutablePointer<Float>, vocab: Int, history: [Int32],
                      generated: Int) {
        if let r = c.repetitionPenalty { repetitionPenalty(scores, vocab: vocab, history: history, penalty: r) }
        if c.minNewTokens > 0 {
            minNewTokens(scores, vocab: vocab, eos: c.eos, generated: generated, minNewTokens: c.minNewTokens)
        }
        if let d = c.decay {
            exponentialDecay(scores, vocab: vocab, eos: c.eos, generated: generated, startIndex: d.startIndex,
                             decayFactor: d.decayFactor)
        }
        guard c.sampling else { return }
        if let t = c.temperature { temperature(scores, vocab: vocab, t) }
        if let k = c.topK { topK(scores, vocab: vocab, k: k) }
        if let p = c.topP { topP(scores, vocab: vocab, p: p) }
        if let m = c.typicalP { typicalP(scores, vocab: vocab, mass: m) }
    }

    /// Softmax in Double (`-inf` → 0).
    static func softmax(_ x: [Float]) -> [Double] {
        let m = Double(x.max() ?? 0)
        guard m.isFinite else { return x.map { _ in 1 / Double(max(x.count, 1)) } }
        var e = x.map { exp(Double($0) - m) }
        let s = e.reduce(0, +)
        for i in e.indices { e[i] /= s }
        return e
    }

    /// Log-softmax in Double (`-inf` stays `-inf`).
    static func logSoftmax(_ x: [Float]) -> [Double] {
        let m = Double(x.max() ?? 0)
        guard m.isFinite else { return x.map { _ in -log(Double(max(x.count, 1))) } }
        var s = 0.0
        for v in x { s += exp(Double(v) - m) }
        let lse = m + log(s)
        return x.map { Double($0) - lse }
    }
}
