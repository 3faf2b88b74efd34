// Checks a seq2seq model adds to `TokenGenerator.generate`, made before any work starts.

import SPModels

extension TokenGenerator {
    /// What an encoder-decoder model cannot do, refused before any work: input-token scores (the
    /// encoder predicts no tokens, and transformers computes none for it), and a sequence longer
    /// than the learned positions of either stack (BART's `max_position_embeddings`): the encoder
    /// sees its prompt rows plus the input, the decoder its prompt rows, the start token and all
    /// but the last new token.
    func checkSeq2Seq(_ requests: [TokenRequest]) throws {
        guard let s2s = model as? Seq2SeqModel else { return }
        for (i, r) in requests.enumerated() where r.parameters.inputTokens && (r.parameters.tokenLogprobs || r.parameters.tokenRanks) {
            throw GenerationError.invalidParameter(
                field: "input_tokens", value: "true",
                reason: "row \(i): input-token scores (token_logprobs / token_ranks) are not available for encoder-decoder models (\(s2s.seq2seqSpec.modelType)): the encoder predicts no tokens; drop input_tokens or the scores",
                code: nil)
        }
        guard let limit = s2s.seq2seqSpec.maxPositions else { return }
        let decoderRows = virtualTokens - encoderRows
        for r in requests {
            let source = encoderRows + r.inputIds.count
            if source > limit {
                throw GenerationError.inputTooLong(
                    tokens: source, limit: limit,
                    hint: "the encoder sees \(encoderRows) virtual + \(r.inputIds.count) input tokens, \(s2s.seq2seqSpec.modelType) has \(limit) positions (max_position_embeddings); set truncate_input_tokens")
            }
            let (target, overflow) = decoderRows.addingReportingOverflow(r.parameters.maxNewTokens)
            if overflow || target > limit {
                throw GenerationError.inputTooLong(
                    tokens: overflow ? Int.max : target, limit: limit,
                    hint: "the decoder sees \(decoderRows) virtual + the start token + \(r.parameters.maxNewTokens) - 1 new tokens, \(s2s.seq2seqSpec.modelType) has \(limit) positions (max_position_embeddings); lower max_new_tokens")
            }
        }
    }
}
