// Log-probabilities and ranks of the input tokens (TGIS `input_tokens` with `token_logprobs` /
// `token_ranks`), read from the prefill's logits: no second forward pass.
//
// Input token j of a row is scored by the logits of the position just before it. In the prefill
// layout [prompt (P); pads (n); ids] that is position P + n + j − 1 for j ≥ 1, and for j = 0 the
// last virtual token, P − 1 (it sees only the prompt, so padding does not change it). This equals
// `log_softmax(PeftModel(input_ids).logits[0, P + j − 1])[ids[j]]`. With no soft prompt nothing
// precedes token 0: TGIS reports NaN there; we leave it nil (omitted from JSON, which has no NaN).
//
// The scores are the model's raw logits: input positions go through no logits processor (there is
// no generation history to penalise, no sampling filter to apply). For greedy decoding without a
// repetition penalty, min_new_tokens or length penalty the generated tokens' processed scores are
// the raw logits too, so both lists are then on the same scale.

/// Log-probabilities and ranks of one row's input tokens under the model.
public struct InputTokenScores: Sendable, Equatable {
    /// Per input token: `log_softmax(logits)[id]` at the position before it; nil for the first
    /// token when no soft prompt precedes it.
    public var logprobs: [Double?]
    /// Per input token: 1 + the number of vocabulary entries with a strictly larger logit; nil
    /// where `logprobs` is nil.
    public var ranks: [Int?]

    public init(logprobs: [Double?], ranks: [Int?]) {
        self.logprobs = logprobs
        self.ranks = ranks
    }

    init(count: Int) {
        logprobs = Array(repeating: nil, count: count)
        ranks = Array(repeating: nil, count: count)
    }
}

extension GenerationParameters {
    /// Whether a row needs its input tokens scored at the prefill.
    var wantsInputScores: Bool { inputTokens && (tokenLogprobs || tokenRanks) }
}

/// Which prefill rows score which input tokens, and the scores as they arrive.
struct InputScoring {
    /// Flattened `(r·T + t)` prefill rows whose logits are needed.
    private(set) var positions: [Int] = []
    /// For each entry of `positions`: the batch row, the input index and the token id it scores.
    private var targets: [(row: Int, index: Int, id: Int)] = []
    /// Per batch row (nil for rows that did not ask).
    private(set) var scores: [InputTokenScores?]

    /// - Parameters:
    ///   - virtualTokens: P, the soft prompt's length.
    ///   - longest: the longest input of the batch (rows are left-padded to it after the prompt).
    init(_ requests: [TokenRequest], virtualTokens p: Int, longest: Int) {
        scores = requests.map { $0.parameters.wantsInputScores ? InputTokenScores(count: $0.inputIds.count) : nil }
        let t0 = p + longest
        for (r, req) in requests.enumerated() where scores[r] != nil {
            let pads = longest - req.inputIds.count
            for (j, id) in req.inputIds.enumerated() {
                let pos = j == 0 ? p - 1 : p + pads + j - 1
                guard pos >= 0 else { continue }
                positions.append(r * t0 + pos)
                targets.append((r, j, Int(id)))
            }
        }
    }

    /// Scores the token of `positions[i]` with that position's raw logits.
    mutating func record(_ i: Int, _ logits: UnsafePointer<Float>, vocab: Int) {
        let t = targets[i]
        guard t.id < vocab else { return }
        let (lp, rank) = TokenChooser.logprobAndRank(logits, vocab: vocab, id: t.id)
        scores[t.row]?.logprobs[t.index] = lp
        scores[t.row]?.ranks[t.index] = rank
    }
}
