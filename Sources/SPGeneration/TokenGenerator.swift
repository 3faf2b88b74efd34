// Batched decoding at the token level with a KV cache: one prefill of the left-padded batch with the
// soft prompt in front, then one token per row per step until every row has finished.
//
// Layout of row r at the prefill (P virtual tokens, L = longest input, n_r = L − len_r pads):
//   embeds = [prompt (P rows); pad embedding × n_r; embed(ids_r)],  mask = [1 × P, 0 × n_r, 1 × len_r]
// — PEFT's layout: the prompt goes in front of the padding and the mask is extended with ones in
// front. Position ids are cumsum(mask) − 1, so each row's real tokens sit at P, P+1, … however much
// padding it has. For an unpadded row that equals what PEFT's `generate` uses (position_ids None →
// arange + cache length); in a padded batch PEFT's arange would shift each row by its padding, which
// makes PEFT's batched results depend on the batch — we don't copy that: a row's tokens are the same
// alone or in any batch.

import SPModels
import SPPrompt
import SPTensor

/// One row of a batch at the token level.
public struct TokenRequest: Sendable {
    /// The input ids (after truncation), without padding.
    public var inputIds: [Int32]
    public var parameters: GenerationParameters
    /// The sampling seed (ignored under greedy decoding; nil under sampling draws one at random).
    public var seed: UInt64?

    public init(inputIds: [Int32], parameters: GenerationParameters = GenerationParameters(), seed: UInt64? = nil) {
        self.inputIds = inputIds
        self.parameters = parameters
        self.seed = seed
    }
}

/// A token as it is produced.
public struct TokenStep: Sendable, Equatable {
    /// The row of the batch.
    public var row: Int
    /// The new token.
    public var id: Int32
    /// 0-based index among the row's new tokens.
    public var index: Int
    /// log softmax of the processed scores at `id` (when the row asked for logprobs or tokens).
    public var logprob: Double?
    /// 1-based rank of `id` among the processed scores (when asked for).
    public var rank: Int?
}

/// What one row produced.
public struct TokenOutcome: Sendable, Equatable {
    /// New ids only (an EOS that ended the row is included, as transformers returns it).
    public var ids: [Int32]
    public var finishReason: FinishReason
    /// The seed actually used (sampling only).
    public var seed: UInt64?
    /// Per new token (when asked for).
    public var logprobs: [Double]?
    public var ranks: [Int]?
    /// The input tokens' scores (when the row set `inputTokens` with `tokenLogprobs` or `tokenRanks`).
    public var inputScores: InputTokenScores?
}

/// Generates token ids from a frozen model with an optional soft prompt. Concurrent calls are safe
/// (each has its own KV cache and buffers) but share the cores and the thread pool, so serialise
/// them (e.g. in an actor) for throughput.
public final class TokenGenerator: @unchecked Sendable {
    public let model: any LanguageModel
    /// The soft prompt, `[virtualTokens, E]` (empty for none).
    public let prompt: [Float]
    public let virtualTokens: Int
    /// Leading prompt rows that go in front of the encoder input of a seq2seq model (the rest go in
    /// front of its decoder input); 0 for a causal LM.
    public let encoderRows: Int

    /// - Throws: ``GenerationError/promptMismatch(reason:hint:)`` when the prompt's width is not
    ///   the model's input width.
    public init(model: any LanguageModel, prompt: TunedPrompt? = nil) throws {
        self.model = model
        if let p = prompt {
            guard p.tokenDim == model.inputWidth else {
                throw GenerationError.promptMismatch(
                    reason: "token_dim \(p.tokenDim) vs the model's input embedding width \(model.inputWidth)",
                    hint: "the prompt was tuned for another base model (\(p.baseModel ?? "unknown"))")
            }
            guard p.taskType == model.kind else {
                throw GenerationError.promptMismatch(
                    reason: "the prompt was tuned for a \(p.taskType.taskType) model, \(model.spec.modelType) is \(model.kind.taskType)",
                    hint: "use a base model of the kind the prompt was trained on (\(p.baseModel ?? "unknown"))")
            }
            self.prompt = p.values
            virtualTokens = p.virtualTokens
            encoderRows = p.encoderRows
        } else {
            self.prompt = []
            virtualTokens = 0
            encoderRows = 0
        }
    }

    /// Positions the model can embed (learned absolute positions), nil when unbounded (RoPE, ALiBi).
    public var positionLimit: Int? { model.positionLimit }

    /// The context length of a rotary model (`max_position_embeddings`, GGUF `context_length`):
    /// transformers refuses nothing here, but the caches are sized from it, so a `max_new_tokens`
    /// of 10⁹ must be an error, not an allocation. Nil for ALiBi and dynamic-NTK models, which
    /// extend past it by design (see `LanguageModel.contextLimit`).
    public var contextLimit: Int? { model.contextLimit }

