// The decoding state of one row of a TokenGenerator batch: logits processors, token choice,
// per-token details, finish reasons.

/// Decoding state of one row.
struct RowState {
    let request: TokenRequest
    let config: ProcessorConfig
    let eos: Set<Int32>
    let details: Bool
    var rng: SeededRandom
    let seed: UInt64?
    /// Input ids then new ids (the repetition penalty's history).
    var history: [Int32]
    var ids: [Int32] = []
    var logprobs: [Double] = [], ranks: [Int] = []
    /// Filled from the prefill when the row asked for input-token logprobs or ranks.
    var inputScores: InputTokenScores?
    var finished: FinishReason?

    init(_ r: TokenRequest, eos: [Int32]) {
        request = r
        config = r.parameters.processorConfig(eos: eos)
        self.eos = Set(eos)
        let prm = r.parameters
        details = prm.tokenLogprobs || prm.tokenRanks || prm.returnTokens
        if prm.decodingMethod == .sampling {
            seed = r.seed ?? prm.seed ?? GenerationSeed.draw()
        } else {
            seed = nil
        }
        rng = SeededRandom(seed: seed ?? 0)
        history = r.inputIds
        history.reserveCapacity(r.inputIds.count + prm.maxNewTokens)
    }

    /// Processes the row's scores in place and picks the next token.
    mutating func choose(_ scores: UnsafeMutablePointer<Float>, vocab: Int, row: Int) -> TokenStep {
        LogitsProcessors.apply(config, scores, vocab: vocab, history: history, generated: ids.count)
        let id = config.sampling ? TokenChooser.sample(scores, vocab: vocab, rng: &rng) : TokenChooser.argmax(scores, vocab: vocab)
        var step = TokenStep(row: row, id: Int32(id), index: ids.count)
        if details {
            let (lp, rank) = TokenChooser.logprobAndRank(scores, vocab: vocab, id: id)
            step.logprob = lp
            step.rank = rank
            logprobs.append(lp)
            ranks.append(rank)
        }
        ids.append(Int32(id))
        history.append(Int32(id))
        return step
    }

    /// caikit's order: EOS, then stop sequence, then the token budget.
    func reason(after id: Int32, stopSequence: Bool) -> FinishReason? {
        if eos.contains(id) { return .eosToken }
        if stopSequence { return .stopSequence }
        if ids.count >= request.parameters.maxNewTokens { return .maxTokens }
        return nil
    }

    var outcome: TokenOutcome {
        TokenOutcome(ids: ids, finishReason: finished ?? .notFinished, seed: seed,
                     logprobs: details ? logprobs : nil, ranks: details ? ranks : nil, inputScores: inputScores)
    }
}
