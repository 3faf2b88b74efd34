// The text side of one generated row: incremental detokenization, stop sequences, token details,
// stream messages and the final `GeneratedTextResult`. `TextGenerator` (one batch) and
// `GenerationRow` (a row of a continuous batch) share it, so a row's output is built the same way
// whichever path produced its tokens.

/// Text-level state of one row.
struct RowOutput {
    let prepared: TextGenerator.Prepared
    let streaming: Bool
    private var text: RowText
    private var details: [GeneratedToken] = []
    private var count = 0
    /// caikit `input_tokens`: texts now, scores when the prefill reports them.
    private var inputDetails: [GeneratedToken]?
    /// Streams carry the input tokens in the row's first message.
    private var inputPending: Bool
    /// The detail of a token whose message is deferred to the final one.
    private var pendingToken: GeneratedToken?

    init(_ prepared: TextGenerator.Prepared, generator g: TextGenerator, streaming: Bool) throws {
        self.prepared = prepared
        self.streaming = streaming
        let p = prepared.parameters
        text = RowText(decoder: IncrementalDecoder(tokenizer: g.tokenizer, context: prepared.ids),
                       stops: StopSequenceMatcher(p.stopSequences), includeStop: p.includeStopSequence)
        if p.inputTokens {
            inputDetails = try prepared.ids.map { GeneratedToken(text: try g.tokenText($0)) }
        }
        inputPending = p.inputTokens
    }

    /// Fills the input tokens' scores from the prefill.
    mutating func inputScores(_ scores: InputTokenScores) {
        let p = prepared.parameters
        guard var list = inputDetails else { return }
        for j in list.indices {
            if p.tokenLogprobs { list[j].logprob = scores.logprobs[j] }
            if p.tokenRanks { list[j].rank = scores.ranks[j] }
        }
        inputDetails = list
    }

    private mutating func takeInput() -> [GeneratedToken]? {
        guard inputPending else { return nil }
        inputPending = false
        return inputDetails
    }

    private func streamDetails(_ reason: FinishReason) -> TokenStreamDetails {
        TokenStreamDetails(finishReason: reason, generatedTokens: count, seed: prepared.seed,
                           inputTokenCount: prepared.ids.count)
    }

    /// A new token: returns true when a stop sequence completed (the row ends `STOP_SEQUENCE`).
    mutating func token(_ s: TokenStep, _ g: TextGenerator,
                        onMessage: (GeneratedTextStreamResult) throws -> Void) throws -> Bool {
        let p = prepared.parameters
        count += 1
        let stop = try text.push(Int(s.id))
        let detail = p.returnTokens
            ? GeneratedToken(text: try g.tokenText(Int(s.id)), logprob: p.tokenLogprobs ? s.logprob : nil,
                             rank: p.tokenRanks ? s.rank : nil)
            : nil
        if let detail { details.append(detail) }
        // A token whose row ends here is reported with the final message instead.
        if streaming, !stop, !g.ends(s, p) {
            let piece = text.take(final: false)
            try onMessage(GeneratedTextStreamResult(generatedText: piece, tokens: detail.map { [$0] },
                                                    details: streamDetails(.notFinished), producerId: g.producerId,
                                                    inputTokens: takeInput()))
        } else {
            pendingToken = detail
        }
        return stop
    }

    /// The row ended: the final stream message (when streaming) and the result.
    mutating func finish(_ reason: FinishReason, _ g: TextGenerator,
                         onMessage: (GeneratedTextStreamResult) throws -> Void) throws -> GeneratedTextResult {
        try text.finish()
        let p = prepared.parameters
        if streaming {
            let piece = text.take(final: true)
            try onMessage(GeneratedTextStreamResult(generatedText: piece, tokens: pendingToken.map { [$0] },
                                                    details: streamDetails(reason), producerId: g.producerId,
                                                    inputTokens: takeInput()))
        }
        var out = text.string
        if p.preserveInputText {
            let input = try g.tokenizer.decode(prepared.ids, skipSpecialTokens: true, cleanUpTokenizationSpaces: true)
            out = input + out
        }
        return GeneratedTextResult(
            generatedText: out, generatedTokens: count, finishReason: reason, producerId: g.producerId,
            inputTokenCount: prepared.ids.count, seed: prepared.seed,
            tokens: p.returnTokens ? details : nil, inputTokens: inputDetails)
    }
}
