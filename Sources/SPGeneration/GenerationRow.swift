// One request as a row of a continuous batch (SPService's scheduler drives it): its prepared
// input, its prefill embeddings with its own soft prompt, its token choice (the same `RowState`
// the one-batch generator uses) and its text output (the same `RowOutput`). The scheduler owns the
// forward calls; the row turns each call's logits into its next token, its stream messages and
// finally its `GeneratedTextResult`.

import SPModels
import SPTensor

/// A generation request that runs as one row of a shared decoding batch.
///
/// Not thread-safe: one scheduler thread calls it from ``prefill(into:)`` to its end.
public final class GenerationRow: @unchecked Sendable {
    public let generator: TextGenerator
    private var state: RowState
    private var output: RowOutput
    private var scoring: InputScoring
    private let onMessage: (GeneratedTextStreamResult) throws -> Void
    private var start = 0.0
    /// The result, once the row has finished.
    public private(set) var result: GeneratedTextResult?

    /// Prepares `text` (verbalizer, tokenizer, truncation, checks) for `generator`'s decoder-only model.
    ///
    /// - Parameters:
    ///   - streaming: when true `onMessage` gets one caikit stream message per token, as
    ///     ``TextGenerator/generateStreaming(_:parameters:isCancelled:onMessage:)`` sends them.
    ///   - onMessage: called on the scheduler's thread.
    /// - Throws: ``GenerationError`` for invalid parameters or inputs (as `run` throws them), or
    ///   when the model is not decoder-only.
    public init(generator: TextGenerator, text: String, parameters: GenerationParameters, streaming: Bool,
                onMessage: @escaping (GeneratedTextStreamResult) throws -> Void = { _ in }) throws {
        guard generator.tokens.model.kind == .causalLM else {
            throw GenerationError.model("continuous batching runs decoder-only models; \(generator.tokens.model.spec.modelType) is \(generator.tokens.model.kind.taskType)")
        }
        self.generator = generator
        let prepared = try generator.prepare(text, parameters)
        let request = TokenRequest(inputIds: prepared.ids.map(Int32.init), parameters: prepared.parameters, seed: prepared.seed)
        try generator.tokens.check([request], pad: generator.padTokenId)
        state = RowState(request, eos: generator.eosTokenIds)
        output = try RowOutput(prepared, generator: generator, streaming: streaming)
        scoring = InputScoring([request], virtualTokens: generator.tokens.virtualTokens, longest: request.inputIds.count)
        self.onMessage = onMessage
    }

    /// Prefill positions: the soft prompt's rows and the input tokens.
    public var prefillLength: Int { generator.tokens.virtualTokens + state.request.inputIds.count }
    /// New tokens the row may still generate after its prefill.
    public var budget: Int { state.request.parameters.maxNewTokens }
    /// Prefill rows whose logits score the input tokens (see ``recordInputLogits(_:_:)``).
    public var scoringPositions: [Int] { scoring.positions }
    /// The token fed at the next step.
    public var lastToken: Int32 { state.ids.last ?? generator.padTokenId }
    /// True once the row has a result.
    public var finished: Bool { result != nil }

    /// Writes the prefill embeddings `[prefillLength, E]`: the soft prompt, then the input's
    /// token embeddings; starts the row's `max_time` clock.
    public func prefill(into x: UnsafeMutablePointer<Float>) {
        start = Clock.now()
        let tokens = generator.tokens, e = tokens.model.inputWidth, p = tokens.virtualTokens
        if p > 0 { tokens.prompt.withUnsafeBufferPointer { x.update(from: $0.baseAddress!, count: p * e) } }
        state.request.inputIds.withUnsafeBufferPointer { ids in
            guard let ip = ids.baseAddress else { return }
            Embedding.forwardUnchecked(ids: ip, count: ids.count, table: tokens.model.tokenEmbedding, x + p * e)
        }
    }

    /// The raw logits of `scoringPositions[i]` (input-token scores).
    public func recordInputLogits(_ i: Int, _ logits: UnsafePointer<Float>) {
        scoring.record(i, logits, vocab: generator.tokens.model.vocabularySize)
    }

    /// Takes the logits after the prefill (or a step) and produces the next token.
    /// - Returns: true when the row has finished (its result is set).
    /// - Throws: what the tokenizer or `onMessage` throws.
    public func next(_ logits: UnsafeMutablePointer<Float>) throws -> Bool {
        precondition(result == nil, "row already finished")
        if state.ids.isEmpty, let s = scoring.scores.first ?? nil {
            state.inputScores = s
            output.inputScores(s)
        }
        let step = state.choose(logits, vocab: generator.tokens.model.vocabularySize, row: 0)
        let stop = try output.token(step, generator, onMessage: onMessage)
        if let reason = state.reason(after: step.id, stopSequence: stop) {
            try finish(reason)
            return true
        }
        if let t = state.request.parameters.maxTime, Clock.now() - start > t {
            try finish(.timeLimit)
            return true
        }
        return false
    }

    /// Ends the row `CANCELLED` (its consumer went away).
    public func cancel() throws {
        guard result == nil else { return }
        try finish(.cancelled)
    }

    private func finish(_ reason: FinishReason) throws {
        state.finished = reason
        result = try output.finish(reason, generator, onMessage: onMessage)
    }
}