    /// The longest sequence generated for models without a position limit (ALiBi, dynamic NTK),
    /// so that a huge `max_new_tokens` is an error instead of a cache allocation that cannot succeed.
    public static let maxSequence = 1 << 20

    /// Generates for every request together (rows finish independently).
    ///
    /// - Parameters:
    ///   - eos: ids that end a row (transformers' `eos_token_id`, possibly several).
    ///   - pad: the id fed for padding and for rows that already finished.
    ///   - isCancelled: polled once per step; when true every unfinished row ends `CANCELLED`.
    ///   - onInputScores: called once per row that asked for input-token scores (see
    ///     ``GenerationParameters/inputTokens``), right after the prefill that holds it and before
    ///     its first token (rows split by length run, and report, one length after another).
    ///   - onToken: called for each new token in row order; return true to end that row with
    ///     `STOP_SEQUENCE` (the token is kept).
    ///   - onFinish: called once per row with its finish reason, right after its last token.
    /// - Throws: ``GenerationError`` for invalid parameters, ids outside the vocabulary or inputs
    ///   longer than the model's positions; whatever the callbacks throw.
    public func generate(_ requests: [TokenRequest], eos: [Int32], pad: Int32, isCancelled: () -> Bool = { false },
                         onInputScores: (Int, InputTokenScores) throws -> Void = { _, _ in },
                         onToken: (TokenStep) throws -> Bool = { _ in false },
                         onFinish: (Int, FinishReason) throws -> Void = { _, _ in }) throws -> [TokenOutcome] {
        guard !requests.isEmpty else { return [] }
        try check(requests, pad: pad)
        let start = Clock.now()
        guard paddingChangesResults else {
            return try run(requests, ids: Array(requests.indices), eos: eos, pad: pad, start: start, isCancelled: isCancelled,
                           onInputScores: onInputScores, onToken: onToken, onFinish: onFinish)
        }
        // Rows of equal length need no padding: run each length as its own batch.
        var out = [TokenOutcome?](repeating: nil, count: requests.count)
        for (_, group) in Dictionary(grouping: requests.indices, by: { requests[$0].inputIds.count }).sorted(by: { $0.key > $1.key }) {
            if isCancelled() {
                for i in group {
                    out[i] = TokenOutcome(ids: [], finishReason: .cancelled)
                    try onFinish(i, .cancelled)
                }
                continue
            }
            let part = try run(group.map { requests[$0] }, ids: group, eos: eos, pad: pad, start: start, isCancelled: isCancelled,
                               onInputScores: onInputScores, onToken: onToken, onFinish: onFinish)
            for (i, o) in zip(group, part) { out[i] = o }
        }
        return out.map { $0! }
    }

    /// The checks every request passes before any forward call: parameters, ids inside the
    /// vocabulary, something to condition on, and room for the whole sequence.
    /// - Throws: ``GenerationError`` naming the row and the limit.
    public func check(_ requests: [TokenRequest], pad: Int32) throws {
        for r in requests { try r.parameters.validate() }
        let vocabIn = model.tokenEmbedding.outFeatures
        for (i, r) in requests.enumerated() {
            if let bad = r.inputIds.first(where: { $0 < 0 || Int($0) >= vocabIn }) {
                throw GenerationError.tokenizer("row \(i): token id \(bad) is outside the model's vocabulary 0..<\(vocabIn)")
            }
            if r.inputIds.isEmpty && (model.kind == .seq2seqLM ? encoderRows : virtualTokens) == 0 {
                throw GenerationError.tokenizer("row \(i): empty input and no soft prompt: nothing to condition on")
            }
        }
        guard pad >= 0, Int(pad) < vocabIn else { throw GenerationError.tokenizer("pad id \(pad) is outside 0..<\(vocabIn)") }
        let p = virtualTokens
        do {
            let limit = positionLimit ?? contextLimit ?? Self.maxSequence
            for r in requests {
                let (need, overflow) = (p + r.inputIds.count).addingReportingOverflow(r.parameters.maxNewTokens)
                guard overflow || need > limit else { continue }
                throw GenerationError.inputTooLong(
                    tokens: overflow ? Int.max : need, limit: limit,
                    hint: "\(p) virtual + \(r.inputIds.count) input + \(r.parameters.maxNewTokens) new tokens; lower max_new_tokens or set truncate_input_tokens")
            }
        }
        try checkSeq2Seq(requests)
    }

    /// True when left padding would change a row's tokens: a sliding window counts key slots
    /// (padding included, as transformers' mask does) and dynamic NTK RoPE takes its frequencies
    /// from the longest row of the call (as transformers does). Such batches are split by length.
    public var paddingChangesResults: Bool { model.paddingChangesResults }

