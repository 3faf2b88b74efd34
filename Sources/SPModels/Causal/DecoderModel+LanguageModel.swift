// The decoder-only engine behind the model seam: a prompt-tuning step that prepends the soft prompt
// the way PEFT does, and a KV-cached decoding session.

import SPTensor

extension DecoderModel: LanguageModel {
    /// Always ``ModelKind/causalLM``.
    public var kind: ModelKind { .causalLM }
    /// The LM head's vocabulary.
    public var vocabularySize: Int { head.vocab }

    /// Learned absolute positions' length (less their offset); nil for RoPE and ALiBi.
    public var positionLimit: Int? {
        input.learnedPositions.map { $0.outFeatures - Int(input.positionOffset) }
    }

    /// RoPE's `max_position_embeddings` unless the scaling is dynamic NTK (which extends past it).
    public var contextLimit: Int? {
        guard let r = rotary, r.scaling.kind != .dynamic else { return nil }
        return spec.maxPositions
    }

    /// A sliding window counts key slots (padding included, as transformers' mask does) and dynamic
    /// NTK RoPE takes its frequencies from the longest row of the call (as transformers does).
    public var paddingChangesResults: Bool {
        blocks.contains { $0.attention.slidingWindow != nil } || rotary?.scaling.kind == .dynamic
    }

    /// PEFT's prompt-tuning step for this model (see ``CausalPromptStep``).
    public func makePromptStep(checkpointing: Bool) -> any PromptStep {
        CausalPromptStep(model: self, checkpointing: checkpointing)
    }

    /// A KV-cached decoding session (positions from the mask's cumulative sum).
    public func makeDecodingSession(batch: Int, capacity: Int) -> any DecodingSession {
        CausalDecodingSession(model: self, batch: batch, capacity: capacity)
    }
}

/// Decoding with a ``KVCache``; positions are the mask's cumulative sum, as transformers'
/// `generate` derives them (`.cumsumMask(padValue: 1)`).
final class CausalDecodingSession: DecodingSession {
    let model: DecoderModel
    let cache: KVCache
    let workspace = InferenceWorkspace()

    init(model: DecoderModel, batch: Int, capacity: Int) {
        self.model = model
        cache = KVCache(model: model, batch: batch, capacity: capacity)
    }

    func decode(embeds: UnsafePointer<Float>, mask: UnsafePointer<Int32>, tokens: Int,
                logits: UnsafeMutablePointer<Float>, positions: [Int],
                onLogits: (Int, UnsafePointer<Float>) -> Void) throws {
        try model.decode(embeds: embeds, mask: mask, tokens: tokens, cache: cache, rule: .cumsumMask(padValue: 1),
                         logits: logits, workspace: workspace, positions: positions, onLogits: onLogits)
    }
}

/// PEFT's prompt-tuning forward for a decoder-only model: the prompt rows go in front of every
/// row's token embeddings, the attention mask gets ones in front and the labels -100. With a prompt
/// the prompt's rows, identical in every row, are computed once per batch
/// (``DecoderModel/promptLossAndGradient(prompt:embeds:mask:labels:batch:virtualTokens:tokens:dPrompt:scale:workspace:hits:)``);
/// without one (or without tokens) the plain batch step runs on the concatenated rows.
final class CausalPromptStep: PromptStep {
    let model: DecoderModel
    let workspace: TrainingWorkspace
    let promptWorkspace: PromptTrainingWorkspace
    /// d(prompt) of one micro-batch, summed over its rows.
    let promptGrad = Tensor(shape: [0])
    let embeds = Tensor(shape: [0]), dEmbeds = Tensor(shape: [0])
    var ids: [Int32] = [], mask: [Int32] = [], labels: [Int32] = [], hits: [Int32] = []

    init(model: DecoderModel, checkpointing: Bool) {
        self.model = model
        workspace = TrainingWorkspace(checkpointing: checkpointing)
        promptWorkspace = PromptTrainingWorkspace(checkpointing: checkpointing)
    }

    func run(prompt: Tensor, input: PromptBatchInput, accumulate grad: UnsafeMutablePointer<Float>?,
             scale: Float) throws -> PromptStepResult {
        let b = input.batch, l = input.length, v = prompt.shape[0], t = l + v, e = model.inputWidth
        guard input.targetLength == l, input.labels.count == b * l else {
            throw ModelError.invalidInput("a decoder-only model takes labels aligned with input_ids (\(b)×\(l)), got \(input.labels.count) labels of length \(input.targetLength)")
        }
        let train = grad != nil
        let shared = v > 0 && l > 0
        embeds.reshape([b, t, e])
        if train && !shared { dEmbeds.reshape([b, t, e]) }
        if train && shared { promptGrad.reshape([v, e]) }
        resize(&ids, b * l); resize(&mask, b * t); resize(&labels, b * t); resize(&hits, b * t)
        for i in 0..<(b * l) {
            let id = input.inputIds[i]
            guard id >= 0 && id < model.head.vocab else {
                throw ModelError.invalidInput("token id \(id) outside the vocabulary of \(model.head.vocab)")
            }
            ids[i] = Int32(id)
        }
        for r in 0..<b {
            let row = embeds.data + r * (shared ? l : t) * e
            if !shared { row.update(from: prompt.data, count: v * e) }
            ids.withUnsafeBufferPointer { p in
                Embedding.forwardUnchecked(ids: p.baseAddress! + r * l, count: l, table: model.tokenEmbedding,
                                           shared ? row : row + v * e)
            }
            for j in 0..<v { mask[r * t + j] = 1; labels[r * t + j] = -100 }
            for j in 0..<l {
                mask[r * t + v + j] = Int32(input.attentionMask[r * l + j])
                labels[r * t + v + j] = Int32(input.labels[r * l + j])
            }
        }
        let (loss, count) = try hits.withUnsafeMutableBufferPointer { h in
            if !shared {
                return try model.lossAndGradient(embeds: embeds.data, mask: mask, labels: labels, batch: b, tokens: t,
                                                 dEmbeds: train ? dEmbeds.data : nil, scale: scale,
                                                 workspace: workspace, hits: h.baseAddress!)
            }
            return try model.promptLossAndGradient(
                prompt: prompt.data, embeds: embeds.data, mask: mask, labels: labels, batch: b, virtualTokens: v,
                tokens: l, dPrompt: train ? promptGrad.data : nil, scale: scale, workspace: promptWorkspace,
                hits: h.baseAddress!)
        }
        if let grad {
            // Σ over the batch of the prompt rows' gradient (already summed on the shared path).
            for r in 0..<(shared ? 1 : b) {
                let d = shared ? promptGrad.data : dEmbeds.data + r * t * e
                for i in 0..<(v * e) { grad[i] += d[i] }
            }
        }
        var exact = 0
        for r in 0..<b where (0..<t).allSatisfy({ hits[r * t + $0] != 0 }) { exact += 1 }
        return PromptStepResult(loss: loss, tokens: count, exactMatches: exact)
    }

    private func resize(_ a: inout [Int32], _ n: Int) {
        if a.count < n { a = [Int32](repeating: 0, count: n) }
    }
}