    /// One batch; `ids[i]` is request i's row number in the caller's batch.
    private func run(_ requests: [TokenRequest], ids: [Int], eos: [Int32], pad: Int32, start: Double, isCancelled: () -> Bool,
                     onInputScores: (Int, InputTokenScores) throws -> Void,
                     onToken: (TokenStep) throws -> Bool, onFinish: (Int, FinishReason) throws -> Void) throws -> [TokenOutcome] {
        let seq2seq = model as? Seq2SeqModel
        // Rows in front of the prefill's input: the whole prompt (causal), its encoder block (seq2seq).
        let p = seq2seq == nil ? virtualTokens : encoderRows
        let b = requests.count, e = model.inputWidth, v = model.vocabularySize
        let longest = requests.map(\.inputIds.count).max()!
        let maxNew = requests.map(\.parameters.maxNewTokens).max()!
        var rows = requests.map { RowState($0, eos: eos) }
        let decoderPrompt = Array(self.prompt[(p * e)...])
        let session = seq2seq.map {
            $0.makeDecodingSession(batch: b, capacity: p + longest + maxNew, encoderPrompt: p, decoderPrompt: decoderPrompt)
        } ?? model.makeDecodingSession(batch: b, capacity: p + longest + maxNew)
        let prompt = Array(self.prompt[0..<(p * e)])
        var logits = [Float](repeating: 0, count: b * v)

        // Prefill.
        let t0 = p + longest
        var embeds = [Float](repeating: 0, count: b * t0 * e)
        var mask = [Int32](repeating: 0, count: b * t0)
        let padRow = model.tokenEmbedding.row(Int(pad))
        for (r, req) in requests.enumerated() {
            let base = r * t0 * e, pads = longest - req.inputIds.count
            if p > 0 { embeds.replaceSubrange(base..<(base + p * e), with: prompt) }
            for j in 0..<pads { embeds.replaceSubrange((base + (p + j) * e)..<(base + (p + j + 1) * e), with: padRow) }
            embeds.withUnsafeMutableBufferPointer { x in
                req.inputIds.withUnsafeBufferPointer { ids in
                    guard let ip = ids.baseAddress else { return }
                    Embedding.forwardUnchecked(ids: ip, count: ids.count, table: model.tokenEmbedding,
                                               x.baseAddress! + base + (p + pads) * e)
                }
            }
            for j in 0..<t0 { mask[r * t0 + j] = (j < p || j >= p + pads) ? 1 : 0 }
        }
        var scoring = InputScoring(requests, virtualTokens: p, longest: longest)
        try decode(embeds, mask, tokens: t0, session, &logits, positions: scoring.positions) { i, l in
            scoring.record(i, l, vocab: v)
        }
        for (r, s) in scoring.scores.enumerated() {
            guard let s else { continue }
            rows[r].inputScores = s
            try onInputScores(ids[r], s)
        }

        var stepIds = [Int32](repeating: pad, count: b)
        var stepEmbeds = [Float](repeating: 0, count: b * e)
        let ones = [Int32](repeating: 1, count: b)
        while true {
            for r in 0..<b where rows[r].finished == nil {
                let step = logits.withUnsafeMutableBufferPointer { l in rows[r].choose(l.baseAddress! + r * v, vocab: v, row: ids[r]) }
                let stop = try onToken(step)
                if let reason = rows[r].reason(after: step.id, stopSequence: stop) {
                    rows[r].finished = reason
                    try onFinish(ids[r], reason)
                }
            }
            let now = Clock.now()
            for r in 0..<b where rows[r].finished == nil {
                if let t = rows[r].request.parameters.maxTime, now - start > t {
                    rows[r].finished = .timeLimit
                    try onFinish(ids[r], .timeLimit)
                }
            }
            if isCancelled() {
                for r in 0..<b where rows[r].finished == nil {
                    rows[r].finished = .cancelled
                    try onFinish(ids[r], .cancelled)
                }
            }
            if rows.allSatisfy({ $0.finished != nil }) { break }
            for r in 0..<b { stepIds[r] = rows[r].finished == nil ? rows[r].ids.last! : pad }
            stepEmbeds.withUnsafeMutableBufferPointer { x in
                Embedding.forwardUnchecked(ids: stepIds, count: b, table: model.tokenEmbedding, x.baseAddress!)
            }
            try decode(stepEmbeds, ones, tokens: 1, session, &logits)
        }
        return rows.map(\.outcome)
    }

    /// One model call; `positions`/`onLogits` as in ``DecodingSession/decode(embeds:mask:tokens:logits:positions:onLogits:)``.
    private func decode(_ x: [Float], _ mask: [Int32], tokens: Int, _ session: any DecodingSession, _ logits: inout [Float],
                        positions: [Int] = [],
                        onLogits: (Int, UnsafePointer<Float>) -> Void = { _, _ in }) throws {
        do {
            try logits.withUnsafeMutableBufferPointer { l in
                try session.decode(embeds: x, mask: mask, tokens: tokens, logits: l.baseAddress!, positions: positions,
                                   onLogits: onLogits)
            }
        } catch {
            throw GenerationError.model("\(error)")
        }
    }
}
